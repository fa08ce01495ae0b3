/**
 * The columns of a CloudTrail Lake event data store (CloudTrail event schema, as listed in
 * "Supported SQL schemas for event data stores"), described once so the offline engine builds
 * a table with the same names and types and the query library runs unchanged on both.
 *
 * Names keep CloudTrail's JSON spelling (`requestID`, `sourceIPAddress`, `resources[].ARN`);
 * Lake lists them lowercased, and both engines compare identifiers case-insensitively.
 * Lake stores `requestParameters`, `responseElements`, `additionalEventData` and the other
 * free-form objects as map(string, string): nested values become JSON text, so a query reads
 * them with `element_at(requestParameters, 'key')` on both engines.
 */
export type FieldType =
  'varchar' | 'timestamp' | 'boolean' | 'map' | { readonly struct: Readonly<Record<string, FieldType>> } | { readonly list: FieldType };

const SESSION_ISSUER: FieldType = {
  struct: { type: 'varchar', principalId: 'varchar', arn: 'varchar', accountId: 'varchar', userName: 'varchar' },
};

export const USER_IDENTITY: FieldType = {
  struct: {
    type: 'varchar',
    principalId: 'varchar',
    arn: 'varchar',
    accountId: 'varchar',
    accessKeyId: 'varchar',
    userName: 'varchar',
    sessionContext: {
      struct: {
        attributes: { struct: { creationDate: 'timestamp', mfaAuthenticated: 'varchar' } },
        sessionIssuer: SESSION_ISSUER,
        webIdFederationData: { struct: { federatedProvider: 'varchar', attributes: 'map' } },
        sourceIdentity: 'varchar',
        ec2RoleDelivery: 'varchar',
        ec2IssuedInVpc: 'varchar',
      },
    },
    onBehalfOf: { struct: { userId: 'varchar', identityStoreArn: 'varchar' } },
    inScopeOf: { struct: { sourceArn: 'varchar', sourceAccount: 'varchar', issuerType: 'varchar', credentialsIssuedTo: 'varchar' } },
    invokedBy: 'varchar',
    identityProvider: 'varchar',
  },
};

/** Column name to type, in Lake's column order. */
export const LAKE_COLUMNS: Readonly<Record<string, FieldType>> = {
  eventVersion: 'varchar',
  userIdentity: USER_IDENTITY,
  eventTime: 'timestamp',
  eventSource: 'varchar',
  eventName: 'varchar',
  awsRegion: 'varchar',
  sourceIPAddress: 'varchar',
  userAgent: 'varchar',
  errorCode: 'varchar',
  errorMessage: 'varchar',
  requestParameters: 'map',
  responseElements: 'map',
  additionalEventData: 'map',
  requestID: 'varchar',
  eventID: 'varchar',
  readOnly: 'boolean',
  resources: { list: { struct: { accountId: 'varchar', type: 'varchar', ARN: 'varchar', arnPrefix: 'varchar' } } },
  eventType: 'varchar',
  apiVersion: 'varchar',
  managementEvent: 'boolean',
  recipientAccountId: 'varchar',
  sharedEventID: 'varchar',
  annotation: 'varchar',
  vpcEndpointId: 'varchar',
  serviceEventDetails: 'map',
  addendum: 'map',
  edgeDeviceDetails: 'map',
  insightDetails: 'map',
  eventCategory: 'varchar',
  tlsDetails: { struct: { tlsVersion: 'varchar', cipherSuite: 'varchar', clientProvidedHostHeader: 'varchar' } },
  sessionCredentialFromConsole: 'varchar',
  /** The whole record as delivered, for fields the schema does not break out. */
  eventJson: 'varchar',
};

/** CloudTrail JSON text of a value as Lake stores it in a string column or map value. */
export function lakeString(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/** Looks a key up as CloudTrail spells it, or case-insensitively (records vary: `ARN`, `arn`). */
export function field(record: Record<string, unknown>, name: string): unknown {
  if (name in record) return record[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(record)) if (key.toLowerCase() === lower) return record[key];
  return undefined;
}

/**
 * Lake columns that trail files do not carry: Lake computes `eventJson` from the record. The
 * trail's table has no such column; the Lake-shaped view (lake-view.ts) gives it as NULL.
 */
export const LAKE_ONLY_COLUMNS: ReadonlySet<string> = new Set(['eventJson']);

/** A column of the Glue table over a trail's files, in Hive DDL types (as Glue stores them). */
export interface TrailColumn {
  /** Lowercase, as Glue stores it and as AWS's CloudTrail DDL spells it. */
  readonly name: string;
  readonly type: string;
  /** The Lake column it carries. */
  readonly lakeName: string;
  readonly lakeType: FieldType;
}

/**
 * The Hive type a Lake type has in the trail's table, following AWS's documented CloudTrail DDL
 * ("Create the table for CloudTrail logs in Athena using partition projection",
 * https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html):
 * times and flags stay strings as delivered (`eventtime STRING`, `readonly STRING`), free-form
 * objects at the top level are JSON text (`requestparameters STRING`), the nested
 * `webidfederationdata.attributes` is `map<string,string>`, records are structs and lists arrays.
 */
export function trailType(type: FieldType, nested = false): string {
  if (type === 'varchar' || type === 'timestamp' || type === 'boolean') return 'string';
  if (type === 'map') return nested ? 'map<string,string>' : 'string';
  if ('struct' in type) {
    return `struct<${Object.entries(type.struct)
      .map(([name, sub]) => `${name.toLowerCase()}:${trailType(sub, true)}`)
      .join(',')}>`;
  }
  return `array<${trailType(type.list, true)}>`;
}

/**
 * The trail table's columns, generated from {@link LAKE_COLUMNS} so that the Glue table, the
 * offline engines and the Lake-shaped view can never disagree on a name or a type.
 */
export const TRAIL_COLUMNS: readonly TrailColumn[] = Object.entries(LAKE_COLUMNS)
  .filter(([name]) => !LAKE_ONLY_COLUMNS.has(name))
  .map(([lakeName, lakeType]) => ({ name: lakeName.toLowerCase(), type: trailType(lakeType), lakeName, lakeType }));

/**
 * The trail table's partition key: the delivery day of a file, `yyyy/MM/dd`, as in the path
 * `AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<mm>/<dd>/` (AWS's DDL names it `timestamp`).
 */
export const TRAIL_PARTITION_KEY = 'timestamp';
