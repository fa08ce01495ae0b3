import * as http from 'node:http';
import * as net from 'node:net';
import { MAX_BODY_BYTES, startModelServer, type ModelServer } from '../../model/src/server';
import {
  collectingLogSink,
  extractCommittedModel,
  KNOWN_SAMPLES,
  makeTempDir,
  removeTempDirs,
  type LoggedLine,
} from '../harness/model-fixtures';

const JSON_HEADERS = { 'Content-Type': 'application/json' };
const EXPECTED_LABELS = KNOWN_SAMPLES.map((sample) => sample.label);
const ROWS = KNOWN_SAMPLES.map((sample) => sample.features);

let modelDir: string;
let server: ModelServer;
let log: ReturnType<typeof collectingLogSink>;

beforeAll(async () => {
  modelDir = await extractCommittedModel();
  log = collectingLogSink();
  server = await startModelServer({ modelDir, port: 0, host: '127.0.0.1', modelVersion: '1.2.3', logSink: log });
});
afterAll(async () => {
  await server?.close();
  removeTempDirs();
});

async function call(path: string, init: RequestInit = {}): Promise<{ status: number; headers: Headers; body: any; text: string }> {
  const response = await fetch(`${server.url}${path}`, init);
  const text = await response.text();
  const isJson = response.headers.get('content-type') === 'application/json' && text !== '';
  return { status: response.status, headers: response.headers, body: isJson ? JSON.parse(text) : undefined, text };
}

/** The lines logged while `action` ran. */
async function logged<T>(action: () => Promise<T>): Promise<{ result: T; lines: LoggedLine[] }> {
  const start = log.lines.length;
  const result = await action();
  return { result, lines: log.lines.slice(start) };
}

describe('model server: healthy path', () => {
  it('listens on the port it reports and logs that it did', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const started = log.lines.find((line) => line.record.message === 'model server listening');
    expect(started).toMatchObject({
      stream: 'stdout',
      record: { level: 'INFO', port: server.port, labels: ['setosa', 'versicolor', 'virginica'], modelVersion: '1.2.3' },
    });
  });

  it('answers GET and HEAD /ping with 200', async () => {
    const ping = await call('/ping');
    expect(ping.status).toBe(200);
    expect(ping.body).toEqual({ status: 'healthy' });
    const head = await call('/ping', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.text).toBe('');
  });

  it('predicts {"instances": rows} posted as json, with the model version', async () => {
    const { result, lines } = await logged(() =>
      call('/invocations', { method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ instances: ROWS }) }),
    );
    expect(result.status).toBe(200);
    expect(result.headers.get('content-type')).toBe('application/json');
    expect(result.body.modelVersion).toBe('1.2.3');
    expect(result.body.predictions.map((p: { label: string }) => p.label)).toEqual(EXPECTED_LABELS);
    for (const { probabilities } of result.body.predictions) {
      expect(Object.keys(probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
      expect(Object.values(probabilities as Record<string, number>).reduce((a, b) => a + b, 0)).toBe(1);
    }
    // One access line per request, on stdout, with status, latency and rows.
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      stream: 'stdout',
      record: { level: 'INFO', message: 'request', method: 'POST', path: '/invocations', status: 200, rows: 3 },
    });
    expect(lines[0].record.latencyMs).toEqual(expect.any(Number));
    expect(Date.parse(lines[0].record.time as string)).not.toBeNaN();
  });

  it('predicts a bare json array, and csv with CRLF and a final line break, alike', async () => {
    const bare = await call('/invocations', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json; charset=utf-8', Accept: 'application/json' },
      body: JSON.stringify(ROWS),
    });
    const csv = await call('/invocations', {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv' },
      body: `${ROWS.map((row) => row.join(',')).join('\r\n')}\r\n`,
    });
    expect(bare.status).toBe(200);
    expect(csv.status).toBe(200);
    expect(csv.body).toEqual(bare.body);
    expect(csv.body.predictions.map((p: { label: string }) => p.label)).toEqual(EXPECTED_LABELS);
  });
});

