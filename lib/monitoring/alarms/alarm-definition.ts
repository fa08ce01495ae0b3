/**
 * What an alarm is, as plain data: the alarm builders (alarm-builders.ts) make these, each
 * service folder lists its own, and the CDK facade, the docs and the local dashboard read
 * them. No CDK here, so tools can use it without synthesizing anything.
 */
import { DisplayUnit, MetricRef, SignalRef } from '../metric-ref';

export type Severity = 'Critical' | 'Warning';
export type TreatMissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';
export type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
/** The monitored layers, one per service folder; `layers.ts` lists them in dashboard order. */
export type Layer = 'API Gateway' | 'Lambda' | 'SageMaker' | 'DynamoDB' | 'Inference';
/** Which builder made the alarm: it decides the unit, the defaults and what a threshold may be. */
export type AlarmKind = 'errorRate' | 'latency' | 'count' | 'utilisation';

export interface AlarmDefinition {
  /** Stable: the construct id, the key of `monitoring.alarms`, the suffix of the alarm name. */
  readonly id: string;
  readonly layer: Layer;
  readonly kind: AlarmKind;
  readonly title: string;
  /** What is compared with the threshold. */
  readonly signal: SignalRef;
  /** Requests of the period: below `minSampleCount` the signal reads 0. */
  readonly gate?: MetricRef;
  readonly severity: Severity;
  readonly threshold: number;
  readonly unit: DisplayUnit;
  readonly comparison: Comparison;
  readonly periodSec: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** What it means when it fires. */
  readonly meaning: string;
  /** The runbook's first step. */
  readonly firstAction: string;
  /** Whether the alarm exists for this configuration at all (instance metrics need instances). */
  readonly applies: boolean;
  /** Why it does not apply, for the message refusing an override of it. */
  readonly appliesWhen?: string;
}

/** An alarm after configuration: defaults, then `monitoring.alarms.<id>` overrides. */
export interface ResolvedAlarm extends AlarmDefinition {
  readonly enabled: boolean;
}
