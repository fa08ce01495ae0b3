/**
 * The read routes against dynalite, with records written by the same builder the
 * prediction handler uses: lookups, listings by version and by failure across pages and
 * day partitions, deployments, and every way a parameter or a token can be wrong.
 */
import type { APIGatewayProxyResult } from 'aws-lambda';
import { recordDeployment } from '../../../lambda/record-deployment/deployment-record';
import { encodeToken } from '../../../lambda/read/pagination';
import { buildInferenceRecord, InferenceRecord } from '../../../lambda/shared/record';
import { putNewItem } from '../../../lambda/shared/table';
import { HandlerFixture, startHandlerFixture } from '../../harness/handler-fixture';
import { LocalDynamo } from '../../harness/lambda-dynamo';
import { apiEvent, lambdaContext } from '../../harness/lambda-events';
import { StdoutCapture } from '../../harness/lambda-stdout';

type ReadModule = typeof import('../../../lambda/read');

const TABLE = 'read-records';
let dynamo: LocalDynamo;
let read: ReadModule['handler'];
let out: StdoutCapture;
let fixture: HandlerFixture;

/** Seven 1.0.0 requests a minute apart on 2024-05-01 (every second one failed), two of 2.0.0. */
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const v1 = Array.from({ length: 7 }, (_, i) => seed(`v1-${i}`, '1.0.0', new Date(T0 + i * 60_000).toISOString(), i % 2 === 1));
const v2 = [seed('v2-0', '2.0.0', '2024-05-01T10:00:30.000Z', false), seed('v2-1', '2.0.0', '2024-05-01T10:01:30.000Z', true)];
/** Failures on later days (none on 05-03), and one outside every range used below. */
const laterFailures = [
  seed('f-0502a', '1.0.0', '2024-05-02T08:00:00.000Z', true),
  seed('f-0502b', '2.0.0', '2024-05-02T23:59:59.999Z', true),
  seed('f-0504', '1.0.0', '2024-05-04T00:00:00.000Z', true),
  seed('f-0615', '1.0.0', '2024-06-15T12:00:00.000Z', true),
];
const ALL = [...v1, ...v2, ...laterFailures];

function seed(requestId: string, modelVersion: string, createdAt: string, failed: boolean): InferenceRecord {
  return buildInferenceRecord({
    requestId,
    createdAt,
    httpStatus: failed ? 502 : 200,
    error: failed
      ? { code: 'ModelError', message: 'the model failed to produce a prediction (status 500 from the model container)' }
      : undefined,
    caller: { type: 'iam', principal: 'arn:aws:iam::123456789012:user/alice', accountId: '123456789012' },
    modelName: 'iris-classifier',
    modelVersion,
    endpointName: 'iris-endpoint',
    variant: failed ? undefined : 'AllTraffic',
    input: { mode: 'hash', sizeBytes: 51, sha256: 'a'.repeat(64) },
    latencyMs: 12,
    modelLatencyMs: 9,
    ttlDays: 0,
  });
}

/** What the API returns of a record: everything but the key attributes. */
function clean(record: InferenceRecord): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-unused-vars -- destructured only to leave the key attributes out
  const { pk, sk, gsi1pk, gsi1sk, gsi2pk, gsi2sk, ...rest } = record;
  return rest;
}

