/**
 * The thresholds of the endpoint's deployment-rollback alarms, read from the resolved alarm
 * catalog (defaults, then `monitoring.alarms.<id>.threshold`), so the guardrail and the
 * monitoring compare the same numbers and there is one place to change them.
 */
import { StageConfig } from '../../config/stage-config';
import { resolveAlarms } from '../alarm-catalog';

/** The catalog alarms whose signal the rollback alarms watch. */
export const ROLLBACK_SIGNALS = { errorRate: 'EndpointErrorRate', modelLatencyP99Micros: 'EndpointModelLatencyP99' } as const;

export interface RollbackThresholds {
  /** Invocation5XXErrors average, a ratio from 0 to 1. */
  readonly errorRate: number;
  /** ModelLatency p99, in microseconds. */
  readonly modelLatencyP99Micros: number;
}

export function rollbackThresholds(config: StageConfig): RollbackThresholds {
  const byId = new Map(resolveAlarms(config).map((a) => [a.id, a]));
  const threshold = (id: string) => {
    const alarm = byId.get(id);
    if (!alarm) throw new Error(`the alarm catalog has no ${id} alarm for the rollback thresholds`);
    return alarm.threshold;
  };
  return { errorRate: threshold(ROLLBACK_SIGNALS.errorRate), modelLatencyP99Micros: threshold(ROLLBACK_SIGNALS.modelLatencyP99Micros) };
}
