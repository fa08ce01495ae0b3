import { RECORD_BUDGET_MS } from '../../contract/handlers';
import { nameLimitProblems } from './name-limits';
import { EndpointCapacity, StageConfig, capacityIsAutoScaled, resourcePrefix } from './stage-config';
import { MAX_INDEX_SHARDS } from '../../contract/table-design';

/** Every problem of a configuration at once, one per line, each naming the setting. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid pipeline configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Instance families whose local NVMe storage rules out a KMS key on the endpoint config. */
const NVME_FAMILIES = /^ml\.(c5d|c6id|m5d|m6id|r5d|r6id|g4dn|g5|g6|g6e|p3dn|p4d|p4de|p5|p5e|inf2|trn1|trn1n|x2iedn)\./;
const INSTANCE_TYPE = /^ml\.[a-z][a-z0-9-]*\.(medium|large|[0-9]*xlarge)$/;
/** CloudWatch Logs accepts only these retention periods. */
const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const NAME = /^[a-z][a-z0-9-]{0,19}$/;

/**
 * The time budget of one request through API Gateway, in milliseconds.
 *
 * - API Gateway gives up on a Lambda integration after 29 s ("Integration timeout ... 50
 *   milliseconds - 29 seconds for all integration types", Quotas for configuring and running a
 *   REST API, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html).
 * - A cold start runs Lambda's Init phase first, outside the function timeout but inside those
 *   29 s: "The Init phase is limited to 10 seconds" (Understanding the Lambda execution
 *   environment lifecycle, https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).
 * - API Gateway's own call to Lambda and the response take a little more: INTEGRATION_OVERHEAD_MS.
 *
 * So: LAMBDA_INIT_MAX_MS + function timeout + INTEGRATION_OVERHEAD_MS <= 29 s, and inside the
 * function timeout: attempts x attempt timeout + a backoff per retry + RECORD_BUDGET_MS.
 */
export const TIME_BUDGET = {
  API_GATEWAY_INTEGRATION_TIMEOUT_MS: 29_000,
  LAMBDA_INIT_MAX_MS: 10_000,
  INTEGRATION_OVERHEAD_MS: 1_000,
  /** The longest backoff before one retry: BACKOFF_CAP_MS of lambda/shared/retry.ts. */
  RETRY_BACKOFF_MAX_MS: 1_000,
} as const;

/** The longest function timeout a cold request still answers within API Gateway's limit. */
export const MAX_FUNCTION_TIMEOUT_SEC = Math.floor(
  (TIME_BUDGET.API_GATEWAY_INTEGRATION_TIMEOUT_MS - TIME_BUDGET.LAMBDA_INIT_MAX_MS - TIME_BUDGET.INTEGRATION_OVERHEAD_MS) / 1000,
);

/** Time the prediction handler may need: every attempt, the backoff before each retry, the record. */
export function handlerBudgetMs(f: Pick<StageConfig['functions'], 'invokeTimeoutMs' | 'maxAttempts'>): number {
  return f.invokeTimeoutMs * f.maxAttempts + TIME_BUDGET.RETRY_BACKOFF_MAX_MS * (f.maxAttempts - 1) + RECORD_BUDGET_MS;
}

