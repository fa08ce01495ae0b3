/**
 * The dashboard of a local run (`npm start`): the same layout as the CloudWatch dashboard,
 * fed with the functions' own log lines.
 *
 *   const metrics = collectLocalMetrics({ config });
 *   // each line a function (or the model container) prints, with where it came from:
 *   startLocalPipeline({ ..., onLogLine: (source, line) => metrics.add(line, source) });
 *   // in the local server:
 *   const dashboard = createLocalDashboardHandler(metrics);
 *   http.createServer((req, res) => dashboard(req, res) || otherRoutes(req, res));
 *
 * GET /dashboard serves the page, GET /dashboard/metrics.json the series, alarm states and
 * latest errors as JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { StageConfig } from '../../../lib/config/stage-config';
import { DashboardLayout, PIPELINE_UNHEALTHY_ID, dashboardLayout } from '../../../lib/monitoring/dashboard-layout';
import { LocalAlarmState, localAlarmState } from './aggregate';
import { LocalLogLine, LocalSeries, SeriesStore } from './collector';
import { RenderOptions, renderDashboardPage } from './render';
import { LogSource } from '../../../lib/monitoring/metric-filters';
import type { MetricSource } from '../../../lib/monitoring/metric-ref';

export type { LocalAlarmState } from './aggregate';
export type { LocalLogLine, LocalPoint, LocalSeries, LocalSeriesEntry } from './collector';

export interface LocalMetricsOptions {
  /** @default the dev stage */
  readonly config?: StageConfig;
  /** Minutes of history kept and charted. @default 15 */
  readonly windowMinutes?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface LocalMetricsCollector {
  readonly layout: DashboardLayout;
  /** Minutes of history kept, and charted by default. */
  readonly windowMinutes: number;
  /**
   * One line a function printed: an EMF blob, a log line or a platform record (others are
   * ignored). `from` names its log group, as a LogSource or as the local pipeline calls it
   * (predict, read, model); lines of any other source are read for EMF only.
   */
  add(line: string, from?: LogSource | string): void;
  /** One datum of an AWS service's metric (API Gateway, Lambda, SageMaker, DynamoDB), stamped with the collector's clock unless `t` is given. */
  addMetric(source: MetricSource, metricName: string, value: number, dimensions?: Record<string, string>, t?: number): void;
  series(): LocalSeries;
  alarmStates(): Record<string, LocalAlarmState>;
  latestErrors(): readonly LocalLogLine[];
  /** The collector's clock (the page is drawn up to this time). */
  now(): number;
  /** What GET /dashboard/metrics.json answers. */
  snapshot(): LocalSnapshot;
}

export interface LocalSnapshot {
  readonly generatedAt: string;
  readonly series: LocalSeries;
  readonly alarmStates: Record<string, LocalAlarmState>;
  readonly latestErrors: readonly LocalLogLine[];
}

const LOG_SOURCES: readonly LogSource[] = ['predictFunction', 'readFunction', 'endpoint'];
/** The local pipeline's names for the same log groups. */
const LOCAL_SOURCE_NAMES: Readonly<Record<string, LogSource>> = { predict: 'predictFunction', read: 'readFunction', model: 'endpoint' };

export function collectLocalMetrics(options: LocalMetricsOptions = {}): LocalMetricsCollector {
  const config = options.config ?? resolveStageConfig({ stage: 'dev' });
  const now = options.now ?? Date.now;
  const windowMinutes = options.windowMinutes ?? 15;
  const layout = dashboardLayout(config);
  const latestErrors = layout.rows.flatMap((r) => r.widgets).find((w) => w.kind === 'logs');
  const store = new SeriesStore({
    windowMs: windowMinutes * 60_000,
    maxErrorLines: 50,
    errorPattern: latestErrors?.kind === 'logs' ? latestErrors.localPattern : '{ $.level = "ERROR" }',
    now,
  });

  const alarmStates = (): Record<string, LocalAlarmState> => {
    const series = store.series();
    const states: Record<string, LocalAlarmState> = {};
    for (const alarm of layout.alarms) states[alarm.id] = localAlarmState(alarm, series, config.monitoring.minSampleCount, now());
    // The composite, as far as the local run can tell: any Critical alarm it can evaluate.
    const critical = layout.alarms.filter((a) => a.severity === 'Critical').map((a) => states[a.id]);
    states[PIPELINE_UNHEALTHY_ID] = critical.includes('ALARM') ? 'ALARM' : 'OK';
    return states;
  };

  return {
    layout,
    windowMinutes,
    add: (line, from = 'predictFunction') => {
      const logGroup = LOG_SOURCES.includes(from as LogSource) ? (from as LogSource) : LOCAL_SOURCE_NAMES[from];
      store.add(line, logGroup, logGroup ?? from);
    },
    addMetric: (source, metricName, value, dimensions = {}, t = now()) => store.addMetric(source, metricName, value, dimensions, t),
    series: () => store.series(),
    alarmStates,
    latestErrors: () => store.latestErrors(),
    now,
    snapshot: () => ({
      generatedAt: new Date(now()).toISOString(),
      series: store.series(),
      alarmStates: alarmStates(),
      latestErrors: store.latestErrors(),
    }),
  };
}

/** The page for a layout, series and alarm states (a pure function: the handler calls it per request). */
export function renderLocalDashboard(
  layout: DashboardLayout,
  series: LocalSeries,
  alarmStates: Readonly<Record<string, LocalAlarmState>>,
  options: RenderOptions = {},
): string {
  return renderDashboardPage(layout, series, alarmStates, options);
}

/**
 * A Node request handler for GET /dashboard and GET /dashboard/metrics.json. It answers
 * and returns true for those paths, and returns false without answering for any other, so
 * it can sit in front of the local pipeline's own routes.
 */
export function createLocalDashboardHandler(
  collector: LocalMetricsCollector,
  options: Pick<RenderOptions, 'refreshSec' | 'windowMinutes'> = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0].replace(/\/+$/, '');
    if (path !== '/dashboard' && path !== '/dashboard/metrics.json') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'MethodNotAllowed', message: `${req.method} is not supported on ${path}; use GET` }));
      return true;
    }
    const body =
      path === '/dashboard'
        ? renderLocalDashboard(collector.layout, collector.series(), collector.alarmStates(), {
            windowMinutes: collector.windowMinutes,
            ...options,
            latestErrors: collector.latestErrors(),
            now: collector.now(),
          })
        : JSON.stringify(collector.snapshot());
    res.writeHead(200, {
      'content-type': path === '/dashboard' ? 'text/html; charset=utf-8' : 'application/json',
      'cache-control': 'no-store',
      // Everything is inline: nothing may be loaded from elsewhere.
      ...(path === '/dashboard' ? { 'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; img-src data:" } : {}),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
