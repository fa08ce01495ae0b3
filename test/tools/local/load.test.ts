import { DynamoDBDocumentClient, paginateQuery } from '@aws-sdk/lib-dynamodb';
import { INDEXES, keys } from '../../../contract/table-design';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { UNTHROTTLED, startPipeline, synthesizeOnce } from '../../harness/local-harness';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- autocannon has no ES module entry and no types
const autocannon = require('autocannon');

// Enough for every connection to overlap many times; throughput and latency figures are npm run bench's.
const REQUESTS = 200;
const CONCURRENCY = 16;

/** A bounded load on loopback: every 2xx has exactly one record, nothing lost or duplicated. */
describe('local pipeline under concurrent load', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  let pipeline: LocalPipeline;

  beforeAll(async () => {
    pipeline = await startPipeline(assembly);
  });
  afterAll(() => pipeline?.stop());

  test(`${REQUESTS} requests at concurrency ${CONCURRENCY}`, async () => {
    const started = new Date(Date.now() - 1000).toISOString();
    const requestIds: string[] = [];
    const result = await autocannon({
      url: `${pipeline.url}/predict`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [[6.3, 3.3, 6.0, 2.5]] }),
      connections: CONCURRENCY,
      amount: REQUESTS,
      timeout: 20,
      setupClient: (client: any) => {
        client.on('body', (body: Buffer) => {
          const id = JSON.parse(body.toString()).requestId;
          if (id) requestIds.push(id);
        });
      },
    });
    const ok = result['2xx'];
    expect(result.errors).toBe(0);
    expect(ok).toBe(REQUESTS);

    const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
    const stored: string[] = [];
    // Every shard of every day the run touched (the index is sharded: contract/table-design.ts).
    const days = [...new Set([started.slice(0, 10), new Date().toISOString().slice(0, 10)])];
    for (const day of days) {
      for (let shard = 0; shard < pipeline.config.records.shards; shard++) {
        const pages = paginateQuery(
          { client: doc },
          {
            TableName: pipeline.tableName,
            IndexName: INDEXES.byModelVersion.name,
            KeyConditionExpression: 'gsi1pk = :p AND gsi1sk >= :from',
            ExpressionAttributeValues: { ':p': keys.modelVersionShardPartition('1.0.0', day, shard), ':from': started },
          },
        );
        for await (const page of pages) for (const item of page.Items ?? []) if (item.status === 'SUCCESS') stored.push(item.requestId);
      }
    }

    expect(new Set(requestIds).size).toBe(REQUESTS);
    expect(stored.length).toBe(REQUESTS);
    expect(new Set(stored)).toEqual(new Set(requestIds));
  }, 180_000);
});
