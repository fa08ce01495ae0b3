/**
 * POST /predict: the life of a request — validate, idempotency, invoke, record, respond.
 *
 * Every request is recorded, success or failure, and a record the table refuses is not
 * lost: it goes to the log whole (FALLBACK_MESSAGE, under `record`) for a backfill, and
 * the client gets its answer all the same. Each request logs exactly one summary line
 * (SUMMARY_MESSAGE) and publishes its metrics before returning.
 *
 * Time: the endpoint call and its retries end RECORD_BUDGET_MS before the function's
 * deadline, so that recording and answering always fit; the record phase ends a little
 * before the deadline. Without a Lambda context (a direct call), the API's 29 s apply.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import {
  ERROR_KIND_DIMENSION,
  ErrorKind,
  FALLBACK_MESSAGE,
  IDEMPOTENT_REPLAYED_HEADER,
  METRIC_NAMES,
  RECORD_BUDGET_MS,
  SUMMARY_MESSAGE,
} from '../../contract/handlers';
import { loadPredictConfig, PredictConfig } from '../shared/env';
import { apiError, asApiError, errorResponse, header, jsonResponse, requestIdOf } from '../shared/http';
import { beginInvocation, createLogger, createMetrics, errorFacts, Logger, Metrics, MetricUnit } from '../shared/observability';
import { buildInferenceRecord, callerOf, Caller, fallbackFields, IdempotencyNote, InferenceRecord } from '../shared/record';
import { withRetries } from '../shared/retry';
import { createTableClient, putNewItem } from '../shared/table';
import { createEndpointInvoker, EndpointResult } from './endpoint';
import { createIdempotencyStore, idempotencyKeyOf, KeptAnswer, KeyClaim } from './idempotency';
import { createPayloadRecorder } from './payloads';
import { parsePredictRequest } from './validate';

export { buildInferenceRecord, parseFallbackLine, recordFromFallbackLine } from '../shared/record';

type PredictHandler = (event: APIGatewayProxyEvent, context?: Context) => Promise<APIGatewayProxyResult>;

/**
 * Time one record write attempt may take (DynamoDB answers in milliseconds). The record
 * phase — an S3 upload only for a full payload over the inline limit, then up to
 * MAX_ATTEMPTS of these — fits RECORD_BUDGET_MS, so a slow table ends in the fallback line,
 * not a Lambda timeout.
 */
const RECORD_WRITE_TIMEOUT_MS = 500;
/** Kept back from the function's deadline to build and return the answer. */
const RESPOND_MARGIN_MS = 200;
/** The time a request has when no Lambda context tells it (API Gateway's integration timeout). */
const DEFAULT_TIME_MS = 29_000;
/** Answers a retry with the same key gets back: a success, and a refusal that would not change. */
const KEPT_STATUSES = new Set([200, 422]);

/** What the request came to, before it is recorded and answered: the model's answer (or why it was not asked), or a replay. */
type Outcome =
  | {
      readonly result: EndpointResult;
      readonly replay?: undefined;
      readonly idempotency?: IdempotencyNote;
      /** Held by this request until it has an answer to keep (or gives the key back). */
      readonly claim?: KeyClaim;
    }
  | {
      readonly result?: undefined;
      /** The answer of an earlier request with the same Idempotency-Key, sent instead of calling the model. */
      readonly replay: KeptAnswer;
      readonly idempotency: IdempotencyNote;
      readonly claim?: undefined;
    };

/** What the record says of the answer. */
interface AnswerFacts {
  readonly httpStatus: number;
  readonly error?: { readonly code: ErrorKind; readonly message: string };
  readonly variant?: string;
  /** The model's body: absent when the model was not asked, a replay included (its output is in the original's record). */
  readonly output?: Buffer;
  readonly modelLatencyMs?: number;
}

interface Deadlines {
  /** The endpoint call (and the wait for a duplicate's answer) ends by then. */
  readonly invoke: number;
  /** Records and kept answers are written by then. */
  readonly record: number;
  /** The function's own end: an idempotency key held by this request is free after it. */
  readonly end: number;
}

/**
 * A handler for one configuration. Clients, logger and metrics are built here, once per
 * execution environment; nothing is sent or measured until a request arrives.
 */
