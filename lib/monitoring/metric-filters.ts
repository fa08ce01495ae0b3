/**
 * The metric filters, as data: which log group, which lines (a JSON pattern), which
 * metric and value. The monitoring stack turns each into an AWS::Logs::MetricFilter, the
 * tests run each pattern against the lines the handler really prints, and the local
 * dashboard computes the same metrics from the local run's lines.
 *
 * Two kinds of signal live here:
 * - the handler's own (summary and fallback lines): counted from logs so that they are
 *   scoped to the stage (the metrics namespace below carries the stage prefix);
 * - log-only signals the code cannot emit because the function dies first: Lambda
 *   timeouts and runtime exits (out of memory included) from the JSON platform report,
 *   and errors the model container logs.
 */
import { ERROR_KIND_DIMENSION, FALLBACK_MESSAGE, METRIC_NAMES, METRICS_NAMESPACE, SUMMARY_MESSAGE } from '../../contract/handlers';
import { parseFilterPattern, parseJsonObject, selectValue, selectorPath } from './filter-pattern';

/** The log groups the filters read. */
export type LogSource = 'predictFunction' | 'readFunction' | 'endpoint';

export interface MetricFilterDefinition {
  /** Stable construct id, also the key of the local dashboard's series. */
  readonly id: string;
  readonly logGroup: LogSource;
  /** What one matching line means. */
  readonly description: string;
  readonly pattern: string;
  readonly metricName: string;
  /** `1` to count lines, or `$.field` to publish the field's value. */
  readonly metricValue: string;
  readonly unit: 'Count' | 'Milliseconds';
  /** Dimension name -> `$.field`; at most 3, each of low cardinality. */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Names of the metrics the filters publish (in `logMetricsNamespace`). */
export const LOG_METRIC_NAMES = {
  inferences: METRIC_NAMES.inferences,
  errors: METRIC_NAMES.errors,
  serverErrors: 'InferenceServerErrors',
  latency: METRIC_NAMES.latency,
  modelLatency: METRIC_NAMES.modelLatency,
  recordFallbacks: METRIC_NAMES.recordFallbacks,
  predictTimeouts: 'PredictFunctionTimeouts',
  predictRuntimeExits: 'PredictFunctionRuntimeExits',
  predictInitDuration: 'PredictFunctionInitDuration',
  readTimeouts: 'ReadFunctionTimeouts',
  readRuntimeExits: 'ReadFunctionRuntimeExits',
  containerErrors: 'EndpointContainerErrors',
} as const;

/**
 * One namespace per stage: the filters' metrics of two stages in one account stay apart
 * (filter dimensions can only come from log fields, so the stage cannot be a dimension).
 */
export function logMetricsNamespace(resourcePrefix: string): string {
  return `${METRICS_NAMESPACE}/${resourcePrefix}`;
}

const SUMMARY = `$.message = "${SUMMARY_MESSAGE}"`;
const REPORT = '$.type = "platform.report"';

/** Timeouts and runtime exits of one function, from Lambda's JSON platform report. */
function platformFilters(logGroup: 'predictFunction' | 'readFunction'): MetricFilterDefinition[] {
  const [fn, timeouts, exits] =
    logGroup === 'predictFunction'
      ? ['Predict', LOG_METRIC_NAMES.predictTimeouts, LOG_METRIC_NAMES.predictRuntimeExits]
      : ['Read', LOG_METRIC_NAMES.readTimeouts, LOG_METRIC_NAMES.readRuntimeExits];
  return [
    {
      id: `${fn}Timeouts`,
      logGroup,
      description: 'an invocation Lambda stopped at the function timeout',
      pattern: `{ ${REPORT} && $.record.status = "timeout" }`,
      metricName: timeouts,
      metricValue: '1',
      unit: 'Count',
    },
    {
      id: `${fn}RuntimeExits`,
      logGroup,
      description: 'an invocation whose runtime process died (out of memory is errorType Runtime.OutOfMemory)',
      pattern: `{ ${REPORT} && $.record.status = "error" }`,
      metricName: exits,
      metricValue: '1',
      unit: 'Count',
    },
  ];
}

export const METRIC_FILTERS: readonly MetricFilterDefinition[] = [
  {
    id: 'Inferences',
    logGroup: 'predictFunction',
    description: 'a prediction request, whatever its outcome (its summary line)',
    pattern: `{ ${SUMMARY} }`,
    metricName: LOG_METRIC_NAMES.inferences,
    metricValue: '1',
    unit: 'Count',
  },
  {
    id: 'InferenceErrors',
    logGroup: 'predictFunction',
    description: 'a failed prediction request, by error kind (11 kinds: low cardinality)',
    pattern: `{ ${SUMMARY} && $.outcome = "error" }`,
    metricName: LOG_METRIC_NAMES.errors,
    metricValue: '1',
    unit: 'Count',
    dimensions: { [ERROR_KIND_DIMENSION]: '$.errorKind' },
  },
  {
    id: 'InferenceServerErrors',
    logGroup: 'predictFunction',
    description: 'a prediction request the pipeline failed (status 500 and above), not the client',
    pattern: `{ ${SUMMARY} && $.outcome = "error" && $.statusCode >= 500 }`,
    metricName: LOG_METRIC_NAMES.serverErrors,
    metricValue: '1',
    unit: 'Count',
  },
  {
    id: 'InferenceLatency',
    logGroup: 'predictFunction',
    description: 'time from request to answer inside the function, in milliseconds',
    pattern: `{ ${SUMMARY} && $.latencyMs = * }`,
    metricName: LOG_METRIC_NAMES.latency,
    metricValue: '$.latencyMs',
    unit: 'Milliseconds',
  },
  {
    id: 'InferenceModelLatency',
    logGroup: 'predictFunction',
    description: 'time the endpoint call took as the handler saw it, in milliseconds (absent when the endpoint was not called)',
    pattern: `{ ${SUMMARY} && $.modelLatencyMs = * }`,
    metricName: LOG_METRIC_NAMES.modelLatency,
    metricValue: '$.modelLatencyMs',
    unit: 'Milliseconds',
  },
  {
    id: 'RecordWriteFallbacks',
    logGroup: 'predictFunction',
    description: 'a record the table refused, kept whole in the log for a backfill',
    pattern: `{ $.level = "ERROR" && $.message = "${FALLBACK_MESSAGE}" }`,
    metricName: LOG_METRIC_NAMES.recordFallbacks,
    metricValue: '1',
    unit: 'Count',
  },
  ...platformFilters('predictFunction'),
  {
    id: 'PredictColdStarts',
    logGroup: 'predictFunction',
    // Stage-scoped, unlike Powertools' ColdStart (whose only dimension is the service name).
    description: 'a cold start of the prediction function: the report carries the init duration (its SampleCount counts cold starts)',
    pattern: `{ ${REPORT} && $.record.metrics.initDurationMs = * }`,
    metricName: LOG_METRIC_NAMES.predictInitDuration,
    metricValue: '$.record.metrics.initDurationMs',
    unit: 'Milliseconds',
  },
  ...platformFilters('readFunction'),
  {
    id: 'EndpointContainerErrors',
    logGroup: 'endpoint',
    description: 'an error the model container logged (its lines are JSON with a level field)',
    pattern: '{ $.level = "ERROR" }',
    metricName: LOG_METRIC_NAMES.containerErrors,
    metricValue: '1',
    unit: 'Count',
  },
];

export function metricFilter(id: string): MetricFilterDefinition {
  const found = METRIC_FILTERS.find((f) => f.id === id);
  if (!found) throw new Error(`unknown metric filter '${id}'`);
  return found;
}

/** CloudWatch's limits and rules for one filter; throws listing every problem. */
export function validateMetricFilter(def: MetricFilterDefinition): void {
  const problems: string[] = [];
  let selectors: readonly string[] = [];
  try {
    selectors = parseFilterPattern(def.pattern).selectors;
  } catch (error) {
    problems.push((error as Error).message);
  }
  if (def.pattern.length > 1024) problems.push('pattern is longer than 1024 characters');
  if (def.metricValue.startsWith('$')) {
    selectorPath(def.metricValue);
    // CloudWatch publishes a field's value only if the pattern names that field.
    if (!selectors.includes(def.metricValue))
      problems.push(`metric value ${def.metricValue} must appear in the pattern (for example ${def.metricValue} = *)`);
  } else if (!/^\d+(\.\d+)?$/.test(def.metricValue)) {
    problems.push(`metric value must be a number or a $.field selector, got '${def.metricValue}'`);
  }
  const dimensions = Object.entries(def.dimensions ?? {});
  if (dimensions.length > 3) problems.push(`at most 3 dimensions are allowed, got ${dimensions.length}`);
  for (const [name, selector] of dimensions) {
    if (!selector.startsWith('$.')) problems.push(`dimension ${name} must take its value from a $.field, got '${selector}'`);
    else selectorPath(selector);
  }
  if (problems.length > 0) throw new Error(`metric filter ${def.id}: ${problems.join('; ')}`);
}

/** One datum a filter publishes for a line. */
export interface FilterDatum {
  readonly value: number;
  readonly dimensions: Readonly<Record<string, string>>;
}

/**
 * What the filter publishes for one log line, as CloudWatch would: nothing when the line
 * does not match or its value field is not a number; a dimension whose field is absent
 * is left out.
 */
export function applyMetricFilter(def: MetricFilterDefinition, line: string): FilterDatum | undefined {
  const event = parseJsonObject(line);
  if (!event || !compiled(def).matchesEvent(event)) return undefined;
  const value = def.metricValue.startsWith('$') ? selectValue(event, def.metricValue) : Number(def.metricValue);
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const dimensions: Record<string, string> = {};
  for (const [name, selector] of Object.entries(def.dimensions ?? {})) {
    const v = selectValue(event, selector);
    if (typeof v === 'string' || typeof v === 'number') dimensions[name] = String(v);
  }
  return { value, dimensions };
}

const cache = new Map<string, ReturnType<typeof parseFilterPattern>>();
function compiled(def: MetricFilterDefinition): ReturnType<typeof parseFilterPattern> {
  let pattern = cache.get(def.pattern);
  if (!pattern) {
    pattern = parseFilterPattern(def.pattern);
    cache.set(def.pattern, pattern);
  }
  return pattern;
}
