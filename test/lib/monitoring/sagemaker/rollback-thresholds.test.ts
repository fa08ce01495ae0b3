/** The deployment-rollback thresholds are the resolved catalog's, overrides included. */
import { resolveStageConfig } from '../../../../lib/config/load-config';
import { resolveAlarms } from '../../../../lib/monitoring/alarm-catalog';
import { ROLLBACK_SIGNALS, rollbackThresholds } from '../../../../lib/monitoring/sagemaker/rollback-thresholds';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- cdk.json is read as the CLI reads it
const cdkContext = require('../../../../cdk.json').context as Record<string, unknown>;
const config = (overrides: Record<string, unknown> = {}) => resolveStageConfig({ ...cdkContext, stage: 'prod', ...overrides });

test('defaults: 5% 5XX and a 2 s (2,000,000 µs) p99 model latency', () => {
  expect(rollbackThresholds(config())).toEqual({ errorRate: 0.05, modelLatencyP99Micros: 2_000_000 });
});

test('a threshold override of the monitoring alarm moves the rollback alarm with it', () => {
  const tuned = config({
    'monitoring.alarms.EndpointErrorRate.threshold': '0.1',
    'monitoring.alarms.EndpointModelLatencyP99.threshold': '1500000',
  });
  expect(rollbackThresholds(tuned)).toEqual({ errorRate: 0.1, modelLatencyP99Micros: 1_500_000 });
});

test('the signals named are catalog alarms of the SageMaker layer in every stage', () => {
  for (const stage of ['dev', 'prod', 'staging']) {
    const alarms = resolveAlarms(resolveStageConfig({ ...cdkContext, stage }));
    for (const id of Object.values(ROLLBACK_SIGNALS)) expect(alarms.find((a) => a.id === id)?.layer).toBe('SageMaker');
  }
});
