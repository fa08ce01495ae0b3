/**
 * Containment actions for this pipeline. Each one:
 *  - finds its targets only among the resources of the CloudFormation stack it is pointed at,
 *  - reads the targets' current state (read-only calls) and plans the exact write requests,
 *  - records that prior state and the inverse requests in a JSON file before sending anything,
 *    so `restore` can undo exactly what was done, even after a partial failure.
 * Planning never writes; the runbook sends the changes only when the responder confirms.
 */
import * as fs from 'fs';
import { GetApiKeyCommand, GetStagesCommand } from '@aws-sdk/client-api-gateway';
import { GetRolePolicyCommand, ListAttachedRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConcurrencyCommand, GetFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { PREDICT_ENV } from '../../contract/handlers';
import { AwsCall, AwsClients, describeCall, isKnownWrite, listStackResources, sendCall } from './aws-calls';
import { CONTAINMENT_ACTIONS, ContainmentAction, ContainmentError, REVOKE_POLICY_NAME, SESSIONS_REVOKED_ENV } from './containment-actions';

const THROTTLE_PATHS = ['/*/*/throttling/rateLimit', '/*/*/throttling/burstLimit'];

export interface ContainmentRequest {
  readonly action: string;
  readonly stack: string;
  /** `detach-policy`, `revoke-role-sessions`: role name, logical id or ARN of a role of the stack. */
  readonly role?: string;
  readonly policyArn?: string;
  /** `stop-predictions`: the function, when the stack has more than one prediction function. */
  readonly functionName?: string;
  /** `throttle-api`: force stage throttling or key disabling; default by the stack's auth mode. */
  readonly via?: 'auto' | 'stage' | 'api-key';
  readonly now?: Date;
}

export interface ContainmentPlan {
  readonly version: 1;
  readonly action: ContainmentAction;
  readonly stack: string;
  readonly region: string;
  readonly createdAt: string;
  /** What the plan acts on, in words. */
  readonly targets: readonly string[];
  /** State read before any change, for the responder and for restore. */
  readonly prior: Readonly<Record<string, unknown>>;
  readonly changes: readonly AwsCall[];
  /** `undo[i]` reverses `changes[i]`. */
  readonly undo: readonly AwsCall[];
  readonly notes: readonly string[];
}

export interface ContainmentRecord extends ContainmentPlan {
  status: 'applying' | 'applied' | 'failed' | 'restored';
  /** How many of `changes` were sent successfully; restore undoes exactly those. */
  appliedCount: number;
  error?: string;
  restoredAt?: string;
}

/** The stack's resources by kind: physical ids, plus logical id to physical id. */
interface StackTargets {
  readonly restApis: readonly string[];
  readonly stages: readonly string[];
  readonly apiKeys: readonly string[];
  readonly functions: readonly string[];
  readonly roles: readonly string[];
  readonly logical: ReadonlyMap<string, string>;
}

export async function planContainment(clients: AwsClients, request: ContainmentRequest): Promise<ContainmentPlan> {
  if (!(request.action in CONTAINMENT_ACTIONS)) {
    throw new ContainmentError(`unknown action '${request.action}' (actions: ${Object.keys(CONTAINMENT_ACTIONS).join(', ')})`);
  }
  const action = request.action as ContainmentAction;
  const targets = await stackTargets(clients, request.stack);
  const base = {
    version: 1 as const,
    action,
    stack: request.stack,
    region: clients.region,
    createdAt: (request.now ?? new Date()).toISOString(),
  };
  switch (action) {
    case 'throttle-api':
      return { ...base, ...(await planThrottleApi(clients, targets, request)) };
    case 'stop-predictions':
      return { ...base, ...(await planStopPredictions(clients, targets, request)) };
    case 'detach-policy':
      return { ...base, ...(await planDetachPolicy(clients, targets, request)) };
    case 'revoke-role-sessions':
      return { ...base, ...(await planRevokeSessions(clients, targets, request)) };
  }
}

type PlanBody = Pick<ContainmentPlan, 'targets' | 'prior' | 'changes' | 'undo' | 'notes'>;

async function planThrottleApi(clients: AwsClients, t: StackTargets, request: ContainmentRequest): Promise<PlanBody> {
  const via = request.via ?? 'auto';
  const useKeys = via === 'api-key' || (via === 'auto' && t.apiKeys.length > 0);
  const targets: string[] = [];
  const prior: Record<string, unknown> = {};
  const changes: AwsCall[] = [];
  const undo: AwsCall[] = [];
  const notes: string[] = [];
  if (useKeys) {
    if (t.apiKeys.length === 0)
      throw new ContainmentError(`stack ${request.stack} has no API keys (AWS::ApiGateway::ApiKey); use --via stage`);
    for (const apiKey of t.apiKeys) {
      const key = await clients.apigateway.send(new GetApiKeyCommand({ apiKey }));
      targets.push(`API key ${apiKey}${key.name ? ` (${key.name})` : ''}`);
      prior[`apiKey:${apiKey}`] = { enabled: key.enabled ?? false };
      if (!key.enabled) {
        notes.push(`API key ${apiKey} is already disabled: nothing to do`);
        continue;
      }
      changes.push(apiKeyCall(apiKey, false));
      undo.push(apiKeyCall(apiKey, true));
    }
    notes.push('callers with a disabled key get 403 Forbidden; IAM-signed calls are not affected by keys');
    return { targets, prior, changes, undo, notes };
  }
  if (t.restApis.length === 0 || t.stages.length === 0)
    throw new ContainmentError(`stack ${request.stack} has no REST API stage (AWS::ApiGateway::Stage)`);
  for (const restApiId of t.restApis) {
    const stages = await clients.apigateway.send(new GetStagesCommand({ restApiId }));
    for (const stage of stages.item ?? []) {
      if (!stage.stageName || !t.stages.includes(stage.stageName)) continue;
      const current = stage.methodSettings?.['*/*'];
      const before = { throttlingRateLimit: current?.throttlingRateLimit, throttlingBurstLimit: current?.throttlingBurstLimit };
      targets.push(`REST API ${restApiId} stage ${stage.stageName}`);
      prior[`stage:${restApiId}/${stage.stageName}`] = before;
      if (before.throttlingRateLimit === 0 && before.throttlingBurstLimit === 0) {
        notes.push(`stage ${stage.stageName} is already throttled to 0: nothing to do`);
        continue;
      }
      changes.push(stageCall(restApiId, stage.stageName, [0, 0]));
      undo.push(stageCall(restApiId, stage.stageName, [before.throttlingRateLimit, before.throttlingBurstLimit]));
    }
  }
  if (targets.length === 0)
    throw new ContainmentError(`no stage of stack ${request.stack} was found on its REST APIs (${t.restApis.join(', ')})`);
  notes.push('every method of the stage answers 429 Too Many Requests until restored');
  return { targets, prior, changes, undo, notes };
}

function apiKeyCall(apiKey: string, enabled: boolean): AwsCall {
  return {
    service: 'apigateway',
    operation: 'UpdateApiKey',
    input: { apiKey, patchOperations: [{ op: 'replace', path: '/enabled', value: String(enabled) }] },
  };
}

function stageCall(restApiId: string, stageName: string, [rate, burst]: [number | undefined, number | undefined]): AwsCall {
  // A stage without stage-wide settings had no throttle of its own: restore removes ours.
  const op = (path: string, value: number | undefined) =>
    value === undefined ? { op: 'remove', path } : { op: 'replace', path, value: String(value) };
  return {
    service: 'apigateway',
    operation: 'UpdateStage',
    input: { restApiId, stageName, patchOperations: [op(THROTTLE_PATHS[0], rate), op(THROTTLE_PATHS[1], burst)] },
  };
}

async function planStopPredictions(clients: AwsClients, t: StackTargets, request: ContainmentRequest): Promise<PlanBody> {
  const functionName = await predictionFunction(clients, t, request);
  const current = await clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
  const before = current.ReservedConcurrentExecutions;
  const body = {
    targets: [`Lambda function ${functionName}`],
    prior: { [`function:${functionName}`]: { reservedConcurrentExecutions: before ?? null } },
    notes: ['requests to the API get an error while the function is stopped; records already stored are untouched'],
  };
  if (before === 0) {
    return {
      ...body,
      changes: [],
      undo: [],
      notes: [...body.notes, `function ${functionName} already has reserved concurrency 0: nothing to do`],
    };
  }
  return {
    ...body,
    changes: [
      { service: 'lambda', operation: 'PutFunctionConcurrency', input: { FunctionName: functionName, ReservedConcurrentExecutions: 0 } },
    ],
    undo: [
      before === undefined
        ? { service: 'lambda', operation: 'DeleteFunctionConcurrency', input: { FunctionName: functionName } }
        : {
            service: 'lambda',
            operation: 'PutFunctionConcurrency',
            input: { FunctionName: functionName, ReservedConcurrentExecutions: before },
          },
    ],
  };
}

/** The named function, or the stack's one function whose environment names the endpoint. */
async function predictionFunction(clients: AwsClients, t: StackTargets, request: ContainmentRequest): Promise<string> {
  if (t.functions.length === 0) throw new ContainmentError(`stack ${request.stack} has no Lambda functions`);
  if (request.functionName) return resolveIn(t, t.functions, request.functionName, 'function', request.stack);
  const candidates: string[] = [];
  for (const name of t.functions) {
    const config = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (config.Environment?.Variables?.[PREDICT_ENV.endpointName]) candidates.push(name);
  }
  if (candidates.length !== 1) {
    throw new ContainmentError(
      `stack ${request.stack} has ${candidates.length} functions calling an endpoint (${PREDICT_ENV.endpointName} set): pass --function (functions: ${t.functions.join(', ')})`,
    );
  }
  return candidates[0];
}

async function planDetachPolicy(clients: AwsClients, t: StackTargets, request: ContainmentRequest): Promise<PlanBody> {
  if (!request.role) throw new ContainmentError('detach-policy needs --role ROLE (a role of the stack)');
  if (!request.policyArn) throw new ContainmentError('detach-policy needs --policy-arn ARN (a managed policy attached to the role)');
  if (!/^arn:aws[a-z-]*:iam::(aws|\d{12}):policy\/[\w+=,.@/-]+$/.test(request.policyArn)) {
    throw new ContainmentError(`--policy-arn '${request.policyArn}' is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)`);
  }
  const roleName = resolveIn(t, t.roles, request.role, 'role', request.stack);
  const attached = await attachedPolicies(clients, roleName);
  if (!attached.includes(request.policyArn)) {
    throw new ContainmentError(
      `policy ${request.policyArn} is not attached to role ${roleName} (attached: ${attached.join(', ') || 'none'})`,
    );
  }
  const input = { RoleName: roleName, PolicyArn: request.policyArn };
  return {
    targets: [`IAM role ${roleName}`, `managed policy ${request.policyArn}`],
    prior: { [`role:${roleName}`]: { attachedPolicies: attached } },
    changes: [{ service: 'iam', operation: 'DetachRolePolicy', input }],
    undo: [{ service: 'iam', operation: 'AttachRolePolicy', input }],
    notes: ['sessions of the role lose the policy within seconds (IAM is eventually consistent)'],
  };
}

async function attachedPolicies(clients: AwsClients, roleName: string): Promise<string[]> {
  const arns: string[] = [];
  let marker: string | undefined;
  do {
    const page = await clients.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: roleName, Marker: marker }));
    arns.push(...(page.AttachedPolicies ?? []).map((p) => p.PolicyArn ?? ''));
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return arns;
}

