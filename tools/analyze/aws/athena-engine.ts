/**
 * The AWS engine: the same query files, run by Athena in the records workgroup over the Glue
 * tables of the exports. The views are created per analysis, naming the exports to read
 * (an injected partition needs its value in the query).
 *
 * GetQueryResults pages hold at most 1,000 rows, and the first row of a SELECT's first page
 * is its column names (behaviour observed by Athena clients, not documented: see e.g.
 * https://github.com/quiltdata/quilt/pull/3101); later pages carry no header.
 */
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import type { AnalysisEngine, Rows } from '../duckdb-engine';
import { splitStatements, viewStatements } from '../sql-files';
import type { ExportSet } from './table-export';

export interface AthenaEngineProps {
  readonly client: AthenaClient;
  readonly workGroup: string;
  readonly database: string;
  readonly pollMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class AthenaQueryError extends Error {
  override readonly name = 'AthenaQueryError';
}

/** The view over the exports to read: the full export, and the newest image of each item from the increments after it. */
export function exportItemsView(exports: ExportSet): string {
  const quote = (id: string) => {
    if (!/^[0-9A-Za-z-]+$/.test(id)) throw new Error(`not an export id: ${id}`);
    return `'${id}'`;
  };
  const full = `SELECT item, 0 AS source FROM inference_exports WHERE export_id = ${quote(exports.fullExportId)}`;
  if (exports.incrementalExportIds.length === 0) return `CREATE OR REPLACE VIEW export_items AS SELECT item FROM (${full})`;
  const increments = `SELECT newimage AS item, 1 AS source FROM inference_increments WHERE export_id IN (${exports.incrementalExportIds.map(quote).join(', ')}) AND newimage IS NOT NULL`;
  // Records are written once; an item in both the full export and an increment is kept once.
  return `CREATE OR REPLACE VIEW export_items AS SELECT item FROM (SELECT item, row_number() OVER (PARTITION BY item.pk.s ORDER BY source DESC) AS n FROM (${full} UNION ALL ${increments})) WHERE n = 1`;
}

export class AthenaEngine implements AnalysisEngine {
  readonly name = 'athena' as const;
  /** Bytes Athena scanned across every query of this engine (what Athena bills). */
  bytesScanned = 0;

  constructor(private readonly props: AthenaEngineProps) {}

  /** Creates the views of the analysis over `exports`. */
  async prepare(exports: ExportSet): Promise<void> {
    await this.query(exportItemsView(exports));
    for (const statement of viewStatements('athena')) await this.query(statement);
  }

  async query(sql: string): Promise<Rows> {
    const { client, workGroup, database } = this.props;
    const [statement] = splitStatements(sql);
    const started = await client.send(
      new StartQueryExecutionCommand({ QueryString: statement, WorkGroup: workGroup, QueryExecutionContext: { Database: database } }),
    );
    const id = started.QueryExecutionId!;
    const sleep = this.props.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (;;) {
      const { QueryExecution: q } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
      const state = q?.Status?.State;
      if (state === 'SUCCEEDED') {
        this.bytesScanned += q?.Statistics?.DataScannedInBytes ?? 0;
        const isSelect = (q?.StatementType ?? 'DML') === 'DML';
        return isSelect ? this.results(id) : { columns: [], rows: [] };
      }
      if (state === 'FAILED' || state === 'CANCELLED') {
        throw new AthenaQueryError(`Athena query ${id} ${state}: ${q?.Status?.StateChangeReason ?? 'no reason given'}`);
      }
      await sleep(this.props.pollMs ?? 500);
    }
  }

  private async results(id: string): Promise<Rows> {
    let columns: string[];
    const rows: Record<string, string | null>[] = [];
    let next: string | undefined;
    let first = true;
    do {
      const page = await this.props.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: next, MaxResults: 1000 }));
      columns = (page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      const data = page.ResultSet?.Rows ?? [];
      for (const [i, row] of data.entries()) {
        if (first && i === 0) continue; // the header row
        const out: Record<string, string | null> = {};
        columns.forEach((c, j) => (out[c] = row.Data?.[j]?.VarCharValue ?? null));
        rows.push(out);
      }
      first = false;
      next = page.NextToken;
    } while (next);
    return { columns, rows };
  }

  async close(): Promise<void> {
    this.props.client.destroy();
  }
}
