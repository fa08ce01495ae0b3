/**
 * No error answer and no log line carries a stack trace, an ARN of another resource, or
 * credentials — on every error path, while the parts around the functions do their worst:
 * a model container whose errors quote ARNs, a stack trace and credentials (passed on by
 * SageMaker's ModelError), services whose errors name roles and resources, a table that is
 * down. Recognisable fake credentials are in the functions' environment, so a leak of them
 * would show.
 *
 * The only ARNs a line may carry: the function's own (Powertools' context) and, in a fallback
 * line, the caller's principal — the record's audit field. Payload bodies inside a fallback
 * record are what PAYLOAD_MODE=full keeps by design, whatever the model answered; they are
 * the privacy suite's subject, not this one's.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { loadPredictConfig, PredictConfig } from '../../lambda/shared/env';
import type { LocalPipeline } from '../../tools/local/local-pipeline';
import { LOCAL_CREDENTIALS } from '../../tools/local/local-aws';
import { HandlerFixture, startHandlerFixture } from '../harness/handler-fixture';
import { TEST_ACCOUNT, predictEnv } from '../harness/lambda-env';
import { apiEvent, IAM_CALLER, lambdaContext, predictEvent } from '../harness/lambda-events';
import { StdoutCapture } from '../harness/lambda-stdout';
import { UNTHROTTLED, captureLogs, LogCapture, startPipeline, synthesizeOnce } from '../harness/local-harness';
import { LeakyModelServer, leakyText, startLeakyModelServer } from '../harness/security-model';
import { predict, RawAnswer, send, withPredictSettings } from '../harness/security-pipeline';
import { leaksIn } from '../harness/security-scan';
import { Fault, startThrottlingDynamo, startThrottlingS3, startThrottlingSageMaker, ThrottlingServer } from '../harness/security-throttle';

const ROW = { instances: [[5.1, 3.5, 1.4, 0.2]] };

/** A fallback line without the payload bodies its record keeps in full mode (see above). */
function withoutPayloadBodies(line: string): string {
  try {
    const json = JSON.parse(line);
    if (!json?.record) return line;
    for (const part of ['input', 'output']) if (json.record[part]) delete json.record[part].body;
    return JSON.stringify(json);
  } catch {
    return line;
  }
}

