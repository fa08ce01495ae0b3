/**
 * The local dashboard, fed with what the pipeline really prints: the bundled handler's
 * summary lines and Powertools EMF blobs, the model container's lines and Lambda platform
 * records. Its numbers are checked against the lines themselves, its alarms against the
 * catalog's rules, and the page in a real headless Chromium (with a screenshot in
 * test-artifacts/dashboard.png).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { SUMMARY_MESSAGE } from '../../../../contract/handlers';
import { resolveStageConfig } from '../../../../lib/config/load-config';
import { graphsOf } from '../../../../lib/monitoring/dashboard-layout';
import { parseJsonObject } from '../../../../lib/monitoring/filter-pattern';
import { LocalMetricsCollector, collectLocalMetrics, createLocalDashboardHandler } from '../../../../tools/local/dashboard/local-dashboard';
import { statistic } from '../../../../tools/local/dashboard/aggregate';
import { compileMath } from '../../../../tools/local/dashboard/metric-math';
import { captureContainerLines } from '../../../harness/monitoring-container-lines';
import { HandlerLines, captureHandlerLines } from '../../../harness/monitoring-handler-lines';
import { PLATFORM_LINES } from '../../../harness/monitoring-platform-lines';
import { ARTIFACTS, CHROMIUM, HAS_CHROMIUM, launchChromium } from '../../../harness/browser';

/** The page is drawn at this time; the lines are stamped in the three minutes before it. */
const NOW = Date.parse('2026-03-01T10:07:30.000Z');
const MINUTES = [Date.parse('2026-03-01T10:05:10.000Z'), Date.parse('2026-03-01T10:06:10.000Z'), Date.parse('2026-03-01T10:07:10.000Z')];

/** A captured line as if printed at `t` (Powertools' timestamp, EMF's, or the platform record's). */
function at(line: string, t: number): string {
  const e = parseJsonObject(line)!;
  if (typeof e.timestamp === 'string') e.timestamp = new Date(t).toISOString();
  if (typeof e.time === 'string') e.time = new Date(t).toISOString();
  if (e._aws) (e._aws as { Timestamp: number }).Timestamp = t;
  return JSON.stringify(e);
}

let handler: HandlerLines;
let collector: LocalMetricsCollector;
let summaries: Array<Record<string, any>>;
let coldStarts: number;

beforeAll(async () => {
  const [h, container] = await Promise.all([captureHandlerLines(), captureContainerLines()]);
  handler = h;
  collector = collectLocalMetrics({ config: resolveStageConfig({ stage: 'dev' }), now: () => NOW });
  // The same traffic in each of the last three minutes: what a steady failure looks like.
  for (const t of MINUTES) for (const line of handler.all) collector.add(at(line, t), 'predictFunction');
  collector.add(at(PLATFORM_LINES.timeout, MINUTES[2]), 'predictFunction');
  collector.add(at(PLATFORM_LINES.success, MINUTES[2]), 'predictFunction');
  // The local pipeline's own source names work too.
  collector.add(at(PLATFORM_LINES.timeout, MINUTES[2]), 'read');
  collector.add(at(PLATFORM_LINES.outOfMemory, MINUTES[2]), 'readFunction');
  for (const line of [...container.served, ...container.failed]) collector.add(at(line, MINUTES[2]), 'model');
  // A source no filter reads: its report is not a prediction timeout.
  collector.add(at(PLATFORM_LINES.timeout, MINUTES[2]), 'recorder');
  summaries = handler.all.map((l) => parseJsonObject(l)!).filter((e) => e.message === SUMMARY_MESSAGE);
  coldStarts = handler.all.map((l) => parseJsonObject(l)!).filter((e) => e._aws && 'ColdStart' in e).length;
});

