/**
 * The read routes' table access, one function per access pattern of table-design.ts.
 * Listings are newest first and return clean records: the key attributes (pk, sk, gsi*)
 * are how the table finds an item, not part of the record. Each call is retried on
 * throttling within the request's time (shared/retry.ts).
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RetryBudget, withRetries } from '../shared/retry';
import { DEFAULT_INDEX_SHARDS, DEPLOYMENT_PK, INDEXES, keys, TABLE_KEYS, timeRangeBounds } from '../../contract/table-design';
import { REQUEST_ID_PATTERN } from '../shared/http';
import { checkedKey, decodeToken, encodeToken, foreignToken, Key } from './pagination';
import type { InferenceListQuery, ModelsQuery } from './params';
import { daysNewestFirst, ListingPlan, ListingSource, mergedPage, SourceQuery, VersionCursor } from './version-listing';

/** The table, and the time and attempts each of a request's calls to it may take. */
export interface ReadTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly budget: RetryBudget;
  /** byModelVersion partitions per version and day, as the records were written. @default DEFAULT_INDEX_SHARDS */
  readonly indexShards?: number;
}

/** Queries one version-listing page may make before answering with what it has and a token. */
export const MAX_QUERIES_PER_PAGE = 64;

export type Page = {
  readonly items: Record<string, unknown>[];
  /** Present when there may be more: pass it back as `nextToken` with the same parameters. */
  readonly nextToken?: string;
};

const KEY_ATTRIBUTES: readonly string[] = [
  TABLE_KEYS.partitionKey,
  TABLE_KEYS.sortKey,
  ...Object.values(INDEXES).flatMap((index) => [index.partitionKey, index.sortKey]),
];

export function cleanRecord(item: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(item).filter(([name]) => !KEY_ATTRIBUTES.includes(name)));
}

export async function getInference(table: ReadTable, requestId: string): Promise<Record<string, unknown> | undefined> {
  // Consistent: a client reading its record right after its prediction must find it.
  const command = new GetCommand({ TableName: table.tableName, Key: keys.inference(requestId), ConsistentRead: true });
  const { Item } = await withRetries((abortSignal) => table.client.send(command, { abortSignal }), table.budget);
  return Item && cleanRecord(Item);
}

/**
 * Inferences of one model version within [from, to], newest first: every shard of every day,
 * and the legacy partition, merged in time order (version-listing.ts).
 */
export async function listByModelVersion(table: ReadTable, q: Extract<InferenceListQuery, { kind: 'version' }>): Promise<Page> {
  const index = INDEXES.byModelVersion;
  const shards = table.indexShards ?? DEFAULT_INDEX_SHARDS;
  const bounds = timeRangeBounds(q.from, q.to);
  const plan: ListingPlan = {
    days: daysNewestFirst(q.from, q.to),
    sourcesOf: (day) => versionSources(q.modelVersion, day, shards, bounds),
    sortKeyOf: (item) => String(item[index.sortKey]),
    maxQueries: MAX_QUERIES_PER_PAGE,
  };
  const start = q.nextToken === undefined ? undefined : versionCursor(q.nextToken, q.modelVersion, plan);
  const query: SourceQuery = async (source, limit, after) => {
    const startKey =
      after === undefined
        ? undefined
        : { [index.partitionKey]: source.partition, [index.sortKey]: after, ...keys.inference(requestIdOfSortKey(after)) };
    const page = await queryIndex(table, index, source.partition, source, limit, startKey);
    return { items: page.items, more: page.lastKey !== undefined };
  };
  const page = await mergedPage(plan, query, q.limit, start);
  return {
    items: page.items.map(cleanRecord),
    nextToken: page.cursor && encodeToken({ q: 'version', v: q.modelVersion, d: page.cursor.day, p: page.cursor.positions }),
  };
}

/** A day's sources: its shards, then the legacy partition, each within the day and the range. */
function versionSources(modelVersion: string, day: string, shards: number, bounds: { lower: string; upper: string }): ListingSource[] {
  const dayBounds = timeRangeBounds(`${day}T00:00:00.000Z`, `${day}T23:59:59.999Z`);
  const lower = bounds.lower > dayBounds.lower ? bounds.lower : dayBounds.lower;
  const upper = bounds.upper < dayBounds.upper ? bounds.upper : dayBounds.upper;
  const partitions = [
    ...Array.from({ length: shards }, (_, s) => keys.modelVersionShardPartition(modelVersion, day, s)),
    keys.legacyModelVersionPartition(modelVersion),
  ];
  return partitions.map((partition) => ({ partition, lower, upper }));
}

/** The token's cursor, if every position is a sort key of its source within the range; refused otherwise. */
function versionCursor(raw: string, modelVersion: string, plan: ListingPlan): VersionCursor {
  const token = decodeToken(raw, 'version');
  if (token.v !== modelVersion || !plan.days.includes(token.d!)) throw foreignToken();
  const sources = plan.sourcesOf(token.d!);
  const positions = token.p!;
  if (positions.length !== sources.length) throw foreignToken();
  positions.forEach((p, i) => {
    if (typeof p !== 'string') return;
    const within = p > sources[i].lower && p <= sources[i].upper;
    if (!within || !REQUEST_ID_PATTERN.test(requestIdOfSortKey(p))) throw foreignToken();
  });
  return { day: token.d!, positions };
}

