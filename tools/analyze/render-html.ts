/**
 * The report as one self-contained HTML page: inline CSS and SVG charts, no script, nothing
 * fetched (it is served with `default-src 'none'`). The verdict comes first, then the charts
 * a person scans: failures and latency side by side, the label mix, confidence, and for every
 * input feature its histogram against the training set's with its drift score.
 */
import type { AnalysisReport, CohortReport, FeatureDrift } from './analysis';
import { KS_DRIFT, PSI_DRIFT, PSI_WATCH, Verdict } from './drift';

/** One colour per cohort, and the training baseline's grey. */
const COLOURS = ['#2563eb', '#ea580c'];
const BASELINE = '#9ca3af';
const VERDICT_COLOUR: Record<Verdict, string> = { stable: '#15803d', watch: '#b45309', drift: '#b91c1c', 'too few samples': '#6b7280' };

export const REPORT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

export function renderHtml(report: AnalysisReport, options: { title?: string; nav?: string } = {}): string {
  const title = options.title ?? `Inference analysis: ${report.cohorts.map((c) => c.label).join(' vs ')}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${REPORT_CSP}">
<title>${esc(title)}</title>
<style>${CSS}</style></head>
<body>
${options.nav ?? ''}
<header><h1>${esc(title)}</h1>
<p class="sub">${report.cohorts.map((c, i) => `<span class="chip" style="border-color:${COLOURS[i]}"><i style="background:${COLOURS[i]}"></i>${esc(c.label)}: ${esc(c.from)} to ${esc(c.to)}</span>`).join(' ')}
<span class="muted">engine ${esc(report.engine)}, generated ${esc(report.generatedAt)}, queries ${report.queryMs} ms</span></p></header>
<section class="verdict" data-testid="verdict"><h2>Verdict</h2><ul>${report.verdict.map((v) => `<li>${esc(v)}</li>`).join('')}</ul>
${report.notes.length ? `<div class="notes" data-testid="notes">${report.notes.map((n) => `<p>${esc(n)}</p>`).join('')}</div>` : ''}</section>
<section class="cards">${report.cohorts.map(card).join('')}</section>
<section class="grid">
${panel('Error rate by kind', errorChart(report.cohorts))}
${panel('Latency (ms)', latencyChart(report.cohorts))}
${panel('Predicted labels', labelChart(report.cohorts))}
${panel('Prediction confidence (top probability)', confidenceChart(report.cohorts))}
${panel('Requests per hour', timelineChart(report.cohorts))}
${panel('Drift scores', driftChart(report))}
</section>
${featureSection(report)}
<footer><p>PSI (population stability index) sums, over the training set's decile bins, how far each bin's share of live inputs moved from its share of training inputs: under ${PSI_WATCH} is stable, ${PSI_WATCH} to ${PSI_DRIFT} worth watching, over ${PSI_DRIFT} drift. KS is the largest gap between the two cumulative distributions (0 to 1), drift over ${KS_DRIFT}, as SageMaker Model Monitor judges it.</p></footer>
</body></html>
`;
}

function card(c: CohortReport, i: number): string {
  const rate = c.errorRate === null ? '-' : `${(c.errorRate * 100).toFixed(2)}%`;
  return `<div class="card" style="border-top-color:${COLOURS[i]}" data-testid="cohort"><h3>${esc(c.label)}</h3>
<div class="figures"><div><b>${c.requests.toLocaleString('en-US')}</b><span>requests</span></div>
<div><b>${rate}</b><span>failed</span></div>
<div><b>${fmt(c.latencyMs.model.p99)}</b><span>model p99 ms</span></div>
<div><b>${fmt(c.confidence.mean, 2)}</b><span>mean confidence</span></div></div></div>`;
}

function panel(title: string, body: string): string {
  return `<div class="panel"><h2>${esc(title)}</h2>${body}</div>`;
}

