/** The bench's targets (PASS/MISS from the medians), its table, and its reading of jest's report. */
import { parseJestReport } from '../../../tools/bench/measures';
import { BenchResults, evaluateTargets, formatReport, KB } from '../../../tools/bench/report';
import { DEFAULT_OPTIONS } from '../../../tools/bench/args';
import { latencySummary, summarize } from '../../../tools/bench/stats';

const s = (...xs: number[]) => summarize(xs);
const level = (concurrency: number, direct: number[], optimized: number[], baseline: number[]) => ({
  concurrency,
  targets: Object.fromEntries(
    Object.entries({ direct, optimized, baseline }).map(([name, xs]) => [name, { ...latencySummary(xs), throughput: s(100), roundP50: s(latencySummary(xs).p50), errors: 0 }]),
  ),
});
const cpu = (perRequest: number[]) => ({
  requests: perRequest.length * 25,
  cpuMsPerRequest: summarize(perRequest),
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

function results(overrides: { bytes?: number; initOpt?: number[]; initBase?: number[]; cpuOpt?: number[]; c1?: [number[], number[], number[]] } = {}): BenchResults {
  const partial = {
    bundles: { optimized: { bytes: overrides.bytes ?? 300 * KB, files: {} }, baseline: { bytes: 140 * KB, files: {} } },
    coldInit: {
      runs: 3,
      wallMs: { bare: s(50, 52, 54), optimized: s(100), baseline: s(200) },
      importMs: { bare: s(0), optimized: s(45), baseline: s(150) },
      initMs: { optimized: s(...(overrides.initOpt ?? [40, 50, 60])), baseline: s(...(overrides.initBase ?? [100, 110, 120])) },
      samples: {},
    },
    handlerCpu: { optimized: cpu(overrides.cpuOpt ?? [0.8, 0.9, 1.0]), baseline: cpu([1.2]) },
    latency: [level(1, ...(overrides.c1 ?? [[1, 1, 1], [3, 3.5, 4], [5, 5, 5]])), level(4, [2], [8], [9])],
  };
  return {
    version: 1,
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
  it('all four from the medians: size < 350 KB, init <= 0.7 x baseline, CPU < 1 ms, added p50 < 3 ms at concurrency 1', () => {
    const targets = evaluateTargets(results());
    expect(targets.map((t) => [t.id, t.pass])).toEqual([
      ['bundleSize', true],
      ['coldInitRatio', true],
      ['handlerCpu', true],
      ['addedP50', true],
    ]);
    // 50 / 110, and 3.5 - 1.
    expect(targets[1].value).toBeCloseTo(50 / 110, 10);
    expect(targets[3].value).toBe(2.5);
  });

  it('the boundaries: exactly 350 KB and exactly 1 ms miss (strictly below), exactly 0.7 passes (at most)', () => {
    const edge = evaluateTargets(results({ bytes: 350 * KB, initOpt: [70], initBase: [100], cpuOpt: [1], c1: [[1], [4], [5]] }));
    expect(edge.map((t) => [t.id, t.pass])).toEqual([
      ['bundleSize', false],
      ['coldInitRatio', true],
      ['handlerCpu', false],
      ['addedP50', false],
    ]);
  });

  it('a missing concurrency-1 level is a MISS, not a crash', () => {
    const r = results();
    const withoutC1 = evaluateTargets({ ...r, latency: r.latency.filter((l) => l.concurrency !== 1) });
    expect(withoutC1.find((t) => t.id === 'addedP50')).toMatchObject({ pass: false, value: NaN });
  });
});

describe('the printed report', () => {
  it('puts optimized, baseline and their ratio side by side, and a PASS/MISS line per target', () => {
    const text = formatReport(results({ cpuOpt: [1.5] }));
    expect(text).toMatch(/bundle \(bytes, handler file\)\s+307200\s+143360\s+2\.14×/);
    expect(text).toMatch(/cold init, ms \(process − bare, 3 runs\)\s+50\.0 \(45\.0–55\.0\)\s+110\.0 \(105\.0–115\.0\)\s+0\.45×/);
    expect(text).toMatch(/pipeline, optimized handler\s+1\s+3\.50/);
    expect(text).toContain('PASS  prediction bundle, minified: 300.00 KB (target < 350 KB)');
    expect(text).toContain('MISS  handler CPU per warm request: 1.50 ms (target < 1 ms)');
    // 3.5 - 1 = 2.5 added: 6 ms in the function, and 3.5 - 6 = -2.5 of hops (the figures are made up).
    expect(text).toContain("added p50 at concurrency 1: 2.50 ms = the function's duration 6.00 ms (handler CPU 1.50 ms;");
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
