/**
 * The byModelVersion key function at scale: at 10,000 predictions a second of one model
 * version, every index partition must stay under DynamoDB's per-partition write limit.
 *
 * "Each partition on the table can serve up to 3,000 read request units or 1,000 write
 * request units, or a linear combination of both" (AWS Knowledge Center, "My on-demand
 * Amazon DynamoDB table has throttling", https://repost.aws/knowledge-center/on-demand-table-throttling-dynamodb);
 * the limit applies to GSI partitions too ("1- Key range throughput exceeded (hot partitions)",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/throttling-key-range-limit-exceeded-mitigation.html).
 * One write unit writes an item of up to 1 KB ("Read/write capacity mode",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html).
 */
import { randomUUID } from 'node:crypto';
import { BUILT_IN_STAGES } from '../../lib/config/defaults';
import { buildInferenceRecord } from '../../lambda/shared/record';
import { isModelVersionPartitionOf, keys, MAX_INDEX_SHARDS, shardOf } from '../../contract/table-design';

const PARTITION_WCU_PER_SECOND = 1_000;
const PREDICTIONS_PER_SECOND = 10_000;

/** A prod record (hash payload mode), to size its index write in write units. */
function prodRecordBytes(): number {
  const record = buildInferenceRecord({
    requestId: randomUUID(),
    createdAt: '2024-05-01T10:00:00.000Z',
    httpStatus: 200,
    caller: {
      type: 'iam',
      principal: 'arn:aws:iam::123456789012:role/a-fairly-long-caller-role-name/session',
      accountId: '123456789012',
      sourceIp: '203.0.113.10',
      userAgent: 'aws-sdk-js/3.0 ua/2.1 os/linux lang/js md/nodejs#22',
    },
    modelName: 'iris-classifier',
    modelVersion: '1.0.0',
    endpointName: 'inference-prod-iris-classifier',
    variant: 'AllTraffic',
    input: { mode: 'hash', sizeBytes: 51, sha256: 'a'.repeat(64) },
    output: { mode: 'hash', sizeBytes: 120, sha256: 'b'.repeat(64) },
    latencyMs: 12.5,
    modelLatencyMs: 9.25,
    ttlDays: 90,
    indexShards: 16,
  });
  // Attribute names and values as UTF-8: an upper bound of DynamoDB's item size for this shape.
  return Buffer.byteLength(JSON.stringify(record), 'utf8');
}

describe('byModelVersion sharding', () => {
  it('keeps every index partition under 1,000 write units a second at 10,000 predictions a second (prod shards)', () => {
    const shards = BUILT_IN_STAGES.prod.records.shards;
    const bytes = prodRecordBytes();
    const wcuPerWrite = Math.ceil(bytes / 1024);
    expect(wcuPerWrite).toBe(1);

    // One second of traffic, many times over: the busiest partition's share, from the key function itself.
    const counts = new Map<string, number>();
    const samples = 200_000;
    for (let i = 0; i < samples; i++) {
      const { gsi1pk } = keys.byModelVersion('1.0.0', '2024-05-01T10:00:00.000Z', randomUUID(), shards);
      counts.set(gsi1pk, (counts.get(gsi1pk) ?? 0) + 1);
    }
    expect(counts.size).toBe(shards);
    const busiestShare = Math.max(...counts.values()) / samples;
    const busiestWcu = busiestShare * PREDICTIONS_PER_SECOND * wcuPerWrite;
    console.log(
      `prod: ${shards} shards, ${bytes} B record, busiest index partition ${busiestWcu.toFixed(0)} WCU/s at ${PREDICTIONS_PER_SECOND} predictions/s (limit ${PARTITION_WCU_PER_SECOND})`,
    );
    expect(busiestWcu).toBeLessThan(PARTITION_WCU_PER_SECOND * 0.8);
    // Unsharded, the same traffic is ten times the limit: what the sharding is for.
    expect(PREDICTIONS_PER_SECOND * wcuPerWrite).toBeGreaterThan(PARTITION_WCU_PER_SECOND);
  });

  it('spreads request ids evenly and deterministically', () => {
    expect(shardOf('abc', 16)).toBe(shardOf('abc', 16));
    expect(() => shardOf('abc', 0)).toThrow('shards must be a whole number from 1 to 32, got 0');
    expect(() => shardOf('abc', MAX_INDEX_SHARDS + 1)).toThrow(RangeError);
  });

  it("puts a record in its day and shard, and recognises the legacy partition as the record's own", () => {
    const k = keys.byModelVersion('1.1.0', '2024-05-01T23:59:59.999Z', 'req-1', 8);
    expect(k).toEqual({ gsi1pk: `MODEL#1.1.0#2024-05-01#${shardOf('req-1', 8)}`, gsi1sk: '2024-05-01T23:59:59.999Z#req-1' });
    expect(isModelVersionPartitionOf(k.gsi1pk, '1.1.0', '2024-05-01T23:59:59.999Z', 'req-1')).toBe(true);
    expect(isModelVersionPartitionOf('MODEL#1.1.0', '1.1.0', '2024-05-01T23:59:59.999Z', 'req-1')).toBe(true);
    expect(isModelVersionPartitionOf(k.gsi1pk, '1.1.0', '2024-05-02T00:00:00.000Z', 'req-1')).toBe(false);
    expect(isModelVersionPartitionOf('MODEL#1.1.0#2024-05-01#99', '1.1.0', '2024-05-01T10:00:00.000Z', 'req-1')).toBe(false);
    expect(isModelVersionPartitionOf('MODEL#2.0.0#2024-05-01#0', '1.1.0', '2024-05-01T10:00:00.000Z', 'req-1')).toBe(false);
  });
});
