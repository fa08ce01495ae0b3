import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { FALLBACK_MESSAGE, SUMMARY_MESSAGE } from '../../../contract/handlers';
import { keys } from '../../../contract/table-design';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { UNTHROTTLED, captureLogs, postJson, startFaultyModelServer, startPipeline, synthesizeOnce } from '../../harness/local-harness';

const ROW = { instances: [[5.1, 3.5, 1.4, 0.2]] };

/**
 * Faults, each asserted on what the client gets, what is recorded and what is logged.
 * The model server here is a real HTTP server that a test switches into a failure mode.
 */
describe('local pipeline: endpoint faults', () => {
  // Short SDK timeout so "too slow" is quick to prove: 2 attempts x 400 ms.
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED, 'functions.invokeTimeoutMs': '400', 'functions.timeoutSec': '5' });
  const logs = captureLogs();
  let model: Awaited<ReturnType<typeof startFaultyModelServer>>;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    model = await startFaultyModelServer();
    pipeline = await startPipeline(assembly, { modelUrl: model.url, onLogLine: logs.onLogLine });
  });
  afterAll(async () => {
    await pipeline?.stop();
    await model?.close();
  });

  async function recordOf(requestId: string) {
    const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
    return (await doc.send(new GetCommand({ TableName: pipeline.tableName, Key: keys.inference(requestId) }))).Item;
  }
  function summaryOf(requestId: string) {
    const lines = logs.find('predict', (j) => j.message === SUMMARY_MESSAGE && j.correlation_id === requestId);
    expect(lines).toHaveLength(1);
    return lines[0];
  }

  test.each([
    ['error-500', 502, 'ModelError'],
    ['reject-400', 422, 'ModelRejectedInput'],
    ['slow', 504, 'EndpointTimeout'],
  ] as const)('model server %s -> %i %s, recorded and logged as such', async (mode, status, kind) => {
    model.setMode(mode);
    const res = await postJson(`${pipeline.url}/predict`, ROW);
    model.setMode('ok');
    expect(res.status).toBe(status);
    expect(res.body).toMatchObject({ error: kind, requestId: expect.any(String) });
    expect(JSON.stringify(res.body)).not.toMatch(/at .*\.js|arn:aws|stack/i);
    expect(await recordOf(res.body.requestId)).toMatchObject({
      status: 'ERROR',
      errorCode: kind,
      httpStatus: status,
      gsi2pk: expect.stringMatching(/^FAILED#/),
    });
    expect(summaryOf(res.body.requestId)).toMatchObject({ outcome: 'error', errorKind: kind, statusCode: status });
  });

  test('the model server down -> a defined 5xx, recorded', async () => {
    const down = await startFaultyModelServer();
    const other = await startPipeline(assembly, { modelUrl: down.url, onLogLine: logs.onLogLine });
    try {
      await down.close();
      const res = await postJson(`${other.url}/predict`, ROW);
      expect(res.status).toBe(502);
      expect(res.body.error).toBe('ModelError');
      const doc = DynamoDBDocumentClient.from(other.dynamoDb.client);
      const { Item } = await doc.send(new GetCommand({ TableName: other.tableName, Key: keys.inference(res.body.requestId) }));
      expect(Item).toMatchObject({ status: 'ERROR', errorCode: 'ModelError' });
    } finally {
      await other.stop();
    }
  });

  test('the table down: the client still gets its prediction, the whole record is in the log and counted', async () => {
    const other = await startPipeline(assembly, { modelUrl: model.url, onLogLine: logs.onLogLine });
    try {
      await other.dynamoDb.close();
      const res = await postJson(`${other.url}/predict`, ROW);
      expect(res.status).toBe(200);
      expect(res.body.predictions).toHaveLength(1);
      const [fallback] = logs.find('predict', (j) => j.message === FALLBACK_MESSAGE && j.record?.requestId === res.body.requestId);
      expect(fallback.level).toBe('ERROR');
      expect(fallback.record).toMatchObject({
        ...keys.inference(res.body.requestId),
        status: 'SUCCESS',
        modelVersion: '1.0.0',
        input: { mode: 'full', body: JSON.stringify(ROW) },
      });
      const metric = logs.find('predict', (j) => j._aws && j.RecordWriteFallbacks === 1);
      expect(metric.length).toBeGreaterThanOrEqual(1);
    } finally {
      await other.stop();
    }
  });
});