describe('collector', () => {
  test('metric filters and EMF blobs become the series CloudWatch would have', () => {
    const series = collector.series();
    const sumOf = (source: string, metricName: string, dims: Record<string, string> = {}) =>
      series
        .filter((s) => s.source === source && s.metricName === metricName && Object.entries(dims).every(([k, v]) => s.dimensions[k] === v))
        .flatMap((s) => s.points)
        .reduce((a, p) => a + p.v, 0);
    expect(summaries).toHaveLength(12);
    expect(sumOf('logs', 'Inferences')).toBe(3 * 12);
    expect(sumOf('logs', 'InferenceServerErrors')).toBe(3 * 6);
    expect(sumOf('logs', 'InferenceErrors', { errorKind: 'EndpointTimeout' })).toBe(3);
    expect(sumOf('logs', 'RecordWriteFallbacks')).toBe(3);
    expect(sumOf('logs', 'PredictFunctionTimeouts')).toBe(1);
    expect(sumOf('logs', 'ReadFunctionTimeouts')).toBe(1);
    expect(sumOf('logs', 'ReadFunctionRuntimeExits')).toBe(1);
    expect(sumOf('logs', 'EndpointContainerErrors')).toBe(2);
    // Powertools' own blobs, parsed from `_aws.CloudWatchMetrics`.
    expect(coldStarts).toBe(12);
    expect(sumOf('emf', 'ColdStart')).toBe(3 * coldStarts);
    expect(sumOf('emf', 'Inferences', { service: 'inference-predict' })).toBe(3 * 12);
    expect(sumOf('emf', 'InferenceErrors', { errorKind: 'ModelError' })).toBe(3);
  });

  test('alarms evaluate like CloudWatch: M of N periods, gated, log-only ones included', () => {
    const states = collector.alarmStates();
    // 6 of 12 requests failed on the pipeline's side in each of the 3 minutes (12 >= 10 samples).
    expect(states.HandlerServerErrorRate).toBe('ALARM');
    expect(states.PipelineUnhealthy).toBe('ALARM');
    expect(states.RecordWriteFallbacks).toBe('ALARM');
    expect(states.EndpointContainerErrors).toBe('ALARM');
    expect(states.ReadTimeouts).toBe('ALARM');
    expect(states.ReadRuntimeExits).toBe('ALARM');
    // One timeout in one 5-minute window: PredictTimeouts needs 2 of 3.
    expect(states.PredictTimeouts).toBe('OK');
    expect(states.PredictRuntimeExits).toBe('OK');
    // Service alarms evaluate locally too; with no service data here, notBreaching reads OK.
    expect(states.ApiServerErrorRate).toBe('OK');
    expect(states.TableThrottledRequests).toBe('OK');
    expect(Object.values(states)).not.toContain('CLOUDWATCH_ONLY');
  });

  test('below the minimum sample count a rate alarm stays quiet', () => {
    const quiet = collectLocalMetrics({ config: resolveStageConfig({ stage: 'dev' }), now: () => NOW });
    const failing = handler.runs.InternalError.lines;
    for (const t of MINUTES) for (let i = 0; i < 9; i++) for (const line of failing) quiet.add(at(line, t + i), 'predictFunction');
    expect(quiet.alarmStates().HandlerServerErrorRate).toBe('OK'); // 100% errors, but 9 < 10 requests a minute
    for (const t of MINUTES) for (const line of failing) quiet.add(at(line, t + 20), 'predictFunction');
    expect(quiet.alarmStates().HandlerServerErrorRate).toBe('ALARM');
  });
});

describe('aggregation', () => {
  test('statistics as CloudWatch defines them (nearest-rank percentiles)', () => {
    const values = [5, 1, 4, 2, 3, 10, 7, 6, 9, 8];
    expect([
      statistic(values, 'Sum'),
      statistic(values, 'Average'),
      statistic(values, 'Maximum'),
      statistic(values, 'SampleCount'),
    ]).toEqual([55, 5.5, 10, 10]);
    expect([statistic(values, 'p50'), statistic(values, 'p90'), statistic(values, 'p99')]).toEqual([5, 9, 10]);
    expect(statistic([], 'Sum')).toBeUndefined();
    expect(() => statistic(values, 'Median')).toThrow("unsupported statistic 'Median'");
  });

  test('metric math: gating, FILL and missing data', () => {
    const gated = compileMath('IF(samples >= 10, FILL(errors, 0) / requests, 0)');
    expect(gated({ samples: 12, errors: 6, requests: 12 })).toBe(0.5);
    expect(gated({ samples: 12, errors: undefined, requests: 12 })).toBe(0);
    expect(gated({ samples: 9, errors: 9, requests: 9 })).toBe(0);
    expect(gated({ samples: undefined, errors: 1, requests: 1 })).toBeUndefined();
    expect(compileMath('FILL(a, 0) + FILL(b, 0) + FILL(c, 0)')({ a: 1, b: undefined, c: 2 })).toBe(3);
    expect(compileMath('cpu / 2')({ cpu: 150 })).toBe(75);
    expect(() => compileMath('RATE(a)')).toThrow("unsupported metric math 'RATE(a)'");
    expect(() => compileMath('a ^ 2')).toThrow('unsupported metric math');
  });
});

