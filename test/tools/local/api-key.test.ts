/**
 * api-key mode as the gateway meters it: the usage plan's keys (from the synthesized
 * template: AWS::ApiGateway::ApiKey, UsagePlan, UsagePlanKey), its throttle (a token bucket)
 * and its quota, with the gateway's answers in the stack's gateway-response body.
 */
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { startBanner } from '../../../tools/local/start-banner';
import { startPipeline, synthesizeOnce } from '../../harness/local-harness';

const ROW = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });

describe('local API in api-key mode', () => {
  // A plan of 1 request/s with a burst of 3 and a quota of 5 a day: small enough to reach.
  const assembly = synthesizeOnce({
    stage: 'dev',
    'api.authorization': 'api-key',
    'api.throttleRateLimit': '1',
    'api.throttleBurstLimit': '3',
    'api.apiKeyQuotaPerDay': '5',
  });
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startPipeline(assembly);
  });
  afterAll(() => pipeline?.stop());

  const post = async (key?: string) => {
    const res = await fetch(`${pipeline.url}/predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(key ? { 'x-api-key': key } : {}) },
      body: ROW,
    });
    return { status: res.status, type: res.headers.get('x-amzn-errortype'), body: (await res.json()) as any };
  };

  test("the key is generated for the template's ApiKey and printed; no key or a wrong one is 403 Forbidden", async () => {
    expect(pipeline.apiKeys).toHaveLength(1);
    expect(pipeline.apiKey).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(startBanner(pipeline, false)).toContain(`-H 'x-api-key: ${pipeline.apiKey}'`);
    for (const key of [undefined, 'not-the-key']) {
      const refused = await post(key);
      expect(refused).toMatchObject({ status: 403, type: 'ForbiddenException', body: { error: 'INVALID_API_KEY', message: 'Forbidden' } });
    }
  });

  test("the plan's throttle answers 429 Too Many Requests past the burst; its quota 429 Limit Exceeded", async () => {
    const key = pipeline.apiKey!;
    // Four at once: the bucket holds three.
    const burst = await Promise.all([post(key), post(key), post(key), post(key)]);
    expect(burst.map((r) => r.status).sort()).toEqual([200, 200, 200, 429]);
    expect(burst.find((r) => r.status === 429)).toMatchObject({
      type: 'TooManyRequestsException',
      body: { error: 'THROTTLED', message: 'Too Many Requests' },
    });
    // The bucket refills at 1 a second; the quota (5) counts only requests let through.
    await new Promise((resolve) => setTimeout(resolve, 2_100));
    expect((await post(key)).status).toBe(200);
    expect((await post(key)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await post(key)).toMatchObject({
      status: 429,
      type: 'LimitExceededException',
      body: { error: 'QUOTA_EXCEEDED', message: 'Limit Exceeded' },
    });
  });
});
