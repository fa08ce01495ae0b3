import * as path from 'path';
import { OFFLINE_TABLE, OfflineEngine } from '../../tools/runbook/offline-engine';
import { QueryRows } from '../../tools/runbook/query-result';
import { QueryTarget, findQuery, loadQueryLibrary, renderQuery, resolveParams } from '../../tools/runbook/query-library';
import { TRAIL_TABLE, TrailTableEngine } from '../../tools/runbook/trail-table-engine';

/** The incident scenario the query tests read (baseline 2024-05-01..09, incident on 2024-05-10). */
export const INCIDENT_FIXTURES = path.resolve(__dirname, '..', 'tools', 'runbook', 'fixtures', 'incident');
/**
 * The same records laid out as a trail delivers them to S3:
 * `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/*.json.gz`, one folder per delivery day
 * (the last events of 2024-05-10 delivered after midnight, in 2024/05/11), plus a digest file.
 */
export const TRAIL_FIXTURES = path.resolve(__dirname, '..', 'tools', 'runbook', 'fixtures', 'trail');
/** 2,900 real CloudTrail records from a simulated attack (vendored in test/fixtures/cloudtrail/invictus-aws-dataset, MIT, with its LICENSE and SOURCE). */
export const INVICTUS = path.resolve(__dirname, '..', 'fixtures', 'cloudtrail', 'invictus-aws-dataset');

export const LIBRARY = loadQueryLibrary();

/** An engine the library's SQL runs on, with the FROM target it needs. */
export interface LibraryEngine {
  query(sql: string): Promise<QueryRows>;
  close(): void;
  readonly target: QueryTarget;
}

/**
 * The two shapes a query runs on offline: Lake's table (the offline engine), and a trail's Glue
 * table read through the Lake-shaped view, as on Athena.
 */
export const ENGINE_SHAPES = {
  'Lake-shaped table': async (files: string): Promise<LibraryEngine> => {
    const engine = await OfflineEngine.create();
    await engine.load(files);
    return Object.assign(engine, { target: { kind: 'offline', table: OFFLINE_TABLE } as const });
  },
  'Athena-shaped trail table through the Lake view': async (files: string): Promise<LibraryEngine> => {
    const engine = await TrailTableEngine.create();
    await engine.load(files);
    return Object.assign(engine, { target: { kind: 'trail', table: TRAIL_TABLE, dialect: 'duckdb' } as const });
  },
} as const;

/** Runs a library query exactly as the runbook does: validated params, `$EDS` -> the engine's target. */
export async function runLibraryQuery(
  engine: Pick<LibraryEngine, 'query'> & { target?: QueryTarget },
  id: string,
  params: Record<string, string>,
): Promise<QueryRows> {
  const query = findQuery(LIBRARY, id);
  return engine.query(renderQuery(query, resolveParams(query, params), engine.target ?? { kind: 'offline', table: OFFLINE_TABLE }));
}

/** Only the named columns of each row, for compact expectations. */
export function pick(rows: QueryRows['rows'], ...columns: string[]): Record<string, string | null>[] {
  return rows.map((row) => Object.fromEntries(columns.map((c) => [c, row[c]])));
}
