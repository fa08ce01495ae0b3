/**
 * The metadata table's key design: the single source of truth used by the CDK stack (to
 * create the table), the handlers (to write and query) and the local pipeline (to create
 * the same table in dynalite). No AWS CDK imports here: this file is bundled into Lambdas.
 *
 * | access pattern                                   | key condition                                              |
 * | ------------------------------------------------ | ---------------------------------------------------------- |
 * | get an inference by request id                   | pk = INFERENCE#<id>, sk = RECORD                           |
 * | inferences of a model version in a time range    | byModelVersion: gsi1pk = MODEL#<version>#<day>#<shard>,    |
 * |                                                  |   gsi1sk between; every shard of every day, merged         |
 * | failed requests in a time range                  | byFailure: gsi2pk = FAILED#<yyyy-mm-dd>, gsi2sk between    |
 * | model deployments, newest first                  | pk = DEPLOYMENT, sk = <deployedAt>#<version>, descending   |
 * | an idempotency key of a caller                   | pk = IDEMPOTENCY#<caller tag>#<key>, sk = RECORD           |
 *
 * Time sort keys are `<ISO-8601 UTC>#<id>`, so they sort by time and stay unique.
 * Failures are spread by day so a failure storm cannot make one hot index partition.
 *
 * A model version's records are spread over `shards` index partitions per day (the shard is
 * a hash of the request id, so it follows from the record itself). One partition takes at
 * most 1,000 write units a second, and a GSI that throttles throttles the table's writes
 * too ("Understanding global secondary index (GSI) write throttling and back pressure",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/gsi-throttling.html;
 * "Using write sharding to distribute workloads evenly",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-sharding.html).
 * Records written before sharding carry the legacy partition `MODEL#<version>`; the listing
 * reads it too (lambda/read/version-listing.ts), so moving a table to sharded keys loses none.
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
  /** `shards`: index partitions per model version and day (records.shards); 1 to MAX_INDEX_SHARDS. */
  byModelVersion: (modelVersion: string, createdAt: string, requestId: string, shards: number) => ({
    gsi1pk: modelVersionShardPartition(modelVersion, createdAt.slice(0, 10), shardOf(requestId, shards)),
    gsi1sk: `${createdAt}#${requestId}`,
  }),
  byFailure: (createdAt: string, requestId: string) => ({
    gsi2pk: `FAILED#${createdAt.slice(0, 10)}`,
    gsi2sk: `${createdAt}#${requestId}`,
  }),
  /** The one partition of a version's records written before the index was sharded. */
  legacyModelVersionPartition: (modelVersion: string) => `MODEL#${modelVersion}`,
  modelVersionShardPartition: (modelVersion: string, day: string, shard: number) => modelVersionShardPartition(modelVersion, day, shard),
  failurePartition: (day: string) => `FAILED#${day}`,
};

/** Most index partitions per model version and day: a listing page queries every one of them. */
export const MAX_INDEX_SHARDS = 32;
/** Shards when the environment does not say (tests, tools); the stacks always pass records.shards. */
export const DEFAULT_INDEX_SHARDS = 1;

function modelVersionShardPartition(modelVersion: string, day: string, shard: number): string {
  return `MODEL#${modelVersion}#${day}#${shard}`;
}

/**
 * The shard of a request: FNV-1a (32-bit) of its id, modulo `shards`. A hash, not a random
 * number, so the shard follows from the record and a backfill rewrites the same key.
 */
export function shardOf(requestId: string, shards: number): number {
  if (!Number.isInteger(shards) || shards < 1 || shards > MAX_INDEX_SHARDS)
    throw new RangeError(`shards must be a whole number from 1 to ${MAX_INDEX_SHARDS}, got ${shards}`);
  let hash = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) {
    hash ^= requestId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/**
 * Whether `gsi1pk` is a byModelVersion partition a record of this version, time and id can
 * have: the legacy partition, or the shard of its day under some shard count.
 */
export function isModelVersionPartitionOf(gsi1pk: string, modelVersion: string, createdAt: string, requestId: string): boolean {
  if (gsi1pk === keys.legacyModelVersionPartition(modelVersion)) return true;
  const prefix = `MODEL#${modelVersion}#${createdAt.slice(0, 10)}#`;
  if (!gsi1pk.startsWith(prefix)) return false;
  const shard = gsi1pk.slice(prefix.length);
  if (!/^(0|[1-9]\d?)$/.test(shard)) return false;
  for (let n = Number(shard) + 1; n <= MAX_INDEX_SHARDS; n++) if (shardOf(requestId, n) === Number(shard)) return true;
  return false;
}

/** `[from, to]` time bounds as sort-key bounds: every `<time>#<id>` within the range sorts between them. */
export function timeRangeBounds(fromIso: string, toIso: string): { lower: string; upper: string } {
  return { lower: `${fromIso}#`, upper: `${toIso}#\uffff` };
}
