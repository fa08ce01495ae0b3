/**
 * What the responder workspace writes next to the runbook notebook at every start, and what
 * the notebook reads to know which backend to query and which resources it may contain.
 * Every field is optional for the notebook: elsewhere, a responder fills in the configuration
 * cell by hand.
 */
export const TARGETS_FILE = 'runbook-targets.json';

/** Where the runbook's queries run: CloudTrail Lake, Athena over the trail, or trail files on disk. */
export type RunbookBackend = 'lake' | 'athena' | 'offline';

export interface RunbookTargets {
  readonly backend?: RunbookBackend;
  readonly region?: string;
  /** Lake: the event data store. */
  readonly eventDataStoreArn?: string;
  /** Athena: the workgroup (which enforces the result location) and the trail's Glue table. */
  readonly athenaWorkGroup?: string;
  readonly athenaDatabase?: string;
  readonly athenaTable?: string;
  /** Offline: a folder of exported trail files (`aws s3 sync s3://BUCKET/AWSLogs ./trail`). */
  readonly offlineDir?: string;
  readonly prefix?: string;
  readonly tableName?: string;
  readonly endpointName?: string;
  readonly functionNames?: readonly string[];
  readonly roleNames?: readonly string[];
  readonly restApiId?: string;
  readonly apiKeyIds?: readonly string[];
}
