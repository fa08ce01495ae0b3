/**
 * The sharded version listing: a property test of the merge over an in-memory index (any
 * number of shards, records and page sizes: every record once, newest first, across pages),
 * and the real read handler against dynalite with records in many shards and days, old
 * records in the legacy unsharded partition (a table moved to sharded keys), and tokens
 * that carry every shard's position.
 */
import fc from 'fast-check';
import { daysNewestFirst, ListingPlan, ListingSource, mergedPage, SourceQuery, VersionCursor } from '../../../lambda/read/version-listing';
import { buildInferenceRecord, InferenceRecord } from '../../../lambda/shared/record';
import { putNewItem } from '../../../lambda/shared/table';
import { keys, shardOf, timeRangeBounds } from '../../../contract/table-design';
import { LocalDynamo, startDynalite } from '../../harness/lambda-dynamo';
import { useLocalAws } from '../../harness/lambda-env';
import { apiEvent, lambdaContext } from '../../harness/lambda-events';
import { captureStdout, StdoutCapture } from '../../harness/lambda-stdout';

interface Row {
  readonly partition: string;
  readonly sk: string;
}

/** A Query over rows kept in memory: the index's semantics (newest first, bounds, Limit, start key). */
function memoryIndex(rows: readonly Row[], calls: { n: number }): SourceQuery {
  return async (source: ListingSource, limit, after) => {
    calls.n++;
    const matching = rows
      .filter(
        (r) => r.partition === source.partition && r.sk >= source.lower && r.sk <= source.upper && (after === undefined || r.sk < after),
      )
      .sort((a, b) => (a.sk < b.sk ? 1 : -1));
    const items = matching.slice(0, limit).map((r) => ({ ...r }));
    return { items, more: matching.length > limit };
  };
}

function planFor(version: string, from: string, to: string, shards: number, maxQueries: number): ListingPlan {
  const bounds = timeRangeBounds(from, to);
  return {
    days: daysNewestFirst(from, to),
    sourcesOf: (day) => {
      const dayBounds = timeRangeBounds(`${day}T00:00:00.000Z`, `${day}T23:59:59.999Z`);
      const lower = bounds.lower > dayBounds.lower ? bounds.lower : dayBounds.lower;
      const upper = bounds.upper < dayBounds.upper ? bounds.upper : dayBounds.upper;
      return [
        ...Array.from({ length: shards }, (_, s) => keys.modelVersionShardPartition(version, day, s)),
        keys.legacyModelVersionPartition(version),
      ].map((partition) => ({ partition, lower, upper }));
    },
    sortKeyOf: (item) => String(item.sk),
    maxQueries,
  };
}

