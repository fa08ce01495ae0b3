/**
 * The analysis: the query files run for each cohort (a model version over a time window),
 * then drift per feature against the training set's statistics and between the two cohorts,
 * and a plain verdict. Engine-agnostic: DuckDB locally, Athena on AWS, the same SQL.
 */
import type { FeatureStats, TrainingStats } from '../../model/src/training-stats';
import type { AnalysisEngine, Rows } from './duckdb-engine';
import { driftScore, DriftScore, MIN_SAMPLES, shares, Verdict, worst } from './drift';
import { BinSpec, QueryName, renderQuery } from './sql-files';

export interface CohortSpec {
  /** How the report names it: the version, or the version and window when versions repeat. */
  readonly label: string;
  readonly modelVersion: string;
  readonly from: string;
  readonly to: string;
  /** The version's training statistics (its deployment record, or the built-in artifact). */
  readonly trainingStats?: TrainingStats;
}

export interface Percentiles {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
}

export interface FeatureSummary {
  readonly index: number;
  readonly name: string;
  readonly count: number;
  readonly mean: number | null;
  readonly std: number | null;
  readonly min: number | null;
  readonly max: number | null;
  readonly quantiles: {
    readonly q05: number | null;
    readonly q25: number | null;
    readonly q50: number | null;
    readonly q75: number | null;
    readonly q95: number | null;
  };
}

export interface FeatureDrift extends DriftScore {
  readonly index: number;
  readonly name: string;
  /** Interior bin edges; shares have one more entry. */
  readonly edges: readonly number[];
  readonly baselineShares: readonly number[];
  readonly currentShares: readonly number[];
}

export interface CohortReport {
  readonly label: string;
  readonly modelVersion: string;
  readonly from: string;
  readonly to: string;
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number | null;
  readonly errorsByKind: readonly { readonly kind: string; readonly count: number }[];
  /** Records per input payload mode; only `full` keeps values to analyse. */
  readonly payloadModes: Readonly<Record<string, number>>;
  readonly recordsWithInputValues: number;
  readonly latencyMs: { readonly total: Percentiles; readonly model: Percentiles };
  readonly labels: readonly {
    readonly label: string;
    readonly count: number;
    readonly share: number;
    readonly meanConfidence: number | null;
  }[];
  readonly confidence: {
    readonly predictions: number;
    readonly mean: number | null;
    readonly min: number | null;
    readonly p10: number | null;
    readonly p50: number | null;
    readonly p90: number | null;
    readonly belowSixTenths: number;
  };
  readonly features: readonly FeatureSummary[];
  readonly timeline: readonly { readonly hour: string; readonly requests: number; readonly errors: number }[];
  readonly hasTrainingStats: boolean;
  /** Against the training set; undefined without training statistics or input values. */
  readonly driftVsTraining?: readonly FeatureDrift[];
  readonly labelDriftVsTraining?: DriftScore;
}

export interface Comparison {
  readonly baseline: string;
  readonly current: string;
  /** Bins: the baseline version's training deciles, or its own quantiles without them. */
  readonly binsFrom: 'training' | 'baseline quantiles';
  readonly features: readonly FeatureDrift[];
  readonly labels?: DriftScore;
}

export interface AnalysisReport {
  readonly generatedAt: string;
  readonly engine: string;
  readonly cohorts: readonly CohortReport[];
  readonly comparison?: Comparison;
  /** The plain verdict: one line per finding, worst first. */
  readonly verdict: readonly string[];
  /** What could not be analysed, and why (payload modes, missing statistics). */
  readonly notes: readonly string[];
  readonly queryMs: number;
}

