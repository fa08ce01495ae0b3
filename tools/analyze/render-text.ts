/** The report as terminal tables, as JSON, and as CSV (one row per figure). */
import type { AnalysisReport, CohortReport, FeatureDrift } from './analysis';
import { KS_DRIFT, PSI_DRIFT, PSI_WATCH } from './drift';

const fmt = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '-' : v.toFixed(digits));
const pct = (v: number | null | undefined) => (v === null || v === undefined ? '-' : `${(v * 100).toFixed(2)}%`);

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function renderText(report: AnalysisReport): string {
  const c = report.cohorts;
  const out: string[] = [];
  out.push(`Inference analysis (${report.engine}, ${report.generatedAt})`);
  for (const x of c) out.push(`  ${x.label}: model version ${x.modelVersion}, ${x.from} .. ${x.to}`);
  out.push('', 'Verdict', ...report.verdict.map((v) => `  - ${v}`));
  if (report.notes.length > 0) out.push('', 'Notes', ...report.notes.map((n) => `  - ${n}`));

  out.push(
    '',
    table(
      ['', ...c.map((x) => x.label)],
      [
        ['requests', ...c.map((x) => String(x.requests))],
        ['errors', ...c.map((x) => String(x.errors))],
        ['error rate', ...c.map((x) => pct(x.errorRate))],
        ...kinds(c).map((k) => [`  ${k}`, ...c.map((x) => String(x.errorsByKind.find((e) => e.kind === k)?.count ?? 0))]),
        ['total latency p50 ms', ...c.map((x) => fmt(x.latencyMs.total.p50))],
        ['total latency p90 ms', ...c.map((x) => fmt(x.latencyMs.total.p90))],
        ['total latency p99 ms', ...c.map((x) => fmt(x.latencyMs.total.p99))],
        ['model latency p50 ms', ...c.map((x) => fmt(x.latencyMs.model.p50))],
        ['model latency p90 ms', ...c.map((x) => fmt(x.latencyMs.model.p90))],
        ['model latency p99 ms', ...c.map((x) => fmt(x.latencyMs.model.p99))],
        ['confidence mean', ...c.map((x) => fmt(x.confidence.mean, 3))],
        ['confidence p10', ...c.map((x) => fmt(x.confidence.p10, 3))],
        ...labelsOf(c).map((l) => [`label ${l}`, ...c.map((x) => pct(x.labels.find((y) => y.label === l)?.share ?? 0))]),
        ['records with input values', ...c.map((x) => String(x.recordsWithInputValues))],
      ],
    ),
  );

  for (const x of c) {
    if (x.features.length === 0) continue;
    out.push(
      '',
      `Input features, ${x.label}`,
      table(
        ['feature', 'count', 'mean', 'std', 'min', 'q05', 'q25', 'q50', 'q75', 'q95', 'max'],
        x.features.map((f) => [
          f.name,
          String(f.count),
          fmt(f.mean, 3),
          fmt(f.std, 3),
          fmt(f.min, 2),
          fmt(f.quantiles.q05, 2),
          fmt(f.quantiles.q25, 2),
          fmt(f.quantiles.q50, 2),
          fmt(f.quantiles.q75, 2),
          fmt(f.quantiles.q95, 2),
          fmt(f.max, 2),
        ]),
      ),
    );
  }
  const drifts: [string, readonly FeatureDrift[]][] = [
    ...c.filter((x) => x.driftVsTraining).map((x): [string, readonly FeatureDrift[]] => [`${x.label} vs training`, x.driftVsTraining!]),
    ...(report.comparison && report.comparison.features.length > 0
      ? [[`${report.comparison.current} vs ${report.comparison.baseline}`, report.comparison.features] as [string, readonly FeatureDrift[]]]
      : []),
  ];
  for (const [title, list] of drifts) {
    out.push(
      '',
      `Drift, ${title} (PSI > ${PSI_WATCH} watch, > ${PSI_DRIFT} drift; KS > ${KS_DRIFT} drift)`,
      table(
        ['feature', 'PSI', 'KS', 'verdict', 'values'],
        list.map((d) => [d.name, d.psi.toFixed(3), d.ks.toFixed(3), d.verdict, String(d.currentCount)]),
      ),
    );
  }
  out.push('', `queries took ${report.queryMs} ms`);
  return out.join('\n');
}

function kinds(c: readonly CohortReport[]): string[] {
  return [...new Set(c.flatMap((x) => x.errorsByKind.map((e) => e.kind)))].sort();
}

function labelsOf(c: readonly CohortReport[]): string[] {
  return [...new Set(c.flatMap((x) => x.labels.map((l) => l.label)))].sort();
}

export function renderJson(report: AnalysisReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** `section,cohort,name,metric,value`: every figure of the report, one per row. */
export function renderCsv(report: AnalysisReport): string {
  const rows: (string | number | null)[][] = [['section', 'cohort', 'name', 'metric', 'value']];
  for (const x of report.cohorts) {
    rows.push(
      ['requests', x.label, '', 'requests', x.requests],
      ['requests', x.label, '', 'errors', x.errors],
      ['requests', x.label, '', 'error_rate', x.errorRate],
    );
    for (const e of x.errorsByKind) rows.push(['errors', x.label, e.kind, 'count', e.count]);
    for (const [kind, p] of Object.entries(x.latencyMs))
      for (const [metric, v] of Object.entries(p)) rows.push(['latency_ms', x.label, kind, metric, v as number | null]);
    for (const l of x.labels)
      rows.push(
        ['labels', x.label, l.label, 'count', l.count],
        ['labels', x.label, l.label, 'share', l.share],
        ['labels', x.label, l.label, 'mean_confidence', l.meanConfidence],
      );
    for (const [metric, v] of Object.entries(x.confidence)) rows.push(['confidence', x.label, '', metric, v]);
    for (const f of x.features) {
      for (const metric of ['count', 'mean', 'std', 'min', 'max'] as const) rows.push(['features', x.label, f.name, metric, f[metric]]);
      for (const [q, v] of Object.entries(f.quantiles)) rows.push(['features', x.label, f.name, q, v]);
    }
    for (const d of x.driftVsTraining ?? [])
      rows.push(
        ['drift_vs_training', x.label, d.name, 'psi', d.psi],
        ['drift_vs_training', x.label, d.name, 'ks', d.ks],
        ['drift_vs_training', x.label, d.name, 'verdict', d.verdict],
      );
  }
  for (const d of report.comparison?.features ?? []) {
    const label = `${report.comparison!.current} vs ${report.comparison!.baseline}`;
    rows.push(
      ['drift_vs_other', label, d.name, 'psi', d.psi],
      ['drift_vs_other', label, d.name, 'ks', d.ks],
      ['drift_vs_other', label, d.name, 'verdict', d.verdict],
    );
  }
  return `${rows.map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
}

function csvCell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  // A leading = + - @ would be a formula in a spreadsheet: quote it with an apostrophe.
  const safe = /^[=+\-@]/.test(s) && typeof v === 'string' ? `'${s}` : s;
  return /[",\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
