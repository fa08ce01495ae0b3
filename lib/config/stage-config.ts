/**
 * The typed configuration of one stage of the pipeline.
 *
 * Every setting the stacks, the handlers' environment, the local pipeline, the cost model
 * and the tooling read lives here. Defaults per stage are in `defaults.ts`; `cdk.json`
 * overrides them per stage; `-c section.key=value` overrides a single setting; `validate.ts`
 * refuses anything that cannot work, at synth time, with the path of the bad setting.
 */

/** Serverless inference: pay per request, scales to zero; no GPUs, no data capture. */
export interface ServerlessCapacity {
  readonly mode: 'serverless';
  /** Memory of each serverless worker, 1024 to 6144 in steps of 1024. */
  readonly memorySizeMiB: number;
  /** Concurrent invocations the endpoint serves before throttling, 1 to 200. */
  readonly maxConcurrency: number;
  /** Warm workers kept ready (billed while idle); 0 disables provisioned concurrency. */
  readonly provisionedConcurrency: number;
}

/** Instance-based inference: always-on instances with target-tracking autoscaling. */
export interface InstanceCapacity {
  readonly mode: 'instance';
  /** SageMaker hosting instance type, for example `ml.m5.large`. */
  readonly instanceType: string;
  /** Instances at deploy time; must lie within [minInstanceCount, maxInstanceCount]. */
  readonly initialInstanceCount: number;
  readonly minInstanceCount: number;
  readonly maxInstanceCount: number;
  /** Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per minute). */
  readonly targetInvocationsPerInstance: number;
  /**
   * Scale the variant down outside working hours (scheduled Application Auto Scaling actions).
   * Cron expressions are UTC, in Application Auto Scaling's `cron(...)` syntax.
   */
  readonly offHours?: {
    readonly scaleDownCron: string;
    readonly scaleUpCron: string;
    /** Minimum instance count while scaled down (at least 1: real-time variants cannot reach 0). */
    readonly minInstanceCount: number;
  };
}

export type EndpointCapacity = ServerlessCapacity | InstanceCapacity;

/**
 * Whether an instance variant is registered with Application Auto Scaling: only when there is
 * a range to scale in (or a schedule). The endpoint construct applies the same rule.
 */
export function capacityIsAutoScaled(capacity: EndpointCapacity): capacity is InstanceCapacity {
  return capacity.mode === 'instance' && (capacity.minInstanceCount < capacity.maxInstanceCount || capacity.offHours !== undefined);
}

/**
 * The endpoint as deployed now: the endpoint stack's `DeployedEndpoint` output, which
 * `npm run deploy` reads and passes as `-c endpoint.previous=JSON`. With it, validation refuses
 * the capacity changes SageMaker would refuse half way through a deploy.
 */
export interface DeployedEndpoint {
  readonly endpointName: string;
  readonly capacity: EndpointCapacity;
}

/** How a new model version reaches traffic (SageMaker deployment guardrails). */
export interface DeploymentStrategy {
  /** `all-at-once` swaps the fleet in one step; `canary` and `linear` shift traffic gradually. */
  readonly type: 'all-at-once' | 'canary' | 'linear';
  /** Percentage of capacity moved in the canary step or each linear step. */
  readonly stepPercent: number;
  /** Time to watch the alarms after each step before the next one. */
  readonly waitIntervalSec: number;
  /** Time to keep the old fleet after full traffic shift, for rollback. */
  readonly terminationWaitSec: number;
  /** Roll back automatically when the endpoint's error or latency alarms fire. */
  readonly autoRollback: boolean;
}

export interface ModelConfig {
  /** Logical model name; part of resource names, so letters, digits and hyphens. */
  readonly name: string;
  /** The model version. Tags every resource and is recorded with every inference. */
  readonly version: string;
  /**
   * Container image URI, for example one of AWS's prebuilt framework images.
   * @default - the project's own container in `model/`, built as an image asset
   */
  readonly imageUri?: string;
  /**
   * `s3://bucket/key.tar.gz` of the model artifact.
   * @default - the project's trained iris classifier, `model/artifacts/model.tar.gz`
   */
  readonly modelDataUrl?: string;
  /** Content type the handler sends to the endpoint. */
  readonly contentType: 'application/json' | 'text/csv';
  /** Extra environment of the model container. */
  readonly environment: Readonly<Record<string, string>>;
  /**
   * Features per input row, checked by the handler before the endpoint is called.
   * 0 accepts any width (for models whose input the pipeline cannot know).
   */
  readonly featureCount: number;
}