export function validateStageConfig(c: StageConfig): void {
  const p: string[] = [];
  const need = (ok: boolean, message: string) => {
    if (!ok) p.push(message);
  };
  const int = (v: number, min: number, max: number, path: string, unit = '') =>
    need(Number.isInteger(v) && v >= min && v <= max, `${path}: must be a whole number from ${min} to ${max}${unit}, got ${v}`);

  need(NAME.test(c.stage), `stage: must be lowercase letters, digits and hyphens (at most 20, starting with a letter), got '${c.stage}'`);
  need(
    NAME.test(c.project),
    `project: must be lowercase letters, digits and hyphens (at most 20, starting with a letter), got '${c.project}'`,
  );
  need(c.account === undefined || /^\d{12}$/.test(c.account), `account: must be a 12-digit AWS account id, got '${c.account}'`);
  need(
    c.region === undefined || /^[a-z]{2}(-[a-z]+)+-\d$/.test(c.region),
    `region: must be an AWS region such as us-east-1, got '${c.region}'`,
  );
  need(
    LOG_RETENTION_DAYS.includes(c.logRetentionDays),
    `logRetentionDays: must be one of ${LOG_RETENTION_DAYS.join(', ')}, got ${c.logRetentionDays}`,
  );

  // Model
  const m = c.model;
  need(
    /^[a-z0-9](-?[a-z0-9])*$/.test(m.name) && m.name.length <= 30,
    `model.name: must be lowercase letters, digits and single hyphens, at most 30, got '${m.name}'`,
  );
  need(
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/.test(m.version),
    `model.version: must be 1 to 32 letters, digits, '.', '_' or '-', got '${m.version}'`,
  );
  need(
    m.imageUri === undefined ||
      /^\d{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[a-z0-9._/-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/.test(m.imageUri),
    `model.imageUri: must be an ECR image URI (ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG), got '${m.imageUri}'`,
  );
  need(
    m.modelDataUrl === undefined || /^s3:\/\/[a-z0-9.-]{3,63}\/.+\.tar\.gz$/.test(m.modelDataUrl),
    `model.modelDataUrl: must be s3://BUCKET/KEY.tar.gz, got '${m.modelDataUrl}'`,
  );
  need(
    m.imageUri !== undefined || m.modelDataUrl === undefined,
    'model.modelDataUrl: needs model.imageUri too (the built-in container only serves the built-in model format)',
  );
  need(
    ['application/json', 'text/csv'].includes(m.contentType),
    `model.contentType: must be application/json or text/csv, got '${m.contentType}'`,
  );
  int(m.featureCount, 0, 10_000, 'model.featureCount');

  // Endpoint capacity
  const cap = c.endpoint.capacity;
  if (cap.mode === 'serverless') {
    need(
      Number.isInteger(cap.memorySizeMiB) && cap.memorySizeMiB % 1024 === 0 && cap.memorySizeMiB >= 1024 && cap.memorySizeMiB <= 6144,
      `endpoint.capacity.memorySizeMiB: serverless memory must be 1024, 2048, 3072, 4096, 5120 or 6144, got ${cap.memorySizeMiB}`,
    );
    int(cap.maxConcurrency, 1, 200, 'endpoint.capacity.maxConcurrency');
    int(cap.provisionedConcurrency, 0, cap.maxConcurrency, 'endpoint.capacity.provisionedConcurrency', ' (at most maxConcurrency)');
    need(
      !c.endpoint.dataCapture.enabled,
      'endpoint.dataCapture.enabled: serverless endpoints do not support data capture; use capacity mode instance or disable data capture',
    );
    need(
      !c.endpoint.networkIsolation,
      'endpoint.networkIsolation: serverless endpoints do not support network isolation; use capacity mode instance',
    );
    need(!c.network.vpc, 'network.vpc: serverless endpoints cannot run in a VPC; use capacity mode instance or set network.vpc=false');
  } else if (cap.mode === 'instance') {
    need(
      INSTANCE_TYPE.test(cap.instanceType),
      `endpoint.capacity.instanceType: '${cap.instanceType}' is not a SageMaker instance type (expected ml.FAMILY.SIZE, for example ml.m5.large)`,
    );
    int(cap.minInstanceCount, 1, 100, 'endpoint.capacity.minInstanceCount');
    int(cap.maxInstanceCount, 1, 100, 'endpoint.capacity.maxInstanceCount');
    need(
      cap.minInstanceCount <= cap.maxInstanceCount,
      `endpoint.capacity.minInstanceCount: ${cap.minInstanceCount} exceeds maxInstanceCount ${cap.maxInstanceCount}`,
    );
    need(
      cap.initialInstanceCount >= cap.minInstanceCount && cap.initialInstanceCount <= cap.maxInstanceCount,
      `endpoint.capacity.initialInstanceCount: ${cap.initialInstanceCount} must lie within [minInstanceCount, maxInstanceCount] = [${cap.minInstanceCount}, ${cap.maxInstanceCount}]`,
    );
    need(
      cap.targetInvocationsPerInstance > 0,
      `endpoint.capacity.targetInvocationsPerInstance: must be positive, got ${cap.targetInvocationsPerInstance}`,
    );
    const burstable = /^ml\.t[23]\./.test(cap.instanceType);
    need(
      !burstable || cap.minInstanceCount === cap.maxInstanceCount,
      `endpoint.capacity.instanceType: burstable ${cap.instanceType} cannot autoscale; set minInstanceCount = maxInstanceCount or choose another family`,
    );
    if (cap.offHours) {
      need(
        /^cron\(.+\)$/.test(cap.offHours.scaleDownCron),
        `endpoint.capacity.offHours.scaleDownCron: must be cron(...), got '${cap.offHours.scaleDownCron}'`,
      );
      need(
        /^cron\(.+\)$/.test(cap.offHours.scaleUpCron),
        `endpoint.capacity.offHours.scaleUpCron: must be cron(...), got '${cap.offHours.scaleUpCron}'`,
      );
      int(
        cap.offHours.minInstanceCount,
        1,
        cap.minInstanceCount,
        'endpoint.capacity.offHours.minInstanceCount',
        ' (real-time variants keep at least 1 instance)',
      );
    }
  } else {
    p.push(`endpoint.capacity.mode: must be 'serverless' or 'instance', got '${(cap as { mode: string }).mode}'`);
  }
  const dc = c.endpoint.dataCapture;
  need(
    !dc.enabled || (Number.isInteger(dc.samplingPercent) && dc.samplingPercent >= 1 && dc.samplingPercent <= 100),
    `endpoint.dataCapture.samplingPercent: must be a whole number from 1 to 100 when data capture is enabled, got ${dc.samplingPercent}`,
  );
  const d = c.endpoint.deployment;
  need(
    ['all-at-once', 'canary', 'linear'].includes(d.type),
    `endpoint.deployment.type: must be all-at-once, canary or linear, got '${d.type}'`,
  );
  p.push(...trafficRoutingProblems(c.endpoint.deployment, cap));
  // TrafficRoutingConfig WaitIntervalInSeconds "Minimum value of 0. Maximum value of 3600" and
  // BlueGreenUpdatePolicy TerminationWaitInSeconds the same (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html,
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_BlueGreenUpdatePolicy.html).
  int(d.waitIntervalSec, 0, 3600, 'endpoint.deployment.waitIntervalSec');
  int(d.terminationWaitSec, 0, 3600, 'endpoint.deployment.terminationWaitSec');
  if (c.endpoint.previous !== undefined)
    p.push(...capacityChangeProblems(c.endpoint.previous, cap, `${resourcePrefix(c)}-${m.name}`, m.name));
  need(
    !d.autoRollback || c.monitoring.enabled,
    'endpoint.deployment.autoRollback: rolls back on the endpoint alarms, which need monitoring.enabled=true',
  );

  // API
  const a = c.api;
  need(['iam', 'api-key'].includes(a.authorization), `api.authorization: must be iam or api-key, got '${a.authorization}'`);
  need(
    a.throttleRateLimit > 0 && a.throttleRateLimit <= 10_000,
    `api.throttleRateLimit: must be from 1 to 10000 requests per second, got ${a.throttleRateLimit}`,
  );
  need(
    a.throttleBurstLimit >= a.throttleRateLimit && a.throttleBurstLimit <= 5_000 * 2,
    `api.throttleBurstLimit: must be at least throttleRateLimit (${a.throttleRateLimit}), got ${a.throttleBurstLimit}`,
  );
  int(a.apiKeyQuotaPerDay, 0, 100_000_000, 'api.apiKeyQuotaPerDay');
  // Serverless endpoints take 4 MB, real-time 6 MB, and the Lambda event wraps the body.
  const payloadLimit = cap.mode === 'serverless' ? 4_000_000 : 5_500_000;
  int(a.maxRequestBytes, 1_024, payloadLimit, 'api.maxRequestBytes', ` bytes (the ${cap.mode} endpoint's payload limit)`);
  // WAF's rate-based rules count whole requests from 10 up (a fraction would fail at deploy, not here).
  if (a.waf.enabled) int(a.waf.rateLimitPer5Min, 10, 2_000_000_000, 'api.waf.rateLimitPer5Min', ' requests per 5 minutes per IP');

  // Functions: attempts + backoff + record < Lambda timeout; init + Lambda timeout + overhead <= 29 s (TIME_BUDGET).
  const f = c.functions;
  int(f.memorySizeMiB, 128, 10_240, 'functions.memorySizeMiB', ' MiB');
  int(
    f.timeoutSec,
    3,
    MAX_FUNCTION_TIMEOUT_SEC,
    'functions.timeoutSec',
    ` (a cold request spends up to ${TIME_BUDGET.LAMBDA_INIT_MAX_MS / 1000} s in Lambda init before the timeout starts, and API Gateway answers 504 after ${TIME_BUDGET.API_GATEWAY_INTEGRATION_TIMEOUT_MS / 1000} s)`,
  );
  int(f.maxAttempts, 1, 5, 'functions.maxAttempts');
  need(f.invokeTimeoutMs >= 100, `functions.invokeTimeoutMs: must be at least 100, got ${f.invokeTimeoutMs}`);
  need(
    handlerBudgetMs(f) <= f.timeoutSec * 1000,
    `functions.invokeTimeoutMs: ${f.maxAttempts} attempt(s) x ${f.invokeTimeoutMs} ms + ${TIME_BUDGET.RETRY_BACKOFF_MAX_MS} ms backoff per retry + ${RECORD_BUDGET_MS} ms to record = ${handlerBudgetMs(f)} ms must fit in functions.timeoutSec (${f.timeoutSec} s)`,
  );
  int(f.reservedConcurrency, 0, 10_000, 'functions.reservedConcurrency');

  // Records
  const r = c.records;
  need(['full', 'hash', 'none'].includes(r.payloadMode), `records.payloadMode: must be full, hash or none, got '${r.payloadMode}'`);
  need(['s3', 'truncate'].includes(r.overflow), `records.overflow: must be s3 or truncate, got '${r.overflow}'`);
  int(r.maxInlineBytes, 1_024, 150_000, 'records.maxInlineBytes', ' (input and output both inline must fit a 400 KB item)');
  int(r.ttlDays, 0, 3_650, 'records.ttlDays', ' (0 keeps records forever)');
  int(r.idempotencyWindowSec, 60, 7 * 86_400, 'records.idempotencyWindowSec');
  int(r.shards, 1, MAX_INDEX_SHARDS, 'records.shards', ' (a listing page queries every shard of every day)');

  // Analytics
  const an = c.analytics;
  // "The table must have point in time recovery enabled" (ExportTableToPointInTime,
  // https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html).
  need(
    !an.enabled || c.table.pointInTimeRecovery,
    'analytics.enabled: needs table.pointInTimeRecovery=true (DynamoDB exports a table only from its point-in-time recovery)',
  );
  // BytesScannedCutoffPerQuery: "Minimum value of 10000000" (WorkGroupConfiguration,
  // https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html).
  int(an.bytesScannedCutoffMB, 10, 10_000_000, 'analytics.bytesScannedCutoffMB', " MB (Athena's minimum cutoff is 10 MB)");
  int(an.exportRetentionDays, 1, 3_650, 'analytics.exportRetentionDays', ' days');

  // Monitoring
  for (const email of c.monitoring.alarmEmails) {
    need(/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email), `monitoring.alarmEmails: '${email}' is not an email address`);
  }
  int(c.monitoring.minSampleCount, 0, 1_000_000, 'monitoring.minSampleCount');
  for (const [id, o] of Object.entries(c.monitoring.alarms)) {
    need(
      o.severity === undefined || ['Critical', 'Warning'].includes(o.severity),
      `monitoring.alarms.${id}.severity: must be Critical or Warning, got '${o.severity}'`,
    );
    need(o.threshold === undefined || Number.isFinite(o.threshold), `monitoring.alarms.${id}.threshold: must be a number`);
  }

  // Audit
  const au = c.audit;
  need(['trail', 'lake'].includes(au.backend), `audit.backend: must be trail or lake, got '${au.backend}'`);
  need(
    ['COMPLIANCE', 'GOVERNANCE'].includes(au.trail.objectLockMode),
    `audit.trail.objectLockMode: must be COMPLIANCE or GOVERNANCE, got '${au.trail.objectLockMode}'`,
  );
  int(au.trail.queryResultRetentionDays, 1, 3_653, 'audit.trail.queryResultRetentionDays', ' days');
  // Athena's minimum cutoff is 10,000,000 bytes (WorkGroupConfiguration, Athena API reference).
  int(au.trail.bytesScannedCutoffPerQueryMb, 10, 1_048_576, 'audit.trail.bytesScannedCutoffPerQueryMb', ' MB');
  need(
    ['all', 'write-only'].includes(au.managementEvents),
    `audit.managementEvents: must be all or write-only, got '${au.managementEvents}'`,
  );
  int(au.retentionDays, 7, 3_653, 'audit.retentionDays', ' days');
  need(
    !au.organization || au.backend === 'lake',
    'audit.organization: only the lake backend records the organization; an organization trail is not supported (set audit.backend=lake or audit.organization=false)',
  );
  need(!au.organization || au.multiRegion, 'audit.organization: an organization trail or event data store must also be multiRegion');
  need(
    !au.responderWorkspace.enabled || INSTANCE_TYPE.test(au.responderWorkspace.instanceType),
    `audit.responderWorkspace.instanceType: '${au.responderWorkspace.instanceType}' is not a SageMaker instance type`,
  );
  need(
    !au.responderWorkspace.enabled || au.enabled,
    'audit.responderWorkspace.enabled: needs audit.enabled=true (it queries the audit record)',
  );

  if (c.ci) {
    need(
      /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(c.ci.githubRepository ?? ''),
      `ci.githubRepository: must be OWNER/NAME, got '${c.ci.githubRepository}'`,
    );
    need(/^[A-Za-z0-9._/-]+$/.test(c.ci.branch ?? ''), `ci.branch: must be a branch name, got '${c.ci.branch}'`);
    need(
      c.ci.environment === undefined || /^[A-Za-z0-9._-]{1,255}$/.test(c.ci.environment),
      `ci.environment: must be a GitHub environment name (letters, digits, '.', '_', '-'), got '${c.ci.environment}'`,
    );
  }
  for (const [k, v] of Object.entries(c.tags)) {
    need(
      k.length <= 128 && String(v).length <= 256 && !k.startsWith('aws:'),
      `tags.${k}: tag keys are at most 128 characters and not aws:, values at most 256`,
    );
  }

  // Every generated name against its documented limit (name-limits.ts).
  p.push(...nameLimitProblems(c));

  if (p.length > 0) throw new ConfigError(p);
}