export function createPredictHandler(config: PredictConfig): PredictHandler {
  const logger = createLogger();
  const metrics = createMetrics();
  const invokeEndpoint = createEndpointInvoker(config);
  const recordPayload = createPayloadRecorder(config, logger);
  // One attempt per send: withRetries makes the others, within the request's time.
  const table = createTableClient({ maxAttempts: 1, requestTimeoutMs: RECORD_WRITE_TIMEOUT_MS });
  const keys = createIdempotencyStore({
    client: table,
    tableName: config.tableName,
    windowSec: config.idempotencyWindowSec,
    seal: config.payloadMode !== 'full',
    maxAttempts: config.maxAttempts,
  });

  return async function predict(event, context) {
    const startedAt = Date.now();
    const createdAt = new Date(startedAt).toISOString();
    const requestId = requestIdOf(event, context?.awsRequestId ?? randomUUID());
    beginInvocation(logger, context, requestId);
    metrics.captureColdStartMetric();
    const deadlines = deadlinesOf(startedAt, context);
    const input = bodyBytes(event);
    const caller = callerOf(event.requestContext?.identity);

    // 1. Validate, 2. idempotency, 3. invoke. Whatever goes wrong is answered and recorded, never thrown.
    const outcome = await decide(event, input, caller, requestId, deadlines).catch((error: unknown): Outcome => ({
      result: { ok: false, error: asApiError(error), cause: error },
    }));
    const { result } = outcome;
    if (result && !result.ok && result.cause !== undefined && result.error.statusCode >= 500) {
      // The cause's name and status help the operator; its message may quote the payload.
      const log = result.error.kind === 'InternalError' ? logger.error : logger.warn;
      log.call(logger, 'request failed', { errorKind: result.error.kind, ...errorFacts(result.cause) });
    }
    const latencyMs = Date.now() - startedAt;
    const response = outcome.replay
      ? replayResponse(outcome.replay, outcome.idempotency.originalRequestId ?? requestId)
      : responseOf(outcome.result, requestId, latencyMs);

    // 4. Record; meanwhile, keep the answer under its Idempotency-Key (or give the key back).
    const [{ record, recorded }] = await Promise.all([
      recordRequest(outcome, { input, requestId, createdAt, caller, latencyMs }, deadlines),
      settleKey(outcome, response, deadlines.record),
    ]);

    // 5. Respond.
    logSummary(logger, record, outcome);
    publishMetrics(metrics, record, recorded);
    return response;
  };

  /** Validates the request, then asks its Idempotency-Key (if any) whether the model must be called. */
  async function decide(
    event: APIGatewayProxyEvent,
    input: Buffer | undefined,
    caller: Caller,
    requestId: string,
    deadlines: Deadlines,
  ): Promise<Outcome> {
    let rows: number[][];
    let key: string | undefined;
    try {
      rows = parsePredictRequest(header(event.headers, 'content-type'), input, config);
      key = idempotencyKeyOf(event);
    } catch (error) {
      return { result: { ok: false, error: asApiError(error), cause: error } };
    }
    if (key === undefined) return { result: await invokeEndpoint(rows, deadlines.invoke) };

    let decision;
    try {
      decision = await keys.begin({ key, caller, body: input!, requestId, lockedUntil: deadlines.end }, deadlines.invoke);
    } catch (error) {
      // The table cannot tell: answer all the same (records go to the log the same way), without the key's protection.
      logger.warn('idempotency key not checked: the table failed', errorFacts(error));
      return { result: await invokeEndpoint(rows, deadlines.invoke), idempotency: { key, outcome: 'unchecked' } };
    }
    switch (decision.kind) {
      case 'claimed':
        return { result: await invokeEndpoint(rows, deadlines.invoke), idempotency: { key, outcome: 'executed' }, claim: decision.claim };
      case 'replay':
        return { replay: decision.answer, idempotency: { key, outcome: 'replayed', originalRequestId: decision.originalRequestId } };
      case 'conflict': {
        const error = apiError(
          'IdempotencyConflict',
          `Idempotency-Key was already used with a different request body (request ${decision.originalRequestId}); use a new key for a new request`,
        );
        return { result: { ok: false, error }, idempotency: { key, outcome: 'conflict', originalRequestId: decision.originalRequestId } };
      }
      case 'in-progress': {
        const error = apiError('IdempotencyConflict', 'a request with this Idempotency-Key is still in progress; retry after 1 s', 1);
        return {
          result: { ok: false, error },
          idempotency: { key, outcome: 'in-progress', originalRequestId: decision.originalRequestId },
        };
      }
    }
  }

  /**
   * Keeps the answer under the key when a retry should get it again (a prediction, or the
   * model's refusal of this input); otherwise (a failure worth retrying) gives the key back.
   * A failure here costs the protection, never the answer.
   */
  async function settleKey(outcome: Outcome, response: APIGatewayProxyResult, deadline: number): Promise<void> {
    const { claim } = outcome;
    if (!claim) return;
    try {
      if (!KEPT_STATUSES.has(response.statusCode)) return await keys.release(claim, deadline);
      const kept = await keys.complete(claim, { statusCode: response.statusCode, body: response.body }, deadline);
      if (!kept) logger.warn('answer not kept for replays: too large; the idempotency key was given back');
    } catch (error) {
      logger.warn('idempotency key not settled: the table failed; it frees itself when this function ends', errorFacts(error));
    }
  }

  /** Records the request (what it asked and got, in the payload mode's words): in the table, or else in the log. */
  async function recordRequest(
    outcome: Outcome,
    request: { input?: Buffer; requestId: string; createdAt: string; caller: Caller; latencyMs: number },
    deadlines: Deadlines,
  ): Promise<{ record: InferenceRecord; recorded: 'table' | 'log' }> {
    const { input, requestId, createdAt } = request;
    const answer = answerFacts(outcome);
    // S3 uploads leave the record write at least one attempt.
    const payloads = { requestId, createdAt, deadline: deadlines.record - RECORD_WRITE_TIMEOUT_MS };
    const [inputRecord, outputRecord] = await Promise.all([
      recordPayload(input, 'input', { ...payloads, keepBody: answer.error?.code !== 'PayloadTooLarge' }),
      recordPayload(answer.output, 'output', payloads),
    ]);
    const record = buildInferenceRecord({
      requestId,
      createdAt,
      httpStatus: answer.httpStatus,
      error: answer.error,
      caller: request.caller,
      modelName: config.modelName,
      modelVersion: config.modelVersion,
      endpointName: config.endpointName,
      variant: answer.variant,
      input: inputRecord,
      output: outputRecord,
      latencyMs: request.latencyMs,
      modelLatencyMs: answer.modelLatencyMs,
      ttlDays: config.ttlDays,
      indexShards: config.indexShards,
      idempotency: outcome.idempotency,
    });
    return { record, recorded: await writeRecord(record, deadlines.record) };
  }

  /** Writes the record, or keeps it in the log when the table refuses it (after the retries the time allows). */
  async function writeRecord(record: InferenceRecord, deadline: number): Promise<'table' | 'log'> {
    try {
      await withRetries((abortSignal) => putNewItem(table, config.tableName, record as unknown as Record<string, unknown>, abortSignal), {
        deadline,
        maxAttempts: config.maxAttempts,
        attemptTimeoutMs: RECORD_WRITE_TIMEOUT_MS,
      });
      return 'table';
    } catch (error) {
      logger.error(FALLBACK_MESSAGE, { ...fallbackFields(record), writeError: errorFacts(error) });
      return 'log';
    }
  }

  function responseOf(result: EndpointResult, requestId: string, latencyMs: number): APIGatewayProxyResult {
    if (!result.ok) return errorResponse(result.error, requestId);
    const body = {
      requestId,
      modelName: config.modelName,
      modelVersion: config.modelVersion,
      endpointName: config.endpointName,
      variant: result.variant,
      predictions: result.predictions,
      latencyMs,
    };
    return jsonResponse(200, body, requestId);
  }
}

