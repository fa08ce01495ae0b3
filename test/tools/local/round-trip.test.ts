import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { SUMMARY_MESSAGE } from '../../../contract/handlers';
import { keys } from '../../../contract/table-design';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { UNTHROTTLED, captureLogs, getJson, postJson, startPipeline, synthesizeOnce } from '../../harness/local-harness';

/**
 * The whole local pipeline, real parts only: the CDK-staged bundles in Lambda-like workers,
 * the model container's server on the committed artifact, SageMaker's invoke route, dynalite.
 */
describe('local pipeline: a prediction round trip', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  const logs = captureLogs();
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startPipeline(assembly, { onLogLine: logs.onLogLine });
  });
  afterAll(() => pipeline?.stop());

  test('predicts with class probabilities and records every field', async () => {
    const started = Date.now();
    const res = await postJson(
      `${pipeline.url}/predict`,
      {
        instances: [
          [5.1, 3.5, 1.4, 0.2],
          [7.7, 3.0, 6.1, 2.3],
        ],
      },
      { 'user-agent': 'round-trip-test' },
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe(res.body.requestId);
    expect(res.body).toMatchObject({
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'inference-dev-iris-classifier',
      variant: 'AllTraffic',
    });
    const [setosa, virginica] = res.body.predictions;
    expect(setosa.label).toBe('setosa');
    expect(virginica.label).toBe('virginica');
    const sum = Object.values(setosa.probabilities as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBeCloseTo(1, 6);

    const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
    const { Item: item } = await doc.send(new GetCommand({ TableName: pipeline.tableName, Key: keys.inference(res.body.requestId) }));
    expect(item).toMatchObject({
      requestId: res.body.requestId,
      status: 'SUCCESS',
      httpStatus: 200,
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'inference-dev-iris-classifier',
      variant: 'AllTraffic',
      caller: {
        type: 'iam',
        principal: 'arn:aws:iam::000000000000:user/local-developer',
        sourceIp: '127.0.0.1',
        userAgent: 'round-trip-test',
      },
      input: {
        mode: 'full',
        body: JSON.stringify({
          instances: [
            [5.1, 3.5, 1.4, 0.2],
            [7.7, 3.0, 6.1, 2.3],
          ],
        }),
      },
      output: { mode: 'full' },
      // Sharded by day and request id (contract/table-design.ts).
      gsi1pk: expect.stringMatching(/^MODEL#1\.0\.0#\d{4}-\d\d-\d\d#\d+$/),
    });
    expect(item!.errorCode).toBeUndefined();
    expect(item!.gsi2pk).toBeUndefined(); // only failures enter the failure index
    expect(JSON.parse(item!.output.body).predictions).toEqual(res.body.predictions);
    expect(item!.input.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(item!.latencyMs).toBeGreaterThan(0);
    expect(item!.modelLatencyMs).toBeGreaterThan(0);
    expect(item!.modelLatencyMs).toBeLessThanOrEqual(item!.latencyMs);
    expect(Date.parse(item!.createdAt)).toBeGreaterThanOrEqual(started - 1000);
    expect(item!.expiresAt).toBe(Math.floor(Date.parse(item!.createdAt) / 1000) + 7 * 86_400);

    // The same record through the read API, without internal keys.
    const read = await getJson(`${pipeline.url}/inferences/${res.body.requestId}`);
    expect(read.status).toBe(200);
    const record = read.body.record ?? read.body;
    expect(record).toMatchObject({ requestId: res.body.requestId, status: 'SUCCESS', modelVersion: '1.0.0' });
    expect(record.pk).toBeUndefined();

    // And in the model version's time-range listing.
    const from = new Date(started - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const list = await getJson(`${pipeline.url}/inferences?modelVersion=1.0.0&from=${from}&to=${to}`);
    expect(list.status).toBe(200);
    const items = list.body.items ?? list.body.records;
    expect(items.map((r: { requestId: string }) => r.requestId)).toContain(res.body.requestId);
  });

  test('logs exactly one summary line per request, with the correlation id', async () => {
    const res = await postJson(`${pipeline.url}/predict`, { instances: [[6.0, 2.9, 4.5, 1.5]] });
    const summaries = logs.find('predict', (j) => j.message === SUMMARY_MESSAGE && j.correlation_id === res.body.requestId);
    expect(summaries).toHaveLength(1);
    expect(summaries[0]).toMatchObject({ outcome: 'success', statusCode: 200, modelVersion: '1.0.0', variant: 'AllTraffic' });
    const reports = logs.find('predict', (j) => j.type === 'platform.report');
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.at(-1).record.status).toBe('success');
  });

  test('the deployment record is written at start, as the stack writes it on deploy', async () => {
    const models = await getJson(`${pipeline.url}/models`);
    expect(models.status).toBe(200);
    const deployments = models.body.items ?? models.body.deployments ?? models.body.models;
    expect(deployments[0]).toMatchObject({
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'inference-dev-iris-classifier',
      stage: 'dev',
    });
  });

  test('a bad request gets a 4xx JSON error with the request id, recorded as an error', async () => {
    const res = await postJson(`${pipeline.url}/predict`, { instances: [[5.1, 3.5, 1.4]] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'ValidationError', requestId: expect.any(String) });
    expect(res.body.message).toMatch(/4/);
    const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
    const { Item } = await doc.send(new GetCommand({ TableName: pipeline.tableName, Key: keys.inference(res.body.requestId) }));
    expect(Item).toMatchObject({ status: 'ERROR', errorCode: 'ValidationError', httpStatus: 400 });
  });

  test('API Gateway behaviours: unknown route and wrong method are 403 in the gateway JSON shape', async () => {
    const unknown = await getJson(`${pipeline.url}/nothing-here`);
    expect(unknown.status).toBe(403);
    expect(unknown.body).toMatchObject({ error: 'MISSING_AUTHENTICATION_TOKEN', requestId: expect.any(String) });
    const wrongMethod = await fetch(`${pipeline.url}/predict`);
    expect(wrongMethod.status).toBe(403);
  });

  test('API Gateway behaviours: a body over 10 MB is 413 JSON; a malformed escape reaches the handler as it came', async () => {
    const huge = await fetch(`${pipeline.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: 'REQUEST_TOO_LARGE', requestId: expect.any(String) });
    const malformed = await getJson(`${pipeline.url}/inferences/%E0%A4%A`);
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: 'ValidationError', requestId: expect.any(String) });
  });

  test("serves the local dashboard with this run's metrics", async () => {
    const page = await fetch(pipeline.dashboardUrl);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<svg');
    const snapshot = (await (await fetch(`${pipeline.dashboardUrl}/metrics.json`)).json()) as {
      series: Array<{ source: string; metricName: string; points: { v: number }[] }>;
    };
    // The handler's own EMF metric, as CloudWatch would receive it.
    const inferences = snapshot.series.find((s) => s.source === 'emf' && s.metricName === 'Inferences');
    expect(inferences).toBeDefined();
    expect(inferences!.points.reduce((sum, p) => sum + p.v, 0)).toBeGreaterThanOrEqual(2);
  });
});