/**
 * SageMaker's blue/green traffic shifting sizes, from TrafficRoutingConfig
 * (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html):
 * CanarySize "must be less than or equal to 50% of the variant's total instance count";
 * LinearStepSize "must be 10-50% of the variant's total instance count". Both are shares of
 * instances, so:
 *  - a serverless variant (no instances) can only shift all at once;
 *  - one instance cannot be split: a canary or a step of at least one instance would be
 *    100%, so canary and linear need at least two instances at all times (minInstanceCount,
 *    and the off-hours minimum), since a deployment may start while the fleet is scaled in.
 * (The single-instance rule is derived from the size rules; no page states it outright.)
 */
export function trafficRoutingProblems(d: StageConfig['endpoint']['deployment'], cap: EndpointCapacity): string[] {
  const p: string[] = [];
  if (d.type === 'all-at-once') return p;
  const fix = `set endpoint.deployment.type=all-at-once, or run at least 2 instances`;
  if (d.type === 'canary' && !(Number.isInteger(d.stepPercent) && d.stepPercent >= 1 && d.stepPercent <= 50)) {
    p.push(
      `endpoint.deployment.stepPercent: a canary must be from 1 to 50% of the variant's instances (SageMaker TrafficRoutingConfig CanarySize), got ${d.stepPercent}`,
    );
  }
  if (d.type === 'linear' && !(Number.isInteger(d.stepPercent) && d.stepPercent >= 10 && d.stepPercent <= 50)) {
    p.push(
      `endpoint.deployment.stepPercent: a linear step must be from 10 to 50% of the variant's instances (SageMaker TrafficRoutingConfig LinearStepSize), got ${d.stepPercent}`,
    );
  }
  if (cap.mode === 'serverless') {
    p.push(
      `endpoint.deployment.type: ${d.type} shifts a share of the variant's instances, and a serverless endpoint has none; set endpoint.deployment.type=all-at-once`,
    );
  } else if (cap.mode === 'instance') {
    const least = Math.min(cap.minInstanceCount, cap.initialInstanceCount, cap.offHours?.minInstanceCount ?? Infinity);
    if (least < 2) {
      const which =
        cap.offHours && cap.offHours.minInstanceCount < 2
          ? 'endpoint.capacity.offHours.minInstanceCount'
          : 'endpoint.capacity.minInstanceCount';
      p.push(
        `${which}: a ${d.type} deployment needs at least 2 instances (one instance is 100% of the variant, over the 50% a ${d.type === 'canary' ? 'canary' : 'linear step'} may take), got ${least}; ${fix}`,
      );
    }
  }
  return p;
}

