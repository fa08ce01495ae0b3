import {
  BOOLEAN,
  DuckDBAppender,
  DuckDBConnection,
  DuckDBInstance,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBResultReader,
  DuckDBStructValue,
  DuckDBTimestampValue,
  DuckDBType,
  DuckDBValue,
  LIST,
  MAP,
  STRUCT,
  TIMESTAMP,
  VARCHAR,
  listValue,
  mapValue,
  structValue,
} from '@duckdb/node-api';
import { FieldType, LAKE_COLUMNS, field, lakeString } from '../../lib/audit/cloudtrail-schema';
import { QueryRows } from './query-result';
import { isObject, listTrailFiles, readTrailFile } from './trail-files';

/**
 * CloudTrail Lake, offline: an in-memory DuckDB table with Lake's columns and types, loaded from
 * the JSON files trails deliver, so the query library can be tested before an incident and run
 * on exported logs when no event data store exists. Queries run unchanged apart from the FROM
 * target (`$EDS` becomes {@link OFFLINE_TABLE}).
 */
export const OFFLINE_TABLE = 'cloudtrail_events';

/**
 * Trino functions the query library may use that DuckDB lacks or spells differently.
 * `element_at` on a map returns a one-element list in DuckDB and the value in Trino: the macro
 * gives Trino's meaning (maps only: on arrays, use `split_part` or `[i]`, which both engines share).
 */
export const TRINO_MACROS = [
  'CREATE MACRO element_at(m, k) AS map_extract_value(m, k)',
  'CREATE MACRO array_join(l, sep) AS array_to_string(l, sep)',
  'CREATE MACRO regexp_like(s, pattern) AS regexp_matches(s, pattern)',
  'CREATE MACRO json_extract_scalar(j, p) AS json_extract_string(j, p)',
  'CREATE MACRO json_parse(s) AS json(s)',
  'CREATE MACRO json_format(j) AS CAST(j AS VARCHAR)',
  'CREATE MACRO from_iso8601_timestamp(s) AS CAST(s AS TIMESTAMP)',
];

export interface LoadSummary {
  readonly files: number;
  readonly records: number;
  readonly milliseconds: number;
}

export class OfflineEngine {
  /** An engine with the Lake table created and empty. */
  static async create(): Promise<OfflineEngine> {
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const macro of TRINO_MACROS) await connection.run(macro);
    const columns = Object.entries(LAKE_COLUMNS).map(([name, type]) => `${quote(name)} ${sqlType(type)}`);
    await connection.run(`CREATE TABLE ${OFFLINE_TABLE} (${columns.join(', ')})`);
    return new OfflineEngine(instance, connection);
  }

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  /** Loads every trail file at `target` (a file or a folder, recursively). All or nothing per call. */
  async load(target: string): Promise<LoadSummary> {
    const started = Date.now();
    const files = listTrailFiles(target);
    // Read and validate everything before appending, so a bad file leaves the table untouched.
    const parsed = await Promise.all(files.map(readTrailFile));
    const appender = await this.connection.createAppender(OFFLINE_TABLE);
    let records = 0;
    try {
      for (const { records: list } of parsed) {
        for (const record of list) {
          appendRecord(appender, record);
          records++;
        }
      }
    } finally {
      appender.closeSync();
    }
    return { files: files.length, records, milliseconds: Date.now() - started };
  }

  /** Runs SQL and returns rows as CloudTrail Lake returns them: every value a string or null. */
  async query(sql: string): Promise<QueryRows> {
    return duckRows(await this.connection.runAndReadAll(sql));
  }

  close(): void {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}

/** DuckDB results as CloudTrail Lake returns them: every value a string or null. */
export function duckRows(reader: DuckDBResultReader): QueryRows {
  const columns = reader.columnNames();
  const rows = reader.getRows().map((row) => {
    const out: Record<string, string | null> = {};
    row.forEach((value, i) => {
      out[columns[i]] = lakeText(value);
    });
    return out;
  });
  return { columns, rows };
}

