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
const bundleScript = (JSON.parse(fs.readFileSync(path.join(MODEL_ROOT, 'package.json'), 'utf8')) as { scripts: { bundle: string } }).scripts
  .bundle;

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

/** The official Node image, pinned by tag and by the digest of its multi-platform index. */
const PINNED_NODE = /^node:22\.\d+\.\d+-[a-z]+-slim@sha256:[a-f0-9]{64}$/;
const froms = instructions.filter((line) => line.startsWith('FROM '));
const runtimeStart = instructions.findIndex((line) => line.startsWith('FROM ') && line.endsWith(' AS runtime'));
const runtime = instructions.slice(runtimeStart);

describe('Dockerfile', () => {
  it('pins every base image by digest; the build stage runs on the build platform, the runtime on the target', () => {
    // Tags move; a digest names exactly one image, so a rebuild is reproducible.
    const images = froms.map((line) => line.split(/\s+/).find((word, i) => i > 0 && !word.startsWith('--')));
    expect(images).toHaveLength(2);
    for (const image of images) expect(image).toMatch(PINNED_NODE);
    expect(new Set(images).size).toBe(1);
    // esbuild segfaults under QEMU when an arm64 host builds for linux/amd64
    // (https://github.com/evanw/esbuild/issues/3153); Docker's multi-platform guide pins the
    // build stage with --platform=$BUILDPLATFORM (https://docs.docker.com/build/building/multi-platform/).
    expect(froms[0]).toMatch(/^FROM --platform=\$\{?BUILDPLATFORM\}? \S+ AS build$/);
    // The runtime stage must follow the target (SageMaker's x86 or Graviton instances).
    expect(froms[1]).not.toMatch(/--platform/);
    expect(froms[1]).toMatch(/ AS runtime$/);
  });

  it('builds with npm ci and the bundle script, and ships only the platform-independent bundle', () => {
    expect(instructions).toEqual(
      expect.arrayContaining(['COPY package.json package-lock.json ./', 'RUN npm ci --no-audit --no-fund', 'RUN npm run bundle']),
    );
    expect(bundleScript).toContain('--outfile=dist/serve.js');
    // Only JavaScript crosses from the build platform: no node_modules with native binaries.
    expect(runtime.filter((line) => line.startsWith('COPY'))).toEqual(['COPY --from=build /build/dist/serve.js /opt/program/serve.js']);
  });

  it('runs serve.js as root on port 8080 with an exec-form entry point, serve as the default argument', () => {
    // "SageMaker AI expects all containers to run with root users. Create your container so
    // that it uses only root users." and the exec form "enables it to receive signals like
    // SIGTERM" (Custom Inference Code with Hosting Services,
    // https://docs.aws.amazon.com/sagemaker/latest/dg/your-algorithms-inference-code.html).
    expect(instructions.filter((line) => line.startsWith('USER ') && !/^USER (root|0)(:0)?$/.test(line))).toEqual([]);
    expect(runtime).toEqual(expect.arrayContaining(['EXPOSE 8080', 'ENTRYPOINT ["node", "/opt/program/serve.js"]', 'CMD ["serve"]']));
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
      expect(container.stdout.map((line) => line.message)).toEqual(expect.arrayContaining(['request', 'shutting down', 'stopped']));
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
