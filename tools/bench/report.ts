/**
 * The benchmark's results: their JSON shape (bench-results/latest.json, which the cost model
 * reads), the targets with PASS/MISS, and the printed table. Pure; tested in
 * test/bench/report.test.ts.
 */
import type { BenchOptions } from './args';
import type { ColdInitResult, HandlerCpuResult, LatencyLevel, StartTiming, TestSuiteTiming, TimedCommand } from './measures';
import { formatSummary, Summary } from './stats';

export const KB = 1024;

export interface BundleFigures {
  readonly bytes: number;
  readonly files: Readonly<Record<string, number>>;
}

/** What every run writes: where and when it ran, the bundles, and the cold init. */
export interface ColdInitResults {
  /** 2: the minimal ESM handler, steady-state CPU and `npm start` timing were added. */
  readonly version: 2;
  readonly date: string;
  readonly machine: {
    readonly node: string;
    readonly platform: string;
    readonly cpus: number;
    readonly cpuModel: string;
    readonly loadAvgStart: number[];
    readonly loadAvgEnd: number[];
  };
  readonly git: { readonly commit: string; readonly dirty: boolean };
  readonly stage: string;
  readonly options: BenchOptions;
  readonly bundles: { readonly optimized: BundleFigures; readonly baseline: BundleFigures; readonly minimal: BundleFigures };
  readonly coldInit: ColdInitResult;
  readonly targets: readonly TargetResult[];
}

/** A full run (bench-results/latest.json). */
export interface BenchResults extends ColdInitResults {
  readonly handlerCpu: {
    readonly optimized: HandlerCpuResult;
    readonly baseline: HandlerCpuResult;
    /** The minimal ESM handler: the two SDK calls alone, ESM, minified, tree-shaken (bench/bundles.ts). */
    readonly minimal: HandlerCpuResult;
    /** The handler's two SDK calls alone (bench/floor/sdk-calls.ts), and two plain HTTP calls (bench/floor/http-calls.ts). */
    readonly sdkFloor?: HandlerCpuResult;
    readonly httpFloor?: HandlerCpuResult;
  };
  /** Duration Lambda would bill, from the local function's platform.report at concurrency 1 (ms). */
  readonly lambdaDurationMs: { readonly optimized: Summary; readonly baseline: Summary };
  /** Log bytes per prediction: the handler's lines, Lambda's platform lines, the model container's line. */
  readonly logBytesPerInvocation: { readonly handler: number; readonly platform: number; readonly container: number };
  readonly latency: readonly LatencyLevel[];
  readonly synth?: TimedCommand;
  /** `npm start` until ready: with an empty start cache, and with unchanged sources. */
  readonly start?: StartTiming;
  readonly tests?: TestSuiteTiming;
  /** Distinct EMF metric sets the handler emitted: `namespace|dimensions|metric`. */
  readonly emfMetrics: readonly string[];
}

export interface TargetResult {
  readonly id: string;
  readonly label: string;
  readonly value: number;
  readonly threshold: number;
  readonly unit: string;
  /** `<` strictly below the threshold, `<=` at most. */
  readonly comparison: '<' | '<=';
  readonly pass: boolean;
}

type TargetInput = Pick<BenchResults, 'bundles' | 'coldInit' | 'handlerCpu' | 'latency'> & Partial<Pick<BenchResults, 'start' | 'tests'>>;

function target(id: string, label: string, value: number, comparison: '<' | '<=', threshold: number, unit: string): TargetResult {
  return {
    id,
    label,
    value,
    threshold,
    unit,
    comparison,
    pass: Number.isFinite(value) && (comparison === '<' ? value < threshold : value <= threshold),
  };
}

/** Longest `npm start` with unchanged sources (bundles built), and the longest full test suite. */
export const WARM_START_TARGET_S = 3;
export const TEST_SUITE_TARGET_S = 180;

/**
 * The targets, each from the run's medians: the four of the handler, then `npm start`'s warm
 * ready time and the test suite's time when the run measured them.
 */
