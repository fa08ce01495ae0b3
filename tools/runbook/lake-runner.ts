import {
  CancelQueryCommand,
  CloudTrailClient,
  DescribeQueryCommand,
  GetQueryResultsCommand,
  StartQueryCommand,
} from '@aws-sdk/client-cloudtrail';
import { QueryRows } from './query-result';
import { sleep } from '../cli';

/**
 * Runs one statement on CloudTrail Lake: StartQuery, DescribeQuery until it ends (reporting
 * progress, since queries over months of events take minutes), then every GetQueryResults page.
 * A query that runs past the timeout, or that the responder interrupts, is cancelled so it
 * stops scanning (and billing).
 */
export interface LakeRunOptions {
  readonly client: CloudTrailClient;
  readonly statement: string;
  readonly pollIntervalMs?: number;
  readonly timeoutMs?: number;
  readonly onProgress?: (line: string) => void;
  /** Aborting cancels the query on CloudTrail Lake. */
  readonly signal?: AbortSignal;
}

export class LakeQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LakeQueryError';
  }
}

const DONE = new Set(['FINISHED', 'FAILED', 'CANCELLED', 'TIMED_OUT']);

export async function runOnLake(options: LakeRunOptions): Promise<QueryRows> {
  const { client, statement } = options;
  const pollMs = options.pollIntervalMs ?? 2_000;
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  const progress = options.onProgress ?? (() => undefined);

  const { QueryId } = await client.send(new StartQueryCommand({ QueryStatement: statement }));
  if (!QueryId) throw new LakeQueryError('CloudTrail Lake did not return a query id');
  progress(`query ${QueryId} started`);

  let status = 'QUEUED';
  while (!DONE.has(status)) {
    if (options.signal?.aborted || Date.now() > deadline) {
      await client.send(new CancelQueryCommand({ QueryId })).catch(() => undefined);
      throw new LakeQueryError(`query ${QueryId} ${options.signal?.aborted ? 'interrupted' : 'timed out'}; cancelled on CloudTrail Lake`);
    }
    await sleep(pollMs, options.signal);
    const described = await client.send(new DescribeQueryCommand({ QueryId }));
    status = described.QueryStatus ?? 'UNKNOWN';
    const stats = described.QueryStatistics;
    progress(
      `query ${QueryId}: ${status}` +
        (stats
          ? `, ${stats.EventsScanned ?? 0} events scanned, ${stats.EventsMatched ?? 0} matched, ${((stats.ExecutionTimeInMillis ?? 0) / 1000).toFixed(1)} s`
          : ''),
    );
    if (status === 'FAILED' || status === 'CANCELLED' || status === 'TIMED_OUT') {
      throw new LakeQueryError(
        `query ${QueryId} ${status.toLowerCase().replace('_', ' ')}${described.ErrorMessage ? `: ${described.ErrorMessage}` : ''}`,
      );
    }
  }

  const columns: string[] = [];
  const rows: Record<string, string | null>[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new GetQueryResultsCommand({ QueryId, NextToken: token }));
    for (const cells of page.QueryResultRows ?? []) {
      // Each row is a list of one-entry maps, in SELECT order.
      const row: Record<string, string | null> = {};
      for (const cell of cells) {
        for (const [name, value] of Object.entries(cell)) {
          if (!columns.includes(name)) columns.push(name);
          row[name] = value ?? null;
        }
      }
      rows.push(row);
    }
    token = page.NextToken;
  } while (token);
  progress(`query ${QueryId}: ${rows.length} row(s)`);
  // A row may leave out a column (a null cell); give every row every column.
  return { columns, rows: rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c] ?? null]))) };
}
