/**
 * The analysis SQL: the views (views/*.sql) and the queries (queries/*.sql), read from
 * their files and filled in. Queries run unchanged on DuckDB (locally) and Athena (on AWS);
 * only the two views that unnest JSON differ by engine (views/duckdb.sql, views/athena.sql).
 *
 * Parameters are `{{name}}` placeholders replaced by SQL literals this file builds from
 * checked values (an ISO time, a model version, numbers), never by raw text.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const QUERY_NAMES = [
  'requests',
  'errors',
  'payload-modes',
  'latency',
  'labels',
  'confidence',
  'features',
  'histogram',
  'timeline',
] as const;
export type QueryName = (typeof QUERY_NAMES)[number];
export type Engine = 'duckdb' | 'athena';

const ROOT = __dirname;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

export function querySql(name: QueryName): string {
  return fs.readFileSync(path.join(ROOT, 'queries', `${name}.sql`), 'utf8');
}

/** The statements that create the views on `export_items`, in order, for an engine. */
export function viewStatements(engine: Engine): string[] {
  const text = [
    fs.readFileSync(path.join(ROOT, 'views', 'records.sql'), 'utf8'),
    fs.readFileSync(path.join(ROOT, 'views', `${engine}.sql`), 'utf8'),
  ].join(';\n');
  return splitStatements(text);
}

/** Splits on `;` at line ends, dropping comment-only pieces (the files hold no `;` in strings). */
export function splitStatements(text: string): string[] {
  return text
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, '').trim())
    .filter((s) => s.length > 0);
}

/** A bin of the drift baseline: (lower, upper], undefined for an open end. */
export interface BinSpec {
  readonly featureIndex: number;
  readonly bin: number;
  readonly lower?: number;
  readonly upper?: number;
}

export interface QueryParams {
  readonly versions: readonly string[];
  readonly from: string;
  readonly to: string;
  readonly bins?: readonly BinSpec[];
}

export function renderQuery(name: QueryName, params: QueryParams): string {
  return fillIn(querySql(name), params);
}

export function fillIn(sql: string, params: QueryParams): string {
  if (params.versions.length === 0 || !params.versions.every((v) => VERSION.test(v)))
    throw new Error(`model versions must be 1 to 32 letters, digits, '.', '_' or '-': ${params.versions.join(', ')}`);
  for (const [name, value] of [
    ['from', params.from],
    ['to', params.to],
  ] as const) {
    if (!ISO.test(value)) throw new Error(`${name} must be an ISO-8601 UTC time such as 2024-05-01T00:00:00.000Z, got '${value}'`);
  }
  const values: Record<string, string> = {
    versions: params.versions.map((v) => `'${v}'`).join(', '),
    from: `'${params.from}'`,
    to: `'${params.to}'`,
    bins: binsLiteral(params.bins ?? []),
  };
  return sql.replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`unknown query parameter {{${name}}}`);
    return values[name];
  });
}

function binsLiteral(bins: readonly BinSpec[]): string {
  // An empty VALUES list is not SQL: one bin that matches no feature index stands in.
  const rows = bins.length > 0 ? bins : [{ featureIndex: -1, bin: 0 }];
  return rows.map((b) => `(${int(b.featureIndex)}, ${int(b.bin)}, ${num(b.lower)}, ${num(b.upper)})`).join(', ');
}

function int(n: number): string {
  if (!Number.isInteger(n)) throw new Error(`not a whole number: ${n}`);
  return String(n);
}

function num(n: number | undefined): string {
  if (n === undefined) return 'CAST(NULL AS DOUBLE)';
  if (!Number.isFinite(n)) throw new Error(`not a finite number: ${n}`);
  return `CAST(${String(n)} AS DOUBLE)`;
}