describe('the local pipeline', () => {
  const SESSION_TOKEN = 'FAKE-SESSION-TOKEN-local-pipeline-0123456789';
  const SECRETS = [LOCAL_CREDENTIALS.accessKeyId, LOCAL_CREDENTIALS.secretAccessKey, SESSION_TOKEN];
  const OTHER_ARNS = [
    'arn:aws:sagemaker:us-east-1:000000000000:endpoint/inference-dev-iris-classifier',
    'arn:aws:iam::000000000000:role/inference-dev-sagemaker-execution',
  ];
  const CALLER = /^arn:aws:iam::000000000000:user\/local-developer$/;
  const ownArn = (fn: string) => new RegExp(`^arn:aws:lambda:us-east-1:000000000000:function:${fn}$`);

  // Short timeouts, so that a model that never answers is quick to prove: 2 attempts x 400 ms.
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED, 'functions.invokeTimeoutMs': '400', 'functions.timeoutSec': '5' });
  let logs: LogCapture;
  let model: LeakyModelServer;
  let pipeline: LocalPipeline;
  const answers: RawAnswer[] = [];

  beforeAll(async () => {
    logs = captureLogs();
    model = await startLeakyModelServer(leakyText(SECRETS, OTHER_ARNS));
    pipeline = await startPipeline(withPredictSettings(assembly, { env: { AWS_SESSION_TOKEN: SESSION_TOKEN } }), {
      modelUrl: model.url,
      onLogLine: logs.onLogLine,
    });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await model?.close();
  });

  async function collect(res: Promise<RawAnswer>, status: number): Promise<RawAnswer> {
    const answer = await res;
    expect(answer.status).toBe(status);
    answers.push(answer);
    return answer;
  }

  test('the model container fails and quotes secrets: the client gets our message only', async () => {
    model.setMode('leaky-500');
    expect((await collect(predict(pipeline, ROW), 502)).json.message).toBe(
      'the model failed to produce a prediction (status 500 from the model container)',
    );
    model.setMode('leaky-400');
    expect((await collect(predict(pipeline, ROW), 422)).json.message).toBe(
      'the model rejected the input (status 400 from the model container)',
    );
    model.setMode('leaky-200-text');
    expect((await collect(predict(pipeline, ROW), 502)).json.message).toBe('the model answered with a body that is not JSON');
    model.setMode('slow');
    expect((await collect(predict(pipeline, ROW), 504)).json.error).toBe('EndpointTimeout');
    model.setMode('ok');
  });

  test("refused requests and the read routes' errors", async () => {
    await collect(predict(pipeline, '{"instances": [[1, 2'), 400);
    await collect(predict(pipeline, { instances: [['x', 1, 2, 3]] }), 400);
    await collect(send(`${pipeline.url}/predict`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: '1,2,3,4' }), 415);
    await collect(predict(pipeline, JSON.stringify(ROW).padEnd(300_000)), 413);
    await collect(predict(pipeline, ROW, { 'Idempotency-Key': '../../x' }), 400);
    await collect(predict(pipeline, ROW, { 'Idempotency-Key': 'leak-test-key-1' }), 200);
    await collect(predict(pipeline, { instances: [[1, 2, 3, 4]] }, { 'Idempotency-Key': 'leak-test-key-1' }), 409);
    await collect(send(`${pipeline.url}/inferences/..%2F..%2Fetc`), 400);
    await collect(send(`${pipeline.url}/inferences/no-such-record`), 404);
    await collect(send(`${pipeline.url}/inferences?modelVersion=1.0.0&nextToken=forged`), 400);
    await collect(send(`${pipeline.url}/admin`), 403);
  });

  test('the table down: fallback lines, a generic 500 on the read routes, the key unchecked', async () => {
    await pipeline.dynamoDb.close();
    await collect(predict(pipeline, ROW), 200);
    await collect(predict(pipeline, ROW, { 'Idempotency-Key': 'leak-test-key-2' }), 200);
    model.setMode('leaky-500');
    await collect(predict(pipeline, ROW), 502);
    model.setMode('ok');
    const failed = await collect(send(`${pipeline.url}/inferences?modelVersion=1.0.0`), 500);
    expect(failed.json.message).toBe('internal error; quote the requestId when reporting it');
    expect(logs.find('predict', (j) => j.message === 'inference record kept in log')).toHaveLength(3);
    expect(logs.find('predict', (j) => j.message === 'idempotency key not checked: the table failed')).toHaveLength(1);
  });

  test("no answer and no log line carries a stack trace, another resource's ARN or a credential", () => {
    expect(answers.length).toBeGreaterThanOrEqual(19);
    for (const answer of answers) {
      expect(leaksIn(`${answer.text}\n${JSON.stringify([...answer.headers])}`, { allowedArns: [], secrets: SECRETS })).toEqual([]);
    }
    const functions: Record<string, RegExp[]> = {
      predict: [ownArn('inference-dev-predict'), CALLER],
      read: [ownArn('inference-dev-read')],
      recorder: [ownArn('inference-dev-record-deployment'), /^arn:aws:cloudformation:us-east-1:000000000000:stack\//],
    };
    const lines = logs.lines.filter((l) => l.source in functions);
    expect(lines.length).toBeGreaterThan(50);
    const leaks = lines.flatMap((l) =>
      leaksIn(withoutPayloadBodies(l.line), { allowedArns: functions[l.source], secrets: SECRETS }).map((p) => `${l.source}: ${p}`),
    );
    expect(leaks).toEqual([]);
  });
});

