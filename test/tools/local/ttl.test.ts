/**
 * TTL on the local table, enabled from the stack's TimeToLiveSpecification, with expired items
 * swept as DynamoDB does: "Items that have expired and not been deleted will still show up in
 * reads, queries, and scans", and are deleted later (UpdateTimeToLive API reference).
 */
import { DescribeTimeToLiveCommand, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { TABLE_KEYS } from '../../../contract/table-design';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { UNTHROTTLED, startPipeline, synthesizeOnce } from '../../harness/local-harness';

describe('local table TTL', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startPipeline(assembly);
  });
  afterAll(() => pipeline?.stop());

  test('TTL is enabled on the attribute the stack names', async () => {
    const table = Object.values(assembly.templates.data.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table')!;
    expect(table.Properties!.TimeToLiveSpecification).toEqual({ AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true });
    const { TimeToLiveDescription } = await pipeline.dynamoDb.client.send(new DescribeTimeToLiveCommand({ TableName: pipeline.tableName }));
    expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: TABLE_KEYS.ttlAttribute });
  });

  test('an expired item is still read until the sweep, then it is gone; a live one stays', async () => {
    const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
    const now = Math.floor(Date.now() / 1000);
    const expired = { pk: 'INFERENCE#ttl-expired', sk: 'RECORD', [TABLE_KEYS.ttlAttribute]: now - 60 };
    const live = { pk: 'INFERENCE#ttl-live', sk: 'RECORD', [TABLE_KEYS.ttlAttribute]: now + 3_600 };
    const noTtl = { pk: 'INFERENCE#ttl-none', sk: 'RECORD' };
    for (const Item of [expired, live, noTtl]) await doc.send(new PutCommand({ TableName: pipeline.tableName, Item }));
    const get = async (pk: string) => (await doc.send(new GetCommand({ TableName: pipeline.tableName, Key: { pk, sk: 'RECORD' } }))).Item;
    expect(await get(expired.pk)).toBeDefined();

    expect(await pipeline.dynamoDb.sweepExpired()).toBe(1);
    expect(await get(expired.pk)).toBeUndefined();
    expect(await get(live.pk)).toBeDefined();
    expect(await get(noTtl.pk)).toBeDefined();
  });

  test('a record the pipeline writes carries the TTL attribute the sweep reads', async () => {
    const res = await fetch(`${pipeline.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"instances":[[5.1,3.5,1.4,0.2]]}',
    });
    const { requestId } = (await res.json()) as { requestId: string };
    const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
    const { Item } = await doc.send(new GetCommand({ TableName: pipeline.tableName, Key: { pk: `INFERENCE#${requestId}`, sk: 'RECORD' } }));
    expect(Item![TABLE_KEYS.ttlAttribute]).toBeGreaterThan(Date.now() / 1000);
    expect(await pipeline.dynamoDb.sweepExpired()).toBe(0);
  });

  test('TTL can be turned off and on again, as with UpdateTimeToLive', async () => {
    const client = pipeline.dynamoDb.client;
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: pipeline.tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: false },
      }),
    );
    expect((await client.send(new DescribeTimeToLiveCommand({ TableName: pipeline.tableName }))).TimeToLiveDescription).toEqual({
      TimeToLiveStatus: 'DISABLED',
    });
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: pipeline.tableName,
        TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
      }),
    );
    expect(
      (await client.send(new DescribeTimeToLiveCommand({ TableName: pipeline.tableName }))).TimeToLiveDescription?.TimeToLiveStatus,
    ).toBe('ENABLED');
  });
});
