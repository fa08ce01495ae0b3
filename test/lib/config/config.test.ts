import { resolveStageConfig } from '../../../lib/config/load-config';
import { ConfigError, MAX_FUNCTION_TIMEOUT_SEC, TIME_BUDGET } from '../../../lib/config/validate';
import { RECORD_BUDGET_MS } from '../../../contract/handlers';
import { BACKOFF_CAP_MS } from '../../../lambda/shared/retry';
import { InstanceCapacity } from '../../../lib/config/stage-config';
import { readCdkContext } from '../../../tools/cli';

const cdkJson = readCdkContext();

/** Resolves with cdk.json's context plus the given `-c` style overrides. */
function resolve(overrides: Record<string, unknown> = {}) {
  return resolveStageConfig({ ...cdkJson, ...overrides });
}

function problems(overrides: Record<string, unknown>): string[] {
  try {
    resolve(overrides);
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  throw new Error('expected a ConfigError');
}

describe('stage defaults', () => {
  test('dev is cheap: serverless endpoint, short retention, full payloads, nothing retained', () => {
    const c = resolve({ stage: 'dev' });
    expect(c.endpoint.capacity).toEqual({ mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 });
    expect(c.logRetentionDays).toBe(7);
    expect(c.records.payloadMode).toBe('full');
    expect(c.table).toEqual({ pointInTimeRecovery: false, deletionProtection: false, retainOnDelete: false });
    expect(c.endpoint.deployment.type).toBe('all-at-once');
  });

  test('prod is safe: two instances with autoscaling, canary with rollback, hashed payloads, retained data', () => {
    const c = resolve({ stage: 'prod' });
    const cap = c.endpoint.capacity as InstanceCapacity;
    expect(cap.mode).toBe('instance');
    expect(cap.minInstanceCount).toBeGreaterThanOrEqual(2);
    expect(cap.maxInstanceCount).toBeGreaterThan(cap.minInstanceCount);
    expect(c.endpoint.deployment).toMatchObject({ type: 'canary', autoRollback: true });
    expect(c.records.payloadMode).toBe('hash');
    expect(c.table).toEqual({ pointInTimeRecovery: true, deletionProtection: true, retainOnDelete: true });
    expect(c.audit.terminationProtection).toBe(true);
  });

  test('timeouts nest, cold start included: attempts + backoff + record <= Lambda timeout; init + timeout + overhead <= 29 s', () => {
    // API Gateway: "Integration timeout ... 50 milliseconds - 29 seconds" (Quotas for configuring and
    // running a REST API, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
    // Lambda: "The Init phase is limited to 10 seconds", and it runs before the handler's timeout
    // starts (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
    const API_GATEWAY_MS = 29_000;
    const INIT_MS = 10_000;
    for (const stage of ['dev', 'prod', 'staging']) {
      const { functions: f } = resolve({ stage });
      const handler = f.invokeTimeoutMs * f.maxAttempts + BACKOFF_CAP_MS * (f.maxAttempts - 1) + RECORD_BUDGET_MS;
      expect(handler).toBeLessThanOrEqual(f.timeoutSec * 1000);
      expect(INIT_MS + f.timeoutSec * 1000 + TIME_BUDGET.INTEGRATION_OVERHEAD_MS).toBeLessThanOrEqual(API_GATEWAY_MS);
    }
    // The figures validation uses are the documented ones and the handler's own.
    expect(TIME_BUDGET).toMatchObject({
      API_GATEWAY_INTEGRATION_TIMEOUT_MS: API_GATEWAY_MS,
      LAMBDA_INIT_MAX_MS: INIT_MS,
      RETRY_BACKOFF_MAX_MS: BACKOFF_CAP_MS,
    });
    expect(MAX_FUNCTION_TIMEOUT_SEC).toBe(18);
  });

  test('a timeout that fits warm but not cold is refused', () => {
    // 28 s fitted under 29 s warm, but a cold start adds up to 10 s of init in front of it.
    expect(problems({ 'functions.timeoutSec': '28' }).join('\n')).toContain('functions.timeoutSec: must be a whole number from 3 to 18');
    expect(problems({ 'functions.timeoutSec': '19' }).join('\n')).toContain('10 s in Lambda init');
    expect(() => resolve({ 'functions.timeoutSec': '18' })).not.toThrow();
  });

  test('a cdk.json stage extends a built-in one and overrides only what it names', () => {
    const c = resolve({ stage: 'staging' });
    expect(c.stage).toBe('staging');
    expect(c.logRetentionDays).toBe(30);
    // Two instances at least: prod's 20% canary needs a second instance (see traffic routing).
    expect(c.endpoint.capacity).toMatchObject({ mode: 'instance', instanceType: 'ml.m5.large', minInstanceCount: 2, maxInstanceCount: 3 });
    expect(c.endpoint.deployment).toMatchObject({ type: 'canary', stepPercent: 20 });
    expect(c.records.payloadMode).toBe('hash'); // inherited from prod
    expect(c.table.deletionProtection).toBe(false);
  });
});

describe('-c overrides', () => {
  test('are read as the type of the setting they replace', () => {
    const c = resolve({
      'functions.memorySizeMiB': '2048',
      'table.pointInTimeRecovery': 'true',
      'monitoring.alarmEmails': 'a@example.com, b@example.com',
      'model.version': '2.0.0',
      'tags.team': 'ml-platform',
      'monitoring.alarms.ApiLatencyP99.threshold': '2500',
    });
    expect(c.functions.memorySizeMiB).toBe(2048);
    expect(c.table.pointInTimeRecovery).toBe(true);
    expect(c.monitoring.alarmEmails).toEqual(['a@example.com', 'b@example.com']);
    expect(c.model.version).toBe('2.0.0');
    expect(c.tags).toEqual({ team: 'ml-platform' });
    expect(c.monitoring.alarms).toEqual({ ApiLatencyP99: { threshold: 2500 } });
  });

  test("switching capacity mode starts from that mode's defaults", () => {
    const c = resolve({ 'endpoint.capacity.mode': 'instance', 'endpoint.capacity.instanceType': 'ml.c5.xlarge' });
    expect(c.endpoint.capacity).toMatchObject({ mode: 'instance', instanceType: 'ml.c5.xlarge', minInstanceCount: 2 });
  });

  test('optional settings absent from the defaults can be set', () => {
    const c = resolve({
      account: '123456789012',
      region: 'eu-west-1',
      'model.imageUri': '763104351884.dkr.ecr.eu-west-1.amazonaws.com/pytorch-inference:2.1-cpu-py310',
    });
    expect(c.account).toBe('123456789012');
    expect(c.model.imageUri).toContain('pytorch-inference');
  });

  test("CDK's own context keys are not taken for settings", () => {
    expect(() => resolve({ '@aws-cdk/core:newStyleStackSynthesis': true, 'aws:cdk:bundling-stacks': ['*'] })).not.toThrow();
  });
});

describe('validation refuses what cannot work, naming the setting', () => {
  test.each([
    [{ stage: 'qa' }, "unknown stage 'qa' (known stages: dev, prod, staging)"],
    [{ 'functions.memorySize': '1024' }, '-c functions.memorySize: unknown setting'],
    [{ 'functions.memorySizeMiB': 'lots' }, "-c functions.memorySizeMiB: expected a number, got 'lots'"],
    [{ 'table.pointInTimeRecovery': 'yes' }, "-c table.pointInTimeRecovery: expected true or false, got 'yes'"],
    [{ logRetentionDays: -1 }, 'logRetentionDays: must be one of 1, 3, 5, 7'],
    [{ logRetentionDays: '10' }, 'logRetentionDays: must be one of'],
    [
      { stage: 'prod', 'endpoint.capacity.instanceType': 'm5.large' },
      "endpoint.capacity.instanceType: 'm5.large' is not a SageMaker instance type",
    ],
    [
      { 'endpoint.dataCapture.enabled': 'true', 'endpoint.dataCapture.samplingPercent': '10' },
      'endpoint.dataCapture.enabled: serverless endpoints do not support data capture',
    ],
    [{ 'endpoint.networkIsolation': 'true' }, 'endpoint.networkIsolation: serverless endpoints do not support network isolation'],
    [{ 'endpoint.capacity.memorySizeMiB': '1500' }, 'endpoint.capacity.memorySizeMiB: serverless memory must be 1024, 2048'],
    [{ stage: 'prod', 'endpoint.capacity.minInstanceCount': '5' }, 'endpoint.capacity.minInstanceCount: 5 exceeds maxInstanceCount 4'],
    [
      { stage: 'prod', 'endpoint.capacity.instanceType': 'ml.t2.medium' },
      'endpoint.capacity.instanceType: burstable ml.t2.medium cannot autoscale',
    ],
    [{ 'functions.timeoutSec': '30' }, 'functions.timeoutSec: must be a whole number from 3 to 18'],
    [
      { 'functions.invokeTimeoutMs': '8000' },
      'functions.invokeTimeoutMs: 2 attempt(s) x 8000 ms + 1000 ms backoff per retry + 2000 ms to record = 19000 ms must fit in functions.timeoutSec (18 s)',
    ],
    [
      { 'api.maxRequestBytes': '5000000' },
      "api.maxRequestBytes: must be a whole number from 1024 to 4000000 bytes (the serverless endpoint's payload limit)",
    ],
    [{ 'model.modelDataUrl': 's3://bucket/model.tar.gz' }, 'model.modelDataUrl: needs model.imageUri too'],
    [{ 'model.imageUri': 'nginx:latest' }, 'model.imageUri: must be an ECR image URI'],
    [{ 'records.payloadMode': 'some' }, "records.payloadMode: must be full, hash or none, got 'some'"],
    [{ 'audit.retentionDays': '3' }, 'audit.retentionDays: must be a whole number from 7 to 3653 days'],
    [{ 'monitoring.alarmEmails': 'ops' }, "monitoring.alarmEmails: 'ops' is not an email address"],
    [
      { 'monitoring.enabled': 'false', stage: 'prod' },
      'endpoint.deployment.autoRollback: rolls back on the endpoint alarms, which need monitoring.enabled=true',
    ],
    [{ 'monitoring.alarms.ApiLatencyP99.treshold': '1' }, '-c monitoring.alarms.ApiLatencyP99.treshold: unknown alarm setting'],
    [
      { 'monitoring.alarms.ApiLatencyP99.threshold': 'high' },
      "-c monitoring.alarms.ApiLatencyP99.threshold: expected a number, got 'high'",
    ],
    [{ account: '1234' }, "account: must be a 12-digit AWS account id, got '1234'"],
  ])('%j', (overrides, expected) => {
    expect(problems(overrides).join('\n')).toContain(expected);
  });

  test('every problem is reported at once', () => {
    expect(problems({ 'functions.timeoutSec': '40', 'records.ttlDays': '-1', 'model.name': 'Bad Name' })).toHaveLength(3);
  });

  test('unknown settings in a cdk.json stage are refused', () => {
    expect(() => resolveStageConfig({ stage: 'qa', stages: { qa: { extends: 'dev', endpoint: { capcity: {} } } } })).toThrow(
      'stages.qa.endpoint.capcity: unknown setting',
    );
    expect(() => resolveStageConfig({ stage: 'qa', stages: { qa: { extends: 'test' } } })).toThrow(
      "stages.qa.extends: unknown stage 'test'",
    );
  });
});
