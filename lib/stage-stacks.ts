import { App, Aspects, Environment, Stack, Tags } from 'aws-cdk-lib';
import { StageConfig, resourcePrefix } from './config/stage-config';
import { acknowledgeControl } from './constructs/acknowledge';
import { StageGuardrails } from './constructs/stage-guardrails';
import { ApiStack } from './stacks/api-stack';
import { AuditStack } from './stacks/audit-stack';
import { CiStack } from './stacks/ci-stack';
import { DataStack } from './stacks/data-stack';
import { dashboardLayout } from './monitoring/dashboard-layout';
import { rollbackThresholds } from './monitoring/sagemaker/rollback-thresholds';
import { EndpointStack } from './stacks/endpoint-stack';
import { MonitoringStack } from './stacks/monitoring-stack';

/** The stacks of one stage, in deployment order. */
export interface StageStacks {
  readonly data: DataStack;
  readonly endpoint: EndpointStack;
  readonly api: ApiStack;
  /** Absent when `monitoring.enabled` is false. */
  readonly monitoring?: MonitoringStack;
  /** Absent when `audit.enabled` is false. */
  readonly audit?: AuditStack;
  /** GitHub OIDC deploy and diff roles; absent unless the stage sets `ci`. */
  readonly ci?: CiStack;
  readonly all: Stack[];
}

/**
 * Declares one stage of the pipeline, reading like the architecture:
 * data (table, payloads, key) -> endpoint (the model) -> API (functions and REST API),
 * watched by monitoring (metric filters, alarms, dashboard) and audited by a CloudTrail Lake
 * event data store scoped to these resources.
 * Account and region come from the stage config, else from the CLI's environment; with
 * neither (tests, offline synth) the stacks are environment-agnostic.
 */
export function createStageStacks(app: App, config: StageConfig): StageStacks {
  const prefix = resourcePrefix(config);
  const env: Environment = {
    account: config.account ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: config.region ?? process.env.CDK_DEFAULT_REGION,
  };
  const common = { env, config };

  const data = new DataStack(app, `${prefix}-data`, {
    env,
    prefix,
    stage: config.stage,
    table: config.table,
    recordTtlDays: config.records.ttlDays,
    logRetentionDays: config.logRetentionDays,
    network: config.network,
    tracing: config.monitoring.tracing,
    analytics: config.analytics,
    description: `${prefix}: inference records, model deployment history and payloads`,
    terminationProtection: config.table.deletionProtection,
  });
  const endpoint = new EndpointStack(app, `${prefix}-endpoint`, {
    ...common,
    description: `${prefix}: SageMaker endpoint serving ${config.model.name} ${config.model.version}`,
    table: data.table,
    key: data.key,
    accessLogsBucket: data.accessLogsBucket,
    modelPlacement: data.network?.modelPlacement(),
    rollbackThresholds: rollbackThresholds(config),
  });
  const api = new ApiStack(app, `${prefix}-api`, {
    env,
    prefix,
    stage: config.stage,
    api: config.api,
    functions: config.functions,
    records: config.records,
    model: config.model,
    tracing: config.monitoring.tracing,
    logRetentionDays: config.logRetentionDays,
    description: `${prefix}: inference API and functions`,
    table: data.table,
    payloadBucket: data.payloadBucket,
    endpoint: endpoint.modelEndpoint,
    functionPlacement: data.network?.functionPlacement(),
  });

  const monitoring = config.monitoring.enabled
    ? new MonitoringStack(app, `${prefix}-monitoring`, {
        env,
        prefix,
        monitoring: config.monitoring,
        layout: dashboardLayout(config),
        description: `${prefix}: metric filters, alarms, notifications and dashboard`,
        restApi: api.api,
        predictFunction: api.predictFunction,
        readFunction: api.readFunction,
        endpoint: endpoint.modelEndpoint,
        table: data.table,
      })
    : undefined;

  const functions = [api.predictFunction.function, api.readFunction.function, endpoint.deploymentRecorder.function];
  const audit = config.audit.enabled
    ? new AuditStack(app, `${prefix}-audit`, {
        env,
        prefix,
        stage: config.stage,
        audit: config.audit,
        logRetentionDays: config.logRetentionDays,
        description: `${prefix}: ${config.audit.backend === 'lake' ? 'CloudTrail Lake event data store' : 'CloudTrail trail, Object Lock bucket and Athena table'} for incident response`,
        table: data.table,
        functions,
        buckets: [data.payloadBucket, ...(endpoint.dataCaptureBucket ? [endpoint.dataCaptureBucket] : [])],
        accessLogsBucket: data.accessLogsBucket,
        roles: [...functions.map((f) => f.role!), endpoint.modelEndpoint.role],
        restApi: api.api,
        apiKeys: api.apiKey ? [api.apiKey] : [],
        endpoint: endpoint.modelEndpoint,
      })
    : undefined;

  const stages: Stack[] = [data, endpoint, api, ...(monitoring ? [monitoring] : []), ...(audit ? [audit] : [])];
  const ci = config.ci
    ? new CiStack(app, `${prefix}-ci`, {
        ...common,
        description: `${prefix}: GitHub OIDC roles that deploy (${config.ci.githubRepository} ${config.ci.branch}) and diff this stage`,
        stackNames: stages.map((s) => s.stackName),
        // IAM allows one GitHub OIDC provider per account: a second stage or project in the account imports the first one's.
        oidcProviderArn: app.node.tryGetContext('ciOidcProviderArn'),
      })
    : undefined;
  const all: Stack[] = [...stages, ...(ci ? [ci] : [])];
  // Control Tower's proactive controls for every resource of a kind, in every stack of the stage.
  const guardrails = new StageGuardrails({ logKey: data.key, stage: config.stage });
  for (const stack of all) Aspects.of(stack).add(guardrails);
  // CT.CLOUDWATCH.PR.1 asks every alarm for an action on ALARM. The rollback alarms act through
  // SageMaker: deployment guardrails watch them during a deployment and roll it back when one fires.
  for (const alarm of endpoint.modelEndpoint.rollbackAlarms) {
    acknowledgeControl(
      alarm,
      'CT.CLOUDWATCH.PR.1',
      "Watched by the deployment guardrail, which acts on them: SageMaker reads this alarm during a blue/green deployment (AutoRollbackConfiguration) and rolls the deployment back when it fires; the monitoring stack's own alarms notify people.",
    );
  }
  for (const stack of all) {
    Tags.of(stack).add('project', config.project);
    Tags.of(stack).add('stage', config.stage);
    for (const [key, value] of Object.entries(config.tags)) Tags.of(stack).add(key, value);
  }
  // The model version tags what serves the model; tagging the data stack too would make
  // every model update show tag changes on the table, key and buckets in `cdk diff`.
  for (const stack of [endpoint, api]) Tags.of(stack).add('model-version', config.model.version);
  return { data, endpoint, api, monitoring, audit, ci, all };
}
