/**
 * A real HTTP server speaking SageMaker runtime's InvokeEndpoint protocol
 * (`POST /endpoints/{name}/invocations`), so the SDK's own request signing and error
 * parsing (by `x-amzn-errortype`) run in the tests. What it does depends on the endpoint
 * name, so one server serves every case:
 *
 * | endpoint name      | answer                                                             |
 * | ------------------ | ------------------------------------------------------------------ |
 * | (any other)        | 200 `{"predictions": [row sums]}`, variant `AllTraffic`            |
 * | `model-rejects`    | 424 ModelError, OriginalStatusCode 400                             |
 * | `model-fails`      | 424 ModelError, OriginalStatusCode 500                             |
 * | `throttled`        | 400 ThrottlingException                                            |
 * | `throttled-429`    | 429 ThrottlingException                                            |
 * | `unavailable`      | 503 ServiceUnavailable                                             |
 * | `not-ready`        | 429 ModelNotReadyException                                         |
 * | `missing`          | 400 ValidationError "Endpoint missing of account ... not found."   |
 * | `internal`         | 500 InternalFailure                                                |
 * | `not-json`         | 200 with a text body                                               |
 * | `slow`             | never answers (until stop)                                         |
 */
import { createServer, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { TEST_ACCOUNT, TEST_REGION } from './lambda-env';

export interface Invocation {
  readonly endpointName: string;
  readonly contentType: string | undefined;
  readonly accept: string | undefined;
  readonly body: string;
}

export interface FakeSageMaker {
  readonly url: string;
  readonly invocations: Invocation[];
  stop(): Promise<void>;
}

/** What SageMaker's own error messages look like: they quote the account and ARNs, which must never reach a client. */
const LOG_STREAM_ARN = `arn:aws:logs:${TEST_REGION}:${TEST_ACCOUNT}:log-group:/aws/sagemaker/Endpoints/x`;

export async function startFakeSageMaker(): Promise<FakeSageMaker> {
  const invocations: Invocation[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return error(res, 404, 'UnknownOperationException', 'unknown operation');
      const endpointName = decodeURIComponent(match[1]);
      const body = Buffer.concat(chunks).toString('utf8');
      invocations.push({ endpointName, contentType: req.headers['content-type'], accept: req.headers.accept, body });
      answer(endpointName, body, req.headers['content-type'], res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    invocations,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function answer(endpointName: string, body: string, contentType: string | undefined, res: ServerResponse): void {
  switch (endpointName) {
    case 'model-rejects':
      return modelError(res, 400, 'expected 4 features, got 5.1 and friends');
    case 'model-fails':
      return modelError(res, 500, 'Traceback (most recent call last): ZeroDivisionError');
    case 'throttled':
      return error(res, 400, 'ThrottlingException', 'Rate exceeded');
    case 'throttled-429':
      return error(res, 429, 'ThrottlingException', 'Rate exceeded');
    case 'unavailable':
      return error(res, 503, 'ServiceUnavailable', 'Service is unavailable');
    case 'not-ready':
      return error(res, 429, 'ModelNotReadyException', 'Model is not ready yet');
    case 'missing':
      return error(res, 400, 'ValidationError', `Endpoint ${endpointName} of account ${TEST_ACCOUNT} not found.`);
    case 'internal':
      return error(res, 500, 'InternalFailure', `An internal error occurred in ${LOG_STREAM_ARN}`);
    case 'not-json':
      res.writeHead(200, { 'content-type': 'text/plain', 'x-amzn-invoked-production-variant': 'AllTraffic' });
      return void res.end('setosa');
    case 'slow':
      return; // never answers: the SDK's request timeout must fire
    default: {
      const rows =
        contentType === 'text/csv'
          ? body.split('\n').map((line) => line.split(',').map(Number))
          : (JSON.parse(body).instances as number[][]);
      const predictions = rows.map((row) => row.reduce((a, b) => a + b, 0));
      res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'AllTraffic' });
      return void res.end(JSON.stringify({ predictions }));
    }
  }
}

/** How SageMaker reports a container's non-200 answer: 424 ModelError with the original status. */
function modelError(res: ServerResponse, originalStatus: number, originalMessage: string): void {
  const message = `Received ${originalStatus < 500 ? 'client' : 'server'} error (${originalStatus}) from primary with message "${originalMessage}". See ${LOG_STREAM_ARN} in account ${TEST_ACCOUNT} for more information.`;
  res.writeHead(424, { 'content-type': 'application/json', 'x-amzn-errortype': 'ModelError:' });
  res.end(
    JSON.stringify({
      ErrorCode: 'ModelError',
      Message: message,
      OriginalStatusCode: originalStatus,
      OriginalMessage: originalMessage,
      LogStreamArn: LOG_STREAM_ARN,
    }),
  );
}

function error(res: ServerResponse, status: number, type: string, message: string): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.sagemaker/`,
  });
  res.end(JSON.stringify({ message }));
}
