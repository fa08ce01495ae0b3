/**
 * Idempotency-Key through the whole local pipeline: the deployed bundle in Lambda-like
 * workers, dynalite, SageMaker's invoke route, and a model server that counts its
 * invocations (a real HTTP server): a replay must not move that counter.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { IDEMPOTENT_REPLAYED_HEADER, SUMMARY_MESSAGE } from '../../../contract/handlers';
import { keys } from '../../../contract/table-design';
import { callerTag } from '../../../lambda/predict/idempotency';
import { loadPredictConfig } from '../../../lambda/shared/env';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { startHandlerFixture } from '../../harness/handler-fixture';
import { TEST_ACCOUNT, predictEnv } from '../../harness/lambda-env';
import { lambdaContext, predictEvent } from '../../harness/lambda-events';
import { UNTHROTTLED, captureLogs, startFaultyModelServer, startPipeline, synthesizeOnce } from '../../harness/local-harness';
import { inferenceRecord, predict, scanTable, sleep, withPredictSettings } from '../../harness/security-pipeline';

const BODY = {
  instances: [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.1, 5.6, 2.4],
  ],
};
const OTHER_BODY = { instances: [[5.9, 3.0, 5.1, 1.8]] };
/** The local API signs every caller in as this IAM user. */
const LOCAL_CALLER = { type: 'iam' as const, principal: 'arn:aws:iam::000000000000:user/local-developer' };

