/**
 * The local API checks SigV4 as API Gateway does, proved with clients no one here wrote:
 * botocore's SigV4Auth (Debian's python3-botocore) and curl's --aws-sigv4, plus the
 * project's own `npm run invoke`. Every refusal is API Gateway's: status, error type header,
 * message, in the stack's gateway-response body (valid JSON whatever the message holds).
 */
import { ChildProcessWithoutNullStreams, execFile, spawn } from 'child_process';
import { existsSync } from 'fs';
import * as path from 'path';
import { createInterface } from 'readline';
import { promisify } from 'util';
import { LOCAL_USER_NAME, LocalIdentity, identityFields } from '../../../tools/local/local-credentials';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { startBanner } from '../../../tools/local/start-banner';
import { canonicalQuery, canonicalUri, signingKey, verifySigV4 } from '../../../tools/local/sigv4';
import { runCli } from '../../harness/deploy-cli';
import { TEST_CREDENTIALS, UNTHROTTLED, startPipeline, synthesizeOnce } from '../../harness/local-harness';
import { createHmac } from 'crypto';

const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const BOTOCORE_CALL = path.join(__dirname, '..', '..', 'harness', 'botocore-call.py');
const hasBotocore = existsSync(PYTHON);
const ROW = '{"instances":[[5.1,3.5,1.4,0.2]]}';
const OTHER: LocalIdentity = {
  accessKeyId: 'AKIAOTHERLOCALCALLER',
  secretAccessKey: 'other-caller-secret-abcdefghijklmnopqrstu',
  source: 'given',
  userName: 'data-scientist',
};

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** One botocore process for the suite (test/harness/botocore-call.py): a job a line, an answer a line, in order. */
let botocoreProcess: { child: ChildProcessWithoutNullStreams; waiting: ((line: string) => void)[] } | undefined;
afterAll(() => botocoreProcess?.child.stdin.end());

/** One request through botocore: signed with `key` (none: unsigned), optionally tampered. */
async function botocore(job: Record<string, unknown>): Promise<Answer & { json: any }> {
  if (!botocoreProcess) {
    const child = spawn(PYTHON, [BOTOCORE_CALL]);
    const waiting: ((line: string) => void)[] = [];
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    createInterface({ input: child.stdout }).on('line', (line) => waiting.shift()?.(line));
    child.on('close', (code) => {
      for (const resolve of waiting.splice(0)) resolve(JSON.stringify({ error: `botocore-call exited ${code}: ${err}` }));
    });
    botocoreProcess = { child, waiting };
  }
  const { child, waiting } = botocoreProcess;
  const line = new Promise<string>((resolve) => waiting.push(resolve));
  child.stdin.write(`${JSON.stringify({ method: 'POST', headers: { 'content-type': 'application/json' }, body: ROW, ...job })}\n`);
  const answer = JSON.parse(await line) as Answer & { error?: string };
  if (answer.error) throw new Error(answer.error);
  return { ...answer, json: JSON.parse(answer.body) };
}

