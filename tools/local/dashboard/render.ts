/**
 * The local dashboard page: the layout's rows and widgets in the same order and with the
 * same titles as the CloudWatch dashboard, charts as inline SVG, no external resources and
 * no script (a meta refresh reloads it). Series no local part produces (instance
 * utilisation) are listed under their chart as CloudWatch-only, so the page never pretends
 * to show what it cannot.
 */
import {
  DashboardLayout,
  GraphWidget,
  LogsWidget,
  PIPELINE_UNHEALTHY_ID,
  SEVERITY_COLORS,
  WidgetSpec,
} from '../../../lib/monitoring/dashboard-layout';
import { LocalLogLine, LocalSeries } from './collector';
import { LocalAlarmState, LocalLine, localLines, periodStarts } from './aggregate';

export interface RenderOptions {
  /** Seconds between reloads; 0 turns the reload off. */
  readonly refreshSec?: number;
  /** Minutes of history the charts show. */
  readonly windowMinutes?: number;
  readonly latestErrors?: readonly LocalLogLine[];
  readonly now?: number;
}

const PERIOD_MS = 60_000;
const COLORS = ['#1f77b4', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

export function renderDashboardPage(
  layout: DashboardLayout,
  series: LocalSeries,
  alarmStates: Readonly<Record<string, LocalAlarmState>>,
  options: RenderOptions = {},
): string {
  const now = options.now ?? Date.now();
  const refresh = options.refreshSec ?? 10;
  const ctx: Context = {
    layout,
    series,
    alarmStates,
    now,
    latestErrors: options.latestErrors ?? [],
    starts: periodStarts(now - (options.windowMinutes ?? 15) * PERIOD_MS + 1, now + 1, PERIOD_MS),
  };
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    refresh > 0 ? `<meta http-equiv="refresh" content="${refresh}">` : '',
    `<title>${esc(layout.title)} (local)</title>`,
    `<style>${STYLE}</style></head><body><main>`,
    ...layout.rows.map(
      (row) =>
        `<section class="row" data-row="${esc(row.title)}"><h2>${esc(row.title)}</h2><div class="grid">${row.widgets.map((w) => widget(w, ctx)).join('')}</div></section>`,
    ),
    '</main></body></html>',
  ].join('\n');
}

interface Context {
  readonly layout: DashboardLayout;
  readonly series: LocalSeries;
  readonly alarmStates: Readonly<Record<string, LocalAlarmState>>;
  readonly latestErrors: readonly LocalLogLine[];
  readonly now: number;
  readonly starts: readonly number[];
}

function widget(spec: WidgetSpec, ctx: Context): string {
  switch (spec.kind) {
    case 'header':
      return (
        `<div class="widget header" style="grid-column: span 24"><h1>${esc(spec.title)}</h1><p>${esc(spec.description)}</p>` +
        `<p class="note">Local run: charts show the functions' own metrics (EMF), the CloudWatch metric filters applied to their log lines, and the AWS service metrics the local API Gateway, Lambda, SageMaker runtime and DynamoDB emit under AWS's names and units (endpoint instance utilisation exists in AWS alone). Updated ${new Date(ctx.now).toISOString().slice(11, 19)} UTC.</p></div>`
      );
    case 'alarms':
      return `<div class="widget alarms" style="grid-column: span 24"><h3>${esc(spec.title)}</h3><div class="tiles">${spec.alarmIds.map((id) => alarmTile(id, ctx)).join('')}</div></div>`;
    case 'graph':
      return graph(spec, ctx);
    case 'logs':
      return logs(spec, ctx);
  }
}

function alarmTile(id: string, ctx: Context): string {
  const alarm = ctx.layout.alarms.find((a) => a.id === id);
  const title = alarm?.title ?? 'Pipeline unhealthy (any Critical alarm)';
  const severity = alarm?.severity ?? 'Critical';
  const state = ctx.alarmStates[id] ?? (id === PIPELINE_UNHEALTHY_ID ? 'OK' : 'CLOUDWATCH_ONLY');
  return (
    `<div class="alarm state-${state}" data-alarm="${esc(id)}" data-state="${state}" title="${esc(alarm ? `${alarm.meaning} First action: ${alarm.firstAction}` : title)}">` +
    `<span class="state">${state === 'CLOUDWATCH_ONLY' ? 'CloudWatch only' : state.replace('_', ' ')}</span><span class="name">${esc(title)}</span><span class="sev">${severity}</span></div>`
  );
}

