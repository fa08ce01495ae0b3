/** The bench's targets (PASS/MISS from the medians), its table, and its reading of jest's report and of `npm start`'s ready line. */
import { parseJestReport, parseReadyLine, StartTiming } from '../../../tools/bench/measures';
import {
  BenchResults,
  ColdInitResults,
  coldInitTarget,
  evaluateTargets,
  formatColdInitReport,
  formatReport,
  KB,
} from '../../../tools/bench/report';
import { DEFAULT_OPTIONS } from '../../../tools/bench/args';
import { latencySummary, steadyState, summarize } from '../../../tools/bench/stats';

const s = (...xs: number[]) => summarize(xs);
const level = (concurrency: number, direct: number[], optimized: number[], baseline: number[]) => ({
  concurrency,
  targets: Object.fromEntries(
    Object.entries({ direct, optimized, baseline }).map(([name, xs]) => [
      name,
      { ...latencySummary(xs), throughput: s(100), roundP50: s(latencySummary(xs).p50), errors: 0 },
    ]),
  ),
});
const cpu = (perRequest: number[], warmup = perRequest.map((x) => x * 2)) => ({
  requests: perRequest.length * 50,
  warmupRequests: 1000,
  cpuMsPerRequest: summarize(perRequest),
  warmupCpuMsPerRequest: summarize(warmup),
  steadyState: steadyState([perRequest]),
  userMsPerRequest: summarize(perRequest.map((x) => x * 0.9)),
  systemMsPerRequest: summarize(perRequest.map((x) => x * 0.1)),
  wallMsPerRequest: summarize(perRequest.map((x) => x * 3)),
  waitMsPerRequest: summarize(perRequest.map((x) => x * 2)),
  initCpuMs: s(40),
  firstCpuMs: s(30),
  firstWallMs: s(35),
  logBytesPerRequest: 900,
  sampleLines: [],
});

const start = (cold: number[], warm: number[]): StartTiming => ({
  cold: { ms: summarize(cold), runs: cold.map((wallMs) => ({ wallMs, reportedMs: wallMs - 900, cacheHit: false })) },
  warm: { ms: summarize(warm), runs: warm.map((wallMs) => ({ wallMs, reportedMs: wallMs - 900, cacheHit: true })) },
});

type Overrides = {
  bytes?: number;
  /** CPU of the import: what the cold-init target reads. */
  cpuInitOpt?: number[];
  cpuInitMin?: number[];
  cpuOpt?: number[];
  c1?: [number[], number[], number[]];
  start?: StartTiming;
  tests?: BenchResults['tests'];
};

function results(overrides: Overrides = {}): BenchResults {
  const partial = {
    bundles: {
      optimized: { bytes: overrides.bytes ?? 300 * KB, files: {} },
      baseline: { bytes: 140 * KB, files: {} },
      minimal: { bytes: 350 * KB, files: {} },
    },
    coldInit: {
      runs: 3,
      wallMs: { bare: s(50, 52, 54), optimized: s(100), baseline: s(200), minimal: s(150) },
      importMs: { bare: s(0), optimized: s(45), baseline: s(150), minimal: s(95) },
      importCpuMs: {
        bare: s(0),
        optimized: s(...(overrides.cpuInitOpt ?? [45, 55, 65])),
        baseline: s(200),
        minimal: s(...(overrides.cpuInitMin ?? [100, 110, 120])),
        sdkFloor: s(50),
      },
      initMs: { optimized: s(40, 50, 60), baseline: s(100, 110, 120), minimal: s(90, 100, 110), sdkFloor: s(60) },
      samples: {},
    },
    handlerCpu: {
      optimized: cpu(overrides.cpuOpt ?? [0.8, 0.9, 1.0]),
      baseline: cpu([1.2, 1.2]),
      minimal: cpu([0.7, 0.7]),
      sdkFloor: cpu([0.6, 0.6]),
      httpFloor: cpu([0.2, 0.2]),
    },
    latency: [
      level(
        1,
        ...(overrides.c1 ?? [
          [1, 1, 1],
          [3, 3.5, 4],
          [5, 5, 5],
        ]),
      ),
      level(4, [2], [8], [9]),
    ],
    start: overrides.start,
    tests: overrides.tests,
  };
  return {
    version: 2,
    date: '2026-01-01T00:00:00.000Z',
    machine: { node: 'v20', platform: 'linux x64', cpus: 2, cpuModel: 'test', loadAvgStart: [1, 1, 1], loadAvgEnd: [2, 2, 2] },
    git: { commit: 'abc1234', dirty: false },
    stage: 'dev',
    options: DEFAULT_OPTIONS,
    ...partial,
    lambdaDurationMs: { optimized: s(6), baseline: s(8) },
    logBytesPerInvocation: { handler: 900, platform: 330, container: 200 },
    emfMetrics: [],
    targets: evaluateTargets(partial),
  };
}

