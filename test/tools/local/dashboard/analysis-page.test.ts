/**
 * The dashboard's analysis page (GET /dashboard/analysis) over a real table (dynalite, real
 * SDK Scan) holding bulk records of two versions, the newer one drifted, and their
 * deployment records with training statistics: the page in headless Chromium shows the
 * verdict, both versions, every feature and the drift table, fetches nothing, and is saved
 * as a screenshot; its parameters are validated and an empty table says what to do.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { AddressInfo } from 'node:net';
import { BatchWriteItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { recordDeployment } from '../../../../lambda/record-deployment/deployment-record';
import { createAnalysisPageHandler } from '../../../../tools/local/dashboard/analysis-page';
import { syntheticRecords, toDynamoJson } from '../../../../tools/analyze/synthetic';
import { LocalDynamo, startDynalite } from '../../../harness/lambda-dynamo';
import { TEST_CREDENTIALS, TEST_REGION } from '../../../harness/lambda-env';
import { ARTIFACTS, HAS_CHROMIUM, launchChromium } from '../../../harness/browser';

const stats = JSON.parse(readFileSync(path.join(__dirname, '../../../../model/artifacts/training-stats.json'), 'utf8'));
const NOW = Date.parse('2024-05-02T00:00:00.000Z');
let dynamo: LocalDynamo;
let client: DynamoDBClient;
let server: http.Server;
let base: string;

async function startPage(tableName: string): Promise<void> {
  const handler = createAnalysisPageHandler({ client, tableName, now: () => NOW });
  server = http.createServer((req, res) => {
    if (!handler(req, res)) res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

beforeAll(async () => {
  dynamo = await startDynalite();
  client = new DynamoDBClient({ endpoint: dynamo.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  await dynamo.createTable('records');
  await dynamo.createTable('empty');
  const items = [
    ...syntheticRecords({
      cohorts: [
        { modelVersion: '1.0.0', records: 600 },
        { modelVersion: '1.1.0', records: 600, drift: 1 },
      ],
      start: '2024-05-01T01:00:00.000Z',
      spanMs: 20 * 3_600_000,
      indexShards: 4,
    }),
  ];
  for (let i = 0; i < items.length; i += 25) {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: { records: items.slice(i, i + 25).map((r) => ({ PutRequest: { Item: toDynamoJson(r) } })) },
      }),
    );
  }
  for (const [i, version] of ['1.0.0', '1.1.0'].entries()) {
    await recordDeployment(dynamo.client, 'records', {
      modelName: 'iris-classifier',
      modelVersion: version,
      endpointName: 'e',
      capacity: {},
      stage: 'dev',
      deployedAt: `2024-05-01T0${i}:00:00.000Z`,
      trainingStats: stats,
    });
  }
  await startPage('records');
}, 120_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  client?.destroy();
  await dynamo?.stop();
});

describe('GET /dashboard/analysis', () => {
  it('answers a self-contained page comparing the two newest deployed versions', async () => {
    const res = await fetch(`${base}/dashboard/analysis`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    const html = await res.text();
    expect(html).toContain('<title>Inference analysis: 1.0.0 vs 1.1.0</title>');
    expect(html).not.toMatch(/<script|src="http/);
  }, 60_000);

  it.each([
    ['?version=a&version=b&version=c', 'give version at most twice'],
    ['?version=v%2F1', 'version must be 1 to 32 letters, digits, ., _ or -'],
    ['?hours=0', 'hours must be a number from 1 to 2160'],
  ])('refuses %s', async (query, message) => {
    const res = await fetch(`${base}/dashboard/analysis${query}`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: 'ValidationError', message });
  });

  it('refuses other methods and leaves other paths to the next handler', async () => {
    expect((await fetch(`${base}/dashboard/analysis`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/dashboard/other`)).status).toBe(404);
  });

  it('on an empty table, says what to do', async () => {
    const handler = createAnalysisPageHandler({ client, tableName: 'empty', now: () => NOW });
    const empty = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((resolve) => empty.listen(0, '127.0.0.1', resolve));
    try {
      const res = await fetch(`http://127.0.0.1:${(empty.address() as AddressInfo).port}/dashboard/analysis?version=1.0.0`);
      expect(await res.text()).toContain(
        'The table holds no inference records yet: send a few predictions (npm start -- --demo) and reload.',
      );
    } finally {
      empty.closeAllConnections();
      await new Promise<void>((resolve) => empty.close(() => resolve()));
    }
  });

  const browserTest = HAS_CHROMIUM ? test : test.skip;
  browserTest(
    'renders in headless Chromium with the verdict, both versions, every feature and the drift scores',
    async () => {
      const browser = await launchChromium();
      try {
        const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
        const external: string[] = [];
        page.on('request', (r) => {
          if (!r.url().startsWith(base)) external.push(r.url());
        });
        await page.goto(`${base}/dashboard/analysis?hours=48`);
        expect(await page.locator('nav a').getAttribute('href')).toBe('/dashboard');
        expect(await page.locator('[data-testid="cohort"] h3').allTextContents()).toEqual(['1.0.0', '1.1.0']);
        expect(await page.locator('[data-testid="cohort"]').first().locator('.figures b').first().textContent()).toBe('600');
        const verdict = await page.locator('[data-testid="verdict"] li').allTextContents();
        expect(verdict.some((v) => /^1\.1\.0: input petal_length has drifted from the training data/.test(v))).toBe(true);
        expect(
          await page.locator('[data-testid="feature"] h3').evaluateAll((els) => els.map((e) => e.firstChild?.textContent?.trim())),
        ).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
        expect(await page.locator('[data-testid="drift-table"] tr').count()).toBe(6);
        expect(external).toEqual([]);
        mkdirSync(ARTIFACTS, { recursive: true });
        await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-analysis.png'), fullPage: true });
        expect(existsSync(path.join(ARTIFACTS, 'dashboard-analysis.png'))).toBe(true);
      } finally {
        await browser.close();
      }
    },
    120_000,
  );
});
