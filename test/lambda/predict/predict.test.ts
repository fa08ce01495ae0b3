/**
 * The prediction handler against real local parts: dynalite for the table, a real HTTP
 * server speaking SageMaker runtime's protocol for the endpoint, a recording HTTP server
 * for S3 — through the real SDK clients, with the handler's real logs and metrics read
 * back from stdout.
 */
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR_KINDS, FALLBACK_MESSAGE, METRIC_NAMES, SUMMARY_MESSAGE } from '../../../contract/handlers';
import { EnvError, loadPredictConfig, PredictConfig } from '../../../lambda/shared/env';
import { utf8Prefix } from '../../../lambda/shared/payload';
import { InferenceRecord, recordFromFallbackLine } from '../../../lambda/shared/record';
import { putNewItem } from '../../../lambda/shared/table';
import { keys } from '../../../contract/table-design';
import { HandlerFixture, startHandlerFixture } from '../../harness/handler-fixture';
import { LocalDynamo } from '../../harness/lambda-dynamo';
import { TEST_ACCOUNT, predictEnv } from '../../harness/lambda-env';
import { apiEvent, IAM_CALLER, lambdaContext, predictEvent } from '../../harness/lambda-events';
import { HttpRecorder } from '../../harness/lambda-http-recorder';
import { FakeSageMaker } from '../../harness/lambda-sagemaker';
import { StdoutCapture } from '../../harness/lambda-stdout';

type PredictModule = typeof import('../../../lambda/predict');

const TABLE = 'inference-records';
const BUCKET = 'payload-bucket';
const BASE_ENV = predictEnv({
  TABLE_NAME: TABLE,
  INVOKE_TIMEOUT_MS: '2000',
  MAX_INLINE_BYTES: '1024',
  PAYLOAD_BUCKET: BUCKET,
  RECORD_TTL_DAYS: '7',
  IDEMPOTENCY_WINDOW_SEC: '3600',
});
const ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [6.7, 3.1, 5.6, 2.4],
];

let dynamo: LocalDynamo;
let sagemaker: FakeSageMaker;
let s3: HttpRecorder;
let out: StdoutCapture;
let predict: PredictModule;
let baseConfig: PredictConfig;
let fixture: HandlerFixture;

beforeAll(async () => {
  fixture = await startHandlerFixture({ tables: [TABLE], sagemaker: true, s3: true, env: BASE_ENV });
  dynamo = fixture.dynamo;
  sagemaker = fixture.sagemaker!;
  s3 = fixture.s3!;
  // The module configures its handler from the environment at import, as at a cold start.
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
  predict = require('../../../lambda/predict') as PredictModule;
  baseConfig = loadPredictConfig(process.env);
  out = fixture.captureOutput();
});

afterAll(() => fixture?.stop());

beforeEach(() => out.clear());

/** A handler with some settings changed (a different stage, endpoint or table). */
function handlerWith(overrides: Partial<PredictConfig>) {
  return predict.createPredictHandler({ ...baseConfig, ...overrides });
}

async function storedRecord(requestId: string): Promise<InferenceRecord | undefined> {
  const { Item } = await dynamo.client.send(new GetCommand({ TableName: TABLE, Key: keys.inference(requestId), ConsistentRead: true }));
  return Item as InferenceRecord | undefined;
}

