/**
 * API Gateway REST proxy events and Lambda contexts as API Gateway and Lambda build them,
 * for calling the handlers directly.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayEventIdentity, APIGatewayProxyEvent, Context } from 'aws-lambda';
import { TEST_ACCOUNT } from './lambda-env';

export const IAM_CALLER: Partial<APIGatewayEventIdentity> = {
  userArn: `arn:aws:iam::${TEST_ACCOUNT}:user/alice`,
  accountId: TEST_ACCOUNT,
  caller: 'AIDAEXAMPLE',
  accessKey: 'AKIAEXAMPLESECRETISH',
  sourceIp: '203.0.113.7',
  userAgent: 'test-client/1.0',
};

export interface EventOptions {
  readonly method?: string;
  readonly resource?: string;
  readonly path?: string;
  readonly body?: string | null;
  readonly isBase64Encoded?: boolean;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string> | null;
  readonly multiQuery?: Record<string, string[]> | null;
  readonly pathParameters?: Record<string, string> | null;
  readonly identity?: Partial<APIGatewayEventIdentity>;
  readonly requestId?: string;
}

export function apiEvent(o: EventOptions = {}): APIGatewayProxyEvent {
  const requestId = o.requestId ?? randomUUID();
  const query = o.query ?? null;
  return {
    httpMethod: o.method ?? 'POST',
    resource: o.resource ?? '/predict',
    path: o.path ?? o.resource ?? '/predict',
    body: o.body === undefined ? null : o.body,
    isBase64Encoded: o.isBase64Encoded ?? false,
    headers: o.headers ?? {},
    multiValueHeaders: {},
    queryStringParameters: query,
    multiValueQueryStringParameters: o.multiQuery ?? (query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null),
    pathParameters: o.pathParameters ?? null,
    stageVariables: null,
    requestContext: {
      accountId: TEST_ACCOUNT,
      apiId: 'abc123',
      authorizer: null,
      protocol: 'HTTP/1.1',
      httpMethod: o.method ?? 'POST',
      identity: { ...IAM_CALLER, ...o.identity } as APIGatewayEventIdentity,
      path: `/test${o.path ?? o.resource ?? '/predict'}`,
      stage: 'test',
      requestId,
      requestTimeEpoch: Date.now(),
      resourceId: 'res123',
      resourcePath: o.resource ?? '/predict',
    },
  };
}

/** A POST /predict with a JSON body. */
export function predictEvent(body: unknown, o: EventOptions = {}): APIGatewayProxyEvent {
  return apiEvent({
    ...o,
    body: typeof body === 'string' ? body : JSON.stringify(body),
    headers: o.headers ?? { 'Content-Type': 'application/json' },
  });
}

export function lambdaContext(functionName = 'predict-test'): Context {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:${TEST_ACCOUNT}:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: '2024/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => 28_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
