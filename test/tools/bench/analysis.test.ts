/** The analysis bench measure on small sizes: every record counted, the parts timed, growth computed. */
import { formatAnalysis, measureAnalysis } from '../../../tools/bench/analysis';

it('times the load and the queries of each size and the growth between sizes', async () => {
  const lines: string[] = [];
  const measures = await measureAnalysis([200, 400], (l) => lines.push(l));
  expect(measures.map((m) => m.records)).toEqual([200, 400]);
  for (const m of measures) {
    expect(m.analysisMs).toBe(m.loadMs + m.queryMs);
    expect(m.recordsPerSecond).toBeGreaterThan(0);
  }
  expect(measures[0].growth).toBeUndefined();
  expect(measures[1].growth).toBeCloseTo(measures[1].analysisMs / measures[0].analysisMs, 9);
  expect(lines).toHaveLength(2);
  expect(formatAnalysis(measures)).toMatch(
    /^Analysis \(npm run analyze, local DuckDB engine, two versions compared\):\n\s+200 records: analysis/,
  );
}, 60_000);
