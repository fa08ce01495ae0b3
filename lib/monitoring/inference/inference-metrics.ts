/**
 * The handler's own signals: the metric filters' metrics (source `logs`, one namespace per
 * stage, see metric-filters.ts) and the cold starts Powertools publishes itself (source
 * `emf`, whose only dimension is `service`).
 */
import { ERROR_KIND_DIMENSION, METRIC_NAMES } from '../../../contract/handlers';
import { LOG_METRIC_NAMES } from '../metric-filters';
import { MathRef, MetricRef, SearchRef, math, metric } from '../metric-ref';

export const handlerMetrics = {
  inferences: (): MetricRef => metric('logs', LOG_METRIC_NAMES.inferences, 'Sum', 'Inferences', 'count'),
  serverErrors: (): MetricRef => metric('logs', LOG_METRIC_NAMES.serverErrors, 'Sum', 'Server errors (5xx)', 'count'),
  /** A period without server errors has no datapoint (no default value), hence FILL. */
  serverErrorRate: (): MathRef =>
    math(
      'FILL(errors, 0) / requests',
      { errors: handlerMetrics.serverErrors(), requests: handlerMetrics.inferences() },
      'Server error rate',
      'ratio',
    ),
  errorsByKind: (): SearchRef => ({
    kind: 'search',
    source: 'logs',
    metricName: LOG_METRIC_NAMES.errors,
    dimensionKey: ERROR_KIND_DIMENSION,
    stat: 'Sum',
    label: 'Errors by kind',
    unit: 'count',
  }),
  latency: (stat: string): MetricRef => metric('logs', LOG_METRIC_NAMES.latency, stat, `Handler latency ${stat}`, 'ms'),
  modelLatency: (stat: string): MetricRef => metric('logs', LOG_METRIC_NAMES.modelLatency, stat, `Model call ${stat}`, 'ms'),
  recordFallbacks: (): MetricRef => metric('logs', LOG_METRIC_NAMES.recordFallbacks, 'Sum', 'Records kept in log', 'count'),
  predictTimeouts: (): MetricRef => metric('logs', LOG_METRIC_NAMES.predictTimeouts, 'Sum', 'predict timeouts', 'count'),
  predictRuntimeExits: (): MetricRef => metric('logs', LOG_METRIC_NAMES.predictRuntimeExits, 'Sum', 'predict runtime exits', 'count'),
  readTimeouts: (): MetricRef => metric('logs', LOG_METRIC_NAMES.readTimeouts, 'Sum', 'read timeouts', 'count'),
  readRuntimeExits: (): MetricRef => metric('logs', LOG_METRIC_NAMES.readRuntimeExits, 'Sum', 'read runtime exits', 'count'),
  containerErrors: (): MetricRef => metric('logs', LOG_METRIC_NAMES.containerErrors, 'Sum', 'Container errors', 'count'),
  coldStarts: (): MetricRef =>
    metric('logs', LOG_METRIC_NAMES.predictInitDuration, 'SampleCount', 'Cold starts (platform report)', 'count'),
  initDuration: (stat: string): MetricRef => metric('logs', LOG_METRIC_NAMES.predictInitDuration, stat, `predict init ${stat}`, 'ms'),
  /** Powertools' own count; its only dimension is the service, shared by every stage of an account. */
  powertoolsColdStarts: (): MetricRef => metric('emf', METRIC_NAMES.coldStart, 'Sum', 'ColdStart (Powertools EMF)', 'count'),
};
