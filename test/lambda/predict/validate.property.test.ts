/**
 * Properties of the validators, over generated input: whatever a client sends, the
 * answer is the rows it meant or a 4xx with a message — never a 500, never a crash, never
 * a message quoting a value it sent.
 */
import fc from 'fast-check';
import { parsePredictRequest } from '../../../lambda/predict/validate';
import { decodeToken, encodeToken } from '../../../lambda/read/pagination';
import { parseInferenceListQuery, parseModelsQuery } from '../../../lambda/read/params';
import { ApiError } from '../../../lambda/shared/http';

const LIMITS = { maxRequestBytes: 65_536, featureCount: 4 };
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x));

/** Runs `fn`; returns its value, or the ApiError it threw (anything else fails the property). */
function outcome<T>(fn: () => T): T | ApiError {
  try {
    return fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
}

describe('parsePredictRequest', () => {
  it('gives back exactly the rows of any valid request', () => {
    fc.assert(
      fc.property(fc.array(fc.array(finite, { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 40 }), (rows) => {
        expect(parsePredictRequest('application/json', Buffer.from(JSON.stringify({ instances: rows })), LIMITS)).toEqual(rows);
      }),
    );
  });

  it('answers any JSON value, wherever it sits, with rows or a 400 — never quoting a string it was sent', () => {
    const marker = fc.string({ minLength: 8, maxLength: 12, unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz') });
    const positions: ((v: unknown) => unknown)[] = [
      (v) => v,
      (v) => ({ instances: v }),
      (v) => ({ instances: [v] }),
      (v) => ({ instances: [[1, 2, 3, v]] }),
      (v) => ({ instances: [[1, 2, 3, 4], v] }),
    ];
    fc.assert(
      fc.property(fc.jsonValue(), marker, fc.constantFrom(...positions), (value, text, at) => {
        const anyValue = outcome(() => parsePredictRequest('application/json', Buffer.from(JSON.stringify(at(value))), LIMITS));
        if (anyValue instanceof ApiError) expect(anyValue.statusCode).toBe(400);
        const quoted = outcome(() => parsePredictRequest('application/json', Buffer.from(JSON.stringify(at(text))), LIMITS));
        expect(quoted).toBeInstanceOf(ApiError);
        expect((quoted as ApiError).message).not.toContain(text);
      }),
    );
  });

  it('survives any bytes and any Content-Type', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.option(fc.string(), { nil: undefined }), (bytes, contentType) => {
        const result = outcome(() => parsePredictRequest(contentType, Buffer.from(bytes), LIMITS));
        if (result instanceof ApiError) expect([400, 413, 415]).toContain(result.statusCode);
      }),
    );
  });

  it('refuses any bracket soup deeper than a request, without parsing it', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('[', ']', '{', '}', '"', '\\', ',', '1', ':'), { maxLength: 300 }), (chars) => {
        const result = outcome(() => parsePredictRequest('application/json', Buffer.from(chars.join('')), LIMITS));
        if (result instanceof ApiError) expect(result.statusCode).toBe(400);
      }),
    );
  });
});

describe('read parameters and tokens', () => {
  const params = fc.dictionary(
    fc.constantFrom('modelVersion', 'status', 'from', 'to', 'limit', 'nextToken', 'other'),
    fc.string({ maxLength: 30 }),
  );

  it('any query string is a query or a 400', () => {
    fc.assert(
      fc.property(params, (query) => {
        const event = { queryStringParameters: query, multiValueQueryStringParameters: null };
        for (const parse of [() => parseInferenceListQuery(event, Date.now()), () => parseModelsQuery(event)]) {
          const result = outcome(parse);
          if (result instanceof ApiError) expect(result.statusCode).toBe(400);
        }
      }),
    );
  });

  it('any string is a token of the listing asked for, or a 400', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.base64String(),
          fc.json().map((j) => Buffer.from(j).toString('base64url')),
        ),
        fc.constantFrom('version', 'failed', 'models' as const),
        (raw, q) => {
          const result = outcome(() => decodeToken(raw, q));
          if (result instanceof ApiError) expect(result.statusCode).toBe(400);
          else expect(result.q).toBe(q);
        },
      ),
    );
  });

  it('a token decodes to what was encoded', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.string(), { minKeys: 1 }), (k) => {
        expect(decodeToken(encodeToken({ q: 'models', k }), 'models')).toEqual({ q: 'models', k });
      }),
    );
  });
});
