/**
 * `npm run analyze -- --aws` against a local fake of DynamoDB's export API and Athena's
 * query API (test/harness/analyze-fake-aws.ts), through the real SDK clients: the first run
 * starts a full export and waits for it, reporting progress; a later run reuses it and adds
 * an incremental export for the time since; the queries are the shared SQL files; Athena's
 * header row is dropped on the first page only; failures say what to do.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolveStageConfig } from '../../../lib/config/load-config';
import type { InferenceRecord } from '../../../lambda/shared/record';
import { analyse } from '../../../tools/analyze/analysis';
import { openAwsEngine } from '../../../tools/analyze/aws/aws-engine';
import { AthenaEngine, AthenaQueryError, exportItemsView } from '../../../tools/analyze/aws/athena-engine';
import { syntheticRecords } from '../../../tools/analyze/synthetic';
import { querySql, splitStatements } from '../../../tools/analyze/sql-files';
import { FakeAws, startFakeAws } from '../../harness/analyze-fake-aws';
import { TEST_CREDENTIALS } from '../../harness/lambda-env';

const T0 = Date.parse('2024-05-01T00:00:00.000Z');
const config = resolveStageConfig({ stage: 'prod' });
const stats = JSON.parse(fs.readFileSync(path.join(__dirname, '../../../model/artifacts/training-stats.json'), 'utf8'));
let root: string;
let fake: FakeAws;
let now: number;
let records: InferenceRecord[];
let pitr = true;

function clients() {
  const common = { endpoint: fake.url, region: 'us-east-1', credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  return { dynamodb: new DynamoDBClient(common), athena: new AthenaClient(common) };
}

beforeAll(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'analyze-aws-'));
  // 600 records over the first 10 hours; 200 more arrive in the 30 minutes after the first export.
  records = [
    ...syntheticRecords({
      cohorts: [
        { modelVersion: '1.0.0', records: 300 },
        { modelVersion: '1.1.0', records: 300, drift: 1 },
      ],
      start: new Date(T0).toISOString(),
      spanMs: 10 * 3_600_000,
    }),
  ];
  const late = [
    ...syntheticRecords({
      cohorts: [{ modelVersion: '1.1.0', records: 200, drift: 1 }],
      start: new Date(T0 + 10 * 3_600_000).toISOString(),
      spanMs: 20 * 60_000,
      seed: 99,
    }),
  ].map((r) => ({ ...r, requestId: `late-${r.requestId}`, pk: `INFERENCE#late-${r.requestId}` }));
  now = T0 + 10 * 3_600_000;
  fake = await startFakeAws({
    root,
    tableName: 'inference-prod-inferences',
    bucket: 'analytics-bucket',
    get pitr() {
      return pitr;
    },
    records: () => [...records, ...late].filter((r) => Date.parse(r.createdAt) < now),
    deployments: [
      {
        pk: 'DEPLOYMENT',
        sk: '2024-04-30T00:00:00.000Z#1.1.0',
        modelVersion: '1.1.0',
        deployedAt: '2024-04-30T00:00:00.000Z',
        trainingStats: stats,
      },
    ],
    pageRows: 7,
  } as never);
});

afterAll(async () => {
  await fake?.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const cohorts = (to: number) =>
  ['1.0.0', '1.1.0'].map((v) => ({
    label: v,
    modelVersion: v,
    from: new Date(T0).toISOString(),
    to: new Date(to).toISOString(),
    trainingStats: stats,
  }));

describe('analyze --aws', () => {
  it('starts a full export, reports its progress, and answers from Athena with the shared queries', async () => {
    const progress: string[] = [];
    const { engine, trainingStats } = await openAwsEngine(config, {
      maxExportAgeHours: 24,
      progress: (l) => progress.push(l),
      now: () => new Date(now),
      clients: clients(),
      pollMs: 1,
    });
    try {
      expect(progress[0]).toMatch(/^started full export \d{14}-[0-9a-f]{8} of 2024-05-01T10:00:00.000Z$/);
      expect(progress.some((l) => /: COMPLETED, 600 items/.test(l))).toBe(true);
      expect(progress.at(-1)).toMatch(
        /^analysing 600 exported items \(full export .*, 0 incremental\), covering the table until 2024-05-01T10:00:00.000Z$/,
      );
      const started = [...fake.exports.values()][0].description;
      // Encrypted with the records' key, in the prefix the Glue tables read.
      expect(started).toMatchObject({
        ExportType: 'FULL_EXPORT',
        S3Bucket: 'analytics-bucket',
        S3Prefix: 'exports',
        S3SseAlgorithm: 'KMS',
        S3SseKmsKeyId: 'arn:aws:kms:us-east-1:000000000000:key/records',
        ExportFormat: 'DYNAMODB_JSON',
      });
      expect(trainingStats.get('1.1.0')?.features).toHaveLength(4);

      const report = await analyse(engine, cohorts(now));
      expect(report.engine).toBe('athena');
      expect(report.cohorts.map((c) => c.requests)).toEqual([300, 300]);
      expect(report.comparison?.features.find((f) => f.name === 'petal_length')?.verdict).toBe('drift');
      // The queries Athena ran are the files' text, filled in.
      const latencySelect = splitStatements(querySql('latency'))[0].split('\n').slice(0, 3).join('\n');
      expect(fake.queries.some((q) => q.startsWith(latencySelect))).toBe(true);
      expect(fake.queries.filter((q) => q.startsWith('CREATE OR REPLACE VIEW')).map((q) => /VIEW (\w+)/.exec(q)![1])).toEqual([
        'export_items',
        'inference_records',
        'inference_features',
        'inference_predictions',
      ]);
      // Timeline rows span many 7-row pages: the header is dropped on the first page only.
      expect(report.cohorts[0].timeline.reduce((n, t) => n + t.requests, 0)).toBe(300);
      expect((engine as AthenaEngine).bytesScanned).toBeGreaterThan(0);
    } finally {
      await engine.close();
    }
  });

  it('reuses the full export 30 minutes later and adds an incremental export for the time since', async () => {
    now += 30 * 60_000;
    const progress: string[] = [];
    const { engine } = await openAwsEngine(config, {
      maxExportAgeHours: 24,
      progress: (l) => progress.push(l),
      now: () => new Date(now),
      clients: clients(),
      pollMs: 1,
    });
    try {
      expect(progress[0]).toMatch(/^reusing full export .* of 2024-05-01T10:00:00.000Z \(COMPLETED\)$/);
      expect(progress.some((l) => /^started incremental export .* for 2024-05-01T10:00:00.000Z to 2024-05-01T10:30:00.000Z$/.test(l))).toBe(
        true,
      );
      const inc = [...fake.exports.values()].find((e) => e.description.ExportType === 'INCREMENTAL_EXPORT')!.description;
      expect(inc.IncrementalExportSpecification).toEqual({
        ExportFromTime: T0 / 1000 + 36_000,
        ExportToTime: T0 / 1000 + 37_800,
        ExportViewType: 'NEW_IMAGE',
      });
      const report = await analyse(engine, cohorts(now));
      expect(report.cohorts.map((c) => c.requests)).toEqual([300, 500]);
    } finally {
      await engine.close();
    }
  });

  it('refuses to start an export of a table without point-in-time recovery, saying what to deploy', async () => {
    pitr = false;
    try {
      await expect(
        openAwsEngine(config, {
          maxExportAgeHours: 0,
          progress: () => undefined,
          now: () => new Date(now + 86_400_000),
          clients: clients(),
          pollMs: 1,
        }),
      ).rejects.toThrow(
        'table inference-prod-inferences has point-in-time recovery off, and DynamoDB exports a table only from it: deploy with table.pointInTimeRecovery=true (analytics.enabled needs it)',
      );
    } finally {
      pitr = true;
    }
  });

  it('refuses a stage without analytics', async () => {
    await expect(
      openAwsEngine(resolveStageConfig({ stage: 'dev' }), {
        maxExportAgeHours: 24,
        progress: () => undefined,
        now: () => new Date(now),
        clients: clients(),
      }),
    ).rejects.toThrow(/^analytics is off in stage dev/);
  });

  it('reports a failed Athena query with its reason', async () => {
    const c = clients();
    const engine = new AthenaEngine({
      client: c.athena,
      workGroup: 'inference-prod-records',
      database: 'inference_prod_records',
      pollMs: 1,
    });
    await expect(engine.query('SELECT nope FROM nowhere')).rejects.toThrow(AthenaQueryError);
    await engine.close();
  });

  it('builds the export view from export ids only', () => {
    expect(exportItemsView({ fullExportId: '01-ab', incrementalExportIds: [], coversUntil: '', itemCount: 0 })).toBe(
      "CREATE OR REPLACE VIEW export_items AS SELECT item FROM (SELECT item, 0 AS source FROM inference_exports WHERE export_id = '01-ab')",
    );
    expect(exportItemsView({ fullExportId: '01-ab', incrementalExportIds: ['02-cd'], coversUntil: '', itemCount: 0 })).toContain(
      "inference_increments WHERE export_id IN ('02-cd')",
    );
    expect(() => exportItemsView({ fullExportId: "x' OR 1=1 --", incrementalExportIds: [], coversUntil: '', itemCount: 0 })).toThrow(
      'not an export id',
    );
  });
});