export async function analyse(engine: AnalysisEngine, cohorts: readonly CohortSpec[], now = () => new Date()): Promise<AnalysisReport> {
  if (cohorts.length < 1 || cohorts.length > 2) throw new Error('analyse one cohort, or two to compare');
  const started = Date.now();
  const run = async (name: QueryName, c: CohortSpec, bins?: readonly BinSpec[]): Promise<Rows> =>
    engine.query(renderQuery(name, { versions: [c.modelVersion], from: c.from, to: c.to, bins }));

  const reports: CohortReport[] = [];
  const notes: string[] = [];
  const histograms: Map<number, number[]>[] = [];
  for (const c of cohorts) {
    const [requests, errors, modes, latency, labels, confidence, features, timeline] = await Promise.all(
      (['requests', 'errors', 'payload-modes', 'latency', 'labels', 'confidence', 'features', 'timeline'] as const).map((q) => run(q, c)),
    );
    const r0 = requests.rows[0];
    const total = int(r0?.requests);
    const failed = int(r0?.errors);
    const names = featureNames(c.trainingStats, features.rows);
    const lat = latency.rows[0];
    const conf = confidence.rows[0];
    const labelRows = labels.rows.map((row) => ({
      label: row.label ?? '(none)',
      count: int(row.predictions),
      meanConfidence: num(row.mean_confidence),
    }));
    const labelTotal = labelRows.reduce((n, l) => n + l.count, 0);
    const report: CohortReport = {
      label: c.label,
      modelVersion: c.modelVersion,
      from: c.from,
      to: c.to,
      requests: total,
      errors: failed,
      errorRate: total > 0 ? failed / total : null,
      errorsByKind: errors.rows.map((row) => ({ kind: row.error_code ?? '(unknown)', count: int(row.errors) })),
      payloadModes: Object.fromEntries(modes.rows.map((row) => [row.input_mode ?? 'absent', int(row.records)])),
      recordsWithInputValues: int(r0?.with_input_values),
      latencyMs: {
        total: { p50: num(lat?.total_p50), p90: num(lat?.total_p90), p99: num(lat?.total_p99) },
        model: { p50: num(lat?.model_p50), p90: num(lat?.model_p90), p99: num(lat?.model_p99) },
      },
      labels: labelRows.map((l) => ({ ...l, share: labelTotal > 0 ? l.count / labelTotal : 0 })),
      confidence: {
        predictions: int(conf?.predictions),
        mean: num(conf?.mean),
        min: num(conf?.min),
        p10: num(conf?.p10),
        p50: num(conf?.p50),
        p90: num(conf?.p90),
        belowSixTenths: int(conf?.below_0_6),
      },
      features: features.rows.map((row) => {
        const index = int(row.feature_index);
        return {
          index,
          name: names[index - 1] ?? `feature_${index}`,
          count: int(row.count),
          mean: num(row.mean),
          std: num(row.std),
          min: num(row.min),
          max: num(row.max),
          quantiles: { q05: num(row.q05), q25: num(row.q25), q50: num(row.q50), q75: num(row.q75), q95: num(row.q95) },
        };
      }),
      timeline: timeline.rows.map((row) => ({ hour: row.hour ?? '', requests: int(row.requests), errors: int(row.errors) })),
      hasTrainingStats: c.trainingStats !== undefined,
    };

    if (total === 0) notes.push(`${c.label}: no records between ${c.from} and ${c.to}.`);
    else if (report.recordsWithInputValues === 0) {
      const kept = Object.keys(report.payloadModes).join(', ');
      notes.push(
        `${c.label}: the records keep no input values (payload mode ${kept}); feature statistics, input drift and predictions need payload mode full. Requests, errors and latency are still analysed.`,
      );
    } else if (report.recordsWithInputValues < total) {
      notes.push(
        `${c.label}: ${total - report.recordsWithInputValues} of ${total} records keep no input values (payload mode hash, none or s3); feature statistics cover the other ${report.recordsWithInputValues}.`,
      );
    }
    if (!c.trainingStats)
      notes.push(
        `${c.label}: no training statistics for model version ${c.modelVersion} (its deployment record has none); drift against the training set is not computed.`,
      );

    let withDrift = report;
    if (c.trainingStats && report.features.length > 0) {
      const bins = binsOf(c.trainingStats.features.map((f) => f.binEdges));
      const counts = histogramCounts(await run('histogram', c, bins));
      histograms.push(counts);
      const drift = c.trainingStats.features.map((f, i) =>
        featureDrift(i + 1, f.name, f.binEdges, f.binProportions, f.count, counts.get(i + 1)),
      );
      withDrift = { ...withDrift, driftVsTraining: drift };
    } else histograms.push(new Map());
    if (c.trainingStats && labelTotal > 0) {
      const expected = Object.entries(c.trainingStats.labelProportions);
      const actual = expected.map(([label]) => (labelRows.find((l) => l.label === label)?.count ?? 0) / labelTotal);
      withDrift = {
        ...withDrift,
        labelDriftVsTraining: driftScore(
          expected.map(([, p]) => p),
          actual,
          c.trainingStats.rows,
          labelTotal,
        ),
      };
    }
    reports.push(withDrift);
  }

  let comparison: Comparison | undefined;
  if (reports.length === 2 && reports[0].features.length > 0 && reports[1].features.length > 0) {
    const [a, b] = cohorts;
    const fromTraining = a.trainingStats !== undefined;
    const edges = fromTraining ? a.trainingStats!.features.map((f) => f.binEdges) : reports[0].features.map((f) => quantileEdges(f));
    const bins = binsOf(edges);
    const countsA = fromTraining ? histograms[0] : histogramCounts(await run('histogram', a, bins));
    const countsB =
      fromTraining && b.trainingStats && sameEdges(a.trainingStats!, b.trainingStats)
        ? histograms[1]
        : histogramCounts(await run('histogram', b, bins));
    const features = edges.map((e, i) => {
      const baseline = padCounts(countsA.get(i + 1), e);
      const total = baseline.reduce((x, y) => x + y, 0);
      return featureDrift(i + 1, reports[0].features[i]?.name ?? `feature_${i + 1}`, e, shares(baseline), total, countsB.get(i + 1));
    });
    comparison = {
      baseline: a.label,
      current: b.label,
      binsFrom: fromTraining ? 'training' : 'baseline quantiles',
      features,
      labels: labelDrift(reports[0], reports[1]),
    };
  } else if (reports.length === 2) {
    comparison = {
      baseline: reports[0].label,
      current: reports[1].label,
      binsFrom: 'training',
      features: [],
      labels: labelDrift(reports[0], reports[1]),
    };
  }

  return {
    generatedAt: now().toISOString(),
    engine: engine.name,
    cohorts: reports,
    comparison,
    verdict: verdictLines(reports, comparison),
    notes,
    queryMs: Date.now() - started,
  };
}

