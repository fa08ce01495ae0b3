import { regionOfApiUrl } from '../../../tools/deploy/api-request';
import { STACK_TRACE, TEST_CREDENTIALS, runCli } from '../../harness/deploy-cli';
import { CapturedRequest, TestServer, startTestServer, verifySigV4 } from '../../harness/deploy-fake-aws';

/**
 * `npm run invoke` signs with the real SigV4 signer and the SDK's default credential chain
 * (here: fixed test credentials in the environment). A local server captures the request;
 * the test checks the Authorization header and recomputes the signature independently.
 */
let api: TestServer;
let answer: { status: number; body: unknown };

beforeAll(async () => {
  api = await startTestServer(() => ({
    status: answer.status,
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-0001' },
    body: JSON.stringify(answer.body),
  }));
});
afterAll(() => api.close());
beforeEach(() => {
  api.requests.length = 0;
  answer = {
    status: 200,
    body: {
      requestId: 'req-0001',
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'inference-dev-iris-classifier',
      variant: 'AllTraffic',
      predictions: [{ label: 'setosa', probabilities: { setosa: 0.98, versicolor: 0.02, virginica: 0 } }],
    },
  };
});

const BODY = '{"instances":[[5.1,3.5,1.4,0.2]]}';
const credentials = { ...TEST_CREDENTIALS, AWS_REGION: 'eu-west-1' };

test('signs the prediction with SigV4 for execute-api in the region, covering host, date and token', async () => {
  const run = await runCli('invoke', ['--url', `${api.url}/dev/`, '--data', BODY], { env: credentials });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);

  expect(api.requests).toHaveLength(1);
  const req: CapturedRequest = api.requests[0];
  expect(req.method).toBe('POST');
  expect(req.url).toBe('/dev/predict');
  expect(req.body).toBe(BODY);
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=[0-9a-f]{64}$/.exec(
      String(req.headers.authorization),
    );
  expect(auth).not.toBeNull();
  const [, keyId, date, region, service, signedHeaders] = auth!;
  expect(keyId).toBe(TEST_CREDENTIALS.AWS_ACCESS_KEY_ID);
  const amzDate = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(String(req.headers['x-amz-date']));
  expect(amzDate?.slice(1, 4).join('')).toBe(date);
  const signedAt = Date.UTC(+amzDate![1], +amzDate![2] - 1, +amzDate![3], +amzDate![4], +amzDate![5], +amzDate![6]);
  expect(Math.abs(Date.now() - signedAt)).toBeLessThan(60_000);
  expect(region).toBe('eu-west-1');
  expect(service).toBe('execute-api');
  expect(signedHeaders.split(';')).toEqual(expect.arrayContaining(['host', 'x-amz-date', 'x-amz-security-token', 'content-type']));
  expect(req.headers['x-amz-security-token']).toBe(TEST_CREDENTIALS.AWS_SESSION_TOKEN);
  // The signed host carries the port: what was signed is what was sent.
  expect(req.headers.host).toBe(new URL(api.url).host);
  expect(verifySigV4(req, TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
  // The check itself has teeth: another secret does not verify.
  expect(verifySigV4(req, 'another-secret')).toMatch(/^signature mismatch/);

  expect(run.stdout).toBe(
    'request id: req-0001\n' +
      'model: iris-classifier 1.0.0 (endpoint inference-dev-iris-classifier, variant AllTraffic)\n' +
      '[0] setosa  (setosa 0.980, versicolor 0.020, virginica 0.000)\n',
  );
});

test('signs for the region of an execute-api URL, and --region overrides it', async () => {
  expect(regionOfApiUrl('https://a1b2c3.execute-api.ap-southeast-2.amazonaws.com/prod/')).toBe('ap-southeast-2');
  expect(regionOfApiUrl('http://127.0.0.1:3000/dev')).toBeUndefined();

  const run = await runCli(
    'invoke',
    ['--url', `${api.url}/dev`, '--file', 'test/tools/deploy/fixtures/request.json', '--region', 'us-west-2', '--json'],
    { env: credentials },
  );
  expect(run.code).toBe(0);
  expect(String(api.requests[0].headers.authorization)).toMatch(/\/us-west-2\/execute-api\/aws4_request/);
  expect(verifySigV4(api.requests[0], TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
  expect(JSON.parse(api.requests[0].body)).toEqual({ instances: [[6.0, 2.9, 4.5, 1.5]] });
  expect(JSON.parse(run.stdout)).toEqual(answer.body);
});

test('sends the API key instead of a signature in api-key mode, and nothing with --unsigned', async () => {
  await runCli('invoke', ['--url', `${api.url}/dev`, '--data', BODY, '--api-key', 'k-123'], { env: credentials });
  await runCli('invoke', ['--url', `${api.url}/dev`, '--data', BODY, '--unsigned'], { env: {} });
  const [keyed, unsigned] = api.requests;
  expect(keyed.headers['x-api-key']).toBe('k-123');
  expect(keyed.headers.authorization).toBeUndefined();
  expect(unsigned.headers['x-api-key']).toBeUndefined();
  expect(unsigned.headers.authorization).toBeUndefined();
});

test('an error answer exits 1 with the status, the error, the message and the request id', async () => {
  answer = {
    status: 400,
    body: { error: 'ValidationError', message: 'instances[0] has 3 values; the model takes 4 features per row', requestId: 'req-0002' },
  };
  const run = await runCli('invoke', ['--url', `${api.url}/dev`, '--data', '{"instances":[[1,2,3]]}'], { env: credentials });
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toBe(
    'invoke: 400 ValidationError: instances[0] has 3 values; the model takes 4 features per row (request id req-0002)\n',
  );
});

test("a 403 on a signed request points at the caller's IAM permissions", async () => {
  answer = {
    status: 403,
    body: { message: 'User: arn:aws:sts::123456789012:assumed-role/x is not authorized to perform: execute-api:Invoke' },
  };
  const run = await runCli('invoke', ['--url', `${api.url}/dev`, '--data', BODY], { env: credentials });
  expect(run.code).toBe(1);
  expect(run.stderr).toContain('invoke: 403 {"message":"User: arn:aws:sts::123456789012:assumed-role/x is not authorized');
  expect(run.stderr).toContain(
    "hint: the signature or the caller's IAM permissions were refused: the caller needs execute-api:Invoke on this API",
  );
  expect(run.stderr).not.toMatch(STACK_TRACE);
});

test('without credentials, signing fails with the hint to configure them', async () => {
  const run = await runCli('invoke', ['--url', `${api.url}/dev`, '--data', BODY], { env: { AWS_REGION: 'eu-west-1' } });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^invoke: could not sign the request: no AWS credentials found\n {2}hint: configure AWS credentials: /);
  expect(api.requests).toHaveLength(0);
});
