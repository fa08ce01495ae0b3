/**
 * Turns the monitoring's metric refs into CloudWatch metrics: each source names its
 * namespace and the dimensions of one resource of this stage.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE } from '../../../lambda/shared/contract';
import { API_NAMESPACE } from '../api/api-metrics';
import { DYNAMODB_NAMESPACE } from '../dynamodb/dynamodb-metrics';
import { LAMBDA_NAMESPACE } from '../lambda/lambda-metrics';
import { MetricRef, MetricSource, SearchRef, SeriesRef } from '../metric-ref';
import { SAGEMAKER_INSTANCE_NAMESPACE, SAGEMAKER_NAMESPACE } from '../sagemaker/sagemaker-metrics';
import { MonitoringTargets } from './monitoring-targets';

interface SourceDescriptor {
  readonly namespace: string;
  readonly dimensions: Readonly<Record<string, string>>;
}

export class MetricResolver {
  private readonly sources: Readonly<Record<MetricSource, SourceDescriptor>>;

  constructor(targets: MonitoringTargets) {
    const endpoint = { EndpointName: targets.endpointName, VariantName: targets.variantName };
    this.sources = {
      api: { namespace: API_NAMESPACE, dimensions: { ApiName: targets.apiName, Stage: targets.apiStage } },
      predictFunction: { namespace: LAMBDA_NAMESPACE, dimensions: { FunctionName: targets.predictFunctionName } },
      readFunction: { namespace: LAMBDA_NAMESPACE, dimensions: { FunctionName: targets.readFunctionName } },
      endpoint: { namespace: SAGEMAKER_NAMESPACE, dimensions: endpoint },
      endpointInstance: { namespace: SAGEMAKER_INSTANCE_NAMESPACE, dimensions: endpoint },
      table: { namespace: DYNAMODB_NAMESPACE, dimensions: { TableName: targets.tableName } },
      logs: { namespace: targets.logMetricsNamespace, dimensions: {} },
      // Powertools' cold-start blob carries the function's name beside the service.
      emf: { namespace: METRICS_NAMESPACE, dimensions: { service: targets.predictServiceName, function_name: targets.predictFunctionName } },
    };
  }

  namespaceOf(source: MetricSource): string {
    return this.sources[source].namespace;
  }

  /** A chart or alarm metric over `periodSec` seconds. */
  resolve(ref: SeriesRef, periodSec = 60): cloudwatch.IMetric {
    const period = Duration.seconds(periodSec);
    switch (ref.kind) {
      case 'metric':
        return this.metric(ref, period);
      case 'math':
        return new cloudwatch.MathExpression({
          expression: ref.expression,
          usingMetrics: Object.fromEntries(Object.entries(ref.using).map(([id, m]) => [id, this.metric(m, period)])),
          label: ref.label,
          period,
        });
      case 'search':
        return new cloudwatch.MathExpression({ expression: this.searchExpression(ref, periodSec), label: '', period, usingMetrics: {} });
    }
  }

  private metric(ref: MetricRef, period: Duration): cloudwatch.Metric {
    const source = this.sources[ref.source];
    return new cloudwatch.Metric({
      namespace: source.namespace,
      metricName: ref.metricName,
      dimensionsMap: { ...source.dimensions, ...ref.dimensions },
      statistic: ref.stat,
      label: ref.label,
      period,
    });
  }

  /** One line per value of the dimension (an empty label lets CloudWatch name each by its value). */
  private searchExpression(ref: SearchRef, periodSec: number): string {
    const namespace = this.sources[ref.source].namespace;
    return `SEARCH('{"${namespace}",${ref.dimensionKey}} MetricName="${ref.metricName}"', '${ref.stat}', ${periodSec})`;
  }
}