beforeAll(async () => {
  fixture = await startHandlerFixture({ tables: [TABLE], env: { TABLE_NAME: TABLE } });
  dynamo = fixture.dynamo;
  for (const record of ALL) await putNewItem(dynamo.client, TABLE, record as unknown as Record<string, unknown>);
  for (const [i, version] of ['1.0.0', '1.1.0', '2.0.0'].entries()) {
    await recordDeployment(dynamo.client, TABLE, {
      modelName: 'iris-classifier',
      modelVersion: version,
      endpointName: `iris-${version.replace(/\./g, '-')}`,
      endpointConfigName: `iris-config-${i}`,
      capacity: { mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 },
      stage: 'dev',
      deployedAt: `2024-04-0${i + 1}T12:00:00.000Z`,
    });
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
  read = (require('../../../lambda/read') as ReadModule).handler;
  out = fixture.captureOutput();
});

afterAll(() => fixture?.stop());

function get(path: string, query?: Record<string, string>, options: { resource?: string; multiQuery?: Record<string, string[]> } = {}) {
  const id = /^\/inferences\/(.+)$/.exec(path)?.[1];
  const resource = options.resource ?? (id !== undefined ? '/inferences/{id}' : path);
  return read(
    apiEvent({
      method: 'GET',
      resource,
      path,
      query: query ?? null,
      multiQuery: options.multiQuery,
      pathParameters: id !== undefined ? { id } : null,
    }),
    lambdaContext('read-test'),
  );
}

function json(response: APIGatewayProxyResult): Record<string, unknown> {
  expect(response.headers?.['content-type']).toBe('application/json');
  expect(response.headers?.['x-request-id']).toEqual(expect.any(String));
  return JSON.parse(response.body) as Record<string, unknown>;
}

/** Every page of a listing, following nextToken; also checks that no page exceeds the limit. */
async function allPages(path: string, query: Record<string, string>): Promise<{ pages: string[][]; items: Record<string, unknown>[] }> {
  const pages: string[][] = [];
  const items: Record<string, unknown>[] = [];
  let nextToken: string | undefined;
  do {
    const response = await get(path, { ...query, ...(nextToken ? { nextToken } : {}) });
    expect(response.statusCode).toBe(200);
    const body = json(response) as { items: Record<string, unknown>[]; nextToken?: string };
    expect(body.items.length).toBeLessThanOrEqual(Number(query.limit));
    pages.push(body.items.map((item) => String(item.requestId ?? item.modelVersion)));
    items.push(...body.items);
    nextToken = body.nextToken;
  } while (nextToken && pages.length < 20);
  return { pages, items };
}

describe('GET /inferences/{id}', () => {
  it('answers the record without its key attributes', async () => {
    const response = await get('/inferences/v1-3');
    expect(response.statusCode).toBe(200);
    expect(json(response)).toEqual(clean(v1[3]));
    expect(response.body).not.toMatch(/"(pk|sk|gsi1pk|gsi1sk|gsi2pk|gsi2sk)"/);
  });

  it('answers 404 NotFound for an unknown id', async () => {
    const event = apiEvent({ method: 'GET', resource: '/inferences/{id}', path: '/inferences/nope', pathParameters: { id: 'nope' } });
    const response = await read(event, lambdaContext('read-test'));
    expect(response.statusCode).toBe(404);
    expect(json(response)).toEqual({
      error: 'NotFound',
      message: 'no inference record with this id',
      requestId: event.requestContext.requestId,
    });
  });

  it.each([['bad_id!'], ['a'.repeat(65)], ['INFERENCE%23x']])('refuses the malformed id %s', async (id) => {
    const response = await get(`/inferences/${id}`);
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ error: 'ValidationError', message: 'id must be 1 to 64 letters, digits or hyphens' });
  });

  it('routes by path when the API proxies every path to the function', async () => {
    const response = await read(apiEvent({ method: 'GET', resource: '/{proxy+}', path: '/inferences/v2-0' }), lambdaContext('read-test'));
    expect(json(response)).toEqual(clean(v2[0]));
  });
});

describe('GET /inferences?modelVersion=', () => {
  it('lists a version newest first, across pages, each record once', async () => {
    const { pages, items } = await allPages('/inferences', {
      modelVersion: '1.0.0',
      from: '2024-05-01T00:00:00Z',
      to: '2024-05-01T23:59:59Z',
      limit: '3',
    });
    expect(pages).toEqual([['v1-6', 'v1-5', 'v1-4'], ['v1-3', 'v1-2', 'v1-1'], ['v1-0']]);
    expect(items).toEqual([...v1].reverse().map(clean));
  });

  it('keeps to the time range, bounds included', async () => {
    const { pages } = await allPages('/inferences', {
      modelVersion: '1.0.0',
      from: '2024-05-01T10:02:00.000Z',
      to: '2024-05-01T12:04:00+02:00',
      limit: '100',
    });
    expect(pages).toEqual([['v1-4', 'v1-3', 'v1-2']]);
  });

  it('lists only the version asked for', async () => {
    const { pages } = await allPages('/inferences', {
      modelVersion: '2.0.0',
      from: '2024-05-01T00:00:00Z',
      to: '2024-05-31T00:00:00Z',
      limit: '10',
    });
    expect(pages).toEqual([['f-0502b', 'v2-1', 'v2-0']]);
  });

  it('covers the last day when no range is given', async () => {
    const response = await get('/inferences', { modelVersion: '1.0.0' });
    expect(json(response)).toEqual({ items: [] });
  });
});

