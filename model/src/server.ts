/**
 * The HTTP side of SageMaker's inference container contract:
 *
 *   GET  /ping          200 once the model is loaded (SageMaker's health check)
 *   POST /invocations   rows in (application/json or text/csv), predictions out (application/json)
 *
 * Every error is a JSON body `{"error", "message"}` with a precise message, never a stack
 * trace. Each request logs one INFO line to stdout; each failure also logs an ERROR line to
 * stderr, which the endpoint's `{ $.level = "ERROR" }` metric filter counts.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { CodecError, checkAccept, decodeRows, encodePredictions, MAX_ROWS, parseContentType } from './codec';
import { createLogger, type LogSink } from './log';
import { loadPredictor } from './predictor';

/** SageMaker's own payload limit for real-time endpoints; larger bodies are refused unread. */
export const MAX_BODY_BYTES = 6 * 1024 * 1024;

/** How long `close()` lets in-flight requests finish before cutting their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * After refusing a body as too large, how much more of it is read and dropped, and for how
 * long, before the connection is cut. A client still sending would otherwise get a reset
 * instead of the 413; a client that never stops sending must not hold the server.
 */
const DISCARD_LIMIT_BYTES = 4 * MAX_BODY_BYTES;
const DISCARD_LIMIT_MS = 10_000;

export interface ModelServerOptions {
  /** Directory holding `model.json` (SageMaker unpacks the artifact into `/opt/ml/model`). */
  readonly modelDir: string;
  /** 0 picks a free port; `ModelServer.port` tells which. */
  readonly port: number;
  /** @default '0.0.0.0', since SageMaker calls the container from outside it */
  readonly host?: string;
  /** Added to every response as `modelVersion`. @default process.env.MODEL_VERSION */
  readonly modelVersion?: string;
  /** @default MAX_BODY_BYTES */
  readonly maxBodyBytes?: number;
  /** @default MAX_ROWS */
  readonly maxRows?: number;
  /** Where the JSON log lines go. @default process stdout and stderr */
  readonly logSink?: LogSink;
}

export interface ModelServer {
  /** Base URL to call, for example `http://127.0.0.1:8080`. */
  readonly url: string;
  readonly port: number;
  /** Stops accepting connections and resolves once in-flight requests have finished. */
  close(): Promise<void>;
}

/** A failed request: its status, error name and message become the response. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** The client hung up mid-request: nothing can be answered, and it is not our error. */
class ClientGone extends Error {}

