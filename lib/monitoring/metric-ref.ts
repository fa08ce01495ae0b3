/**
 * Metrics named by what they measure, as plain data: a source (which part of the
 * pipeline), a metric name, a statistic and a label. The alarm catalog, the dashboard
 * layout, the alarm docs and the local dashboard all read these; only the CDK side
 * (`cdk/metric-resolver.ts`) turns a source into a namespace and resource dimensions.
 */

/** Where a metric comes from. Each source has its factory beside the code that uses it. */
export type MetricSource =
  | 'api' // AWS/ApiGateway, the REST API's stage
  | 'predictFunction' // AWS/Lambda
  | 'readFunction'
  | 'endpoint' // AWS/SageMaker, the endpoint's variant
  | 'endpointInstance' // /aws/sagemaker/Endpoints (instance capacity only)
  | 'table' // AWS/DynamoDB
  | 'logs' // the metric filters' metrics, in the stage's own namespace
  | 'emf'; // what the handler publishes itself through Powertools (EMF)

/** How a value reads on a chart or in the docs. */
export type DisplayUnit = 'count' | 'ratio' | 'ms' | 'µs' | '%';

export interface MetricRef {
  readonly kind: 'metric';
  readonly source: MetricSource;
  readonly metricName: string;
  /** CloudWatch statistic: Sum, Average, Maximum, SampleCount or pNN. */
  readonly stat: string;
  readonly label: string;
  readonly unit: DisplayUnit;
  /** Dimensions beyond the source's own (an operation, an error kind). */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** A metric-math expression over named metrics (ids are lowercase letters). */
export interface MathRef {
  readonly kind: 'math';
  readonly expression: string;
  readonly using: Readonly<Record<string, MetricRef>>;
  readonly label: string;
  readonly unit: DisplayUnit;
}

/** Every series of a metric, one per value of a dimension (a SEARCH expression in CloudWatch). */
export interface SearchRef {
  readonly kind: 'search';
  readonly source: 'logs' | 'emf';
  readonly metricName: string;
  readonly dimensionKey: string;
  readonly stat: string;
  readonly label: string;
  readonly unit: DisplayUnit;
}

/** What an alarm can watch. */
export type SignalRef = MetricRef | MathRef;
/** What a chart can draw. */
export type SeriesRef = MetricRef | MathRef | SearchRef;

export function metric(
  source: MetricSource,
  metricName: string,
  stat: string,
  label: string,
  unit: DisplayUnit,
  dimensions?: Record<string, string>,
): MetricRef {
  return { kind: 'metric', source, metricName, stat, label, unit, ...(dimensions ? { dimensions } : {}) };
}

export function math(expression: string, using: Record<string, MetricRef>, label: string, unit: DisplayUnit): MathRef {
  for (const id of Object.keys(using)) {
    if (!/^[a-z][a-z0-9_]*$/.test(id)) throw new Error(`metric id '${id}' must start with a lowercase letter`);
  }
  return { kind: 'math', expression, using, label, unit };
}

/** The metrics a series reads, for walking a layout or a catalog. */
export function metricsOf(ref: SeriesRef): MetricRef[] {
  switch (ref.kind) {
    case 'metric':
      return [ref];
    case 'math':
      return Object.values(ref.using);
    case 'search':
      return [];
  }
}
