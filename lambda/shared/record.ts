/**
 * The inference record: one item per prediction request, success or failure, built here
 * and nowhere else. The same object is written to the table and, when the table refuses
 * it, logged whole under `record` in the fallback line — so a backfill can take the
 * logged object (`recordFromFallbackLine`) and put it as it is.
 */
import { createHash } from 'node:crypto';
import type { APIGatewayEventIdentity } from 'aws-lambda';
import { ERROR_KINDS, ErrorKind, FALLBACK_MESSAGE } from '../../contract/handlers';
import { REQUEST_ID_PATTERN } from './http';
import type { PayloadRecord } from './payload';
import { DEFAULT_INDEX_SHARDS, isModelVersionPartitionOf, keys } from '../../contract/table-design';

export type CallerType = 'iam' | 'api-key' | 'anonymous';

/** Who called. Never the API key value, the access key or any other secret. */
export interface Caller {
  readonly type: CallerType;
  /** The IAM principal's ARN (SigV4 callers). */
  readonly principal?: string;
  readonly accountId?: string;
  readonly apiKeyId?: string;
  readonly sourceIp?: string;
  readonly userAgent?: string;
}

/**
 * What became of a request's Idempotency-Key:
 * - `executed`: this request held the key and called the model (a first use, or the key's window had ended);
 * - `replayed`: answered with the answer stored under the key, without calling the model;
 * - `conflict`: refused (409): the key was used with another body;
 * - `in-progress`: refused (409): the request holding the key had not finished in time;
 * - `unchecked`: the table could not be asked, so the request ran without the key's protection.
 */
export type IdempotencyOutcome = 'executed' | 'replayed' | 'conflict' | 'in-progress' | 'unchecked';

export interface IdempotencyNote {
  readonly key: string;
  readonly outcome: IdempotencyOutcome;
  /** The request whose answer the key holds, when it is another one (replayed, conflict, in-progress). */
  readonly originalRequestId?: string;
}

export interface InferenceFacts {
  readonly requestId: string;
  /** ISO-8601 UTC time the request arrived. */
  readonly createdAt: string;
  readonly httpStatus: number;
  /** Present exactly when the request failed. */
  readonly error?: { readonly code: ErrorKind; readonly message: string };
  readonly caller: Caller;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly endpointName: string;
  /** The production variant that answered, when the endpoint answered. */
  readonly variant?: string;
  readonly input?: PayloadRecord;
  readonly output?: PayloadRecord;
  readonly latencyMs: number;
  /** Time of the endpoint call, when the endpoint was called. */
  readonly modelLatencyMs?: number;
  /** 0 keeps the record forever. */
  readonly ttlDays: number;
  /** Present when the request carried an Idempotency-Key. */
  readonly idempotency?: IdempotencyNote;
  /** Index partitions per model version and day (records.shards). @default DEFAULT_INDEX_SHARDS */
  readonly indexShards?: number;
}

/**
 * The stored item: the request's facts as they came (less what is derived below), its keys,
 * its outcome in the table's words, and its expiry.
 */
export interface InferenceRecord extends Omit<InferenceFacts, 'error' | 'ttlDays' | 'indexShards'> {
  readonly pk: string;
  readonly sk: string;
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly gsi2pk?: string;
  readonly gsi2sk?: string;
  readonly status: 'SUCCESS' | 'ERROR';
  readonly errorCode?: ErrorKind;
  readonly errorMessage?: string;
  /** Epoch seconds; DynamoDB TTL deletes the item after this time. */
  readonly expiresAt?: number;
}

