/**
 * The metadata table's key design: the single source of truth used by the CDK stack (to
 * create the table), the handlers (to write and query) and the local pipeline (to create
 * the same table in dynalite). No AWS CDK imports here: this file is bundled into Lambdas.
 *
 * | access pattern                                   | key condition                                              |
 * | ------------------------------------------------ | ---------------------------------------------------------- |
 * | get an inference by request id                   | pk = INFERENCE#<id>, sk = RECORD                           |
 * | inferences of a model version in a time range    | byModelVersion: gsi1pk = MODEL#<version>, gsi1sk between   |
 * | failed requests in a time range                  | byFailure: gsi2pk = FAILED#<yyyy-mm-dd>, gsi2sk between    |
 * | model deployments, newest first                  | pk = DEPLOYMENT, sk = <deployedAt>#<version>, descending   |
 * | an idempotency key of a caller                   | pk = IDEMPOTENCY#<caller tag>#<key>, sk = RECORD           |
 *
 * Time sort keys are `<ISO-8601 UTC>#<id>`, so they sort by time and stay unique.
 * Failures are spread by day so a failure storm cannot make one hot index partition.
 */
export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  ttlAttribute: 'expiresAt',
} as const;

export const INDEXES = {
  byModelVersion: { name: 'byModelVersion', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  byFailure: { name: 'byFailure', partitionKey: 'gsi2pk', sortKey: 'gsi2sk' },
} as const;

/** The table definition in DynamoDB's own (CreateTable) words, for dynalite and the CDK stack alike. */
export const TABLE_DEFINITION = {
  AttributeDefinitions: [
    { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
    { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
    { AttributeName: INDEXES.byModelVersion.partitionKey, AttributeType: 'S' },
    { AttributeName: INDEXES.byModelVersion.sortKey, AttributeType: 'S' },
    { AttributeName: INDEXES.byFailure.partitionKey, AttributeType: 'S' },
    { AttributeName: INDEXES.byFailure.sortKey, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
    { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: Object.values(INDEXES).map((index) => ({
    IndexName: index.name,
    KeySchema: [
      { AttributeName: index.partitionKey, KeyType: 'HASH' },
      { AttributeName: index.sortKey, KeyType: 'RANGE' },
    ],
    // Listings return whole records; projecting all keeps a listing to one query.
    Projection: { ProjectionType: 'ALL' },
  })),
  BillingMode: 'PAY_PER_REQUEST',
} as const;

const RECORD_SK = 'RECORD';
export const DEPLOYMENT_PK = 'DEPLOYMENT';
/**
 * Idempotency keys live in partitions of their own, so IAM can confine reads to them. They
 * carry no index keys: no listing ever shows them.
 */
export const IDEMPOTENCY_PREFIX = 'IDEMPOTENCY#';

export const keys = {
  inference: (requestId: string) => ({ pk: `INFERENCE#${requestId}`, sk: RECORD_SK }),
  /** Keys are per caller (`callerTag`, a digest of who called): two callers never share one. */
  idempotency: (callerTag: string, key: string) => ({ pk: `${IDEMPOTENCY_PREFIX}${callerTag}#${key}`, sk: RECORD_SK }),
  deployment: (deployedAt: string, version: string) => ({ pk: DEPLOYMENT_PK, sk: `${deployedAt}#${version}` }),
  byModelVersion: (modelVersion: string, createdAt: string, requestId: string) => ({
    gsi1pk: `MODEL#${modelVersion}`,
    gsi1sk: `${createdAt}#${requestId}`,
  }),
  byFailure: (createdAt: string, requestId: string) => ({
    gsi2pk: `FAILED#${createdAt.slice(0, 10)}`,
    gsi2sk: `${createdAt}#${requestId}`,
  }),
  modelVersionPartition: (modelVersion: string) => `MODEL#${modelVersion}`,
  failurePartition: (day: string) => `FAILED#${day}`,
};

/** `[from, to]` time bounds as sort-key bounds: every `<time>#<id>` within the range sorts between them. */
export function timeRangeBounds(fromIso: string, toIso: string): { lower: string; upper: string } {
  return { lower: `${fromIso}#`, upper: `${toIso}#\uffff` };
}
