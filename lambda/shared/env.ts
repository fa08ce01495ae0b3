/**
 * Environment parsing for the functions. Each function reads its settings once, at cold
 * start, and a bad or missing setting fails the init with one error that lists every
 * problem by variable name — a misconfigured stack shows up on its first request, in the
 * function's log, instead of as odd behaviour later.
 */
import { PREDICT_ENV, READ_ENV } from '../../contract/handlers';
import { DEFAULT_INDEX_SHARDS, MAX_INDEX_SHARDS } from '../../contract/table-design';

export type Env = Readonly<Record<string, string | undefined>>;
export type PayloadMode = 'full' | 'hash' | 'none';
export type PayloadOverflow = 's3' | 'truncate';
export type ModelContentType = 'application/json' | 'text/csv';

export interface PredictConfig {
  readonly tableName: string;
  readonly endpointName: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly contentType: ModelContentType;
  /** Features per row; 0 accepts any width (all rows still share one width). */
  readonly featureCount: number;
  readonly maxRequestBytes: number;
  /** Time one InvokeEndpoint attempt may take. */
  readonly invokeTimeoutMs: number;
  /** SDK attempts per AWS call, including the first. */
  readonly maxAttempts: number;
  readonly payloadMode: PayloadMode;
  readonly overflow: PayloadOverflow;
  readonly maxInlineBytes: number;
  /** Required when full payloads overflow to S3; unused otherwise. */
  readonly payloadBucket?: string;
  /** 0 keeps records forever (no `expiresAt`). */
  readonly ttlDays: number;
  /** How long an Idempotency-Key answers with its first answer. */
  readonly idempotencyWindowSec: number;
  /** byModelVersion index partitions per model version and day. */
  readonly indexShards: number;
}

export class EnvError extends Error {
  constructor(
    fn: string,
    readonly problems: readonly string[],
  ) {
    super(`invalid environment of the ${fn} function:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvError';
  }
}

/** Collects problems so that all of them are reported at once. */
class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  string(name: string): string {
    const value = this.env[name]?.trim();
    if (!value) this.problems.push(`${name}: is required`);
    return value ?? '';
  }

  optionalString(name: string): string | undefined {
    return this.env[name]?.trim() || undefined;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[]): T {
    const value = this.env[name]?.trim();
    if (!allowed.includes(value as T)) {
      this.problems.push(`${name}: must be one of ${allowed.join(', ')}, got ${value === undefined ? 'nothing' : `'${value}'`}`);
      return allowed[0];
    }
    return value as T;
  }

  int(name: string, min: number, max: number): number {
    const raw = this.env[name]?.trim();
    const value = raw !== undefined && /^-?\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(value >= min && value <= max)) {
      this.problems.push(`${name}: must be a whole number from ${min} to ${max}, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
      return min;
    }
    return value;
  }
}

export function loadPredictConfig(env: Env): PredictConfig {
  const r = new EnvReader(env);
  const e = PREDICT_ENV;
  const config: PredictConfig = {
    tableName: r.string(e.tableName),
    endpointName: r.string(e.endpointName),
    modelName: r.string(e.modelName),
    modelVersion: r.string(e.modelVersion),
    contentType: r.oneOf(e.contentType, ['application/json', 'text/csv'] as const),
    featureCount: r.int(e.featureCount, 0, 10_000),
    // API Gateway itself refuses bodies over 10 MB.
    maxRequestBytes: r.int(e.maxRequestBytes, 1, 10 * 1024 * 1024),
    invokeTimeoutMs: r.int(e.invokeTimeoutMs, 1, 60_000),
    maxAttempts: r.int(e.maxAttempts, 1, 5),
    payloadMode: r.oneOf(e.payloadMode, ['full', 'hash', 'none'] as const),
    overflow: r.oneOf(e.overflow, ['s3', 'truncate'] as const),
    // An item holds at most 400 KB, and it carries both the input and the output.
    maxInlineBytes: r.int(e.maxInlineBytes, 1, 150_000),
    payloadBucket: r.optionalString(e.payloadBucket),
    ttlDays: r.int(e.ttlDays, 0, 3_650),
    // The stage configuration asks for at least a minute; the function takes any window (tests use seconds).
    idempotencyWindowSec: r.int(e.idempotencyWindowSec, 1, 7 * 86_400),
    indexShards: env[e.indexShards] === undefined ? DEFAULT_INDEX_SHARDS : r.int(e.indexShards, 1, MAX_INDEX_SHARDS),
  };
  if (config.payloadMode === 'full' && config.overflow === 's3' && !config.payloadBucket) {
    r.problems.push(`${e.payloadBucket}: is required when ${e.payloadMode}=full and ${e.overflow}=s3`);
  }
  if (r.problems.length > 0) throw new EnvError('prediction', r.problems);
  return config;
}

/** The read and deployment-record functions only need the table. */
export function loadTableName(env: Env, fn: string): string {
  const r = new EnvReader(env);
  const tableName = r.string('TABLE_NAME');
  if (r.problems.length > 0) throw new EnvError(fn, r.problems);
  return tableName;
}

/** The read function: the table, and the shard count the records were written with. */
export function loadReadConfig(env: Env): { tableName: string; indexShards: number } {
  const r = new EnvReader(env);
  const tableName = r.string(READ_ENV.tableName);
  const indexShards = env[READ_ENV.indexShards] === undefined ? DEFAULT_INDEX_SHARDS : r.int(READ_ENV.indexShards, 1, MAX_INDEX_SHARDS);
  if (r.problems.length > 0) throw new EnvError('read', r.problems);
  return { tableName, indexShards };
}
