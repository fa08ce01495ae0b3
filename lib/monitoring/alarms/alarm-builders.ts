/**
 * Typed builders, one per kind of alarm, in the manner of cdk-monitoring-constructs' alarm
 * factories: each sets the shared defaults once (unit, period, comparison, missing data,
 * low-traffic gate), so a service's alarm list states only what is its own: the signal,
 * the threshold, how many datapoints must breach, and what to do.
 *
 * - errorRate: a 0..1 ratio per minute, gated by the period's requests; no data is no
 *   traffic, which is healthy (notBreaching). Default threshold 5%.
 * - latency: a percentile per minute in the signal's own unit (ms, or µs for SageMaker),
 *   gated like the rates, so one slow request of a quiet minute never pages.
 * - count: any occurrence (threshold 0) or a ceiling, per minute or per 5 minutes; no data
 *   is nothing happened (notBreaching).
 * - utilisation: a percentage over 5-minute periods, 3 in a row; an instance that stops
 *   reporting stays visible as INSUFFICIENT_DATA (missing) rather than a false OK.
 *
 * Rate and percentile alarms compare IF(requests >= minSampleCount, signal, 0) (see
 * `gatedSignal`): below `monitoring.minSampleCount` requests in the period they read 0.
 */
import { DisplayUnit, MetricRef, SignalRef, math } from '../metric-ref';
import { AlarmDefinition, AlarmKind, Layer, Severity } from './alarm-definition';

/** What an alarm says about itself: the part no builder can default. */
export interface AlarmText {
  /** Stable: the construct id, the key of `monitoring.alarms`, the suffix of the alarm name. */
  readonly id: string;
  readonly title: string;
  readonly severity: Severity;
  /** What it means when it fires. */
  readonly meaning: string;
  /** The runbook's first step. */
  readonly firstAction: string;
}

/** M of N: the alarm fires when `datapoints` of the last `of` periods breach. */
export interface Breaching {
  readonly datapoints: number;
  readonly of: number;
}

export interface ErrorRateAlarmProps extends AlarmText {
  readonly signal: SignalRef;
  /** The period's request count. */
  readonly gate: MetricRef;
  /** A ratio from 0 to 1. @default 0.05 (5% of the period's requests) */
  readonly threshold?: number;
  readonly breaching: Breaching;
}

export interface LatencyAlarmProps extends AlarmText {
  /** A percentile, in ms or µs (the threshold is in the signal's unit). */
  readonly signal: SignalRef;
  /** The period's request count. */
  readonly gate: MetricRef;
  readonly threshold: number;
  readonly breaching: Breaching;
}

export interface CountAlarmProps extends AlarmText {
  readonly signal: SignalRef;
  /** @default 0 (any occurrence fires) */
  readonly threshold?: number;
  /** @default 60 */
  readonly periodSec?: 60 | 300;
  readonly breaching: Breaching;
}

export interface UtilisationAlarmProps extends AlarmText {
  /** A percentage from 0 to 100. */
  readonly signal: SignalRef;
  readonly threshold: number;
  /** @default 3 of 3 (15 minutes) */
  readonly breaching?: Breaching;
  /** Whether the metric exists for this configuration. */
  readonly applies: boolean;
  /** The configuration under which it exists, for the message refusing an override. */
  readonly appliesWhen: string;
}

/** The unit each kind compares in; latency takes its signal's. */
const UNITS: Record<Exclude<AlarmKind, 'latency'>, DisplayUnit> = { errorRate: 'ratio', count: 'count', utilisation: '%' };