function bodyOf(response: APIGatewayProxyResult): Record<string, unknown> {
  expect(response.headers?.['content-type']).toBe('application/json');
  return JSON.parse(response.body) as Record<string, unknown>;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Dimension sets of the EMF blobs carrying a metric. */
function dimensionsOf(blob: Record<string, unknown>): string[][] {
  return (blob._aws as { CloudWatchMetrics: { Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions;
}

describe('a successful prediction', () => {
  it('answers the predictions, records every field, logs one summary line and publishes its metrics', async () => {
    const requestBody = JSON.stringify({ instances: ROWS });
    const event = predictEvent(requestBody);
    const requestId = event.requestContext.requestId;

    const response = await predict.handler(event, lambdaContext());

    expect(response.statusCode).toBe(200);
    expect(response.headers?.['x-request-id']).toBe(requestId);
    const body = bodyOf(response);
    expect(body).toEqual({
      requestId,
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'iris-endpoint',
      variant: 'AllTraffic',
      predictions: [10.2, 17.8],
      latencyMs: expect.any(Number),
    });

    // What the endpoint received.
    const call = sagemaker.invocations.at(-1)!;
    expect(call).toEqual({
      endpointName: 'iris-endpoint',
      contentType: 'application/json',
      accept: 'application/json',
      body: JSON.stringify({ instances: ROWS }),
    });

    // The record.
    const record = await storedRecord(requestId);
    const modelAnswer = JSON.stringify({ predictions: [10.2, 17.8] });
    expect(record).toEqual({
      ...keys.inference(requestId),
      gsi1pk: `MODEL#1.0.0#${record!.createdAt.slice(0, 10)}#0`,
      gsi1sk: `${record!.createdAt}#${requestId}`,
      requestId,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      status: 'SUCCESS',
      httpStatus: 200,
      caller: {
        type: 'iam',
        principal: IAM_CALLER.userArn,
        accountId: TEST_ACCOUNT,
        sourceIp: '203.0.113.7',
        userAgent: 'test-client/1.0',
      },
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'iris-endpoint',
      variant: 'AllTraffic',
      input: { mode: 'full', sizeBytes: Buffer.byteLength(requestBody), sha256: sha256(requestBody), body: requestBody },
      output: { mode: 'full', sizeBytes: modelAnswer.length, sha256: sha256(modelAnswer), body: modelAnswer },
      latencyMs: body.latencyMs,
      modelLatencyMs: expect.any(Number),
      expiresAt: Math.floor(Date.parse(record!.createdAt) / 1000) + 7 * 86_400,
    });
    expect(record!.modelLatencyMs!).toBeLessThanOrEqual(record!.latencyMs);
    expect(Math.abs(Date.parse(record!.createdAt) - Date.now())).toBeLessThan(10_000);
    // The caller's access key is a credential: never stored.
    expect(JSON.stringify(record)).not.toContain(IAM_CALLER.accessKey);

    // Exactly one summary line, correlated with the request.
    const summaries = out.withMessage(SUMMARY_MESSAGE);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      level: 'INFO',
      correlation_id: requestId,
      service: 'inference-test',
      outcome: 'success',
      statusCode: 200,
      latencyMs: record!.latencyMs,
      modelLatencyMs: record!.modelLatencyMs,
      modelVersion: '1.0.0',
      endpointName: 'iris-endpoint',
      variant: 'AllTraffic',
    });
    expect(summaries[0]).not.toHaveProperty('errorKind');

    // Metrics: one EMF blob for the request, plus the cold start of this execution environment.
    const [inferences] = out.metric(METRIC_NAMES.inferences);
    expect(inferences).toMatchObject({
      Inferences: 1,
      Latency: record!.latencyMs,
      ModelLatency: record!.modelLatencyMs,
      service: 'inference-test',
    });
    expect((inferences._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0].Namespace).toBe(
      'InferencePipelineTest',
    );
    expect(dimensionsOf(inferences)).toEqual([['service']]);
    expect(out.metric(METRIC_NAMES.coldStart)).toHaveLength(1);
    expect(out.metric(METRIC_NAMES.errors)).toHaveLength(0);
    expect(out.metric(METRIC_NAMES.recordFallbacks)).toHaveLength(0);
    // No request id anywhere in the metrics' dimensions.
    for (const blob of out.lines().filter((l) => l._aws)) {
      expect(
        dimensionsOf(blob)
          .flat()
          .map((d) => String(blob[d])),
      ).not.toContain(requestId);
    }
  });

  it('counts the cold start once per execution environment', async () => {
    await predict.handler(predictEvent({ instances: ROWS }), lambdaContext());
    expect(out.metric(METRIC_NAMES.coldStart)).toHaveLength(0);
  });

  it('accepts a base64-encoded body and a charset parameter', async () => {
    const event = predictEvent(Buffer.from(JSON.stringify({ instances: ROWS })).toString('base64'), {
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json; charset=UTF-8' },
    });
    const response = await predict.handler(event, lambdaContext());
    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).predictions).toEqual([10.2, 17.8]);
    const record = await storedRecord(event.requestContext.requestId);
    expect(record!.input).toMatchObject({ mode: 'full', body: JSON.stringify({ instances: ROWS }) });
  });

  it('sends CSV lines to a text/csv model', async () => {
    const csv = handlerWith({ contentType: 'text/csv' });
    const response = await csv(predictEvent({ instances: ROWS }), lambdaContext());
    expect(bodyOf(response).predictions).toEqual([10.2, 17.8]);
    expect(sagemaker.invocations.at(-1)).toMatchObject({
      contentType: 'text/csv',
      accept: 'application/json',
      body: '5.1,3.5,1.4,0.2\n6.7,3.1,5.6,2.4',
    });
  });

  it('accepts any width when the feature count is 0, as long as rows share it', async () => {
    const anyWidth = handlerWith({ featureCount: 0 });
    const response = await anyWidth(
      predictEvent({
        instances: [
          [1, 2],
          [3, 4],
        ],
      }),
      lambdaContext(),
    );
    expect(bodyOf(response).predictions).toEqual([3, 7]);
  });

  it('keeps records forever when RECORD_TTL_DAYS is 0 (no expiresAt)', async () => {
    const event = predictEvent({ instances: ROWS });
    await handlerWith({ ttlDays: 0 })(event, lambdaContext());
    const record = await storedRecord(event.requestContext.requestId);
    expect(record).toMatchObject({ status: 'SUCCESS' });
    expect(record).not.toHaveProperty('expiresAt');
  });

  it('keys a request whose id is not a plain id by the Lambda request id', async () => {
    const event = predictEvent({ instances: ROWS }, { requestId: 'a/b#c' });
    const context = lambdaContext();
    const response = await predict.handler(event, context);
    expect(response.headers?.['x-request-id']).toBe(context.awsRequestId);
    expect(await storedRecord(context.awsRequestId)).toMatchObject({ requestId: context.awsRequestId, status: 'SUCCESS' });
  });

  it('records API-key callers by key id (never the key) and anonymous callers as such', async () => {
    const keyed = predictEvent(
      { instances: ROWS },
      { identity: { userArn: null, accountId: null, apiKeyId: 'key-id-1', apiKey: 'SECRET-API-KEY-VALUE' } },
    );
    await predict.handler(keyed, lambdaContext());
    const keyedRecord = await storedRecord(keyed.requestContext.requestId);
    expect(keyedRecord!.caller).toEqual({ type: 'api-key', apiKeyId: 'key-id-1', sourceIp: '203.0.113.7', userAgent: 'test-client/1.0' });
    expect(JSON.stringify(keyedRecord)).not.toContain('SECRET-API-KEY-VALUE');

    const anonymous = predictEvent(
      { instances: ROWS },
      { identity: { userArn: null, accountId: null, accessKey: null, sourceIp: '198.51.100.1', userAgent: null } },
    );
    await predict.handler(anonymous, lambdaContext());
    expect((await storedRecord(anonymous.requestContext.requestId))!.caller).toEqual({ type: 'anonymous', sourceIp: '198.51.100.1' });
  });
});

