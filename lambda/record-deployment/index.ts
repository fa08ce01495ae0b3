/**
 * A CloudFormation custom resource (ServiceToken = this function) that records each model
 * deployment in the metadata table. CloudFormation invokes it directly and then waits for
 * the function to PUT the outcome to the pre-signed ResponseURL: so every path, failures
 * and near-timeouts included, ends with that PUT — a stack must never hang for an hour.
 *
 * - Create, Update: write the deployment record (a new one each time: it is history).
 * - Delete: keep the history; report SUCCESS without touching the table.
 *
 * PhysicalResourceId is `deployment/<modelName>/<modelVersion>`: stable for a version, so
 * an update that changes other settings keeps the resource, and a new version replaces it
 * (CloudFormation then deletes the old one, which keeps its record).
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { DEPLOYMENT_PROPERTIES as P } from '../../contract/handlers';
import { Env, EnvError, loadTableName } from '../shared/env';
import { beginInvocation, createLogger, errorFacts } from '../shared/observability';
import { createTableClient } from '../shared/table';
import { DeploymentInfo, recordDeployment } from './deployment-record';

export { recordDeployment } from './deployment-record';
export type { DeploymentInfo, DeploymentRecord } from './deployment-record';

type Status = 'SUCCESS' | 'FAILED';
type CustomResourceHandler = (event: CloudFormationCustomResourceEvent, context?: Context) => Promise<void>;

/** Largest training statistics the record keeps: well under the 400 KB item limit. */
export const MAX_TRAINING_STATS_BYTES = 200_000;

/** Time kept back from the function's timeout to report a failure before Lambda ends it. */
const RESPONSE_RESERVE_MS = 5_000;

/**
 * Unlike the API's functions, a bad environment does not fail the init: CloudFormation
 * would get no response at all. It fails each Create and Update with the reason instead.
 */
export function createRecordDeploymentHandler(env: Env = process.env): CustomResourceHandler {
  const logger = createLogger();
  const table = createTableClient({ maxAttempts: 3, requestTimeoutMs: 2_000 });

  return async function recordDeploymentResource(event, context) {
    beginInvocation(logger, context, event.RequestId);
    let status: Status = 'SUCCESS';
    let reason: string | undefined;
    let physicalId = event.RequestType === 'Create' ? `failed/${event.RequestId}` : event.PhysicalResourceId;
    let data: Record<string, string> | undefined;

    try {
      if (event.RequestType !== 'Delete') {
        const tableName = loadTableName(env, 'deployment-record');
        const info = deploymentInfoOf(event.ResourceProperties);
        physicalId = `deployment/${info.modelName}/${info.modelVersion}`;
        const budgetMs = (context?.getRemainingTimeInMillis() ?? 30_000) - RESPONSE_RESERVE_MS;
        const record = await withDeadline(recordDeployment(table, tableName, info), Math.max(budgetMs, 1_000));
        data = { DeployedAt: record.deployedAt, RecordKey: record.sk };
        logger.info('deployment recorded', {
          requestType: event.RequestType,
          modelName: info.modelName,
          modelVersion: info.modelVersion,
          deployedAt: record.deployedAt,
        });
      } else {
        logger.info('deployment resource deleted; its records are kept', { physicalResourceId: physicalId });
      }
    } catch (error) {
      status = 'FAILED';
      const ours = error instanceof PropertyError || error instanceof DeadlineError || error instanceof EnvError;
      reason = ours ? error.message : `writing the deployment record failed: ${errorName(error)}`;
      logger.error('deployment not recorded', { requestType: event.RequestType, reason, ...errorFacts(error) });
    }

    const logHint = context ? ` (log stream ${context.logStreamName})` : '';
    await sendResponse(event, {
      Status: status,
      Reason: reason ? `${reason}${logHint}`.slice(0, 1_000) : `see log stream ${context?.logStreamName ?? 'of the function'}`,
      PhysicalResourceId: physicalId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
      NoEcho: false,
      Data: data,
    }).catch((error: unknown) => {
      // Nothing else can tell CloudFormation: the stack waits for its timeout. Leave a trace.
      logger.error('custom resource response not delivered', errorFacts(error));
    });
  };
}

class PropertyError extends Error {
  override name = 'PropertyError';
}
class DeadlineError extends Error {
  override name = 'DeadlineError';
}

