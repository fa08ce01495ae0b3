/**
 * Drift scores from binned counts: the population stability index (PSI) and the
 * Kolmogorov-Smirnov distance (KS, the largest gap between two cumulative distributions).
 *
 * PSI = sum over bins of (actual - expected) * ln(actual / expected), on bin shares. The
 * usual reading: under 0.1 stable, 0.1 to 0.25 a moderate shift worth watching, over 0.25
 * a major shift. KS is the measure SageMaker Model Monitor uses for numeric drift, with a
 * default threshold of 0.1 ("Schema for Constraints (constraints.json file)",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-constraints.html:
 * "the maximum absolute difference between the cumulative distribution functions").
 * Here KS is taken at the bin edges, so it is a lower bound of the exact statistic.
 */

export const PSI_WATCH = 0.1;
export const PSI_DRIFT = 0.25;
export const KS_DRIFT = 0.1;
/** Fewer values than this in either distribution: no verdict (the scores are noise). */
export const MIN_SAMPLES = 30;
/** Share given to an empty bin, so ln() stays finite (a common PSI convention). */
const EMPTY_BIN_SHARE = 1e-4;

export type Verdict = 'stable' | 'watch' | 'drift' | 'too few samples';

export interface DriftScore {
  readonly psi: number;
  readonly ks: number;
  readonly verdict: Verdict;
  /** Values behind each side (the baseline's count when it is the training set). */
  readonly baselineCount: number;
  readonly currentCount: number;
}

export function shares(counts: readonly number[]): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => (total === 0 ? 0 : c / total));
}

export function psi(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new Error('psi: the two distributions have different bins');
  let sum = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = Math.max(expected[i], EMPTY_BIN_SHARE);
    const a = Math.max(actual[i], EMPTY_BIN_SHARE);
    sum += (a - e) * Math.log(a / e);
  }
  return sum;
}

export function ks(expected: readonly number[], actual: readonly number[]): number {
  if (expected.length !== actual.length) throw new Error('ks: the two distributions have different bins');
  let ce = 0;
  let ca = 0;
  let max = 0;
  for (let i = 0; i < expected.length; i++) {
    ce += expected[i];
    ca += actual[i];
    max = Math.max(max, Math.abs(ce - ca));
  }
  return max;
}

export function verdictOf(psiValue: number, ksValue: number, baselineCount: number, currentCount: number): Verdict {
  if (baselineCount < MIN_SAMPLES || currentCount < MIN_SAMPLES) return 'too few samples';
  if (psiValue > PSI_DRIFT || ksValue > KS_DRIFT) return 'drift';
  if (psiValue > PSI_WATCH) return 'watch';
  return 'stable';
}

/** Scores of `current` bin shares against `baseline` bin shares. */
export function driftScore(
  baseline: readonly number[],
  current: readonly number[],
  baselineCount: number,
  currentCount: number,
): DriftScore {
  const p = psi(baseline, current);
  const k = ks(baseline, current);
  return { psi: p, ks: k, verdict: verdictOf(p, k, baselineCount, currentCount), baselineCount, currentCount };
}

/** The worse of several verdicts (drift > watch > stable > too few samples). */
export function worst(verdicts: readonly Verdict[]): Verdict {
  for (const v of ['drift', 'watch', 'stable'] as const) if (verdicts.includes(v)) return v;
  return 'too few samples';
}
