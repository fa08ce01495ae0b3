/**
 * Generated input (fast-check) against the request validator, the encoders on both sides of
 * the endpoint (the handler's rows -> JSON/CSV, the model container's codec back to rows),
 * and the handlers themselves, in-process, through the real SDK against dynalite and a real
 * server speaking SageMaker runtime's protocol: whatever arrives, nothing crashes, nothing
 * answers 5xx, and in hash mode no message quotes what was sent. Runs are bounded (seeded
 * by fast-check per run; a failure prints its seed and the shrunk counterexample).
 */
import fc from 'fast-check';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { CodecError, decodeRows, parseContentType } from '../../model/src/codec';
import { encodeRows } from '../../lambda/predict/endpoint';
import { parsePredictRequest } from '../../lambda/predict/validate';
import { loadPredictConfig, PredictConfig } from '../../lambda/shared/env';
import { ApiError } from '../../lambda/shared/http';
import { HandlerFixture, startHandlerFixture } from '../harness/handler-fixture';
import { apiEvent, lambdaContext } from '../harness/lambda-events';

// A pinned seed makes CI reproducible; FUZZ_SEED=<n> (or a changed default) explores further.
fc.configureGlobal({ seed: Number(process.env.FUZZ_SEED ?? 20261123) });
import { FakeSageMaker } from '../harness/lambda-sagemaker';
import { StdoutCapture } from '../harness/lambda-stdout';
import { leaksIn } from '../harness/security-scan';
import { predictEnv } from '../harness/lambda-env';

