/**
 * Retries of AWS calls, bounded by the time the request has left.
 *
 * The SDK clients of the functions make one attempt per call (`maxAttempts: 1`); this loop
 * makes the others, because only here is the request's deadline known: the SDK's own retry
 * strategy backs off just as well but would happily start an attempt that cannot end before
 * Lambda stops the function (or before the record phase needs the time).
 *
 * - What is retried: throttling (429, ThrottlingException, ProvisionedThroughputExceeded,
 *   SlowDown, ...) and transient failures (5xx of the service, an attempt that timed out,
 *   a dropped connection). Everything else — a condition that failed, a validation error, a
 *   ModelError — fails at once: trying again gives the same answer.
 * - Backoff: "full jitter", a random delay from 0 to min(cap, base x 2^attempt), so that
 *   many clients throttled at once do not come back at once.
 * - Deadline: a retry starts only if its delay plus one whole attempt (the client's own
 *   per-attempt timeout) fits before the deadline; any attempt is also aborted at the
 *   deadline. A call therefore never outlives its deadline.
 */

export interface RetryBudget {
  /** Epoch milliseconds by which the call, retries included, must have ended. */
  readonly deadline: number;
  /** Attempts at most, the first included. */
  readonly maxAttempts: number;
  /** The longest one attempt may take (the client's own timeout). */
  readonly attemptTimeoutMs: number;
}

export interface RetryOptions {
  /** @default Math.random */
  readonly random?: () => number;
  /** Called before each retry's delay (tests and logs). */
  readonly onRetry?: (facts: { attempt: number; delayMs: number; errorName: string }) => void;
}

/** First retry waits up to 2 x BASE; no wait is longer than CAP. */
export const BACKOFF_BASE_MS = 50;
export const BACKOFF_CAP_MS = 1_000;

/** Thrown instead of starting an attempt when the deadline has already passed. */
export class DeadlineExceeded extends Error {
  constructor() {
    super('the deadline of the request passed before the call could start');
    this.name = 'DeadlineExceeded';
  }
}

/**
 * Runs `call` until it succeeds, fails for good, runs out of attempts or out of time. The
 * error finally thrown is the last attempt's, with `$metadata.attempts` counting them all.
 */
export async function withRetries<T>(
  call: (abortSignal: AbortSignal) => Promise<T>,
  budget: RetryBudget,
  options: RetryOptions = {},
): Promise<T> {
  const random = options.random ?? Math.random;
  for (let attempt = 1; ; attempt++) {
    const left = budget.deadline - Date.now();
    if (left <= 0) throw withAttempts(new DeadlineExceeded(), attempt - 1);
    try {
      return await call(AbortSignal.timeout(left));
    } catch (error) {
      const delayMs = backoffDelay(attempt, random);
      const fits = Date.now() + delayMs + budget.attemptTimeoutMs <= budget.deadline;
      if (attempt >= budget.maxAttempts || !isRetryable(error) || !fits) throw withAttempts(error, attempt);
      options.onRetry?.({ attempt, delayMs, errorName: nameOf(error) });
      await sleep(delayMs);
    }
  }
}

/** Full jitter: uniform in [0, min(CAP, BASE x 2^attempt)). */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt));
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
  'SlowDown',
  'PriorRequestNotComplete',
  'TransactionInProgressException',
]);
const TRANSIENT = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ServiceUnavailable',
  'InternalServerError',
  'InternalFailure',
  'InternalError',
]);
const NETWORK = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN']);

/** Throttling or a transient failure: worth another attempt. */
export function isRetryable(error: unknown): boolean {
  const e = (error ?? {}) as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  const name = e.name ?? '';
  // An endpoint that is not ready stays so for minutes (an update, a scale-up from zero): no use in retrying within a request.
  if (name === 'ModelNotReadyException') return false;
  // An attempt aborted at the deadline: there is no time left for another.
  if (name === 'AbortError' || name === 'DeadlineExceeded') return false;
  if (THROTTLING.has(name) || TRANSIENT.has(name) || NETWORK.has(e.code ?? '')) return true;
  const status = e.$metadata?.httpStatusCode;
  if (status === 429 || status === 500 || status === 502 || status === 503 || status === 504) return true;
  return Boolean(e.$retryable);
}

/** How the last attempt's error reports the whole call, as the SDK's own retries do. */
function withAttempts(error: unknown, attempts: number): unknown {
  if (typeof error === 'object' && error !== null) {
    const e = error as { $metadata?: Record<string, unknown> };
    e.$metadata = { ...e.$metadata, attempts };
  }
  return error;
}

function nameOf(error: unknown): string {
  return typeof (error as { name?: unknown })?.name === 'string' ? (error as { name: string }).name : typeof error;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