describe('targets', () => {
  it('the four of the handler from the medians: size < 350 KB, init CPU <= 0.7 x the minimal ESM handler, CPU < 1 ms, added p50 < 3 ms at concurrency 1', () => {
    const targets = evaluateTargets(results());
    expect(targets.map((t) => [t.id, t.pass])).toEqual([
      ['bundleSize', true],
      ['coldInitRatio', true],
      ['handlerCpu', true],
      ['addedP50', true],
    ]);
    // 55 / 110 (the import's CPU, against the minimal handler's, not the baseline's 200), and 3.5 - 1.
    expect(targets[1].value).toBeCloseTo(55 / 110, 10);
    expect(targets[1].label).toBe('cold init CPU vs the minimal ESM handler');
    expect(targets[3].value).toBe(2.5);
  });

  it("the cold-init ratio is the import's CPU against the minimal handler's: wall times and the baseline do not count", () => {
    // 75 ms is 0.375x the baseline's 200 and the wall times pass (0.5x), but 75 / 100 of the minimal's CPU misses.
    const r = results({ cpuInitOpt: [75], cpuInitMin: [100] });
    expect(r.coldInit.initMs.optimized.median / r.coldInit.initMs.minimal.median).toBe(0.5);
    expect(coldInitTarget(r.coldInit)).toMatchObject({ id: 'coldInitRatio', value: 0.75, pass: false, threshold: 0.7, unit: '×' });
  });

  it('the boundaries: exactly 350 KB and exactly 1 ms miss (strictly below), exactly 0.7 passes (at most)', () => {
    const edge = evaluateTargets(results({ bytes: 350 * KB, cpuInitOpt: [70], cpuInitMin: [100], cpuOpt: [1], c1: [[1], [4], [5]] }));
    expect(edge.map((t) => [t.id, t.pass])).toEqual([
      ['bundleSize', false],
      ['coldInitRatio', true],
      ['handlerCpu', false],
      ['addedP50', false],
    ]);
  });

  it('a missing concurrency-1 level or a missing minimal handler is a MISS, not a crash', () => {
    const r = results();
    const withoutC1 = evaluateTargets({ ...r, latency: r.latency.filter((l) => l.concurrency !== 1) });
    expect(withoutC1.find((t) => t.id === 'addedP50')).toMatchObject({ pass: false, value: NaN });
    const { minimal: _minimal, ...importCpuMs } = r.coldInit.importCpuMs;
    expect(evaluateTargets({ ...r, coldInit: { ...r.coldInit, importCpuMs } }).find((t) => t.id === 'coldInitRatio')).toMatchObject({
      pass: false,
      value: NaN,
    });
    // A file written before the CPU was measured.
    const { importCpuMs: _cpu, ...older } = r.coldInit;
    expect(coldInitTarget(older as typeof r.coldInit)).toMatchObject({ pass: false, value: NaN });
  });

  it('npm start ready within 3 s warm (the median), and the test suite within 180 s, when the run measured them', () => {
    const measured = evaluateTargets(
      results({ start: start([30_000, 34_000], [2_500, 3_000, 3_500]), tests: { ...jestTiming, wallMs: 180_000 } }),
    );
    expect(measured.slice(4).map((t) => [t.id, t.value, t.pass])).toEqual([
      ['warmStart', 3, true],
      ['testSuite', 180, true],
    ]);
    const slow = evaluateTargets(results({ start: start([30_000], [3_100]), tests: { ...jestTiming, wallMs: 181_000 } }));
    expect(slow.slice(4).map((t) => t.pass)).toEqual([false, false]);
    // Not measured (--skip-start, no --with-tests): no target, rather than a MISS.
    expect(evaluateTargets(results()).map((t) => t.id)).not.toContain('warmStart');
  });
});