interface Bar {
  readonly group: string;
  readonly values: readonly (number | null)[];
  readonly colours?: readonly string[];
}

/** Grouped horizontal-label bar chart: one group per category, one bar per series. */
function bars(
  groups: readonly Bar[],
  options: { unit?: (v: number) => string; max?: number; series: readonly string[]; threshold?: { value: number; label: string }[] },
): string {
  if (groups.length === 0) return '<p class="muted">no data</p>';
  const W = 460;
  const rowH = 16 * options.series.length + 10;
  const H = groups.length * rowH + 24;
  const left = 130;
  const max = options.max ?? Math.max(1e-9, ...groups.flatMap((g) => g.values.map((v) => v ?? 0)));
  const x = (v: number) => left + ((W - left - 60) * Math.min(v, max)) / max;
  const unit = options.unit ?? ((v: number) => fmt(v));
  const parts: string[] = [];
  groups.forEach((g, gi) => {
    const y0 = gi * rowH + 6;
    parts.push(`<text x="${left - 6}" y="${y0 + rowH / 2}" class="label" text-anchor="end">${esc(g.group)}</text>`);
    g.values.forEach((v, si) => {
      const y = y0 + si * 16;
      const colour = g.colours?.[si] ?? (options.series[si] === 'training' ? BASELINE : COLOURS[si % COLOURS.length]);
      if (v === null) {
        parts.push(`<text x="${left + 4}" y="${y + 11}" class="muted">n/a</text>`);
        return;
      }
      parts.push(
        `<rect x="${left}" y="${y}" width="${Math.max(1, x(v) - left).toFixed(1)}" height="13" rx="2" fill="${colour}"><title>${esc(options.series[si])}: ${unit(v)}</title></rect>`,
      );
      parts.push(`<text x="${(Math.min(x(v), W - 60) + 4).toFixed(1)}" y="${y + 11}" class="value">${unit(v)}</text>`);
    });
  });
  (options.threshold ?? []).forEach((t, i) => {
    parts.push(
      `<line x1="${x(t.value).toFixed(1)}" x2="${x(t.value).toFixed(1)}" y1="0" y2="${H - 18}" class="threshold" data-threshold="${t.value}"/><text x="${x(t.value).toFixed(1)}" y="${H - 6}" class="muted" text-anchor="${i === 0 ? 'end' : 'start'}">${esc(t.label)}</text>`,
    );
  });
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img">${parts.join('')}</svg>${legend(options.series)}`;
}

function legend(series: readonly string[]): string {
  return `<p class="legend">${series.map((s, i) => `<span><i style="background:${s === 'training' ? BASELINE : COLOURS[i % COLOURS.length]}"></i>${esc(s)}</span>`).join('')}</p>`;
}

function errorChart(c: readonly CohortReport[]): string {
  const kinds = [...new Set(c.flatMap((x) => x.errorsByKind.map((e) => e.kind)))].sort();
  if (kinds.length === 0) return `<p class="ok">No failed requests.</p>`;
  return bars(
    kinds.map((k) => ({
      group: k,
      values: c.map((x) => (x.requests > 0 ? (x.errorsByKind.find((e) => e.kind === k)?.count ?? 0) / x.requests : null)),
    })),
    { series: c.map((x) => x.label), unit: (v) => `${(v * 100).toFixed(2)}%` },
  );
}

function latencyChart(c: readonly CohortReport[]): string {
  const rows: Bar[] = [];
  for (const kind of ['model', 'total'] as const)
    for (const p of ['p50', 'p90', 'p99'] as const) rows.push({ group: `${kind} ${p}`, values: c.map((x) => x.latencyMs[kind][p]) });
  return bars(rows, { series: c.map((x) => x.label), unit: (v) => `${v.toFixed(1)} ms` });
}

