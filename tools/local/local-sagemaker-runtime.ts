import * as http from 'http';
import { AddressInfo } from 'net';
import { closeServer, listen, readBody, sendJson } from './http-server';
import { LOCAL_ACCOUNT } from './local-aws';

export interface LocalSageMakerRuntime {
  readonly url: string;
  close(): Promise<void>;
}

/** SageMaker's payload limit for real-time endpoints. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const MODEL_ERROR_TYPE = 'ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/';

/**
 * SageMaker runtime's invoke route, `POST /endpoints/{name}/invocations`, in front of a model
 * server speaking the container contract (`POST /invocations`). It answers the way the
 * service does — variant header, ModelError with the container's status, ValidationError for
 * an unknown endpoint — so the handler's real SDK client and its error mapping run unchanged.
 */
export async function startLocalSageMakerRuntime(opts: {
  endpointName: string;
  variantName: string;
  /** Base URL of a server with `/ping` and `/invocations`. */
  modelUrl: string;
  /** SageMaker gives the container 60 s to answer. */
  containerTimeoutMs?: number;
  port?: number;
}): Promise<LocalSageMakerRuntime> {
  const server = http.createServer(async (req, res) => {
    const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(new URL(req.url ?? '/', 'http://local').pathname);
    if (req.method !== 'POST' || !match) {
      return sendJson(res, 404, { message: 'Not Found' }, { 'x-amzn-errortype': 'UnknownOperationException:' });
    }
    const name = decodeURIComponent(match[1]);
    if (name !== opts.endpointName) {
      return sendJson(res, 400, { message: `Endpoint ${name} of account ${LOCAL_ACCOUNT} not found.` }, { 'x-amzn-errortype': 'ValidationError:' });
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_PAYLOAD_BYTES);
    } catch {
      return sendJson(res, 413, { message: 'Request payload is too large' }, { 'x-amzn-errortype': 'ValidationError:' });
    }
    try {
      const answer = await fetch(`${opts.modelUrl}/invocations`, {
        method: 'POST',
        body,
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          accept: req.headers.accept ?? 'application/json',
        },
        signal: AbortSignal.timeout(opts.containerTimeoutMs ?? 60_000),
      });
      const text = Buffer.from(await answer.arrayBuffer());
      if (!answer.ok) {
        return sendJson(
          res,
          424,
          {
            ErrorCode: 'CLIENT_ERROR_FROM_MODEL',
            OriginalStatusCode: answer.status,
            OriginalMessage: text.toString('utf8').slice(0, 1024),
            Message: `Received client error (${answer.status}) from primary with message "${text.toString('utf8').slice(0, 512)}".`,
          },
          { 'x-amzn-errortype': MODEL_ERROR_TYPE },
        );
      }
      res.writeHead(200, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
        'x-amzn-invoked-production-variant': opts.variantName,
        'content-length': text.length,
      });
      res.end(text);
    } catch (error) {
      // The container is down or too slow: the service answers ModelError without a body from it.
      const timedOut = (error as Error).name === 'TimeoutError';
      sendJson(
        res,
        424,
        { ErrorCode: 'MODEL_ERROR', Message: timedOut ? 'Model container did not respond in time' : 'Model container is unreachable' },
        { 'x-amzn-errortype': MODEL_ERROR_TYPE },
      );
    }
  });
  // Keep-alive connections from the SDK must not hold shutdown.
  server.keepAliveTimeout = 5_000;
  await listen(server, opts.port ?? 0, 'SageMaker runtime');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => closeServer(server) };
}
