import { createHash, createHmac } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';

/** One request as it reached a test server: what the SDK or the CLI really sent. */
export interface CapturedRequest {
  readonly method: string;
  /** Path and query as sent, for example `/dev/predict`. */
  readonly url: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

export interface TestServer {
  readonly url: string;
  readonly requests: CapturedRequest[];
  close(): Promise<void>;
}

type Handler = (req: CapturedRequest) => { status: number; headers?: Record<string, string>; body: string };

/** A real HTTP server on a free local port that records every request and answers from `handle`. */
export async function startTestServer(handle: Handler): Promise<TestServer> {
  const requests: CapturedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const captured = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(captured);
      const answer = handle(captured);
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FakeStack {
  readonly status?: string;
  readonly outputs?: Record<string, string>;
}

export const TEST_ACCOUNT = '123456789012';
export const TEST_REGION = 'eu-west-1';

/**
 * The AWS APIs the commands call, answering in each service's own wire format (the SDK
 * parses these with its real deserializers): STS GetCallerIdentity and CloudFormation
 * DescribeStacks in the query protocol's XML, API Gateway GetApiKey in JSON.
 * Stacks not in `stacks` get CloudFormation's real "does not exist" ValidationError.
 */
export async function startFakeAws(state: {
  stacks: Record<string, FakeStack>;
  apiKeys?: Record<string, string>;
  account?: string;
}): Promise<TestServer> {
  return startTestServer((req) => {
    const apiKey = /^\/apikeys\/([^/?]+)\?(.*)$/.exec(req.url);
    if (req.method === 'GET' && apiKey) {
      const value = state.apiKeys?.[decodeURIComponent(apiKey[1])];
      if (value === undefined) return json(404, { message: `Invalid API Key identifier specified` }, 'NotFoundException');
      return json(200, { id: apiKey[1], name: 'key', enabled: true, ...(/includeValue=true/.test(apiKey[2]) ? { value } : {}) });
    }
    const form = new URLSearchParams(req.body);
    switch (form.get('Action')) {
      case 'GetCallerIdentity': {
        const account = state.account ?? TEST_ACCOUNT;
        return xml(
          200,
          `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
            `<Arn>arn:aws:sts::${account}:assumed-role/deployer/test</Arn><UserId>AROADEPLOYER:test</UserId><Account>${account}</Account>` +
            `</GetCallerIdentityResult><ResponseMetadata><RequestId>sts-1</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
        );
      }
      case 'DescribeStacks': {
        const name = form.get('StackName') ?? '';
        const stack = state.stacks[name];
        if (!stack) {
          return xml(
            400,
            `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type>` +
              `<Code>ValidationError</Code><Message>Stack with id ${escape(name)} does not exist</Message></Error><RequestId>cfn-missing</RequestId></ErrorResponse>`,
          );
        }
        const outputs = Object.entries(stack.outputs ?? {})
          .map(([k, v]) => `<member><OutputKey>${escape(k)}</OutputKey><OutputValue>${escape(v)}</OutputValue></member>`)
          .join('');
        return xml(
          200,
          `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member>` +
            `<StackName>${escape(name)}</StackName><StackId>arn:aws:cloudformation:${TEST_REGION}:${TEST_ACCOUNT}:stack/${escape(name)}/0f0e0d0c</StackId>` +
            `<CreationTime>2026-01-01T00:00:00.000Z</CreationTime><StackStatus>${stack.status ?? 'CREATE_COMPLETE'}</StackStatus>` +
            `<Outputs>${outputs}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>cfn-1</RequestId></ResponseMetadata></DescribeStacksResponse>`,
        );
      }
      default:
        return xml(
          400,
          `<ErrorResponse><Error><Type>Sender</Type><Code>InvalidAction</Code><Message>not faked: ${escape(req.body.slice(0, 80))}</Message></Error></ErrorResponse>`,
        );
    }
  });
}

/** The stack names each DescribeStacks request asked for, in order. */
export function describedStacks(server: TestServer): string[] {
  return server.requests
    .map((r) => new URLSearchParams(r.body))
    .filter((f) => f.get('Action') === 'DescribeStacks')
    .map((f) => f.get('StackName') ?? '');
}

/**
 * Checks a SigV4 signature from first principles (canonical request, string to sign,
 * derived key), independently of the signer under test. Returns what is wrong, or undefined.
 */
export function verifySigV4(req: CapturedRequest, secretAccessKey: string): string | undefined {
  const auth =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      String(req.headers.authorization ?? ''),
    );
  if (!auth) return `malformed Authorization header: ${req.headers.authorization}`;
  const [, , date, region, service, signedHeaders, signature] = auth;
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(date)) return `x-amz-date ${amzDate} does not match the credential date ${date}`;

  const url = new URL(req.url, 'http://placeholder');
  const query = [...url.searchParams.entries()]
    .map(([k, v]) => [encode(k), encode(v)])
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const headerLines = signedHeaders
    .split(';')
    .map(
      (h) =>
        `${h}:${String(req.headers[h] ?? '')
          .trim()
          .replace(/\s+/g, ' ')}\n`,
    )
    .join('');
  const canonical = [
    req.method,
    url.pathname
      .split('/')
      .map((s) => encode(encode(decodeURIComponent(s))))
      .join('/'),
    query,
    headerLines,
    signedHeaders,
    sha256(req.body),
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  let key: Buffer = hmac(`AWS4${secretAccessKey}`, date);
  for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
  const expected = createHmac('sha256', key).update(toSign).digest('hex');
  return expected === signature ? undefined : `signature mismatch: expected ${expected}, got ${signature}`;
}

function json(status: number, body: unknown, errorType?: string) {
  return {
    status,
    headers: { 'content-type': 'application/json', ...(errorType ? { 'x-amzn-errortype': errorType } : {}) },
    body: JSON.stringify(body),
  };
}

function xml(status: number, body: string) {
  return { status, headers: { 'content-type': 'text/xml' }, body };
}

function escape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function encode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}