/** The resource's properties as a DeploymentInfo; CloudFormation passes every leaf as a string. */
export function deploymentInfoOf(props: Record<string, unknown>): DeploymentInfo {
  const required = (name: string): string => {
    const value = props[name];
    if (typeof value !== 'string' || value.trim() === '') throw new PropertyError(`property ${name} is required`);
    return value;
  };
  const optional = (name: string): string | undefined =>
    typeof props[name] === 'string' && props[name] !== '' ? (props[name] as string) : undefined;

  let capacity = props[P.capacity];
  if (typeof capacity === 'string') {
    try {
      capacity = JSON.parse(capacity);
    } catch {
      throw new PropertyError(`property ${P.capacity} must be an object or its JSON`);
    }
  }
  if (typeof capacity !== 'object' || capacity === null || Array.isArray(capacity))
    throw new PropertyError(`property ${P.capacity} must be an object`);

  let trainingStats = props[P.trainingStats];
  if (trainingStats !== undefined && trainingStats !== '') {
    if (typeof trainingStats !== 'string') throw new PropertyError(`property ${P.trainingStats} must be the statistics' JSON`);
    // The item limit is 400 KB and the record carries more than the statistics ("Service, account,
    // and table quotas in Amazon DynamoDB", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
    if (Buffer.byteLength(trainingStats, 'utf8') > MAX_TRAINING_STATS_BYTES) {
      throw new PropertyError(`property ${P.trainingStats} is over ${MAX_TRAINING_STATS_BYTES} bytes; keep fewer bins or features`);
    }
    try {
      trainingStats = JSON.parse(trainingStats);
    } catch {
      throw new PropertyError(`property ${P.trainingStats} must be the statistics' JSON`);
    }
    if (typeof trainingStats !== 'object' || trainingStats === null || Array.isArray(trainingStats))
      throw new PropertyError(`property ${P.trainingStats} must be an object`);
  } else {
    trainingStats = undefined;
  }

  return {
    trainingStats: trainingStats as Record<string, unknown> | undefined,
    modelName: required(P.modelName),
    modelVersion: required(P.modelVersion),
    imageUri: optional(P.imageUri),
    modelDataUrl: optional(P.modelDataUrl),
    endpointName: required(P.endpointName),
    endpointConfigName: optional(P.endpointConfigName),
    capacity: destringify(capacity) as Record<string, unknown>,
    stage: required(P.stage),
  };
}

/** Undoes CloudFormation's stringification: "2048" → 2048, "true" → true, recursively. */
function destringify(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(destringify);
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, destringify(v)]));
  if (value === 'true' || value === 'false') return value === 'true';
  if (typeof value === 'string' && /^-?(0|[1-9]\d{0,14})(\.\d+)?$/.test(value)) return Number(value);
  return value;
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`writing the deployment record took longer than ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

interface CustomResourceResponse {
  readonly Status: Status;
  readonly Reason: string;
  readonly PhysicalResourceId: string;
  readonly StackId: string;
  readonly RequestId: string;
  readonly LogicalResourceId: string;
  readonly NoEcho: boolean;
  readonly Data?: Record<string, string>;
}

/** PUTs the response to the pre-signed URL, retrying a few times: it is the only way CloudFormation learns the outcome. */
async function sendResponse(event: CloudFormationCustomResourceEvent, response: CustomResourceResponse): Promise<void> {
  const body = Buffer.from(JSON.stringify(response), 'utf8');
  let lastError: unknown;
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await put(event.ResponseURL, body);
      return;
    } catch (error) {
      lastError = error;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
  throw lastError;
}

function put(url: string, body: Buffer): Promise<void> {
  const target = new URL(url);
  const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      // The URL is pre-signed for an empty content type.
      { method: 'PUT', headers: { 'content-type': '', 'content-length': body.length }, timeout: 10_000 },
      (res) => {
        res.resume();
        res.on('end', () => ((res.statusCode ?? 0) < 300 ? resolve() : reject(new Error(`ResponseURL answered ${res.statusCode}`))));
      },
    );
    req.on('timeout', () => req.destroy(new Error('ResponseURL did not answer within 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

export const handler: CustomResourceHandler = createRecordDeploymentHandler();
