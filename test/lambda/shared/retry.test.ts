/**
 * Retries of throttled AWS calls, with backoff and full jitter, bounded by the time the
 * request has left. The handlers run in-process through the real SDK clients against real
 * servers that throttle the way the services do (test/harness/security-throttle.ts):
 * SageMaker runtime, a DynamoDB proxy in front of dynalite, S3. Each server records when
 * every attempt arrived, so the tests read the backoff and the deadline off the wire.
 */
import type { Context } from 'aws-lambda';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { FALLBACK_MESSAGE } from '../../../contract/handlers';
import { loadPredictConfig, PredictConfig } from '../../../lambda/shared/env';
import { backoffDelay, BACKOFF_CAP_MS } from '../../../lambda/shared/retry';
import { keys } from '../../../contract/table-design';
import { HandlerFixture, startHandlerFixture } from '../../harness/handler-fixture';
import { LocalDynamo } from '../../harness/lambda-dynamo';
import { apiEvent, lambdaContext, predictEvent } from '../../harness/lambda-events';
import { StdoutCapture } from '../../harness/lambda-stdout';
import {
  Arrival,
  startThrottlingDynamo,
  startThrottlingS3,
  startThrottlingSageMaker,
  ThrottlingServer,
} from '../../harness/security-throttle';
import { predictEnv } from '../../harness/lambda-env';

type PredictModule = typeof import('../../../lambda/predict');
type ReadModule = typeof import('../../../lambda/read');

const TABLE = 'retry-records';
const ENV = predictEnv({ TABLE_NAME: TABLE, MAX_ATTEMPTS: '3', PAYLOAD_BUCKET: 'payloads' });
const ROWS = { instances: [[5.1, 3.5, 1.4, 0.2]] };
/**
 * Scheduling slack for the wall-clock bounds read off the wire: what the handler and the
 * servers add to a delay on a 2-core machine running three other suites (up to ~300 ms seen
 * at four workers, under 40 ms idle). The exact delays are backoffDelay's, tested without a clock.
 */
const SLACK_MS = 150;

let dynamo: LocalDynamo;
let ddb: ThrottlingServer;
let sm: ThrottlingServer;
let s3: ThrottlingServer;
let out: StdoutCapture;
let fixture: HandlerFixture;
let predict: PredictModule;
let read: ReadModule;
let base: PredictConfig;

beforeAll(async () => {
  fixture = await startHandlerFixture({
    tables: [TABLE],
    endpoints: async (table) => {
      [ddb, sm, s3] = await Promise.all([startThrottlingDynamo(table.endpoint), startThrottlingSageMaker(), startThrottlingS3()]);
      return { dynamodb: ddb.url, sagemakerRuntime: sm.url, s3: s3.url };
    },
    env: ENV,
  });
  dynamo = fixture.dynamo;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
  predict = require('../../../lambda/predict') as PredictModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
  read = require('../../../lambda/read') as ReadModule;
  base = loadPredictConfig(process.env);
  out = fixture.captureOutput();
});
afterAll(async () => {
  await Promise.all([ddb?.stop(), sm?.stop(), s3?.stop()]);
  await fixture?.stop();
});
beforeEach(() => {
  out.clear();
  for (const server of [ddb, sm, s3]) server.throttleNext(0);
});

/** A Lambda context whose function ends `ms` from now. */
function contextEndingIn(ms: number): Context {
  const end = Date.now() + ms;
  return { ...lambdaContext(), getRemainingTimeInMillis: () => end - Date.now() };
}

function arrivalsSince(server: ThrottlingServer, since: number, what?: (a: Arrival) => boolean): Arrival[] {
  return server.arrivals.filter((a) => a.at >= since && (!what || what(a)));
}

const gaps = (arrivals: Arrival[]) => arrivals.slice(1).map((a, i) => a.at - arrivals[i].at);
const isRecordPut = (a: Arrival) => a.what === 'PutItem' && a.body.includes('"INFERENCE#');

async function storedRecord(requestId: string) {
  return (await dynamo.client.send(new GetCommand({ TableName: TABLE, Key: keys.inference(requestId), ConsistentRead: true }))).Item;
}

describe('backoff', () => {
  it('is full jitter: uniform from 0 up to min(cap, base x 2^attempt)', () => {
    expect(backoffDelay(1, () => 0)).toBe(0);
    expect(backoffDelay(1, () => 0.999)).toBe(99);
    expect(backoffDelay(2, () => 0.999)).toBe(199);
    expect(backoffDelay(3, () => 0.5)).toBe(200);
    expect(backoffDelay(5, () => 0.999)).toBe(BACKOFF_CAP_MS - 1);
    expect(backoffDelay(30, () => 0.999)).toBe(BACKOFF_CAP_MS - 1);
  });
});