const jestTiming = { wallMs: 0, suites: 1, tests: 1, passed: 1, failed: 0, pending: 0, slowest: [], failedTests: [] };

describe('the printed report', () => {
  it('puts optimized, baseline, minimal and the ratios side by side, and a PASS/MISS line per target', () => {
    const text = formatReport(results({ cpuOpt: [1.5] }));
    expect(text).toMatch(/bundle \(bytes, handler file\)\s+307200\s+143360\s+358400\s+2\.14×\s+0\.86×/);
    expect(text).toMatch(
      /cold init: CPU of the import, all threads, ms \(3 runs\)\s+55\.0 \(50\.0–60\.0\)\s+200\.0 \(200\.0–200\.0\)\s+110\.0 \(105\.0–115\.0\)\s+0\.28×\s+0\.50×/,
    );
    expect(text).toMatch(
      /wall: import in process, ms\s+45\.0 \(45\.0–45\.0\)\s+150\.0 \(150\.0–150\.0\)\s+95\.0 \(95\.0–95\.0\)\s+0\.30×\s+0\.47×/,
    );
    expect(text).toMatch(
      /wall: process − bare process, ms\s+50\.0 \(45\.0–55\.0\)\s+110\.0 \(105\.0–115\.0\)\s+100\.0 \(95\.0–105\.0\)\s+0\.45×\s+0\.50×/,
    );
    expect(text).toMatch(/the two SDK calls alone, our bundling: CPU, ms\s+50\.0/);
    expect(text).toMatch(
      /handler CPU \/ warm request, steady state, ms \(50 req\)\s+1\.500 \(1\.500–1\.500\)\s+1\.200 \(1\.200–1\.200\)\s+0\.700 \(0\.700–0\.700\)\s+1\.25×\s+2\.14×/,
    );
    expect(text).toMatch(/during the warm-up \(1000 req per run\), ms\s+3\.000/);
    expect(text).toMatch(/pipeline, optimized handler\s+1\s+3\.50/);
    expect(text).toContain('PASS  prediction bundle, minified: 300.00 KB (target < 350 KB)');
    expect(text).toContain('PASS  cold init CPU vs the minimal ESM handler: 0.50 × (target <= 0.7 ×)');
    expect(text).toContain('MISS  handler CPU per warm request, steady state: 1.50 ms (target < 1 ms)');
    // 3.5 - 1 = 2.5 added: 6 ms in the function, and 3.5 - 6 = -2.5 of hops (the figures are made up).
    expect(text).toContain(
      "added p50 at concurrency 1: 2.50 ms = the function's duration 6.00 ms (handler CPU 1.50 ms, of which the two SDK calls alone 0.60;",
    );
    expect(text).not.toContain('npm start');
  });

  it("prints npm start's cold and warm ready times with every run, and their target", () => {
    const text = formatReport(results({ start: start([30_000, 34_000], [2_000, 2_400, 2_600]) }));
    expect(text).toContain('npm start until ready, cold (empty start cache: synthesis and bundling): 32.0 s median of 2 (30.0, 34.0 s)');
    expect(text).toContain('npm start until ready, warm (unchanged sources, from the start cache): 2.4 s median of 3 (2.0, 2.4, 2.6 s)');
    expect(text).toContain('PASS  npm start ready, bundles built: 2.40 s (target <= 3 s)');
  });

  it('shows whether the CPU had settled, and says so when a handler was still getting faster', () => {
    const settled = formatReport(results({ cpuOpt: [1.0, 1.0, 1.01, 0.99] }));
    expect(settled).toMatch(/2nd half \/ 1st half of the measured requests\s+1\.00×/);
    expect(settled).not.toContain('still fell');
    const falling = formatReport(results({ cpuOpt: [2.0, 2.0, 1.0, 1.0] }));
    expect(falling).toMatch(/2nd half \/ 1st half of the measured requests\s+0\.50× \(still falling\)/);
    expect(falling).toContain('note: the CPU of optimized still fell between the halves of the measured requests: raise --cpu-warmup');
  });
});

