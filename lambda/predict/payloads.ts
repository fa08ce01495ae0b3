/**
 * Turns the request and response bodies into the payload records of the inference record
 * (see shared/payload.ts for the modes). Only full payloads over the inline limit can need
 * S3, which is rare, so the S3 client is loaded on first use: a cold start that never
 * overflows never loads it.
 */
import { PAYLOAD_KEY_PREFIX } from '../../contract/handlers';
import type { PredictConfig } from '../shared/env';
import { errorFacts, type Logger } from '../shared/observability';
import { inlinePayloadRecord, PayloadRecord, s3PayloadRecord, truncatedPayloadRecord } from '../shared/payload';
import { withRetries } from '../shared/retry';
// Type only: the module itself is loaded on the first overflow (loadS3).
import type { PutObject } from './s3-put';

export type PayloadPart = 'input' | 'output';
export interface PayloadContext {
  readonly requestId: string;
  readonly createdAt: string;
  /** Epoch ms by which an S3 upload, retries included, must have ended (the record is written after it). */
  readonly deadline: number;
  /** False for a body refused as too large: storing it whole would defeat the refusal. */
  readonly keepBody?: boolean;
}

export type PayloadRecorder = (
  bytes: Uint8Array | undefined,
  part: PayloadPart,
  context: PayloadContext,
) => Promise<PayloadRecord | undefined>;

/**
 * One S3 attempt of at most this long; throttling (SlowDown) is retried while it fits the
 * deadline. A failed upload still leaves a truncated payload in the record.
 */
const S3_TIMEOUT_MS = 1_000;

export function createPayloadRecorder(config: PredictConfig, logger: Logger): PayloadRecorder {
  let putObject: Promise<PutObject> | undefined;

  return async function recordPayload(bytes, part, { requestId, createdAt, deadline, keepBody = true }) {
    if (bytes === undefined) return undefined;
    const mode = config.payloadMode === 'full' && !keepBody ? 'hash' : config.payloadMode;
    const inline = inlinePayloadRecord(bytes, mode, config.maxInlineBytes);
    if (inline !== 'overflow') return inline;
    if (config.overflow === 'truncate' || !config.payloadBucket) return truncatedPayloadRecord(bytes, config.maxInlineBytes);

    const bucket = config.payloadBucket;
    const key = payloadKey(createdAt, requestId, part);
    try {
      // A failed load is forgotten, so the next overflow tries again.
      putObject ??= loadS3().catch((error: unknown) => {
        putObject = undefined;
        throw error;
      });
      const put = await putObject;
      await withRetries((abortSignal) => put(bucket, key, bytes, abortSignal), {
        deadline,
        maxAttempts: config.maxAttempts,
        attemptTimeoutMs: S3_TIMEOUT_MS,
      });
      return s3PayloadRecord(bytes, `s3://${bucket}/${key}`);
    } catch (error) {
      // Keep what fits rather than fail the request or lose the record.
      logger.warn('payload kept truncated: writing it to S3 failed', { part, ...errorFacts(error) });
      return truncatedPayloadRecord(bytes, config.maxInlineBytes);
    }
  };
}

/** `payloads/<yyyy-mm-dd>/<requestId>/<part>.json` */
export function payloadKey(createdAt: string, requestId: string, part: PayloadPart): string {
  return `${PAYLOAD_KEY_PREFIX}${createdAt.slice(0, 10)}/${requestId}/${part}.json`;
}

/**
 * Loaded by `require` from `s3-put.js` beside the bundle, on the first overflow only: the S3
 * client is a file of its own (see PipelineFunction.bundling), off the cold start.
 */
async function loadS3(): Promise<PutObject> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: the S3 client stays out of the cold start of requests that never spill to S3
  const { createPutObject } = require('./s3-put') as typeof import('./s3-put');
  return createPutObject(1, S3_TIMEOUT_MS);
}
