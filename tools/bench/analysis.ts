/**
 * The analysis benchmark: `npm run analyze`'s local engine over 10k, 100k and 1M synthetic
 * records (two model versions, one drifted), each size timed in three parts: generating the
 * records as export files (not the analysis; reported apart), loading them into DuckDB (the
 * JSON is parsed once into tables) and the analysis itself (every query file, both versions,
 * drift). Growth is each size's analysis time over the previous size's.
 *
 *   npx tsx tools/bench/analysis.ts [--sizes 10000,100000,1000000] [--out bench-results/analysis.json]
 *
 * `npm run bench` runs it too (after its other measures).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { analyse } from '../analyze/analysis';
import { bundledTrainingStats } from '../analyze/command';
import { DuckDbEngine } from '../analyze/duckdb-engine';
import { ExportWriter } from '../analyze/local-records';
import { syntheticRecords, toDynamoJson } from '../analyze/synthetic';
import { resolveStageConfig } from '../../lib/config/load-config';

export const DEFAULT_SIZES = [10_000, 100_000, 1_000_000] as const;

export interface AnalysisMeasure {
  readonly records: number;
  readonly generateMs: number;
  readonly loadMs: number;
  readonly queryMs: number;
  /** load + query: what `npm run analyze` spends on the records once it has them. */
  readonly analysisMs: number;
  readonly recordsPerSecond: number;
  /** analysisMs over the previous size's; undefined for the first. */
  readonly growth?: number;
}

export async function measureAnalysis(
  sizes: readonly number[] = DEFAULT_SIZES,
  progress: (line: string) => void = () => undefined,
): Promise<AnalysisMeasure[]> {
  const stats = bundledTrainingStats(resolveStageConfig({ stage: 'dev' }));
  const out: AnalysisMeasure[] = [];
  for (const records of sizes) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-analysis-'));
    try {
      let t = Date.now();
      const writer = new ExportWriter(dir, 'bench');
      const half = Math.floor(records / 2);
      const start = '2024-05-01T00:00:00.000Z';
      for (const r of syntheticRecords({
        cohorts: [
          { modelVersion: '1.0.0', records: half },
          { modelVersion: '1.1.0', records: records - half, drift: 1 },
        ],
        start,
        spanMs: 86_400_000,
      }))
        await writer.write(toDynamoJson(r));
      await writer.close();
      const generateMs = Date.now() - t;
      t = Date.now();
      const engine = await DuckDbEngine.open(dir);
      const loadMs = Date.now() - t;
      t = Date.now();
      try {
        const report = await analyse(
          engine,
          ['1.0.0', '1.1.0'].map((v) => ({ label: v, modelVersion: v, from: start, to: '2024-05-02T00:00:00.000Z', trainingStats: stats })),
        );
        if (report.cohorts.reduce((n, c) => n + c.requests, 0) !== records)
          throw new Error(`the analysis counted ${report.cohorts.reduce((n, c) => n + c.requests, 0)} of ${records} records`);
      } finally {
        await engine.close();
      }
      const queryMs = Date.now() - t;
      const analysisMs = loadMs + queryMs;
      const previous = out[out.length - 1];
      const m: AnalysisMeasure = {
        records,
        generateMs,
        loadMs,
        queryMs,
        analysisMs,
        recordsPerSecond: Math.round((records / analysisMs) * 1000),
        growth: previous ? analysisMs / previous.analysisMs : undefined,
      };
      out.push(m);
      progress(formatMeasure(m));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return out;
}

function formatMeasure(m: AnalysisMeasure): string {
  const growth = m.growth === undefined ? '' : `, x${m.growth.toFixed(1)} the previous size`;
  return `${m.records.toLocaleString('en-US').padStart(9)} records: analysis ${(m.analysisMs / 1000).toFixed(1)} s (load ${(m.loadMs / 1000).toFixed(1)} s + queries ${(m.queryMs / 1000).toFixed(1)} s, ${m.recordsPerSecond.toLocaleString('en-US')} records/s${growth}); generating them ${(m.generateMs / 1000).toFixed(1)} s`;
}

export function formatAnalysis(measures: readonly AnalysisMeasure[]): string {
  return ['Analysis (npm run analyze, local DuckDB engine, two versions compared):', ...measures.map((m) => `  ${formatMeasure(m)}`)].join(
    '\n',
  );
}

/** Runs the measure and writes its JSON; the bench calls this. */
export async function runAnalysisBench(
  outFile: string,
  sizes: readonly number[] = DEFAULT_SIZES,
  progress: (line: string) => void = (l) => process.stderr.write(`  ${l}\n`),
): Promise<AnalysisMeasure[]> {
  const measures = await measureAnalysis(sizes, progress);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(
    outFile,
    `${JSON.stringify({ version: 1, date: new Date().toISOString(), machine: { node: process.version, cpus: os.cpus().length, loadAvg: os.loadavg() }, measures }, null, 2)}\n`,
  );
  return measures;
}

if (require.main === module) {
  const argv = process.argv.slice(2);
  const at = (flag: string) => (argv.includes(flag) ? argv[argv.indexOf(flag) + 1] : undefined);
  const sizes = at('--sizes')?.split(',').map(Number) ?? [...DEFAULT_SIZES];
  if (!sizes.every((n) => Number.isInteger(n) && n >= 2)) {
    process.stderr.write('usage: tsx tools/bench/analysis.ts [--sizes 10000,100000,1000000] [--out FILE]\n');
    process.exit(2);
  }
  runAnalysisBench(path.resolve(at('--out') ?? 'bench-results/analysis.json'), sizes).then(
    (m) => process.stdout.write(`${formatAnalysis(m)}\n`),
    (error: Error) => {
      process.stderr.write(`analysis bench failed: ${error.stack ?? error.message}\n`);
      process.exit(1);
    },
  );
}
