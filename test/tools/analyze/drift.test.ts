/**
 * The drift arithmetic and the query files' parameters: PSI and KS on known distributions,
 * the thresholds and verdicts, the bins the histogram query takes, and the literals that
 * replace `{{...}}` (never raw text).
 */
import { binsOf, padCounts } from '../../../tools/analyze/analysis';
import { driftScore, ks, psi, shares, verdictOf, worst } from '../../../tools/analyze/drift';
import { fillIn, QUERY_NAMES, querySql, renderQuery, splitStatements, viewStatements } from '../../../tools/analyze/sql-files';
import { binOf, computeTrainingStats, quantile } from '../../../model/src/training-stats';

describe('drift scores', () => {
  it('are zero for identical distributions and grow with the shift', () => {
    const base = [0.25, 0.25, 0.25, 0.25];
    expect(psi(base, base)).toBe(0);
    expect(ks(base, base)).toBe(0);
    // PSI by hand: (0.4-0.25)ln(0.4/0.25) + (0.1-0.25)ln(0.1/0.25) twice.
    const moved = [0.4, 0.1, 0.4, 0.1];
    expect(psi(base, moved)).toBeCloseTo(2 * (0.15 * Math.log(1.6) + -0.15 * Math.log(0.4)), 12);
    expect(ks(base, moved)).toBeCloseTo(0.15, 12);
    expect(ks([1, 0, 0], [0, 0, 1])).toBe(1);
  });

  it('keep an empty bin finite', () => {
    expect(Number.isFinite(psi([0.5, 0.5, 0], [0.4, 0.4, 0.2]))).toBe(true);
  });

  it('refuse distributions over different bins', () => {
    expect(() => psi([1], [0.5, 0.5])).toThrow('psi: the two distributions have different bins');
    expect(() => ks([1], [0.5, 0.5])).toThrow('ks: the two distributions have different bins');
  });

  it.each([
    [0.05, 0.05, 100, 100, 'stable'],
    [0.15, 0.05, 100, 100, 'watch'],
    [0.3, 0.05, 100, 100, 'drift'],
    [0.05, 0.11, 100, 100, 'drift'],
    [0.9, 0.9, 100, 29, 'too few samples'],
  ] as const)('PSI %d, KS %d over %d and %d values: %s', (p, k, a, b, verdict) => {
    expect(verdictOf(p, k, a, b)).toBe(verdict);
  });

  it('rank verdicts', () => {
    expect(worst(['stable', 'drift', 'watch'])).toBe('drift');
    expect(worst(['too few samples', 'stable'])).toBe('stable');
    expect(worst([])).toBe('too few samples');
    expect(shares([1, 3])).toEqual([0.25, 0.75]);
    expect(driftScore([0.5, 0.5], [0.5, 0.5], 50, 50)).toEqual({ psi: 0, ks: 0, verdict: 'stable', baselineCount: 50, currentCount: 50 });
  });
});

describe('training statistics', () => {
  it('bin every value into exactly one (lower, upper] bin', () => {
    const stats = computeTrainingStats(
      ['x'],
      Array.from({ length: 100 }, (_, i) => [i]),
      Array.from({ length: 100 }, (_, i) => (i < 30 ? 'a' : 'b')),
    );
    const f = stats.features[0];
    expect(f.binEdges).toHaveLength(9);
    expect(f.binProportions.every((p) => p === 0.1)).toBe(true);
    expect(binOf(f.binEdges, -5)).toBe(0);
    expect(binOf(f.binEdges, f.binEdges[0])).toBe(0);
    expect(binOf(f.binEdges, 1000)).toBe(9);
    expect(stats.labelProportions).toEqual({ a: 0.3, b: 0.7 });
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(() => computeTrainingStats(['x'], [[1]], ['a'])).toThrow('training statistics need at least two rows');
  });

  it('merge the edges of tied values', () => {
    const f = computeTrainingStats(['x'], [...Array(90).fill([1]), ...Array(10).fill([2])], Array(100).fill('a')).features[0];
    // Eight deciles are 1 (one edge); the ninth interpolates to 1.1.
    expect(f.binEdges).toEqual([1, 1.1]);
    expect(f.binProportions).toEqual([0.9, 0, 0.1]);
  });
});

describe('the query files', () => {
  const params = { versions: ['1.0.0'], from: '2024-05-01T00:00:00.000Z', to: '2024-05-02T00:00:00.000Z' };

  it('fill every placeholder with a literal', () => {
    for (const name of QUERY_NAMES) {
      const sql = renderQuery(name, { ...params, bins: binsOf([[1, 2]]) });
      expect(sql).not.toMatch(/\{\{/);
      expect(splitStatements(sql)).toHaveLength(1);
    }
    expect(renderQuery('histogram', { ...params, bins: binsOf([[1.5]]) })).toContain(
      '(1, 0, CAST(NULL AS DOUBLE), CAST(1.5 AS DOUBLE)), (1, 1, CAST(1.5 AS DOUBLE), CAST(NULL AS DOUBLE))',
    );
    expect(renderQuery('histogram', params)).toContain('(-1, 0, CAST(NULL AS DOUBLE), CAST(NULL AS DOUBLE))');
    expect(querySql('requests')).toContain('WHERE model_version IN ({{versions}})');
  });

  it.each([
    [{ ...params, versions: ["1.0.0' OR '1'='1"] }, /model versions must be/],
    [{ ...params, versions: [] }, /model versions must be/],
    [{ ...params, from: "2024-05-01' --" }, /from must be an ISO-8601 UTC time/],
    [{ ...params, to: '2024-05-02' }, /to must be an ISO-8601 UTC time/],
  ])('refuse values that are not what they claim (%#)', (p, message) => {
    expect(() => fillIn('SELECT {{versions}} {{from}} {{to}}', p)).toThrow(message);
  });

  it('refuse an unknown placeholder and a non-finite bin', () => {
    expect(() => fillIn('SELECT {{nope}}', params)).toThrow('unknown query parameter {{nope}}');
    expect(() => fillIn('{{bins}}', { ...params, bins: [{ featureIndex: 1, bin: 0, upper: Infinity }] })).toThrow('not a finite number');
  });

  it('create the same three views on both engines, over one export_items relation', () => {
    const names = (engine: 'duckdb' | 'athena') => viewStatements(engine).map((s) => /VIEW (\w+)/.exec(s)![1]);
    expect(names('duckdb')).toEqual(['inference_records', 'inference_features', 'inference_predictions']);
    expect(names('athena')).toEqual(names('duckdb'));
    expect(viewStatements('athena')[0]).toBe(viewStatements('duckdb')[0]);
  });

  it('pad histogram counts to the bins', () => {
    expect(padCounts([3], [1, 2])).toEqual([3, 0, 0]);
    expect(padCounts(undefined, [1])).toEqual([0, 0]);
  });
});