const LIMITS = { maxRequestBytes: 65_536, featureCount: 4 };
/** Finite doubles, -0 as 0 (JSON and CSV both write -0 as 0). */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));
const rows = fc.array(fc.array(finite, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 30 });
/** Letters only: a quoted marker is found by a plain search, with no escaping in between. */
const marker = fc.string({ minLength: 10, maxLength: 14, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz') });

/** Runs `fn`; returns its value or the error it threw of the expected class (anything else fails). */
function outcome<T>(fn: () => T, expected: new (...args: never[]) => Error): T | Error {
  try {
    return fn();
  } catch (error) {
    expect(error).toBeInstanceOf(expected);
    return error as Error;
  }
}

describe('the request validator', () => {
  const contentTypes = fc.oneof(
    fc.constantFrom(
      'application/json',
      'application/json; charset=utf-8',
      'APPLICATION/JSON;CHARSET="UTF-8"',
      'text/csv',
      'application/json; charset=latin1',
      '',
    ),
    fc.string({ maxLength: 60 }),
  );
  const bodies = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s)),
    fc.jsonValue({ maxDepth: 5 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
    fc.record({ instances: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }).map((v) => Buffer.from(JSON.stringify(v))),
    rows.map((r) => Buffer.from(JSON.stringify({ instances: r }))),
  );

  it('answers any body and Content-Type with rows of four finite numbers, or a 400, 413 or 415', () => {
    fc.assert(
      fc.property(contentTypes, bodies, fc.constantFrom('full', 'hash', 'none' as const), (contentType, body, payloadMode) => {
        const result = outcome(() => parsePredictRequest(contentType, body, { ...LIMITS, payloadMode }), ApiError);
        if (result instanceof Error) expect([400, 413, 415]).toContain((result as ApiError).statusCode);
        else for (const row of result) expect(row.every(Number.isFinite) && row.length === 4).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('in hash and none modes quotes nothing it was sent: no field name, no string, no number', () => {
    const places: ((text: string, n: number) => unknown)[] = [
      (t) => ({ instances: [[1, 2, 3, 4]], [t]: 1 }),
      (t) => ({ [t]: [[1, 2, 3, 4]] }),
      (t) => ({ instances: [[1, 2, 3, t]] }),
      (t) => ({ instances: t }),
      (_t, n) => ({ instances: [[n, 2, 3]] }),
      (t, n) => ({ instances: [[n, 2, 3, 4], [t]] }),
      (t) => t,
    ];
    fc.assert(
      fc.property(
        marker,
        fc.double({ min: 1.000001, max: 9.999999, noNaN: true }),
        fc.constantFrom(...places),
        fc.constantFrom('hash', 'none' as const),
        (text, n, place, payloadMode) => {
          const body = Buffer.from(JSON.stringify(place(text, n)));
          const result = outcome(() => parsePredictRequest('application/json', body, { ...LIMITS, payloadMode }), ApiError);
          expect(result).toBeInstanceOf(ApiError);
          expect((result as ApiError).message).not.toContain(text);
          expect((result as ApiError).message).not.toContain(String(n).slice(0, 7));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('the encoders on both sides of the endpoint', () => {
  it.each(['application/json', 'text/csv'] as const)('%s: the container decodes exactly the rows the handler encoded', (contentType) => {
    fc.assert(
      fc.property(rows, (r) => {
        expect(decodeRows(Buffer.from(encodeRows(r, contentType)), contentType, { featureCount: 4 })).toEqual(r);
      }),
      { numRuns: 1_000 },
    );
  });

  it('the container refuses any other body with a CodecError, never a crash', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
          fc.string({ maxLength: 200 }).map((s) => Buffer.from(s)),
          fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
        ),
        fc.constantFrom('application/json', 'text/csv' as const),
        fc.integer({ min: 1, max: 6 }),
        (body, contentType, featureCount) => {
          const result = outcome(() => decodeRows(body, contentType, { featureCount }), CodecError);
          if (!(result instanceof Error))
            for (const row of result) expect(row.length === featureCount && row.every(Number.isFinite)).toBe(true);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it('the container reads any Content-Type header as one of its two types, or a 415', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom('text/csv;charset=UTF-8', 'application/json; charset="utf-16"', ';;;', ' ')),
        (header) => {
          const result = outcome(() => parseContentType(header), CodecError);
          if (result instanceof CodecError) expect(result.status).toBe(415);
          else expect(['application/json', 'text/csv']).toContain(result);
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

describe('the handlers, in-process, on arbitrary requests', () => {
  const TABLE = 'fuzz-records';
  let sagemaker: FakeSageMaker;
  let out: StdoutCapture;
  let fixture: HandlerFixture;
  let config: PredictConfig;
  let predict: typeof import('../../lambda/predict');
  let read: typeof import('../../lambda/read');

  beforeAll(async () => {
    fixture = await startHandlerFixture({
      tables: [TABLE],
      sagemaker: true,
      env: predictEnv({
        TABLE_NAME: TABLE,
        MAX_REQUEST_BYTES: '4096',
        PAYLOAD_MODE: 'hash',
        PAYLOAD_OVERFLOW: 'truncate',
        MAX_INLINE_BYTES: '1024',
      }),
    });
    sagemaker = fixture.sagemaker!;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
    predict = require('../../lambda/predict');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
    read = require('../../lambda/read');
    config = loadPredictConfig(process.env);
    out = fixture.captureOutput();
  });
  afterAll(() => fixture?.stop());

  /** What every answer must be: JSON, under 500, naming its request; errors in the one shape. */
  function expectSound(response: { statusCode: number; body: string; headers?: Record<string, unknown> }): void {
    expect(response.statusCode).toBeLessThan(500);
    const body = JSON.parse(response.body);
    const requestId = response.headers?.['x-request-id'];
    expect(requestId).toEqual(expect.stringMatching(/^[A-Za-z0-9-]{1,64}$/));
    if (response.statusCode === 200) expect(body).toHaveProperty('predictions');
    else expect(body).toEqual({ error: expect.any(String), message: expect.any(String), requestId: body.requestId });
  }

  const header = fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('application/json', 'text/csv', 'application/json; charset=utf-8'));
  const idempotencyKey = fc.oneof(fc.string({ maxLength: 140 }), fc.constantFrom('fuzz-key-0001', 'fuzz-key-0002'), fc.uuid());
  const body = fc.oneof(
    fc.constant(null),
    fc.string({ maxLength: 300 }),
    fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? ''),
    rows.map((r) => JSON.stringify({ instances: r })),
    fc.constantFrom('{"instances":[[1,2,3,4]]}', '{"instances":[[5.1,3.5,1.4,0.2],[1,1,1,1]]}'),
  );
  const event = fc.record({
    body,
    base64: fc.boolean(),
    contentType: fc.option(header, { nil: undefined }),
    key: fc.option(idempotencyKey, { nil: undefined }),
    keyTwice: fc.boolean(),
    requestId: fc.oneof(fc.uuid(), fc.string({ maxLength: 80 })),
    userArn: fc.option(fc.string({ maxLength: 60 }), { nil: null }),
    extra: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !/^(content-type|idempotency-key)$/i.test(k)),
      fc.string({ maxLength: 40 }),
      { maxKeys: 3 },
    ),
  });

  type FuzzEvent = typeof event extends fc.Arbitrary<infer T> ? T : never;

  function toEvent(e: FuzzEvent): APIGatewayProxyEvent {
    const headers: Record<string, string> = { ...e.extra };
    if (e.contentType !== undefined) headers['Content-Type'] = e.contentType;
    if (e.key !== undefined) headers['Idempotency-Key'] = e.key;
    const base = apiEvent({
      body: e.body === null ? null : e.base64 ? Buffer.from(e.body).toString('base64') : e.body,
      isBase64Encoded: e.body !== null && e.base64,
      headers,
      requestId: e.requestId,
      identity: { userArn: e.userArn },
    });
    return e.key !== undefined && e.keyTwice ? { ...base, multiValueHeaders: { 'Idempotency-Key': [e.key, e.key] } } : base;
  }

  it('POST /predict: never a crash, never a 5xx, every answer sound', async () => {
    const handle = predict.createPredictHandler(config);
    await fc.assert(
      fc.asyncProperty(event, async (e) => {
        expectSound(await handle(toEvent(e), lambdaContext()));
      }),
      { numRuns: 250 },
    );
    expect(sagemaker.invocations.length).toBeGreaterThan(0); // valid requests were among them
  });

  it('the read routes: any path, query string and token is an answer under 500', async () => {
    const handle = read.createReadHandler(TABLE);
    const query = fc.dictionary(
      fc.constantFrom('modelVersion', 'status', 'from', 'to', 'limit', 'nextToken', 'x'),
      fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('1.0.0', 'failed', '2024-01-01T00:00:00Z')),
      { maxKeys: 4 },
    );
    const route = fc.oneof(
      fc.string({ maxLength: 80 }).map((id) => ({ resource: '/inferences/{id}', path: `/inferences/${id}`, pathParameters: { id } })),
      fc.constant({ resource: '/inferences', path: '/inferences', pathParameters: null }),
      fc.constant({ resource: '/models', path: '/models', pathParameters: null }),
      fc.string({ maxLength: 40 }).map((p) => ({ resource: p, path: p, pathParameters: null })),
    );
    await fc.assert(
      fc.asyncProperty(route, fc.option(query, { nil: null }), fc.constantFrom('GET', 'POST', 'DELETE'), async (r, q, method) => {
        const response = await handle(apiEvent({ method, ...r, query: q }), lambdaContext('read-test'));
        expect(response.statusCode).toBeLessThan(500);
        expect(JSON.parse(response.body)).toEqual(expect.any(Object));
      }),
      { numRuns: 300 },
    );
  });

  it('left no stack trace in any log line', () => {
    expect(out.lines().length).toBeGreaterThan(250);
    expect(leaksIn(out.text(), { allowedArns: [/.*/], secrets: [] })).toEqual([]);
  });
});