describe('in-process, against services whose errors name roles, resources and keys', () => {
  const CREDENTIALS = {
    AWS_ACCESS_KEY_ID: 'AKIAFAKELEAKTEST0001',
    AWS_SECRET_ACCESS_KEY: 'fake-secret-for-leak-test-0123456789',
    AWS_SESSION_TOKEN: 'FAKE-SESSION-TOKEN-in-process-0123456789',
  };
  const SECRETS = Object.values(CREDENTIALS);
  const ROLE = `arn:aws:sts::${TEST_ACCOUNT}:assumed-role/inference-dev-predict-role/inference-dev-predict`;
  const denied = (action: string, resource: string): Fault => ({
    status: 400,
    code: 'AccessDeniedException',
    message: `User: ${ROLE} is not authorized to perform: ${action} on resource: ${resource} with credentials ${SECRETS.join(' ')}`,
  });
  const TABLE = 'leak-records';
  const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${TEST_ACCOUNT}:table/${TABLE}`;
  let ddb: ThrottlingServer;
  let sm: ThrottlingServer;
  let s3: ThrottlingServer;
  let out: StdoutCapture;
  let fixture: HandlerFixture;
  let config: PredictConfig;
  let predictModule: typeof import('../../lambda/predict');
  let readModule: typeof import('../../lambda/read');
  const responses: APIGatewayProxyResult[] = [];

  beforeAll(async () => {
    fixture = await startHandlerFixture({
      tables: [TABLE],
      // Throttling fakes in front of dynalite and as SageMaker and S3: each fault is one switch.
      endpoints: async (table) => {
        [ddb, sm, s3] = await Promise.all([startThrottlingDynamo(table.endpoint), startThrottlingSageMaker(), startThrottlingS3()]);
        return { dynamodb: ddb.url, sagemakerRuntime: sm.url, s3: s3.url };
      },
      env: { ...CREDENTIALS, ...predictEnv({ TABLE_NAME: TABLE, MAX_INLINE_BYTES: '16', PAYLOAD_BUCKET: 'payloads' }) },
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
    predictModule = require('../../lambda/predict');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
    readModule = require('../../lambda/read');
    config = loadPredictConfig(process.env);
    out = fixture.captureOutput();
  });
  afterAll(async () => {
    await Promise.all([ddb?.stop(), sm?.stop(), s3?.stop()]);
    await fixture?.stop();
  });

  async function call(fault: () => void, event = predictEvent(ROW)) {
    fault();
    const response = await predictModule.createPredictHandler(config)(event, lambdaContext());
    responses.push(response);
    return response;
  }

  test('each service refuses with a message naming roles, resources and keys: answers stay generic', async () => {
    const endpointArn = `arn:aws:sagemaker:us-east-1:${TEST_ACCOUNT}:endpoint/iris-endpoint`;
    expect((await call(() => sm.failNext(1, denied('sagemaker:InvokeEndpoint', endpointArn)))).statusCode).toBe(500);
    expect(
      (
        await call(() =>
          sm.failNext(2, {
            status: 500,
            code: 'InternalFailure',
            message: `Error: boom\n    at invoke (/var/task/index.js:1:2) in ${endpointArn}`,
          }),
        )
      ).statusCode,
    ).toBe(500);
    // The record's PutItem refused: the fallback line.
    expect(
      (
        await call(() =>
          ddb.failNext(1, denied('dynamodb:PutItem', TABLE_ARN), (op, body) => op === 'PutItem' && body.includes('"INFERENCE#')),
        )
      ).statusCode,
    ).toBe(200);
    // The idempotency claim refused: answered unchecked.
    const keyed = predictEvent(ROW, { headers: { 'content-type': 'application/json', 'Idempotency-Key': 'leak-in-process-1' } });
    expect(
      (
        await call(
          () =>
            ddb.failNext(
              1,
              {
                status: 400,
                code: 'UnrecognizedClientException',
                message: `The security token included in the request is invalid: ${SECRETS.join(', ')}`,
              },
              (op) => op === 'PutItem',
            ),
          keyed,
        )
      ).statusCode,
    ).toBe(200);
    // S3 refuses the overflowing payloads (both parts): they are kept truncated.
    expect(
      (
        await call(() =>
          s3.failNext(4, {
            status: 403,
            code: 'InvalidAccessKeyId',
            message: `The AWS Access Key Id ${CREDENTIALS.AWS_ACCESS_KEY_ID} you provided does not exist; role ${ROLE}`,
          }),
        )
      ).statusCode,
    ).toBe(200);
    // The read routes.
    ddb.failNext(1, denied('dynamodb:Query', `${TABLE_ARN}/index/byModelVersion`), (op) => op === 'Query');
    const read = await readModule.createReadHandler(TABLE)(
      apiEvent({ method: 'GET', resource: '/inferences', path: '/inferences', query: { modelVersion: '1.0.0' } }),
      lambdaContext('read-test'),
    );
    expect(read.statusCode).toBe(500);
    responses.push(read);

    expect(out.withMessage('inference record kept in log')).toHaveLength(1);
    expect(out.withMessage('idempotency key not checked: the table failed')).toHaveLength(1);
    expect(out.lines().filter((l) => l.message === 'payload kept truncated: writing it to S3 failed')).toHaveLength(2);
  });

  test('no answer and no log line carries any of it', () => {
    for (const response of responses) {
      expect(leaksIn(`${response.body}\n${JSON.stringify(response.headers)}`, { allowedArns: [], secrets: SECRETS })).toEqual([]);
    }
    const allowed = [/^arn:aws:lambda:us-east-1:123456789012:function:(predict|read)-test$/, new RegExp(`^${IAM_CALLER.userArn}$`)];
    const lines = out
      .text()
      .split('\n')
      .filter((l) => l.trim());
    expect(lines.length).toBeGreaterThan(10);
    const leaks = lines.flatMap((l) => leaksIn(withoutPayloadBodies(l), { allowedArns: allowed, secrets: SECRETS }));
    expect(leaks).toEqual([]);
    // The operator still learns what failed: the error's name and status, never its message.
    expect(out.lines().find((l) => l.message === 'request failed')).toMatchObject({
      errorName: 'AccessDeniedException',
      httpStatusCode: 400,
    });
  });
});
