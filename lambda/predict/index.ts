/**
 * POST /predict: the life of a request — validate, invoke, record, respond.
 *
 * Every request is recorded, success or failure, and a record the table refuses is not
 * lost: it goes to the log whole (FALLBACK_MESSAGE, under `record`) for a backfill, and
 * the client gets its answer all the same. Each request logs exactly one summary line
 * (SUMMARY_MESSAGE) and publishes its metrics before returning.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { ERROR_KIND_DIMENSION, FALLBACK_MESSAGE, METRIC_NAMES, SUMMARY_MESSAGE } from '../shared/contract';
import { loadPredictConfig, PredictConfig } from '../shared/env';
import { asApiError, errorResponse, header, jsonResponse, requestIdOf } from '../shared/http';
import { beginInvocation, createLogger, createMetrics, errorFacts, Logger, Metrics, MetricUnit } from '../shared/observability';
import { buildInferenceRecord, callerOf, InferenceRecord } from '../shared/record';
import { createTableClient, putNewItem } from '../shared/table';
import { createEndpointInvoker, EndpointResult } from './endpoint';
import { createPayloadRecorder } from './payloads';
import { parsePredictRequest } from './validate';

export { buildInferenceRecord, recordFromFallbackLine } from '../shared/record';

type PredictHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * Time one record write attempt may take (DynamoDB answers in milliseconds). The record
 * phase — at most one S3 attempt of 1 s (payloads.ts), then MAX_ATTEMPTS of these — stays
 * within the 2 s the configuration reserves after the endpoint call (lib/config/validate.ts)
 * at MAX_ATTEMPTS=2, so a slow table ends in the fallback line, not a Lambda timeout.
 */
const RECORD_WRITE_TIMEOUT_MS = 500;

/**
 * A handler for one configuration. Clients, logger and metrics are built here, once per
 * execution environment; nothing is sent or measured until a request arrives.
 */
export function createPredictHandler(config: PredictConfig): PredictHandler {
  const logger = createLogger();
  const metrics = createMetrics();
  const invokeEndpoint = createEndpointInvoker(config);
  const recordPayload = createPayloadRecorder(config, logger);
  const table = createTableClient({ maxAttempts: config.maxAttempts, requestTimeoutMs: RECORD_WRITE_TIMEOUT_MS });

  return async function predict(event, context) {
    const startedAt = Date.now();
    const createdAt = new Date(startedAt).toISOString();
    const requestId = requestIdOf(event, context?.awsRequestId ?? randomUUID());
    beginInvocation(logger, context, requestId);
    metrics.captureColdStartMetric();

    // 1. Validate, 2. invoke.
    const input = bodyBytes(event);
    let result: EndpointResult;
    try {
      const rows = parsePredictRequest(header(event.headers, 'content-type'), input, config);
      // Idempotency seam (IDEMPOTENCY_WINDOW_SEC, keys.idempotency): a later change reads
      // the Idempotency-Key header here and, for a key seen within the window, answers the
      // stored response (or 409 IdempotencyConflict for a different body) without invoking.
      result = await invokeEndpoint(rows);
    } catch (error) {
      result = { ok: false, error: asApiError(error), cause: error };
    }
    if (!result.ok && result.cause !== undefined && result.error.statusCode >= 500) {
      // The cause's name and status help the operator; its message may quote the payload.
      const log = result.error.kind === 'InternalError' ? logger.error : logger.warn;
      log.call(logger, 'request failed', { errorKind: result.error.kind, ...errorFacts(result.cause) });
    }
    const latencyMs = Date.now() - startedAt;

    // 3. Record.
    const refusedAsTooLarge = !result.ok && result.error.kind === 'PayloadTooLarge';
    const [inputRecord, outputRecord] = await Promise.all([
      recordPayload(input, 'input', requestId, createdAt, !refusedAsTooLarge),
      recordPayload(result.body, 'output', requestId, createdAt),
    ]);
    const record = buildInferenceRecord({
      requestId,
      createdAt,
      httpStatus: result.ok ? 200 : result.error.statusCode,
      error: result.ok ? undefined : { code: result.error.kind, message: result.error.message },
      caller: callerOf(event.requestContext?.identity),
      modelName: config.modelName,
      modelVersion: config.modelVersion,
      endpointName: config.endpointName,
      variant: result.variant,
      input: inputRecord,
      output: outputRecord,
      latencyMs,
      modelLatencyMs: result.modelLatencyMs,
      ttlDays: config.ttlDays,
    });
    const recorded = await writeRecord(record);

    // 4. Respond.
    logSummary(logger, record, result);
    publishMetrics(metrics, record, recorded);
    return result.ok
      ? jsonResponse(
          200,
          {
            requestId,
            modelName: config.modelName,
            modelVersion: config.modelVersion,
            endpointName: config.endpointName,
            variant: result.variant,
            predictions: result.predictions,
            latencyMs,
          },
          requestId,
        )
      : errorResponse(result.error, requestId);
  };

  /** Writes the record, or keeps it in the log when the table refuses it (after the SDK's retries). */
  async function writeRecord(record: InferenceRecord): Promise<'table' | 'log'> {
    try {
      await putNewItem(table, config.tableName, record as unknown as Record<string, unknown>);
      return 'table';
    } catch (error) {
      logger.error(FALLBACK_MESSAGE, { record, writeError: errorFacts(error) });
      return 'log';
    }
  }
}

function bodyBytes(event: APIGatewayProxyEvent): Buffer | undefined {
  if (!event.body) return undefined;
  // API Gateway base64-encodes bodies of binary media types: the limit is on the decoded bytes.
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The one summary line of a request: what its metric filters and queries read. */
function logSummary(logger: Logger, record: InferenceRecord, result: EndpointResult): void {
  logger.info(SUMMARY_MESSAGE, {
    outcome: result.ok ? 'success' : 'error',
    errorKind: record.errorCode,
    statusCode: record.httpStatus,
    latencyMs: record.latencyMs,
    // Absent (not null: Powertools drops empty keys) when the endpoint was not called.
    modelLatencyMs: record.modelLatencyMs,
    modelVersion: record.modelVersion,
    endpointName: record.endpointName,
    variant: record.variant,
  });
}

function publishMetrics(metrics: Metrics, record: InferenceRecord, recorded: 'table' | 'log'): void {
  metrics.addMetric(METRIC_NAMES.inferences, MetricUnit.Count, 1);
  metrics.addMetric(METRIC_NAMES.latency, MetricUnit.Milliseconds, record.latencyMs);
  if (record.modelLatencyMs !== undefined) {
    metrics.addMetric(METRIC_NAMES.modelLatency, MetricUnit.Milliseconds, record.modelLatencyMs);
  }
  if (recorded === 'log') metrics.addMetric(METRIC_NAMES.recordFallbacks, MetricUnit.Count, 1);
  if (record.errorCode) {
    // Its own EMF blob: the errorKind dimension must not multiply the other metrics.
    const single = metrics.singleMetric();
    single.addDimension(ERROR_KIND_DIMENSION, record.errorCode);
    single.addMetric(METRIC_NAMES.errors, MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();
}

/** The deployed function: configured from its environment at cold start (a bad setting fails the init, listing every problem). */
export const handler: PredictHandler = createPredictHandler(loadPredictConfig(process.env));
