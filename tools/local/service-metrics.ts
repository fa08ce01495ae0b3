/**
 * The AWS services' own metrics, as the local parts standing in for them emit them: the
 * same metric names, dimensions and units as in CloudWatch, so the alarms and widgets that
 * read them in AWS read them locally too.
 *
 * - AWS/ApiGateway: Count, 4XXError, 5XXError (Count), Latency, IntegrationLatency (Milliseconds);
 *   dimensions ApiName, Stage. https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html
 * - AWS/Lambda: Invocations, Errors, Throttles, ConcurrentExecutions (Count), Duration
 *   (Milliseconds); dimension FunctionName. https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
 * - AWS/SageMaker: Invocations, Invocation4XXErrors, Invocation5XXErrors (None), ModelLatency,
 *   OverheadLatency (Microseconds); dimensions EndpointName, VariantName.
 *   https://docs.aws.amazon.com/sagemaker/latest/dg/monitoring-cloudwatch.html
 * - AWS/DynamoDB: SuccessfulRequestLatency (Milliseconds), ThrottledRequests, SystemErrors,
 *   ConsumedRead/WriteCapacityUnits (Count); dimensions TableName, Operation.
 *   https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
 */
import type { MetricSource } from '../../lib/monitoring/metric-ref';

export type ServiceSource = Extract<MetricSource, 'api' | 'predictFunction' | 'readFunction' | 'endpoint' | 'table'>;
export type CloudWatchUnit = 'Count' | 'None' | 'Milliseconds' | 'Microseconds';

export const SERVICE_NAMESPACES: Readonly<Record<ServiceSource, string>> = {
  api: 'AWS/ApiGateway',
  predictFunction: 'AWS/Lambda',
  readFunction: 'AWS/Lambda',
  endpoint: 'AWS/SageMaker',
  table: 'AWS/DynamoDB',
};

export interface ServiceMetrics {
  emit(source: ServiceSource, metricName: string, value: number, unit: CloudWatchUnit, dimensions: Record<string, string>): void;
}

export interface ServiceDatum {
  readonly namespace: string;
  readonly source: ServiceSource;
  readonly metricName: string;
  readonly value: number;
  readonly unit: CloudWatchUnit;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly t: number;
}

/** Fans each datum out to the dashboard's collector and to whoever records them (the run's log). */
export function serviceMetrics(sinks: Array<(datum: ServiceDatum) => void>, now: () => number = Date.now): ServiceMetrics {
  return {
    emit(source, metricName, value, unit, dimensions) {
      if (!Number.isFinite(value)) return;
      const datum = { namespace: SERVICE_NAMESPACES[source], source, metricName, value, unit, dimensions, t: now() };
      for (const sink of sinks) sink(datum);
    },
  };
}