export function buildInferenceRecord(f: InferenceFacts): InferenceRecord {
  const failed = f.error !== undefined;
  return withoutUndefined({
    ...keys.inference(f.requestId),
    ...keys.byModelVersion(f.modelVersion, f.createdAt, f.requestId, f.indexShards ?? DEFAULT_INDEX_SHARDS),
    // Only failures enter the failure index: a sparse index holds nothing else.
    ...(failed ? keys.byFailure(f.createdAt, f.requestId) : {}),
    requestId: f.requestId,
    createdAt: f.createdAt,
    status: failed ? 'ERROR' : 'SUCCESS',
    httpStatus: f.httpStatus,
    errorCode: f.error?.code,
    errorMessage: f.error?.message,
    caller: withoutUndefined(f.caller),
    modelName: f.modelName,
    modelVersion: f.modelVersion,
    endpointName: f.endpointName,
    variant: f.variant,
    input: f.input,
    output: f.output,
    latencyMs: f.latencyMs,
    modelLatencyMs: f.modelLatencyMs,
    expiresAt: f.ttlDays > 0 ? Math.floor(Date.parse(f.createdAt) / 1000) + f.ttlDays * 86_400 : undefined,
    idempotency: f.idempotency && withoutUndefined(f.idempotency),
  });
}

/**
 * The caller as API Gateway saw it. IAM (SigV4) callers carry a user ARN; API-key callers
 * an API key id (API Gateway also passes the key itself, which is a secret: not kept).
 */
export function callerOf(identity: Partial<APIGatewayEventIdentity> | null | undefined): Caller {
  const i = identity ?? {};
  const type: CallerType = i.userArn ? 'iam' : i.apiKeyId ? 'api-key' : 'anonymous';
  return withoutUndefined({
    type,
    principal: i.userArn || undefined,
    accountId: i.accountId || undefined,
    apiKeyId: i.apiKeyId || undefined,
    sourceIp: i.sourceIp || undefined,
    userAgent: i.userAgent || undefined,
  });
}

/**
 * The fields of the fallback line: the record, and the SHA-256 of its canonical JSON, so
 * that a backfill can tell a line that was damaged or edited since (it is a checksum, not a
 * signature: whoever can edit the line can recompute it).
 */
export function fallbackFields(record: InferenceRecord): { record: InferenceRecord; recordSha256: string } {
  return { record, recordSha256: recordChecksum(record) };
}

export function recordChecksum(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

/** What a log line is to a backfill: a fallback record, a fallback line it must refuse (and why), or another line. */
export type FallbackLine =
  | { readonly kind: 'record'; readonly record: InferenceRecord }
  | { readonly kind: 'invalid'; readonly reason: string; readonly requestId?: string }
  | { readonly kind: 'other' };

/**
 * Reads one log line (the function's JSON line) for a backfill. A fallback line is refused
 * when its checksum does not match, or when its record is not one this function could have
 * written: keys that do not follow from its request id, model version and time (an edited
 * line must not write into another item), unknown attributes, or fields of the wrong type.
 * Lines logged before the checksum existed are checked on their record alone.
 */
export function parseFallbackLine(line: string): FallbackLine {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // A fallback line cut short or damaged must be counted, not passed over as another line.
    return line.includes(`"message":"${FALLBACK_MESSAGE}"`)
      ? { kind: 'invalid', reason: 'the fallback line is not valid JSON (cut short or damaged)' }
      : { kind: 'other' };
  }
  if (!isObject(parsed) || parsed.message !== FALLBACK_MESSAGE) return { kind: 'other' };
  const record = parsed.record;
  if (!isObject(record)) return { kind: 'invalid', reason: 'the line carries no record' };
  const requestId = typeof record.requestId === 'string' ? record.requestId.slice(0, 64) : undefined;
  if (parsed.recordSha256 !== undefined && parsed.recordSha256 !== recordChecksum(record)) {
    return { kind: 'invalid', reason: 'the record does not match its checksum (the line was edited or damaged)', requestId };
  }
  const problem = recordProblem(record);
  return problem ? { kind: 'invalid', reason: problem, requestId } : { kind: 'record', record: record as unknown as InferenceRecord };
}