export function evaluateTargets(r: TargetInput): TargetResult[] {
  const c1 = r.latency.find((l) => l.concurrency === 1);
  const added = c1 ? c1.targets.optimized.p50 - c1.targets.direct.p50 : NaN;
  return [
    target('bundleSize', 'prediction bundle, minified', r.bundles.optimized.bytes / KB, '<', 350, 'KB'),
    coldInitTarget(r.coldInit),
    target('handlerCpu', 'handler CPU per warm request, steady state', r.handlerCpu.optimized.cpuMsPerRequest.median, '<', 1, 'ms'),
    target('addedP50', 'pipeline added p50 at concurrency 1', added, '<', 3, 'ms'),
    ...(r.start
      ? [target('warmStart', 'npm start ready, bundles built', r.start.warm.ms.median / 1000, '<=', WARM_START_TARGET_S, 's')]
      : []),
    ...(r.tests ? [target('testSuite', 'full test suite (jest)', r.tests.wallMs / 1000, '<=', TEST_SUITE_TARGET_S, 's')] : []),
  ];
}

/**
 * The prediction function's cold init over the minimal ESM handler's, from the medians of
 * the CPU time of the import (every thread of the process). Lambda allocates CPU in
 * proportion to memory, one vCPU at 1,769 MB (https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html):
 * at the functions' memory the threads of the process share at most one vCPU, so an init
 * takes about its CPU time over that share, whereas on an idle multi-core machine the
 * compiler's and collector's threads run beside the main thread for free. And unlike the
 * wall times, the CPU time does not grow with the load of a shared machine: a slow moment
 * adds the same waiting to both handlers and draws their wall-time ratio toward 1.
 */
export function coldInitTarget(c: ColdInitResult): TargetResult {
  const cpu = c.importCpuMs ?? {};
  return target('coldInitRatio', 'cold init CPU vs the minimal ESM handler', cpu.optimized?.median / cpu.minimal?.median, '<=', 0.7, '×');
}

const ratio = (a: number, b: number) => (b && Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : '');
const settledText = (c: HandlerCpuResult) =>
  Number.isFinite(c.steadyState.drift) ? `${c.steadyState.drift.toFixed(2)}×${c.steadyState.settled ? '' : ' (still falling)'}` : 'n/a';
const ms = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

type Handler = 'optimized' | 'baseline' | 'minimal';
const HEADINGS = ['measure', 'optimized', 'baseline', 'minimal ESM', '÷ baseline', '÷ minimal'];

/** A row of the three handlers' figures and optimized's ratios to the other two. */
function row(label: string, f: (x: Handler) => number, show: (x: Handler) => string): string[] {
  return [
    label,
    show('optimized'),
    show('baseline'),
    show('minimal'),
    ratio(f('optimized'), f('baseline')),
    ratio(f('optimized'), f('minimal')),
  ];
}

/** A row without ratios. */
function plain(label: string, show: (x: Handler) => string): string[] {
  return [label, show('optimized'), show('baseline'), show('minimal'), '', ''];
}

/** Machine, load and commit, and how to read the table. */
function heading(r: ColdInitResults): string[] {
  return [
    `bench ${r.date}  node ${r.machine.node}  ${r.machine.cpus} CPU (${r.machine.cpuModel})  load ${r.machine.loadAvgStart.map((l) => l.toFixed(2)).join(' ')} -> ${r.machine.loadAvgEnd.map((l) => l.toFixed(2)).join(' ')}  commit ${r.git.commit}${r.git.dirty ? '+dirty' : ''}`,
    'median (p25–p75) unless stated; ÷ baseline and ÷ minimal are optimized / that handler',
    'baseline: the same job, NodejsFunction defaults (CommonJS, SDK from the runtime); minimal: the two SDK calls alone, ESM, minified, tree-shaken',
    '',
  ];
}