describe('HTTP handler', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const dashboard = createLocalDashboardHandler(collector, { refreshSec: 5 });
    server = createServer((req, res) => {
      if (!dashboard(req, res)) {
        res.writeHead(404);
        res.end('not the dashboard');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  test('GET /dashboard is a self-contained page that reloads itself', async () => {
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'none'; style-src 'unsafe-inline'; img-src data:");
    const html = await res.text();
    expect(html).toContain('<meta http-equiv="refresh" content="5">');
    expect(html).not.toMatch(/<script|<link|src="http/);
  });

  test('GET /dashboard/metrics.json has the series, alarm states and latest errors', async () => {
    const res = await fetch(`${base}/dashboard/metrics.json`);
    const body = (await res.json()) as {
      generatedAt: string;
      series: unknown[];
      alarmStates: Record<string, string>;
      latestErrors: Array<{ from: string }>;
    };
    expect(body.generatedAt).toBe('2026-03-01T10:07:30.000Z');
    expect(body.alarmStates.HandlerServerErrorRate).toBe('ALARM');
    expect(body.series.length).toBeGreaterThan(10);
    expect(new Set(body.latestErrors.map((e) => e.from))).toEqual(new Set(['predictFunction', 'readFunction', 'endpoint', 'recorder']));
  });

  test('other paths are left to the caller; other methods are refused', async () => {
    expect(await (await fetch(`${base}/predict`)).text()).toBe('not the dashboard');
    const post = await fetch(`${base}/dashboard`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(await post.json()).toEqual({ error: 'MethodNotAllowed', message: 'POST is not supported on /dashboard; use GET' });
  });

  const browserTest = HAS_CHROMIUM ? test : test.skip;
  if (!HAS_CHROMIUM) {
    console.warn(`skipping the headless browser test: ${CHROMIUM} is missing (apt-get install -y chromium); CI must install it`);
  }

  browserTest('in headless Chromium the page shows every row and chart of the layout, with the fed values', async () => {
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
      const external: string[] = [];
      page.on('request', (r) => {
        if (!r.url().startsWith(base)) external.push(r.url());
      });
      await page.goto(`${base}/dashboard`);

      // Same rows and chart titles as the CloudWatch dashboard, in the same order.
      expect(await page.locator('section.row > h2').allTextContents()).toEqual(collector.layout.rows.map((r) => r.title));
      expect(await page.locator('figure.graph > figcaption').allTextContents()).toEqual(graphsOf(collector.layout).map((g) => g.title));
      expect(await page.locator('h1').textContent()).toBe('inference-dev: inference pipeline');

      // Values drawn from the fed lines: the last minute's statistics.
      const latencies = summaries.map((s) => s.latencyMs as number);
      const last = (widget: string, series: string) =>
        page.locator(`figure[data-widget="${widget}"] li[data-series="${series}"]`).getAttribute('data-last');
      expect(await last('Requests', 'Inferences')).toBe('12');
      expect(await last('Prediction outcomes', 'Server errors (5xx)')).toBe('6');
      expect(await last('Server error rate', 'Server error rate')).toBe('0.5');
      expect(await last('Latency inside the function (ms)', 'Handler latency p99')).toBe(String(statistic(latencies, 'p99')));
      expect(await last('Latency inside the function (ms)', 'Handler latency p50')).toBe(String(statistic(latencies, 'p50')));
      expect(await last('Cold starts', 'ColdStart (Powertools EMF)')).toBe(String(coldStarts));
      expect(await last('Cold starts', 'Cold starts (platform report)')).toBe('1');
      expect(await last('Duration (ms)', 'predict init p99')).toBe('180');
      expect(await last('Errors by kind', 'EndpointTimeout')).toBe('1');
      expect(
        await page.locator('figure[data-widget="Cold starts"] g.series[data-series="ColdStart (Powertools EMF)"] circle').count(),
      ).toBe(3);
      // The alarm threshold is drawn on its chart.
      expect(await page.locator('figure[data-widget="Server error rate"] line.threshold').getAttribute('data-threshold')).toBe('0.05');
      // Service metrics are charted from local data (none fed here): no placeholder.
      expect(await page.locator('figure.graph p.empty').count()).toBe(0);
      expect(
        await page.locator('figure[data-widget="Invocations"]').first().locator('li[data-series="predict invocations"] b').textContent(),
      ).toBe('no data');

      expect(await page.locator('[data-alarm="PipelineUnhealthy"]').getAttribute('data-state')).toBe('ALARM');
      expect(await page.locator('[data-alarm="HandlerServerErrorRate"] .state').textContent()).toBe('ALARM');
      expect(await page.locator('[data-alarm="ApiServerErrorRate"] .state').textContent()).toBe('OK');
      expect(await page.locator('.widget.logs tbody tr').count()).toBe(collector.latestErrors().length);
      expect(external).toEqual([]);

      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
      expect(existsSync(path.join(ARTIFACTS, 'dashboard.png'))).toBe(true);
    } finally {
      await browser.close();
    }
  });
});