/** The record of a fallback line, or undefined for any other line and for a line parseFallbackLine refuses. */
export function recordFromFallbackLine(line: string): InferenceRecord | undefined {
  const parsed = parseFallbackLine(line);
  return parsed.kind === 'record' ? parsed.record : undefined;
}

const RECORD_ATTRIBUTES = new Set([
  'pk',
  'sk',
  'gsi1pk',
  'gsi1sk',
  'gsi2pk',
  'gsi2sk',
  'requestId',
  'createdAt',
  'status',
  'httpStatus',
  'errorCode',
  'errorMessage',
  'caller',
  'modelName',
  'modelVersion',
  'endpointName',
  'variant',
  'input',
  'output',
  'latencyMs',
  'modelLatencyMs',
  'expiresAt',
  'idempotency',
]);
const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const PAYLOAD_MODES = ['full', 's3', 'truncated', 'hash', 'none'];

/** Why a logged record is not one buildInferenceRecord makes, or undefined. Reasons name fields, never values. */
function recordProblem(r: Record<string, unknown>): string | undefined {
  const unknown = Object.keys(r).filter((name) => !RECORD_ATTRIBUTES.has(name));
  if (unknown.length > 0) return `the record has ${unknown.length} unknown attribute(s)`;
  if (typeof r.requestId !== 'string' || !REQUEST_ID_PATTERN.test(r.requestId)) return 'requestId is not a request id';
  if (typeof r.createdAt !== 'string' || !ISO_MILLIS.test(r.createdAt) || Number.isNaN(Date.parse(r.createdAt)))
    return 'createdAt is not an ISO-8601 UTC time';
  for (const name of ['modelName', 'modelVersion', 'endpointName'] as const) {
    if (typeof r[name] !== 'string' || r[name] === '') return `${name} is missing`;
  }
  const expected: Record<string, unknown> = {
    ...keys.inference(r.requestId),
    gsi1sk: `${r.createdAt}#${r.requestId}`,
    ...(r.status === 'ERROR' ? keys.byFailure(r.createdAt, r.requestId) : { gsi2pk: undefined, gsi2sk: undefined }),
  };
  // The shard count may have changed since the line was logged: any shard the id can have under some count is the record's own.
  if (typeof r.gsi1pk !== 'string' || !isModelVersionPartitionOf(r.gsi1pk, r.modelVersion as string, r.createdAt, r.requestId)) {
    return 'gsi1pk does not follow from the request id, model version, time and status';
  }
  const wrongKey = Object.keys(expected).find((name) => r[name] !== expected[name]);
  if (wrongKey) return `${wrongKey} does not follow from the request id, model version, time and status`;
  if (r.status !== 'SUCCESS' && r.status !== 'ERROR') return 'status must be SUCCESS or ERROR';
  if (!Number.isInteger(r.httpStatus) || (r.httpStatus as number) < 100 || (r.httpStatus as number) > 599)
    return 'httpStatus is not an HTTP status';
  if ((r.status === 'ERROR') !== (r.errorCode !== undefined)) return 'errorCode must be present exactly when status is ERROR';
  if (r.errorCode !== undefined && !(ERROR_KINDS as readonly unknown[]).includes(r.errorCode)) return 'errorCode is not an error kind';
  if (!isObject(r.caller) || typeof r.caller.type !== 'string') return 'caller is missing';
  for (const name of ['input', 'output'] as const) {
    const p = r[name];
    if (p !== undefined && (!isObject(p) || !PAYLOAD_MODES.includes(p.mode as string) || typeof p.sizeBytes !== 'number'))
      return `${name} is not a payload record`;
  }
  for (const name of ['latencyMs', 'modelLatencyMs', 'expiresAt'] as const) {
    if (r[name] !== undefined && (typeof r[name] !== 'number' || !Number.isFinite(r[name]))) return `${name} is not a number`;
  }
  return undefined;
}

/** JSON with object keys sorted: the same record gives the same text whoever serialised it. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => value[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops undefined fields so the table item and the logged record are the same object. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