describe('GET /inferences?status=failed', () => {
  it('walks the day partitions newest first, filling pages across days', async () => {
    const { pages, items } = await allPages('/inferences', {
      status: 'failed',
      from: '2024-05-01T00:00:00Z',
      to: '2024-05-04T23:59:59Z',
      limit: '2',
    });
    const expected = ['f-0504', 'f-0502b', 'f-0502a', 'v1-5', 'v1-3', 'v2-1', 'v1-1'];
    expect(pages.flat()).toEqual(expected);
    expect(pages[0]).toEqual(['f-0504', 'f-0502b']);
    expect(items.every((item) => item.status === 'ERROR')).toBe(true);
    expect(items.map((item) => item.createdAt)).toEqual([...items.map((item) => String(item.createdAt))].sort().reverse());
  });

  it('keeps to the time range within a day', async () => {
    const { pages } = await allPages('/inferences', {
      status: 'failed',
      from: '2024-05-01T10:01:30Z',
      to: '2024-05-02T12:00:00Z',
      limit: '100',
    });
    expect(pages).toEqual([['f-0502a', 'v1-5', 'v1-3', 'v2-1']]);
  });
});

describe('GET /models', () => {
  it('lists deployments newest first across pages', async () => {
    const { pages, items } = await allPages('/models', { limit: '2' });
    expect(pages).toEqual([['2.0.0', '1.1.0'], ['1.0.0']]);
    expect(items[0]).toEqual({
      modelName: 'iris-classifier',
      modelVersion: '2.0.0',
      endpointName: 'iris-2-0-0',
      endpointConfigName: 'iris-config-2',
      capacity: { mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 },
      stage: 'dev',
      deployedAt: '2024-04-03T12:00:00.000Z',
    });
  });
});

