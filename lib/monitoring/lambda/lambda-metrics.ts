/** AWS/Lambda metrics of one of the pipeline's functions. */
import { MetricRef, metric } from '../metric-ref';

export const LAMBDA_NAMESPACE = 'AWS/Lambda';

export type FunctionSource = 'predictFunction' | 'readFunction';

export function lambdaMetrics(fn: FunctionSource) {
  const name = fn === 'predictFunction' ? 'predict' : 'read';
  return {
    invocations: (): MetricRef => metric(fn, 'Invocations', 'Sum', `${name} invocations`, 'count'),
    errors: (): MetricRef => metric(fn, 'Errors', 'Sum', `${name} errors`, 'count'),
    throttles: (): MetricRef => metric(fn, 'Throttles', 'Sum', `${name} throttles`, 'count'),
    duration: (stat: string): MetricRef => metric(fn, 'Duration', stat, `${name} duration ${stat}`, 'ms'),
    concurrentExecutions: (): MetricRef => metric(fn, 'ConcurrentExecutions', 'Maximum', `${name} concurrency`, 'count'),
  };
}