/**
 * The capacity changes SageMaker refuses in an UpdateEndpoint, checked against what is deployed,
 * each with the procedure that gets there safely. Changes not listed here update in place.
 */
export function capacityChangeProblems(
  previous: NonNullable<StageConfig['endpoint']['previous']>,
  next: EndpointCapacity,
  endpointName: string,
  modelName: string,
): string[] {
  const p: string[] = [];
  if (
    typeof previous !== 'object' ||
    previous === null ||
    typeof previous.endpointName !== 'string' ||
    !previous.capacity ||
    !['serverless', 'instance'].includes(previous.capacity.mode)
  ) {
    return [
      'endpoint.previous: must be the DeployedEndpoint output of the endpoint stack, {"endpointName": "...", "capacity": {"mode": ...}}',
    ];
  }
  if (previous.endpointName !== endpointName) return p; // a new endpoint: CloudFormation creates it and deletes the old one
  const was = previous.capacity;
  // "Updating a real-time inference endpoint to an on-demand serverless endpoint or a serverless
  // endpoint with provisioned concurrency is currently not supported" (Update a serverless endpoint,
  // https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-update.html); the attempt
  // fails with a ValidationError (Serverless Inference feature exclusions,
  // https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html).
  if (was.mode === 'instance' && next.mode === 'serverless') {
    p.push(
      `endpoint.capacity.mode: endpoint ${endpointName} runs on instances, and SageMaker cannot update an instance endpoint to serverless (ValidationError). ` +
        'Safe procedure: (1) deploy the serverless capacity under a new endpoint name by also changing model.name (for example to ' +
        `'${modelName}-serverless'): CloudFormation creates the new endpoint, the API switches to it in the same deploy, ` +
        'and the instance endpoint, its log group and its alarms are deleted at the end of the endpoint stack update (export its logs first if you need them); ' +
        '(2) requests fail between that deletion and the API stack update, so deploy outside peak hours. Going back later (serverless to instance) updates in place.',
    );
  }
  // "If the update would change the instance type for any model that is a target for auto scaling,
  // the update fails ... delete any scaling policies configured for it and deregister the variant as
  // a scalable target" first (Update endpoints that use auto scaling,
  // https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
  if (was.mode === 'instance' && next.mode === 'instance' && was.instanceType !== next.instanceType && capacityIsAutoScaled(was)) {
    p.push(
      `endpoint.capacity.instanceType: endpoint ${endpointName} is registered for autoscaling, and SageMaker refuses an instance type change (${was.instanceType} to ${next.instanceType}) while it is. ` +
        `Safe procedure, three deploys: (1) keep instanceType=${was.instanceType} and set minInstanceCount = maxInstanceCount = initialInstanceCount (no offHours): ` +
        'CloudFormation deletes the scalable target and its policies, which deregisters the variant; ' +
        `(2) set instanceType=${next.instanceType}, still with min = max: the endpoint moves to the new type (blue/green); ` +
        '(3) set the min, max and offHours you want: the variant is registered again.',
    );
  }
  return p;
}

/** Whether the endpoint config can carry a KMS key for this capacity (not with local NVMe storage). */
export function endpointSupportsKms(c: Pick<StageConfig, 'endpoint'>): boolean {
  return c.endpoint.capacity.mode === 'instance' && !NVME_FAMILIES.test(c.endpoint.capacity.instanceType);
}
