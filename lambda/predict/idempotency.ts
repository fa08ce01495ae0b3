/**
 * The Idempotency-Key of `POST /predict`: a client that retries with the same key within the
 * window gets the first answer again, and the model is called once however many duplicates
 * arrive together.
 *
 * One item per caller and key (`keys.idempotency`), in the metadata table:
 *
 * | attribute       | what                                                                       |
 * | --------------- | -------------------------------------------------------------------------- |
 * | status          | IN_PROGRESS while the request holding the key runs, then COMPLETED         |
 * | requestId       | the request that holds (held) the key                                      |
 * | salt, bodySha256| SHA-256 of salt + request body: tells "same request" from "same key reused"|
 * | lockedUntil     | epoch ms when the holder's function ends at the latest (a crash frees it)  |
 * | expiresAt       | epoch s, end of the window (also the table's TTL attribute)                |
 * | answer          | COMPLETED only: `{statusCode, body}`, or the body sealed (below)           |
 *
 * The life of a key: a conditional PutItem claims it (absent, window over, or holder gone);
 * if the claim fails, a consistent GetItem says why: another body (409 conflict), an answer
 * (replayed), or a request still running (wait for it within the time this request has,
 * else 409 in progress). The holder stores its answer (UpdateItem) or, after a failure worth
 * retrying, gives the key back (DeleteItem), both on the condition that it still holds it.
 * DynamoDB's TTL deletes items up to days late, so every read checks `expiresAt` itself.
 *
 * Privacy: with PAYLOAD_MODE hash or none, records keep no payload value, yet a replay must
 * give back the predictions. The answer is therefore sealed (AES-256-GCM) with a key derived
 * from the request body itself: only a client presenting the same body can open it, and the
 * table holds no readable prediction. Like the body's hash, this protects against reading
 * the table, not against someone who can guess the whole request. With PAYLOAD_MODE full the
 * answer is kept as it is (the record holds it anyway). Either way the item lasts the window.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { IDEMPOTENCY_KEY_HEADER } from '../../contract/handlers';
import { apiError } from '../shared/http';
import type { Caller } from '../shared/record';
import { RetryBudget, withRetries } from '../shared/retry';
import { isConditionFailure } from '../shared/table';
import { keys, TABLE_KEYS } from '../../contract/table-design';

/** Long enough for a UUID or a ULID with a prefix; the charset keeps the key a plain part of the table key. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{8,128}$/;
/** An answer bigger than this is not kept (an item holds 400 KB): the key is given back instead. */
export const MAX_KEPT_ANSWER_BYTES = 300_000;
/** One attempt of a call to the table (it answers in milliseconds). */
export const KEY_ATTEMPT_TIMEOUT_MS = 500;

export interface KeyedRequest {
  readonly key: string;
  readonly caller: Caller;
  readonly body: Buffer;
  readonly requestId: string;
  /** When this request's function ends at the latest: the key is free again after it, should the function die. */
  readonly lockedUntil: number;
}

/** An answer as it was sent: status and body text. */
export interface KeptAnswer {
  readonly statusCode: number;
  readonly body: string;
}

export interface KeyClaim {
  readonly itemKey: { readonly pk: string; readonly sk: string };
  readonly requestId: string;
  readonly salt: Buffer;
  readonly body: Buffer;
}

export type KeyDecision =
  | { readonly kind: 'claimed'; readonly claim: KeyClaim }
  | { readonly kind: 'replay'; readonly answer: KeptAnswer; readonly originalRequestId: string }
  | { readonly kind: 'conflict'; readonly originalRequestId: string }
  /** No originalRequestId when this request's time ran out before it could even tell who holds the key. */
  | { readonly kind: 'in-progress'; readonly originalRequestId?: string };

export interface IdempotencyStore {
  /** Claims the key for this request, or says what the key already holds. Table errors are thrown. */
  begin(request: KeyedRequest, deadline: number): Promise<KeyDecision>;
  /** Keeps the answer under the claimed key for the rest of the window; false if it was too big to keep (the key is then given back). */
  complete(claim: KeyClaim, answer: KeptAnswer, deadline: number): Promise<boolean>;
  /** Gives the claimed key back: the next request with it runs anew. */
  release(claim: KeyClaim, deadline: number): Promise<void>;
}

export interface IdempotencyStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly windowSec: number;
  /** Seal kept answers (PAYLOAD_MODE hash and none). */
  readonly seal: boolean;
  readonly maxAttempts: number;
}

/**
 * The key of a request, if it has one; a 400 when it is malformed or given more than once.
 * Messages give its length, never the key itself.
 */
