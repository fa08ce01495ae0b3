import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { StageConfig } from '../../lib/config/stage-config';
import { DEPLOYED_ENDPOINT_OUTPUT } from '../../lib/stacks/endpoint-stack';
import { asAwsError, defaultCredentials } from './aws-env';
import { StageStack, stageStacks } from './stack-names';

/** One deployed stack: its status and its outputs by key. */
export interface DeployedStack {
  readonly name: string;
  readonly status: string;
  readonly outputs: Readonly<Record<string, string>>;
}

/** Everything a client of the stage needs, read from the stacks' outputs. */
export interface StageOutputs {
  readonly stage: string;
  readonly region: string;
  readonly apiUrl?: string;
  readonly tableName?: string;
  readonly endpointName?: string;
  readonly predictFunctionName?: string;
  readonly apiKeyId?: string;
  readonly dashboardUrl?: string;
  readonly alarmTopicArn?: string;
  readonly eventDataStoreArn?: string;
  readonly deployRoleArn?: string;
  readonly diffRoleArn?: string;
  /** Stacks of the stage that are not in the region (never deployed, or destroyed). */
  readonly missing: readonly string[];
  /** Stacks whose last operation failed or is still running: their outputs may be stale or absent. */
  readonly unsettled: ReadonlyArray<{ readonly name: string; readonly status: string }>;
  readonly stacks: readonly DeployedStack[];
}

/** Which output of which stack fills which field; the stacks' CfnOutput ids. */
const OUTPUT_FIELDS = {
  apiUrl: ['api', 'ApiUrl'],
  tableName: ['api', 'TableName'],
  endpointName: ['api', 'EndpointName'],
  predictFunctionName: ['api', 'PredictFunctionName'],
  apiKeyId: ['api', 'ApiKeyId'],
  dashboardUrl: ['monitoring', 'DashboardUrl'],
  alarmTopicArn: ['monitoring', 'AlarmTopicArn'],
  eventDataStoreArn: ['audit', 'EventDataStoreArn'],
  deployRoleArn: ['ci', 'DeployRoleArn'],
  diffRoleArn: ['ci', 'DiffRoleArn'],
} as const;

/**
 * Reads the stage's stacks with DescribeStacks. A stack that does not exist is reported in
 * `missing`, not thrown, so a half-deployed stage still shows what it has.
 */
export async function readStageOutputs(
  config: StageConfig,
  region: string,
  only?: ReadonlyArray<StageStack['role']>,
): Promise<StageOutputs> {
  const wanted = stageStacks(config).filter((s) => !only || only.includes(s.role));
  const cfn = new CloudFormationClient({ region, credentials: defaultCredentials(), maxAttempts: 3 });
  try {
    const found = await Promise.all(wanted.map((s) => describeStack(cfn, s.name)));
    const byRole = new Map(wanted.map((s, i) => [s.role, found[i]]));
    const fields: Record<string, string | undefined> = {};
    for (const [field, [role, key]] of Object.entries(OUTPUT_FIELDS)) fields[field] = byRole.get(role)?.outputs[key];
    const stacks = found.filter((s): s is DeployedStack => s !== undefined);
    return {
      stage: config.stage,
      // The API stack's own Region output wins: it is where the API really is.
      region: byRole.get('api')?.outputs.Region ?? region,
      ...fields,
      missing: wanted.filter((_s, i) => !found[i]).map((s) => s.name),
      unsettled: stacks.filter((s) => !isSettled(s.status)).map(({ name, status }) => ({ name, status })),
      stacks,
    };
  } finally {
    cfn.destroy();
  }
}

/** The stack, or undefined when CloudFormation says it does not exist. */
export async function describeStack(cfn: CloudFormationClient, name: string): Promise<DeployedStack | undefined> {
  try {
    const { Stacks = [] } = await cfn.send(new DescribeStacksCommand({ StackName: name }));
    const stack = Stacks[0];
    if (!stack) return undefined;
    const outputs: Record<string, string> = {};
    for (const o of stack.Outputs ?? []) if (o.OutputKey && o.OutputValue !== undefined) outputs[o.OutputKey] = o.OutputValue;
    return { name, status: stack.StackStatus ?? 'UNKNOWN', outputs };
  } catch (error) {
    // CloudFormation's only answer for an absent stack: ValidationError "Stack with id X does not exist".
    const e = error as { name?: string; message?: string };
    if (e?.name === 'ValidationError' && /does not exist/.test(e.message ?? '')) return undefined;
    throw asAwsError(error, `could not read stack ${name}`);
  }
}

/** A stack whose outputs can be trusted: the last create or update finished (or rolled back cleanly). */
function isSettled(status: string): boolean {
  return /_COMPLETE$/.test(status) && status !== 'ROLLBACK_COMPLETE' && status !== 'DELETE_COMPLETE';
}

/**
 * The endpoint as deployed now (the endpoint stack's DeployedEndpoint output, JSON), or
 * undefined before the first deploy. The deploy passes it as `-c endpoint.previous`.
 */
export async function readDeployedEndpoint(config: StageConfig, region: string): Promise<string | undefined> {
  const { stacks } = await readStageOutputs(config, region, ['endpoint']);
  return stacks[0]?.outputs[DEPLOYED_ENDPOINT_OUTPUT];
}
