import * as path from 'path';
import { OFFLINE_TABLE, OfflineEngine } from '../../tools/runbook/offline-engine';
import { QueryRows } from '../../tools/runbook/query-result';
import { findQuery, loadQueryLibrary, renderQuery, resolveParams } from '../../tools/runbook/query-library';

/** The incident scenario the query tests read (baseline 2024-05-01..09, incident on 2024-05-10). */
export const INCIDENT_FIXTURES = path.resolve(__dirname, '..', 'tools', 'runbook', 'fixtures', 'incident');
/** 2,900 real CloudTrail records from a simulated attack (see ../shared/README.md). */
export const INVICTUS = path.resolve(__dirname, '..', 'fixtures', 'cloudtrail', 'invictus-aws-dataset');

export const LIBRARY = loadQueryLibrary();

/** Runs a library query exactly as the runbook does offline: validated params, `$EDS` -> the table. */
export async function runLibraryQuery(engine: OfflineEngine, id: string, params: Record<string, string>): Promise<QueryRows> {
  const query = findQuery(LIBRARY, id);
  return engine.query(renderQuery(query, resolveParams(query, params), { kind: 'offline', table: OFFLINE_TABLE }));
}

/** Only the named columns of each row, for compact expectations. */
export function pick(rows: QueryRows['rows'], ...columns: string[]): Record<string, string | null>[] {
  return rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
}