export function idempotencyKeyOf(event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>): string | undefined {
  const values: string[] = [];
  for (const [name, list] of Object.entries(event.multiValueHeaders ?? {})) {
    if (name.toLowerCase() === IDEMPOTENCY_KEY_HEADER) values.push(...(list ?? []));
  }
  if (values.length === 0) {
    for (const [name, value] of Object.entries(event.headers ?? {})) {
      if (name.toLowerCase() === IDEMPOTENCY_KEY_HEADER && value !== undefined) values.push(value);
    }
  }
  if (values.length === 0) return undefined;
  if (values.length > 1) throw apiError('ValidationError', `Idempotency-Key is given ${values.length} times; give it once`);
  const key = values[0];
  if (!IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw apiError(
      'ValidationError',
      `Idempotency-Key must be 8 to 128 characters, each a letter, digit, '-', '_', '.' or ':'; got ${key.length} character${key.length === 1 ? '' : 's'}`,
    );
  }
  return key;
}

const IN_PROGRESS = 'IN_PROGRESS';
const COMPLETED = 'COMPLETED';

interface KeyItem {
  readonly status: typeof IN_PROGRESS | typeof COMPLETED;
  readonly requestId: string;
  readonly salt: string;
  readonly bodySha256: string;
  readonly lockedUntil?: number;
  readonly expiresAt: number;
  readonly answer?: { statusCode: number; body?: string; sealed?: { iv: string; tag: string; data: string } };
}

