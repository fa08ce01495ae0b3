/**
 * Where the cost model's quantities come from: the real record builder, every metric the code
 * can emit, and the alarms as the stacks synthesize them.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import {
  alarmCounts,
  countCustomMetrics,
  customMetrics,
  deriveInputs,
  readBenchFigures,
  sampleRecord,
  stageConfig,
} from '../../../tools/cost/inputs';
import { dynamoItemBytes } from '../../../tools/cost/model';
import { METRIC_NAMES } from '../../../contract/handlers';
import { METRIC_FILTERS } from '../../../lib/monitoring/metric-filters';
import { synthMonitoring } from '../../harness/synth';

describe('the record, as the handler builds it', () => {
  const dev = stageConfig('dev');
  const prod = stageConfig('prod');

  it('dev keeps full payloads inline up to maxInlineBytes, then an S3 URI; TTL gives expiresAt', () => {
    const small = sampleRecord(dev, 1024, 1024) as any;
    expect(small).toMatchObject({
      pk: expect.stringMatching(/^INFERENCE#/),
      input: { mode: 'full', sizeBytes: 1024 },
      output: { mode: 'full' },
      expiresAt: expect.any(Number),
    });
    expect(small.input.body).toHaveLength(1024);
    const big = sampleRecord(dev, dev.records.maxInlineBytes + 1, 10) as any;
    expect(big.input).toMatchObject({ mode: 's3', s3Uri: expect.stringMatching(/^s3:\/\/inference-dev-payloads\/payloads\//) });
    // The payload's bytes are in the full record and not in the S3 one.
    expect(dynamoItemBytes(small)).toBeGreaterThan(2048);
    expect(dynamoItemBytes(big)).toBeLessThan(1024);
  });

  it('prod keeps hashes only: the record does not grow with the payload', () => {
    expect(dynamoItemBytes(sampleRecord(prod, 100, 100))).toBe(dynamoItemBytes(sampleRecord(prod, 100_000, 100_000)));
    expect((sampleRecord(prod, 100, 100) as any).input).toEqual({
      mode: 'hash',
      sizeBytes: 100,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });
});

describe('custom metrics', () => {
  const metrics = customMetrics();

  it('classifies every EMF metric of the contract and every metric filter', () => {
    expect(
      metrics
        .filter((m) => m.source === 'EMF')
        .map((m) => m.name)
        .sort(),
    ).toEqual(Object.values(METRIC_NAMES).sort());
    expect(metrics.filter((m) => m.source === 'metric filter')).toHaveLength(METRIC_FILTERS.length);
  });

  it('counts: 4 EMF + 4 filter metrics always; each error kind adds one per InferenceErrors, plus InferenceServerErrors once', () => {
    expect(countCustomMetrics(metrics, 0, false)).toBe(8);
    expect(countCustomMetrics(metrics, 1, false)).toBe(8 + 1 + 1 + 1);
    expect(countCustomMetrics(metrics, 3, false)).toBe(8 + 3 + 3 + 1);
    // Fallbacks (EMF and filter), two timeouts, two runtime exits, container errors.
    expect(countCustomMetrics(metrics, 3, true) - countCustomMetrics(metrics, 3, false)).toBe(7);
  });
});

describe('alarms: the catalog count is what the stacks create', () => {
  /** Metrics per alarm as CloudWatch bills them: 1 for a single-metric alarm, each MetricStat of a metric-math alarm. */
  const billed = (template: Template) => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
      Properties: { MetricName?: string; Metrics?: { MetricStat?: unknown }[] };
    }[];
    return {
      metricAlarms: alarms.length,
      alarmMetrics: alarms.reduce(
        (sum, a) => sum + (a.Properties.MetricName ? 1 : (a.Properties.Metrics ?? []).filter((m) => m.MetricStat).length),
        0,
      ),
      compositeAlarms: Object.keys(template.findResources('AWS::CloudWatch::CompositeAlarm')).length,
    };
  };

  it.each([['dev'], ['prod']])('%s', (stage) => {
    const { config, pipeline, template } = synthMonitoring(stage);
    const monitoring = billed(template);
    const endpoint = billed(Template.fromStack(pipeline.endpoint));
    expect(alarmCounts(config)).toEqual({
      alarmMetrics: monitoring.alarmMetrics + endpoint.alarmMetrics,
      metricAlarms: monitoring.metricAlarms + endpoint.metricAlarms,
      compositeAlarms: monitoring.compositeAlarms + endpoint.compositeAlarms,
    });
  });
});

describe('bench figures', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'cost-bench-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the Lambda duration, the log bytes per invocation and the model server p50 at concurrency 1', () => {
    const file = path.join(dir, 'latest.json');
    writeFileSync(
      file,
      JSON.stringify({
        date: '2026-01-01T00:00:00Z',
        lambdaDurationMs: { optimized: { median: 7.4 } },
        handlerCpu: { optimized: { logBytesPerRequest: 880 } },
        logBytesPerInvocation: { handler: 870, platform: 310, container: 190 },
        latency: [
          { concurrency: 4, targets: { direct: { p50: 9 } } },
          { concurrency: 1, targets: { direct: { p50: 0.6 } } },
        ],
      }),
    );
    expect(readBenchFigures(file)).toMatchObject({
      lambdaDurationMs: 7.4,
      handlerLogBytesPerRequest: 870,
      platformLogBytes: 310,
      containerLogBytes: 190,
      modelDurationMs: 0.6,
    });
    expect(readBenchFigures(path.join(dir, 'missing.json'))).toBeUndefined();
  });

  it('an explicit figure beats the benchmark, and the benchmark beats the assumption', () => {
    const bench = { lambdaDurationMs: 7.4, handlerLogBytesPerRequest: 880, modelDurationMs: 0.6, source: 'test' };
    const measured = deriveInputs({ stage: 'dev', requestsPerSecond: 1, payloadBytes: 100, bench });
    expect(measured.inputs.lambda.durationMs).toBe(7.4);
    expect(measured.provenance['Lambda duration']).toBe('measured: test');
    const explicit = deriveInputs({ stage: 'dev', requestsPerSecond: 1, payloadBytes: 100, durationMs: 40, bench });
    expect(explicit.inputs.lambda.durationMs).toBe(40);
    const assumed = deriveInputs({ stage: 'dev', requestsPerSecond: 1, payloadBytes: 100 });
    expect(assumed.provenance['Lambda duration']).toMatch(/^assumption/);
  });

  it('configuration: arm64 at the stage memory; prod instances follow the rate within [min, max]', () => {
    expect(deriveInputs({ stage: 'prod', requestsPerSecond: 1, payloadBytes: 100 }).inputs).toMatchObject({
      lambda: { architecture: 'arm64', memoryMiB: 1024 },
      endpoint: { mode: 'instance', instanceType: 'ml.m5.large', instanceCount: 2 },
      table: { ttlDays: 90, pointInTimeRecovery: true },
    });
    expect(deriveInputs({ stage: 'prod', requestsPerSecond: 100, payloadBytes: 100 }).notes.join()).toContain('capped');
  });
});
