/**
 * The read routes' table access, one function per access pattern of table-design.ts.
 * Listings are newest first and return clean records: the key attributes (pk, sk, gsi*)
 * are how the table finds an item, not part of the record. Each call is retried on
 * throttling within the request's time (shared/retry.ts).
 */
import { GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { RetryBudget, withRetries } from '../shared/retry';
import { DEPLOYMENT_PK, INDEXES, keys, TABLE_KEYS, timeRangeBounds } from '../../contract/table-design';
import { checkedKey, decodeToken, encodeToken, foreignToken, Key } from './pagination';
import type { InferenceListQuery, ModelsQuery } from './params';

/** The table, and the time and attempts each of a request's calls to it may take. */
export interface ReadTable {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly budget: RetryBudget;
}

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

/** Inferences of one model version within [from, to]: one partition of byModelVersion. */
export async function listByModelVersion(
  table: ReadTable,
  q: Extract<InferenceListQuery, { kind: 'version' }>,
): Promise<Page> {
  const index = INDEXES.byModelVersion;
  const partition = keys.modelVersionPartition(q.modelVersion);
  const bounds = timeRangeBounds(q.from, q.to);
  const startKey = q.nextToken === undefined ? undefined : indexKey(decodeToken(q.nextToken, 'version').k, index, partition, bounds);
  const page = await queryIndex(table, index, partition, bounds, q.limit, startKey);
  return { items: page.items.map(cleanRecord), nextToken: page.lastKey && encodeToken({ q: 'version', k: page.lastKey }) };
}

/**
 * Failed inferences within [from, to], newest first: byFailure is partitioned by day, so
 * this walks the day partitions from `to` back to `from`, filling the page across days.
 * The token remembers the day and the key within it.
 */
export async function listFailed(
  table: ReadTable,
  q: Extract<InferenceListQuery, { kind: 'failed' }>,
): Promise<Page> {
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

/** `yyyy-mm-dd` of every UTC day touched by [from, to], newest first. */
function daysNewestFirst(from: string, to: string): string[] {
  const days: string[] = [];
  const first = Date.parse(`${from.slice(0, 10)}T00:00:00.000Z`);
  for (let day = Date.parse(`${to.slice(0, 10)}T00:00:00.000Z`); day >= first; day -= 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}
