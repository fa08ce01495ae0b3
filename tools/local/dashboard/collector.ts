/**
 * Turns the local run's log lines into time series, the way CloudWatch would:
 * - EMF blobs (`_aws.CloudWatchMetrics`, printed by Powertools) become points of their
 *   metrics, with the blob's dimensions (source `emf`);
 * - every metric filter of the line's log group is applied to it (source `logs`), with the
 *   same definitions and evaluator the stack and the tests use.
 * Lines whose level is ERROR, failed requests and cut-short invocations are also kept, newest
 * last, for the "latest errors" list.
 */
import { LogSource, METRIC_FILTERS, applyMetricFilter } from '../../../lib/monitoring/metric-filters';
import { parseFilterPattern, parseJsonObject } from '../../../lib/monitoring/filter-pattern';
import type { MetricSource } from '../../../lib/monitoring/metric-ref';

export interface LocalPoint {
  /** Epoch milliseconds. */
  readonly t: number;
  readonly v: number;
}

export interface LocalSeriesEntry {
  /** `logs` and `emf` from the functions' lines; the others are the AWS services' own metrics, emitted by the local parts. */
  readonly source: MetricSource;
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly points: LocalPoint[];
}
export type LocalSeries = readonly LocalSeriesEntry[];

export interface LocalLogLine {
  readonly t: number;
  /** The log group, or the local source's own name when it has none here. */
  readonly from: string;
  readonly line: string;
}

export interface SeriesStoreOptions {
  /** Points older than this are dropped. */
  readonly windowMs: number;
  /** Lines kept for the latest-errors list. */
  readonly maxErrorLines: number;
  /** Which lines are errors (a filter pattern). */
  readonly errorPattern: string;
  readonly now: () => number;
}

export class SeriesStore {
  private readonly entries = new Map<string, LocalSeriesEntry>();
  private readonly errors: LocalLogLine[] = [];
  private readonly isError: (event: unknown) => boolean;

  constructor(private readonly options: SeriesStoreOptions) {
    this.isError = parseFilterPattern(options.errorPattern).matchesEvent;
  }

  /** `logGroup` undefined: a source no filter reads (its EMF blobs still count). */
  add(line: string, logGroup: LogSource | undefined, from: string = logGroup ?? 'unknown'): void {
    const event = parseJsonObject(line);
    if (!event) return;
    const t = timestampOf(event) ?? this.options.now();
    if (isEmf(event)) this.addEmf(event, t);
    for (const def of METRIC_FILTERS) {
      if (def.logGroup !== logGroup) continue;
      const datum = applyMetricFilter(def, line);
      if (datum) this.point('logs', def.metricName, datum.dimensions, { t, v: datum.value });
    }
    if (this.isError(event)) {
      this.errors.push({ t, from, line });
      if (this.errors.length > this.options.maxErrorLines) this.errors.shift();
    }
  }

  /** One datum of an AWS service's metric, as the local part standing in for the service emits it. */
  addMetric(
    source: MetricSource,
    metricName: string,
    value: number,
    dimensions: Record<string, string> = {},
    t: number = this.options.now(),
  ): void {
    if (Number.isFinite(value)) this.point(source, metricName, dimensions, { t, v: value });
  }

  series(): LocalSeries {
    const oldest = this.options.now() - this.options.windowMs;
    for (const entry of this.entries.values()) {
      while (entry.points.length > 0 && entry.points[0].t < oldest) entry.points.shift();
    }
    return [...this.entries.values()].filter((e) => e.points.length > 0);
  }

  latestErrors(): readonly LocalLogLine[] {
    return [...this.errors];
  }

  private addEmf(event: Record<string, unknown>, t: number): void {
    const aws = event._aws as { CloudWatchMetrics: Array<{ Dimensions?: string[][]; Metrics?: Array<{ Name: string }> }> };
    for (const directive of aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions?.length ? directive.Dimensions : [[]]) {
        const dimensions = Object.fromEntries(dimensionSet.map((d) => [d, String(event[d])]));
        for (const { Name } of directive.Metrics ?? []) {
          // EMF allows one value or an array of values per metric.
          for (const v of [event[Name]].flat()) {
            if (typeof v === 'number' && Number.isFinite(v)) this.point('emf', Name, dimensions, { t, v });
          }
        }
      }
    }
  }

  private point(source: MetricSource, metricName: string, dimensions: Record<string, string>, point: LocalPoint): void {
    const key = `${source}|${metricName}|${JSON.stringify(Object.entries(dimensions).sort())}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { source, metricName, dimensions, points: [] };
      this.entries.set(key, entry);
    }
    // Lines arrive roughly in order; keep the points sorted for the period buckets.
    let i = entry.points.length;
    while (i > 0 && entry.points[i - 1].t > point.t) i--;
    entry.points.splice(i, 0, point);
  }
}

function isEmf(event: Record<string, unknown>): boolean {
  const aws = event._aws as { CloudWatchMetrics?: unknown } | undefined;
  return Array.isArray(aws?.CloudWatchMetrics);
}

/** The line's own time: EMF's `_aws.Timestamp`, Powertools' `timestamp`, Lambda platform records' `time`. */
function timestampOf(event: Record<string, unknown>): number | undefined {
  const aws = event._aws as { Timestamp?: unknown } | undefined;
  if (typeof aws?.Timestamp === 'number') return aws.Timestamp;
  for (const key of ['timestamp', 'time']) {
    const value = event[key];
    if (typeof value === 'string') {
      const t = Date.parse(value);
      if (Number.isFinite(t)) return t;
    }
  }
  return undefined;
}
