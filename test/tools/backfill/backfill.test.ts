/**
 * No record is lost: with the table down, the local pipeline answers and logs each record
 * whole; with the table back, the backfill puts every one of them back — field for field —
 * and running it again writes nothing. Lines that were edited or damaged are refused and
 * counted. The pipeline writes its real log file (.local/STAGE/logs/pipeline.jsonl format).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { GetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FALLBACK_MESSAGE } from '../../../contract/handlers';
import { recordChecksum } from '../../../lambda/shared/record';
import { keys } from '../../../contract/table-design';
import { runBackfill, BackfillArgs } from '../../../tools/backfill/command';
import { LocalDynamoDb, startLocalDynamoDb } from '../../../tools/local/local-dynamodb';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { UNTHROTTLED, captureLogs, startFaultyModelServer, startPipeline, synthesizeOnce } from '../../harness/local-harness';
import { predict } from '../../harness/security-pipeline';
import { SWC_REGISTER } from '../../harness/repo';

const ROOT = path.join(__dirname, '..', '..', '..');
const ROW = { instances: [[5.1, 3.5, 1.4, 0.2]] };

describe('backfill of the records the table refused', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  const logs = captureLogs();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'backfill-'));
  let model: Awaited<ReturnType<typeof startFaultyModelServer>>;
  let pipeline: LocalPipeline;
  let table: LocalDynamoDb;
  /** The fallback lines the function logged while the table was down, by request id. */
  const fallbacks = new Map<string, any>();
  let logFile: string;

  beforeAll(async () => {
    model = await startFaultyModelServer();
    pipeline = await startPipeline(assembly, { inMemory: false, dataDir, modelUrl: model.url, onLogLine: logs.onLogLine });
    logFile = pipeline.logFile!;
    expect((await predict(pipeline, ROW)).status).toBe(200); // recorded while the table is up

    // The table goes down; requests are still answered, their records go to the log.
    await pipeline.dynamoDb.close();
    const answers = [
      await predict(pipeline, ROW),
      await predict(pipeline, {
        instances: [
          [6.7, 3.1, 5.6, 2.4],
          [4.9, 3.0, 1.4, 0.2],
        ],
      }),
      await predict(pipeline, { instances: [[1, 2, 3]] }), // a validation error is recorded too
      await predict(pipeline, ROW, { 'Idempotency-Key': 'backfill-key-0001' }), // its key cannot be checked: unchecked
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 200]);
    for (const line of logs.find('predict', (j) => j.message === FALLBACK_MESSAGE)) fallbacks.set(line.record.requestId, line);
    expect([...fallbacks.keys()].sort()).toEqual(answers.map((a) => a.headers.get('x-request-id')).sort());
    await pipeline.stop();

    // The table comes back, from the same data folder.
    table = await startLocalDynamoDb({ tableName: assembly.tableName, dataDir: path.join(dataDir, 'dynamodb') });
  });
  afterAll(async () => {
    await table?.close();
    await model?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function run(args: Partial<BackfillArgs> & { from: string }, stdin?: NodeJS.ReadableStream) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runBackfill(
      { table: assembly.tableName, 'dry-run': false, 'endpoint-url': table.url, ...args },
      { out: (l) => out.push(l), err: (l) => err.push(l), env: {}, stdin },
    );
    return { code, out: out.join('\n'), err };
  }

  async function item(requestId: string) {
    const doc = DynamoDBDocumentClient.from(table.client);
    return (await doc.send(new GetCommand({ TableName: assembly.tableName, Key: keys.inference(requestId), ConsistentRead: true }))).Item;
  }

  test('the records were logged whole, with their checksum, and are not in the table', async () => {
    for (const [requestId, line] of fallbacks) {
      expect(line).toMatchObject({
        level: 'ERROR',
        correlation_id: requestId,
        recordSha256: recordChecksum(line.record),
        writeError: { errorName: expect.any(String) },
      });
      expect(await item(requestId)).toBeUndefined();
    }
    const keyed = [...fallbacks.values()].find((l) => l.record.idempotency);
    expect(keyed.record.idempotency).toEqual({ key: 'backfill-key-0001', outcome: 'unchecked' });
  });

  test('a dry run counts and sends nothing', async () => {
    const result = await run({ from: logFile, 'dry-run': true, 'endpoint-url': 'http://127.0.0.1:9' });
    expect(result.code).toBe(0);
    expect(result.out).toContain('fallback lines found: 4');
    expect(result.out).toContain('would write:      4 (dry run: nothing was sent)');
    for (const requestId of fallbacks.keys()) expect(await item(requestId)).toBeUndefined();
  });

  test('puts every record back, field for field; a second run writes nothing and says they are present', async () => {
    const first = await run({ from: logFile });
    expect(first).toMatchObject({ code: 0, err: [] });
    expect(first.out).toContain('fallback lines found: 4');
    expect(first.out).toContain('written:          4');
    expect(first.out).toContain('already present:  0');
    for (const [requestId, line] of fallbacks) expect(await item(requestId)).toEqual(line.record);

    const again = await run({ from: path.dirname(logFile) }); // the folder: the same file, found again
    expect(again.code).toBe(0);
    expect(again.out).toContain('written:          0');
    expect(again.out).toContain('already present:  4');
    for (const [requestId, line] of fallbacks) expect(await item(requestId)).toEqual(line.record);
  });

  test('reads the CloudWatch shapes: filter-log-events JSON, an S3 export (gzip, timestamped), standard input', async () => {
    const lines = [...fallbacks.values()].map((l) => JSON.stringify(l));
    const dir = fs.mkdtempSync(path.join(dataDir, 'exports-'));
    const events = lines.map((message, i) => ({
      logStreamName: '2026/01/01/[$LATEST]abc',
      timestamp: 1_700_000_000_000 + i,
      message: `${message}\n`,
      ingestionTime: 1_700_000_000_500,
      eventId: String(i),
    }));
    fs.writeFileSync(path.join(dir, 'filter-log-events.json'), JSON.stringify({ events, searchedLogStreams: [] }, null, 4));
    fs.writeFileSync(path.join(dir, '000000.gz'), zlib.gzipSync(lines.map((l) => `2026-01-01T00:00:00.000Z ${l}`).join('\n')));

    const fromFolder = await run({ from: dir, 'dry-run': true });
    expect(fromFolder.out).toContain('fallback lines found: 8');
    expect(fromFolder.out).toContain('would write:      4');
    expect(fromFolder.out).toContain('duplicates:       4');

    const fromStdin = await run({ from: '-' }, Readable.from(events.map((e) => `${JSON.stringify(e)}\n`)));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.out).toContain('already present:  4');
  });

  test('refuses and counts lines that were edited or damaged, and writes the rest', async () => {
    const [a, b, c, d] = [...fallbacks.values()];
    const edited = { ...a, record: { ...a.record, httpStatus: 500 } }; // checksum no longer matches
    const forgedRecord = { ...b.record, ...keys.inference('someone-else') }; // points at another item
    const forged = { ...b, record: forgedRecord, recordSha256: recordChecksum(forgedRecord) };
    const extraRecord = { ...c.record, isAdmin: true };
    const extra = { ...c, record: extraRecord, recordSha256: recordChecksum(extraRecord) };
    const cut = JSON.stringify(d).slice(0, 200);
    const fresh = {
      ...d,
      record: {
        ...d.record,
        requestId: 'backfill-fresh-1',
        ...keys.inference('backfill-fresh-1'),
        // The index keys follow from the new id: its shard is a hash of the id, not the old record's.
        ...keys.byModelVersion(d.record.modelVersion, d.record.createdAt, 'backfill-fresh-1', assembly.config.records.shards),
      },
    };
    fresh.recordSha256 = recordChecksum(fresh.record);
    const file = path.join(dataDir, 'tampered.jsonl');
    fs.writeFileSync(
      file,
      [edited, forged, extra]
        .map((l) => JSON.stringify(l))
        .concat(cut, JSON.stringify(fresh), '{"level":"INFO","message":"inference summary"}')
        .join('\n'),
    );

    const result = await run({ from: file });

    expect(result.code).toBe(3);
    expect(result.out).toContain('fallback lines found: 5');
    expect(result.out).toContain('written:          1');
    expect(result.out).toContain('invalid:          4');
    expect(result.err).toEqual([
      `${file}:1: request ${a.record.requestId}: the record does not match its checksum (the line was edited or damaged)`,
      `${file}:2: request ${b.record.requestId}: pk does not follow from the request id, model version, time and status`,
      `${file}:3: request ${c.record.requestId}: the record has 1 unknown attribute(s)`,
      `${file}:4: the fallback line is not valid JSON (cut short or damaged)`,
    ]);
    expect(await item('backfill-fresh-1')).toEqual(fresh.record);
    expect(await item('someone-else')).toBeUndefined();
    expect(await item(a.record.requestId)).toEqual(a.record); // the edit did not overwrite it
  });

  test('as a command: `npm run backfill` prints the counts and exits 0; --log-group is refused with the way out', async () => {
    const exec = promisify(execFile);
    const bin = ['-r', SWC_REGISTER, path.join(ROOT, 'tools', 'backfill', 'main.ts')];
    const { stdout } = await exec(
      process.execPath,
      [...bin, '--table', assembly.tableName, '--from', logFile, '--endpoint-url', table.url],
      { cwd: ROOT, env: { PATH: process.env.PATH } },
    );
    expect(stdout).toContain('fallback lines found: 4');
    expect(stdout).toContain('already present:  4');

    const refused = await exec(process.execPath, [...bin, '--table', 't', '--log-group', '/aws/lambda/x'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH },
    }).catch((e) => e);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--log-group needs @aws-sdk/client-cloudwatch-logs');
  });
});
