/** The functions' alarm thresholds follow the function's configuration. */
import { resolveStageConfig } from '../../../../lib/config/load-config';
import { lambdaAlarms } from '../../../../lib/monitoring/lambda/lambda-alarms';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- cdk.json is read as the CLI reads it
const cdkContext = require('../../../../cdk.json').context as Record<string, unknown>;
const alarm = (id: string, overrides: Record<string, unknown> = {}) =>
  lambdaAlarms(resolveStageConfig({ ...cdkContext, stage: 'prod', ...overrides })).find((a) => a.id === id)!;

test('duration p99 fires at 80% of the function timeout, gated by invocations', () => {
  const a = alarm('PredictDurationP99', { 'functions.timeoutSec': '15' });
  expect(a).toMatchObject({ kind: 'latency', unit: 'ms', threshold: 12000, gate: { metricName: 'Invocations', stat: 'Sum' } });
});

test('concurrency fires at 80% of the reserved concurrency, or of the account default of 1000 when unreserved', () => {
  expect(alarm('PredictConcurrentExecutions', { 'functions.reservedConcurrency': '50' }).threshold).toBe(40);
  expect(alarm('PredictConcurrentExecutions', { 'functions.reservedConcurrency': '0' }).threshold).toBe(800);
});

test('timeouts and runtime exits come from the platform report, any in a 5-minute window', () => {
  for (const id of ['PredictTimeouts', 'PredictRuntimeExits', 'ReadTimeouts', 'ReadRuntimeExits']) {
    expect(alarm(id)).toMatchObject({ kind: 'count', threshold: 0, periodSec: 300, signal: { source: 'logs' } });
  }
});