function labelChart(c: readonly CohortReport[]): string {
  const labels = [...new Set(c.flatMap((x) => x.labels.map((l) => l.label)))].sort();
  if (labels.length === 0) return '<p class="muted">no predictions recorded</p>';
  return bars(
    labels.map((l) => ({ group: l, values: c.map((x) => x.labels.find((y) => y.label === l)?.share ?? 0) })),
    { series: c.map((x) => x.label), unit: (v) => `${(v * 100).toFixed(1)}%`, max: 1 },
  );
}

function confidenceChart(c: readonly CohortReport[]): string {
  const rows: Bar[] = (['p10', 'p50', 'p90', 'mean'] as const).map((k) => ({ group: k, values: c.map((x) => x.confidence[k]) }));
  return bars(rows, { series: c.map((x) => x.label), unit: (v) => v.toFixed(3), max: 1 });
}

function timelineChart(c: readonly CohortReport[]): string {
  const hours = [...new Set(c.flatMap((x) => x.timeline.map((t) => t.hour)))].sort();
  if (hours.length === 0) return '<p class="muted">no requests</p>';
  const W = 460;
  const H = 150;
  const max = Math.max(1, ...c.flatMap((x) => x.timeline.map((t) => t.requests)));
  const px = (i: number) => 40 + (hours.length === 1 ? (W - 60) / 2 : ((W - 60) * i) / (hours.length - 1));
  const py = (v: number) => H - 24 - ((H - 40) * v) / max;
  const lines = c.map((x, i) => {
    const pts = hours.map((h, hi) => `${px(hi).toFixed(1)},${py(x.timeline.find((t) => t.hour === h)?.requests ?? 0).toFixed(1)}`);
    const dots = hours.length === 1 ? `<circle cx="${px(0)}" cy="${py(x.timeline[0]?.requests ?? 0)}" r="4" fill="${COLOURS[i]}"/>` : '';
    return `<polyline points="${pts.join(' ')}" fill="none" stroke="${COLOURS[i]}" stroke-width="2"/>${dots}`;
  });
  const axis = `<line x1="40" x2="${W - 20}" y1="${H - 24}" y2="${H - 24}" class="axis"/><text x="36" y="${py(max) + 4}" class="muted" text-anchor="end">${max}</text><text x="36" y="${H - 20}" class="muted" text-anchor="end">0</text>
<text x="40" y="${H - 6}" class="muted">${esc(hours[0])}:00</text><text x="${W - 20}" y="${H - 6}" class="muted" text-anchor="end">${esc(hours[hours.length - 1])}:00</text>`;
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img">${axis}${lines.join('')}</svg>${legend(c.map((x) => x.label))}`;
}

function driftChart(report: AnalysisReport): string {
  const sets: { name: string; list: readonly FeatureDrift[] }[] = [
    ...report.cohorts.filter((c) => c.driftVsTraining).map((c) => ({ name: `${c.label} vs training`, list: c.driftVsTraining! })),
    ...(report.comparison && report.comparison.features.length
      ? [{ name: `${report.comparison.current} vs ${report.comparison.baseline}`, list: report.comparison.features }]
      : []),
  ];
  if (sets.length === 0) return '<p class="muted">No input values to score (payload mode hash or none), or no training statistics.</p>';
  const names = sets[0].list.map((d) => d.name);
  const groups: Bar[] = names.map((n) => ({
    group: n,
    values: sets.map((s) => s.list.find((d) => d.name === n)?.psi ?? null),
    colours: sets.map((s) => VERDICT_COLOUR[s.list.find((d) => d.name === n)?.verdict ?? 'stable']),
  }));
  // Capped at 1: one wild feature must not flatten the others (bars past it are clipped, labels exact).
  const max = Math.min(1, Math.max(0.4, ...groups.flatMap((g) => g.values.map((v) => v ?? 0))));
  const table = `<table class="drift" data-testid="drift-table"><tr><th>feature</th>${sets.map((s) => `<th colspan="3">${esc(s.name)}</th>`).join('')}</tr>
<tr><th></th>${sets.map(() => '<th>PSI</th><th>KS</th><th>verdict</th>').join('')}</tr>
${names
  .map(
    (n) =>
      `<tr><td>${esc(n)}</td>${sets
        .map((s) => {
          const d = s.list.find((x) => x.name === n);
          return d
            ? `<td>${d.psi.toFixed(3)}</td><td>${d.ks.toFixed(3)}</td><td><span class="badge" style="background:${VERDICT_COLOUR[d.verdict]}">${esc(d.verdict)}</span></td>`
            : '<td colspan="3">-</td>';
        })
        .join('')}</tr>`,
  )
  .join('')}</table>`;
  return `${bars(groups, {
    series: sets.map((s) => `PSI ${s.name}`),
    unit: (v) => v.toFixed(3),
    max,
    threshold: [
      { value: PSI_WATCH, label: `${PSI_WATCH} watch` },
      { value: PSI_DRIFT, label: `${PSI_DRIFT} drift` },
    ],
  }).replace(
    /<p class="legend">.*<\/p>$/,
    '',
  )}<p class="legend">bar colour = verdict; order per feature: ${sets.map((s) => esc(s.name)).join(', ')}</p>${table}`;
}