describe('InvokeEndpoint', () => {
  it('retries throttling with growing, jittered delays, and the request succeeds', async () => {
    sm.throttleNext(2);
    const since = Date.now();
    const response = await predict.createPredictHandler(base)(predictEvent(ROWS), contextEndingIn(10_000));

    expect(response.statusCode).toBe(200);
    const attempts = arrivalsSince(sm, since);
    expect(attempts.map((a) => a.throttled)).toEqual([true, true, false]);
    const [first, second] = gaps(attempts);
    expect(first).toBeLessThan(100 + SLACK_MS);
    expect(second).toBeLessThan(200 + SLACK_MS);
    expect(await storedRecord(JSON.parse(response.body).requestId)).toMatchObject({ status: 'SUCCESS' });
  });

  it('spreads the retries of many clients: the delays differ', async () => {
    const handle = predict.createPredictHandler(base);
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      sm.throttleNext(1);
      const since = Date.now();
      expect((await handle(predictEvent(ROWS), contextEndingIn(10_000))).statusCode).toBe(200);
      delays.push(...gaps(arrivalsSince(sm, since)));
    }
    expect(delays).toHaveLength(10);
    expect(Math.max(...delays)).toBeLessThan(100 + SLACK_MS);
    // Uniform over [0, 100): ten equal delays would mean no jitter.
    expect(Math.max(...delays) - Math.min(...delays)).toBeGreaterThan(20);
  });

  it('starts no retry that cannot end in time: with less time than one attempt, one attempt', async () => {
    sm.throttleNext(Infinity);
    const since = Date.now();
    // 2.3 s left, 2 s kept to record: 300 ms for the call, less than one 1 s attempt.
    const response = await predict.createPredictHandler(base)(predictEvent(ROWS), contextEndingIn(2_300));

    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({ error: 'EndpointThrottled' });
    expect(arrivalsSince(sm, since)).toHaveLength(1);
    expect(out.lines().find((l) => l.message === 'request failed')).toMatchObject({
      errorKind: 'EndpointThrottled',
      errorName: 'ThrottlingException',
      attempts: 1,
    });
  });

  it('stops retrying at the deadline: every retry could end before it, and the record is still written', async () => {
    sm.throttleNext(Infinity);
    const handle = predict.createPredictHandler({ ...base, maxAttempts: 5, invokeTimeoutMs: 200 });
    const started = Date.now();
    const context = contextEndingIn(2_700); // the call has until started + 700 ms

    const response = await handle(predictEvent(ROWS), context);

    const attempts = arrivalsSince(sm, started);
    expect(response.statusCode).toBe(503);
    expect(attempts.length).toBeGreaterThanOrEqual(2); // the first retry (<= 100 ms + 200 ms) always fits
    expect(attempts.length).toBeLessThanOrEqual(5);
    for (const retry of attempts.slice(1)) expect(retry.at + 200).toBeLessThanOrEqual(started + 700 + SLACK_MS);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    const failed = out.lines().find((l) => l.message === 'request failed');
    expect(failed).toMatchObject({ errorKind: 'EndpointThrottled', attempts: attempts.length });
    expect(await storedRecord(JSON.parse(response.body).requestId)).toMatchObject({ status: 'ERROR', errorCode: 'EndpointThrottled' });
  });
});

describe('PutItem of the record', () => {
  it('is retried when throttled: the record lands in the table, not in the log', async () => {
    ddb.throttleNext(2, (op, body) => op === 'PutItem' && body.includes('"INFERENCE#'));
    const since = Date.now();
    const response = await predict.createPredictHandler(base)(predictEvent(ROWS), contextEndingIn(10_000));

    expect(response.statusCode).toBe(200);
    expect(arrivalsSince(ddb, since, isRecordPut).map((a) => a.throttled)).toEqual([true, true, false]);
    expect(await storedRecord(JSON.parse(response.body).requestId)).toMatchObject({ status: 'SUCCESS' });
    expect(out.withMessage(FALLBACK_MESSAGE)).toHaveLength(0);
  });

  it('throttled throughout: the retries end before the function does, and the record goes to the fallback line', async () => {
    ddb.throttleNext(Infinity, (op, body) => op === 'PutItem' && body.includes('"INFERENCE#'));
    const handle = predict.createPredictHandler({ ...base, maxAttempts: 5 });
    const started = Date.now();
    const context = contextEndingIn(2_500);

    const response = await handle(predictEvent(ROWS), context);

    expect(response.statusCode).toBe(200);
    expect(context.getRemainingTimeInMillis()).toBeGreaterThan(0);
    const attempts = arrivalsSince(ddb, started, isRecordPut);
    expect(attempts.length).toBeGreaterThanOrEqual(2);
    // Each retry had room for a whole 500 ms attempt before the record phase's end (200 ms before the function's).
    for (const retry of attempts.slice(1)) expect(retry.at + 500).toBeLessThanOrEqual(started + 2_300 + SLACK_MS);
    const [fallback] = out.withMessage(FALLBACK_MESSAGE);
    expect(fallback).toMatchObject({
      writeError: { errorName: 'ProvisionedThroughputExceededException', attempts: attempts.length },
      record: { status: 'SUCCESS' },
    });
  });
});

