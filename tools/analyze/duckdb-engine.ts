/**
 * The local engine: DuckDB over files laid out as a DynamoDB export writes them
 * (`<dir>/AWSDynamoDB/<exportId>/data/*.json.gz`, one `{"Item":{...}}` per line), whether
 * they came from a real export or from the local table's Scan (local-records.ts). The same
 * views as Athena's are created over them, so the queries run unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { viewStatements } from './sql-files';

/** A query's answer as both engines give it: column names, and every value a string or null. */
export interface Rows {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, string | null>>[];
}

export interface AnalysisEngine {
  readonly name: 'duckdb' | 'athena';
  query(sql: string): Promise<Rows>;
  close(): Promise<void>;
}

/**
 * The attributes the views read, as a DuckDB struct (the Glue table declares the same
 * ones). Any other attribute of an item is ignored; a missing one reads as NULL.
 */
export const ITEM_STRUCT =
  'STRUCT(pk STRUCT(S VARCHAR), requestId STRUCT(S VARCHAR), createdAt STRUCT(S VARCHAR), modelVersion STRUCT(S VARCHAR), ' +
  'status STRUCT(S VARCHAR), errorCode STRUCT(S VARCHAR), latencyMs STRUCT(N VARCHAR), modelLatencyMs STRUCT(N VARCHAR), ' +
  'input STRUCT(M STRUCT(mode STRUCT(S VARCHAR), body STRUCT(S VARCHAR))), output STRUCT(M STRUCT(mode STRUCT(S VARCHAR), body STRUCT(S VARCHAR))))';

/** Trino functions the queries use that DuckDB spells otherwise (exact here, approximate in Athena). */
const TRINO_MACROS = ['CREATE MACRO approx_percentile(x, p) AS quantile_cont(x, p)', 'CREATE MACRO array_max(l) AS list_max(l)'];

/** The views, in the order they depend on each other. */
const MATERIALISED_VIEWS = ['inference_records', 'inference_features', 'inference_predictions'] as const;

/** The data files of every export under `dir` (any depth), as DynamoDB names them. */
export function exportDataFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.json.gz') && path.basename(d) === 'data') found.push(full);
    }
  };
  walk(dir);
  return found.sort();
}

export class DuckDbEngine implements AnalysisEngine {
  readonly name = 'duckdb' as const;

  /** An engine over the export files under `dir`. */
  static async open(dir: string): Promise<DuckDbEngine> {
    const files = exportDataFiles(dir);
    if (files.length === 0) throw new Error(`no export data files (AWSDynamoDB/<id>/data/*.json.gz) under ${dir}`);
    const instance = await DuckDBInstance.create(':memory:');
    const connection = await instance.connect();
    for (const macro of TRINO_MACROS) await connection.run(macro);
    const list = files.map((f) => `'${f.replace(/'/g, "''")}'`).join(', ');
    // Materialised once: the queries then scan memory, not gzip.
    await connection.run(
      `CREATE TABLE export_items AS SELECT Item AS item FROM read_json([${list}], format = 'newline_delimited', compression = 'gzip', columns = {Item: '${ITEM_STRUCT}'})`,
    );
    for (const statement of viewStatements('duckdb')) await connection.run(statement);
    // Each view parsed once into a table of the same name: the queries then read columns, not JSON.
    for (const view of MATERIALISED_VIEWS) await connection.run(`CREATE TABLE ${view}_m AS SELECT * FROM ${view}`);
    for (const view of [...MATERIALISED_VIEWS].reverse()) await connection.run(`DROP VIEW ${view}`);
    for (const view of MATERIALISED_VIEWS) await connection.run(`ALTER TABLE ${view}_m RENAME TO ${view}`);
    return new DuckDbEngine(instance, connection);
  }

  private constructor(
    private readonly instance: DuckDBInstance,
    private readonly connection: DuckDBConnection,
  ) {}

  async query(sql: string): Promise<Rows> {
    const reader = await this.connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowObjectsJson().map((row) => {
      const out: Record<string, string | null> = {};
      for (const c of columns) {
        const v = row[c];
        out[c] = v === null || v === undefined ? null : typeof v === 'string' ? v : String(v);
      }
      return out;
    });
    return { columns, rows };
  }

  async close(): Promise<void> {
    this.connection.closeSync();
    this.instance.closeSync();
  }
}
