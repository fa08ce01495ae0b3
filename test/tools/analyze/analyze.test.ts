/**
 * `npm run analyze` end to end on the local engine: records in the local table (dynalite,
 * persisted as the local pipeline keeps it, written by the records' own builder) read by a
 * real Scan; two versions compared with the numbers the records hold; the training
 * statistics taken from the deployment record; bulk synthetic records; the hash payload
 * mode (no input values: the analysis says so and reports the rest); every output format,
 * the HTML report in headless Chromium; and every refused argument.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import * as os from 'node:os';
import * as path from 'node:path';
import { BatchWriteItemCommand } from '@aws-sdk/client-dynamodb';
import { recordDeployment } from '../../../lambda/record-deployment/deployment-record';
import { buildInferenceRecord, InferenceRecord } from '../../../lambda/shared/record';
import { startLocalDynamoDb } from '../../../tools/local/local-dynamodb';
import { runAnalyze } from '../../../tools/analyze/command';
import { toDynamoJson } from '../../../tools/analyze/synthetic';
import type { AnalysisReport } from '../../../tools/analyze/analysis';
import { ARTIFACTS, HAS_CHROMIUM, launchChromium } from '../../harness/browser';

const stats = JSON.parse(readFileSync(path.join(__dirname, '../../../model/artifacts/training-stats.json'), 'utf8'));
const NOW = new Date('2024-05-02T00:00:00.000Z');
let dataDir: string;
let work: string;

async function run(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runAnalyze(args, { out: (t) => (out += `${t}\n`), err: (t) => (err += `${t}\n`), now: () => NOW, cwd: work });
  return { code, out, err };
}

function record(i: number, version: string, latency: number, failed: boolean, input: number[]): InferenceRecord {
  return buildInferenceRecord({
    requestId: `r-${version.replace(/\./g, '-')}-${i}`,
    createdAt: new Date(Date.parse('2024-05-01T10:00:00.000Z') + i * 1000).toISOString(),
    httpStatus: failed ? 502 : 200,
    error: failed ? { code: 'ModelError', message: 'the model failed' } : undefined,
    caller: { type: 'iam' },
    modelName: 'iris-classifier',
    modelVersion: version,
    endpointName: 'inference-dev-iris-classifier',
    input: { mode: 'full', sizeBytes: 30, sha256: 'a'.repeat(64), body: JSON.stringify({ instances: [input] }) },
    output: failed
      ? undefined
      : {
          mode: 'full',
          sizeBytes: 80,
          sha256: 'b'.repeat(64),
          body: JSON.stringify({ predictions: [{ label: 'setosa', probabilities: { setosa: 0.75, versicolor: 0.25, virginica: 0 } }] }),
        },
    latencyMs: latency + 2,
    modelLatencyMs: failed ? undefined : latency,
    ttlDays: 7,
    indexShards: 2,
  });
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'analyze-cli-'));
  dataDir = path.join(work, 'local');
  // The local pipeline's table, persisted where `npm start` keeps it.
  const local = await startLocalDynamoDb({ tableName: 'inference-dev-inferences', dataDir: path.join(dataDir, 'dynamodb') });
  try {
    // 1.0.0: 40 requests, model latency 10..49 ms, 4 failed; 1.1.0: 40 requests at twice the latency, none failed.
    const items = [
      ...Array.from({ length: 40 }, (_, i) => record(i, '1.0.0', 10 + i, i % 10 === 0, [5 + (i % 5) / 10, 3.4, 1.5, 0.2])),
      ...Array.from({ length: 40 }, (_, i) => record(i, '1.1.0', 2 * (10 + i), false, [6.5, 3.0, 5.5 + (i % 5) / 10, 2.0])),
    ];
    for (let i = 0; i < items.length; i += 25) {
      await local.client.send(
        new BatchWriteItemCommand({
          RequestItems: { 'inference-dev-inferences': items.slice(i, i + 25).map((r) => ({ PutRequest: { Item: toDynamoJson(r) } })) },
        }),
      );
    }
    await recordDeployment(local.client, 'inference-dev-inferences', {
      modelName: 'iris-classifier',
      modelVersion: '1.1.0',
      endpointName: 'e',
      capacity: {},
      stage: 'dev',
      deployedAt: '2024-04-30T00:00:00.000Z',
      trainingStats: stats,
    });
  } finally {
    await local.close();
  }
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('npm run analyze on the local table', () => {
  let report: AnalysisReport;

  beforeAll(async () => {
    const result = await run([
      '--data-dir',
      dataDir,
      '--version',
      '1.0.0',
      '--version',
      '1.1.0',
      '--from',
      '2024-05-01T00:00:00Z',
      '--to',
      '2024-05-01T23:59:59Z',
      '--format',
      'json',
    ]);
    expect(result.code).toBe(0);
    expect(result.err).toContain('read 80 inference records from inference-dev-inferences');
    report = JSON.parse(result.out) as AnalysisReport;
  }, 60_000);

  it('counts requests and failures by kind per version', () => {
    expect(report.cohorts.map((c) => [c.label, c.requests, c.errors])).toEqual([
      ['1.0.0', 40, 4],
      ['1.1.0', 40, 0],
    ]);
    expect(report.cohorts[0].errorsByKind).toEqual([{ kind: 'ModelError', count: 4 }]);
    expect(report.cohorts[0].errorRate).toBe(0.1);
  });

  it('gives latency percentiles of the served requests (DuckDB: exact, linear interpolation)', () => {
    // 1.0.0 served latencies: 10..49 without 10, 20, 30, 40: 36 values, median (29 + 31) / 2.
    expect(report.cohorts[0].latencyMs.model.p50).toBe(30);
    // p99 at rank 35 x 0.99 = 34.65: between 48 and 49.
    expect(report.cohorts[0].latencyMs.model.p99).toBeCloseTo(48.65, 6);
    expect(report.cohorts[1].latencyMs.model.p50).toBe(59);
    expect(report.cohorts[1].latencyMs.total.p50).toBe(61);
    expect(report.verdict.join('\n')).toMatch(/1\.1\.0 model latency p99 is 97\.2 ms against 48\.[67] ms \(x2\.00\): slower\./);
  });

  it('reports labels, confidence and per-feature statistics', () => {
    expect(report.cohorts[0].labels).toEqual([{ label: 'setosa', count: 36, share: 1, meanConfidence: 0.75 }]);
    expect(report.cohorts[0].confidence).toMatchObject({ predictions: 36, mean: 0.75, p50: 0.75, belowSixTenths: 0 });
    const petal = report.cohorts[1].features.find((f) => f.name === 'petal_length')!;
    expect(petal).toMatchObject({ index: 3, count: 40, mean: 5.7, min: 5.5, max: 5.9 });
    expect(petal.quantiles.q50).toBe(5.7);
  });

  it("takes 1.1.0's training statistics from its deployment record, and flags the drift from training and from 1.0.0", () => {
    expect(report.cohorts.map((c) => c.hasTrainingStats)).toEqual([true, true]);
    const vsTraining = report.cohorts[1].driftVsTraining!.find((d) => d.name === 'petal_length')!;
    expect(vsTraining.verdict).toBe('drift');
    expect(vsTraining.psi).toBeGreaterThan(0.25);
    expect(report.comparison!.features.find((d) => d.name === 'petal_length')!.ks).toBe(1);
    expect(report.verdict[0]).toMatch(/has drifted|differs|slower/);
  });

  it('exits 3 with --fail-on-drift when a feature drifted', async () => {
    expect(
      (
        await run([
          '--data-dir',
          dataDir,
          '--version',
          '1.0.0',
          '--version',
          '1.1.0',
          '--from',
          '2024-05-01T00:00:00Z',
          '--to',
          '2024-05-01T23:59:59Z',
          '--fail-on-drift',
        ])
      ).code,
    ).toBe(3);
  }, 60_000);

  it('compares one version with itself over two windows', async () => {
    const r = await run([
      '--data-dir',
      dataDir,
      '--version',
      '1.0.0',
      '--from',
      '2024-05-01T10:00:20Z',
      '--to',
      '2024-05-01T10:01:00Z',
      '--baseline-from',
      '2024-05-01T10:00:00Z',
      '--baseline-to',
      '2024-05-01T10:00:19Z',
      '--format',
      'json',
    ]);
    const windows = JSON.parse(r.out) as AnalysisReport;
    expect(windows.cohorts.map((c) => [c.label, c.requests])).toEqual([
      ['1.0.0 (2024-05-01T10:00 to 2024-05-01T10:00)', 20],
      ['1.0.0 (2024-05-01T10:00 to 2024-05-01T10:01)', 20],
    ]);
  }, 60_000);
});

describe('npm run analyze on bulk synthetic records', () => {
  it('compares 1.0.0 with a drifted 1.1.0, as a table, csv and an HTML report that renders in Chromium', async () => {
    const table = await run(['--synthetic', '1200']);
    expect(table.code).toBe(0);
    expect(table.out).toMatch(/requests\s+600\s+600/);
    expect(table.out).toMatch(/1\.1\.0: input petal_length has drifted from the training data/);

    const csv = await run(['--synthetic', '600', '--format', 'csv']);
    const lines = csv.out.trim().split('\n');
    expect(lines[0]).toBe('section,cohort,name,metric,value');
    expect(lines).toContain('requests,1.0.0,,requests,300');
    expect(lines.some((l) => /^drift_vs_other,1\.1\.0 vs 1\.0\.0,petal_length,verdict,drift$/.test(l))).toBe(true);

    const html = await run(['--synthetic', '1200', '--format', 'html', '--out', 'report.html']);
    expect(html.code).toBe(0);
    expect(html.err).toContain(`wrote ${path.join(work, 'report.html')}`);
    if (!HAS_CHROMIUM) return;
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith('file://')) external.push(r.url());
      });
      await page.goto(`file://${path.join(work, 'report.html')}`);
      expect(await page.locator('h1').textContent()).toBe('Inference analysis: 1.0.0 vs 1.1.0');
      expect(await page.locator('[data-testid="cohort"]').count()).toBe(2);
      expect(await page.locator('[data-testid="verdict"] li').first().textContent()).toMatch(/1\.1\.0/);
      expect(await page.locator('[data-testid="feature"]').count()).toBe(4);
      expect(await page.locator('[data-testid="drift-table"] tr').count()).toBe(6);
      expect(await page.locator('[data-testid="feature"]').nth(2).locator('.badge').last().textContent()).toMatch(/^1\.1\.0 drift PSI/);
      // Every chart drew: the SVGs have marks, and nothing was fetched.
      expect(await page.locator('svg rect').count()).toBeGreaterThan(100);
      expect(await page.locator('line.threshold').count()).toBe(2);
      expect(external).toEqual([]);
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'analysis-report.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  }, 180_000);

  it('in hash payload mode says there are no input values, and still reports the rest', async () => {
    const r = await run(['--synthetic', '2000', '--payload-mode', 'hash', '--format', 'json']);
    const report = JSON.parse(r.out) as AnalysisReport;
    expect(report.cohorts.map((c) => c.requests)).toEqual([1000, 1000]);
    expect(report.cohorts.every((c) => c.features.length === 0 && c.recordsWithInputValues === 0 && c.labels.length === 0)).toBe(true);
    expect(report.cohorts[0].latencyMs.model.p50).toEqual(expect.any(Number));
    expect(report.notes).toContain(
      '1.0.0: the records keep no input values (payload mode hash); feature statistics, input drift and predictions need payload mode full. Requests, errors and latency are still analysed.',
    );
    const html = await run(['--synthetic', '2000', '--payload-mode', 'none', '--format', 'html', '--out', 'none.html']);
    expect(readFileSync(path.join(work, 'none.html'), 'utf8')).toContain('The records keep no input values (payload mode hash or none)');
    expect(html.code).toBe(0);
  }, 60_000);
});

describe('npm run analyze --export-dir', () => {
  it('reads export files laid out as DynamoDB writes them ({"Item":...} lines, gzip, manifests beside)', async () => {
    const root = path.join(work, 'export');
    const data = path.join(root, 'AWSDynamoDB', '01700000000000-abcdef12', 'data');
    mkdirSync(data, { recursive: true });
    const lines = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ Item: toDynamoJson(record(i, '1.0.0', 10 + i, i === 3, [5.1, 3.5, 1.4, 0.2])) }),
    );
    writeFileSync(path.join(data, 'abcdefghij.json.gz'), gzipSync(`${lines.join('\n')}\n`));
    writeFileSync(path.join(data, 'emptypartition.json.gz'), gzipSync(''));
    writeFileSync(
      path.join(root, 'AWSDynamoDB', '01700000000000-abcdef12', 'manifest-summary.json'),
      '{"itemCount":12,"outputFormat":"DYNAMODB_JSON"}',
    );
    writeFileSync(path.join(root, 'AWSDynamoDB', '01700000000000-abcdef12', '_started'), '');
    const r = await run([
      '--export-dir',
      root,
      '--version',
      '1.0.0',
      '--from',
      '2024-05-01T00:00:00Z',
      '--to',
      '2024-05-01T23:59:59Z',
      '--format',
      'json',
    ]);
    const report = JSON.parse(r.out) as AnalysisReport;
    expect(report.cohorts[0]).toMatchObject({ requests: 12, errors: 1 });
    await expect(run(['--export-dir', path.join(work, 'nothing-here')])).rejects.toThrow(/ENOENT|no export data files/);
  }, 60_000);
});

describe('refused arguments', () => {
  it.each([
    [['--format', 'xml'], "--format must be table, json, csv or html, got 'xml'"],
    [['--version', 'a', '--version', 'b', '--version', 'c'], 'give --version at most twice (one version, or two to compare), got 3'],
    [
      ['--from', '2024-05-02T00:00:00Z', '--to', '2024-05-01T00:00:00Z'],
      '--from (2024-05-02T00:00:00.000Z) must not be after --to (2024-05-01T00:00:00.000Z)',
    ],
    [['--from', 'yesterday'], "--from must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z, got 'yesterday'"],
    [['--synthetic', '1'], "--synthetic must be a whole number from 2 to 10000000, got '1'"],
    [['--synthetic', '10', '--aws'], 'give at most one of --aws, --export-dir and --synthetic'],
    [
      ['--version', 'a', '--version', 'b', '--baseline-from', '2024-05-01T00:00:00Z'],
      '--baseline-from/--baseline-to compare one version over two windows; give one --version',
    ],
    [
      ['--data-dir', '/nonexistent/analyze'],
      'no local pipeline data in /nonexistent/analyze: run `npm start -- --demo` (or npm start) first, or pass --data-dir, --export-dir or --synthetic',
    ],
  ])('%j', async (args, message) => {
    await expect(run(args)).rejects.toThrow(message);
  });

  it('prints its usage with --help', async () => {
    expect((await run(['--help'])).out).toMatch(/^Usage: npm run analyze -- \[options\]/);
  });
});
