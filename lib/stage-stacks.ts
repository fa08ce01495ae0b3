import { App, Environment, Stack, Tags } from 'aws-cdk-lib';
import { StageConfig, resourcePrefix } from './config/stage-config';
import { ApiStack } from './stacks/api-stack';
import { AuditStack } from './stacks/audit-stack';
import { CiStack } from './stacks/ci-stack';
import { DataStack } from './stacks/data-stack';
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
    ...common,
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
  });
  const api = new ApiStack(app, `${prefix}-api`, {
    ...common,
    description: `${prefix}: inference API and functions`,
    table: data.table,
    payloadBucket: data.payloadBucket,
    endpointName: endpoint.modelEndpoint.endpointName,
    endpointArn: endpoint.modelEndpoint.endpointArn,
    functionPlacement: data.network?.functionPlacement(),
  });

  const monitoring = config.monitoring.enabled
    ? new MonitoringStack(app, `${prefix}-monitoring`, {
        ...common,
        description: `${prefix}: metric filters, alarms, notifications and dashboard`,
        api,
        endpoint,
        data,
      })
    : undefined;

  const functions = [api.predictFunction.function, api.readFunction.function, endpoint.deploymentRecorder.function];
  const audit = config.audit.enabled
    ? new AuditStack(app, `${prefix}-audit`, {
        ...common,
        description: `${prefix}: ${config.audit.backend === 'lake' ? 'CloudTrail Lake event data store' : 'CloudTrail trail, Object Lock bucket and Athena table'} for incident response`,
        table: data.table,
        functions,
        buckets: [data.payloadBucket, ...(endpoint.dataCaptureBucket ? [endpoint.dataCaptureBucket] : [])],
        roles: [...functions.map((f) => f.role!), endpoint.modelEndpoint.role],
        restApi: api.api,
        apiKeys: api.apiKey ? [api.apiKey] : [],
        endpointName: endpoint.modelEndpoint.endpointName,
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