export interface EndpointConfig {
  readonly capacity: EndpointCapacity;
  /** Capture inputs and outputs to an encrypted S3 bucket (instance mode only). */
  readonly dataCapture: { readonly enabled: boolean; readonly samplingPercent: number };
  /** Run the model container without network access. */
  readonly networkIsolation: boolean;
  readonly deployment: DeploymentStrategy;
  /**
   * What is deployed now, to check the change against.
   * @default - unknown (a first deploy, or an offline synth): the capacity changes are not checked
   */
  readonly previous?: DeployedEndpoint;
}

export interface ApiConfig {
  /** `iam`: callers sign with SigV4. `api-key`: an API key with a usage plan. */
  readonly authorization: 'iam' | 'api-key';
  /** Stage-wide steady-state requests per second. */
  readonly throttleRateLimit: number;
  readonly throttleBurstLimit: number;
  /** Usage-plan quota per day in `api-key` mode; 0 means no quota. */
  readonly apiKeyQuotaPerDay: number;
  /** Largest accepted request body; must stay under the endpoint's payload limit. */
  readonly maxRequestBytes: number;
  /** A WAF web ACL with a per-IP rate-based rule in front of the API. */
  readonly waf: { readonly enabled: boolean; readonly rateLimitPer5Min: number };
}

export interface FunctionsConfig {
  readonly memorySizeMiB: number;
  /**
   * The prediction function's timeout. The handler's attempts, their backoff and the record
   * budget must fit in it, and it plus Lambda's 10 s init must fit in API Gateway's 29 s.
   */
  readonly timeoutSec: number;
  /** Time the handler allows one InvokeEndpoint attempt (SDK request timeout). */
  readonly invokeTimeoutMs: number;
  /** SDK attempts per AWS call, including the first. */
  readonly maxAttempts: number;
  /** Reserved concurrency of the prediction function; 0 leaves it unreserved. */
  readonly reservedConcurrency: number;
}

export interface RecordsConfig {
  /**
   * What is stored of inputs and outputs, in the table and in the logs:
   * `full` payloads, `hash` (SHA-256 and size only) or `none`.
   */
  readonly payloadMode: 'full' | 'hash' | 'none';
  /** Where payloads over `maxInlineBytes` go: an S3 object, or truncation with size and hash. */
  readonly overflow: 's3' | 'truncate';
  /** Largest input or output stored inline in the item (the item limit is 400 KB). */
  readonly maxInlineBytes: number;
  /** Records expire after this many days (DynamoDB TTL); 0 keeps them forever. */
  readonly ttlDays: number;
  /** How long an `Idempotency-Key` is remembered. */
  readonly idempotencyWindowSec: number;
  /**
   * Index partitions per model version and day (byModelVersion). One partition takes at
   * most 1,000 writes a second: size it as peak predictions per second of one version / 600
   * for headroom. Only ever raise it: records written under a higher count sit in shards a
   * lower count no longer lists.
   */
  readonly shards: number;
}

export interface TableConfig {
  readonly pointInTimeRecovery: boolean;
  readonly deletionProtection: boolean;
  /** Keep the table (and payload buckets) when the stack is deleted. */
  readonly retainOnDelete: boolean;
}

/** Per-alarm tuning; see `lib/monitoring/alarm-catalog.ts` for the ids. */
export interface AlarmOverride {
  readonly enabled?: boolean;
  readonly threshold?: number;
  readonly severity?: 'Critical' | 'Warning';
}

export interface MonitoringConfig {
  readonly enabled: boolean;
  /** Email addresses subscribed to the alarm topic (ALARM and OK). */
  readonly alarmEmails: readonly string[];
  /** Requests per alarm period under which rate and percentile alarms stay quiet. */
  readonly minSampleCount: number;
  readonly alarms: Readonly<Record<string, AlarmOverride>>;
  readonly dashboard: boolean;
  /**
   * X-Ray active tracing on the API stage and every function (independent of `enabled`):
   * a request's path through API Gateway, Lambda and its AWS calls, sampled by X-Ray's default rule.
   */
  readonly tracing: boolean;
}