/** Loads the model (throwing `ModelLoadError` if it cannot), then listens. */
export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const logger = createLogger(options.logSink);
  const predictor = loadPredictor(options.modelDir);
  const modelVersion = options.modelVersion ?? (process.env.MODEL_VERSION || undefined);
  const maxBodyBytes = options.maxBodyBytes ?? MAX_BODY_BYTES;
  const maxRows = options.maxRows ?? MAX_ROWS;
  let closing = false;

  async function invoke(req: http.IncomingMessage): Promise<{ rows: number; body: string }> {
    // Headers first: a body we cannot read or answer is not worth receiving.
    const contentType = parseContentType(req.headers['content-type']);
    checkAccept(req.headers.accept);
    const body = await readBody(req, maxBodyBytes);
    const rows = decodeRows(body, contentType, { featureCount: predictor.featureCount, maxRows });
    return { rows: rows.length, body: encodePredictions(predictor.predict(rows), modelVersion) };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? '';
    const path = truncate((req.url ?? '/').split('?')[0]);
    let rows: number | undefined;
    if (closing) res.setHeader('Connection', 'close');
    try {
      if (path === '/ping') {
        if (method !== 'GET' && method !== 'HEAD') throw methodNotAllowed(method, path, 'GET, HEAD');
        if (closing) throw new HttpError(503, 'ModelNotReady', 'the server is shutting down');
        send(res, 200, JSON.stringify({ status: 'healthy' }));
      } else if (path === '/invocations') {
        if (method !== 'POST') throw methodNotAllowed(method, path, 'POST');
        const result = await invoke(req);
        rows = result.rows;
        send(res, 200, result.body);
      } else {
        throw new HttpError(404, 'NotFound', `no route for ${path}; this container serves GET /ping and POST /invocations`);
      }
    } catch (caught) {
      if (caught instanceof ClientGone) {
        res.destroy();
        return logAccess();
      }
      const failure = toHttpError(caught);
      const internal = failure.status >= 500 && !(caught instanceof HttpError);
      logger.error(failure.message, {
        status: failure.status,
        error: failure.error,
        method,
        path,
        // The stack goes to the log only, for whoever debugs the 500; never to the caller.
        ...(internal ? { detail: (caught as Error)?.message, stack: (caught as Error)?.stack } : {}),
      });
      send(res, failure.status, JSON.stringify({ error: failure.error, message: failure.message }), failure.headers);
    }
    logAccess();

    function logAccess(): void {
      logger.info('request', {
        method,
        path,
        // No status when the client hung up before an answer could be sent.
        ...(res.headersSent ? { status: res.statusCode } : { status: null, clientClosed: true }),
        latencyMs: Math.round((performance.now() - started) * 1000) / 1000,
        ...(rows === undefined ? {} : { rows }),
      });
    }
  }

  const server = http.createServer((req, res) => void handle(req, res));
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    // A client that hung up (mid-request: HPE_INVALID_EOF_STATE) is not an error of ours;
    // a malformed request is worth a line.
    if (error.code === 'ECONNRESET' || error.code === 'HPE_INVALID_EOF_STATE' || !socket.writable) {
      socket.destroy();
      return;
    }
    logger.error('malformed http request', { status: 400, error: 'BadRequest', detail: error.message });
    const body = JSON.stringify({ error: 'BadRequest', message: 'malformed http request' });
    socket.end(
      `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });

  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const reachableHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${reachableHost.includes(':') ? `[${reachableHost}]` : reachableHost}:${port}`;
  logger.info('model server listening', {
    port,
    host,
    modelDir: options.modelDir,
    labels: predictor.labels,
    featureNames: predictor.featureNames,
    heldOutAccuracy: predictor.metadata.metrics.heldOutAccuracy,
    ...(modelVersion ? { modelVersion } : {}),
  });

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve, reject) => {
      closing = true;
      const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      server.close((error) => {
        clearTimeout(force);
        if (error) reject(error);
        else resolve();
      });
      // Keep-alive connections with no request in flight would hold close() open.
      server.closeIdleConnections();
    });
    return closed;
  };
  return { url, port, close };
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  const tooLarge = () => {
    discardRest(req);
    return new HttpError(413, 'PayloadTooLarge', `request body is larger than the limit of ${limit} bytes`);
  };
  if (Number(req.headers['content-length']) > limit) return Promise.reject(tooLarge());

  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > limit) return;
      size += chunk.length;
      if (size > limit) {
        chunks.length = 0;
        reject(tooLarge());
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', () => reject(new ClientGone()));
    req.on('close', () => {
      if (!req.complete) reject(new ClientGone());
    });
  });
}

/** Reads and drops the rest of a refused body, within DISCARD_LIMIT_BYTES and DISCARD_LIMIT_MS. */
function discardRest(req: http.IncomingMessage): void {
  let discarded = 0;
  const cut = () => req.socket.destroy();
  const timer = setTimeout(cut, DISCARD_LIMIT_MS);
  req.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > DISCARD_LIMIT_BYTES) cut();
  });
  req.once('close', () => clearTimeout(timer));
  req.resume();
}

function methodNotAllowed(method: string, path: string, allow: string): HttpError {
  return new HttpError(405, 'MethodNotAllowed', `method ${method} is not allowed on ${path}; use ${allow}`, {
    Allow: allow,
  });
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof CodecError) return new HttpError(error.status, error.error, error.message);
  return new HttpError(500, 'InternalError', 'internal error; the container log has the details');
}

function send(res: http.ServerResponse, status: number, body: string, headers: Readonly<Record<string, string>> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

function truncate(text: string, max = 200): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
