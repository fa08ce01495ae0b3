/**
 * The benchmark's measurements. Each spawns what it measures in processes of its own, so
 * the measuring process (which also hosts the local servers) does not share their event
 * loop or CPU accounting.
 */
import { execFile, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { LatencySummary, latencySummary, pairedDifferences, SteadyState, steadyState, Summary, summarize } from './stats';
import { REPO_ROOT } from '../cli';

const PROBES = path.join(__dirname, 'probes');

// ---------------------------------------------------------------------------- cold init

export interface ColdInitTarget {
  readonly name: string;
  /** The bundle to import, or undefined for the bare process. */
  readonly file?: string;
}

export interface ColdInitResult {
  readonly runs: number;
  /** Wall time of each process, spawn to exit, in ms; by target name (`bare` included). */
  readonly wallMs: Readonly<Record<string, Summary>>;
  /** The probe's own clock around the import, in ms. */
  readonly importMs: Readonly<Record<string, Summary>>;
  /**
   * CPU time (user + system, every thread of the process) of the import, in ms: the figure
   * the cold-init target compares (report.ts, coldInitTarget says why).
   */
  readonly importCpuMs: Readonly<Record<string, Summary>>;
  /** Wall time minus the bare process of the same round, in ms. */
  readonly initMs: Readonly<Record<string, Summary>>;
  readonly samples: Readonly<Record<string, { wallMs: number[]; importMs: number[]; importCpuMs: number[] }>>;
}

/**
 * `runs` rounds; in each, a bare process and one per bundle, in an order rotated per round
 * so that a slow moment of a shared machine does not always fall on the same target.
 */
export function measureColdInit(targets: readonly ColdInitTarget[], env: NodeJS.ProcessEnv, runs: number): ColdInitResult {
  const all: ColdInitTarget[] = [{ name: 'bare' }, ...targets];
  const samples: Record<string, { wallMs: number[]; importMs: number[]; importCpuMs: number[] }> = Object.fromEntries(
    all.map((t) => [t.name, { wallMs: [], importMs: [], importCpuMs: [] }]),
  );
  for (let round = 0; round < runs; round++) {
    const order = all.map((_, i) => all[(i + round) % all.length]);
    for (const target of order) {
      const started = process.hrtime.bigint();
      const res = spawnSync(process.execPath, [path.join(PROBES, 'import-probe.mjs'), ...(target.file ? [target.file] : [])], {
        env,
        encoding: 'utf8',
        cwd: os.tmpdir(),
      });
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      if (res.status !== 0) throw new Error(`cold-init probe of ${target.name} failed (${res.status}): ${res.stderr}`);
      const probe = JSON.parse(res.stdout) as { importMs: number; importCpuMs: number };
      samples[target.name].wallMs.push(wallMs);
      samples[target.name].importMs.push(probe.importMs);
      samples[target.name].importCpuMs.push(probe.importCpuMs);
    }
  }
  const map = <T>(f: (name: string) => T) => Object.fromEntries(all.map((t) => [t.name, f(t.name)]));
  return {
    runs,
    wallMs: map((n) => summarize(samples[n].wallMs)),
    importMs: map((n) => summarize(samples[n].importMs)),
    importCpuMs: map((n) => summarize(samples[n].importCpuMs)),
    initMs: Object.fromEntries(targets.map((t) => [t.name, summarize(pairedDifferences(samples[t.name].wallMs, samples.bare.wallMs))])),
    samples,
  };
}

// ---------------------------------------------------------------------------- handler CPU

export interface CpuProbeOutput {
  readonly init: { cpuMs: number; wallMs: number };
  readonly first: { cpuMs: number; wallMs: number };
  readonly warmupBatches: { n: number; cpuMs: number; userMs: number; systemMs: number; wallMs: number }[];
  readonly batches: { n: number; cpuMs: number; userMs: number; systemMs: number; wallMs: number }[];
  readonly logBytesPerRequest: number;
  readonly oneRequest: { bytes: number; lines: string[] };
  readonly failures: number;
  readonly statuses: Record<string, number>;
}

export interface HandlerCpuResult {
  /** Measured warm requests, over all runs (after each run's warm-up). */
  readonly requests: number;
  /** Unmeasured warm-up requests each run made first. */
  readonly warmupRequests: number;
  /** CPU (user + system) per warm request at steady state, per batch, in ms. */
  readonly cpuMsPerRequest: Summary;
  /** CPU per request during the warm-up, per batch: what a short run measures before the JIT settles. */
  readonly warmupCpuMsPerRequest: Summary;
  /** The measured batches' first half against their second: still falling would mean too short a warm-up. */
  readonly steadyState: SteadyState;
  /** Of which user (JavaScript, the runtime) and system (the kernel side of socket syscalls). */
  readonly userMsPerRequest: Summary;
  readonly systemMsPerRequest: Summary;
  /** Wall time per warm request, per batch, in ms. */
  readonly wallMsPerRequest: Summary;
  /** Wall minus CPU: waiting on the endpoint and the table (and on the machine). */
  readonly waitMsPerRequest: Summary;
  /** Import of the bundle in that process, and the first invocation after it. */
  readonly initCpuMs: Summary;
  readonly firstCpuMs: Summary;
  readonly firstWallMs: Summary;
  readonly logBytesPerRequest: number;
  /** The lines of one warm request, as the handler wrote them. */
  readonly sampleLines: string[];
}

export function runCpuProbe(
  file: string,
  env: NodeJS.ProcessEnv,
  body: string,
  requests: number,
  warmup: number,
  batch = 50,
): Promise<CpuProbeOutput> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(PROBES, 'cpu-probe.mjs'), file, String(warmup), String(requests), String(batch), body],
      { env, cwd: os.tmpdir(), maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`handler CPU probe of ${file} failed: ${error.message}\n${stderr}`));
        const out = JSON.parse(stdout.trim().split('\n').pop()!) as CpuProbeOutput;
        if (out.failures > 0)
          return reject(
            new Error(`handler CPU probe of ${file}: ${out.failures} requests did not answer 200 (${JSON.stringify(out.statuses)})`),
          );
        resolve(out);
      },
    );
  });
}