/** The builders for one layer's alarms. */
export function alarmBuilders(layer: Layer) {
  const base = (kind: AlarmKind, p: AlarmText & { signal: SignalRef; breaching: Breaching }, unit: DisplayUnit) => {
    if (p.signal.unit !== unit) throw new Error(`alarm ${p.id}: ${kind} alarms compare ${unit}, its signal is in ${p.signal.unit}`);
    const b = p.breaching;
    if (!(Number.isInteger(b.datapoints) && Number.isInteger(b.of) && b.datapoints >= 1 && b.datapoints <= b.of)) {
      throw new Error(`alarm ${p.id}: breaching needs 1 <= datapoints <= of, got ${b.datapoints} of ${b.of}`);
    }
    return {
      id: p.id,
      layer,
      kind,
      title: p.title,
      severity: p.severity,
      signal: p.signal,
      unit,
      comparison: 'GreaterThanThreshold' as const,
      evaluationPeriods: b.of,
      datapointsToAlarm: b.datapoints,
      meaning: p.meaning,
      firstAction: p.firstAction,
    };
  };
  const checked = (def: AlarmDefinition): AlarmDefinition => {
    const problem = thresholdProblem(def.kind, def.unit, def.threshold);
    if (problem) throw new Error(`alarm ${def.id}: threshold ${problem}`);
    return def;
  };
  return {
    errorRate: (p: ErrorRateAlarmProps): AlarmDefinition =>
      checked({
        ...base('errorRate', p, UNITS.errorRate),
        gate: p.gate,
        threshold: p.threshold ?? 0.05,
        periodSec: 60,
        treatMissingData: 'notBreaching',
        applies: true,
      }),
    latency: (p: LatencyAlarmProps): AlarmDefinition => {
      if (p.signal.unit !== 'ms' && p.signal.unit !== 'µs')
        throw new Error(`alarm ${p.id}: latency alarms compare ms or µs, its signal is in ${p.signal.unit}`);
      return checked({
        ...base('latency', p, p.signal.unit),
        gate: p.gate,
        threshold: p.threshold,
        periodSec: 60,
        treatMissingData: 'notBreaching',
        applies: true,
      });
    },
    count: (p: CountAlarmProps): AlarmDefinition =>
      checked({
        ...base('count', p, UNITS.count),
        threshold: p.threshold ?? 0,
        periodSec: p.periodSec ?? 60,
        treatMissingData: 'notBreaching',
        applies: true,
      }),
    utilisation: (p: UtilisationAlarmProps): AlarmDefinition =>
      checked({
        ...base('utilisation', { ...p, breaching: p.breaching ?? { datapoints: 3, of: 3 } }, UNITS.utilisation),
        threshold: p.threshold,
        periodSec: 300,
        treatMissingData: 'missing',
        applies: p.applies,
        appliesWhen: p.appliesWhen,
      }),
  };
}

/** Why a threshold cannot work for this kind of alarm (undefined when it can). */
export function thresholdProblem(kind: AlarmKind, unit: DisplayUnit, value: number): string | undefined {
  if (!Number.isFinite(value)) return `must be a number, got ${value}`;
  switch (kind) {
    case 'errorRate':
      return value >= 0 && value < 1 ? undefined : `is a ratio from 0 to 1 (0.05 is 5%), got ${value}`;
    case 'latency':
      return value > 0 ? undefined : `is a latency in ${unit} and must be above 0, got ${value}`;
    case 'count':
      return value >= 0 ? undefined : `is a count and must be 0 or more, got ${value}`;
    case 'utilisation':
      return value >= 0 && value < 100 ? undefined : `is a percentage from 0 to 100, got ${value}`;
  }
}

/**
 * The signal an alarm compares, with its low-traffic gate: below `minSampleCount` requests
 * in the period the expression reads 0, so it cannot breach.
 */
export function gatedSignal(alarm: AlarmDefinition, minSampleCount: number): SignalRef {
  if (!alarm.gate || minSampleCount <= 0) return alarm.signal;
  const label = `${alarm.signal.label} (when requests >= ${minSampleCount})`;
  if (alarm.signal.kind === 'metric') {
    return math(`IF(samples >= ${minSampleCount}, signal, 0)`, { signal: alarm.signal, samples: alarm.gate }, label, alarm.unit);
  }
  if ('samples' in alarm.signal.using) throw new Error(`alarm ${alarm.id}: the id 'samples' is reserved for the gate`);
  return math(
    `IF(samples >= ${minSampleCount}, ${alarm.signal.expression}, 0)`,
    { ...alarm.signal.using, samples: alarm.gate },
    label,
    alarm.unit,
  );
}
