/**
 * Resolving the catalog against `monitoring.alarms.<id>` overrides: each override applies,
 * or is refused with the setting's path; none is silently dropped.
 */
import { resolveStageConfig } from '../../../lib/config/load-config';
import { alarmCatalog, resolveAlarms } from '../../../lib/monitoring/alarm-catalog';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- cdk.json is read as the CLI reads it
const cdkContext = require('../../../cdk.json').context as Record<string, unknown>;
const config = (stage: string, overrides: Record<string, unknown> = {}) => resolveStageConfig({ ...cdkContext, stage, ...overrides });
const byId = (stage: string, overrides: Record<string, unknown> = {}) =>
  new Map(resolveAlarms(config(stage, overrides)).map((a) => [a.id, a]));

test('threshold, severity and enabled apply', () => {
  const alarms = byId('prod', {
    'monitoring.alarms.EndpointErrorRate.threshold': '0.02',
    'monitoring.alarms.EndpointModelLatencyP99.severity': 'Critical',
    'monitoring.alarms.ReadErrors.enabled': 'false',
  });
  expect(alarms.get('EndpointErrorRate')).toMatchObject({ threshold: 0.02, enabled: true });
  expect(alarms.get('EndpointModelLatencyP99')).toMatchObject({ severity: 'Critical', threshold: 2_000_000 });
  expect(alarms.get('ReadErrors')!.enabled).toBe(false);
});

test('a threshold its kind cannot reach is refused, each with its path, all at once', () => {
  expect(() =>
    resolveAlarms(
      config('prod', {
        'monitoring.alarms.ApiServerErrorRate.threshold': '5',
        'monitoring.alarms.EndpointMemoryUtilization.threshold': '120',
        'monitoring.alarms.ApiLatencyP99.threshold': '0',
        'monitoring.alarms.PredictErrors.threshold': '-1',
      }),
    ),
  ).toThrow(
    [
      'monitoring.alarms.ApiServerErrorRate.threshold: is a ratio from 0 to 1 (0.05 is 5%), got 5',
      'monitoring.alarms.ApiLatencyP99.threshold: is a latency in ms and must be above 0, got 0',
      'monitoring.alarms.PredictErrors.threshold: is a count and must be 0 or more, got -1',
      'monitoring.alarms.EndpointMemoryUtilization.threshold: is a percentage from 0 to 100, got 120',
    ].join('\n'),
  );
});

test('tuning an alarm the stage does not have is refused; turning it off is accepted', () => {
  const refused =
    /^monitoring\.alarms\.EndpointDiskUtilization: this stage has no such alarm \(it needs endpoint\.capacity\.mode=instance \(serverless endpoints publish no instance metrics\)\), so the override would be ignored; remove it$/;
  expect(() => resolveAlarms(config('dev', { 'monitoring.alarms.EndpointDiskUtilization.threshold': '70' }))).toThrow(refused);
  expect(() => resolveAlarms(config('dev', { 'monitoring.alarms.EndpointDiskUtilization.severity': 'Critical' }))).toThrow(refused);
  expect(() => resolveAlarms(config('dev', { 'monitoring.alarms.EndpointDiskUtilization.enabled': 'true' }))).toThrow(refused);
  expect(byId('dev', { 'monitoring.alarms.EndpointDiskUtilization.enabled': 'false' }).get('EndpointDiskUtilization')!.enabled).toBe(false);
});

test('an unknown id is refused with the known ids', () => {
  expect(() => resolveAlarms(config('dev', { 'monitoring.alarms.ApiLatencyP90.threshold': '1' }))).toThrow(
    /^monitoring\.alarms: unknown alarm id ApiLatencyP90 \(known: ApiServerErrorRate, /,
  );
});

test("the endpoint's error rate and model latency are the monitoring's own gated alarms in every stage", () => {
  for (const stage of ['dev', 'prod', 'staging']) {
    const catalog = alarmCatalog(config(stage));
    for (const id of ['EndpointErrorRate', 'EndpointModelLatencyP99']) {
      const a = catalog.find((x) => x.id === id)!;
      expect(a.gate).toMatchObject({ source: 'endpoint', metricName: 'Invocations', stat: 'Sum' });
      expect(a.applies).toBe(true);
    }
  }
});
