/**
 * Summaries of repeated measurements: the median with its spread, percentiles of latency
 * samples. Pure functions, tested in test/bench/stats.test.ts.
 */

export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p25: number;
  readonly p75: number;
  readonly min: number;
  readonly max: number;
}

/**
 * The q-quantile (0..1) by linear interpolation between closest ranks (the "R-7" rule of
 * spreadsheets and numpy's default): for [1, 2, 3, 4], q = 0.5 gives 2.5.
 */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return NaN;
  if (q < 0 || q > 1) throw new Error(`quantile ${q} is not within 0..1`);
  const sorted = [...samples].sort((a, b) => a - b);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) return { n: 0, median: NaN, p25: NaN, p75: NaN, min: NaN, max: NaN };
  return {
    n: samples.length,
    median: quantile(samples, 0.5),
    p25: quantile(samples, 0.25),
    p75: quantile(samples, 0.75),
    min: Math.min(...samples),
    max: Math.max(...samples),
  };
}

export interface LatencySummary {
  readonly n: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly mean: number;
}

export function latencySummary(samples: readonly number[]): LatencySummary {
  const n = samples.length;
  return {
    n,
    p50: quantile(samples, 0.5),
    p90: quantile(samples, 0.9),
    p99: quantile(samples, 0.99),
    mean: n ? samples.reduce((a, b) => a + b, 0) / n : NaN,
  };
}

/** Element-wise differences a[i] - b[i] of paired runs (the same round of an interleaved loop). */
export function pairedDifferences(a: readonly number[], b: readonly number[]): number[] {
  if (a.length !== b.length) throw new Error(`paired samples differ in length: ${a.length} and ${b.length}`);
  return a.map((x, i) => x - b[i]);
}

/** `12.3 (11.8–13.0)`: the median and the interquartile range, with the given decimals. */
export function formatSummary(s: Summary, decimals = 1): string {
  if (s.n === 0) return 'n/a';
  return `${s.median.toFixed(decimals)} (${s.p25.toFixed(decimals)}–${s.p75.toFixed(decimals)})`;
}

export interface SteadyState {
  /** Per-batch figures of the first half of each run's measured batches, and of the second half. */
  readonly firstHalf: Summary;
  readonly secondHalf: Summary;
  /** secondHalf.median / firstHalf.median: about 1 once the JIT has settled, below 1 while the figures still fall. */
  readonly drift: number;
  /** The second half is not lower than the first by more than the tolerance. */
  readonly settled: boolean;
}

/**
 * Whether repeated per-batch measurements (one array per run, in time order) have reached a
 * steady state: each run's batches are split in halves (an odd middle batch is left out) and
 * the halves' medians compared. Still falling means the warm-up was too short.
 */
export function steadyState(runs: readonly (readonly number[])[], tolerance = 0.1): SteadyState {
  const first: number[] = [];
  const second: number[] = [];
  for (const batches of runs) {
    const half = Math.floor(batches.length / 2);
    first.push(...batches.slice(0, half));
    second.push(...batches.slice(batches.length - half));
  }
  const firstHalf = summarize(first);
  const secondHalf = summarize(second);
  const drift = secondHalf.median / firstHalf.median;
  return { firstHalf, secondHalf, drift, settled: Number.isFinite(drift) && drift >= 1 - tolerance };
}