async function planRevokeSessions(clients: AwsClients, t: StackTargets, request: ContainmentRequest): Promise<PlanBody> {
  if (!request.role) throw new ContainmentError('revoke-role-sessions needs --role ROLE (a role of the stack)');
  const roleName = resolveIn(t, t.roles, request.role, 'role', request.stack);
  const prior = await inlinePolicy(clients, roleName, REVOKE_POLICY_NAME);
  const issuedBefore = (request.now ?? new Date()).toISOString();
  const document = JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Deny', Action: ['*'], Resource: ['*'], Condition: { DateLessThan: { 'aws:TokenIssueTime': issuedBefore } } }],
  });
  const put = (doc: string): AwsCall => ({
    service: 'iam',
    operation: 'PutRolePolicy',
    input: { RoleName: roleName, PolicyName: REVOKE_POLICY_NAME, PolicyDocument: doc },
  });
  const changes: AwsCall[] = [put(document)];
  const undo: AwsCall[] = [
    prior === undefined
      ? { service: 'iam', operation: 'DeleteRolePolicy', input: { RoleName: roleName, PolicyName: REVOKE_POLICY_NAME } }
      : put(prior),
  ];
  const priorState: Record<string, unknown> = { [`role:${roleName}`]: { [REVOKE_POLICY_NAME]: prior ?? null } };
  const targets = [`IAM role ${roleName}`];
  const notes = [`every credential of the role issued before ${issuedBefore} is denied everything; new sessions work`];

  // The stack's functions running with this role: bump one environment variable so Lambda
  // replaces their execution environments, which then start with credentials issued after the cutoff.
  const replaced: string[] = [];
  for (const name of t.functions) {
    const config = await clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: name }));
    if (!config.Role || config.Role.slice(config.Role.lastIndexOf('/') + 1) !== roleName) continue;
    const variables = config.Environment?.Variables ?? {};
    priorState[`function:${name}`] = { environment: variables };
    targets.push(`Lambda function ${name} (its warm execution environments)`);
    changes.push({
      service: 'lambda',
      operation: 'UpdateFunctionConfiguration',
      input: { FunctionName: name, Environment: { Variables: { ...variables, [SESSIONS_REVOKED_ENV]: issuedBefore } } },
    });
    undo.push({
      service: 'lambda',
      operation: 'UpdateFunctionConfiguration',
      input: { FunctionName: name, Environment: { Variables: variables } },
    });
    replaced.push(name);
  }
  if (replaced.length > 0) {
    notes.push(
      `warm Lambda environments keep the credentials they started with, which this revokes: they would fail every call until replaced, so ${SESSIONS_REVOKED_ENV} is set on ${replaced.join(', ')} (a configuration update), and Lambda replaces them; calls in flight may fail once`,
      "restore deletes the deny policy and puts the functions' environment back (again a configuration update: environments are replaced once more)",
    );
  } else {
    notes.push(
      `no function of stack ${request.stack} runs with this role; anything else holding its credentials fails until it assumes the role again`,
    );
  }
  return { targets, prior: priorState, changes, undo, notes };
}