export function summarizeCpuRuns(runs: readonly CpuProbeOutput[]): HandlerCpuResult {
  const batches = runs.flatMap((r) => r.batches);
  const perRequest = (f: (b: CpuProbeOutput['batches'][number]) => number) => batches.map((b) => f(b) / b.n);
  const requests = batches.reduce((a, b) => a + b.n, 0);
  const cpuOf = (b: CpuProbeOutput['batches'][number]) => b.cpuMs / b.n;
  return {
    requests,
    warmupRequests: runs[0]?.warmupBatches.reduce((a, b) => a + b.n, 0) ?? 0,
    cpuMsPerRequest: summarize(perRequest((b) => b.cpuMs)),
    warmupCpuMsPerRequest: summarize(runs.flatMap((r) => r.warmupBatches.map(cpuOf))),
    steadyState: steadyState(runs.map((r) => r.batches.map(cpuOf))),
    userMsPerRequest: summarize(perRequest((b) => b.userMs)),
    systemMsPerRequest: summarize(perRequest((b) => b.systemMs)),
    wallMsPerRequest: summarize(perRequest((b) => b.wallMs)),
    waitMsPerRequest: summarize(perRequest((b) => Math.max(0, b.wallMs - b.cpuMs))),
    initCpuMs: summarize(runs.map((r) => r.init.cpuMs)),
    firstCpuMs: summarize(runs.map((r) => r.first.cpuMs)),
    firstWallMs: summarize(runs.map((r) => r.first.wallMs)),
    logBytesPerRequest: runs.reduce((a, r) => a + r.logBytesPerRequest, 0) / runs.length,
    sampleLines: runs[0]?.oneRequest.lines ?? [],
  };
}

// ---------------------------------------------------------------------------- latency

export interface LoadTarget {
  readonly name: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
}

export interface LoadRun {
  readonly latencies: number[];
  readonly statuses: Record<string, number>;
  readonly elapsedMs: number;
}

export interface LatencyLevel {
  readonly concurrency: number;
  readonly targets: Readonly<
    Record<
      string,
      LatencySummary & {
        /** Requests per second over the recorded requests, per round. */
        readonly throughput: Summary;
        /** p50 of each round: the spread of the p50 across rounds. */
        readonly roundP50: Summary;
        readonly errors: number;
      }
    >
  >;
}

export function runLoad(target: LoadTarget, body: string, concurrency: number, requests: number, warmup: number): Promise<LoadRun> {
  const spec = JSON.stringify({
    url: target.url,
    body,
    headers: { 'content-type': 'application/json', ...target.headers },
    concurrency,
    requests,
    warmup,
  });
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [path.join(PROBES, 'load-client.mjs'), spec],
      { maxBuffer: 64 * 1024 * 1024, timeout: 10 * 60_000 },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`load client against ${target.name} failed: ${error.message}\n${stderr}`));
        resolve(JSON.parse(stdout) as LoadRun);
      },
    );
  });
}

