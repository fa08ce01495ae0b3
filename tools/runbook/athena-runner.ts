import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { QueryRows } from './query-result';
import { sleep } from '../cli';

/**
 * Runs one statement on Athena in the audit workgroup: StartQueryExecution, GetQueryExecution
 * until it ends (reporting state and bytes scanned, which is what Athena bills), then every
 * GetQueryResults page. The workgroup enforces the result location, its encryption and the
 * per-query scan cutoff, so the runner sends none of those. A query past the timeout, or
 * interrupted, is stopped so it scans (and bills) no further.
 */
export interface AthenaRunOptions {
  readonly client: AthenaClient;
  readonly statement: string;
  readonly workGroup: string;
  /** The Glue database the statement's unqualified names resolve in. */
  readonly database?: string;
  readonly pollIntervalMs?: number;
  readonly timeoutMs?: number;
  /** Rows per GetQueryResults page (Athena allows at most 1,000). */
  readonly pageSize?: number;
  readonly onProgress?: (line: string) => void;
  readonly signal?: AbortSignal;
}

export interface AthenaRun extends QueryRows {
  readonly queryExecutionId: string;
  readonly bytesScanned: number;
}

export class AthenaQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AthenaQueryError';
  }
}

const DONE = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);
/** Athena's price and minimum per query (https://aws.amazon.com/athena/pricing/, see tools/cost/prices.json). */
const USD_PER_TB = 5;
const MIN_BILLED_BYTES = 10_000_000;

export async function runOnAthena(options: AthenaRunOptions): Promise<AthenaRun> {
  const { client, statement } = options;
  const pollMs = options.pollIntervalMs ?? 1_000;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const progress = options.onProgress ?? (() => undefined);

  const started = await client.send(
    new StartQueryExecutionCommand({
      QueryString: statement,
      WorkGroup: options.workGroup,
      ...(options.database ? { QueryExecutionContext: { Database: options.database } } : {}),
    }),
  );
  const id = started.QueryExecutionId;
  if (!id) throw new AthenaQueryError('Athena did not return a query execution id');
  progress(`query ${id} started in workgroup ${options.workGroup}`);

  let state = 'QUEUED';
  let bytes = 0;
  let statementType: string | undefined;
  while (!DONE.has(state)) {
    if (options.signal?.aborted || Date.now() > deadline) {
      await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw new AthenaQueryError(
        `query ${id} ${options.signal?.aborted ? 'interrupted' : 'timed out'}; stopped on Athena after ${megabytes(bytes)} scanned`,
      );
    }
    await sleep(pollMs, options.signal);
    const { QueryExecution: execution } = await client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
    state = execution?.Status?.State ?? 'UNKNOWN';
    statementType = execution?.StatementType;
    bytes = execution?.Statistics?.DataScannedInBytes ?? bytes;
    const seconds = ((execution?.Statistics?.EngineExecutionTimeInMillis ?? 0) / 1000).toFixed(1);
    progress(`query ${id}: ${state}, ${megabytes(bytes)} scanned, ${seconds} s`);
    if (state === 'FAILED' || state === 'CANCELLED') {
      const reason = execution?.Status?.StateChangeReason ?? execution?.Status?.AthenaError?.ErrorMessage;
      throw new AthenaQueryError(`query ${id} ${state.toLowerCase()}${reason ? `: ${reason}` : ''} (${megabytes(bytes)} scanned)`);
    }
  }

  let columns: string[] = [];
  const rows: Record<string, string | null>[] = [];
  let token: string | undefined;
  let first = true;
  do {
    const page = await client.send(
      new GetQueryResultsCommand({ QueryExecutionId: id, NextToken: token, MaxResults: options.pageSize ?? 1_000 }),
    );
    const info = page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
    if (first)
      columns = restoreCase(
        info.map((c) => c.Label ?? c.Name ?? ''),
        statement,
      );
    let pageRows = page.ResultSet?.Rows ?? [];
    // A SELECT's first page starts with the column names as a row; later pages do not (an
    // undocumented behaviour that drivers rely on, hence the check against the labels).
    if (
      first &&
      statementType !== 'DDL' &&
      pageRows.length > 0 &&
      sameNames(
        pageRows[0].Data?.map((d) => d.VarCharValue) ?? [],
        info.map((c) => c.Label ?? c.Name ?? ''),
      )
    ) {
      pageRows = pageRows.slice(1);
    }
    for (const row of pageRows) {
      const cells = row.Data ?? [];
      rows.push(Object.fromEntries(columns.map((c, i) => [c, cells[i]?.VarCharValue ?? null])));
    }
    token = page.NextToken;
    first = false;
  } while (token);
  progress(
    `query ${id}: ${rows.length} row(s), ${megabytes(bytes)} scanned (billed as ${megabytes(Math.max(bytes, MIN_BILLED_BYTES))}, about $${((Math.max(bytes, MIN_BILLED_BYTES) / 1e12) * USD_PER_TB).toFixed(6)})`,
  );
  return { columns, rows, queryExecutionId: id, bytesScanned: bytes };
}

/**
 * Athena lowercases unquoted names in its results (`eventtime`); the library's queries and
 * their tests speak CloudTrail's spelling (`eventTime`). Each column gets back the spelling the
 * statement gives it, so every engine returns the same column names.
 */
export function restoreCase(names: readonly string[], statement: string): string[] {
  const spelled = new Map<string, string>();
  for (const [word] of statement.matchAll(/[A-Za-z_][A-Za-z0-9_]*/g)) {
    const lower = word.toLowerCase();
    // The alias a query gives (AS principalArn) is its last spelling of the name; prefer mixed case.
    if (word !== lower || !spelled.has(lower)) spelled.set(lower, word);
  }
  return names.map((n) => spelled.get(n.toLowerCase()) ?? n);
}

function sameNames(values: readonly (string | undefined)[], labels: readonly string[]): boolean {
  return values.length === labels.length && values.every((v, i) => (v ?? '').toLowerCase() === labels[i].toLowerCase());
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}
