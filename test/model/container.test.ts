/**
 * The container without Docker: the Dockerfile's build and entry point are checked as
 * text, then the very bundle its build stage makes (the same `npm run bundle` command, run
 * with the repository's esbuild) is started the way SageMaker starts the image.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { extractCommittedModel, KNOWN_SAMPLES, makeTempDir, MODEL_ROOT, removeTempDirs } from '../harness/model-fixtures';

const ESBUILD = path.resolve(MODEL_ROOT, '..', 'node_modules', '.bin', 'esbuild');
const dockerfile = fs.readFileSync(path.join(MODEL_ROOT, 'Dockerfile'), 'utf8');
const instructions = dockerfile
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'));
const bundleScript = (JSON.parse(fs.readFileSync(path.join(MODEL_ROOT, 'package.json'), 'utf8')) as { scripts: { bundle: string } })
  .scripts.bundle;

let bundle: string;
let modelDir: string;

beforeAll(async () => {
  modelDir = await extractCommittedModel();
  // Outside the repository, so the bundle cannot lean on any node_modules: the runtime
  // stage has none either.
  bundle = path.join(makeTempDir('model-bundle-'), 'serve.js');
  const [command, ...args] = bundleScript.split(/\s+/);
  expect(command).toBe('esbuild');
  const outArgs = args.map((arg) => (arg.startsWith('--outfile=') ? `--outfile=${bundle}` : arg));
  execFileSync(ESBUILD, [...outArgs, '--log-level=warning'], { cwd: MODEL_ROOT, stdio: 'pipe' });
});
afterAll(removeTempDirs);

describe('Dockerfile', () => {
  it('builds in a pinned node:22 stage with npm ci and the bundle script, and ships only the bundle', () => {
    const froms = instructions.filter((line) => line.startsWith('FROM '));
    expect(froms).toEqual(['FROM ${NODE_IMAGE} AS build', 'FROM ${NODE_IMAGE} AS runtime']);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=public\.ecr\.aws\/docker\/library\/node:22\.\d+\.\d+-[a-z]+-slim$/m);
    expect(instructions).toEqual(
      expect.arrayContaining(['COPY package.json package-lock.json ./', 'RUN npm ci --no-audit --no-fund', 'RUN npm run bundle']),
    );
    expect(bundleScript).toContain('--outfile=dist/serve.js');
    const runtime = instructions.slice(instructions.indexOf('FROM ${NODE_IMAGE} AS runtime'));
    expect(runtime.filter((line) => line.startsWith('COPY'))).toEqual([
      'COPY --from=build /build/dist/serve.js /opt/program/serve.js',
    ]);
  });

  it('runs serve.js as the unprivileged node user on port 8080, with serve as the default argument', () => {
    const runtime = instructions.slice(instructions.indexOf('FROM ${NODE_IMAGE} AS runtime'));
    expect(runtime).toEqual(
      expect.arrayContaining(['USER node', 'EXPOSE 8080', 'ENTRYPOINT ["node", "/opt/program/serve.js"]', 'CMD ["serve"]']),
    );
    expect(runtime.indexOf('USER node')).toBeLessThan(runtime.findIndex((line) => line.startsWith('ENTRYPOINT')));
  });

  it('keeps the model and everything but sources and manifests out of the build context', () => {
    const ignore = fs
      .readFileSync(path.join(MODEL_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(ignore).toEqual(['*', '!package.json', '!package-lock.json', '!src/']);
  });
});

interface Container {
  readonly child: ChildProcess;
  readonly stdout: Record<string, unknown>[];
  readonly stderr: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  /** Resolves with the first line on `stream` that `match` accepts. */
  waitFor(stream: 'stdout' | 'stderr', match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

/** Starts the bundle like `docker run IMAGE ...args`, with only the given environment. */
function runContainer(args: string[], env: Record<string, string>): Container {
  const child = spawn(process.execPath, [bundle, ...args], { cwd: path.dirname(bundle), env, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines = { stdout: [] as Record<string, unknown>[], stderr: [] as Record<string, unknown>[] };
  const waiters: Array<() => void> = [];
  for (const stream of ['stdout', 'stderr'] as const) {
    let pending = '';
    child[stream]!.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const complete = pending.split('\n');
      pending = complete.pop() ?? '';
      // Every line must be JSON with a level: CloudWatch metric filters depend on it.
      for (const line of complete) lines[stream].push(JSON.parse(line) as Record<string, unknown>);
      waiters.forEach((wake) => wake());
    });
  }
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    ...lines,
    exited,
    waitFor: (stream, match) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines[stream].find(match);
          if (found) resolve(found);
        };
        waiters.push(check);
        check();
        void exited.then((code) => reject(new Error(`container exited (${code}) before the expected ${stream} line`)));
      }),
  };
}

describe('the bundle, started like the container', () => {
  it('serves /ping and /invocations from SM_MODEL_DIR on SAGEMAKER_BIND_TO_PORT, and stops cleanly on SIGTERM', async () => {
    const container = runContainer(['serve'], { SM_MODEL_DIR: modelDir, SAGEMAKER_BIND_TO_PORT: '0', MODEL_VERSION: '9.9.9' });
    try {
      const started = await container.waitFor('stdout', (line) => line.message === 'model server listening');
      expect(started).toMatchObject({ level: 'INFO', modelDir, host: '0.0.0.0', modelVersion: '9.9.9' });
      const url = `http://127.0.0.1:${started.port as number}`;

      expect((await fetch(`${url}/ping`)).status).toBe(200);
      const response = await fetch(`${url}/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'text/csv', Accept: 'application/json' },
        body: KNOWN_SAMPLES.map((sample) => sample.features.join(',')).join('\n'),
      });
      expect(response.status).toBe(200);
      const body = (await response.json()) as { predictions: { label: string }[]; modelVersion: string };
      expect(body.predictions.map((p) => p.label)).toEqual(KNOWN_SAMPLES.map((sample) => sample.label));
      expect(body.modelVersion).toBe('9.9.9');

      const refused = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: '1,2,3' });
      expect(refused.status).toBe(400);
      await expect(container.waitFor('stderr', (line) => line.level === 'ERROR')).resolves.toMatchObject({
        status: 400,
        error: 'ValidationError',
        message: 'line 1 has 3 values; expected 4',
      });

      container.child.kill('SIGTERM');
      expect(await container.exited).toBe(0);
      expect(container.stdout.map((line) => line.message)).toEqual(
        expect.arrayContaining(['request', 'shutting down', 'stopped']),
      );
      expect(container.stdout.every((line) => line.level === 'INFO')).toBe(true);
    } finally {
      container.child.kill('SIGKILL');
    }
  });

  it.each([
    [['train'], {}, 2, 'unknown argument "train"; this container only accepts "serve"'],
    [['serve', '--verbose'], {}, 2, 'unknown argument "--verbose"; this container only accepts "serve"'],
    [['serve'], { SAGEMAKER_BIND_TO_PORT: 'http' }, 2, 'SAGEMAKER_BIND_TO_PORT must be a port number from 0 to 65535, got "http"'],
    [['serve'], { SM_MODEL_DIR: '/nonexistent/model' }, 1, 'model server failed to start: model directory not found: /nonexistent/model'],
  ])('refuses %j with %j: exit %i and an ERROR line', async (args, env, code, message) => {
    const container = runContainer(args, { SAGEMAKER_BIND_TO_PORT: '0', ...env });
    expect(await container.exited).toBe(code);
    expect(container.stderr).toEqual([expect.objectContaining({ level: 'ERROR', message })]);
  });
});
