/**
 * Every alarm of the pipeline: each service's own definitions (`<service>/<service>-alarms.ts`,
 * made by the typed builders of `alarms/alarm-builders.ts`), in the order of `layers.ts`,
 * then resolved against the stage's `monitoring.alarms.<id>` overrides. Defaults derive from
 * the stage's configuration (timeouts, capacity mode, minimum sample count), so two stages
 * differ exactly where their configurations do.
 */
import { StageConfig } from '../config/stage-config';
import { AlarmDefinition, ResolvedAlarm } from './alarms/alarm-definition';
import { thresholdProblem } from './alarms/alarm-builders';
import { MONITORED_SERVICES } from './layers';

export type { AlarmDefinition, AlarmKind, Comparison, Layer, ResolvedAlarm, Severity, TreatMissingData } from './alarms/alarm-definition';
export { gatedSignal } from './alarms/alarm-builders';

/** The catalog's defaults for one stage (every alarm, applicable or not). */
export function alarmCatalog(config: StageConfig): AlarmDefinition[] {
  const catalog = MONITORED_SERVICES.flatMap((service) => service.alarms(config));
  const seen = new Set<string>();
  for (const a of catalog) {
    if (seen.has(a.id)) throw new Error(`alarm id ${a.id} is defined twice`);
    seen.add(a.id);
  }
  return catalog;
}

/**
 * The catalog for one configuration with its overrides applied. An override is applied or
 * refused, never silently dropped: one naming an unknown alarm (a typo), one tuning an alarm
 * this stage does not have (instance metrics on a serverless endpoint; only `enabled=false`
 * is accepted there), and a threshold its kind cannot reach (a 5 meant as 5%) all fail the
 * synth with the setting's path.
 */
export function resolveAlarms(config: StageConfig): ResolvedAlarm[] {
  const catalog = alarmCatalog(config);
  const ids = new Set(catalog.map((a) => a.id));
  const unknown = Object.keys(config.monitoring.alarms).filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    throw new Error(
      `monitoring.alarms: unknown alarm id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...ids].join(', ')})`,
    );
  }
  const problems: string[] = [];
  const resolved = catalog.map((alarm) => {
    const o = config.monitoring.alarms[alarm.id] ?? {};
    const path = `monitoring.alarms.${alarm.id}`;
    if (!alarm.applies && (o.threshold !== undefined || o.severity !== undefined || o.enabled === true)) {
      problems.push(
        `${path}: this stage has no such alarm (it needs ${alarm.appliesWhen ?? 'another configuration'}), so the override would be ignored; remove it`,
      );
    }
    if (o.threshold !== undefined) {
      const problem = thresholdProblem(alarm.kind, alarm.unit, o.threshold);
      if (problem) problems.push(`${path}.threshold: ${problem}`);
    }
    return {
      ...alarm,
      threshold: o.threshold ?? alarm.threshold,
      severity: o.severity ?? alarm.severity,
      enabled: alarm.applies && (o.enabled ?? true),
    };
  });
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return resolved;
}

/** The alarms a stack creates for this configuration. */
export function enabledAlarms(config: StageConfig): ResolvedAlarm[] {
  return resolveAlarms(config).filter((a) => a.enabled);
}
