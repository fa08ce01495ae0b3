/**
 * PAYLOAD_MODE governs everything the pipeline keeps: with `hash` (prod's default) and
 * `none`, no feature value, predicted label or probability reaches the table — records and
 * idempotency items alike — or any log line, on every path: success, replay, validation
 * errors, the fallback line of a table that is down. The whole local pipeline runs, with the
 * real iris model, so the predictions are real ones.
 *
 * The `none` pipeline runs the `hash` stage's bundle with PAYLOAD_MODE=none: the stacks
 * differ in nothing else for the prediction function.
 */
import type { LocalPipeline } from '../../tools/local/local-pipeline';
import { UNTHROTTLED, captureLogs, LogCapture, startPipeline, synthesizeOnce } from '../harness/local-harness';
import { predict, scanTable, send, withPredictSettings } from '../harness/security-pipeline';
import { valuesIn } from '../harness/security-scan';

/** Feature values written nowhere else: if one shows up, a payload leaked. */
const SECRET_ROWS = [
  [5.123456789, 3.987654321, 1.414213562, 0.271828182],
  [6.712345679, 3.198765432, 5.612345678, 2.498765432],
];
const FEATURES = SECRET_ROWS.flat().map(String);
/** Probabilities are keyed by label in every answer: a leaked output carries the label names. */
const LABELS = ['setosa', 'versicolor', 'virginica'];
const PAYLOAD = [...FEATURES, ...LABELS];
/** The model server logs its labels once when it starts: its configuration, not a payload. */
const isModelStartLine = (source: string, json: any) => source === 'model' && json?.message === 'model server listening';

const hashAssembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED, 'records.payloadMode': 'hash' });

describe.each(['hash', 'none'] as const)('PAYLOAD_MODE=%s keeps payload values out of the table and the logs', (mode) => {
  const assembly = mode === 'hash' ? hashAssembly : withPredictSettings(hashAssembly, { env: { PAYLOAD_MODE: 'none' } });
  let logs: LogCapture;
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    logs = captureLogs();
    pipeline = await startPipeline(assembly, { onLogLine: logs.onLogLine });
  });
  afterAll(() => pipeline?.stop());

  test('every path answers as usual: predictions, a replay, refusals', async () => {
    const ok = await predict(pipeline, { instances: SECRET_ROWS });
    expect(ok.status).toBe(200);
    expect(ok.json.predictions.map((p: { label: string }) => p.label)).toEqual(['setosa', 'virginica']);

    const key = { 'Idempotency-Key': `privacy-${mode}-0001` };
    const first = await predict(pipeline, { instances: SECRET_ROWS.slice(1) }, key);
    const replay = await predict(pipeline, { instances: SECRET_ROWS.slice(1) }, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.text).toBe(first.text); // the sealed answer opens for the same body

    const bad = [
      await predict(pipeline, `{"instances": [[5.123456789, 3.987654321, 1.414213562, "0.271828182"]]}`),
      await predict(pipeline, `{"instances": [[5.123456789, 3.987654321, 1.414213562, 0.271828182]], "virginica-5.123456789": 1}`),
      await predict(pipeline, `{"instances": [[5.123456789, 3.987654321, 1.414213562]]}`),
      await predict(pipeline, `{"instances": [[5.123456789, 3.987654321, 1.414213562, 1e400]]}`),
      await predict(pipeline, `{"instances": [[5.123456789, 3.987654321, 1.414213562, 0.27182`),
      await predict(pipeline, { instances: SECRET_ROWS }, { 'Idempotency-Key': `privacy-${mode}-0001` }), // another body: 409
    ];
    expect(bad.map((r) => r.status)).toEqual([400, 400, 400, 400, 400, 409]);
    expect(bad[0].json.message).toBe('instances[0][3] must be a finite number, got string');
    expect(bad[1].json.message).toBe('1 unknown field in request body; only instances is accepted');
    for (const r of bad) expect(valuesIn(r.text, PAYLOAD)).toEqual([]);
  });

  test('the table holds sizes (and with hash, hashes) only; the idempotency item holds its answer sealed', async () => {
    const items = await scanTable(pipeline);
    const records = items.filter((i) => i.pk.startsWith('INFERENCE#'));
    expect(records.length).toBeGreaterThanOrEqual(9);
    for (const record of records) {
      for (const part of [record.input, record.output].filter(Boolean)) {
        expect(Object.keys(part).sort()).toEqual(mode === 'hash' ? ['mode', 'sha256', 'sizeBytes'] : ['mode', 'sizeBytes']);
      }
    }
    const [keyItem] = items.filter((i) => i.pk.startsWith('IDEMPOTENCY#'));
    expect(keyItem.answer).toEqual({
      statusCode: 200,
      sealed: { iv: expect.any(String), tag: expect.any(String), data: expect.any(String) },
    });
    expect(valuesIn(JSON.stringify(items), FEATURES)).toEqual([]);
    // The deployment record keeps the model's training statistics, label names included: the model's configuration, not a payload.
    expect(valuesIn(JSON.stringify(items.filter((i) => i.pk !== 'DEPLOYMENT')), PAYLOAD)).toEqual([]);
  });

  test('the read API gives back no payload value either', async () => {
    const list = await send(`${pipeline.url}/inferences?modelVersion=1.0.0`);
    expect(list.status).toBe(200);
    expect(list.json.items.length).toBeGreaterThan(0);
    expect(valuesIn(list.text, PAYLOAD)).toEqual([]);
  });

  test('with the table down, the fallback lines keep the records without payload values', async () => {
    await pipeline.dynamoDb.close();
    const res = await predict(pipeline, { instances: SECRET_ROWS }, { 'Idempotency-Key': `privacy-${mode}-0002` });
    expect(res.status).toBe(200);
    expect((await predict(pipeline, `{"instances": [[5.123456789, "x"]]}`)).status).toBe(400);
    const fallbacks = logs.find('predict', (j) => j.message === 'inference record kept in log');
    expect(fallbacks).toHaveLength(2);
    expect(fallbacks[0].record.input).toEqual(
      mode === 'hash' ? { mode, sizeBytes: expect.any(Number), sha256: expect.any(String) } : { mode, sizeBytes: expect.any(Number) },
    );
  });

  test('no log line of any part carries a payload value', () => {
    const scanned = logs.lines.filter((l) => !isModelStartLine(l.source, l.json));
    expect(new Set(scanned.map((l) => l.source))).toEqual(new Set(['predict', 'read', 'recorder', 'model']));
    const leaked = scanned.filter((l) => valuesIn(l.line, PAYLOAD).length > 0);
    expect(leaked.map((l) => `${l.source}: ${l.line.slice(0, 200)}`)).toEqual([]);
  });
});
