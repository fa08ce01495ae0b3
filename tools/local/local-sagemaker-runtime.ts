import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { closeServer, listen, readBody, sendJson } from './http-server';
import { LOCAL_ACCOUNT } from './local-aws';
import type { ServiceMetrics } from './service-metrics';
import { Credential, verifySigV4 } from './sigv4';

/** Faults a test (or the local admin route) switches on: the model answering an error, or slowly. */
export interface ModelFaults {
  /** Answer as if the container returned this status (5xx or 4xx), without asking it. */
  status?: number;
  /** Wait this long before asking the container (counted in ModelLatency, as a slow model is). */
  delayMs?: number;
}

export interface LocalSageMakerRuntime {
  readonly url: string;
  /** Live: change a field and the next invocation sees it. */
  readonly faults: ModelFaults;
  close(): Promise<void>;
}

/** SageMaker's payload limit for real-time endpoints. */
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
const MODEL_ERROR_TYPE = 'ModelError:http://internal.amazon.com/coral/com.amazon.sagemaker/';

/**
 * SageMaker runtime's invoke route, `POST /endpoints/{name}/invocations`, in front of a model
 * server speaking the container contract (`POST /invocations`). It answers the way the
 * service does — SigV4 checked for signing name `sagemaker` (botocore's sagemaker-runtime
 * model: "signingName": "sagemaker"), `x-amzn-RequestId` on every answer (which botocore's
 * rest-json parser reads as the request id), variant header, ModelError with the container's
 * status, ValidationError for an unknown endpoint — so the handler's real SDK client and its
 * error mapping run unchanged. It emits the endpoint's AWS/SageMaker invocation metrics.
 */
export async function startLocalSageMakerRuntime(opts: {
  endpointName: string;
  variantName: string;
  /** Base URL of a server with `/ping` and `/invocations`. */
  modelUrl: string;
  /** Region signed for and the keys that may call (the functions' execution role's). */
  auth: { readonly region: string; readonly lookup: (accessKeyId: string) => Credential | undefined };
  metrics?: ServiceMetrics;
  /** SageMaker gives the container 60 s to answer. */
  containerTimeoutMs?: number;
  port?: number;
}): Promise<LocalSageMakerRuntime> {
  const faults: ModelFaults = {};
  const dims = { EndpointName: opts.endpointName, VariantName: opts.variantName };
  const emit = (name: string, value: number, unit: 'None' | 'Microseconds') => opts.metrics?.emit('endpoint', name, value, unit, dims);

  const server = http.createServer(async (req, res) => {
    const requestId = randomUUID();
    res.setHeader('x-amzn-requestid', requestId);
    const received = performance.now();
    const url = new URL(req.url ?? '/', 'http://local');
    const match = /^\/endpoints\/([^/]+)\/invocations$/.exec(url.pathname);
    if (req.method !== 'POST' || !match) {
      return sendJson(res, 404, { message: 'Not Found' }, { 'x-amzn-errortype': 'UnknownOperationException:' });
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_PAYLOAD_BYTES);
    } catch {
      return sendJson(res, 413, { message: 'Request payload is too large' }, { 'x-amzn-errortype': 'ValidationError:' });
    }
    const signed = {
      method: req.method,
      rawPath: (req.url ?? '/').split('?')[0],
      rawQuery: url.search.slice(1),
      rawHeaders: req.rawHeaders,
      body,
    };
    const auth = verifySigV4(signed, { service: 'sagemaker', region: opts.auth.region, lookup: opts.auth.lookup });
    if (!auth.ok) return sendJson(res, 403, { message: auth.message }, { 'x-amzn-errortype': `${auth.errorType}:` });
    const name = decodeURIComponent(match[1]);
    if (name !== opts.endpointName) {
      return sendJson(
        res,
        400,
        { message: `Endpoint ${name} of account ${LOCAL_ACCOUNT} not found.` },
        { 'x-amzn-errortype': 'ValidationError:' },
      );
    }

    // "For each 4xx response, 1 is sent; otherwise, 0 is sent." ModelLatency and OverheadLatency
    // are in microseconds (Monitor Amazon SageMaker with Amazon CloudWatch).
    let modelMicros = 0;
    const done = (modelStatus: number | undefined) => {
      emit('Invocations', 1, 'None');
      emit('Invocation4XXErrors', modelStatus !== undefined && modelStatus >= 400 && modelStatus < 500 ? 1 : 0, 'None');
      emit('Invocation5XXErrors', modelStatus !== undefined && modelStatus >= 500 ? 1 : 0, 'None');
      emit('ModelLatency', modelMicros, 'Microseconds');
      emit('OverheadLatency', Math.max(0, (performance.now() - received) * 1000 - modelMicros), 'Microseconds');
    };
    const modelStarted = performance.now();
    try {
      if (faults.delayMs) await new Promise((resolve) => setTimeout(resolve, faults.delayMs));
      const answer = faults.status
        ? new Response(JSON.stringify({ error: 'InjectedFault', message: `local fault: the model answers ${faults.status}` }), {
            status: faults.status,
          })
        : await fetch(`${opts.modelUrl}/invocations`, {
            method: 'POST',
            body,
            headers: {
              'content-type': req.headers['content-type'] ?? 'application/json',
              accept: req.headers.accept ?? 'application/json',
            },
            signal: AbortSignal.timeout(opts.containerTimeoutMs ?? 60_000),
          });
      const text = Buffer.from(await answer.arrayBuffer());
      modelMicros = (performance.now() - modelStarted) * 1000;
      if (!answer.ok) {
        sendJson(
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
        return done(answer.status);
      }
      res.writeHead(200, {
        'content-type': answer.headers.get('content-type') ?? 'application/json',
        'x-amzn-invoked-production-variant': opts.variantName,
        'content-length': text.length,
      });
      res.end(text);
      done(200);
    } catch (error) {
      // The container is down or too slow: the service answers ModelError without a body from it.
      modelMicros = (performance.now() - modelStarted) * 1000;
      const timedOut = (error as Error).name === 'TimeoutError';
      if (!res.headersSent) {
        sendJson(
          res,
          424,
          { ErrorCode: 'MODEL_ERROR', Message: timedOut ? 'Model container did not respond in time' : 'Model container is unreachable' },
          { 'x-amzn-errortype': MODEL_ERROR_TYPE },
        );
      }
      done(500);
    }
  });
  // Keep-alive connections from the SDK must not hold shutdown.
  server.keepAliveTimeout = 5_000;
  await listen(server, opts.port ?? 0, 'SageMaker runtime');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, faults, close: () => closeServer(server) };
}