describe('bad input', () => {
  const row = [1, 2, 3, 4];
  const cases: [
    string,
    number,
    string,
    string,
    { body?: string | null; headers?: Record<string, string>; config?: Partial<PredictConfig> },
  ][] = [
    [
      'no Content-Type',
      415,
      'UnsupportedMediaType',
      'Content-Type must be application/json, got none',
      { body: '{"instances":[[1,2,3,4]]}', headers: {} },
    ],
    [
      'a text Content-Type',
      415,
      'UnsupportedMediaType',
      'Content-Type must be application/json, got another media type',
      { body: '{"instances":[[1,2,3,4]]}', headers: { 'Content-Type': 'text/plain' } },
    ],
    [
      'a latin-1 charset',
      415,
      'UnsupportedMediaType',
      'Content-Type charset must be utf-8, got another charset',
      { body: '{"instances":[[1,2,3,4]]}', headers: { 'content-type': 'application/json; charset=ISO-8859-1' } },
    ],
    ['no body', 400, 'ValidationError', 'request body is required: a JSON object {"instances": [[...], ...]}', { body: null }],
    ['an empty body', 400, 'ValidationError', 'request body is required: a JSON object {"instances": [[...], ...]}', { body: '' }],
    [
      'a body over the limit',
      413,
      'PayloadTooLarge',
      'request body is 70000 bytes; at most 65536 are accepted',
      { body: JSON.stringify({ instances: [row] }).padEnd(70_000, ' ') },
    ],
    ['invalid JSON', 400, 'ValidationError', 'request body is not valid JSON (error at position 24)', { body: '{"instances": [[1,2,3,4]' }],
    [
      'a JSON array',
      400,
      'ValidationError',
      'request body must be a JSON object with the field instances, got an array',
      { body: '[[1,2,3,4]]' },
    ],
    [
      'an unknown field',
      400,
      'ValidationError',
      'unknown field in request body: "extra"; only instances is accepted',
      { body: '{"instances":[[1,2,3,4]],"extra":1}' },
    ],
    ['no instances', 400, 'ValidationError', 'request body must have the field instances', { body: '{}' }],
    [
      'instances not an array',
      400,
      'ValidationError',
      'instances must be an array of rows, got string',
      { body: '{"instances":"1,2,3,4"}' },
    ],
    ['no rows', 400, 'ValidationError', 'instances must hold at least one row', { body: '{"instances":[]}' }],
    [
      'too many rows',
      400,
      'ValidationError',
      'instances has 1001 rows; at most 1000 are accepted per request',
      { body: JSON.stringify({ instances: Array.from({ length: 1001 }, () => row) }) },
    ],
    [
      'a row that is not an array',
      400,
      'ValidationError',
      'instances[1] must be an array of numbers, got number',
      { body: '{"instances":[[1,2,3,4],7]}' },
    ],
    ['an empty row', 400, 'ValidationError', 'instances[0] must hold at least one number', { body: '{"instances":[[]]}' }],
    [
      'a row of the wrong width',
      400,
      'ValidationError',
      'instances[1] has 3 values; the model takes 4 features per row',
      { body: '{"instances":[[1,2,3,4],[1,2,3]]}' },
    ],
    [
      'rows of different widths (any width)',
      400,
      'ValidationError',
      'instances[1] has 3 values but instances[0] has 2; all rows must have the same width',
      { body: '{"instances":[[1,2],[1,2,3]]}', config: { featureCount: 0 } },
    ],
    [
      'a string value',
      400,
      'ValidationError',
      'instances[3][1] must be a finite number, got string',
      { body: '{"instances":[[1,2,3,4],[1,2,3,4],[1,2,3,4],[1,"2",3,4]]}' },
    ],
    ['a null value', 400, 'ValidationError', 'instances[0][2] must be a finite number, got null', { body: '{"instances":[[1,2,null,4]]}' }],
    [
      'an infinite value',
      400,
      'ValidationError',
      'instances[0][3] must be a finite number, got a number too large to represent',
      { body: '{"instances":[[1,2,3,1e999]]}' },
    ],
    [
      'an object value',
      400,
      'ValidationError',
      'request body nests deeper than 3 levels; expected {"instances": [[numbers], ...]}',
      { body: '{"instances":[[1,2,3,{"x":1}]]}' },
    ],
    [
      'deep nesting',
      400,
      'ValidationError',
      'request body nests deeper than 3 levels; expected {"instances": [[numbers], ...]}',
      { body: '{"instances":' + '['.repeat(30_000) + ']'.repeat(30_000) + '}' },
    ],
  ];

  it.each(cases)('%s: answers %i %s, records the failure, never invokes the model', async (_name, status, kind, message, input) => {
    const handle = input.config ? handlerWith(input.config) : predict.handler;
    const event = apiEvent({ body: input.body, headers: input.headers ?? { 'Content-Type': 'application/json' } });
    const requestId = event.requestContext.requestId;
    const calls = sagemaker.invocations.length;

    const response = await handle(event, lambdaContext());

    expect(response.statusCode).toBe(status);
    expect(response.headers?.['x-request-id']).toBe(requestId);
    expect(bodyOf(response)).toEqual({ error: kind, message, requestId });
    expect(sagemaker.invocations.length).toBe(calls);

    const record = await storedRecord(requestId);
    expect(record).toMatchObject({
      status: 'ERROR',
      httpStatus: status,
      errorCode: kind,
      errorMessage: message,
      gsi2pk: `FAILED#${record!.createdAt.slice(0, 10)}`,
      gsi2sk: `${record!.createdAt}#${requestId}`,
    });
    expect(record).not.toHaveProperty('modelLatencyMs');
    expect(record).not.toHaveProperty('output');
    if (input.body) expect(record!.input).toMatchObject({ sizeBytes: Buffer.byteLength(input.body), sha256: sha256(input.body) });
    else expect(record).not.toHaveProperty('input');
    // A body refused as too large is not stored (nor sent to S3): its size and hash identify it.
    if (kind === 'PayloadTooLarge')
      expect(record!.input).toEqual({ mode: 'hash', sizeBytes: Buffer.byteLength(input.body!), sha256: sha256(input.body!) });

    const summaries = out.withMessage(SUMMARY_MESSAGE);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({
      outcome: 'error',
      errorKind: kind,
      statusCode: status,
      modelVersion: '1.0.0',
      endpointName: 'iris-endpoint',
    });
    expect(summaries[0]).not.toHaveProperty('modelLatencyMs');

    const [errorMetric] = out.metric(METRIC_NAMES.errors);
    expect(errorMetric).toMatchObject({ InferenceErrors: 1, errorKind: kind });
    expect(dimensionsOf(errorMetric)).toEqual([['service', 'errorKind']]);
    expect(ERROR_KINDS).toContain(kind);
  });

  it('measures a base64 body by its decoded size', async () => {
    const decoded = JSON.stringify({ instances: [row] }).padEnd(65_537, ' ');
    const event = apiEvent({
      body: Buffer.from(decoded).toString('base64'),
      isBase64Encoded: true,
      headers: { 'content-type': 'application/json' },
    });
    const response = await predict.handler(event, lambdaContext());
    expect(response.statusCode).toBe(413);
    expect(bodyOf(response).message).toBe('request body is 65537 bytes; at most 65536 are accepted');
  });

  it('refuses a huge nesting quickly', async () => {
    const body = '['.repeat(5_000_000);
    const started = Date.now();
    const response = await handlerWith({ maxRequestBytes: 10_000_000, payloadMode: 'hash' })(
      apiEvent({ body, headers: { 'content-type': 'application/json' } }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(400);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('endpoint failures', () => {
  const cases: [string, number, string, string][] = [
    ['model-rejects', 422, 'ModelRejectedInput', 'the model rejected the input (status 400 from the model container)'],
    ['model-fails', 502, 'ModelError', 'the model failed to produce a prediction (status 500 from the model container)'],
    ['throttled', 503, 'EndpointThrottled', 'the model endpoint is busy; retry after 1 s'],
    ['throttled-429', 503, 'EndpointThrottled', 'the model endpoint is busy; retry after 1 s'],
    ['unavailable', 503, 'EndpointThrottled', 'the model endpoint is busy; retry after 1 s'],
    ['not-ready', 503, 'ModelNotReady', 'the model is not ready to serve requests yet; retry later'],
    ['missing', 503, 'EndpointNotFound', 'the model endpoint missing was not found'],
    ['internal', 500, 'InternalError', 'internal error; quote the requestId when reporting it'],
    ['not-json', 502, 'ModelError', 'the model answered with a body that is not JSON'],
  ];

  it.each(cases)('%s: answers %i %s and records it', async (endpointName, status, kind, message) => {
    const handle = handlerWith({ endpointName, maxAttempts: 1 });
    const event = predictEvent({ instances: ROWS });
    const requestId = event.requestContext.requestId;

    const response = await handle(event, lambdaContext());

    expect(response.statusCode).toBe(status);
    expect(bodyOf(response)).toEqual({ error: kind, message, requestId });
    if (kind === 'EndpointThrottled') expect(response.headers?.['retry-after']).toBe('1');
    else expect(response.headers).not.toHaveProperty('retry-after');
    // SageMaker's own messages quote the account and log stream ARNs: none of it may leak.
    expect(response.body).not.toContain(TEST_ACCOUNT);
    expect(response.body).not.toContain('arn:');
    expect(response.body).not.toMatch(/Received|Traceback|at .*\.js/);

    const record = await storedRecord(requestId);
    expect(record).toMatchObject({
      status: 'ERROR',
      httpStatus: status,
      errorCode: kind,
      errorMessage: message,
      modelLatencyMs: expect.any(Number),
      gsi2pk: expect.stringMatching(/^FAILED#/),
    });
    expect(record!.errorMessage).not.toContain(TEST_ACCOUNT);
    const [summary] = out.withMessage(SUMMARY_MESSAGE);
    expect(summary).toMatchObject({
      outcome: 'error',
      errorKind: kind,
      statusCode: status,
      modelLatencyMs: record!.modelLatencyMs,
      endpointName,
    });
  });

  it('keeps the body of a model answer that is not JSON as the output', async () => {
    const event = predictEvent({ instances: ROWS });
    await handlerWith({ endpointName: 'not-json' })(event, lambdaContext());
    const record = await storedRecord(event.requestContext.requestId);
    expect(record!.output).toEqual({ mode: 'full', sizeBytes: 6, sha256: sha256('setosa'), body: 'setosa' });
    expect(record!.variant).toBe('AllTraffic');
  });

  it('retries throttling up to MAX_ATTEMPTS', async () => {
    const before = sagemaker.invocations.filter((i) => i.endpointName === 'throttled-429').length;
    const response = await handlerWith({ endpointName: 'throttled-429', maxAttempts: 2 })(
      predictEvent({ instances: ROWS }),
      lambdaContext(),
    );
    expect(response.statusCode).toBe(503);
    expect(sagemaker.invocations.filter((i) => i.endpointName === 'throttled-429').length - before).toBe(2);
  });

  it('times out each attempt after INVOKE_TIMEOUT_MS: 504 EndpointTimeout', async () => {
    const handle = handlerWith({ endpointName: 'slow', invokeTimeoutMs: 300, maxAttempts: 2 });
    const event = predictEvent({ instances: ROWS });
    const started = Date.now();

    const response = await handle(event, lambdaContext());

    const elapsed = Date.now() - started;
    expect(response.statusCode).toBe(504);
    expect(bodyOf(response)).toEqual({
      error: 'EndpointTimeout',
      message: 'the model endpoint did not answer within 300 ms',
      requestId: event.requestContext.requestId,
    });
    // Two attempts of 300 ms (a timeout is retried), well before a Lambda timeout.
    expect(sagemaker.invocations.filter((i) => i.endpointName === 'slow')).toHaveLength(2);
    expect(elapsed).toBeGreaterThanOrEqual(600);
    expect(elapsed).toBeLessThan(3_000);
    expect(await storedRecord(event.requestContext.requestId)).toMatchObject({
      status: 'ERROR',
      httpStatus: 504,
      errorCode: 'EndpointTimeout',
    });
  });
});

describe('when the table refuses the record', () => {
  it('still answers the prediction, logs the whole record for a backfill and counts the fallback', async () => {
    const handle = handlerWith({ tableName: 'no-such-table' });
    const event = predictEvent({ instances: ROWS });
    const requestId = event.requestContext.requestId;

    const response = await handle(event, lambdaContext());

    expect(response.statusCode).toBe(200);
    expect(bodyOf(response).predictions).toEqual([10.2, 17.8]);

    const fallbacks = out.withMessage(FALLBACK_MESSAGE);
    expect(fallbacks).toHaveLength(1);
    const line = fallbacks[0];
    expect(line).toMatchObject({ level: 'ERROR', correlation_id: requestId, writeError: { errorName: 'ResourceNotFoundException' } });
    const record = line.record as InferenceRecord;
    expect(record).toMatchObject({
      ...keys.inference(requestId),
      gsi1pk: `MODEL#1.0.0#${record.createdAt.slice(0, 10)}#0`,
      requestId,
      status: 'SUCCESS',
      httpStatus: 200,
      variant: 'AllTraffic',
      caller: { type: 'iam', principal: IAM_CALLER.userArn },
      input: { mode: 'full', body: JSON.stringify({ instances: ROWS }) },
      output: { mode: 'full', body: JSON.stringify({ predictions: [10.2, 17.8] }) },
      expiresAt: expect.any(Number),
    });
    expect(out.metric(METRIC_NAMES.recordFallbacks)[0]).toMatchObject({ RecordWriteFallbacks: 1 });
    expect(out.withMessage(SUMMARY_MESSAGE)).toHaveLength(1);

    // The backfill: the logged line gives back the record, which the table then takes as is.
    const recovered = recordFromFallbackLine(JSON.stringify(line));
    expect(recovered).toEqual(record);
    await putNewItem(dynamo.client, TABLE, recovered as unknown as Record<string, unknown>);
    expect(await storedRecord(requestId)).toEqual(record);
  });

  it('a table that never answers costs at most MAX_ATTEMPTS x 500 ms, then the fallback line', async () => {
    // A server that accepts connections and never answers, as the table's endpoint.
    const blackHole = createServer(() => undefined);
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
    try {
      const handle = handlerWith({ maxAttempts: 2 });
      const started = Date.now();
      const response = await handle(predictEvent({ instances: ROWS }), lambdaContext());
      expect(response.statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(out.withMessage(FALLBACK_MESSAGE)[0]).toMatchObject({
        writeError: { errorName: 'TimeoutError' },
        record: { status: 'SUCCESS' },
      });
    } finally {
      process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
      blackHole.closeAllConnections();
      await new Promise((resolve) => blackHole.close(resolve));
    }
  });

  it('still answers an error, and keeps its record in the log', async () => {
    const event = predictEvent({ instances: [[1]] });
    const response = await handlerWith({ tableName: 'no-such-table' })(event, lambdaContext());
    expect(response.statusCode).toBe(400);
    const [line] = out.withMessage(FALLBACK_MESSAGE);
    expect(line.record).toMatchObject({
      status: 'ERROR',
      errorCode: 'ValidationError',
      httpStatus: 400,
      gsi2pk: expect.stringMatching(/^FAILED#/),
    });
  });

  it('never overwrites an existing record: a second request with the same id goes to the log', async () => {
    const event = predictEvent({ instances: ROWS });
    await predict.handler(event, lambdaContext());
    const first = await storedRecord(event.requestContext.requestId);

    out.clear();
    const again = await predict.handler({ ...event, body: JSON.stringify({ instances: [[9, 9, 9, 9]] }) }, lambdaContext());

    expect(again.statusCode).toBe(200);
    expect(await storedRecord(event.requestContext.requestId)).toEqual(first);
    const [line] = out.withMessage(FALLBACK_MESSAGE);
    expect(line).toMatchObject({
      writeError: { errorName: 'ConditionalCheckFailedException' },
      record: { input: { body: '{"instances":[[9,9,9,9]]}' } },
    });
  });

  it('ignores log lines that are not fallback lines, or whose key does not match the request id', () => {
    expect(recordFromFallbackLine('not json')).toBeUndefined();
    expect(recordFromFallbackLine(JSON.stringify({ message: SUMMARY_MESSAGE, record: {} }))).toBeUndefined();
    const forged = { message: FALLBACK_MESSAGE, record: { ...keys.inference('other'), requestId: 'mine' } };
    expect(recordFromFallbackLine(JSON.stringify(forged))).toBeUndefined();
  });
});

describe('payload modes', () => {
  // Values that appear nowhere else: if they show up in the table or a log line, a payload leaked.
  const SECRET_ROWS = [[5.123456789, 3.987654321, 1.414213562, 0.271828182]];
  const SECRET_SUM = 10.797202854;
  const leaks = (text: string) =>
    ['5.123456789', '3.987654321', '1.414213562', '0.271828182', String(SECRET_SUM).slice(0, 8)].filter((v) => text.includes(v));

  it('hash: keeps payload values out of the table and every log line', async () => {
    const handle = handlerWith({ payloadMode: 'hash' });
    const requestBody = JSON.stringify({ instances: SECRET_ROWS });
    const event = predictEvent(requestBody);

    const response = await handle(event, lambdaContext());

    expect(response.statusCode).toBe(200);
    const record = await storedRecord(event.requestContext.requestId);
    expect(record!.input).toEqual({ mode: 'hash', sizeBytes: Buffer.byteLength(requestBody), sha256: sha256(requestBody) });
    expect(record!.output).toEqual({ mode: 'hash', sizeBytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(leaks(JSON.stringify(record))).toEqual([]);
    expect(out.withMessage(SUMMARY_MESSAGE)).toHaveLength(1);
    expect(leaks(out.text())).toEqual([]);
  });

  it('hash: the fallback line and the error paths carry no payload value either', async () => {
    const handle = handlerWith({ payloadMode: 'hash', tableName: 'no-such-table' });
    await handle(predictEvent({ instances: SECRET_ROWS }), lambdaContext());
    await handlerWith({ payloadMode: 'hash', endpointName: 'model-rejects' })(predictEvent({ instances: SECRET_ROWS }), lambdaContext());
    await handlerWith({ payloadMode: 'hash', endpointName: 'internal' })(predictEvent({ instances: SECRET_ROWS }), lambdaContext());
    await handlerWith({ payloadMode: 'hash' })(
      predictEvent('{"instances": [[5.123456789, 3.987654321, 1.414213562, "x"]]}'),
      lambdaContext(),
    );
    await handlerWith({ payloadMode: 'hash' })(predictEvent('{"instances": [[5.123456789, 3.987654321, 1.414213562'), lambdaContext());
    expect(out.withMessage(FALLBACK_MESSAGE)).toHaveLength(1);
    expect(out.withMessage(SUMMARY_MESSAGE)).toHaveLength(5);
    expect(leaks(out.text())).toEqual([]);
  });

  it('none: stores sizes only', async () => {
    const requestBody = JSON.stringify({ instances: SECRET_ROWS });
    const event = predictEvent(requestBody);
    await handlerWith({ payloadMode: 'none' })(event, lambdaContext());
    const record = await storedRecord(event.requestContext.requestId);
    expect(record!.input).toEqual({ mode: 'none', sizeBytes: Buffer.byteLength(requestBody) });
    expect(record!.output).toEqual({ mode: 'none', sizeBytes: expect.any(Number) });
    expect(leaks(JSON.stringify(record))).toEqual([]);
    expect(leaks(out.text())).toEqual([]);
  });

  describe('full payloads over MAX_INLINE_BYTES', () => {
    const bigRows = Array.from({ length: 60 }, (_, i) => [i + 0.123456, i + 1.234567, i + 2.345678, i + 3.456789]);
    const bigBody = JSON.stringify({ instances: bigRows });

    it('s3: writes the payload to the bucket under payloads/<day>/<requestId>/ and records where', async () => {
      const event = predictEvent(bigBody);
      const requestId = event.requestContext.requestId;
      const puts = s3.requests.length;

      const response = await predict.handler(event, lambdaContext());

      expect(response.statusCode).toBe(200);
      const record = await storedRecord(requestId);
      const key = `payloads/${record!.createdAt.slice(0, 10)}/${requestId}/input.json`;
      expect(record!.input).toEqual({ mode: 's3', s3Uri: `s3://${BUCKET}/${key}`, sizeBytes: bigBody.length, sha256: sha256(bigBody) });
      const written = s3.requests.slice(puts);
      expect(written).toHaveLength(1); // the output (60 sums) fits inline
      expect(written[0]).toMatchObject({ method: 'PUT', path: `/${BUCKET}/${key}` });
      expect(written[0].headers['content-type']).toBe('application/json');
      expect(written[0].body.toString('utf8')).toBe(bigBody);
      expect(record!.output).toMatchObject({ mode: 'full' });
    });

    it('s3: falls back to truncation when S3 refuses the object', async () => {
      s3.status = 500;
      try {
        const event = predictEvent(bigBody);
        const response = await predict.handler(event, lambdaContext());
        expect(response.statusCode).toBe(200);
        const record = await storedRecord(event.requestContext.requestId);
        expect(record!.input).toEqual({
          mode: 'truncated',
          body: bigBody.slice(0, 1024),
          sizeBytes: bigBody.length,
          sha256: sha256(bigBody),
        });
        expect(out.lines().find((l) => String(l.message).startsWith('payload kept truncated'))).toMatchObject({
          level: 'WARN',
          part: 'input',
        });
      } finally {
        s3.status = 200;
      }
    });

    it('truncate: keeps the first MAX_INLINE_BYTES bytes with the size and hash of the whole', async () => {
      const event = predictEvent(bigBody);
      const puts = s3.requests.length;
      await handlerWith({ overflow: 'truncate' })(event, lambdaContext());
      const record = await storedRecord(event.requestContext.requestId);
      expect(record!.input).toEqual({
        mode: 'truncated',
        body: bigBody.slice(0, 1024),
        sizeBytes: bigBody.length,
        sha256: sha256(bigBody),
      });
      expect(s3.requests.length).toBe(puts);
    });

    it('never cuts a UTF-8 character in two', () => {
      const text = 'aé€😀';
      expect(utf8Prefix(Buffer.from(text), 1)).toBe('a');
      expect(utf8Prefix(Buffer.from(text), 2)).toBe('a');
      expect(utf8Prefix(Buffer.from(text), 3)).toBe('aé');
      expect(utf8Prefix(Buffer.from(text), 6)).toBe('aé€');
      expect(utf8Prefix(Buffer.from(text), 9)).toBe('aé€');
      expect(utf8Prefix(Buffer.from(text), 10)).toBe(text);
    });
  });
});

describe('configuration', () => {
  it('names every bad or missing variable at once', () => {
    expect(() =>
      loadPredictConfig({ ...BASE_ENV, TABLE_NAME: '', MAX_ATTEMPTS: 'x', PAYLOAD_MODE: 'everything', MODEL_FEATURE_COUNT: '-1' }),
    ).toThrow(
      new EnvError('prediction', [
        'TABLE_NAME: is required',
        "MODEL_FEATURE_COUNT: must be a whole number from 0 to 10000, got '-1'",
        "MAX_ATTEMPTS: must be a whole number from 1 to 5, got 'x'",
        "PAYLOAD_MODE: must be one of full, hash, none, got 'everything'",
      ]),
    );
    expect(() => loadPredictConfig({ ...BASE_ENV, PAYLOAD_BUCKET: undefined })).toThrow(
      'PAYLOAD_BUCKET: is required when PAYLOAD_MODE=full and PAYLOAD_OVERFLOW=s3',
    );
    expect(loadPredictConfig({ ...BASE_ENV, PAYLOAD_BUCKET: undefined, PAYLOAD_MODE: 'hash' }).payloadBucket).toBeUndefined();
  });

  it('fails the cold start with that error when the environment is wrong', () => {
    const saved = process.env.ENDPOINT_NAME;
    delete process.env.ENDPOINT_NAME;
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
        expect(() => require('../../../lambda/predict')).toThrow(
          'invalid environment of the prediction function:\n  - ENDPOINT_NAME: is required',
        );
      });
    } finally {
      process.env.ENDPOINT_NAME = saved;
    }
  });
});
