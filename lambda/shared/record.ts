/**
 * The inference record: one item per prediction request, success or failure, built here
 * and nowhere else. The same object is written to the table and, when the table refuses
 * it, logged whole under `record` in the fallback line — so a backfill can take the
 * logged object (`recordFromFallbackLine`) and put it as it is.
 */
import type { APIGatewayEventIdentity } from 'aws-lambda';
import { ErrorKind, FALLBACK_MESSAGE } from './contract';
import type { PayloadRecord } from './payload';
import { keys } from './table-design';

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
}

export interface InferenceRecord {
  readonly pk: string;
  readonly sk: string;
  readonly gsi1pk: string;
  readonly gsi1sk: string;
  readonly gsi2pk?: string;
  readonly gsi2sk?: string;
  readonly requestId: string;
  readonly createdAt: string;
  readonly status: 'SUCCESS' | 'ERROR';
  readonly httpStatus: number;
  readonly errorCode?: ErrorKind;
  readonly errorMessage?: string;
  readonly caller: Caller;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly endpointName: string;
  readonly variant?: string;
  readonly input?: PayloadRecord;
  readonly output?: PayloadRecord;
  readonly latencyMs: number;
  readonly modelLatencyMs?: number;
  /** Epoch seconds; DynamoDB TTL deletes the item after this time. */
  readonly expiresAt?: number;
}

export function buildInferenceRecord(f: InferenceFacts): InferenceRecord {
  const failed = f.error !== undefined;
  return withoutUndefined({
    ...keys.inference(f.requestId),
    ...keys.byModelVersion(f.modelVersion, f.createdAt, f.requestId),
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
 * The record of a fallback log line (a line of the function's log, as JSON), for the
 * backfill: undefined for any other line, or when the record's keys do not match its
 * request id (an edited line must not overwrite another request's key).
 */
export function recordFromFallbackLine(line: string): InferenceRecord | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || parsed.message !== FALLBACK_MESSAGE || !isObject(parsed.record)) return undefined;
  const record = parsed.record;
  if (typeof record.requestId !== 'string') return undefined;
  const expected = keys.inference(record.requestId);
  return record.pk === expected.pk && record.sk === expected.sk ? (record as unknown as InferenceRecord) : undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Drops undefined fields so the table item and the logged record are the same object. */
function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
