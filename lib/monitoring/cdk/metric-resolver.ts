/**
 * Turns the monitoring's metric refs into CloudWatch metrics: each source names its
 * namespace and the dimensions of one resource of this stage.
 */
import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { MetricRef, MetricSource, SearchRef, SeriesRef } from '../metric-ref';
import { sourceNamespace } from '../sources';
import { MonitoringTargets } from './monitoring-targets';

export class MetricResolver {
  /** The dimensions naming this stage's resource of each source. */
  private readonly dimensions: Readonly<Record<MetricSource, Readonly<Record<string, string>>>>;

  constructor(private readonly targets: MonitoringTargets) {
    const endpoint = { EndpointName: targets.endpointName, VariantName: targets.variantName };
    this.dimensions = {
      api: { ApiName: targets.apiName, Stage: targets.apiStage },
      predictFunction: { FunctionName: targets.predictFunctionName },
      readFunction: { FunctionName: targets.readFunctionName },
      endpoint,
      endpointInstance: endpoint,
      table: { TableName: targets.tableName },
      logs: {},
      // What Powertools' blobs carry (no stage: every stage of an account shares them).
      emf: { service: targets.predictServiceName },
    };
  }

  namespaceOf(source: MetricSource): string {
    return sourceNamespace(source, this.targets.logMetricsNamespace);
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
    return new cloudwatch.Metric({
      namespace: this.namespaceOf(ref.source),
      metricName: ref.metricName,
      dimensionsMap: { ...this.dimensions[ref.source], ...ref.dimensions },
      statistic: ref.stat,
      label: ref.label,
      period,
    });
  }

  /** One line per value of the dimension (an empty label lets CloudWatch name each by its value). */
  private searchExpression(ref: SearchRef, periodSec: number): string {
    return `SEARCH('{"${this.namespaceOf(ref.source)}",${ref.dimensionKey}} MetricName="${ref.metricName}"', '${ref.stat}', ${periodSec})`;
  }
}