function graph(spec: GraphWidget, ctx: Context): string {
  const local: LocalLine[] = [];
  const cloudOnly: string[] = [];
  for (const ref of spec.series) {
    const lines = localLines(ref, ctx.series, ctx.starts, PERIOD_MS);
    if (lines) local.push(...lines);
    else cloudOnly.push(ref.label);
  }
  const legend = [
    ...local.map((line, i) => {
      const last = line.points[line.points.length - 1]?.v;
      return `<li data-series="${esc(line.label)}"${last === undefined ? '' : ` data-last="${fmt(last)}"`}><i style="background:${COLORS[i % COLORS.length]}"></i>${esc(line.label)} <b>${last === undefined ? 'no data' : fmt(last)}</b></li>`;
    }),
    ...spec.thresholds.map(
      (t) =>
        `<li class="threshold"><i class="dash" style="border-color:${severityColor(t.alarmId, ctx)}"></i>${esc(t.label)} <b>${fmt(t.value)}</b></li>`,
    ),
    ...cloudOnly.map((label) => `<li class="cloud">${esc(label)}: CloudWatch only</li>`),
  ];
  // A chart whose series are all local draws even before it has data (an empty SEARCH, say).
  const body =
    local.length === 0 && cloudOnly.length > 0
      ? '<p class="empty">Endpoint instance metrics: shown in the CloudWatch dashboard only.</p>'
      : chart(spec, local, ctx);
  return `<figure class="widget graph" data-widget="${esc(spec.title)}" style="grid-column: span ${spec.width}"><figcaption>${esc(spec.title)}</figcaption>${body}<ul class="legend">${legend.join('')}</ul></figure>`;
}

/** A line chart of the window's periods with the alarm thresholds as dashed lines. */
function chart(spec: GraphWidget, lines: readonly LocalLine[], ctx: Context): string {
  // The drawing is as wide as the widget, so every chart of a row has the same height.
  const W = Math.round((400 * spec.width) / 6),
    H = 150,
    L = 44,
    R = 8,
    T = 8,
    B = 20;
  const values = lines.flatMap((l) => l.points.map((p) => p.v));
  const top = niceMax(Math.max(0, ...values, ...spec.thresholds.map((t) => t.value)));
  const first = ctx.starts[0],
    last = ctx.starts[ctx.starts.length - 1];
  const x = (t: number) => L + ((t - first) / Math.max(1, last - first)) * (W - L - R);
  const y = (v: number) => T + (1 - v / top) * (H - T - B);
  const parts = [
    `<svg viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(spec.title)}">`,
    `<line class="axis" x1="${L}" y1="${y(0)}" x2="${W - R}" y2="${y(0)}"/>`,
    `<text class="tick" x="${L - 4}" y="${y(top) + 4}" text-anchor="end">${fmt(top)}</text>`,
    `<text class="tick" x="${L - 4}" y="${y(0)}" text-anchor="end">0</text>`,
    `<text class="tick" x="${L}" y="${H - 4}">${clock(first)}</text>`,
    `<text class="tick" x="${W - R}" y="${H - 4}" text-anchor="end">${clock(last)}</text>`,
    `<text class="tick unit" x="${L + 4}" y="${T + 10}">${esc(spec.unit)}</text>`,
    ...spec.thresholds.map(
      (t) =>
        `<line class="threshold" data-threshold="${fmt(t.value)}" x1="${L}" y1="${y(t.value)}" x2="${W - R}" y2="${y(t.value)}" stroke="${severityColor(t.alarmId, ctx)}"/>`,
    ),
    ...lines.map((line, i) => {
      const color = COLORS[i % COLORS.length];
      const pts = line.points.map((p) => `${x(p.t).toFixed(1)},${y(p.v).toFixed(1)}`).join(' ');
      const dots = line.points
        .map(
          (p) =>
            `<circle cx="${x(p.t).toFixed(1)}" cy="${y(p.v).toFixed(1)}" r="2.5" fill="${color}" data-value="${fmt(p.v)}"><title>${esc(line.label)}: ${fmt(p.v)} at ${clock(p.t)}</title></circle>`,
        )
        .join('');
      return `<g class="series" data-series="${esc(line.label)}"><polyline points="${pts}" stroke="${color}"/>${dots}</g>`;
    }),
    '</svg>',
  ];
  return parts.join('');
}