function labelDrift(a: CohortReport, b: CohortReport): DriftScore | undefined {
  const labels = [...new Set([...a.labels.map((l) => l.label), ...b.labels.map((l) => l.label)])].sort();
  const ta = a.labels.reduce((n, l) => n + l.count, 0);
  const tb = b.labels.reduce((n, l) => n + l.count, 0);
  if (ta === 0 || tb === 0) return undefined;
  const share = (r: CohortReport, t: number) => labels.map((label) => (r.labels.find((l) => l.label === label)?.count ?? 0) / t);
  return driftScore(share(a, ta), share(b, tb), ta, tb);
}

function featureDrift(
  index: number,
  name: string,
  edges: readonly number[],
  baselineShares: readonly number[],
  baselineCount: number,
  counts: readonly number[] | undefined,
): FeatureDrift {
  const current = padCounts(counts, edges);
  const currentCount = current.reduce((a, b) => a + b, 0);
  const currentShares = shares(current);
  return { index, name, edges, baselineShares, currentShares, ...driftScore(baselineShares, currentShares, baselineCount, currentCount) };
}

function histogramCounts(rows: Rows): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const row of rows.rows) {
    const f = int(row.feature_index);
    const list = out.get(f) ?? [];
    list[int(row.bin)] = int(row.count);
    out.set(f, list);
  }
  for (const list of out.values()) for (let i = 0; i < list.length; i++) list[i] ??= 0;
  return out;
}

/** The bins of every feature as the histogram query takes them (features are 1-based). */
export function binsOf(edgesPerFeature: readonly (readonly number[])[]): BinSpec[] {
  return edgesPerFeature.flatMap((edges, f) =>
    Array.from({ length: edges.length + 1 }, (_, bin) => ({
      featureIndex: f + 1,
      bin,
      lower: bin === 0 ? undefined : edges[bin - 1],
      upper: bin === edges.length ? undefined : edges[bin],
    })),
  );
}

/** Histogram counts padded to the bins of `edges` (a bin no value fell in has no row). */
export function padCounts(counts: readonly number[] | undefined, edges: readonly number[]): number[] {
  return Array.from({ length: edges.length + 1 }, (_, i) => counts?.[i] ?? 0);
}

function quantileEdges(f: FeatureSummary): number[] {
  const q = [f.quantiles.q05, f.quantiles.q25, f.quantiles.q50, f.quantiles.q75, f.quantiles.q95].filter((v): v is number => v !== null);
  return [...new Set(q)].sort((x, y) => x - y);
}

function sameEdges(a: TrainingStats, b: TrainingStats): boolean {
  return JSON.stringify(a.features.map((f) => f.binEdges)) === JSON.stringify(b.features.map((f) => f.binEdges));
}