describe('the Idempotency-Key calls', () => {
  it('retry a throttled claim (PutItem) and a throttled read (GetItem)', async () => {
    const handle = predict.createPredictHandler(base);
    const key = `retry-${Date.now()}`;
    ddb.throttleNext(1, (op, body) => op === 'PutItem' && body.includes('"IDEMPOTENCY#'));
    let since = Date.now();
    const first = await handle(
      predictEvent(ROWS, { headers: { 'content-type': 'application/json', 'Idempotency-Key': key } }),
      contextEndingIn(10_000),
    );
    expect(first.statusCode).toBe(200);
    expect(arrivalsSince(ddb, since, (a) => a.what === 'PutItem' && a.body.includes('"IDEMPOTENCY#')).map((a) => a.throttled)).toEqual([
      true,
      false,
    ]);

    ddb.throttleNext(2, (op) => op === 'GetItem');
    since = Date.now();
    const replay = await handle(
      predictEvent(ROWS, { headers: { 'content-type': 'application/json', 'Idempotency-Key': key } }),
      contextEndingIn(10_000),
    );
    expect(replay.statusCode).toBe(200);
    expect(replay.headers?.['idempotent-replayed']).toBe('true');
    expect(replay.body).toBe(first.body);
    expect(arrivalsSince(ddb, since, (a) => a.what === 'GetItem').map((a) => a.throttled)).toEqual([true, true, false]);
  });
});

describe('the read routes', () => {
  it('retry a throttled Query and GetItem', async () => {
    const made = await predict.createPredictHandler(base)(predictEvent(ROWS), contextEndingIn(10_000));
    const requestId = JSON.parse(made.body).requestId as string;
    const handle = read.createReadHandler(TABLE);

    ddb.throttleNext(2, (op) => op === 'Query');
    let since = Date.now();
    const listing = await handle(
      apiEvent({ method: 'GET', resource: '/inferences', path: '/inferences', query: { modelVersion: '1.0.0' } }),
      contextEndingIn(10_000),
    );
    expect(listing.statusCode).toBe(200);
    expect(JSON.parse(listing.body).items.map((r: { requestId: string }) => r.requestId)).toContain(requestId);
    // The listing queries every shard of each day (and the legacy partition): the two throttled ones are retried.
    const queries = arrivalsSince(ddb, since, (a) => a.what === 'Query').map((a) => a.throttled);
    expect(queries.slice(0, 2)).toEqual([true, true]);
    expect(queries.length).toBeGreaterThan(2);
    expect(queries.slice(2).every((throttled) => !throttled)).toBe(true);

    ddb.throttleNext(1, (op) => op === 'GetItem');
    since = Date.now();
    const one = await handle(
      apiEvent({ method: 'GET', resource: '/inferences/{id}', path: `/inferences/${requestId}`, pathParameters: { id: requestId } }),
      contextEndingIn(10_000),
    );
    expect(one.statusCode).toBe(200);
    expect(arrivalsSince(ddb, since, (a) => a.what === 'GetItem').map((a) => a.throttled)).toEqual([true, false]);
  });
});

describe('PutObject of a payload over the inline limit', () => {
  it('is retried on SlowDown: the payload reaches S3 and the record points at it', async () => {
    s3.throttleNext(1);
    const since = Date.now();
    const response = await predict.createPredictHandler({ ...base, maxInlineBytes: 16, payloadBucket: 'payloads' })(
      predictEvent(ROWS),
      contextEndingIn(10_000),
    );

    expect(response.statusCode).toBe(200);
    const puts = arrivalsSince(s3, since);
    expect(puts.filter((a) => a.throttled)).toHaveLength(1);
    expect(
      puts
        .filter((a) => !a.throttled)
        .map((a) => a.what)
        .sort(),
    ).toEqual([expect.stringMatching(/\/input\.json$/), expect.stringMatching(/\/output\.json$/)]);
    const record = await storedRecord(JSON.parse(response.body).requestId);
    expect(record!.input).toMatchObject({ mode: 's3' });
    expect(record!.output).toMatchObject({ mode: 's3' });
  });
});