/**
 * Where the audit record lives:
 *  - `trail`: a CloudTrail trail delivering to an Object Lock S3 bucket, queried with Athena
 *    through a Glue table (works in every account; the default);
 *  - `lake`: a CloudTrail Lake event data store (only for accounts that had Lake before
 *    2026-05-31, when AWS closed it to new customers).
 */
export type AuditBackend = 'trail' | 'lake';

export interface AuditTrailConfig {
  /**
   * S3 Object Lock mode of the log bucket's default retention (`audit.retentionDays`):
   * `COMPLIANCE`: no one, the root user included, can delete or shorten it;
   * `GOVERNANCE`: principals with s3:BypassGovernanceRetention can (so a dev stage can be torn down).
   */
  readonly objectLockMode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Days Athena's query results are kept in their bucket before S3 expires them. */
  readonly queryResultRetentionDays: number;
  /** Athena cancels a query that scans more than this many megabytes (at least 10). */
  readonly bytesScannedCutoffPerQueryMb: number;
}

export interface AuditConfig {
  readonly enabled: boolean;
  readonly backend: AuditBackend;
  /** The `trail` backend's settings (ignored with `lake`). */
  readonly trail: AuditTrailConfig;
  /**
   * Leave the pipeline's own roles' calls out of the data events (field `userIdentity.arn`):
   * the function's PutItem on every prediction, its S3 overflow writes. Cheaper, but data
   * events made with those roles' credentials from anywhere (a stolen session) are then not
   * recorded either; management events always are.
   */
  readonly excludeServiceRoleDataEvents: boolean;
  /** `all` records read and write management events; `write-only` halves ingestion cost. */
  readonly managementEvents: 'all' | 'write-only';
  /** Also record data events on the table, the functions and the buckets. */
  readonly dataEvents: boolean;
  /** Days the record is kept, 7 to 3653: Lake's retention, or the trail bucket's Object Lock and expiry. */
  readonly retentionDays: number;
  readonly terminationProtection: boolean;
  readonly multiRegion: boolean;
  readonly organization: boolean;
  /** A SageMaker notebook instance preloaded with the runbook notebook. */
  readonly responderWorkspace: { readonly enabled: boolean; readonly instanceType: string };
}

export interface AnalyticsConfig {
  /**
   * Analysis on AWS: the table's point-in-time exports to S3, a Glue table over them and an
   * Athena workgroup (`npm run analyze -- --aws`). Needs table.pointInTimeRecovery.
   */
  readonly enabled: boolean;
  /** Athena cancels a query that would scan more than this (the workgroup's cutoff); at least 10. */
  readonly bytesScannedCutoffMB: number;
  /** Days S3 keeps exports and query results. */
  readonly exportRetentionDays: number;
}

export interface NetworkConfig {
  /** Put the functions and the endpoint in a VPC with interface/gateway endpoints. */
  readonly vpc: boolean;
}

export interface StageConfig {
  /** Stage name: `dev`, `prod`, or one defined in `cdk.json`. */
  readonly stage: string;
  /** Prefix of every physical name; with the stage it keeps two stages in one account apart. */
  readonly project: string;
  /** Target account and region; unset means the CLI's environment (`CDK_DEFAULT_*`). */
  readonly account?: string;
  readonly region?: string;
  /** CloudWatch Logs retention of every log group the stacks create. */
  readonly logRetentionDays: number;
  readonly model: ModelConfig;
  readonly endpoint: EndpointConfig;
  readonly api: ApiConfig;
  readonly functions: FunctionsConfig;
  readonly records: RecordsConfig;
  readonly table: TableConfig;
  readonly monitoring: MonitoringConfig;
  readonly audit: AuditConfig;
  readonly network: NetworkConfig;
  readonly analytics: AnalyticsConfig;
  /**
   * Create the GitHub OIDC deploy-role stack for this repository (`owner/name`). Only jobs of
   * the GitHub `environment` may assume the deploy role (default: the stage's name); give that
   * environment a deployment-branch rule for `branch`, and required reviewers for prod.
   */
  readonly ci?: { readonly githubRepository: string; readonly branch: string; readonly environment?: string };
  /** Tags on every resource, besides the stage, project and model version. */
  readonly tags: Readonly<Record<string, string>>;
}

/** `project-stage`, the prefix of every physical name of a stage. */
export function resourcePrefix(config: Pick<StageConfig, 'project' | 'stage'>): string {
  return `${config.project}-${config.stage}`;
}