describe('SigV4 verifier (the AWS specification, no SDK)', () => {
  // AWS's published SigV4 test suite, case get-vanilla: credentials AKIDEXAMPLE, 20150830T123600Z.
  const vanilla = {
    method: 'GET',
    rawPath: '/',
    rawQuery: '',
    rawHeaders: [
      'Host',
      'example.amazonaws.com',
      'X-Amz-Date',
      '20150830T123600Z',
      'Authorization',
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31',
    ],
    body: Buffer.alloc(0),
  };
  const lookup = (id: string) =>
    id === 'AKIDEXAMPLE' ? { accessKeyId: id, secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' } : undefined;
  const at = Date.parse('2015-08-30T12:36:00Z');

  test('accepts the AWS test suite vector get-vanilla', () => {
    expect(verifySigV4(vanilla, { service: 'service', region: 'us-east-1', lookup, now: at })).toMatchObject({ ok: true });
  });

  test('the signing key chain and the canonical URI and query follow the spec', () => {
    // The IAM guide's example signing key derivation, checked against a second computation.
    const key = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', '20150830', 'us-east-1', 'iam');
    const manual = ['20150830', 'us-east-1', 'iam', 'aws4_request'].reduce<Buffer | string>(
      (k, part) => createHmac('sha256', k).update(part).digest(),
      'AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    );
    expect(key.equals(manual as Buffer)).toBe(true);
    expect(canonicalUri('/dev/./inferences/../models')).toBe('/dev/models');
    expect(canonicalUri('/dev/inferences/a%20b')).toBe('/dev/inferences/a%2520b');
    expect(canonicalQuery('b=2&a=1&a=0&c=x%20y')).toBe('a=0&a=1&b=2&c=x%20y');
  });

  test('4 minutes of skew is inside the window, 6 are not, either way', () => {
    const ok = (now: number) => verifySigV4(vanilla, { service: 'service', region: 'us-east-1', lookup, now }).ok;
    expect(ok(at + 4 * 60_000)).toBe(true);
    expect(ok(at - 4 * 60_000)).toBe(true);
    expect(ok(at + 6 * 60_000)).toBe(false);
    expect(verifySigV4(vanilla, { service: 'service', region: 'us-east-1', lookup, now: at - 6 * 60_000 })).toMatchObject({
      ok: false,
      message: 'Signature not yet current: 20150830T123600Z is still later than 20150830T123500Z (20150830T123000Z + 5 min.)',
    });
  });

  test('host must be signed', () => {
    const unsignedHost = {
      ...vanilla,
      rawHeaders: [
        'Host',
        'example.amazonaws.com',
        'X-Amz-Date',
        '20150830T123600Z',
        'Authorization',
        'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=x-amz-date, Signature=00',
      ],
    };
    expect(verifySigV4(unsignedHost, { service: 'service', region: 'us-east-1', lookup, now: at })).toMatchObject({
      ok: false,
      errorType: 'InvalidSignatureException',
      message: "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    });
  });
});

describe('the local API in iam mode, called by independent clients', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  let pipeline: LocalPipeline;
  let url: string;

  beforeAll(async () => {
    pipeline = await startPipeline(assembly, { allowUnsigned: false, extraCredentials: [OTHER] });
    url = `${pipeline.url}/predict`;
  });
  afterAll(() => pipeline?.stop());

  const signedBy = (who: LocalIdentity, extra: Record<string, unknown> = {}) =>
    botocore({ url, key: who.accessKeyId, secret: who.secretAccessKey, region: pipeline.region, ...extra });

  async function callerOf(requestId: string) {
    const answer = await botocore({
      method: 'GET',
      url: `${pipeline.url}/inferences/${requestId}`,
      body: '',
      headers: {},
      key: TEST_CREDENTIALS.accessKeyId,
      secret: TEST_CREDENTIALS.secretAccessKey,
      region: pipeline.region,
    });
    expect(answer.status).toBe(200);
    return (answer.json.record ?? answer.json).caller;
  }

  /** API Gateway's refusal: 403, its error type, the stack's gateway-response body (valid JSON). */
  function expectRefused(answer: Answer & { json: any }, responseType: string, errorType: string, message: string | RegExp) {
    expect(answer.status).toBe(403);
    expect(answer.headers['x-amzn-errortype']).toBe(errorType);
    expect(answer.json).toEqual({ error: responseType, message: expect.any(String), requestId: answer.headers['x-amzn-requestid'] });
    if (typeof message === 'string') expect(answer.json.message).toBe(message);
    else expect(answer.json.message).toMatch(message);
  }

  const botoTest = hasBotocore ? test : test.skip;

  botoTest("a valid botocore signature: 200, and the record names the key's owner", async () => {
    const mine = await signedBy(TEST_CREDENTIALS);
    expect(mine.status).toBe(200);
    const other = await signedBy(OTHER);
    expect(other.status).toBe(200);
    expect(await callerOf(mine.json.requestId)).toMatchObject({
      type: 'iam',
      principal: `arn:aws:iam::000000000000:user/${LOCAL_USER_NAME}`,
    });
    expect(await callerOf(other.json.requestId)).toMatchObject({ type: 'iam', principal: 'arn:aws:iam::000000000000:user/data-scientist' });
    // requestContext.identity as API Gateway fills it: the key that signed, its user id and ARN.
    expect(identityFields(OTHER)).toMatchObject({
      accessKey: OTHER.accessKeyId,
      caller: expect.stringMatching(/^AIDA[0-9A-F]{16}$/),
      userArn: 'arn:aws:iam::000000000000:user/data-scientist',
    });
  });

  botoTest(
    'a tampered signature: 403 with the canonical request API Gateway computed (quotes and newlines, still valid JSON)',
    async () => {
      const answer = await signedBy(TEST_CREDENTIALS, { tamper: 'signature' });
      expectRefused(
        answer,
        'INVALID_SIGNATURE',
        'InvalidSignatureException',
        /^The request signature we calculated does not match the signature you provided\. Check your AWS Secret Access Key and signing method\. Consult the service documentation for details\.\n\nThe Canonical String for this request should have been\n'POST\n\/dev\/predict\n/,
      );
      expect(answer.json.message).toContain("\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n");
    },
  );

  botoTest('the body changed after signing: 403 invalid signature', async () => {
    expectRefused(
      await signedBy(TEST_CREDENTIALS, { tamper: 'body' }),
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      /^The request signature we calculated does not match/,
    );
  });

  botoTest('a wrong secret: 403 invalid signature; an unknown key: the security token is invalid', async () => {
    expectRefused(
      await botocore({ url, key: TEST_CREDENTIALS.accessKeyId, secret: 'not-the-secret', region: pipeline.region }),
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      /^The request signature we calculated does not match/,
    );
    expectRefused(
      await botocore({ url, key: 'AKIANOBODYKNOWSTHIS0', secret: 'x', region: pipeline.region }),
      'UNAUTHORIZED',
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  });

  botoTest('garbage in the Authorization header: 403, named as API Gateway names it', async () => {
    const garbage = await botocore({ url, authorization: 'AWS4-HMAC-SHA256 garbage' });
    expectRefused(
      garbage,
      'INVALID_SIGNATURE',
      'IncompleteSignatureException',
      "'garbage' not a valid key=value pair (missing equal-sign) in Authorization header: 'AWS4-HMAC-SHA256 garbage'",
    );
    const partial = await botocore({ url, authorization: 'AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/execute-api/aws4_request' });
    expectRefused(
      partial,
      'INVALID_SIGNATURE',
      'IncompleteSignatureException',
      "Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization=AWS4-HMAC-SHA256 Credential=AKIA/20260101/us-east-1/execute-api/aws4_request",
    );
  });

  botoTest('signed 10 minutes ago: 403 Signature expired, with the 5-minute window', async () => {
    const answer = await signedBy(TEST_CREDENTIALS, { skewSeconds: -600 });
    expectRefused(
      answer,
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      /^Signature expired: \d{8}T\d{6}Z is now earlier than \d{8}T\d{6}Z \(\d{8}T\d{6}Z - 5 min\.\)$/,
    );
  });

  botoTest('signed for another region or service: 403, scoped wrongly', async () => {
    expectRefused(
      await signedBy(TEST_CREDENTIALS, { region: 'eu-west-1' }),
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      "Credential should be scoped to a valid region, not 'eu-west-1'. ",
    );
    expectRefused(
      await signedBy(TEST_CREDENTIALS, { service: 'lambda' }),
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      "Credential should be scoped to correct service: 'execute-api'. ",
    );
  });

  botoTest('unsigned: 403 Missing Authentication Token', async () => {
    expectRefused(
      await botocore({ url }),
      'MISSING_AUTHENTICATION_TOKEN',
      'MissingAuthenticationTokenException',
      'Missing Authentication Token',
    );
  });

  botoTest('the SageMaker runtime route checks signatures for service sagemaker and answers x-amzn-RequestId', async () => {
    const invoke = `${pipeline.sageMakerRuntimeUrl}/endpoints/${pipeline.endpointName}/invocations`;
    // The functions' execution role's key is the one the runtime knows.
    const role = { key: 'AKIALOCALPIPELINE000', secret: 'local-pipeline-secret', region: 'us-east-1' };
    const ok = await botocore({ url: invoke, ...role, service: 'sagemaker' });
    expect(ok.status).toBe(200);
    expect(ok.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    expect(ok.headers['x-amzn-invoked-production-variant']).toBe('AllTraffic');
    const wrongService = await botocore({ url: invoke, ...role, service: 'execute-api' });
    expect(wrongService.status).toBe(403);
    expect(wrongService.headers['x-amzn-errortype']).toBe('InvalidSignatureException:');
    expect(wrongService.json).toEqual({ message: "Credential should be scoped to correct service: 'sagemaker'. " });
    const unsigned = await botocore({ url: invoke });
    expect(unsigned.status).toBe(403);
    expect(unsigned.json).toEqual({ message: 'Missing Authentication Token' });
    expect(unsigned.headers['x-amzn-requestid']).toMatch(/^[0-9a-f-]{36}$/);
    const tampered = await botocore({ url: invoke, ...role, service: 'sagemaker', tamper: 'body' });
    expect(tampered.status).toBe(403);
  });

  test("the project's own `npm run invoke` signs what the local API accepts", async () => {
    const env = { AWS_ACCESS_KEY_ID: OTHER.accessKeyId, AWS_SECRET_ACCESS_KEY: OTHER.secretAccessKey, AWS_REGION: pipeline.region };
    const ok = await runCli('invoke', ['--url', pipeline.url, '--data', ROW, '--json'], { env });
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(await callerOf(JSON.parse(ok.stdout).requestId)).toMatchObject({ principal: 'arn:aws:iam::000000000000:user/data-scientist' });
    const unsigned = await runCli('invoke', ['--url', pipeline.url, '--data', ROW, '--unsigned'], { env });
    expect(unsigned.code).toBe(1);
    expect(unsigned.stderr).toContain('403 MISSING_AUTHENTICATION_TOKEN: Missing Authentication Token');
  });

  const curlTest = existsSync('/usr/bin/curl') ? test : test.skip;
  curlTest('the curl line `npm start` prints works as printed (curl --aws-sigv4)', async () => {
    const banner = startBanner(pipeline, false);
    const line = /try it\s+(curl .+)$/m.exec(banner)![1];
    expect(line).toContain(
      `--aws-sigv4 'aws:amz:${pipeline.region}:execute-api' --user '${TEST_CREDENTIALS.accessKeyId}:${TEST_CREDENTIALS.secretAccessKey}'`,
    );
    const { stdout } = await run('/bin/bash', ['-c', line], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toMatchObject({ predictions: [expect.anything(), expect.anything()], modelVersion: '1.0.0' });
    expect(banner).toContain('refused with 403 Missing Authentication Token');
  });
});

describe('the documented switch: --allow-unsigned', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startPipeline(assembly, { allowUnsigned: true });
  });
  afterAll(() => pipeline?.stop());

  test("an unsigned call is taken as the configured caller's; a signed one is still checked", async () => {
    const res = await fetch(`${pipeline.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ROW });
    expect(res.status).toBe(200);
    const bad = await fetch(`${pipeline.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'AWS4-HMAC-SHA256 garbage' },
      body: ROW,
    });
    expect(bad.status).toBe(403);
    expect(startBanner(pipeline, true)).toContain('accepted (--allow-unsigned)');
  });
});
