/**
 * One analysis of a local table, start to end: its inference records exported as DynamoDB
 * lays exports out, DuckDB over them, the query files, the report. Shared by the dashboard's
 * analysis page; `npm run analyze` runs the same steps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { parseTrainingStats, TrainingStats } from '../../model/src/training-stats';
import { analyse, AnalysisReport } from './analysis';
import { DuckDbEngine } from './duckdb-engine';
import { exportLocalTable, latestDeployments } from './local-records';

export interface LocalAnalysisRequest {
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** One version, or two to compare; the newest deployed ones when absent. */
  readonly versions?: readonly string[];
  readonly from: string;
  readonly to: string;
  /** Used for a version whose deployment record keeps no training statistics. */
  readonly fallbackStats?: (version: string) => TrainingStats | undefined;
}

export async function analyseLocalTable(r: LocalAnalysisRequest): Promise<AnalysisReport | { readonly empty: string }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'analysis-page-'));
  try {
    const layout = await exportLocalTable(r.client, r.tableName, dir);
    const deployments = await latestDeployments(r.client, r.tableName);
    const versions =
      r.versions && r.versions.length > 0
        ? r.versions
        : [...deployments.values()]
            .sort((a, b) => (a.deployedAt < b.deployedAt ? 1 : -1))
            .slice(0, 2)
            .map((d) => d.modelVersion)
            .reverse();
    if (versions.length === 0) return { empty: 'No model deployment is recorded yet, so there is no version to analyse.' };
    if (layout.itemCount === 0)
      return { empty: 'The table holds no inference records yet: send a few predictions (npm start -- --demo) and reload.' };
    const engine = await DuckDbEngine.open(dir);
    try {
      return await analyse(
        engine,
        versions.map((v) => ({
          label: v,
          modelVersion: v,
          from: r.from,
          to: r.to,
          trainingStats: parseTrainingStats(deployments.get(v)?.trainingStats) ?? r.fallbackStats?.(v),
        })),
      );
    } finally {
      await engine.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