async function inlinePolicy(clients: AwsClients, roleName: string, policyName: string): Promise<string | undefined> {
  try {
    const policy = await clients.iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
    // IAM returns policy documents URL-encoded.
    return policy.PolicyDocument ? decodeURIComponent(policy.PolicyDocument) : undefined;
  } catch (error) {
    if ((error as { name?: string }).name === 'NoSuchEntityException' || (error as { name?: string }).name === 'NoSuchEntity')
      return undefined;
    throw error;
  }
}

/** A resource of the stack by physical id, logical id or ARN; anything else is refused. */
function resolveIn(t: StackTargets, physical: readonly string[], given: string, kind: string, stack: string): string {
  const name = given.startsWith('arn:')
    ? given
        .slice(given.lastIndexOf('/') + 1)
        .replace(/^function:/, '')
        .split(':')
        .pop()!
    : given;
  const found =
    physical.find((p) => p === name) ??
    (t.logical.has(given) && physical.includes(t.logical.get(given)!) ? t.logical.get(given) : undefined);
  if (!found)
    throw new ContainmentError(`${kind} '${given}' is not a resource of stack ${stack} (${kind}s: ${physical.join(', ') || 'none'})`);
  return found;
}

async function stackTargets(clients: AwsClients, stack: string): Promise<StackTargets> {
  let resources;
  try {
    resources = await listStackResources(clients, stack);
  } catch (error) {
    const message = (error as Error).message;
    if (/does not exist/.test(message)) throw new ContainmentError(`stack '${stack}' not found in ${clients.region}`);
    throw error;
  }
  const of = (type: string) => resources.filter((r) => r.ResourceType === type && r.PhysicalResourceId).map((r) => r.PhysicalResourceId!);
  return {
    restApis: of('AWS::ApiGateway::RestApi'),
    stages: of('AWS::ApiGateway::Stage'),
    apiKeys: of('AWS::ApiGateway::ApiKey'),
    functions: of('AWS::Lambda::Function'),
    roles: of('AWS::IAM::Role'),
    logical: new Map(
      resources.filter((r) => r.LogicalResourceId && r.PhysicalResourceId).map((r) => [r.LogicalResourceId!, r.PhysicalResourceId!]),
    ),
  };
}

