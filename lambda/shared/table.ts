/**
 * The metadata table's client, shared by the functions. Items are plain objects (the
 * document client marshals them); a write never replaces an existing item.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '../../contract/table-design';

export interface TableClientOptions {
  /** SDK attempts per call, including the first: 1 where shared/retry.ts retries within the request's time. */
  readonly maxAttempts?: number;
  /** Time one attempt may take; DynamoDB answers in milliseconds, so a stuck call fails fast. */
  readonly requestTimeoutMs?: number;
}

export function createTableClient(options: TableClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: options.maxAttempts ?? 3,
    requestHandler: {
      requestTimeout: options.requestTimeoutMs ?? 1_000,
      throwOnRequestTimeout: true,
      connectionTimeout: 1_000,
    },
  });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * Puts an item unless one with the same key exists: records are history, and a second
 * write for the same key (a retried event, a replayed backfill) must not rewrite it.
 * Throws ConditionalCheckFailedException when the key is taken.
 */
export async function putNewItem(
  client: DynamoDBDocumentClient,
  tableName: string,
  item: Record<string, unknown>,
  abortSignal?: AbortSignal,
): Promise<void> {
  await client.send(
    new PutCommand({
      TableName: tableName,
      Item: item,
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
    }),
    { abortSignal },
  );
}

/** The table's answer to a write whose condition did not hold (for a record: its key is taken). */
export function isConditionFailure(error: unknown): boolean {
  return (error as { name?: unknown })?.name === 'ConditionalCheckFailedException';
}