describe('bad parameters', () => {
  const range = { from: '2024-05-01T00:00:00Z', to: '2024-05-02T00:00:00Z' };
  const cases: [string, string, Record<string, string> | null, string, Record<string, string[]> | undefined][] = [
    [
      'an unknown parameter',
      '/inferences',
      { modelVersion: '1.0.0', foo: '1' },
      'unknown query parameter "foo"; accepted: modelVersion, status, from, to, limit, nextToken',
      undefined,
    ],
    [
      'both listings at once',
      '/inferences',
      { modelVersion: '1.0.0', status: 'failed' },
      'give either modelVersion or status=failed, not both',
      undefined,
    ],
    ['no listing', '/inferences', { ...range }, 'give modelVersion=<version> or status=failed', undefined],
    [
      'another status',
      '/inferences',
      { status: 'succeeded' },
      "status must be 'failed' (successful requests are listed by modelVersion)",
      undefined,
    ],
    [
      'a malformed version',
      '/inferences',
      { modelVersion: 'v/1' },
      "modelVersion must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
      undefined,
    ],
    [
      'a time that is not ISO-8601',
      '/inferences',
      { modelVersion: '1.0.0', from: 'yesterday' },
      'from must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z',
      undefined,
    ],
    [
      'a day that does not exist',
      '/inferences',
      { modelVersion: '1.0.0', from: '2024-02-30T00:00:00Z' },
      'from must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z',
      undefined,
    ],
    [
      'a time without a zone',
      '/inferences',
      { modelVersion: '1.0.0', to: '2024-05-01T00:00:00' },
      'to must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z',
      undefined,
    ],
    [
      'from after to',
      '/inferences',
      { modelVersion: '1.0.0', from: '2024-05-02T00:00:00Z', to: '2024-05-01T00:00:00Z' },
      'from (2024-05-02T00:00:00.000Z) must not be after to (2024-05-01T00:00:00.000Z)',
      undefined,
    ],
    ['a limit of 0', '/inferences', { modelVersion: '1.0.0', limit: '0' }, 'limit must be a whole number from 1 to 100', undefined],
    ['a limit over 100', '/inferences', { modelVersion: '1.0.0', limit: '101' }, 'limit must be a whole number from 1 to 100', undefined],
    ['a limit that is not a number', '/models', { limit: 'ten' }, 'limit must be a whole number from 1 to 100', undefined],
    [
      'a failure range over 31 days',
      '/inferences',
      { status: 'failed', from: '2024-01-01T00:00:00Z', to: '2024-03-01T00:00:00Z' },
      'status=failed lists at most 31 days at a time; from and to are 60.0 days apart',
      undefined,
    ],
    [
      'a repeated parameter',
      '/inferences',
      { modelVersion: '1.0.0', limit: '5' },
      'query parameter limit is given 2 times; give it once',
      { modelVersion: ['1.0.0'], limit: ['2', '5'] },
    ],
    [
      'a parameter on /models',
      '/models',
      { modelVersion: '1.0.0' },
      'unknown query parameter "modelVersion"; accepted: limit, nextToken',
      undefined,
    ],
    ['a parameter on a record', '/inferences/v1-0', { limit: '1' }, 'unknown query parameter "limit"; this route takes none', undefined],
  ];

  // Every row has all five values: jest takes a parameter beyond a row's length for a done callback.
  it.each(cases)('refuses %s with 400 and a message naming it', async (_name, path, query, message, multiQuery) => {
    const response = await get(path, query ?? undefined, { multiQuery });
    expect(response.statusCode).toBe(400);
    expect(json(response)).toEqual({ error: 'ValidationError', message, requestId: expect.any(String) });
  });

  it('answers a table failure with 500 InternalError, naming nothing internal, and logs its name', async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
    const broken = (require('../../../lambda/read') as ReadModule).createReadHandler('no-such-table');
    out.clear();
    const response = await broken(apiEvent({ method: 'GET', resource: '/models', path: '/models' }), lambdaContext('read-test'));
    expect(response.statusCode).toBe(500);
    expect(json(response)).toEqual({
      error: 'InternalError',
      message: 'internal error; quote the requestId when reporting it',
      requestId: expect.any(String),
    });
    expect(out.withMessage('read request')[0]).toMatchObject({
      level: 'ERROR',
      route: 'listModels',
      statusCode: 500,
      errorName: 'ResourceNotFoundException',
    });
  });

  it('answers 404 for a route it does not serve', async () => {
    const response = await read(apiEvent({ method: 'POST', resource: '/inferences', path: '/inferences' }), lambdaContext('read-test'));
    expect(response.statusCode).toBe(404);
    expect(json(response)).toMatchObject({ error: 'NotFound', message: 'no route for this method and path' });
  });
});