function appendRecord(appender: DuckDBAppender, record: Record<string, unknown>): void {
  for (const [name, type] of Object.entries(LAKE_COLUMNS)) {
    const raw = name === 'eventJson' ? JSON.stringify(record) : field(record, name);
    const value = toDuckValue(type, raw);
    if (value === null) appender.appendNull();
    else appender.appendValue(value, duckType(type));
  }
  appender.endRow();
}

/** A JSON value of a record as a DuckDB value of the column's type; absent or mistyped is null. */
function toDuckValue(type: FieldType, raw: unknown): DuckDBValue {
  if (raw === null || raw === undefined) return null;
  if (type === 'varchar') return lakeString(raw);
  if (type === 'timestamp') {
    const ms = typeof raw === 'string' ? Date.parse(raw) : NaN;
    return Number.isNaN(ms) ? null : new DuckDBTimestampValue(BigInt(ms) * 1000n);
  }
  if (type === 'boolean') return raw === true || raw === 'true' ? true : raw === false || raw === 'false' ? false : null;
  if (type === 'map') {
    if (!isObject(raw)) return null;
    // A null value reads the same as an absent key through element_at, and keeps map_values clean.
    const entries = Object.entries(raw).filter(([, v]) => v !== null && v !== undefined);
    return mapValue(entries.map(([key, v]) => ({ key, value: lakeString(v) })));
  }
  if ('struct' in type) {
    if (!isObject(raw)) return null;
    const entries: Record<string, DuckDBValue> = {};
    for (const [name, sub] of Object.entries(type.struct)) entries[name] = toDuckValue(sub, field(raw, name));
    return structValue(entries);
  }
  if (!Array.isArray(raw)) return null;
  return listValue(raw.map((item) => toDuckValue(type.list, item)));
}

function duckType(type: FieldType): DuckDBType {
  if (type === 'varchar') return VARCHAR;
  if (type === 'timestamp') return TIMESTAMP;
  if (type === 'boolean') return BOOLEAN;
  if (type === 'map') return MAP(VARCHAR, VARCHAR);
  if ('struct' in type) {
    const entries: Record<string, DuckDBType> = {};
    for (const [name, sub] of Object.entries(type.struct)) entries[name] = duckType(sub);
    return STRUCT(entries);
  }
  return LIST(duckType(type.list));
}

function sqlType(type: FieldType): string {
  if (type === 'varchar') return 'VARCHAR';
  if (type === 'timestamp') return 'TIMESTAMP';
  if (type === 'boolean') return 'BOOLEAN';
  if (type === 'map') return 'MAP(VARCHAR, VARCHAR)';
  if ('struct' in type) {
    return `STRUCT(${Object.entries(type.struct)
      .map(([name, sub]) => `${quote(name)} ${sqlType(sub)}`)
      .join(', ')})`;
  }
  return `${sqlType(type.list)}[]`;
}

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** A result value in Lake's text form (timestamps as `YYYY-MM-DD HH:MM:SS.mmm`). */
function lakeText(value: DuckDBValue): string | null {
  if (value === null) return null;
  if (value instanceof DuckDBTimestampValue) {
    return new Date(Number(value.micros / 1000n)).toISOString().replace('T', ' ').replace('Z', '');
  }
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') return String(value);
  return JSON.stringify(toPlain(value));
}

function toPlain(value: DuckDBValue): unknown {
  if (value instanceof DuckDBMapValue) return Object.fromEntries(value.entries.map((e) => [String(e.key), toPlain(e.value)]));
  if (value instanceof DuckDBStructValue) return Object.fromEntries(Object.entries(value.entries).map(([k, v]) => [k, toPlain(v)]));
  if (value instanceof DuckDBListValue) return value.items.map(toPlain);
  if (value instanceof DuckDBTimestampValue) return lakeText(value);
  if (typeof value === 'bigint') return value.toString();
  return value === null || typeof value !== 'object' ? value : String(value);
}