/** Per feature: the training shares and each cohort's shares over the training bins. */
function featureSection(report: AnalysisReport): string {
  const withValues = report.cohorts.filter((c) => c.features.length > 0);
  if (withValues.length === 0)
    return `<section class="panel wide"><h2>Input features</h2><p class="muted" data-testid="no-inputs">The records keep no input values (payload mode hash or none): feature statistics and drift need payload mode full.</p></section>`;
  const names = withValues[0].features.map((f) => f.name);
  const panels = names.map((name) => {
    const drifts = report.cohorts.map((c) => c.driftVsTraining?.find((d) => d.name === name));
    const ref = drifts.find((d) => d !== undefined) ?? report.comparison?.features.find((d) => d.name === name);
    const stats = withValues
      .map((c, i) => {
        const f = c.features.find((x) => x.name === name);
        return f
          ? `<span style="color:${COLOURS[i]}">${esc(c.label)}: mean ${fmt(f.mean, 2)}, std ${fmt(f.std, 2)}, ${fmt(f.min, 1)} to ${fmt(f.max, 1)}</span>`
          : '';
      })
      .join('<br>');
    const badges = drifts
      .map((d, i) =>
        d
          ? `<span class="badge" style="background:${VERDICT_COLOUR[d.verdict]}">${esc(report.cohorts[i].label)} ${esc(d.verdict)} PSI ${d.psi.toFixed(2)}</span>`
          : '',
      )
      .join(' ');
    return `<div class="panel" data-testid="feature"><h3>${esc(name)} ${badges}</h3>${ref ? histogram(ref, drifts, report) : ''}<p class="small">${stats}</p></div>`;
  });
  return `<section><h2 class="section">Input features against the training data</h2><div class="grid">${panels.join('')}</div></section>`;
}

