/**
 * Listing one model version's records in a time range, newest first, over the sharded
 * byModelVersion index (contract/table-design.ts): each day of the range has `shards`
 * partitions, plus the legacy unsharded partition of records written before sharding.
 *
 * Days are disjoint in time, so the listing walks them newest first; within a day it queries
 * every source (the day's shards, and the legacy partition within the day's bounds) and
 * merges them by sort key (`<createdAt>#<requestId>`, unique). The cursor keeps, per source,
 * the sort key of the last record the client received from it (or that the source is done),
 * so the next page resumes every source exactly where the last one stopped: nothing is
 * returned twice or skipped, whatever the page size and however records fall across shards.
 *
 * The merge is pure over a `SourceQuery` function, so a property test can drive it with an
 * in-memory index and the read handler with DynamoDB's Query.
 */

/** One source of a day: its partition key value and the sort-key bounds within the day. */
export interface ListingSource {
  readonly partition: string;
  readonly lower: string;
  readonly upper: string;
}

/** Items with sort keys in (start, upper] ∩ [lower, upper] of a partition, newest first, at most `limit`. */
export type SourceQuery = (
  source: ListingSource,
  limit: number,
  /** Resume after this sort key (exclusive), newest first. */
  after: string | undefined,
) => Promise<{ items: Record<string, unknown>[]; more: boolean }>;

/** Per source: not started (null), resume after this sort key, or done (true). */
export type SourcePosition = string | null | true;

export interface VersionCursor {
  /** The day (yyyy-mm-dd) the next page starts in. */
  readonly day: string;
  /** One position per source of that day, in `sourcesOf` order. */
  readonly positions: readonly SourcePosition[];
}

export interface ListingPlan {
  /** Days touched by the range, newest first. */
  readonly days: readonly string[];
  /** The sources of one day, in a fixed order. */
  readonly sourcesOf: (day: string) => readonly ListingSource[];
  /** Sort key of an item. */
  readonly sortKeyOf: (item: Record<string, unknown>) => string;
  /** Queries one page may make before it answers with what it has (and a cursor). */
  readonly maxQueries: number;
}

export interface MergedPage {
  readonly items: Record<string, unknown>[];
  readonly cursor?: VersionCursor;
}

export async function mergedPage(plan: ListingPlan, query: SourceQuery, limit: number, start?: VersionCursor): Promise<MergedPage> {
  const items: Record<string, unknown>[] = [];
  let dayIndex = start ? plan.days.indexOf(start.day) : 0;
  if (dayIndex < 0) throw new RangeError('cursor day outside the range');
  let positions: SourcePosition[] | undefined = start ? [...start.positions] : undefined;
  let queries = 0;

  for (; dayIndex < plan.days.length; dayIndex++, positions = undefined) {
    const day = plan.days[dayIndex];
    const sources = plan.sourcesOf(day);
    positions ??= sources.map(() => null);
    if (positions.length !== sources.length) throw new RangeError('cursor positions do not match the sources');

    while (items.length < limit && positions.some((p) => p !== true)) {
      if (queries + positions.filter((p) => p !== true).length > plan.maxQueries && queries > 0) {
        return { items, cursor: { day, positions } };
      }
      const want = limit - items.length;
      // Every open source up to `want` items; the newest `want` of their union are the next ones in order.
      const fetched = await Promise.all(
        sources.map(async (source, i) => {
          const p = positions![i];
          if (p === true) return undefined;
          queries++;
          return query(source, want, p ?? undefined);
        }),
      );
      const candidates = fetched.flatMap((page, i) =>
        page ? page.items.map((item) => ({ item, source: i, sk: plan.sortKeyOf(item) })) : [],
      );
      candidates.sort((a, b) => (a.sk < b.sk ? 1 : a.sk > b.sk ? -1 : 0));
      const taken = candidates.slice(0, want);
      const takenPerSource = sources.map(() => 0);
      for (const c of taken) {
        items.push(c.item);
        positions[c.source] = c.sk;
        takenPerSource[c.source]++;
      }
      fetched.forEach((page, i) => {
        // Done when everything it had was taken and it has nothing more.
        if (page && takenPerSource[i] === page.items.length && !page.more) positions![i] = true;
      });
    }
    if (items.length >= limit) {
      if (positions.some((p) => p !== true)) return { items, cursor: { day, positions } };
      const next = plan.days[dayIndex + 1];
      return { items, cursor: next === undefined ? undefined : { day: next, positions: plan.sourcesOf(next).map(() => null) } };
    }
  }
  return { items };
}

/** `yyyy-mm-dd` of every UTC day touched by [from, to], newest first. */
export function daysNewestFirst(from: string, to: string): string[] {
  const days: string[] = [];
  const first = Date.parse(`${from.slice(0, 10)}T00:00:00.000Z`);
  for (let day = Date.parse(`${to.slice(0, 10)}T00:00:00.000Z`); day >= first; day -= 86_400_000) {
    days.push(new Date(day).toISOString().slice(0, 10));
  }
  return days;
}
