/**
 * `npm run analyze -- --aws`: finds the stage's table, workgroup and export bucket by their
 * names (the workgroup's result location names the bucket), starts or reuses the table's
 * exports, and returns an Athena engine over them, with the training statistics of each
 * deployed version (its deployment record keeps them).
 */
import { AthenaClient, GetWorkGroupCommand } from '@aws-sdk/client-athena';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resourcePrefix, StageConfig } from '../../../lib/config/stage-config';
import { ANALYTICS_PREFIX } from '../../../lib/constructs/record-analytics';
import { parseTrainingStats, TrainingStats } from '../../../model/src/training-stats';
import type { AnalysisEngine } from '../duckdb-engine';
import { latestDeployments } from '../local-records';
import { AthenaEngine } from './athena-engine';
import { ensureExports, ExportError } from './table-export';

export interface AwsEngineOptions {
  readonly maxExportAgeHours: number;
  readonly progress: (line: string) => void;
  readonly now: () => Date;
  /** Clients to use (tests point them at local fakes). @default clients of the stage's region */
  readonly clients?: { readonly dynamodb: DynamoDBClient; readonly athena: AthenaClient };
  readonly pollMs?: number;
}

export async function openAwsEngine(
  config: StageConfig,
  options: AwsEngineOptions,
): Promise<{ engine: AnalysisEngine; trainingStats: Map<string, TrainingStats> }> {
  if (!config.analytics.enabled)
    throw new ExportError(
      `analytics is off in stage ${config.stage}: deploy with -c analytics.enabled=true (and table.pointInTimeRecovery=true) first`,
    );
  const prefix = resourcePrefix(config);
  const region = config.region ? { region: config.region } : {};
  const dynamodb = options.clients?.dynamodb ?? new DynamoDBClient(region);
  const athena = options.clients?.athena ?? new AthenaClient(region);
  const tableName = `${prefix}-inferences`;
  const workGroup = `${prefix}-records`;
  const database = `${prefix.replace(/-/g, '_')}_records`;

  const table = (await dynamodb.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  if (!table?.TableArn) throw new ExportError(`table ${tableName} not found`);
  const wg = await athena.send(new GetWorkGroupCommand({ WorkGroup: workGroup }));
  const location = wg.WorkGroup?.Configuration?.ResultConfiguration?.OutputLocation ?? '';
  const bucket = /^s3:\/\/([^/]+)\//.exec(location)?.[1];
  if (!bucket) throw new ExportError(`workgroup ${workGroup} has no result location naming the analytics bucket`);

  const exports = await ensureExports(
    dynamodb,
    {
      tableArn: table.TableArn,
      bucket,
      prefix: ANALYTICS_PREFIX.exports.replace(/\/$/, ''),
      kmsKeyArn: table.SSEDescription?.KMSMasterKeyArn,
    },
    { maxExportAgeHours: options.maxExportAgeHours, progress: options.progress, now: options.now, pollMs: options.pollMs },
  );
  options.progress(
    `analysing ${exports.itemCount} exported items (full export ${exports.fullExportId}, ${exports.incrementalExportIds.length} incremental), covering the table until ${exports.coversUntil}`,
  );
  const engine = new AthenaEngine({ client: athena, workGroup, database, pollMs: options.pollMs });
  await engine.prepare(exports);

  const trainingStats = new Map<string, TrainingStats>();
  for (const [version, d] of await latestDeployments(dynamodb, tableName)) {
    const stats = parseTrainingStats(d.trainingStats);
    if (stats) trainingStats.set(version, stats);
  }
  if (!options.clients) dynamodb.destroy();
  return { engine, trainingStats };
}
