/**
 * The training set's statistics, written into the model's metadata so that drift can be
 * measured against the data the model learnt from, wherever the model goes (the deployment
 * record keeps them too). The shape follows SageMaker Model Monitor's statistics.json in
 * spirit (per feature: count, moments, min/max, a quantile summary and a 10-bucket
 * histogram; "Schema for Statistics (statistics.json file)",
 * https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-byoc-statistics.html), but
 * compact: it travels in a DynamoDB item (400 KB limit) and a CloudFormation property.
 *
 * Histogram bins are the training deciles, so each bin holds about a tenth of the training
 * rows: the usual choice for a population stability index (PSI).
 */

/** Quantiles kept per feature, in this order. */
export const STAT_QUANTILES = [0.05, 0.25, 0.5, 0.75, 0.95] as const;
/** Bins of the PSI histogram (before ties merge equal edges). */
export const HISTOGRAM_BINS = 10;

export interface FeatureStats {
  readonly name: string;
  readonly count: number;
  readonly mean: number;
  /** Sample standard deviation (n - 1). */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Values at STAT_QUANTILES (linear interpolation). */
  readonly quantiles: readonly number[];
  /**
   * Interior bin edges, ascending and distinct: bin 0 is (-inf, e0], bin i is (e(i-1), e(i)],
   * the last bin (e(n-1), +inf). So every value falls in exactly one bin.
   */
  readonly binEdges: readonly number[];
  /** Share of training rows in each bin; binEdges.length + 1 of them, summing to 1. */
  readonly binProportions: readonly number[];
}

export interface TrainingStats {
  /** Bumped on any change a reader of an older version could misread. */
  readonly version: 1;
  readonly rows: number;
  readonly quantileLevels: readonly number[];
  readonly features: readonly FeatureStats[];
  /** Share of each label in the training rows. */
  readonly labelProportions: Readonly<Record<string, number>>;
}

/** Statistics of `rows` (one array of feature values per row) and their labels. */
export function computeTrainingStats(
  featureNames: readonly string[],
  rows: readonly (readonly number[])[],
  labels: readonly string[],
): TrainingStats {
  if (rows.length < 2) throw new Error('training statistics need at least two rows');
  const features = featureNames.map((name, column) =>
    featureStats(
      name,
      rows.map((row) => row[column]),
    ),
  );
  const labelCounts: Record<string, number> = {};
  for (const label of labels) labelCounts[label] = (labelCounts[label] ?? 0) + 1;
  const labelProportions = Object.fromEntries(
    Object.keys(labelCounts)
      .sort()
      .map((label) => [label, round(labelCounts[label] / labels.length)]),
  );
  return { version: 1, rows: rows.length, quantileLevels: [...STAT_QUANTILES], features, labelProportions };
}

function featureStats(name: string, values: readonly number[]): FeatureStats {
  const sorted = [...values].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((a, b) => a + b, 0) / n;
  const variance = sorted.reduce((sum, v) => sum + (v - mean) ** 2, 0) / (n - 1);
  const deciles = Array.from({ length: HISTOGRAM_BINS - 1 }, (_, i) => quantile(sorted, (i + 1) / HISTOGRAM_BINS));
  const binEdges = [...new Set(deciles.map(round))].filter((edge) => edge < sorted[n - 1]);
  const counts = new Array<number>(binEdges.length + 1).fill(0);
  for (const v of sorted) counts[binOf(binEdges, v)]++;
  return {
    name,
    count: n,
    mean: round(mean),
    std: round(Math.sqrt(variance)),
    min: sorted[0],
    max: sorted[n - 1],
    quantiles: STAT_QUANTILES.map((q) => round(quantile(sorted, q))),
    binEdges,
    binProportions: counts.map((c) => round(c / n)),
  };
}

/** The bin of `value`: the number of edges strictly below it. */
export function binOf(edges: readonly number[], value: number): number {
  let bin = 0;
  while (bin < edges.length && value > edges[bin]) bin++;
  return bin;
}

/** Linear interpolation between closest ranks (the common "type 7" quantile). */
export function quantile(sorted: readonly number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - lower);
}

/** Six significant digits: compact, and the same text on every machine. */
function round(value: number): number {
  return Number(value.toPrecision(6));
}

/** Checks a value read back from a model file or a deployment record; returns it typed, or undefined. */
export function parseTrainingStats(value: unknown): TrainingStats | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const s = value as Record<string, unknown>;
  if (s.version !== 1 || !Array.isArray(s.features) || typeof s.rows !== 'number') return undefined;
  const ok = s.features.every((f: unknown) => {
    const x = f as Record<string, unknown>;
    return (
      typeof x?.name === 'string' &&
      ['count', 'mean', 'std', 'min', 'max'].every((k) => typeof x[k] === 'number') &&
      Array.isArray(x.binEdges) &&
      Array.isArray(x.binProportions) &&
      x.binProportions.length === x.binEdges.length + 1
    );
  });
  return ok ? (value as TrainingStats) : undefined;
}
