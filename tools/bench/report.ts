/**
 * The benchmark's results: their JSON shape (bench-results/latest.json, which the cost model
 * reads), the targets with PASS/MISS, and the printed table. Pure; tested in
 * test/bench/report.test.ts.
 */
import type { BenchOptions } from './args';
import type { ColdInitResult, HandlerCpuResult, LatencyLevel, TestSuiteTiming, TimedCommand } from './measures';
import { formatSummary, Summary } from './stats';

export const KB = 1024;

export interface BundleFigures {
  readonly bytes: number;
  readonly files: Readonly<Record<string, number>>;
}

export interface BenchResults {
  readonly version: 1;
  readonly date: string;
  readonly machine: { readonly node: string; readonly platform: string; readonly cpus: number; readonly cpuModel: string; readonly loadAvgStart: number[]; readonly loadAvgEnd: number[] };
  readonly git: { readonly commit: string; readonly dirty: boolean };
  readonly stage: string;
  readonly options: BenchOptions;
  readonly bundles: { readonly optimized: BundleFigures; readonly baseline: BundleFigures };
  readonly coldInit: ColdInitResult;
  readonly handlerCpu: {
    readonly optimized: HandlerCpuResult;
    readonly baseline: HandlerCpuResult;
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
  readonly tests?: TestSuiteTiming;
  /** Distinct EMF metric sets the handler emitted: `namespace|dimensions|metric`. */
  readonly emfMetrics: readonly string[];
  readonly targets: readonly TargetResult[];
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

type TargetInput = Pick<BenchResults, 'bundles' | 'coldInit' | 'handlerCpu' | 'latency'>;

/** The issue's four targets, each from the run's medians. */
export function evaluateTargets(r: TargetInput): TargetResult[] {
  const target = (id: string, label: string, value: number, comparison: '<' | '<=', threshold: number, unit: string): TargetResult => ({
    id,
    label,
    value,
    threshold,
    unit,
    comparison,
    pass: Number.isFinite(value) && (comparison === '<' ? value < threshold : value <= threshold),
  });
  const c1 = r.latency.find((l) => l.concurrency === 1);
  const added = c1 ? c1.targets.optimized.p50 - c1.targets.direct.p50 : NaN;
  return [
    target('bundleSize', 'prediction bundle, minified', r.bundles.optimized.bytes / KB, '<', 350, 'KB'),
    target('coldInitRatio', 'cold init vs baseline', r.coldInit.initMs.optimized.median / r.coldInit.initMs.baseline.median, '<=', 0.7, '×'),
    target('handlerCpu', 'handler CPU per warm request', r.handlerCpu.optimized.cpuMsPerRequest.median, '<', 1, 'ms'),
    target('addedP50', 'pipeline added p50 at concurrency 1', added, '<', 3, 'ms'),
  ];
}

const ratio = (a: number, b: number) => (b ? `${(a / b).toFixed(2)}×` : 'n/a');
const ms = (n: number, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ')).join('\n');
}

/** The printed report: figures with their spread, baseline and ratio side by side, then the targets. */
export function formatReport(r: BenchResults): string {
  const out: string[] = [];
  out.push(`bench ${r.date}  node ${r.machine.node}  ${r.machine.cpus} CPU (${r.machine.cpuModel})  load ${r.machine.loadAvgStart.map((l) => l.toFixed(2)).join(' ')} -> ${r.machine.loadAvgEnd.map((l) => l.toFixed(2)).join(' ')}  commit ${r.git.commit}${r.git.dirty ? '+dirty' : ''}`);
  out.push('median (p25–p75) unless stated; ratio = optimized / baseline');
  out.push('');
  const o = r.handlerCpu.optimized;
  const b = r.handlerCpu.baseline;
  out.push(
    table([
      ['measure', 'optimized', 'baseline', 'ratio'],
      ['bundle (bytes, handler file)', String(r.bundles.optimized.bytes), String(r.bundles.baseline.bytes), ratio(r.bundles.optimized.bytes, r.bundles.baseline.bytes)],
      [`cold init, ms (process − bare, ${r.coldInit.runs} runs)`, formatSummary(r.coldInit.initMs.optimized), formatSummary(r.coldInit.initMs.baseline), ratio(r.coldInit.initMs.optimized.median, r.coldInit.initMs.baseline.median)],
      ['  import in process, ms', formatSummary(r.coldInit.importMs.optimized), formatSummary(r.coldInit.importMs.baseline), ratio(r.coldInit.importMs.optimized.median, r.coldInit.importMs.baseline.median)],
      ['  bare node process, ms', formatSummary(r.coldInit.wallMs.bare), '', ''],
      ['first invocation CPU, ms', formatSummary(o.firstCpuMs), formatSummary(b.firstCpuMs), ratio(o.firstCpuMs.median, b.firstCpuMs.median)],
      [`handler CPU / warm request, ms (${o.requests} req)`, formatSummary(o.cpuMsPerRequest, 3), formatSummary(b.cpuMsPerRequest, 3), ratio(o.cpuMsPerRequest.median, b.cpuMsPerRequest.median)],
      ['  user / system, ms', `${formatSummary(o.userMsPerRequest, 3)} / ${o.systemMsPerRequest.median.toFixed(3)}`, `${formatSummary(b.userMsPerRequest, 3)} / ${b.systemMsPerRequest.median.toFixed(3)}`, ''],
      ...(r.handlerCpu.sdkFloor && r.handlerCpu.httpFloor
        ? [
            ['  floor: the two SDK calls alone, ms', formatSummary(r.handlerCpu.sdkFloor.cpuMsPerRequest, 3), '', ''],
            ['  floor: two plain HTTP calls, ms', formatSummary(r.handlerCpu.httpFloor.cpuMsPerRequest, 3), '', ''],
          ]
        : []),
      ['  wall / warm request, ms', formatSummary(o.wallMsPerRequest, 2), formatSummary(b.wallMsPerRequest, 2), ratio(o.wallMsPerRequest.median, b.wallMsPerRequest.median)],
      ['  waiting on network, ms', formatSummary(o.waitMsPerRequest, 2), formatSummary(b.waitMsPerRequest, 2), ''],
      ['log bytes / request', o.logBytesPerRequest.toFixed(0), b.logBytesPerRequest.toFixed(0), ratio(o.logBytesPerRequest, b.logBytesPerRequest)],
      ['Lambda duration at c=1, ms (platform.report)', formatSummary(r.lambdaDurationMs.optimized, 2), formatSummary(r.lambdaDurationMs.baseline, 2), ratio(r.lambdaDurationMs.optimized.median, r.lambdaDurationMs.baseline.median)],
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
  if (r.synth) out.push(`cdk synth, all stacks: ${r.synth.ok ? `${formatSummary({ ...r.synth.ms, p25: r.synth.ms.min, p75: r.synth.ms.max }, 0)} ms (median, min–max of ${r.synth.ms.n})` : `failed: ${r.synth.error}`}`);
  if (r.tests) {
    const t = r.tests;
    out.push(`test suite (jest): ${(t.wallMs / 1000).toFixed(1)} s, ${t.suites} suites, ${t.tests} tests, ${t.passed} passed, ${t.failed} failed${t.error ? ` (${t.error})` : ''}`);
    for (const name of t.failedTests ?? []) out.push(`  failed: ${name}`);
  }
  out.push('');
  for (const t of r.targets) {
    out.push(`${t.pass ? 'PASS' : 'MISS'}  ${t.label}: ${t.value.toFixed(t.unit === '×' ? 2 : 2)} ${t.unit} (target ${t.comparison} ${t.threshold} ${t.unit})`);
  }
  return out.join('\n');
}