describe('mergedPage (property)', () => {
  const T0 = Date.parse('2024-05-01T00:00:00.000Z');

  it('returns every record of the range once, newest first, across pages, for any shards, records and page size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        // Offsets within four days; duplicates in time are fine (ids differ).
        fc.array(fc.record({ offsetMs: fc.integer({ min: 0, max: 4 * 86_400_000 - 1 }), legacy: fc.boolean() }), { maxLength: 120 }),
        fc.integer({ min: 1, max: 15 }),
        fc.integer({ min: 4, max: 40 }),
        fc.tuple(fc.integer({ min: 0, max: 2 * 86_400_000 }), fc.integer({ min: 0, max: 2 * 86_400_000 })),
        async (shards, specs, limit, maxQueries, [fromOffset, span]) => {
          const rows: Row[] = specs.map((spec, i) => {
            const createdAt = new Date(T0 + spec.offsetMs).toISOString();
            const requestId = `r-${i}`;
            const partition = spec.legacy
              ? keys.legacyModelVersionPartition('1.0.0')
              : keys.byModelVersion('1.0.0', createdAt, requestId, shards).gsi1pk;
            return { partition, sk: `${createdAt}#${requestId}` };
          });
          // Another version's records share nothing with this listing.
          rows.push({
            partition: keys.byModelVersion('2.0.0', new Date(T0).toISOString(), 'other', shards).gsi1pk,
            sk: `${new Date(T0 + 1000).toISOString()}#other`,
          });
          const from = new Date(T0 + fromOffset).toISOString();
          const to = new Date(T0 + fromOffset + span).toISOString();
          const bounds = timeRangeBounds(from, to);
          const expected = rows
            .filter((r) => r.partition.startsWith('MODEL#1.0.0') && r.sk >= bounds.lower && r.sk <= bounds.upper)
            .map((r) => r.sk)
            .sort()
            .reverse();

          const plan = planFor('1.0.0', from, to, shards, maxQueries);
          const calls = { n: 0 };
          const query = memoryIndex(rows, calls);
          const seen: string[] = [];
          let cursor: VersionCursor | undefined;
          let pages = 0;
          do {
            // Through JSON, as a token travels.
            const page = await mergedPage(plan, query, limit, cursor && (JSON.parse(JSON.stringify(cursor)) as VersionCursor));
            expect(page.items.length).toBeLessThanOrEqual(limit);
            seen.push(...page.items.map((item) => String(item.sk)));
            cursor = page.cursor;
            pages++;
          } while (cursor && pages < 10_000);
          expect(seen).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('answers a partial page with a cursor when a page would take more queries than allowed', async () => {
    // 31 empty days x 3 sources: more than 10 queries, so the first page stops early and says where.
    const plan = planFor('1.0.0', '2024-05-01T00:00:00Z', '2024-05-31T23:59:59Z', 2, 10);
    const calls = { n: 0 };
    const page = await mergedPage(plan, memoryIndex([], calls), 5);
    expect(page.items).toEqual([]);
    expect(page.cursor).toEqual({ day: '2024-05-28', positions: [null, null, null] });
    expect(calls.n).toBe(9);
  });
});

describe('the read handler over a sharded index (dynalite)', () => {
  const TABLE = 'sharded-records';
  const SHARDS = 4;
  let dynamo: LocalDynamo;
  let restoreEnv: () => void;
  let out: StdoutCapture;
  const T0 = Date.parse('2024-05-01T22:00:00.000Z');
  let all: InferenceRecord[];
  let createReadHandler: typeof import('../../../lambda/read').createReadHandler;

  function record(requestId: string, createdAt: string, shards: number): InferenceRecord {
    return buildInferenceRecord({
      requestId,
      createdAt,
      httpStatus: 200,
      caller: { type: 'iam' },
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'iris-endpoint',
      input: { mode: 'hash', sizeBytes: 51, sha256: 'a'.repeat(64) },
      latencyMs: 12,
      ttlDays: 0,
      indexShards: shards,
    });
  }

  beforeAll(async () => {
    dynamo = await startDynalite();
    restoreEnv = useLocalAws({ dynamodb: dynamo.endpoint }, { TABLE_NAME: TABLE });
    await dynamo.createTable(TABLE);
    // 40 records every 5 minutes across midnight (two days), in four shards ...
    const sharded = Array.from({ length: 40 }, (_, i) => record(`s-${i}`, new Date(T0 + i * 300_000).toISOString(), SHARDS));
    // ... and 6 older ones written before sharding, in the legacy partition (what the table held before the move).
    const legacy = Array.from({ length: 6 }, (_, i) => ({
      ...record(`l-${i}`, new Date(T0 - (i + 1) * 600_000).toISOString(), SHARDS),
      gsi1pk: keys.legacyModelVersionPartition('1.0.0'),
    }));
    all = [...sharded, ...legacy];
    for (const r of all) await putNewItem(dynamo.client, TABLE, r as unknown as Record<string, unknown>);
    // The module builds its deployed handler from the environment when loaded.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler reads its environment when loaded, so it is loaded after the environment is set
    createReadHandler = (require('../../../lambda/read') as typeof import('../../../lambda/read')).createReadHandler;
    out = captureStdout();
  });

  afterAll(async () => {
    out?.stop();
    restoreEnv?.();
    await dynamo?.stop();
  });

  it('spreads the records over every shard of each day', () => {
    const partitions = new Set(all.filter((r) => r.requestId.startsWith('s-')).map((r) => r.gsi1pk));
    expect([...partitions].every((p) => /^MODEL#1\.0\.0#2024-05-0[12]#[0-3]$/.test(p))).toBe(true);
    expect(partitions.size).toBeGreaterThan(4);
    expect(shardOf('s-0', SHARDS)).toBe(Number(all[0].gsi1pk.split('#')[3]));
  });

  it.each([1, 3, 7, 100])('lists every record once, newest first, legacy ones included, with pages of %i', async (limit) => {
    const read = createReadHandler(TABLE, SHARDS);
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const query: Record<string, string> = {
        modelVersion: '1.0.0',
        from: '2024-05-01T00:00:00Z',
        to: '2024-05-02T23:59:59Z',
        limit: String(limit),
        ...(nextToken ? { nextToken } : {}),
      };
      const response = await read(
        apiEvent({ method: 'GET', resource: '/inferences', path: '/inferences', query }),
        lambdaContext('sharded'),
      );
      expect(response.statusCode).toBe(200);
      const body = JSON.parse(response.body) as { items: { requestId: string; createdAt: string }[]; nextToken?: string };
      expect(body.items.length).toBeLessThanOrEqual(limit);
      seen.push(...body.items.map((i) => i.requestId));
      nextToken = body.nextToken;
      pages++;
    } while (nextToken && pages < 100);
    const expected = [...all].sort((a, b) => (a.gsi1sk < b.gsi1sk ? 1 : -1)).map((r) => r.requestId);
    expect(seen).toEqual(expected);
    expect(seen.filter((id) => id.startsWith('l-'))).toHaveLength(6);
  });

  it('lists a range within one day only from that day', async () => {
    const read = createReadHandler(TABLE, SHARDS);
    const response = await read(
      apiEvent({
        method: 'GET',
        resource: '/inferences',
        path: '/inferences',
        query: { modelVersion: '1.0.0', from: '2024-05-02T00:00:00Z', to: '2024-05-02T00:30:00Z', limit: '100' },
      }),
      lambdaContext('sharded'),
    );
    const items = (JSON.parse(response.body) as { items: { createdAt: string }[] }).items;
    expect(items.map((i) => i.createdAt)).toEqual([
      '2024-05-02T00:30:00.000Z',
      '2024-05-02T00:25:00.000Z',
      '2024-05-02T00:20:00.000Z',
      '2024-05-02T00:15:00.000Z',
      '2024-05-02T00:10:00.000Z',
      '2024-05-02T00:05:00.000Z',
      '2024-05-02T00:00:00.000Z',
    ]);
  });
});
