/**
 * One Powertools Logger and Metrics per function, built at module scope (cheap: they read
 * the environment and nothing else) and prepared anew at the start of each invocation.
 * The service name comes from POWERTOOLS_SERVICE_NAME, the namespace from
 * POWERTOOLS_METRICS_NAMESPACE or else the pipeline's own.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import type { Context } from 'aws-lambda';
import { METRICS_NAMESPACE } from '../../contract/handlers';

export { MetricUnit } from '@aws-lambda-powertools/metrics';
export type { Logger } from '@aws-lambda-powertools/logger';
export type { Metrics } from '@aws-lambda-powertools/metrics';

export function createLogger(): Logger {
  return new Logger();
}

export function createMetrics(): Metrics {
  return new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE });
}

/**
 * Clears what the previous invocation of this execution environment left in the logger
 * and tags every line of this one with the Lambda context and the correlation id.
 */
export function beginInvocation(logger: Logger, context: Context | undefined, correlationId: string): void {
  logger.resetKeys();
  if (context) logger.addContext(context);
  logger.setCorrelationId(correlationId);
}

/** What is safe to log of an error: its name and HTTP facts, never its message (which may quote a payload). */
export function errorFacts(error: unknown): Record<string, unknown> {
  const e = (error ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: number; attempts?: number } };
  return {
    errorName: typeof e.name === 'string' ? e.name : typeof error,
    httpStatusCode: e.$metadata?.httpStatusCode,
    attempts: e.$metadata?.attempts,
  };
}