/** Rounds of every target at one concurrency, the targets' order rotated per round. */
export async function measureLatency(
  targets: readonly LoadTarget[],
  body: string,
  concurrency: number,
  requests: number,
  rounds: number,
): Promise<LatencyLevel> {
  const runs: Record<string, LoadRun[]> = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const target = targets[(i + round) % targets.length];
      runs[target.name].push(await runLoad(target, body, concurrency, requests, Math.max(20, concurrency * 4)));
    }
  }
  return {
    concurrency,
    targets: Object.fromEntries(
      targets.map((t) => {
        const rs = runs[t.name];
        const errors = rs.reduce(
          (a, r) =>
            a +
            Object.entries(r.statuses)
              .filter(([s]) => s !== '200')
              .reduce((x, [, n]) => x + n, 0),
          0,
        );
        return [
          t.name,
          {
            ...latencySummary(rs.flatMap((r) => r.latencies)),
            throughput: summarize(rs.map((r) => (r.latencies.length / r.elapsedMs) * 1000)),
            roundP50: summarize(rs.map((r) => latencySummary(r.latencies).p50)),
            errors,
          },
        ];
      }),
    ),
  };
}

// ---------------------------------------------------------------------------- cdk synth, tests

export interface TimedCommand {
  readonly ms: Summary;
  readonly ok: boolean;
  readonly error?: string;
}

function timeCommand(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): { ms: number; status: number | null; output: string } {
  const started = process.hrtime.bigint();
  const res = spawnSync(command, args, { cwd: REPO_ROOT, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, status: res.status, output: `${res.stdout ?? ''}${res.stderr ?? ''}` };
}

/** `cdk synth` of every stack of the default stage (cdk.json), bundling included, into a scratch folder. */
export function measureSynth(runs: number): TimedCommand {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
    try {
      const res = timeCommand(path.join(REPO_ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--output', out]);
      if (res.status !== 0) return { ms: summarize(times), ok: false, error: lastLines(res.output) };
      times.push(res.ms);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  }
  return { ms: summarize(times), ok: true };
}

export interface TestSuiteTiming {
  readonly wallMs: number;
  readonly suites: number;
  readonly tests: number;
  readonly passed: number;
  readonly failed: number;
  readonly pending: number;
  /** The slowest test files, by their own duration. */
  readonly slowest: { file: string; ms: number }[];
  /** `file › test` of every failed test. */
  readonly failedTests: string[];
  readonly error?: string;
}

/** jest's `--json` report, reduced to what the bench prints. */
export function parseJestReport(report: unknown, wallMs: number): TestSuiteTiming {
  const r = report as {
    numTotalTestSuites?: number;
    numTotalTests?: number;
    numPassedTests?: number;
    numFailedTests?: number;
    numPendingTests?: number;
    testResults?: {
      name?: string;
      startTime?: number;
      endTime?: number;
      perfStats?: { start?: number; end?: number };
      assertionResults?: { fullName?: string; status?: string }[];
      status?: string;
      message?: string;
    }[];
  };
  if (typeof r !== 'object' || r === null || typeof r.numTotalTests !== 'number') throw new Error('not a jest --json report');
  const files = (r.testResults ?? []).map((t) => {
    const start = t.perfStats?.start ?? t.startTime ?? 0;
    const end = t.perfStats?.end ?? t.endTime ?? start;
    return { file: path.relative(REPO_ROOT, t.name ?? '?'), ms: end - start };
  });
  return {
    wallMs,
    suites: r.numTotalTestSuites ?? files.length,
    tests: r.numTotalTests,
    passed: r.numPassedTests ?? 0,
    failed: r.numFailedTests ?? 0,
    pending: r.numPendingTests ?? 0,
    slowest: [...files].sort((a, b) => b.ms - a.ms).slice(0, 5),
    failedTests: (r.testResults ?? []).flatMap((t) => {
      const file = path.relative(REPO_ROOT, t.name ?? '?');
      const failed = (t.assertionResults ?? []).filter((a) => a.status === 'failed').map((a) => `${file} › ${a.fullName}`);
      // A suite that fails to run has no failed assertions, only a message.
      return failed.length > 0 || t.status !== 'failed' ? failed : [`${file} › (suite failed to run)`];
    }),
  };
}

/** `npm test`: every jest suite, the type check and lint suites included, timed from outside. */
export function measureTests(): TestSuiteTiming {
  const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'bench-jest-')), 'report.json');
  const res = timeCommand(path.join(REPO_ROOT, 'node_modules', '.bin', 'jest'), ['--silent', '--json', `--outputFile=${out}`]);
  if (!fs.existsSync(out)) throw new Error(`jest wrote no report: ${lastLines(res.output)}`);
  const timing = parseJestReport(JSON.parse(fs.readFileSync(out, 'utf8')), res.ms);
  fs.rmSync(path.dirname(out), { recursive: true, force: true });
  return res.status === 0 ? timing : { ...timing, error: `jest exited with ${res.status}` };
}

