import { AthenaClient } from '@aws-sdk/client-athena';
import { APIGatewayClient, UpdateApiKeyCommand, UpdateStageCommand } from '@aws-sdk/client-api-gateway';
import { CloudFormationClient, ListStackResourcesCommand, StackResourceSummary } from '@aws-sdk/client-cloudformation';
import { CloudTrailClient } from '@aws-sdk/client-cloudtrail';
import {
  AttachRolePolicyCommand,
  DeleteRolePolicyCommand,
  DetachRolePolicyCommand,
  IAMClient,
  PutRolePolicyCommand,
} from '@aws-sdk/client-iam';
import {
  DeleteFunctionConcurrencyCommand,
  LambdaClient,
  PutFunctionConcurrencyCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';

/**
 * The AWS SDK v3 clients the runbook uses, and the only write calls it may send. Containment
 * plans and restore records are lists of {@link AwsCall}s; sending goes through
 * {@link sendCall}, which refuses anything outside {@link WRITE_OPERATIONS}, so a tampered
 * record file cannot make the tool call an arbitrary API.
 */
export interface AwsClients {
  readonly region: string;
  readonly cloudformation: CloudFormationClient;
  readonly apigateway: APIGatewayClient;
  readonly lambda: LambdaClient;
  readonly iam: IAMClient;
  readonly cloudtrail: CloudTrailClient;
  readonly athena: AthenaClient;
}

export interface ClientOptions {
  readonly region: string;
  /** Send every call to this URL instead of AWS (a local emulator, or the tests' fake service). */
  readonly endpoint?: string;
}

export function createClients(options: ClientOptions): AwsClients {
  const config = { region: options.region, endpoint: options.endpoint, maxAttempts: 3 };
  return {
    region: options.region,
    cloudformation: new CloudFormationClient(config),
    apigateway: new APIGatewayClient(config),
    lambda: new LambdaClient(config),
    iam: new IAMClient(config),
    cloudtrail: new CloudTrailClient(config),
    athena: new AthenaClient(config),
  };
}

export function destroyClients(clients: AwsClients): void {
  for (const client of [clients.cloudformation, clients.apigateway, clients.lambda, clients.iam, clients.cloudtrail, clients.athena])
    client.destroy();
}

/** One write request, as planned, printed in a dry run, recorded and undone. */
export interface AwsCall {
  readonly service: 'apigateway' | 'lambda' | 'iam';
  readonly operation: string;
  readonly input: Record<string, unknown>;
}

// Inputs come from plans and records as plain JSON; each command's own serializer checks them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- plain JSON from plans and records; each command's serializer checks it
type Send = (clients: AwsClients, input: any) => Promise<unknown>;
const WRITE_OPERATIONS: Readonly<Record<string, Send>> = {
  'apigateway:UpdateStage': (c, input) => c.apigateway.send(new UpdateStageCommand(input)),
  'apigateway:UpdateApiKey': (c, input) => c.apigateway.send(new UpdateApiKeyCommand(input)),
  'lambda:PutFunctionConcurrency': (c, input) => c.lambda.send(new PutFunctionConcurrencyCommand(input)),
  'lambda:DeleteFunctionConcurrency': (c, input) => c.lambda.send(new DeleteFunctionConcurrencyCommand(input)),
  'lambda:UpdateFunctionConfiguration': (c, input) => c.lambda.send(new UpdateFunctionConfigurationCommand(input)),
  'iam:DetachRolePolicy': (c, input) => c.iam.send(new DetachRolePolicyCommand(input)),
  'iam:AttachRolePolicy': (c, input) => c.iam.send(new AttachRolePolicyCommand(input)),
  'iam:PutRolePolicy': (c, input) => c.iam.send(new PutRolePolicyCommand(input)),
  'iam:DeleteRolePolicy': (c, input) => c.iam.send(new DeleteRolePolicyCommand(input)),
};

export function isKnownWrite(call: AwsCall): boolean {
  return `${call.service}:${call.operation}` in WRITE_OPERATIONS;
}

export async function sendCall(clients: AwsClients, call: AwsCall): Promise<void> {
  const send = WRITE_OPERATIONS[`${call.service}:${call.operation}`];
  if (!send) throw new Error(`refusing to send ${call.service} ${call.operation}: not a containment or restore operation`);
  await send(clients, call.input);
}

export function describeCall(call: AwsCall): string {
  return `${call.service} ${call.operation} ${JSON.stringify(call.input)}`;
}

/** Every resource of a CloudFormation stack (ListStackResources pages, so stacks over 100 resources work). */
export async function listStackResources(clients: AwsClients, stackName: string): Promise<StackResourceSummary[]> {
  const resources: StackResourceSummary[] = [];
  let token: string | undefined;
  do {
    const page = await clients.cloudformation.send(new ListStackResourcesCommand({ StackName: stackName, NextToken: token }));
    resources.push(...(page.StackResourceSummaries ?? []));
    token = page.NextToken;
  } while (token);
  return resources;
}