describe('pagination tokens', () => {
  const NOT_A_TOKEN = 'nextToken is not a valid token; pass the nextToken of the previous page unchanged';
  const NOT_THIS_QUERY = 'nextToken does not belong to this query; pass it with the same parameters as the page that returned it';
  const v1Query = { modelVersion: '1.0.0', from: '2024-05-01T00:00:00Z', to: '2024-05-01T23:59:59Z', limit: '3' };
  const failedQuery = { status: 'failed', from: '2024-05-01T00:00:00Z', to: '2024-05-04T23:59:59Z', limit: '2' };

  async function firstToken(query: Record<string, string>, path = '/inferences'): Promise<string> {
    return (json(await get(path, query)) as { nextToken: string }).nextToken;
  }
  function decode(token: string): { q: string; day?: string; k: Record<string, string> } {
    return JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  }
  async function refused(path: string, query: Record<string, string>, message: string) {
    const response = await get(path, query);
    expect(response.statusCode).toBe(400);
    expect(json(response)).toMatchObject({ error: 'ValidationError', message });
  }

  it('are opaque base64url', async () => {
    expect(await firstToken(v1Query)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('refuse what does not decode', async () => {
    await refused('/inferences', { ...v1Query, nextToken: 'not a token!' }, NOT_A_TOKEN);
    await refused('/inferences', { ...v1Query, nextToken: Buffer.from('{"q":').toString('base64url') }, NOT_A_TOKEN);
    await refused('/inferences', { ...v1Query, nextToken: Buffer.from('[1,2]').toString('base64url') }, NOT_A_TOKEN);
  });

  it('refuse a token of another model version', async () => {
    const token = await firstToken(v1Query);
    await refused('/inferences', { ...v1Query, modelVersion: '2.0.0', nextToken: token }, NOT_THIS_QUERY);
  });

  it('refuse a token edited to point at another version or outside its sources', async () => {
    const t = decode(await firstToken(v1Query)) as unknown as { q: string; v: string; d: string; p: (string | null | true)[] };
    expect(t).toMatchObject({ q: 'version', v: '1.0.0', d: '2024-05-01' });
    // The token never names a partition: the partitions queried follow from the parameters alone.
    expect(JSON.stringify(t)).not.toContain('MODEL#');
    // Another day, a position list of the wrong length, or a position that is not a sort key of the range.
    await refused('/inferences', { ...v1Query, nextToken: encodeToken({ ...t, d: '2024-05-02' } as never) }, NOT_THIS_QUERY);
    await refused('/inferences', { ...v1Query, nextToken: encodeToken({ ...t, p: [...t.p, null] } as never) }, NOT_THIS_QUERY);
    await refused(
      '/inferences',
      { ...v1Query, nextToken: encodeToken({ ...t, p: t.p.map(() => '2024-05-01T10:00:00.000Z#bad_id!') } as never) },
      NOT_THIS_QUERY,
    );
    await refused('/inferences', { ...v1Query, nextToken: encodeToken({ ...t, p: t.p.map(() => 7) } as never) }, NOT_THIS_QUERY);
  });

  it('refuse a token whose key lies outside the time range asked for', async () => {
    const token = await firstToken(v1Query);
    await refused('/inferences', { ...v1Query, from: '2024-05-01T10:05:00Z', nextToken: token }, NOT_THIS_QUERY);
  });

  it('refuse a token with another attribute set', async () => {
    const t = decode(await firstToken(v1Query));
    await refused(
      '/inferences',
      { ...v1Query, nextToken: encodeToken({ ...t, k: { pk: 'INFERENCE#v1-0', sk: 'RECORD' } } as never) },
      NOT_THIS_QUERY,
    );
    await refused(
      '/inferences',
      { ...v1Query, nextToken: encodeToken({ q: 'version', k: { pk: 'INFERENCE#v1-0', sk: 'RECORD' } }) },
      NOT_THIS_QUERY,
    );
  });

  it('refuse a token of another listing', async () => {
    const versionToken = await firstToken(v1Query);
    await refused('/inferences', { ...failedQuery, nextToken: versionToken }, NOT_THIS_QUERY);
    await refused('/models', { limit: '1', nextToken: versionToken }, NOT_THIS_QUERY);
    const failedToken = await firstToken(failedQuery);
    await refused('/inferences', { ...v1Query, nextToken: failedToken }, NOT_THIS_QUERY);
  });

  it('refuse a failure token for a day outside the range, or whose key is in another day', async () => {
    const t = decode(await firstToken(failedQuery));
    expect(t).toMatchObject({ q: 'failed', day: '2024-05-02' });
    await refused('/inferences', { ...failedQuery, nextToken: encodeToken({ q: 'failed', day: '2024-06-15' }) }, NOT_THIS_QUERY);
    await refused('/inferences', { ...failedQuery, nextToken: encodeToken({ q: 'failed', day: '2024-05-01', k: t.k }) }, NOT_THIS_QUERY);
    await refused('/inferences', { ...failedQuery, to: '2024-05-01T23:00:00Z', nextToken: encodeToken(t as never) }, NOT_THIS_QUERY);
  });

  it('refuse a models token pointing at inference records', async () => {
    const t = decode(await firstToken({ limit: '1' }, '/models'));
    expect(t.k.pk).toBe('DEPLOYMENT');
    await refused(
      '/models',
      { limit: '1', nextToken: encodeToken({ q: 'models', k: { pk: 'INFERENCE#v1-0', sk: 'RECORD' } }) },
      NOT_THIS_QUERY,
    );
  });

  it('accept an untouched token with the same parameters', async () => {
    const token = await firstToken(v1Query);
    const response = await get('/inferences', { ...v1Query, nextToken: token });
    expect((json(response).items as { requestId: string }[]).map((i) => i.requestId)).toEqual(['v1-3', 'v1-2', 'v1-1']);
  });
});