/**
 * Failed inferences within [from, to], newest first: byFailure is partitioned by day, so
 * this walks the day partitions from `to` back to `from`, filling the page across days.
 * The token remembers the day and the key within it.
 */
export async function listFailed(table: ReadTable, q: Extract<InferenceListQuery, { kind: 'failed' }>): Promise<Page> {
  const index = INDEXES.byFailure;
  const bounds = timeRangeBounds(q.from, q.to);
  const days = daysNewestFirst(q.from, q.to);
  let dayIndex = 0;
  let startKey: Key | undefined;
  if (q.nextToken !== undefined) {
    const token = decodeToken(q.nextToken, 'failed');
    dayIndex = days.indexOf(token.day!);
    if (dayIndex < 0) throw foreignToken(); // a day outside [from, to]
    startKey = token.k && indexKey(token.k, index, keys.failurePartition(token.day!), bounds);
  }

  const items: Record<string, unknown>[] = [];
  for (; dayIndex < days.length; dayIndex++, startKey = undefined) {
    const partition = keys.failurePartition(days[dayIndex]);
    do {
      const page = await queryIndex(table, index, partition, bounds, q.limit - items.length, startKey);
      items.push(...page.items.map(cleanRecord));
      startKey = page.lastKey;
    } while (startKey && items.length < q.limit);
    if (items.length >= q.limit) {
      if (startKey) return { items, nextToken: encodeToken({ q: 'failed', day: days[dayIndex], k: startKey }) };
      const nextDay = days[dayIndex + 1];
      return { items, nextToken: nextDay && encodeToken({ q: 'failed', day: nextDay }) };
    }
  }
  return { items };
}

/** Model deployments, newest first. */
export async function listModels(table: ReadTable, q: ModelsQuery): Promise<Page> {
  const startKey =
    q.nextToken === undefined
      ? undefined
      : checkedKey(decodeToken(q.nextToken, 'models').k, {
          [TABLE_KEYS.partitionKey]: (pk) => pk === DEPLOYMENT_PK,
          [TABLE_KEYS.sortKey]: (sk) => /^\d{4}-\d{2}-\d{2}T[^#]*#.+$/.test(sk),
        });
  const command = new QueryCommand({
    TableName: table.tableName,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
    ExpressionAttributeValues: { ':pk': DEPLOYMENT_PK },
    ScanIndexForward: false,
    Limit: q.limit,
    ExclusiveStartKey: startKey,
  });
  const { Items = [], LastEvaluatedKey } = await withRetries((abortSignal) => table.client.send(command, { abortSignal }), table.budget);
  return { items: Items.map(cleanRecord), nextToken: LastEvaluatedKey && encodeToken({ q: 'models', k: LastEvaluatedKey as Key }) };
}

type Index = (typeof INDEXES)[keyof typeof INDEXES];

async function queryIndex(
  table: ReadTable,
  index: Index,
  partition: string,
  bounds: { lower: string; upper: string },
  limit: number,
  startKey: Key | undefined,
): Promise<{ items: Record<string, unknown>[]; lastKey?: Key }> {
  const command = new QueryCommand({
    TableName: table.tableName,
    IndexName: index.name,
    KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :lower AND :upper',
    ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
    ExpressionAttributeValues: { ':pk': partition, ':lower': bounds.lower, ':upper': bounds.upper },
    ScanIndexForward: false,
    Limit: limit,
    ExclusiveStartKey: startKey,
  });
  const { Items = [], LastEvaluatedKey } = await withRetries((abortSignal) => table.client.send(command, { abortSignal }), table.budget);
  return { items: Items, lastKey: LastEvaluatedKey as Key | undefined };
}

/**
 * A key of `index` within `partition` and `bounds`: an index's LastEvaluatedKey holds the
 * table key and the index key, and for an inference record the table key is derived from
 * the request id that ends the index sort key (`<createdAt>#<requestId>`).
 */
function indexKey(key: unknown, index: Index, partition: string, bounds: { lower: string; upper: string }): Key {
  return checkedKey(key, {
    [index.partitionKey]: (value) => value === partition,
    [index.sortKey]: (value) => value > bounds.lower && value <= bounds.upper,
    [TABLE_KEYS.partitionKey]: (value, k) => value === keys.inference(requestIdOfSortKey(k[index.sortKey])).pk,
    [TABLE_KEYS.sortKey]: (value, k) => value === keys.inference(requestIdOfSortKey(k[index.sortKey])).sk,
  });
}

function requestIdOfSortKey(sortKey: string): string {
  return sortKey.slice(sortKey.indexOf('#') + 1);
}
