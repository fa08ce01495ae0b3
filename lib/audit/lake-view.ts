import { FieldType, LAKE_COLUMNS, LAKE_ONLY_COLUMNS, TRAIL_COLUMNS, TRAIL_PARTITION_KEY } from './cloudtrail-schema';

/**
 * The trail's Glue table seen with CloudTrail Lake's columns, names and types: the one thin
 * dialect layer that lets the query library's SQL files run unchanged on Lake, on Athena and
 * offline. Built from the same definition as the Glue table (cloudtrail-schema.ts).
 *
 *  - `eventTime` becomes a timestamp: `CAST(from_iso8601_timestamp(eventtime) AS TIMESTAMP)`,
 *    UTC without zone, as Lake has it (Trino's from_iso8601_timestamp gives a zoned timestamp;
 *    the cast keeps the UTC wall time);
 *  - `readOnly`, `managementEvent` become booleans;
 *  - `requestParameters`, `responseElements`, `additionalEventData` and the other free-form
 *    objects become map(varchar, varchar) with nested values as JSON text and JSON nulls left
 *    out, which is what Lake stores and what `element_at(requestParameters, 'key')` reads;
 *  - structs and arrays pass through (field access is case-insensitive in Trino and DuckDB);
 *  - `eventJson`, which Lake computes, is NULL.
 *
 * Only the map conversion is spelled differently per engine (Trino has map_filter /
 * transform_values, DuckDB list lambdas over map_entries); everything else is the same text.
 */
export type ViewDialect = 'athena' | 'duckdb';

export interface LakeViewOptions {
  /** The trail table, as the engine names it (`"db"."table"` on Athena). */
  readonly table: string;
  /** Inclusive `yyyy/MM/dd` bounds on the partition key, so Athena reads only those days. */
  readonly days?: { readonly from: string; readonly to: string };
}

/** The SELECT that presents the trail table with Lake's schema. */
export function lakeViewSelect(dialect: ViewDialect, options: LakeViewOptions): string {
  const trail = new Map(TRAIL_COLUMNS.map((c) => [c.lakeName, c.name]));
  const columns = Object.entries(LAKE_COLUMNS).map(([lakeName, type]) => {
    const source = trail.get(lakeName);
    const expr = LAKE_ONLY_COLUMNS.has(lakeName) || !source ? 'CAST(NULL AS VARCHAR)' : columnExpression(dialect, type, source);
    return `${expr} AS "${lakeName}"`;
  });
  const where = options.days
    ? ` WHERE "${TRAIL_PARTITION_KEY}" >= '${checkDay(options.days.from)}' AND "${TRAIL_PARTITION_KEY}" <= '${checkDay(options.days.to)}'`
    : '';
  return `SELECT ${columns.join(', ')} FROM ${options.table}${where}`;
}

/** A CREATE VIEW statement for the Athena console (the runbook inlines the SELECT instead). */
export function createLakeViewStatement(viewName: string, table: string): string {
  return `CREATE OR REPLACE VIEW ${viewName} AS ${lakeViewSelect('athena', { table })}`;
}

function columnExpression(dialect: ViewDialect, type: FieldType, column: string): string {
  if (type === 'timestamp') return `CAST(from_iso8601_timestamp(${column}) AS TIMESTAMP)`;
  if (type === 'boolean') return `CAST(${column} AS BOOLEAN)`;
  if (type === 'map') return dialect === 'athena' ? athenaMap(column) : duckdbMap(column);
  return column;
}

/**
 * Trino (Athena engine 3): JSON text to map(varchar, JSON), nulls dropped, scalars unquoted,
 * objects and arrays kept as JSON text. "Functions in Athena engine version 3 are based on
 * Trino" ("Athena engine version 3 functions", https://docs.aws.amazon.com/athena/latest/ug/functions-env3.html):
 * map_filter and transform_values are Trino's lambda map functions, json_parse, json_format and
 * json_extract_scalar its JSON functions. This spelling is not executed by the tests (DuckDB runs
 * the other one); the tests pin its text.
 */
function athenaMap(column: string): string {
  return (
    `transform_values(map_filter(CAST(json_parse(${column}) AS MAP(VARCHAR, JSON)), (k, v) -> v IS NOT NULL AND json_format(v) <> 'null'), ` +
    `(k, v) -> coalesce(json_extract_scalar(v, '$'), json_format(v)))`
  );
}

/** DuckDB: the same conversion with list lambdas over the map's entries. */
function duckdbMap(column: string): string {
  return (
    `map_from_entries(list_transform(list_filter(map_entries(CAST(json(${column}) AS MAP(VARCHAR, JSON))), ` +
    `e -> e.value IS NOT NULL AND json_type(e.value) <> 'NULL'), ` +
    `e -> {'key': e.key, 'value': CASE WHEN json_type(e.value) IN ('OBJECT', 'ARRAY') THEN CAST(e.value AS VARCHAR) ELSE json_extract_string(e.value, '$') END}))`
  );
}

function checkDay(day: string): string {
  if (!/^\d{4}\/\d{2}\/\d{2}$/.test(day)) throw new Error(`partition day must be yyyy/MM/dd, got '${day}'`);
  return day;
}

/** `yyyy/MM/dd` of a UTC time given as `YYYY-MM-DD HH:MM:SS`, shifted by whole days. */
export function partitionDay(time: string, shiftDays = 0): string {
  const ms = Date.parse(`${time.replace(' ', 'T')}Z`) + shiftDays * 86_400_000;
  if (Number.isNaN(ms)) throw new Error(`not a UTC time: '${time}'`);
  return new Date(ms).toISOString().slice(0, 10).replace(/-/g, '/');
}
