/** The bench's statistics: hand-computed cases, no timing. */
import { formatSummary, latencySummary, pairedDifferences, quantile, steadyState, summarize } from '../../../tools/bench/stats';

describe('quantile (linear interpolation between closest ranks)', () => {
  it('interpolates between ranks and ignores input order', () => {
    expect(quantile([4, 1, 3, 2], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0.25)).toBe(1.75);
    expect(quantile([1, 2, 3, 4], 0.75)).toBe(3.25);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBe(46);
    expect(quantile([7], 0.99)).toBe(7);
  });

  it('has the extremes at 0 and 1, NaN for no samples, and refuses q outside 0..1', () => {
    expect(quantile([3, 9, 1], 0)).toBe(1);
    expect(quantile([3, 9, 1], 1)).toBe(9);
    expect(quantile([], 0.5)).toBeNaN();
    expect(() => quantile([1], 1.5)).toThrow('not within 0..1');
  });

  it("does not reorder the caller's array", () => {
    const samples = [3, 1, 2];
    quantile(samples, 0.5);
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('summaries', () => {
  it('median with its interquartile range and extremes', () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ n: 5, median: 3, p25: 2, p75: 4, min: 1, max: 5 });
    expect(summarize([]).n).toBe(0);
    expect(formatSummary(summarize([5, 1, 4, 2, 3]))).toBe('3.0 (2.0–4.0)');
    expect(formatSummary(summarize([]))).toBe('n/a');
  });

  it('latency percentiles and mean', () => {
    const samples = Array.from({ length: 100 }, (_, i) => i + 1);
    const l = latencySummary(samples);
    expect(l).toMatchObject({ n: 100, p50: 50.5, mean: 50.5 });
    expect(l.p90).toBeCloseTo(90.1, 10);
    expect(l.p99).toBeCloseTo(99.01, 10);
  });

  it('paired differences of interleaved runs (cold init minus the bare process of the same round)', () => {
    expect(pairedDifferences([120, 130, 110], [100, 95, 105])).toEqual([20, 35, 5]);
    expect(summarize(pairedDifferences([120, 130, 110], [100, 95, 105])).median).toBe(20);
    expect(() => pairedDifferences([1], [])).toThrow('differ in length');
  });
});

describe('steady state (first half of the measured batches against the second)', () => {
  it('splits each run in halves, leaving an odd middle batch out, and compares the medians', () => {
    const st = steadyState([
      [2, 2, 9, 1, 1],
      [2, 2, 1, 1],
    ]);
    expect(st.firstHalf).toMatchObject({ n: 4, median: 2 });
    expect(st.secondHalf).toMatchObject({ n: 4, median: 1 });
    expect(st.drift).toBe(0.5);
    expect(st.settled).toBe(false);
  });

  it('is settled when the second half is not lower by more than the tolerance (higher is noise, not the JIT)', () => {
    expect(steadyState([[1, 1, 0.95, 0.95]]).settled).toBe(true);
    expect(steadyState([[1, 1, 0.89, 0.89]]).settled).toBe(false);
    expect(steadyState([[1, 1, 0.89, 0.89]], 0.15).settled).toBe(true);
    expect(steadyState([[1, 1, 1.4, 1.4]]).settled).toBe(true);
  });

  it('is not settled with too few batches to tell', () => {
    const st = steadyState([[1]]);
    expect(st.drift).toBeNaN();
    expect(st.settled).toBe(false);
  });
});