describe('the report of a --cold-init-only run', () => {
  it('has the machine line, the bundle and cold-init rows with their ratios, and the cold-init target alone', () => {
    const full = results();
    const only: ColdInitResults = {
      version: 2,
      date: full.date,
      machine: full.machine,
      git: { commit: 'abc1234', dirty: true },
      stage: 'dev',
      options: { ...DEFAULT_OPTIONS, coldInitOnly: true },
      bundles: full.bundles,
      coldInit: full.coldInit,
      targets: [coldInitTarget(full.coldInit)],
    };
    const text = formatColdInitReport(only);
    expect(text).toContain('load 1.00 1.00 1.00 -> 2.00 2.00 2.00  commit abc1234+dirty');
    expect(text).toMatch(/bundle \(bytes, handler file\)\s+307200\s+143360\s+358400\s+2\.14×\s+0\.86×/);
    expect(text).toMatch(/cold init: CPU of the import, all threads, ms \(3 runs\)\s+55\.0/);
    expect(text).toMatch(/wall: process − bare process, ms\s+50\.0/);
    expect(text.trim().split('\n').at(-1)).toBe('PASS  cold init CPU vs the minimal ESM handler: 0.50 × (target <= 0.7 ×)');
    expect(text).not.toContain('handler CPU');
    expect(text).not.toContain('end to end');
  });
});

describe("npm start's ready line", () => {
  it('reads its own figure and whether the stacks came from the start cache', () => {
    expect(parseReadyLine("\nLocal pipeline 'dev' is up in 1.9 s (stacks and bundles unchanged: from the start cache).\n")).toEqual({
      reportedMs: 1900,
      cacheHit: true,
    });
    expect(
      parseReadyLine("Local pipeline 'dev' is up in 44.5 s (stacks synthesized and bundled in 39.5 s, cached for the next start)."),
    ).toEqual({ reportedMs: 44500, cacheHit: false });
    expect(parseReadyLine('Starting the local inference pipeline...')).toBeUndefined();
  });
});

describe("jest's --json report", () => {
  const report = {
    numTotalTestSuites: 2,
    numTotalTests: 7,
    numPassedTests: 6,
    numFailedTests: 1,
    numPendingTests: 0,
    testResults: [
      {
        name: `${process.cwd()}/test/a.test.ts`,
        status: 'failed',
        perfStats: { start: 1000, end: 4000 },
        assertionResults: [
          { fullName: 'a works', status: 'passed' },
          { fullName: 'a is fast', status: 'failed' },
        ],
      },
      { name: `${process.cwd()}/test/b.test.ts`, status: 'passed', startTime: 1000, endTime: 1500 },
      { name: `${process.cwd()}/test/c.test.ts`, status: 'failed', startTime: 1000, endTime: 1000, message: 'Cannot find module' },
    ],
  };

  it('counts, the slowest files by their own duration, and every failed test by name', () => {
    expect(parseJestReport(report, 5000)).toEqual({
      wallMs: 5000,
      suites: 2,
      tests: 7,
      passed: 6,
      failed: 1,
      pending: 0,
      slowest: [
        { file: 'test/a.test.ts', ms: 3000 },
        { file: 'test/b.test.ts', ms: 500 },
        { file: 'test/c.test.ts', ms: 0 },
      ],
      failedTests: ['test/a.test.ts › a is fast', 'test/c.test.ts › (suite failed to run)'],
    });
  });

  it('refuses something that is not a jest report', () => {
    expect(() => parseJestReport({ hello: 1 }, 0)).toThrow('not a jest --json report');
    expect(() => parseJestReport(null, 0)).toThrow('not a jest --json report');
  });
});