function histogram(ref: FeatureDrift, drifts: readonly (FeatureDrift | undefined)[], report: AnalysisReport): string {
  const W = 460;
  const H = 140;
  const bins = ref.baselineShares.length;
  const series: { shares: readonly number[]; colour: string; name: string }[] = [
    {
      shares: ref.baselineShares,
      colour: BASELINE,
      name: report.comparison && !drifts.some(Boolean) ? report.comparison.baseline : 'training',
    },
  ];
  drifts.forEach((d, i) => d && series.push({ shares: d.currentShares, colour: COLOURS[i], name: report.cohorts[i].label }));
  if (!drifts.some(Boolean) && report.comparison) {
    const d = report.comparison.features.find((x) => x.name === ref.name);
    if (d) series.push({ shares: d.currentShares, colour: COLOURS[1], name: report.comparison.current });
  }
  const max = Math.max(0.01, ...series.flatMap((s) => s.shares));
  const slot = (W - 20) / bins;
  const bw = (slot - 4) / series.length;
  const parts: string[] = [];
  for (let b = 0; b < bins; b++) {
    series.forEach((s, si) => {
      const h = ((H - 34) * (s.shares[b] ?? 0)) / max;
      parts.push(
        `<rect x="${(10 + b * slot + si * bw).toFixed(1)}" y="${(H - 20 - h).toFixed(1)}" width="${bw.toFixed(1)}" height="${h.toFixed(1)}" fill="${s.colour}"><title>${esc(s.name)} bin ${b + 1}: ${((s.shares[b] ?? 0) * 100).toFixed(1)}%</title></rect>`,
      );
    });
    const edge = b < ref.edges.length ? ref.edges[b] : undefined;
    if (edge !== undefined)
      parts.push(`<text x="${(10 + (b + 1) * slot).toFixed(1)}" y="${H - 6}" class="tick" text-anchor="middle">${edge}</text>`);
  }
  parts.push(`<line x1="10" x2="${W - 10}" y1="${H - 20}" y2="${H - 20}" class="axis"/>`);
  return `<svg viewBox="0 0 ${W} ${H}" width="100%" role="img">${parts.join('')}</svg><p class="legend">${series.map((s) => `<span><i style="background:${s.colour}"></i>${esc(s.name)}</span>`).join('')}</p>`;
}

function fmt(v: number | null | undefined, digits = 1): string {
  return v === null || v === undefined ? '-' : v.toFixed(digits);
}

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const CSS = `
*{box-sizing:border-box}body{margin:0;padding:20px 28px;font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;color:#111827;background:#f3f4f6}
h1{font-size:22px;margin:0 0 6px}h2{font-size:15px;margin:0 0 10px}h3{font-size:14px;margin:0 0 8px}
.sub{margin:0;color:#374151}.muted{color:#6b7280;font-size:12px}.small{font-size:12px;margin:6px 0 0}
.chip{display:inline-flex;align-items:center;gap:6px;border:2px solid;border-radius:14px;padding:2px 10px;margin-right:6px;background:#fff}
.chip i,.legend i{display:inline-block;width:10px;height:10px;border-radius:2px}
.verdict{background:#fff;border-left:6px solid #111827;border-radius:8px;padding:12px 18px;margin:16px 0}
.verdict ul{margin:0;padding-left:20px}.verdict li{margin:3px 0;font-size:15px}
.notes{margin-top:10px;padding:8px 12px;background:#fef3c7;border-radius:6px}.notes p{margin:2px 0}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:14px;margin-bottom:14px}
.card{background:#fff;border-radius:8px;border-top:5px solid;padding:12px 16px}
.figures{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}.figures b{display:block;font-size:22px}.figures span{color:#6b7280;font-size:12px}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:14px}
.panel{background:#fff;border-radius:8px;padding:12px 16px}.wide{margin-top:14px}.section{margin:18px 0 10px}
svg text{font-size:11px;fill:#374151}svg .value{fill:#111827}svg .tick{font-size:9px;fill:#6b7280}
svg .axis{stroke:#d1d5db}svg .threshold{stroke:#111827;stroke-dasharray:3 3}
.legend{margin:4px 0 0;font-size:12px;color:#374151}.legend span{margin-right:12px;display:inline-flex;align-items:center;gap:4px}
.badge{color:#fff;border-radius:10px;padding:1px 8px;font-size:11px;font-weight:600;white-space:nowrap}
table.drift{border-collapse:collapse;width:100%;margin-top:8px;font-size:12px}table.drift td,table.drift th{border-bottom:1px solid #e5e7eb;padding:3px 6px;text-align:right}
table.drift td:first-child,table.drift th:first-child{text-align:left}.ok{color:#15803d}
footer{margin-top:18px;color:#4b5563;font-size:12px;max-width:900px}
`;