/**
 * Writes the record, then sends the changes one by one, updating the record after each, so
 * the file always says exactly what was done. The record must not exist yet: an earlier
 * record is the only way back to the state before the incident.
 */
export async function applyPlan(clients: AwsClients, plan: ContainmentPlan, recordFile: string): Promise<ContainmentRecord> {
  const record: ContainmentRecord = { ...plan, status: 'applying', appliedCount: 0 };
  try {
    fs.writeFileSync(recordFile, json(record), { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      throw new ContainmentError(`record file ${recordFile} already exists; choose another with --record`);
    throw new ContainmentError(`cannot write record file ${recordFile}: ${(error as Error).message}`);
  }
  try {
    for (const call of plan.changes) {
      await sendCall(clients, call);
      record.appliedCount++;
      fs.writeFileSync(recordFile, json(record));
    }
    record.status = 'applied';
  } catch (error) {
    record.status = 'failed';
    record.error = (error as Error).message;
    fs.writeFileSync(recordFile, json(record));
    throw new ContainmentError(
      `${describeCall(plan.changes[record.appliedCount])} failed: ${record.error}; ${record.appliedCount} change(s) applied, recorded in ${recordFile} for restore`,
    );
  }
  fs.writeFileSync(recordFile, json(record));
  return record;
}

/** Reads and checks a record file; a record that was never applied, or was restored, is refused. */
export function readRecord(file: string): ContainmentRecord {
  let record: ContainmentRecord;
  try {
    record = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ContainmentError(`cannot read record ${file}: ${(error as Error).message}`);
  }
  const problems: string[] = [];
  if (record?.version !== 1) problems.push('version is not 1');
  if (typeof record?.stack !== 'string' || typeof record?.region !== 'string') problems.push('no stack or region');
  if (!Array.isArray(record?.undo) || !Number.isInteger(record?.appliedCount) || record.appliedCount > record.undo.length)
    problems.push('undo list and appliedCount disagree');
  for (const call of Array.isArray(record?.undo) ? record.undo : [])
    if (!isKnownWrite(call)) problems.push(`unexpected call ${call?.service} ${call?.operation}`);
  if (problems.length > 0) throw new ContainmentError(`record ${file} is not a containment record: ${problems.join('; ')}`);
  if (record.status === 'restored') throw new ContainmentError(`record ${file} was already restored at ${record.restoredAt}`);
  return record;
}

/**
 * The calls that undo a record: the inverse of every applied change, newest first, each checked
 * again against the stack's current resources and against what containment could have done.
 */
export async function planRestore(clients: AwsClients, record: ContainmentRecord): Promise<AwsCall[]> {
  const t = await stackTargets(clients, record.stack);
  const calls = record.undo.slice(0, record.appliedCount).reverse();
  for (const call of calls) {
    const input = call.input as Record<string, unknown>;
    const checks: Array<[unknown, readonly string[], string]> = [
      [input.restApiId, t.restApis, 'REST API'],
      [input.stageName, t.stages, 'stage'],
      [input.apiKey, t.apiKeys, 'API key'],
      [input.FunctionName, t.functions, 'function'],
      [input.RoleName, t.roles, 'role'],
    ];
    for (const [value, allowed, kind] of checks) {
      if (value !== undefined && !allowed.includes(String(value))) {
        throw new ContainmentError(
          `record names ${kind} '${String(value)}', which is not a resource of stack ${record.stack}; refusing to restore`,
        );
      }
    }
    const paths = ((input.patchOperations as { path?: string }[] | undefined) ?? []).map((p) => p.path ?? '');
    if (paths.some((p) => ![...THROTTLE_PATHS, '/enabled'].includes(p)))
      throw new ContainmentError(`record holds an unexpected patch (${paths.join(', ')}); refusing to restore`);
    if ('PolicyName' in input && input.PolicyName !== REVOKE_POLICY_NAME)
      throw new ContainmentError(`record changes inline policy '${String(input.PolicyName)}'; refusing to restore`);
    // A configuration update may only put a function's environment back, nothing else (no role, no code).
    if (call.operation === 'UpdateFunctionConfiguration' && Object.keys(input).some((k) => k !== 'FunctionName' && k !== 'Environment')) {
      throw new ContainmentError(
        `record updates ${Object.keys(input)
          .filter((k) => k !== 'FunctionName' && k !== 'Environment')
          .join(', ')} of function '${String(input.FunctionName)}'; refusing to restore`,
      );
    }
  }
  return calls;
}

export async function applyRestore(
  clients: AwsClients,
  record: ContainmentRecord,
  file: string,
  calls: readonly AwsCall[],
  now = new Date(),
): Promise<void> {
  for (const call of calls) await sendCall(clients, call);
  record.status = 'restored';
  record.restoredAt = now.toISOString();
  fs.writeFileSync(file, json(record));
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