/** The bundle sizes and the cold-init rows of the table: the target's figure first, then the wall times. */
function coldInitRows(r: ColdInitResults): string[][] {
  const { initMs: init, importMs: imp, importCpuMs: cpu = {} } = r.coldInit;
  const summary = (s: Summary | undefined) => (s ? formatSummary(s) : 'n/a');
  const byHandler = (label: string, figures: Readonly<Record<string, Summary>>) =>
    row(
      label,
      (x) => figures[x]?.median ?? NaN,
      (x) => summary(figures[x]),
    );
  return [
    row(
      'bundle (bytes, handler file)',
      (x) => r.bundles[x].bytes,
      (x) => String(r.bundles[x].bytes),
    ),
    byHandler(`cold init: CPU of the import, all threads, ms (${r.coldInit.runs} runs)`, cpu),
    byHandler('  wall: import in process, ms', imp),
    byHandler('  wall: process − bare process, ms', init),
    ['  bare node process, ms', formatSummary(r.coldInit.wallMs.bare), '', '', '', ''],
    ...(cpu.sdkFloor ? [['  the two SDK calls alone, our bundling: CPU, ms', formatSummary(cpu.sdkFloor), '', '', '', '']] : []),
  ];
}

function targetLine(t: TargetResult): string {
  return `${t.pass ? 'PASS' : 'MISS'}  ${t.label}: ${t.value.toFixed(2)} ${t.unit} (target ${t.comparison} ${t.threshold} ${t.unit})`;
}

/** What a --cold-init-only run prints: the bundles, the cold init, and its target. */
export function formatColdInitReport(r: ColdInitResults): string {
  return [...heading(r), table([HEADINGS, ...coldInitRows(r)]), '', ...r.targets.map(targetLine)].join('\n');
}