export function createIdempotencyStore(options: IdempotencyStoreOptions): IdempotencyStore {
  const { client, tableName } = options;
  const budget = (deadline: number): RetryBudget => ({
    deadline,
    maxAttempts: options.maxAttempts,
    attemptTimeoutMs: KEY_ATTEMPT_TIMEOUT_MS,
  });

  return {
    async begin(request, deadline) {
      const itemKey = keys.idempotency(callerTag(request.caller), request.key);
      for (let wait = 0; Date.now() < deadline;) {
        const salt = randomBytes(16);
        if (await claim(itemKey, request, salt, deadline)) {
          return { kind: 'claimed', claim: { itemKey, requestId: request.requestId, salt, body: request.body } };
        }
        // Taken: by an answer, by a request still running, or by one that ended since the claim.
        for (let held = await read(itemKey, deadline); held && isLive(held); held = await read(itemKey, deadline)) {
          const originalRequestId = held.requestId;
          if (fingerprint(Buffer.from(held.salt, 'base64'), request.body) !== held.bodySha256)
            return { kind: 'conflict', originalRequestId };
          if (held.status === COMPLETED && held.answer)
            return { kind: 'replay', answer: openAnswer(held.answer, itemKey.pk, request.body, held.salt), originalRequestId };
          const pause = pollDelay(wait++);
          if (Date.now() + pause + KEY_ATTEMPT_TIMEOUT_MS > deadline) return { kind: 'in-progress', originalRequestId };
          await sleep(pause);
        }
        // Given back after a failure, or its window or holder's time is over: claim it again.
      }
      return { kind: 'in-progress' };
    },
    complete,
    release,
  };

  async function complete(held: KeyClaim, answer: KeptAnswer, deadline: number): Promise<boolean> {
    const kept = options.seal ? sealAnswer(answer, held) : answer;
    if (JSON.stringify(kept).length > MAX_KEPT_ANSWER_BYTES) {
      await release(held, deadline);
      return false;
    }
    await ifStillHeld(() =>
      withRetries(
        (abortSignal) =>
          client.send(
            new UpdateCommand({
              TableName: tableName,
              Key: held.itemKey,
              UpdateExpression: 'SET #status = :completed, #answer = :answer REMOVE #lockedUntil',
              ConditionExpression: '#requestId = :requestId AND #status = :inProgress',
              ExpressionAttributeNames: {
                '#status': 'status',
                '#requestId': 'requestId',
                '#answer': 'answer',
                '#lockedUntil': 'lockedUntil',
              },
              ExpressionAttributeValues: {
                ':completed': COMPLETED,
                ':answer': kept,
                ':requestId': held.requestId,
                ':inProgress': IN_PROGRESS,
              },
            }),
            { abortSignal },
          ),
        budget(deadline),
      ),
    );
    return true;
  }

  async function release(held: KeyClaim, deadline: number): Promise<void> {
    await ifStillHeld(() =>
      withRetries(
        (abortSignal) =>
          client.send(
            new DeleteCommand({
              TableName: tableName,
              Key: held.itemKey,
              ConditionExpression: '#requestId = :requestId AND #status = :inProgress',
              ExpressionAttributeNames: { '#status': 'status', '#requestId': 'requestId' },
              ExpressionAttributeValues: { ':requestId': held.requestId, ':inProgress': IN_PROGRESS },
            }),
            { abortSignal },
          ),
        budget(deadline),
      ),
    );
  }

  /** The conditional put of the IN_PROGRESS marker: true if this request now holds the key. */
  async function claim(itemKey: KeyClaim['itemKey'], request: KeyedRequest, salt: Buffer, deadline: number): Promise<boolean> {
    const now = Date.now();
    const item = {
      ...itemKey,
      status: IN_PROGRESS,
      requestId: request.requestId,
      createdAt: new Date(now).toISOString(),
      salt: salt.toString('base64'),
      bodySha256: fingerprint(salt, request.body),
      lockedUntil: request.lockedUntil,
      // Whole seconds (the TTL attribute's unit), rounded up: the window is never shorter than configured.
      expiresAt: Math.ceil(now / 1000) + options.windowSec,
    };
    try {
      await withRetries(
        (abortSignal) =>
          client.send(
            new PutCommand({
              TableName: tableName,
              Item: item,
              ConditionExpression:
                'attribute_not_exists(#pk) OR #expiresAt <= :nowSec OR (#status = :inProgress AND #lockedUntil < :nowMs)',
              ExpressionAttributeNames: {
                '#pk': TABLE_KEYS.partitionKey,
                '#status': 'status',
                '#expiresAt': 'expiresAt',
                '#lockedUntil': 'lockedUntil',
              },
              ExpressionAttributeValues: { ':nowSec': now / 1000, ':nowMs': now, ':inProgress': IN_PROGRESS },
            }),
            { abortSignal },
          ),
        budget(deadline),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async function read(itemKey: KeyClaim['itemKey'], deadline: number): Promise<KeyItem | undefined> {
    const { Item } = await withRetries(
      (abortSignal) => client.send(new GetCommand({ TableName: tableName, Key: itemKey, ConsistentRead: true }), { abortSignal }),
      budget(deadline),
    );
    return Item as KeyItem | undefined;
  }
}

/** Within its window, and either answered or held by a request that may still be running. */
function isLive(item: KeyItem): boolean {
  const now = Date.now();
  if (item.expiresAt <= now / 1000) return false;
  return item.status === COMPLETED || (item.lockedUntil ?? 0) >= now;
}

/** Whose keys these are: callers never share a key, and the table key carries a digest, not the caller's ARN. */
export function callerTag(caller: Caller): string {
  const who = caller.principal ?? (caller.apiKeyId ? `api-key:${caller.apiKeyId}` : 'anonymous');
  return createHash('sha256').update(who).digest('hex').slice(0, 32);
}

function fingerprint(salt: Buffer, body: Buffer): string {
  return createHash('sha256').update(salt).update(body).digest('hex');
}

/**
 * The sealing key: an HMAC keyed by the request body, so it follows from the body and from
 * nothing stored (the stored fingerprint is a different function of the body).
 */
function sealingKey(body: Buffer, salt: Buffer): Buffer {
  return createHmac('sha256', body).update('idempotent answer v1').update(salt).digest();
}

function sealAnswer(answer: KeptAnswer, held: KeyClaim): KeyItem['answer'] {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', sealingKey(held.body, held.salt), iv);
  // Bound to its item: a sealed answer copied into another key's item does not open.
  cipher.setAAD(Buffer.from(held.itemKey.pk));
  const data = Buffer.concat([cipher.update(answer.body, 'utf8'), cipher.final()]);
  return {
    statusCode: answer.statusCode,
    sealed: { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') },
  };
}

function openAnswer(answer: NonNullable<KeyItem['answer']>, pk: string, body: Buffer, salt: string): KeptAnswer {
  if (answer.body !== undefined) return { statusCode: answer.statusCode, body: answer.body };
  const sealed = answer.sealed!;
  const decipher = createDecipheriv('aes-256-gcm', sealingKey(body, Buffer.from(salt, 'base64')), Buffer.from(sealed.iv, 'base64'));
  decipher.setAAD(Buffer.from(pk));
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  const text = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]).toString('utf8');
  return { statusCode: answer.statusCode, body: text };
}

/** A key taken over since (the holder outlived its lease) is the new holder's: nothing to do. */
async function ifStillHeld(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Waits between reads of a key still in progress: short at first, full jitter, at most 400 ms. */
function pollDelay(wait: number): number {
  return 25 + Math.floor(Math.random() * Math.min(400, 25 * 2 ** wait));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
