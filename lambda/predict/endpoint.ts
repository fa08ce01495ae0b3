/**
 * The call to the SageMaker endpoint, and what each way it can fail means to the client.
 *
 * | what the SDK reports                               | answer                      |
 * | -------------------------------------------------- | --------------------------- |
 * | ModelError, container answered 4xx                 | 422 ModelRejectedInput      |
 * | ModelError, container answered 5xx (or no status)  | 502 ModelError              |
 * | ThrottlingException, ServiceUnavailable, HTTP 429  | 503 EndpointThrottled       |
 * | ModelNotReadyException (also HTTP 429: test first) | 503 ModelNotReady           |
 * | ValidationError "Endpoint ... not found"           | 503 EndpointNotFound        |
 * | request timeout (per attempt)                      | 504 EndpointTimeout         |
 * | the request's deadline reached (retries included)  | 504 EndpointTimeout         |
 * | a 200 whose body is not JSON                       | 502 ModelError              |
 * | anything else                                      | 500 InternalError           |
 *
 * Messages are ours: SageMaker's own quote the account, log stream ARNs and the
 * container's message (which may echo the input).
 *
 * Throttling and transient failures are retried (shared/retry.ts) while they can end
 * before the deadline the handler gives: the time left minus the record budget.
 */
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { ErrorKind } from '../../contract/handlers';
import type { PredictConfig } from '../shared/env';
import { ApiError, apiError, INTERNAL_ERROR_MESSAGE } from '../shared/http';
import { withRetries } from '../shared/retry';

/** Seconds a throttled client is asked to wait (Retry-After). */
export const THROTTLE_RETRY_AFTER_SEC = 1;

export type EndpointResult =
  | {
      readonly ok: true;
      /** The body as the model returned it (recorded as the output payload). */
      readonly body: Buffer;
      readonly predictions: unknown;
      readonly variant?: string;
      readonly modelLatencyMs: number;
    }
  | {
      readonly ok: false;
      readonly error: ApiError<ErrorKind>;
      /** What the SDK threw, for the log (never for the client). */
      readonly cause?: unknown;
      readonly body?: Buffer;
      readonly variant?: string;
      readonly modelLatencyMs?: number;
    };

/** Calls the endpoint with the rows; every attempt, retries included, ends by `deadline` (epoch ms). */
export type EndpointInvoker = (rows: number[][], deadline: number) => Promise<EndpointResult>;

export function createEndpointInvoker(config: PredictConfig): EndpointInvoker {
  const client = new SageMakerRuntimeClient({
    // One attempt per send: withRetries makes the others, within the request's time.
    maxAttempts: 1,
    requestHandler: {
      // requestTimeout bounds each attempt up to the response headers; without
      // throwOnRequestTimeout the handler would only warn. socketTimeout bounds a body
      // that stalls after the headers.
      requestTimeout: config.invokeTimeoutMs,
      throwOnRequestTimeout: true,
      socketTimeout: config.invokeTimeoutMs,
      connectionTimeout: Math.min(config.invokeTimeoutMs, 3_000),
    },
  });

  return async function invokeEndpoint(rows, deadline) {
    const started = performance.now();
    const command = new InvokeEndpointCommand({
      EndpointName: config.endpointName,
      ContentType: config.contentType,
      Accept: 'application/json',
      Body: Buffer.from(encodeRows(rows, config.contentType), 'utf8'),
    });
    let response;
    try {
      response = await withRetries((abortSignal) => client.send(command, { abortSignal }), {
        deadline,
        maxAttempts: config.maxAttempts,
        attemptTimeoutMs: config.invokeTimeoutMs,
      });
    } catch (error) {
      return { ok: false, error: classifyEndpointError(error, config), cause: error, modelLatencyMs: elapsedMs(started) };
    }
    const modelLatencyMs = elapsedMs(started);
    const body = Buffer.from(response.Body ?? new Uint8Array());
    const variant = response.InvokedProductionVariant;
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      const error = apiError('ModelError', 'the model answered with a body that is not JSON');
      return { ok: false, error, body, variant, modelLatencyMs };
    }
    return { ok: true, body, predictions: predictionsOf(parsed), variant, modelLatencyMs };
  };
}

/** The body the endpoint receives: `{"instances": rows}`, or one CSV line per row. */
export function encodeRows(rows: number[][], contentType: PredictConfig['contentType']): string {
  return contentType === 'text/csv' ? rows.map((row) => row.join(',')).join('\n') : JSON.stringify({ instances: rows });
}

/** Models following the TensorFlow-serving convention answer `{"predictions": [...]}`; others are passed as they are. */
function predictionsOf(parsed: unknown): unknown {
  if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) && 'predictions' in parsed) {
    return (parsed as { predictions: unknown }).predictions;
  }
  return parsed;
}

export function classifyEndpointError(
  error: unknown,
  config: Pick<PredictConfig, 'endpointName' | 'invokeTimeoutMs'>,
): ApiError<ErrorKind> {
  const e = (error ?? {}) as {
    name?: string;
    code?: string;
    message?: string;
    OriginalStatusCode?: number;
    $metadata?: { httpStatusCode?: number };
  };
  const httpStatus = e.$metadata?.httpStatusCode;

  if (e.name === 'ModelError') {
    const original = Number(e.OriginalStatusCode);
    return original >= 400 && original < 500
      ? apiError('ModelRejectedInput', `the model rejected the input (status ${original} from the model container)`)
      : apiError('ModelError', `the model failed to produce a prediction (status ${original || 'unknown'} from the model container)`);
  }
  // ModelNotReadyException is an HTTP 429 too: it must be told apart before the throttling rule.
  if (e.name === 'ModelNotReadyException') {
    return apiError('ModelNotReady', 'the model is not ready to serve requests yet; retry later');
  }
  if (e.name === 'ThrottlingException' || e.name === 'ServiceUnavailable' || httpStatus === 429) {
    return apiError('EndpointThrottled', `the model endpoint is busy; retry after ${THROTTLE_RETRY_AFTER_SEC} s`, THROTTLE_RETRY_AFTER_SEC);
  }
  if (e.name === 'TimeoutError' || e.name === 'RequestTimeout' || e.code === 'ETIMEDOUT') {
    return apiError('EndpointTimeout', `the model endpoint did not answer within ${config.invokeTimeoutMs} ms`);
  }
  // Aborted at the deadline (shared/retry.ts), or no time left to start.
  if (e.name === 'AbortError' || e.name === 'DeadlineExceeded') {
    return apiError('EndpointTimeout', 'the model endpoint did not answer in the time this request had left');
  }
  if (e.name === 'ValidationError' && /endpoint .* not found/i.test(e.message ?? '')) {
    return apiError('EndpointNotFound', `the model endpoint ${config.endpointName} was not found`);
  }
  return apiError('InternalError', INTERNAL_ERROR_MESSAGE);
}

function elapsedMs(started: number): number {
  return Math.round(performance.now() - started);
}
