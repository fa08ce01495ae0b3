/**
 * Real HTTP servers that fail the way AWS services do, for the retry and leak tests: each
 * records when every attempt arrived, and throttles (or fails with a given error) as many of
 * the next calls as the test asks, in the service's own error format.
 *
 * - SageMaker runtime: `POST /endpoints/{name}/invocations`, throttled with 400
 *   ThrottlingException (or 429), answering row sums otherwise.
 * - DynamoDB: a proxy in front of dynalite that answers chosen operations with 400
 *   ProvisionedThroughputExceededException and forwards everything else.
 * - S3: PutObject answered with 503 SlowDown, 200 otherwise.
 */
import { createServer, IncomingMessage, request, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

export interface Arrival {
  /** Date.now() when the attempt arrived. */
  readonly at: number;
  readonly throttled: boolean;
  /** The DynamoDB operation, the endpoint name or the S3 key. */
  readonly what: string;
  readonly body: string;
}

/** An error as the service reports it: HTTP status, error code, message. */
export interface Fault {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface ThrottlingServer {
  readonly url: string;
  readonly arrivals: Arrival[];
  /** Throttles the next `count` calls (Infinity: all) that `match` accepts (all by default). */
  throttleNext(count: number, match?: (what: string, body: string) => boolean): void;
  /** Fails the next `count` calls that `match` accepts with this error. */
  failNext(count: number, fault: Fault, match?: (what: string, body: string) => boolean): void;
  stop(): Promise<void>;
}

type Answer = (what: string, body: string, res: ServerResponse, req: IncomingMessage) => void;

async function startServer(
  whatOf: (req: IncomingMessage) => string,
  throttling: Fault,
  fail: (res: ServerResponse, fault: Fault) => void,
  answer: Answer,
): Promise<ThrottlingServer> {
  const arrivals: Arrival[] = [];
  let budget = 0;
  let fault = throttling;
  let matcher: (what: string, body: string) => boolean = () => true;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const what = whatOf(req);
      const throttled = budget > 0 && matcher(what, body);
      arrivals.push({ at: Date.now(), throttled, what, body });
      if (throttled) {
        budget--;
        return fail(res, fault);
      }
      answer(what, body, res, req);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    arrivals,
    throttleNext(count, match = () => true) {
      budget = count;
      fault = throttling;
      matcher = match;
    },
    failNext(count, next, match = () => true) {
      budget = count;
      fault = next;
      matcher = match;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function startThrottlingSageMaker(options: { status?: 400 | 429 } = {}): Promise<ThrottlingServer> {
  return startServer(
    (req) => decodeURIComponent(/^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '')?.[1] ?? ''),
    { status: options.status ?? 400, code: 'ThrottlingException', message: 'Rate exceeded' },
    (res, fault) => {
      res.writeHead(fault.status, {
        'content-type': 'application/json',
        'x-amzn-errortype': `${fault.code}:http://internal.amazon.com/coral/com.amazon.sagemaker/`,
      });
      res.end(JSON.stringify({ message: fault.message }));
    },
    (_what, body, res) => {
      const rows = (JSON.parse(body) as { instances: number[][] }).instances;
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'AllTraffic' });
      res.end(JSON.stringify({ predictions: rows.map((row) => row.reduce((a, b) => a + b, 0)) }));
    },
  );
}

/** `what` is the operation (`PutItem`, `GetItem`, `Query`, ...). */
export function startThrottlingDynamo(dynaliteUrl: string): Promise<ThrottlingServer> {
  const target = new URL(dynaliteUrl);
  return startServer(
    (req) =>
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '',
    {
      status: 400,
      code: 'ProvisionedThroughputExceededException',
      message: 'The level of configured provisioned throughput for the table was exceeded.',
    },
    (res, fault) => {
      res.writeHead(fault.status, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${fault.code}`, message: fault.message }));
    },
    (_what, body, res, req) => {
      const forward = request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host, 'content-length': Buffer.byteLength(body) },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(res);
        },
      );
      forward.on('error', () => res.writeHead(502).end());
      forward.end(body);
    },
  );
}

/** `what` is the object's path (`/bucket/key`). */
export function startThrottlingS3(): Promise<ThrottlingServer> {
  return startServer(
    (req) => decodeURIComponent((req.url ?? '').split('?')[0]),
    { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
    (res, fault) => {
      res.writeHead(fault.status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.message}</Message></Error>`);
    },
    (_what, _body, res) => {
      res.writeHead(200, { etag: '"0123456789abcdef"', 'content-length': '0' });
      res.end();
    },
  );
}
