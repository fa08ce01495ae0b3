import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { resolveContextConfig } from '../../tools/cli/cdk-context';
import { LocalAssembly, synthesizeLocalAssembly } from '../../tools/local/local-assembly';
import { LocalPipeline, LocalPipelineOptions, startLocalPipeline } from '../../tools/local/local-pipeline';
import { LOCAL_USER_NAME, LocalIdentity } from '../../tools/local/local-credentials';
import { atNodeStackDepth } from './stack-depth';

/** Stage throttling out of the way: the tests measure the pipeline, not the limiter. */
export const UNTHROTTLED = { 'api.throttleRateLimit': '10000', 'api.throttleBurstLimit': '10000' };

/** Synthesizes (and bundles) once per context; every pipeline a test file starts reuses it. */
export function synthesizeOnce(context: Record<string, unknown>): LocalAssembly {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-assembly-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  return atNodeStackDepth(() => synthesizeLocalAssembly(resolveContextConfig(context), dir));
}

export interface LogCapture {
  readonly lines: Array<{ source: string; line: string; json?: any }>;
  onLogLine(source: string, line: string): void;
  /** Parsed JSON lines of one source that match the predicate. */
  find(source: string, predicate: (json: any) => boolean): any[];
}

export function captureLogs(): LogCapture {
  const lines: LogCapture['lines'] = [];
  return {
    lines,
    onLogLine(source, line) {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        json = undefined;
      }
      lines.push({ source, line, json });
    },
    find(source, predicate) {
      return lines.filter((l) => l.source === source && l.json && predicate(l.json)).map((l) => l.json);
    },
  };
}

/**
 * The caller's key in tests: never the machine's own AWS credentials. Tests that are not
 * about authentication send unsigned requests through the documented switch (allowUnsigned),
 * which takes them as this key's owner.
 */
export const TEST_CREDENTIALS: LocalIdentity = {
  accessKeyId: 'AKIATESTLOCALCALLER0',
  secretAccessKey: 'test-caller-secret-0123456789abcdefghij',
  source: 'given',
  userName: LOCAL_USER_NAME,
};

export async function startPipeline(assembly: LocalAssembly, options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  return startLocalPipeline({ inMemory: true, assembly, allowUnsigned: true, credentials: TEST_CREDENTIALS, ...options });
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

export async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as any };
}

export type FaultMode = 'ok' | 'error-500' | 'reject-400' | 'slow' | 'delay-300';

/**
 * A SageMaker-compatible model server whose behaviour a test switches: a real HTTP server
 * (not a mock) standing in for a misbehaving model container.
 */
export async function startFaultyModelServer() {
  let mode: FaultMode = 'ok';
  let invocations = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/ping') return void res.writeHead(200).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      invocations++;
      const rows = (JSON.parse(Buffer.concat(chunks).toString() || '{}').instances ?? []) as number[][];
      const ok = () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ predictions: rows.map(() => ({ label: 'setosa', probabilities: { setosa: 1, versicolor: 0, virginica: 0 } })) }),
        );
      };
      if (mode === 'ok') return ok();
      if (mode === 'delay-300') return void setTimeout(ok, 300);
      if (mode === 'error-500')
        return void res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"InternalError","message":"model crashed"}');
      if (mode === 'reject-400')
        return void res
          .writeHead(400, { 'content-type': 'application/json' })
          .end('{"error":"BadInput","message":"feature 2 out of range"}');
      // slow: never answers in time; the handler's SDK timeout must fire first.
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode(next: FaultMode) {
      mode = next;
    },
    get invocations() {
      return invocations;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
