import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { LAKE_COLUMNS, TRAIL_COLUMNS, trailType } from '../../../lib/audit/cloudtrail-schema';
import { lakeViewSelect, partitionDay } from '../../../lib/audit/lake-view';
import { TRAIL_TABLE, TrailTableEngine, deliveryDay, deliveryRegion } from '../../../tools/runbook/trail-table-engine';
import { TRAIL_FIXTURES } from '../../harness/audit-engine';

describe('the trail table, shaped like the Glue table', () => {
  let engine: TrailTableEngine;
  beforeAll(async () => {
    engine = await TrailTableEngine.create();
  });
  afterAll(() => engine.close());

  test('has exactly the Glue columns (one definition), then the region and day partitions', async () => {
    const described = await engine.query(
      `SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '${TRAIL_TABLE}' ORDER BY ordinal_position`,
    );
    expect(described.rows.map((r) => r.column_name)).toEqual([...TRAIL_COLUMNS.map((c) => c.name), 'region', 'timestamp']);
    const type = (name: string) => described.rows.find((r) => r.column_name === name)!.data_type;
    // Strings where AWS's DDL has strings; structs where it has structs.
    expect(type('eventtime')).toBe('VARCHAR');
    expect(type('requestparameters')).toBe('VARCHAR');
    expect(type('readonly')).toBe('VARCHAR');
    expect(type('useridentity')).toMatch(/^STRUCT\("type" VARCHAR, principalid VARCHAR, arn VARCHAR/);
    expect(TRAIL_COLUMNS.find((c) => c.name === 'useridentity')!.type).toBe(trailType(LAKE_COLUMNS.userIdentity));
  });

  test('loads a trail layout: partitions from the key, digest files skipped', async () => {
    const loaded = await engine.load(TRAIL_FIXTURES);
    expect(loaded).toEqual({ files: 9, records: 39 });
    const days = await engine.query(`SELECT region, "timestamp", count(*) AS n FROM ${TRAIL_TABLE} GROUP BY 1, 2 ORDER BY 2`);
    expect(days.rows.map((r) => `${r.region} ${r.timestamp} ${r.n}`)).toEqual([
      'eu-west-1 2024/05/01 3',
      'eu-west-1 2024/05/02 1',
      'eu-west-1 2024/05/03 1',
      'eu-west-1 2024/05/04 1',
      'eu-west-1 2024/05/05 1',
      'eu-west-1 2024/05/09 1',
      'eu-west-1 2024/05/10 29',
      'eu-west-1 2024/05/11 2',
    ]);
  });

  test('the Lake view gives Lake types: a timestamp, booleans, maps of text with nested JSON and no nulls', async () => {
    const view = lakeViewSelect('duckdb', { table: TRAIL_TABLE, days: { from: '2024/05/10', to: '2024/05/10' } });
    const rows = await engine.query(
      `SELECT typeof(eventTime) AS t, typeof(readOnly) AS b, typeof(requestParameters) AS m, count(*) AS n FROM (${view}) GROUP BY 1, 2, 3`,
    );
    expect(rows.rows).toEqual([{ t: 'TIMESTAMP', b: 'BOOLEAN', m: 'MAP(VARCHAR, VARCHAR)', n: '29' }]);
    // Day pruning: only the 2024/05/10 partition was read.
    const batch = await engine.query(
      `SELECT element_at(requestParameters, 'requestItems') AS items FROM (${view}) WHERE eventName = 'BatchGetItem'`,
    );
    expect(JSON.parse(batch.rows[0].items!)).toEqual(expect.any(Object));
  });
});

describe('delivery keys', () => {
  test('day and region come from the S3 key, else the file name, else the first event', () => {
    expect(deliveryDay('x/AWSLogs/1/CloudTrail/eu-west-1/2024/05/10/f.json.gz')).toBe('2024/05/10');
    expect(deliveryDay('/exports/111122223333_CloudTrail_us-east-1_20230710T1145Z_abc.json')).toBe('2023/07/10');
    expect(deliveryDay('/exports/flat.json', { eventTime: '2022-01-02T03:04:05Z' })).toBe('2022/01/02');
    expect(deliveryRegion('x/AWSLogs/1/CloudTrail/ap-southeast-2/2024/05/10/f.json.gz')).toBe('ap-southeast-2');
    expect(deliveryRegion('/e/111122223333_CloudTrail_us-east-1_20230710T1145Z_abc.json')).toBe('us-east-1');
    expect(deliveryRegion('/e/flat.json', { awsRegion: 'eu-central-1' })).toBe('eu-central-1');
  });

  test('partition days for the view: UTC, shifted by whole days; bad values refused', () => {
    expect(partitionDay('2024-05-10 23:59:59')).toBe('2024/05/10');
    expect(partitionDay('2024-12-31 10:00:00', 1)).toBe('2025/01/01');
    expect(() => partitionDay('yesterday')).toThrow("not a UTC time: 'yesterday'");
    expect(() => lakeViewSelect('athena', { table: 't', days: { from: "2024/05/10' OR 1=1", to: '2024/05/11' } })).toThrow(
      "partition day must be yyyy/MM/dd, got '2024/05/10' OR 1=1'",
    );
  });

  test('a gzip trail file that is cut short stops the load with its name', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'trail-cut-'));
    const file = path.join(dir, 'AWSLogs', '1', 'CloudTrail', 'eu-west-1', '2024', '05', '10', 'f.json.gz');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, zlib.gzipSync('{"Records": []}').subarray(0, 12));
    const engine = await TrailTableEngine.create();
    try {
      await expect(engine.load(dir)).rejects.toThrow(`${file}: truncated or corrupt gzip data`);
    } finally {
      engine.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
