import { createClients } from '../../tools/runbook/aws-calls';
import { RunbookIo, runRunbook } from '../../tools/runbook/runbook-commands';
import { FakeAwsState } from './audit-fake-aws';

/** The runbook's result when called in-process: exit code and everything it printed. */
export interface RunbookResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runbook(
  argv: string[],
  options: { endpoint?: string; now?: Date; env?: Record<string, string | undefined> } = {},
): Promise<RunbookResult> {
  let stdout = '';
  let stderr = '';
  const io: RunbookIo = {
    stdout: (t) => (stdout += t),
    stderr: (t) => (stderr += t),
    env: options.env ?? { AWS_REGION: 'eu-west-1' },
    clients: ({ region }) => createClients({ region, endpoint: options.endpoint }),
    now: options.now ? () => options.now! : undefined,
    lakePollIntervalMs: 5,
  };
  const code = await runRunbook(argv, io);
  return { code, stdout, stderr };
}

export const ACCOUNT = '111122223333';
export const PREDICT_ROLE = 'inference-prod-api-PredictFunctionRole-1A2B3C';
export const READ_ROLE = 'inference-prod-api-ReadFunctionRole-4D5E6F';
export const ADMIN = 'arn:aws:iam::aws:policy/AdministratorAccess';

/** Two pipeline stacks as CloudFormation reports them: IAM-mode API and API-key-mode API. */
export function pipelineState(): FakeAwsState {
  return {
    stacks: {
      'inference-prod-api': [
        { logicalId: 'ApiF70053CD', physicalId: 'a1b2c3d4e5', type: 'AWS::ApiGateway::RestApi' },
        { logicalId: 'ApiDeploymentStageprod9F2A8C5B', physicalId: 'prod', type: 'AWS::ApiGateway::Stage' },
        { logicalId: 'PredictFunction8D1A8A3B', physicalId: 'inference-prod-predict', type: 'AWS::Lambda::Function' },
        { logicalId: 'ReadFunction5C8D2E1F', physicalId: 'inference-prod-read', type: 'AWS::Lambda::Function' },
        { logicalId: 'PredictFunctionServiceRole0F4E', physicalId: PREDICT_ROLE, type: 'AWS::IAM::Role' },
        { logicalId: 'ReadFunctionServiceRole7A1B', physicalId: READ_ROLE, type: 'AWS::IAM::Role' },
        { logicalId: 'AccessLogGroup3B2C', physicalId: '/aws/apigateway/inference-prod-api/access', type: 'AWS::Logs::LogGroup' },
      ],
      'inference-prod-keyed-api': [
        { logicalId: 'Api', physicalId: 'k9k9k9k9k9', type: 'AWS::ApiGateway::RestApi' },
        { logicalId: 'Stage', physicalId: 'prod', type: 'AWS::ApiGateway::Stage' },
        { logicalId: 'ApiKey', physicalId: 'key0000001', type: 'AWS::ApiGateway::ApiKey' },
      ],
      'other-app': [{ logicalId: 'Worker', physicalId: 'other-app-worker', type: 'AWS::Lambda::Function' }],
    },
    stages: {
      a1b2c3d4e5: { prod: { throttlingRateLimit: 200, throttlingBurstLimit: 400 } },
      k9k9k9k9k9: { prod: undefined },
    },
    apiKeys: { key0000001: { name: 'inference-prod-key', enabled: true } },
    functions: {
      'inference-prod-predict': {
        environment: { ENDPOINT_NAME: 'inference-prod-iris-classifier', TABLE_NAME: 'inference-prod-inferences' },
        role: PREDICT_ROLE,
      },
      'inference-prod-read': { environment: { TABLE_NAME: 'inference-prod-inferences' }, role: READ_ROLE },
      'other-app-worker': { environment: {} },
    },
    roles: {
      [PREDICT_ROLE]: { attached: ['arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole', ADMIN], inline: {} },
      [READ_ROLE]: { attached: [], inline: {} },
      'other-app-role': { attached: [ADMIN], inline: {} },
    },
  };
}