describe('model server: errors', () => {
  /** Checks the response is `{error, message}` JSON, free of stack traces, and logged as an ERROR line. */
  async function expectError(
    action: () => Promise<Awaited<ReturnType<typeof call>>>,
    status: number,
    error: string,
    message: string | RegExp,
  ): Promise<Awaited<ReturnType<typeof call>>> {
    const { result, lines } = await logged(action);
    expect(result.status).toBe(status);
    expect(result.headers.get('content-type')).toBe('application/json');
    expect(Object.keys(result.body)).toEqual(['error', 'message']);
    expect(result.body.error).toBe(error);
    if (typeof message === 'string') expect(result.body.message).toBe(message);
    else expect(result.body.message).toMatch(message);
    expect(result.text).not.toMatch(/\bat [\w.<>$]+ \(|\.ts:\d+|\.js:\d+/);

    const errorLines = lines.filter((line) => line.record.level === 'ERROR');
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatchObject({ stream: 'stderr', record: { status, error, message: result.body.message } });
    expect(lines.find((line) => line.record.message === 'request')?.record).toMatchObject({ level: 'INFO', status });
    return result;
  }

  const post =
    (body: RequestInit['body'], headers: Record<string, string> = JSON_HEADERS) =>
    () =>
      call('/invocations', { method: 'POST', headers, body });

  it('400: a row of the wrong width', async () => {
    await expectError(post('{"instances": [[5.1, 3.5, 1.4]]}'), 400, 'ValidationError', 'row 1 has 3 values; expected 4');
  });

  it('400: malformed json', async () => {
    await expectError(post('{"instances": [[5.1, 3.5'), 400, 'ValidationError', /^request body is not valid json: /);
  });

  it('400: a csv header row', async () => {
    await expectError(
      post('a,b,c,d\n1,2,3,4\n', { 'Content-Type': 'text/csv' }),
      400,
      'ValidationError',
      'line 1 looks like a header ("a,b,c,d"); csv input must not have a header row',
    );
  });

  it('413: a body declared larger than 6 MB, refused before any of it is sent', async () => {
    await expectError(
      () => postUntilAnswered({ 'Content-Type': 'text/csv', 'Content-Length': String(MAX_BODY_BYTES + 1) }, 0),
      413,
      'PayloadTooLarge',
      `request body is larger than the limit of ${MAX_BODY_BYTES} bytes`,
    );
  });

  it('413: a large body sent in one go still gets its answer, not a reset', async () => {
    await expectError(
      post(Buffer.alloc(MAX_BODY_BYTES + 1, 0x31), { 'Content-Type': 'text/csv' }),
      413,
      'PayloadTooLarge',
      `request body is larger than the limit of ${MAX_BODY_BYTES} bytes`,
    );
  });

  it('413: a streamed (chunked) body, refused once it grows past 6 MB', async () => {
    let sent = 0;
    await expectError(
      () => postUntilAnswered({ 'Content-Type': 'text/csv' }, 512 * 1024, (bytes) => (sent = bytes)),
      413,
      'PayloadTooLarge',
      `request body is larger than the limit of ${MAX_BODY_BYTES} bytes`,
    );
    expect(sent).toBeGreaterThan(MAX_BODY_BYTES);
  });

  it('415: an unsupported or missing content type', async () => {
    await expectError(
      post('5.1 3.5 1.4 0.2', { 'Content-Type': 'text/plain' }),
      415,
      'UnsupportedMediaType',
      'unsupported content type "text/plain"; use application/json or text/csv',
    );
    await expectError(
      () => rawPost('/invocations', '[[5.1, 3.5, 1.4, 0.2]]'),
      415,
      'UnsupportedMediaType',
      'missing content type; use application/json or text/csv',
    );
  });

  it('406: an Accept header that rules out json', async () => {
    await expectError(
      post('[[5.1, 3.5, 1.4, 0.2]]', { ...JSON_HEADERS, Accept: 'text/csv' }),
      406,
      'NotAcceptable',
      'cannot produce "text/csv"; responses are application/json',
    );
  });

  it('404: an unknown route', async () => {
    await expectError(
      () => call('/predict?x=1'),
      404,
      'NotFound',
      'no route for /predict; this container serves GET /ping and POST /invocations',
    );
  });

  it('405: the wrong method, with Allow', async () => {
    const get = await expectError(
      () => call('/invocations'),
      405,
      'MethodNotAllowed',
      'method GET is not allowed on /invocations; use POST',
    );
    expect(get.headers.get('allow')).toBe('POST');
    const ping = await expectError(
      () => call('/ping', { method: 'POST', body: '' }),
      405,
      'MethodNotAllowed',
      'method POST is not allowed on /ping; use GET, HEAD',
    );
    expect(ping.headers.get('allow')).toBe('GET, HEAD');
  });

  it('400: a malformed http request, answered in json on the raw socket', async () => {
    const start = log.lines.length;
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(server.port, '127.0.0.1', () => socket.write('NOT HTTP AT ALL\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk) => (text += chunk.toString('utf8')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4))).toEqual({ error: 'BadRequest', message: 'malformed http request' });
    expect(log.lines.slice(start)).toEqual([
      expect.objectContaining({ stream: 'stderr', record: expect.objectContaining({ level: 'ERROR', status: 400, error: 'BadRequest' }) }),
    ]);
  });

  it('a client that hangs up mid-body is logged as such, not as an error', async () => {
    const start = log.lines.length;
    const request = http.request(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'Content-Type': 'text/csv', 'Content-Length': 1000 },
    });
    request.on('error', () => undefined);
    request.write('5.1,3.5,1.4,0.2\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    request.destroy();
    const deadline = Date.now() + 5_000;
    while (!log.lines.slice(start).some((line) => line.record.message === 'request') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(log.lines.slice(start)).toEqual([
      expect.objectContaining({
        stream: 'stdout',
        record: expect.objectContaining({ level: 'INFO', path: '/invocations', status: null, clientClosed: true }),
      }),
    ]);
  });

  it('keeps serving after errors', async () => {
    const ping = await call('/ping');
    expect(ping.status).toBe(200);
  });
});

/** A POST without a Content-Type header, which fetch would add for a string body. */
function rawPost(path: string, body: string): Promise<Awaited<ReturnType<typeof call>>> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${server.url}${path}`,
      { method: 'POST', headers: { 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const headers = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
          resolve({ status: res.statusCode ?? 0, headers, body: JSON.parse(text), text });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * POSTs `chunkSize`-byte chunks (none when 0) until the server answers, the way a client
 * streaming a large body would, so an early answer is read rather than lost to a reset.
 */
function postUntilAnswered(
  headers: Record<string, string>,
  chunkSize: number,
  onSent: (bytes: number) => void = () => undefined,
): Promise<Awaited<ReturnType<typeof call>>> {
  return new Promise((resolve, reject) => {
    let answered = false;
    let sent = 0;
    const request = http.request(`${server.url}/invocations`, { method: 'POST', headers }, (res) => {
      answered = true;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const responseHeaders = new Headers(Object.entries(res.headers).map(([k, v]) => [k, String(v)] as [string, string]));
        request.destroy();
        resolve({ status: res.statusCode ?? 0, headers: responseHeaders, body: JSON.parse(text), text });
      });
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    request.flushHeaders();
    const chunk = Buffer.alloc(chunkSize, 0x31);
    const sendMore = () => {
      if (answered || chunkSize === 0 || sent > 4 * MAX_BODY_BYTES) return;
      sent += chunk.length;
      onSent(sent);
      if (request.write(chunk)) setImmediate(sendMore);
      else request.once('drain', sendMore);
    };
    sendMore();
  });
}

describe('model server: internal errors', () => {
  it('500 says only that it failed; the stack goes to the ERROR line on stderr', async () => {
    const failing = collectingLogSink();
    let internal: ModelServer | undefined;
    await jest.isolateModulesAsync(async () => {
      jest.doMock('../../model/src/predictor', () => ({
        loadPredictor: () => ({
          labels: ['a', 'b'],
          featureNames: ['x'],
          featureCount: 1,
          metadata: { metrics: { heldOutAccuracy: 1 } },
          predict: () => {
            throw new Error('secret internal detail');
          },
        }),
      }));
      // Required inside the isolated registry, after the mock: a static import would load the real predictor.
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded after jest.doMock, see above
      const { startModelServer: start }: typeof import('../../model/src/server') = require('../../model/src/server');
      internal = await start({ modelDir, port: 0, host: '127.0.0.1', logSink: failing });
    });
    try {
      const response = await fetch(`${internal!.url}/invocations`, { method: 'POST', headers: JSON_HEADERS, body: '[[1]]' });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(JSON.parse(text)).toEqual({ error: 'InternalError', message: 'internal error; the container log has the details' });
      expect(text).not.toContain('secret');
      const errorLine = failing.lines.find((line) => line.record.level === 'ERROR');
      expect(errorLine).toMatchObject({
        stream: 'stderr',
        record: { status: 500, error: 'InternalError', detail: 'secret internal detail' },
      });
      expect(errorLine?.record.stack).toMatch(/^Error: secret internal detail\n\s+at /);
    } finally {
      await internal?.close();
      jest.dontMock('../../model/src/predictor');
    }
  });
});

describe('model server: lifecycle', () => {
  it('refuses to start without a loadable model', async () => {
    const missing = `${makeTempDir()}/nope`;
    await expect(startModelServer({ modelDir: missing, port: 0, host: '127.0.0.1', logSink: collectingLogSink() })).rejects.toThrow(
      `model directory not found: ${missing}`,
    );
  });

  it('close() lets an open keep-alive connection go, frees the port, and can be called twice', async () => {
    const own = await startModelServer({ modelDir, port: 0, host: '127.0.0.1', logSink: collectingLogSink() });
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${own.url}/ping`, { agent }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    await Promise.all([own.close(), own.close()]);
    await expect(fetch(`${own.url}/ping`)).rejects.toThrow();
    agent.destroy();
  });
});
