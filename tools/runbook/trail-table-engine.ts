import * as path from 'path';
import {
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBType,
  DuckDBValue,
  LIST,
  MAP,
  STRUCT,
  VARCHAR,
  listValue,
  mapValue,
  structValue,
} from '@duckdb/node-api';
import { FieldType, TRAIL_COLUMNS, TRAIL_PARTITION_KEY, field, lakeString } from '../../lib/audit/cloudtrail-schema';
import { TRINO_MACROS, duckRows } from './offline-engine';
import { QueryRows } from './query-result';
import { isObject, listTrailFiles, readTrailFile } from './trail-files';

/**
 * Athena's side of the query library, offline: a DuckDB table shaped like the trail's Glue
 * table (the same lowercase columns and Hive types, strings where AWS's CloudTrail DDL has
 * strings, plus the `region` and `timestamp` partitions of each file's key), read through the
 * Lake-shaped view exactly as Athena reads it. The only difference from Athena is the view's
 * map conversion, which each engine spells in its own functions (lib/audit/lake-view.ts).
 */
export const TRAIL_TABLE = 'cloudtrail_trail';

export class TrailTableEngine {
  static async create(): Promise<TrailTableEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const macro of TRINO_MACROS) await connection.run(macro);
    const columns = TRAIL_COLUMNS.map((c) => `"${c.name}" ${sqlType(c.lakeType, false)}`);
    await connection.run(`CREATE TABLE ${TRAIL_TABLE} (${columns.join(', ')}, "region" VARCHAR, "${TRAIL_PARTITION_KEY}" VARCHAR)`);
    return new TrailTableEngine(instance, connection);
  }

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Loads trail files as the JSON SerDe reads them; every file's partition from its key. */
  async load(target: string): Promise<{ files: number; records: number }> {
    const files = listTrailFiles(target);
    const parsed = await Promise.all(files.map(readTrailFile));
    const appender = await this.connection.createAppender(TRAIL_TABLE);
    let records = 0;
    try {
      for (const { file, records: list } of parsed) {
        const day = deliveryDay(file, list[0]);
        const region = deliveryRegion(file, list[0]);
        for (const record of list) {
          appendRecord(appender, record, region, day);
          records++;
        }
      }
    } finally {
      appender.closeSync();
    }
    return { files: files.length, records };
  }

  async query(sql: string): Promise<QueryRows> {
    return duckRows(await this.connection.runAndReadAll(sql));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/**
 * The `yyyy/MM/dd` partition a file is in: its S3 key's date folders
 * (`AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/`), else the delivery time in its
 * name (`<account>_CloudTrail_<region>_<yyyyMMdd>T<HHmm>Z_<id>.json.gz`), else its first event.
 */
export function deliveryDay(file: string, first?: Record<string, unknown>): string {
  const folders = /(\d{4})[/\\](\d{2})[/\\](\d{2})[/\\][^/\\]+$/.exec(file);
  if (folders) return `${folders[1]}/${folders[2]}/${folders[3]}`;
  const named = /_(\d{4})(\d{2})(\d{2})T\d{4}Z_/.exec(path.basename(file));
  if (named) return `${named[1]}/${named[2]}/${named[3]}`;
  return String(first?.eventTime ?? '')
    .slice(0, 10)
    .replace(/-/g, '/');
}

/** The `region` partition: `.../CloudTrail/<region>/...`, else the region in the file name, else the first event's. */
export function deliveryRegion(file: string, first?: Record<string, unknown>): string {
  const folder = /[/\\]CloudTrail[/\\]([a-z]{2}(?:-[a-z]+)+-\d)[/\\]/.exec(file);
  if (folder) return folder[1];
  const named = /_CloudTrail_([a-z]{2}(?:-[a-z]+)+-\d)_/.exec(path.basename(file));
  return named ? named[1] : String(first?.awsRegion ?? '');
}

function appendRecord(appender: DuckDBAppender, record: Record<string, unknown>, region: string, day: string): void {
  for (const column of TRAIL_COLUMNS) {
    const value = hiveValue(column.lakeType, field(record, column.lakeName), false);
    if (value === null) appender.appendNull();
    else appender.appendValue(value, duckType(column.lakeType, false));
  }
  appender.appendVarchar(region);
  appender.appendVarchar(day);
  appender.endRow();
}

/** A JSON value as the Hive JSON SerDe gives it for the column's type (string columns get JSON text). */
function hiveValue(type: FieldType, raw: unknown, nested: boolean): DuckDBValue {
  if (raw === null || raw === undefined) return null;
  if (type === 'varchar' || type === 'timestamp' || type === 'boolean' || (type === 'map' && !nested)) return lakeString(raw);
  if (type === 'map') {
    if (!isObject(raw)) return null;
    return mapValue(
      Object.entries(raw)
        .filter(([, v]) => v !== null && v !== undefined)
        .map(([key, v]) => ({ key, value: lakeString(v) })),
    );
  }
  if ('struct' in type) {
    if (!isObject(raw)) return null;
    const entries: Record<string, DuckDBValue> = {};
    for (const [name, sub] of Object.entries(type.struct)) entries[name.toLowerCase()] = hiveValue(sub, field(raw, name), true);
    return structValue(entries);
  }
  if (!Array.isArray(raw)) return null;
  return listValue(raw.map((item) => hiveValue(type.list, item, true)));
}

function duckType(type: FieldType, nested: boolean): DuckDBType {
  if (type === 'varchar' || type === 'timestamp' || type === 'boolean' || (type === 'map' && !nested)) return VARCHAR;
  if (type === 'map') return MAP(VARCHAR, VARCHAR);
  if ('struct' in type) {
    const entries: Record<string, DuckDBType> = {};
    for (const [name, sub] of Object.entries(type.struct)) entries[name.toLowerCase()] = duckType(sub, true);
    return STRUCT(entries);
  }
  return LIST(duckType(type.list, true));
}

function sqlType(type: FieldType, nested: boolean): string {
  if (type === 'varchar' || type === 'timestamp' || type === 'boolean' || (type === 'map' && !nested)) return 'VARCHAR';
  if (type === 'map') return 'MAP(VARCHAR, VARCHAR)';
  if ('struct' in type)
    return `STRUCT(${Object.entries(type.struct)
      .map(([name, sub]) => `"${name.toLowerCase()}" ${sqlType(sub, true)}`)
      .join(', ')})`;
  return `${sqlType(type.list, true)}[]`;
}
