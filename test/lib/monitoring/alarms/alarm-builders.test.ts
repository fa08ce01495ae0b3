/**
 * The typed alarm builders: the defaults each kind sets once, the thresholds and windows each
 * refuses, and the low-traffic gate.
 */
import { alarmBuilders, gatedSignal, thresholdProblem } from '../../../../lib/monitoring/alarms/alarm-builders';
import { math, metric } from '../../../../lib/monitoring/metric-ref';

const alarm = alarmBuilders('API Gateway');
const text = { id: 'X', title: 'x', severity: 'Warning' as const, meaning: 'm', firstAction: 'a' };
const requests = metric('api', 'Count', 'Sum', 'Requests', 'count');
const rate = metric('api', '5XXError', 'Average', '5XX rate', 'ratio');
const latency = metric('api', 'Latency', 'p99', 'p99', 'ms');
const count = metric('api', '5XXError', 'Sum', '5XX', 'count');
const percent = metric('endpointInstance', 'MemoryUtilization', 'Average', 'Memory %', '%');

describe('defaults per kind', () => {
  test('error rate: a ratio per minute, gated, 5% by default, no data is healthy', () => {
    expect(alarm.errorRate({ ...text, signal: rate, gate: requests, breaching: { datapoints: 2, of: 3 } })).toEqual({
      ...text,
      layer: 'API Gateway',
      kind: 'errorRate',
      signal: rate,
      gate: requests,
      unit: 'ratio',
      threshold: 0.05,
      comparison: 'GreaterThanThreshold',
      periodSec: 60,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
      applies: true,
    });
  });

  test("latency: the signal's unit per minute, gated", () => {
    const a = alarm.latency({ ...text, signal: latency, gate: requests, threshold: 2000, breaching: { datapoints: 3, of: 5 } });
    expect(a).toMatchObject({
      kind: 'latency',
      unit: 'ms',
      threshold: 2000,
      periodSec: 60,
      gate: requests,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: 'notBreaching',
    });
    const micros = metric('endpoint', 'ModelLatency', 'p99', 'p99', 'µs');
    expect(alarm.latency({ ...text, signal: micros, gate: requests, threshold: 2_000_000, breaching: { datapoints: 1, of: 1 } }).unit).toBe(
      'µs',
    );
  });

  test('count: any occurrence in a minute by default, or in 5 minutes; never gated', () => {
    const a = alarm.count({ ...text, signal: count, breaching: { datapoints: 1, of: 1 } });
    expect(a).toMatchObject({ kind: 'count', unit: 'count', threshold: 0, periodSec: 60, treatMissingData: 'notBreaching' });
    expect(a.gate).toBeUndefined();
    expect(alarm.count({ ...text, signal: count, periodSec: 300, threshold: 800, breaching: { datapoints: 1, of: 1 } })).toMatchObject({
      periodSec: 300,
      threshold: 800,
    });
  });

  test('utilisation: a percentage over three 5-minute periods; an instance that stops reporting is INSUFFICIENT_DATA', () => {
    const a = alarm.utilisation({ ...text, signal: percent, threshold: 85, applies: false, appliesWhen: 'instances' });
    expect(a).toMatchObject({
      kind: 'utilisation',
      unit: '%',
      threshold: 85,
      periodSec: 300,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: 'missing',
      applies: false,
      appliesWhen: 'instances',
    });
  });
});

describe('refusals', () => {
  test('a signal in another unit than the kind compares', () => {
    expect(() => alarm.errorRate({ ...text, signal: count, gate: requests, breaching: { datapoints: 1, of: 1 } })).toThrow(
      'alarm X: errorRate alarms compare ratio, its signal is in count',
    );
    expect(() => alarm.latency({ ...text, signal: count, gate: requests, threshold: 1, breaching: { datapoints: 1, of: 1 } })).toThrow(
      'alarm X: latency alarms compare ms or µs, its signal is in count',
    );
    expect(() => alarm.utilisation({ ...text, signal: rate, threshold: 1, applies: true, appliesWhen: '' })).toThrow(
      /compare %, its signal is in ratio/,
    );
  });

  test('an impossible window', () => {
    expect(() => alarm.count({ ...text, signal: count, breaching: { datapoints: 4, of: 3 } })).toThrow(
      'alarm X: breaching needs 1 <= datapoints <= of, got 4 of 3',
    );
    expect(() => alarm.count({ ...text, signal: count, breaching: { datapoints: 0, of: 3 } })).toThrow(/got 0 of 3/);
  });

  test('a threshold the kind cannot reach', () => {
    expect(() => alarm.errorRate({ ...text, signal: rate, gate: requests, threshold: 5, breaching: { datapoints: 1, of: 1 } })).toThrow(
      'alarm X: threshold is a ratio from 0 to 1 (0.05 is 5%), got 5',
    );
    expect(thresholdProblem('errorRate', 'ratio', 0.999)).toBeUndefined();
    expect(thresholdProblem('errorRate', 'ratio', -0.1)).toMatch(/ratio from 0 to 1/);
    expect(thresholdProblem('latency', 'µs', 0)).toBe('is a latency in µs and must be above 0, got 0');
    expect(thresholdProblem('count', 'count', -1)).toBe('is a count and must be 0 or more, got -1');
    expect(thresholdProblem('utilisation', '%', 100)).toBe('is a percentage from 0 to 100, got 100');
    expect(thresholdProblem('count', 'count', Number.NaN)).toBe('must be a number, got NaN');
  });
});

describe('the low-traffic gate', () => {
  const gated = alarm.errorRate({ ...text, signal: rate, gate: requests, breaching: { datapoints: 1, of: 1 } });

  test('a metric signal reads 0 below the minimum sample count', () => {
    expect(gatedSignal(gated, 10)).toEqual({
      kind: 'math',
      expression: 'IF(samples >= 10, signal, 0)',
      using: { signal: rate, samples: requests },
      label: '5XX rate (when requests >= 10)',
      unit: 'ratio',
    });
  });

  test('a math signal is inlined; 0 turns gating off; ungated kinds are left alone', () => {
    const errors = metric('logs', 'E', 'Sum', 'e', 'count');
    const expr = alarm.errorRate({
      ...text,
      signal: math('FILL(errors, 0) / requests', { errors, requests }, 'rate', 'ratio'),
      gate: requests,
      breaching: { datapoints: 1, of: 1 },
    });
    expect(gatedSignal(expr, 20)).toMatchObject({
      expression: 'IF(samples >= 20, FILL(errors, 0) / requests, 0)',
      using: { errors, requests, samples: requests },
    });
    expect(gatedSignal(gated, 0)).toBe(rate);
    const c = alarm.count({ ...text, signal: count, breaching: { datapoints: 1, of: 1 } });
    expect(gatedSignal(c, 10)).toBe(count);
  });

  test('the id samples is reserved for the gate', () => {
    const clash = alarm.errorRate({
      ...text,
      signal: math('samples / requests', { samples: count, requests }, 'r', 'ratio'),
      gate: requests,
      breaching: { datapoints: 1, of: 1 },
    });
    expect(() => gatedSignal(clash, 10)).toThrow("alarm X: the id 'samples' is reserved for the gate");
  });
});