function logs(spec: LogsWidget, ctx: Context): string {
  const rows = [...ctx.latestErrors].reverse().map(({ t, from, line }) => {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a function's log line: untyped JSON read by field
    const e = JSON.parse(line) as Record<string, any>;
    const what = e.message ?? (e.type ? `${e.type} ${e.record?.status ?? ''} ${e.record?.errorType ?? ''}` : '');
    return `<tr><td>${clock(t)}</td><td>${esc(from)}</td><td>${esc(String(e.level ?? ''))}</td><td>${esc(String(what))}</td><td>${esc(String(e.errorKind ?? ''))}</td><td>${esc(String(e.statusCode ?? ''))}</td><td>${esc(String(e.correlation_id ?? e.record?.requestId ?? ''))}</td></tr>`;
  });
  return (
    `<div class="widget logs" style="grid-column: span 24"><h3>${esc(spec.title)}</h3>` +
    (rows.length === 0
      ? '<p class="empty">No errors yet.</p>'
      : `<table><thead><tr><th>time</th><th>from</th><th>level</th><th>message</th><th>errorKind</th><th>status</th><th>request</th></tr></thead><tbody>${rows.join('')}</tbody></table>`) +
    '</div>'
  );
}

function severityColor(alarmId: string, ctx: Context): string {
  return SEVERITY_COLORS[ctx.layout.alarms.find((a) => a.id === alarmId)?.severity ?? 'Warning'];
}

function niceMax(v: number): number {
  if (v <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((m) => m >= v * 1.05) ?? 10 * magnitude;
}

export function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(3)));
}

function clock(t: number): string {
  return new Date(t).toISOString().slice(11, 16);
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body{margin:0;font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;background:#f2f3f3;color:#16191f}
main{max-width:1600px;margin:0 auto;padding:12px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:15px;margin:16px 0 6px;color:#232f3e}h3{font-size:13px;margin:0 0 6px}
.grid{display:grid;grid-template-columns:repeat(24,1fr);gap:8px}
.widget{background:#fff;border:1px solid #d5dbdb;border-radius:4px;padding:8px;margin:0;min-width:0}
.header p{margin:2px 0}.note{color:#545b64;font-size:12px}
figcaption{font-weight:600;margin-bottom:4px}
svg{width:100%;height:auto;display:block}
svg polyline{fill:none;stroke-width:1.8}svg .axis{stroke:#aab7b8}svg .threshold{stroke-dasharray:5 4;stroke-width:1.3}
svg .tick{font-size:9px;fill:#687078}
.legend{list-style:none;margin:4px 0 0;padding:0;font-size:11px;display:flex;flex-wrap:wrap;gap:2px 10px}
.legend i{display:inline-block;width:10px;height:3px;margin-right:4px;vertical-align:middle}
.legend i.dash{border-top:2px dashed;height:0}.legend .cloud{color:#879596}
.empty{color:#879596;font-style:italic;margin:20px 0;text-align:center}
.tiles{display:flex;flex-wrap:wrap;gap:6px}
.alarm{display:flex;flex-direction:column;width:180px;padding:6px;border-radius:4px;border-left:5px solid #879596;background:#fafafa;font-size:11px}
.alarm .state{font-weight:700}.alarm .sev{color:#687078}
.state-OK{border-color:#1d8102}.state-OK .state{color:#1d8102}
.state-ALARM{border-color:#d13212;background:#fdf3f1}.state-ALARM .state{color:#d13212}
.state-INSUFFICIENT_DATA .state,.state-CLOUDWATCH_ONLY .state{color:#687078}
table{border-collapse:collapse;width:100%;font-size:12px}td,th{border-bottom:1px solid #eaeded;padding:3px 6px;text-align:left}
`;