function featureNames(stats: TrainingStats | undefined, rows: Rows['rows']): string[] {
  if (stats) return stats.features.map((f: FeatureStats) => f.name);
  return rows.map((row) => `feature_${row.feature_index}`);
}

/** Plain sentences, worst finding first. */
function verdictLines(reports: readonly CohortReport[], comparison: Comparison | undefined): string[] {
  const lines: { rank: number; text: string }[] = [];
  const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
  for (const r of reports) {
    const drifted = (r.driftVsTraining ?? []).filter((d) => d.verdict === 'drift' || d.verdict === 'watch');
    for (const d of drifted)
      lines.push({
        rank: d.verdict === 'drift' ? 0 : 2,
        text: `${r.label}: input ${d.name} ${d.verdict === 'drift' ? 'has drifted' : 'is shifting'} from the training data (PSI ${d.psi.toFixed(2)}, KS ${d.ks.toFixed(2)}).`,
      });
    if (r.driftVsTraining && drifted.length === 0) {
      const v = worst(r.driftVsTraining.map((d) => d.verdict));
      lines.push({
        rank: 4,
        text:
          v === 'too few samples'
            ? `${r.label}: too few input values (under ${MIN_SAMPLES}) to judge drift from the training data.`
            : `${r.label}: inputs match the training data (every feature PSI <= 0.1 and KS <= 0.1).`,
      });
    }
    if (r.labelDriftVsTraining && (r.labelDriftVsTraining.verdict === 'drift' || r.labelDriftVsTraining.verdict === 'watch')) {
      lines.push({
        rank: 1,
        text: `${r.label}: predicted labels differ from the training labels (PSI ${r.labelDriftVsTraining.psi.toFixed(2)}).`,
      });
    }
  }
  if (comparison && reports.length === 2) {
    const [a, b] = reports;
    if (a.errorRate !== null && b.errorRate !== null) {
      const diff = b.errorRate - a.errorRate;
      const worse = diff > 0.01 && b.errors >= 5;
      lines.push({
        rank: worse ? 0 : 3,
        text: `${b.label} fails ${pct(b.errorRate)} of requests against ${pct(a.errorRate)} for ${a.label}${worse ? ': more failures' : ''}.`,
      });
    }
    const ap = a.latencyMs.model.p99;
    const bp = b.latencyMs.model.p99;
    if (ap && bp) {
      const ratio = bp / ap;
      // A percentile of a handful of requests is noise: judge it only with enough of them.
      const slower = ratio > 1.2 && a.requests >= MIN_SAMPLES && b.requests >= MIN_SAMPLES;
      const few = a.requests < MIN_SAMPLES || b.requests < MIN_SAMPLES ? ` (too few requests, under ${MIN_SAMPLES}, to judge)` : '';
      lines.push({
        rank: slower ? 0 : 3,
        text: `${b.label} model latency p99 is ${bp.toFixed(1)} ms against ${ap.toFixed(1)} ms (x${ratio.toFixed(2)})${slower ? ': slower' : few}.`,
      });
    }
    for (const d of comparison.features) {
      if (d.verdict === 'drift' || d.verdict === 'watch')
        lines.push({
          rank: d.verdict === 'drift' ? 0 : 2,
          text: `${b.label} input ${d.name} ${d.verdict === 'drift' ? 'differs' : 'is shifting'} from ${a.label}'s (PSI ${d.psi.toFixed(2)}, KS ${d.ks.toFixed(2)}).`,
        });
    }
    if (comparison.labels && (comparison.labels.verdict === 'drift' || comparison.labels.verdict === 'watch')) {
      lines.push({
        rank: 1,
        text: `${b.label} predicts a different mix of labels from ${a.label} (PSI ${comparison.labels.psi.toFixed(2)}).`,
      });
    }
  }
  if (lines.length === 0) lines.push({ rank: 5, text: 'Nothing to report: no drift, failure or latency change found.' });
  return lines.sort((x, y) => x.rank - y.rank).map((l) => l.text);
}

export function overallVerdict(report: AnalysisReport): Verdict {
  const all: Verdict[] = [];
  for (const c of report.cohorts) for (const d of c.driftVsTraining ?? []) all.push(d.verdict);
  for (const d of report.comparison?.features ?? []) all.push(d.verdict);
  return worst(all);
}

function int(v: string | null | undefined): number {
  const n = v === null || v === undefined ? 0 : Number(v);
  return Number.isFinite(n) ? Math.round(n) : 0;
}

function num(v: string | null | undefined): number | null {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}
