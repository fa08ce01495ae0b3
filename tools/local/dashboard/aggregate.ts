/**
 * CloudWatch's view of the local series: points grouped into periods, reduced with a
 * statistic, combined with metric math; and the alarms evaluated the same way (M of N
 * periods, missing data treated per alarm). The handler-side sources (`logs`, `emf`) come
 * from the functions' lines; the AWS services' metrics (API Gateway, Lambda, SageMaker
 * invocations, DynamoDB) from the local parts that stand in for those services. What no
 * local part produces (the endpoint instances' utilisation) is CloudWatch-only.
 */
import { ResolvedAlarm, gatedSignal } from '../../../lib/monitoring/alarm-catalog';
import { MetricRef, MetricSource, SeriesRef, metricsOf } from '../../../lib/monitoring/metric-ref';
import { LocalPoint, LocalSeries } from './collector';
import { compileMath } from './metric-math';

export interface LocalLine {
  readonly label: string;
  /** One value per period that has data: `t` is the period's start. */
  readonly points: readonly LocalPoint[];
}

export type LocalAlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA' | 'CLOUDWATCH_ONLY';

/** Sources whose metrics the local run produces. */
const LOCAL_SOURCES: ReadonlySet<MetricSource> = new Set<MetricSource>([
  'logs',
  'emf',
  'api',
  'predictFunction',
  'readFunction',
  'endpoint',
  'table',
]);

export function isLocal(ref: SeriesRef): boolean {
  return ref.kind === 'search' ? true : metricsOf(ref).every((m) => LOCAL_SOURCES.has(m.source));
}

/** A statistic of one period's values: Sum, Average, Minimum, Maximum, SampleCount or pNN (nearest rank). */
export function statistic(values: readonly number[], stat: string): number | undefined {
  if (values.length === 0) return undefined;
  switch (stat) {
    case 'Sum':
      return values.reduce((a, b) => a + b, 0);
    case 'Average':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'Minimum':
      return Math.min(...values);
    case 'Maximum':
      return Math.max(...values);
    case 'SampleCount':
      return values.length;
  }
  const p = /^p(\d+(\.\d+)?)$/.exec(stat);
  if (!p) throw new Error(`unsupported statistic '${stat}'`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((Number(p[1]) / 100) * sorted.length) - 1)];
}

/** The periods [from, to) of `periodMs`, aligned to the period like CloudWatch's. */
export function periodStarts(from: number, to: number, periodMs: number): number[] {
  const starts: number[] = [];
  for (let t = Math.floor(from / periodMs) * periodMs; t < to; t += periodMs) starts.push(t);
  return starts;
}

/** The lines a chart draws for one series ref, or undefined when the ref is CloudWatch-only. */
export function localLines(ref: SeriesRef, series: LocalSeries, starts: readonly number[], periodMs: number): LocalLine[] | undefined {
  if (!isLocal(ref)) return undefined;
  switch (ref.kind) {
    case 'metric':
      return [{ label: ref.label, points: starts.flatMap((t) => pointOf(t, valueIn(ref, series, t, periodMs))) }];
    case 'math': {
      const math = compileMath(ref.expression);
      return [
        {
          label: ref.label,
          points: starts.flatMap((t) =>
            pointOf(t, math(Object.fromEntries(Object.entries(ref.using).map(([id, m]) => [id, valueIn(m, series, t, periodMs)])))),
          ),
        },
      ];
    }
    case 'search': {
      const values = [
        ...new Set(
          series.filter((e) => e.source === ref.source && e.metricName === ref.metricName).map((e) => e.dimensions[ref.dimensionKey]),
        ),
      ]
        .filter((v) => v !== undefined)
        .sort();
      return values.map((value) => {
        const one: MetricRef = {
          kind: 'metric',
          source: ref.source,
          metricName: ref.metricName,
          stat: ref.stat,
          label: value,
          unit: ref.unit,
          dimensions: { [ref.dimensionKey]: value },
        };
        return { label: value, points: starts.flatMap((t) => pointOf(t, valueIn(one, series, t, periodMs))) };
      });
    }
  }
}

/**
 * An alarm's state from the local series: its (gated) signal over the last
 * `evaluationPeriods` periods up to now, ALARM when `datapointsToAlarm` of them breach.
 * The current period counts, so a local run sees its alarms react at once.
 */
export function localAlarmState(alarm: ResolvedAlarm, series: LocalSeries, minSampleCount: number, now: number): LocalAlarmState {
  const signal = gatedSignal(alarm, minSampleCount);
  if (!isLocal(signal)) return 'CLOUDWATCH_ONLY';
  const periodMs = alarm.periodSec * 1000;
  const starts = periodStarts(now - (alarm.evaluationPeriods - 1) * periodMs, now + 1, periodMs).slice(-alarm.evaluationPeriods);
  const [line] = localLines(signal, series, starts, periodMs)!;
  const byStart = new Map(line.points.map((p) => [p.t, p.v]));
  let breaching = 0;
  let missing = 0;
  for (const t of starts) {
    const v = byStart.get(t);
    if (v === undefined) {
      missing++;
      if (alarm.treatMissingData === 'breaching') breaching++;
    } else if (alarm.comparison === 'GreaterThanThreshold' ? v > alarm.threshold : v >= alarm.threshold) {
      breaching++;
    }
  }
  if (breaching >= alarm.datapointsToAlarm) return 'ALARM';
  return missing === starts.length && alarm.treatMissingData === 'missing' ? 'INSUFFICIENT_DATA' : 'OK';
}

function valueIn(ref: MetricRef, series: LocalSeries, start: number, periodMs: number): number | undefined {
  const values: number[] = [];
  for (const entry of series) {
    if (entry.source !== ref.source || entry.metricName !== ref.metricName) continue;
    if (!Object.entries(ref.dimensions ?? {}).every(([k, v]) => entry.dimensions[k] === v)) continue;
    for (const p of entry.points) if (p.t >= start && p.t < start + periodMs) values.push(p.v);
  }
  return statistic(values, ref.stat);
}

function pointOf(t: number, v: number | undefined): LocalPoint[] {
  return v === undefined || !Number.isFinite(v) ? [] : [{ t, v }];
}