// ---------------------------------------------------------------------------- npm start

export interface StartRun {
  /** Spawn of `npm start` to its "is up" line, in ms. */
  readonly wallMs: number;
  /** The figure `npm start` printed itself (from its own start, after Node, npm and tsx loaded), in ms. */
  readonly reportedMs: number;
  /** Whether the stacks and bundles came from the start cache. */
  readonly cacheHit: boolean;
}

export interface StartTiming {
  /** Empty start cache: synthesis and bundling included. */
  readonly cold: { readonly ms: Summary; readonly runs: readonly StartRun[] };
  /** The cache the cold run filled, sources unchanged: what `npm start` costs day to day. */
  readonly warm: { readonly ms: Summary; readonly runs: readonly StartRun[] };
}

/** The "is up" line of `npm start` (tools/local/main.ts): its own figure and where the stacks came from. */
export function parseReadyLine(output: string): { reportedMs: number; cacheHit: boolean } | undefined {
  const m = / is up in (\d+(?:\.\d+)?) s( \(stacks and bundles unchanged: from the start cache\))?/.exec(output);
  return m ? { reportedMs: Number(m[1]) * 1000, cacheHit: m[2] !== undefined } : undefined;
}

/**
 * `npm start` as a developer runs it, timed until it prints that it is up, then stopped with
 * SIGTERM (its clean shutdown). Each cold run gets an empty start cache of its own
 * (LOCAL_ASSEMBLY_CACHE) and a fresh data folder; the warm runs reuse the last cold run's.
 */
export async function measureStart(
  coldRuns: number,
  warmRuns: number,
  progress: (m: string) => void = () => undefined,
): Promise<StartTiming> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-start-'));
  const cold: StartRun[] = [];
  const warm: StartRun[] = [];
  try {
    let cacheDir = '';
    let dataDir = '';
    for (let i = 0; i < coldRuns; i++) {
      cacheDir = path.join(scratch, `cache-${i}`);
      dataDir = path.join(scratch, `data-${i}`);
      const run = await timeStart(cacheDir, dataDir);
      if (run.cacheHit) throw new Error('npm start: an empty start cache served a hit');
      progress(`npm start, cold ${i + 1}/${coldRuns}: ${(run.wallMs / 1000).toFixed(1)} s`);
      cold.push(run);
    }
    for (let i = 0; i < warmRuns; i++) {
      const run = await timeStart(cacheDir, dataDir);
      if (!run.cacheHit) throw new Error('npm start: unchanged sources missed the start cache');
      progress(`npm start, warm ${i + 1}/${warmRuns}: ${(run.wallMs / 1000).toFixed(1)} s`);
      warm.push(run);
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return { cold: { ms: summarize(cold.map((r) => r.wallMs)), runs: cold }, warm: { ms: summarize(warm.map((r) => r.wallMs)), runs: warm } };
}

function timeStart(cacheDir: string, dataDir: string, timeoutMs = 10 * 60_000): Promise<StartRun> {
  // Under `npm run bench`, npm names its own CLI; otherwise the one on PATH.
  const npm = process.env.npm_execpath?.endsWith('.js')
    ? { command: process.execPath, args: [process.env.npm_execpath] }
    : { command: 'npm', args: [] };
  const args = [...npm.args, 'start', '--silent', '--', '--port', '0', '--quiet', '--data-dir', dataDir];
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    // Its own process group, so that the stop reaches npm, tsx and the pipeline's process alike.
    const child = spawn(npm.command, args, {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LOCAL_ASSEMBLY_CACHE: cacheDir },
    });
    let output = '';
    let ready: StartRun | undefined;
    const stop = () => {
      try {
        process.kill(-child.pid!, 'SIGTERM');
      } catch {
        // Already gone.
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`npm start was not ready within ${timeoutMs / 1000} s:\n${lastLines(output)}`));
    }, timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      const line = ready ? undefined : parseReadyLine(output);
      if (line) {
        ready = { wallMs: Number(process.hrtime.bigint() - started) / 1e6, ...line };
        stop();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ready) resolve(ready);
      else reject(new Error(`npm start exited (${code}) before it was ready:\n${lastLines(output)}`));
    });
  });
}

function lastLines(text: string, n = 15): string {
  return text.trim().split('\n').slice(-n).join('\n');
}