/** The printed report: figures with their spread, the comparison handlers and the ratios side by side, then the targets. */
export function formatReport(r: BenchResults): string {
  const out: string[] = heading(r);
  const o = r.handlerCpu.optimized;
  const b = r.handlerCpu.baseline;
  const m = r.handlerCpu.minimal;
  const cpuOf = { optimized: o, baseline: b, minimal: m };
  out.push(
    table([
      HEADINGS,
      ...coldInitRows(r),
      row(
        'first invocation CPU, ms',
        (x) => cpuOf[x].firstCpuMs.median,
        (x) => formatSummary(cpuOf[x].firstCpuMs),
      ),
      row(
        `handler CPU / warm request, steady state, ms (${o.requests} req)`,
        (x) => cpuOf[x].cpuMsPerRequest.median,
        (x) => formatSummary(cpuOf[x].cpuMsPerRequest, 3),
      ),
      plain(
        '  user / system, ms',
        (x) => `${formatSummary(cpuOf[x].userMsPerRequest, 3)} / ${cpuOf[x].systemMsPerRequest.median.toFixed(3)}`,
      ),
      row(
        `  during the warm-up (${o.warmupRequests} req per run), ms`,
        (x) => cpuOf[x].warmupCpuMsPerRequest.median,
        (x) => formatSummary(cpuOf[x].warmupCpuMsPerRequest, 3),
      ),
      plain('  2nd half / 1st half of the measured requests', (x) => settledText(cpuOf[x])),
      ...(r.handlerCpu.sdkFloor && r.handlerCpu.httpFloor
        ? [
            ['  floor: the two SDK calls alone, our bundling, ms', formatSummary(r.handlerCpu.sdkFloor.cpuMsPerRequest, 3), '', '', '', ''],
            ['  floor: two plain HTTP calls, ms', formatSummary(r.handlerCpu.httpFloor.cpuMsPerRequest, 3), '', '', '', ''],
          ]
        : []),
      row(
        '  wall / warm request, ms',
        (x) => cpuOf[x].wallMsPerRequest.median,
        (x) => formatSummary(cpuOf[x].wallMsPerRequest, 2),
      ),
      plain('  waiting on network, ms', (x) => formatSummary(cpuOf[x].waitMsPerRequest, 2)),
      row(
        'log bytes / request',
        (x) => cpuOf[x].logBytesPerRequest,
        (x) => cpuOf[x].logBytesPerRequest.toFixed(0),
      ),
      [
        'Lambda duration at c=1, ms (platform.report)',
        formatSummary(r.lambdaDurationMs.optimized, 2),
        formatSummary(r.lambdaDurationMs.baseline, 2),
        '',
        ratio(r.lambdaDurationMs.optimized.median, r.lambdaDurationMs.baseline.median),
        '',
      ],
    ]),
  );
  out.push('');
  const rows = [['end to end', 'conc', 'p50 ms', 'p90 ms', 'p99 ms', 'req/s', 'p50 per round', 'added p50 ms', 'p50 / direct']];
  for (const level of r.latency) {
    const direct = level.targets.direct;
    for (const [name, t] of Object.entries(level.targets)) {
      rows.push([
        name === 'direct' ? 'model server direct' : `pipeline, ${name} handler`,
        String(level.concurrency),
        ms(t.p50),
        ms(t.p90),
        ms(t.p99),
        t.throughput.median.toFixed(0),
        `${ms(t.roundP50.min)}–${ms(t.roundP50.max)}`,
        name === 'direct' ? '' : ms(t.p50 - direct.p50),
        name === 'direct' ? '' : ratio(t.p50, direct.p50),
      ]);
    }
  }
  out.push(table(rows));
  const c1 = r.latency.find((l) => l.concurrency === 1);
  if (c1) {
    const added = c1.targets.optimized.p50 - c1.targets.direct.p50;
    const duration = r.lambdaDurationMs.optimized.median;
    const floor = r.handlerCpu.sdkFloor ? `, of which the two SDK calls alone ${ms(r.handlerCpu.sdkFloor.cpuMsPerRequest.median)}` : '';
    out.push(
      `added p50 at concurrency 1: ${ms(added)} ms = the function's duration ${ms(duration)} ms (handler CPU ${ms(o.cpuMsPerRequest.median)} ms${floor}; the rest waits on the local SageMaker route, the model and dynalite) + API and worker hops ${ms(c1.targets.optimized.p50 - duration)} ms − the model's own ${ms(c1.targets.direct.p50)} ms`,
    );
  }
  out.push('');
  if (r.start) {
    const runs = (rs: readonly { wallMs: number }[]) => rs.map((x) => (x.wallMs / 1000).toFixed(1)).join(', ');
    const { cold, warm } = r.start;
    out.push(
      `npm start until ready, cold (empty start cache: synthesis and bundling): ${(cold.ms.median / 1000).toFixed(1)} s median of ${cold.ms.n} (${runs(cold.runs)} s)`,
    );
    out.push(
      `npm start until ready, warm (unchanged sources, from the start cache): ${(warm.ms.median / 1000).toFixed(1)} s median of ${warm.ms.n} (${runs(warm.runs)} s)`,
    );
  }
  if (r.synth)
    out.push(
      `cdk synth, all stacks: ${r.synth.ok ? `${formatSummary({ ...r.synth.ms, p25: r.synth.ms.min, p75: r.synth.ms.max }, 0)} ms (median, min–max of ${r.synth.ms.n})` : `failed: ${r.synth.error}`}`,
    );
  if (r.tests) {
    const t = r.tests;
    out.push(
      `test suite (jest): ${(t.wallMs / 1000).toFixed(1)} s, ${t.suites} suites, ${t.tests} tests, ${t.passed} passed, ${t.failed} failed${t.error ? ` (${t.error})` : ''}`,
    );
    for (const name of t.failedTests ?? []) out.push(`  failed: ${name}`);
  }
  out.push('');
  const unsettled = (['optimized', 'baseline', 'minimal'] as const).filter(
    (x) => Number.isFinite(cpuOf[x].steadyState.drift) && !cpuOf[x].steadyState.settled,
  );
  if (unsettled.length)
    out.push(`note: the CPU of ${unsettled.join(', ')} still fell between the halves of the measured requests: raise --cpu-warmup`);
  out.push(...r.targets.map(targetLine));
  return out.join('\n');
}
