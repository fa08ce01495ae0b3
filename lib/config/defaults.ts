import { StageConfig } from './stage-config';

/**
 * Built-in stages. `dev` is cheap (serverless endpoint that costs nothing idle, short
 * retention, full payloads for debugging); `prod` is safe (two instances with autoscaling,
 * canary deployments with rollback, hashed payloads, retained and protected data).
 * `cdk.json` can add stages that `extends` one of these.
 */
const dev: StageConfig = {
  stage: 'dev',
  project: 'inference',
  logRetentionDays: 7,
  model: {
    name: 'iris-classifier',
    version: '1.0.0',
    contentType: 'application/json',
    environment: {},
    featureCount: 4,
  },
  endpoint: {
    capacity: { mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 },
    dataCapture: { enabled: false, samplingPercent: 0 },
    networkIsolation: false,
    deployment: { type: 'all-at-once', stepPercent: 100, waitIntervalSec: 0, terminationWaitSec: 0, autoRollback: false },
  },
  api: {
    authorization: 'iam',
    throttleRateLimit: 20,
    throttleBurstLimit: 40,
    apiKeyQuotaPerDay: 10_000,
    maxRequestBytes: 262_144,
    waf: { enabled: false, rateLimitPer5Min: 1_000 },
  },
  functions: {
    memorySizeMiB: 1024,
    // A serverless endpoint's cold start can take several seconds: give each attempt room.
    // 2 x 7.5 s + 1 s backoff + 2 s record = 18 s; 10 s Lambda init + 18 s + 1 s <= 29 s (validate.ts TIME_BUDGET).
    timeoutSec: 18,
    invokeTimeoutMs: 7_500,
    maxAttempts: 2,
    reservedConcurrency: 0,
  },
  records: { payloadMode: 'full', overflow: 's3', maxInlineBytes: 65_536, ttlDays: 7, idempotencyWindowSec: 3_600, shards: 2 },
  table: { pointInTimeRecovery: false, deletionProtection: false, retainOnDelete: false },
  monitoring: { enabled: true, alarmEmails: [], minSampleCount: 10, alarms: {}, dashboard: true, tracing: true },
  audit: {
    enabled: true,
    backend: 'trail',
    // Governance in dev: an administrator can still empty the bucket to destroy the stage.
    trail: { objectLockMode: 'GOVERNANCE', queryResultRetentionDays: 7, bytesScannedCutoffPerQueryMb: 1_024 },
    excludeServiceRoleDataEvents: true,
    managementEvents: 'write-only',
    dataEvents: true,
    retentionDays: 7,
    terminationProtection: false,
    multiRegion: false,
    organization: false,
    responderWorkspace: { enabled: false, instanceType: 'ml.t3.medium' },
  },
  network: { vpc: false },
  // Off in dev: exports need point-in-time recovery, which dev leaves off (its records live 7
  // days and the stage is disposable); `npm run analyze` reads dev's table directly instead.
  analytics: { enabled: false, bytesScannedCutoffMB: 1_024, exportRetentionDays: 30 },
  tags: {},
};

const prod: StageConfig = {
  ...dev,
  stage: 'prod',
  // At least a year: AWS Control Tower's CT.CLOUDWATCH.PR.2 refuses shorter log retention.
  logRetentionDays: 365,
  endpoint: {
    capacity: {
      mode: 'instance',
      instanceType: 'ml.m5.large',
      initialInstanceCount: 2,
      minInstanceCount: 2,
      maxInstanceCount: 4,
      targetInvocationsPerInstance: 600,
    },
    dataCapture: { enabled: true, samplingPercent: 10 },
    networkIsolation: true,
    deployment: { type: 'canary', stepPercent: 20, waitIntervalSec: 300, terminationWaitSec: 600, autoRollback: true },
  },
  api: { ...dev.api, throttleRateLimit: 200, throttleBurstLimit: 400 },
  // 2 x 5 s + 1 s backoff + 2 s record = 13 s of 15 s; 10 s init + 15 s + 1 s = 26 s <= 29 s.
  functions: { memorySizeMiB: 1024, timeoutSec: 15, invokeTimeoutMs: 5_000, maxAttempts: 2, reservedConcurrency: 0 },
  // 16 shards: a version takes 10,000 predictions/s at about 625 writes/s per index partition.
  records: { ...dev.records, payloadMode: 'hash', ttlDays: 90, shards: 16 },
  table: { pointInTimeRecovery: true, deletionProtection: true, retainOnDelete: true },
  monitoring: { ...dev.monitoring, minSampleCount: 20 },
  analytics: { ...dev.analytics, enabled: true },
  audit: {
    ...dev.audit,
    managementEvents: 'all',
    retentionDays: 365,
    // Compliance in prod: nobody, the root user included, can delete a log file before it expires.
    trail: { objectLockMode: 'COMPLIANCE', queryResultRetentionDays: 30, bytesScannedCutoffPerQueryMb: 10_240 },
    // A stolen function session must leave data events behind in prod.
    excludeServiceRoleDataEvents: false,
    terminationProtection: true,
    multiRegion: true,
  },
};

export const BUILT_IN_STAGES: Readonly<Record<string, StageConfig>> = { dev, prod };
