/**
 * Reading a synthesized monitoring template: alarms by name, an alarm's metrics in one
 * flat shape, the members of a composite alarm's rule, and token-bearing strings (the
 * dashboard body, the alarm rules) flattened to plain text with `<Ref X>` / `<GetAtt X>`.
 */
import { Template } from 'aws-cdk-lib/assertions';

export type Props = Record<string, any>;

export interface AlarmMetric {
  readonly id?: string;
  readonly expression?: string;
  readonly namespace?: string;
  readonly metricName?: string;
  readonly dimensions?: Record<string, unknown>;
  readonly stat?: string;
  readonly period?: number;
  readonly returnData?: boolean;
}

/** Every alarm and composite alarm, by its (literal) AlarmName, with its resource type and logical id. */
export function alarmsByName(template: Template): Map<string, { type: string; logicalId: string; props: Props }> {
  const out = new Map<string, { type: string; logicalId: string; props: Props }>();
  for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
    for (const [logicalId, resource] of Object.entries(template.findResources(type))) {
      out.set(resource.Properties.AlarmName, { type, logicalId, props: resource.Properties });
    }
  }
  return out;
}

/** An alarm's metrics, whether it has one metric or a metric-math `Metrics` list. */
export function alarmMetrics(props: Props): AlarmMetric[] {
  const dims = (list: Array<{ Name: string; Value: unknown }> = []) => Object.fromEntries(list.map((d) => [d.Name, d.Value]));
  if (!props.Metrics) {
    return [
      {
        namespace: props.Namespace,
        metricName: props.MetricName,
        dimensions: dims(props.Dimensions),
        stat: props.ExtendedStatistic ?? props.Statistic,
        period: props.Period,
      },
    ];
  }
  return props.Metrics.map((m: Props) => ({
    id: m.Id,
    expression: m.Expression,
    returnData: m.ReturnData,
    ...(m.MetricStat
      ? {
          namespace: m.MetricStat.Metric.Namespace,
          metricName: m.MetricStat.Metric.MetricName,
          dimensions: dims(m.MetricStat.Metric.Dimensions),
          stat: m.MetricStat.Stat,
          period: m.MetricStat.Period,
        }
      : {}),
  }));
}

/** A string built with Fn::Join, as text; tokens become `<Ref X>` and `<GetAtt X>`. */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  const v = value as Props;
  if (v['Fn::Join']) return (v['Fn::Join'][1] as unknown[]).map(flatten).join(v['Fn::Join'][0]);
  if (v.Ref) return `<Ref ${v.Ref}>`;
  if (v['Fn::GetAtt']) return `<GetAtt ${v['Fn::GetAtt'][0]}>`;
  throw new Error(`cannot flatten ${JSON.stringify(value)}`);
}

/** What a composite rule's ALARM(...) terms name: `<GetAtt LogicalId>` or an alarm name from an ARN. */
export function compositeMembers(rule: unknown): string[] {
  return [...flatten(rule).matchAll(/ALARM\("([^"]+)"\)/g)].map((m) => m[1].replace(/^arn:.*:alarm:/, ''));
}

/** The one resource of a type (fails if there are more or none). */
export function only(template: Template, type: string): { logicalId: string; props: Props } {
  const found = Object.entries(template.findResources(type));
  if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}`);
  return { logicalId: found[0][0], props: found[0][1].Properties };
}
