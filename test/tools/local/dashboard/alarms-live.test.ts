/**
 * Every alarm of the stage evaluates locally, from the same alarm definitions, on the AWS
 * service metrics the local parts emit. Faults are injected through the local-only admin
 * route (/_local/faults); the matching alarm goes to ALARM on the dashboard in headless
 * Chromium, then back to OK. The metrics clock is moved a minute at a time, so minutes of
 * alarm evaluation take seconds; screenshots go to test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { dashboardLayout } from '../../../../lib/monitoring/dashboard-layout';
import type { LocalPipeline } from '../../../../tools/local/local-pipeline';
import { UNTHROTTLED, startPipeline, synthesizeOnce } from '../../../harness/local-harness';
import { ARTIFACTS, HAS_CHROMIUM, launchChromium } from '../../../harness/browser';

const ROW = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });
const browserTest = HAS_CHROMIUM ? test : test.skip;

describe('local alarms driven by injected faults, watched in a browser', () => {
  // The model-latency alarm's threshold lowered through the stage's own override, so a 300 ms model breaches it.
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED, 'monitoring.alarms.EndpointModelLatencyP99.threshold': '200000' });
  let pipeline: LocalPipeline;
  let browser: Browser;
  // One tab for the whole suite, navigated afresh for each look (a new tab is a new renderer process).
  let page: Page;
  // The clock starts one second into a minute, so a burst of requests stays inside one period.
  let offset = 0;
  const clock = () => Date.now() + offset;

  beforeAll(async () => {
    offset = Math.ceil(Date.now() / 60_000) * 60_000 - Date.now() + 1_000;
    pipeline = await startPipeline(assembly, { metricsClock: clock });
    if (HAS_CHROMIUM) {
      browser = await launchChromium();
      page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    }
  });
  afterAll(async () => {
    await browser?.close();
    await pipeline?.stop();
  });

  const origin = () => new URL(pipeline.url).origin;
  const setFaults = async (faults: unknown) => {
    const res = await fetch(`${origin()}/_local/faults`, { method: 'POST', body: JSON.stringify(faults) });
    expect(res.status).toBe(200);
    return res.json();
  };
  const nextMinute = (minutes = 1) => {
    offset += minutes * 60_000;
  };
  const traffic = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        fetch(`${pipeline.url}/predict`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ROW }).then(
          (r) => r.status,
        ),
      ),
    );

  /** The alarm's tile on the page, as a user sees it; a full-page screenshot of that moment. */
  async function tileState(alarmId: string, shot: string): Promise<string | null> {
    await page.goto(pipeline.dashboardUrl);
    const state = await page.locator(`[data-alarm="${alarmId}"]`).getAttribute('data-state');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `${shot}.png`), fullPage: true });
    return state;
  }

  test('the admin route refuses what it cannot do', async () => {
    const bad = await fetch(`${origin()}/_local/faults`, { method: 'POST', body: '{"model":{"status":200}}' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'ValidationError', message: 'model.status must be an HTTP error status from 400 to 599' });
    expect(await (await fetch(`${origin()}/_local/faults`)).json()).toEqual({ model: {}, table: {} });
  });

  browserTest('healthy traffic: every widget draws from local data, no tile reads "CloudWatch only", every alarm OK', async () => {
    // One at a time: on a loaded machine, a dozen cold starts at once can miss the 500 ms record write.
    for (let i = 0; i < 12; i++) expect(await traffic(1)).toEqual([200]);
    await page.goto(pipeline.dashboardUrl);
    expect(await page.getByText('CloudWatch only').count()).toBe(0);
    expect(await page.locator('figure.graph p.empty').count()).toBe(0);
    expect(await page.locator('figure.graph svg').count()).toBe(await page.locator('figure.graph').count());
    const states = await page
      .locator('[data-alarm]')
      .evaluateAll((tiles) => tiles.map((t) => `${t.getAttribute('data-alarm')}=${t.getAttribute('data-state')}`));
    expect(states.filter((s) => !s.endsWith('=OK'))).toEqual([]);
    // Every enabled alarm of the stage, and the composite.
    expect(states.length).toBe(dashboardLayout(pipeline.config).alarms.length + 1);
    // AWS's own series, under AWS's names, drawn: API Gateway, Lambda, SageMaker, DynamoDB.
    const last = (widget: string, series: string) =>
      page.locator(`figure[data-widget="${widget}"] li[data-series="${series}"]`).first().getAttribute('data-last');
    expect(Number(await last('Requests', 'Requests'))).toBeGreaterThanOrEqual(12);
    expect(Number(await last('Invocations', 'predict invocations'))).toBeGreaterThanOrEqual(12);
    expect(Number(await last('Model latency (µs)', 'Model latency p99'))).toBeGreaterThan(100); // microseconds
    expect(Number(await last('Capacity used', 'Write capacity units'))).toBeGreaterThanOrEqual(12);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-local-services.png'), fullPage: true });
  });

  browserTest('the model answering 5xx: EndpointErrorRate goes to ALARM (2 of 3 minutes), then back to OK', async () => {
    nextMinute(5);
    await setFaults({ model: { status: 500 } });
    expect(await traffic(10)).toEqual(Array(10).fill(502));
    nextMinute();
    expect(await traffic(10)).toEqual(Array(10).fill(502));
    expect(await tileState('EndpointErrorRate', 'alarm-endpoint-5xx-ALARM')).toBe('ALARM');
    expect(await tileState('ApiServerErrorRate', 'alarm-endpoint-5xx-api')).toBe('OK'); // needs 3 of 3 minutes
    expect(await tileState('PipelineUnhealthy', 'alarm-endpoint-5xx-composite')).toBe('ALARM');
    await setFaults({});
    nextMinute(3);
    expect(await traffic(10)).toEqual(Array(10).fill(200));
    expect(await tileState('EndpointErrorRate', 'alarm-endpoint-5xx-OK')).toBe('OK');
  });

  browserTest('a slow model: EndpointModelLatencyP99 goes to ALARM, then back to OK', async () => {
    nextMinute(5);
    await setFaults({ model: { delayMs: 300 } });
    expect(await traffic(10)).toEqual(Array(10).fill(200));
    nextMinute();
    expect(await traffic(10)).toEqual(Array(10).fill(200));
    expect(await tileState('EndpointModelLatencyP99', 'alarm-slow-model-ALARM')).toBe('ALARM');
    await setFaults({});
    nextMinute(3);
    expect(await traffic(10)).toEqual(Array(10).fill(200));
    expect(await tileState('EndpointModelLatencyP99', 'alarm-slow-model-OK')).toBe('OK');
  });

  browserTest('the table refusing writes: TableThrottledRequests goes to ALARM (3 of 5 minutes), then back to OK', async () => {
    nextMinute(5);
    await setFaults({ table: { refuseWrites: 'throttle' } });
    for (let minute = 0; minute < 3; minute++) {
      if (minute > 0) nextMinute();
      // The client still gets its prediction: the record falls back to the log.
      expect(await traffic(2)).toEqual([200, 200]);
    }
    expect(await tileState('TableThrottledRequests', 'alarm-table-throttled-ALARM')).toBe('ALARM');
    await setFaults({ table: { refuseWrites: 'system-error' } });
    expect(await traffic(1)).toEqual([200]);
    await setFaults({});
    nextMinute(5);
    expect(await traffic(2)).toEqual([200, 200]);
    expect(await tileState('TableThrottledRequests', 'alarm-table-throttled-OK')).toBe('OK');
    const snapshot = (await (await fetch(`${pipeline.dashboardUrl}/metrics.json`)).json()) as {
      series: Array<{ source: string; metricName: string; dimensions: Record<string, string> }>;
    };
    const table = snapshot.series.filter((s) => s.source === 'table');
    expect(table.find((s) => s.metricName === 'ThrottledRequests')?.dimensions).toEqual({
      TableName: pipeline.tableName,
      Operation: 'PutItem',
    });
    expect(table.find((s) => s.metricName === 'SystemErrors')?.dimensions).toEqual({ TableName: pipeline.tableName, Operation: 'PutItem' });
  });
});