/**
 * The kept answer, as it was first sent, marked as replayed. Header and body carry the same
 * id: the original request's, whose record holds the prediction. The replay is recorded under
 * its own id (API Gateway's, in `x-amzn-RequestId` and the log's correlation id), pointing back.
 */
function replayResponse(answer: KeptAnswer, originalRequestId: string): APIGatewayProxyResult {
  const response = jsonResponse(answer.statusCode, null, originalRequestId, { [IDEMPOTENT_REPLAYED_HEADER]: 'true' });
  return { ...response, body: answer.body };
}

function answerFacts(outcome: Outcome): AnswerFacts {
  if (outcome.replay) {
    const { statusCode, body } = outcome.replay;
    // Only predictions (200) and the model's refusals (422, ModelRejectedInput) are kept: see KEPT_STATUSES.
    return statusCode === 200
      ? { httpStatus: 200 }
      : { httpStatus: statusCode, error: { code: 'ModelRejectedInput', message: messageOf(body) } };
  }
  const r = outcome.result;
  const fromModel = { variant: r.variant, output: r.body, modelLatencyMs: r.modelLatencyMs };
  return r.ok
    ? { httpStatus: 200, ...fromModel }
    : { httpStatus: r.error.statusCode, error: { code: r.error.kind, message: r.error.message }, ...fromModel };
}

/** The message of a kept error answer (our own JSON). */
function messageOf(body: string): string {
  try {
    return String((JSON.parse(body) as { message?: unknown }).message ?? '');
  } catch {
    return '';
  }
}

function deadlinesOf(startedAt: number, context: Context | undefined): Deadlines {
  const end = startedAt + (context ? context.getRemainingTimeInMillis() : DEFAULT_TIME_MS);
  return { invoke: end - RECORD_BUDGET_MS, record: end - RESPOND_MARGIN_MS, end };
}

function bodyBytes(event: APIGatewayProxyEvent): Buffer | undefined {
  if (!event.body) return undefined;
  // API Gateway base64-encodes bodies of binary media types: the limit is on the decoded bytes.
  return Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
}

/** The one summary line of a request: what its metric filters and queries read. */
function logSummary(logger: Logger, record: InferenceRecord, outcome: Outcome): void {
  logger.info(SUMMARY_MESSAGE, {
    outcome: record.status === 'SUCCESS' ? 'success' : 'error',
    errorKind: record.errorCode,
    statusCode: record.httpStatus,
    latencyMs: record.latencyMs,
    // Absent (not null: Powertools drops empty keys) when the endpoint was not called.
    modelLatencyMs: record.modelLatencyMs,
    modelVersion: record.modelVersion,
    endpointName: record.endpointName,
    variant: record.variant,
    // What became of an Idempotency-Key (never the key itself).
    idempotency: outcome.idempotency?.outcome,
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