describe('Idempotency-Key on POST /predict (local pipeline)', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  const logs = captureLogs();
  let model: Awaited<ReturnType<typeof startFaultyModelServer>>;
  let pipeline: LocalPipeline;
  /** 2 s window, 4 s function: waits and windows end within a test. */
  let short: LocalPipeline;

  beforeAll(async () => {
    model = await startFaultyModelServer();
    [pipeline, short] = await Promise.all([
      startPipeline(assembly, { modelUrl: model.url, onLogLine: logs.onLogLine }),
      startPipeline(withPredictSettings(assembly, { env: { IDEMPOTENCY_WINDOW_SEC: '2' }, timeoutSec: 4 }), {
        modelUrl: model.url,
        onLogLine: logs.onLogLine,
      }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([pipeline?.stop(), short?.stop()]);
    await model?.close();
  });
  afterEach(() => model.setMode('ok'));

  const newKey = () => `test-${randomUUID()}`;

  test('a retry with the same key gets the stored answer, marked replayed, without calling the model', async () => {
    const key = newKey();
    const first = await predict(pipeline, BODY, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect(first.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBeNull();
    const calls = model.invocations;

    const again = await predict(pipeline, BODY, { 'Idempotency-Key': key });

    expect(model.invocations).toBe(calls);
    expect(again.status).toBe(200);
    expect(again.text).toBe(first.text); // byte for byte, the original requestId and latency included
    expect(again.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBe('true');
    // Header and body agree: both name the original request, whose record holds the prediction;
    // the replay's own id is API Gateway's request id.
    expect(again.headers.get('x-request-id')).toBe(first.json.requestId);
    expect(JSON.parse(again.text).requestId).toBe(first.json.requestId);
    const replayId = again.headers.get('x-amzn-requestid')!;
    expect(replayId).not.toBe(first.json.requestId);

    // Both requests are recorded: the first as executed, the replay pointing at it, without model facts.
    expect(await inferenceRecord(pipeline, first.json.requestId)).toMatchObject({
      status: 'SUCCESS',
      idempotency: { key, outcome: 'executed' },
      output: { mode: 'full' },
    });
    const replayed = await inferenceRecord(pipeline, replayId);
    expect(replayed).toMatchObject({
      status: 'SUCCESS',
      httpStatus: 200,
      idempotency: { key, outcome: 'replayed', originalRequestId: first.json.requestId },
      input: { mode: 'full' },
    });
    expect(replayed).not.toHaveProperty('output');
    expect(replayed).not.toHaveProperty('modelLatencyMs');
    const [summary] = logs.find('predict', (j) => j.message === SUMMARY_MESSAGE && j.correlation_id === replayId);
    expect(summary).toMatchObject({ outcome: 'success', statusCode: 200, idempotency: 'replayed' });
    expect(JSON.stringify(summary)).not.toContain(key);
  });

  test('the same key with a different body is refused with 409 and recorded as such', async () => {
    const key = newKey();
    const first = await predict(pipeline, BODY, { 'Idempotency-Key': key });
    const calls = model.invocations;

    const other = await predict(pipeline, OTHER_BODY, { 'Idempotency-Key': key });

    expect(model.invocations).toBe(calls);
    expect(other.status).toBe(409);
    const requestId = other.headers.get('x-request-id');
    expect(other.json).toEqual({
      error: 'IdempotencyConflict',
      message: `Idempotency-Key was already used with a different request body (request ${first.json.requestId}); use a new key for a new request`,
      requestId,
    });
    expect(await inferenceRecord(pipeline, requestId!)).toMatchObject({
      status: 'ERROR',
      httpStatus: 409,
      errorCode: 'IdempotencyConflict',
      idempotency: { key, outcome: 'conflict', originalRequestId: first.json.requestId },
    });
    // Whitespace is part of the body: the same JSON written differently is another body.
    expect((await predict(pipeline, JSON.stringify(BODY, null, 1), { 'Idempotency-Key': key })).status).toBe(409);
  });

  test('20 concurrent duplicates call the model once and all get the same answer', async () => {
    model.setMode('delay-300');
    const key = newKey();
    const calls = model.invocations;

    const answers = await Promise.all(Array.from({ length: 20 }, () => predict(pipeline, BODY, { 'Idempotency-Key': key })));

    expect(model.invocations - calls).toBe(1);
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(200));
    expect(new Set(answers.map((a) => a.text)).size).toBe(1);
    expect(answers.filter((a) => a.headers.get(IDEMPOTENT_REPLAYED_HEADER) === 'true')).toHaveLength(19);
    const outcomes = await Promise.all(
      answers.map(async (a) => (await inferenceRecord(pipeline, a.headers.get('x-amzn-requestid')!))?.idempotency?.outcome),
    );
    expect(outcomes.sort()).toEqual(['executed', ...Array(19).fill('replayed')]);
  });

  test('a failure worth retrying gives the key back: the retry calls the model', async () => {
    const key = newKey();
    model.setMode('error-500');
    const failed = await predict(pipeline, BODY, { 'Idempotency-Key': key });
    expect(failed.status).toBe(502);
    model.setMode('ok');
    const calls = model.invocations;

    const retried = await predict(pipeline, BODY, { 'Idempotency-Key': key });

    expect(retried.status).toBe(200);
    expect(retried.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBeNull();
    expect(model.invocations).toBe(calls + 1);
  });

  test("the model's refusal of the input is kept and replayed too: it would not change", async () => {
    const key = newKey();
    model.setMode('reject-400');
    const refused = await predict(pipeline, BODY, { 'Idempotency-Key': key });
    expect(refused.status).toBe(422);
    model.setMode('ok');
    const calls = model.invocations;

    const again = await predict(pipeline, BODY, { 'Idempotency-Key': key });

    expect(model.invocations).toBe(calls);
    expect(again.status).toBe(422);
    expect(again.text).toBe(refused.text);
    expect(again.headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBe('true');
    expect(again.headers.get('x-request-id')).toBe(refused.json.requestId);
    expect(await inferenceRecord(pipeline, again.headers.get('x-amzn-requestid')!)).toMatchObject({
      status: 'ERROR',
      httpStatus: 422,
      errorCode: 'ModelRejectedInput',
      errorMessage: refused.json.message,
      idempotency: { key, outcome: 'replayed', originalRequestId: refused.json.requestId },
    });
  });

  test('a key is per caller and holds no body: the item keeps a salted hash and the answer, and no index key', async () => {
    const key = newKey();
    const first = await predict(pipeline, BODY, { 'Idempotency-Key': key });
    const items = (await scanTable(pipeline)).filter((item) => item.pk === keys.idempotency(callerTag(LOCAL_CALLER), key).pk);
    expect(items).toHaveLength(1);
    expect(items[0]).toEqual({
      ...keys.idempotency(callerTag(LOCAL_CALLER), key),
      status: 'COMPLETED',
      requestId: first.json.requestId,
      createdAt: expect.any(String),
      salt: expect.any(String),
      bodySha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      // Full mode keeps the answer as sent (the record holds it too).
      answer: { statusCode: 200, body: first.text },
      expiresAt: expect.any(Number),
    });
    expect(items[0].expiresAt - Date.parse(items[0].createdAt) / 1000).toBeGreaterThanOrEqual(3600);
    expect(items[0].expiresAt - Date.parse(items[0].createdAt) / 1000).toBeLessThanOrEqual(3601);
    const plainHash = createHash('sha256').update(JSON.stringify(BODY)).digest('hex');
    expect(JSON.stringify(items[0])).not.toContain(plainHash);
  });

  test('malformed keys are refused with 400 before anything is claimed or invoked', async () => {
    const calls = model.invocations;
    const keyItems = async () => (await scanTable(pipeline)).filter((item) => item.pk.startsWith('IDEMPOTENCY#')).length;
    const before = await keyItems();
    for (const bad of [
      'short',
      'x'.repeat(129),
      '../../etc/passwd',
      'key with spaces',
      'clé-clé-clé',
      'a#b#c#d#e',
      'k1-aaaaaaaa, k2-bbbbbbbb',
    ]) {
      const res = await predict(pipeline, BODY, { 'Idempotency-Key': bad });
      expect(res.status).toBe(400);
      expect(res.json).toEqual({
        error: 'ValidationError',
        message: `Idempotency-Key must be 8 to 128 characters, each a letter, digit, '-', '_', '.' or ':'; got ${bad.length} characters`,
        requestId: res.headers.get('x-request-id'),
      });
      expect(await inferenceRecord(pipeline, res.json.requestId)).toMatchObject({ status: 'ERROR', errorCode: 'ValidationError' });
    }
    expect(model.invocations).toBe(calls);
    expect(await keyItems()).toBe(before);
  });

  test('an expired key is used again, although the table still holds it (DynamoDB TTL is lazy)', async () => {
    const key = newKey();
    const first = await predict(short, BODY, { 'Idempotency-Key': key });
    expect(first.status).toBe(200);
    expect((await predict(short, BODY, { 'Idempotency-Key': key })).headers.get(IDEMPOTENT_REPLAYED_HEADER)).toBe('true');
    await sleep(3_100); // a 2 s window, in whole seconds rounded up

    const [item] = (await scanTable(short)).filter((i) => i.pk === keys.idempotency(callerTag(LOCAL_CALLER), key).pk);
    expect(item.expiresAt).toBeLessThanOrEqual(Date.now() / 1000); // expired, still there
    const calls = model.invocations;
    const reused = await predict(short, OTHER_BODY, { 'Idempotency-Key': key });

    expect(reused.status).toBe(200);
    expect(model.invocations).toBe(calls + 1);
    expect(await inferenceRecord(short, reused.json.requestId)).toMatchObject({ idempotency: { key, outcome: 'executed' } });
  });

  describe('a key held by a request that is still running (or whose function died)', () => {
    /** An IN_PROGRESS item as a request running elsewhere leaves it. */
    async function holdKey(key: string, lockedUntil: number) {
      const salt = randomBytes(16);
      const holder = randomUUID();
      await DynamoDBDocumentClient.from(short.dynamoDb.client).send(
        new PutCommand({
          TableName: short.tableName,
          Item: {
            ...keys.idempotency(callerTag(LOCAL_CALLER), key),
            status: 'IN_PROGRESS',
            requestId: holder,
            createdAt: new Date().toISOString(),
            salt: salt.toString('base64'),
            bodySha256: createHash('sha256').update(salt).update(JSON.stringify(BODY)).digest('hex'),
            lockedUntil,
            expiresAt: Math.ceil(Date.now() / 1000) + 60,
          },
        }),
      );
      return holder;
    }

    test('a duplicate waits within its time, then answers 409 in progress with Retry-After', async () => {
      const key = newKey();
      const holder = await holdKey(key, Date.now() + 60_000);
      const calls = model.invocations;
      const started = Date.now();

      const res = await predict(short, BODY, { 'Idempotency-Key': key });

      const waited = Date.now() - started;
      expect(res.status).toBe(409);
      expect(res.json).toMatchObject({
        error: 'IdempotencyConflict',
        message: 'a request with this Idempotency-Key is still in progress; retry after 1 s',
      });
      expect(res.headers.get('retry-after')).toBe('1');
      expect(model.invocations).toBe(calls);
      // It waited for the holder, within the 4 s function less the 2 s kept to record and answer.
      expect(waited).toBeGreaterThan(1_000);
      expect(waited).toBeLessThan(2_500);
      expect(await inferenceRecord(short, res.headers.get('x-request-id')!)).toMatchObject({
        status: 'ERROR',
        errorCode: 'IdempotencyConflict',
        idempotency: { key, outcome: 'in-progress', originalRequestId: holder },
      });
    });

    test('a holder whose function has ended frees the key: the next request runs', async () => {
      const key = newKey();
      await holdKey(key, Date.now() - 1);
      const calls = model.invocations;

      const res = await predict(short, BODY, { 'Idempotency-Key': key });

      expect(res.status).toBe(200);
      expect(model.invocations).toBe(calls + 1);
    });
  });
});

/**
 * The local API signs everyone in as one user, so callers are told apart in-process: the
 * handler against dynalite and a SageMaker-protocol server, through the real SDK.
 */
describe('Idempotency-Key between callers (in-process)', () => {
  test("two callers with the same key and body each get their own answer: no caller reads another's", async () => {
    const fixture = await startHandlerFixture({
      tables: ['callers'],
      sagemaker: true,
      env: predictEnv({
        TABLE_NAME: 'callers',
        ENDPOINT_NAME: 'e',
        MODEL_NAME: 'm',
        MAX_REQUEST_BYTES: '4096',
        PAYLOAD_MODE: 'hash',
        PAYLOAD_OVERFLOW: 'truncate',
        MAX_INLINE_BYTES: '1024',
      }),
    });
    const sagemaker = fixture.sagemaker!;
    fixture.captureOutput();
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
      const handle = (require('../../../lambda/predict') as typeof import('../../../lambda/predict')).createPredictHandler(
        loadPredictConfig(process.env),
      );
      const as = (identity: Record<string, string | null>) =>
        handle(
          predictEvent(BODY, { headers: { 'content-type': 'application/json', 'Idempotency-Key': 'shared-key-0001' }, identity }),
          lambdaContext(),
        );
      const alice = await as({ userArn: `arn:aws:iam::${TEST_ACCOUNT}:user/alice` });
      const bob = await as({ userArn: `arn:aws:iam::${TEST_ACCOUNT}:user/bob` });
      const keyed = await as({ userArn: null, apiKeyId: 'key-1' });
      const aliceAgain = await as({ userArn: `arn:aws:iam::${TEST_ACCOUNT}:user/alice` });

      expect([alice, bob, keyed].map((r) => r.headers?.['idempotent-replayed'])).toEqual([undefined, undefined, undefined]);
      expect(new Set([alice, bob, keyed].map((r) => JSON.parse(r.body).requestId)).size).toBe(3);
      expect(sagemaker.invocations).toHaveLength(3);
      expect(aliceAgain.headers?.['idempotent-replayed']).toBe('true');
      expect(aliceAgain.body).toBe(alice.body);
    } finally {
      await fixture.stop();
    }
  });
});
