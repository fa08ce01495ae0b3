import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { OFFLINE_TABLE, OfflineEngine } from '../../../tools/runbook/offline-engine';
import { TrailFileError } from '../../../tools/runbook/trail-files';
import { INCIDENT_FIXTURES, INVICTUS } from '../../harness/audit-engine';

const count = async (engine: OfflineEngine, where = 'TRUE') =>
  (await engine.query(`SELECT count(*) AS n FROM ${OFFLINE_TABLE} WHERE ${where}`)).rows[0].n;

describe('offline engine on the real invictus data set', () => {
  let engine: OfflineEngine;
  let loadMs: number;
  beforeAll(async () => {
    engine = await OfflineEngine.create();
    const summary = await engine.load(INVICTUS);
    expect(summary).toMatchObject({ files: 55, records: 2900 });
    loadMs = summary.milliseconds;
  });
  afterAll(() => engine.close());

  test('loads all 2,900 records from the 55 trail files, skipping LICENSE and SOURCE', async () => {
    expect(await count(engine)).toBe('2900');
    expect(loadMs).toBeLessThan(15_000);
  });

  test('keeps error codes: 300 records, AccessDenied, UnauthorizedOperation and Throttling among them', async () => {
    const { rows } = await engine.query(
      `SELECT errorCode, count(*) AS n FROM ${OFFLINE_TABLE} WHERE errorCode IS NOT NULL GROUP BY errorCode ORDER BY n DESC, errorCode`,
    );
    const byCode = Object.fromEntries(rows.map((r) => [r.errorCode, r.n]));
    expect(rows.reduce((sum, r) => sum + Number(r.n), 0)).toBe(300);
    expect(byCode).toMatchObject({ ThrottlingException: '102', 'Client.UnauthorizedOperation': '44', AccessDenied: '16' });
  });

  test('tolerates null requestParameters: NULL map, element_at gives NULL instead of failing', async () => {
    expect(await count(engine, 'requestParameters IS NULL')).toBe('333');
    const { rows } = await engine.query(
      `SELECT count(element_at(requestParameters, 'bucketName')) AS named FROM ${OFFLINE_TABLE} WHERE requestParameters IS NULL`,
    );
    expect(rows[0].named).toBe('0');
  });

  test("has CloudTrail Lake's column names and types", async () => {
    const { rows } = await engine.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${OFFLINE_TABLE}' ORDER BY ordinal_position`,
    );
    // DuckDB quotes only the field names that are keywords (type); compare without quotes.
    const types = Object.fromEntries(rows.map((r) => [r.column_name, (r.data_type as string).replace(/"/g, '')]));
    expect(types).toMatchObject({
      eventVersion: 'VARCHAR',
      eventTime: 'TIMESTAMP',
      eventSource: 'VARCHAR',
      errorCode: 'VARCHAR',
      requestParameters: 'MAP(VARCHAR, VARCHAR)',
      responseElements: 'MAP(VARCHAR, VARCHAR)',
      additionalEventData: 'MAP(VARCHAR, VARCHAR)',
      readOnly: 'BOOLEAN',
      managementEvent: 'BOOLEAN',
      recipientAccountId: 'VARCHAR',
      eventJson: 'VARCHAR',
    });
    expect(types.userIdentity).toMatch(
      /^STRUCT\(type VARCHAR, principalId VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR, userName VARCHAR, sessionContext STRUCT\(attributes STRUCT\(creationDate TIMESTAMP, mfaAuthenticated VARCHAR\), sessionIssuer STRUCT\(type VARCHAR, principalId VARCHAR, arn VARCHAR/,
    );
    expect(types.resources).toBe('STRUCT(accountId VARCHAR, type VARCHAR, ARN VARCHAR, arnPrefix VARCHAR)[]');
    expect(types.tlsDetails).toBe('STRUCT(tlsVersion VARCHAR, cipherSuite VARCHAR, clientProvidedHostHeader VARCHAR)');
  });

  test('reads nested values as Lake does: struct fields, map values as JSON text, eventTime as a timestamp', async () => {
    const { rows } = await engine.query(
      `SELECT eventTime, userIdentity.sessionContext.attributes.mfaAuthenticated AS mfa, element_at(responseElements, 'accessKey') AS accessKey
       FROM ${OFFLINE_TABLE} WHERE eventName = 'CreateAccessKey' ORDER BY eventTime LIMIT 1`,
    );
    expect(rows[0].eventTime).toBe('2023-07-10 12:24:29.000');
    expect(JSON.parse(rows[0].accessKey as string)).toMatchObject({ accessKeyId: 'AKIATFQR7NSC3ZO6PKAZ', status: 'Active' });
    expect(await count(engine, "eventTime >= '2023-07-10 12:00:00' AND eventTime < '2023-07-10 12:05:00'")).not.toBe('0');
  });
});

describe('offline engine input checks', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-trail-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const fixtureFile = () => {
    const found: string[] = [];
    const walk = (d: string) =>
      fs
        .readdirSync(d, { withFileTypes: true })
        .forEach((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : found.push(path.join(d, e.name))));
    walk(INCIDENT_FIXTURES);
    return found.sort()[0];
  };

  const loadError = async (target: string): Promise<Error> => {
    const engine = await OfflineEngine.create();
    try {
      await engine.load(target);
    } catch (e) {
      return e as Error;
    } finally {
      engine.close();
    }
    throw new Error('expected the load to fail');
  };

  test('reads gzipped trail files as delivered, recursively, and ignores digest files', async () => {
    const text = fs.readFileSync(fixtureFile());
    fs.mkdirSync(path.join(dir, 'AWSLogs', 'CloudTrail', '2024'), { recursive: true });
    fs.mkdirSync(path.join(dir, 'AWSLogs', 'CloudTrail-Digest'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'AWSLogs', 'CloudTrail', '2024', 'trail.json.gz'), zlib.gzipSync(text));
    fs.writeFileSync(path.join(dir, 'AWSLogs', 'CloudTrail-Digest', 'digest.json.gz'), zlib.gzipSync('{"digestStartTime":"x"}'));
    const engine = await OfflineEngine.create();
    const summary = await engine.load(dir);
    expect(summary).toMatchObject({ files: 1, records: JSON.parse(text.toString()).Records.length });
    engine.close();
  });

  test('a truncated JSON file is refused with its name', async () => {
    const file = path.join(dir, 'cut.json');
    const text = fs.readFileSync(fixtureFile(), 'utf8');
    fs.writeFileSync(file, text.slice(0, Math.floor(text.length / 2)));
    const error = await loadError(file);
    expect(error).toBeInstanceOf(TrailFileError);
    expect(error.message).toMatch(new RegExp(`^${escape(file)}: not valid JSON, the file is truncated or malformed`));
  });

  test('a truncated gzip file is refused with its name', async () => {
    const file = path.join(dir, 'cut.json.gz');
    const gz = zlib.gzipSync(fs.readFileSync(fixtureFile()));
    fs.writeFileSync(file, gz.subarray(0, gz.length - 40));
    const error = await loadError(file);
    expect(error.message).toMatch(new RegExp(`^${escape(file)}: truncated or corrupt gzip data`));
  });

  test('JSON that is not a CloudTrail log, and records without a time, are refused', async () => {
    fs.writeFileSync(path.join(dir, 'a.json'), '{"records": []}');
    expect((await loadError(path.join(dir, 'a.json'))).message).toContain(
      'a.json: not a CloudTrail log file (expected an object with a "Records" array)',
    );
    fs.writeFileSync(path.join(dir, 'b.json'), '{"Records": [{"eventName": "x"}]}');
    expect((await loadError(path.join(dir, 'b.json'))).message).toContain('b.json: record 0 has no valid eventTime');
    fs.writeFileSync(path.join(dir, 'c.json.gz'), 'plain text');
    expect((await loadError(path.join(dir, 'c.json.gz'))).message).toContain('c.json.gz: named .gz but is not gzip data');
  });

  test('a bad file in a folder fails the whole load and leaves the table empty', async () => {
    fs.copyFileSync(fixtureFile(), path.join(dir, 'good.json'));
    fs.writeFileSync(path.join(dir, 'bad.json'), '{"Records": [');
    const engine = await OfflineEngine.create();
    await expect(engine.load(dir)).rejects.toThrow(/bad\.json: not valid JSON/);
    expect(await count(engine)).toBe('0');
    engine.close();
  });

  test('missing paths and folders without trail files are reported', async () => {
    expect((await loadError(path.join(dir, 'nope'))).message).toBe(`${path.join(dir, 'nope')}: no such file or folder`);
    expect((await loadError(dir)).message).toBe(`${dir}: no .json or .json.gz CloudTrail files in this folder`);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
