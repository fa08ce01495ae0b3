/**
 * Hostile and broken requests against the whole local pipeline (API, the deployed bundles,
 * dynalite, SageMaker's invoke route, a model server that counts its calls). Each one gets
 * a 4xx JSON error with a message that says what is wrong and the request id; none calls
 * the model, and none is stored as a success.
 */
import type { LocalPipeline } from '../../tools/local/local-pipeline';
import { UNTHROTTLED, captureLogs, startFaultyModelServer, startPipeline, synthesizeOnce } from '../harness/local-harness';
import { inferenceRecord, predict, RawAnswer, scanTable, send } from '../harness/security-pipeline';
import { readApiGatewayConfig, renderGatewayTemplate } from '../../tools/local/api-gateway-config';

const ROW = [5.1, 3.5, 1.4, 0.2];
const MAX_REQUEST_BYTES = 262_144; // the dev stage's api.maxRequestBytes

describe('hostile input (local pipeline)', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  const logs = captureLogs();
  let model: Awaited<ReturnType<typeof startFaultyModelServer>>;
  let pipeline: LocalPipeline;
  /** The only successes the table may hold: the ones made on purpose. */
  const madeOnPurpose: string[] = [];
  let modelCalls = 0;

  beforeAll(async () => {
    model = await startFaultyModelServer();
    pipeline = await startPipeline(assembly, { modelUrl: model.url, onLogLine: logs.onLogLine });
    // Three records to page through.
    for (let i = 0; i < 3; i++) madeOnPurpose.push((await predict(pipeline, { instances: [ROW] })).json.requestId);
    modelCalls = model.invocations;
  });
  afterAll(async () => {
    await pipeline?.stop();
    await model?.close();
  });

  /** A 4xx JSON error naming the request; for the prediction route, recorded as an error. */
  async function expectRefused(res: RawAnswer, status: number, error: string, message: string | RegExp): Promise<void> {
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.json).toEqual({ error, message: expect.any(String), requestId: expect.any(String) });
    if (typeof message === 'string') expect(res.json.message).toBe(message);
    else expect(res.json.message).toMatch(message);
    // The handler's answers carry the id as x-request-id, API Gateway's as x-amzn-requestid.
    expect([res.headers.get('x-request-id'), res.headers.get('x-amzn-requestid')]).toContain(res.json.requestId);
  }

  async function expectRecordedAsError(res: RawAnswer): Promise<void> {
    expect(await inferenceRecord(pipeline, res.json.requestId)).toMatchObject({
      status: 'ERROR',
      httpStatus: res.status,
      errorCode: res.json.error,
    });
  }

  describe('POST /predict', () => {
    const json = 'application/json';
    const cases: [string, string | Buffer, string, number, string, string | RegExp][] = [
      [
        'malformed JSON',
        '{"instances": [[5.1, 3.5, 1.4, 0.2]',
        json,
        400,
        'ValidationError',
        /^request body is not valid JSON \(error at position \d+\)$/,
      ],
      [
        'JSON with a trailing comma',
        '{"instances": [[5.1, 3.5, 1.4, 0.2],]}',
        json,
        400,
        'ValidationError',
        /^request body is not valid JSON/,
      ],
      [
        'a text content type',
        JSON.stringify({ instances: [ROW] }),
        'text/plain',
        415,
        'UnsupportedMediaType',
        'Content-Type must be application/json, got another media type',
      ],
      [
        'a form content type',
        'instances=5.1,3.5,1.4,0.2',
        'application/x-www-form-urlencoded',
        415,
        'UnsupportedMediaType',
        'Content-Type must be application/json, got another media type',
      ],
      [
        'a UTF-16 charset',
        JSON.stringify({ instances: [ROW] }),
        'application/json; charset=utf-16',
        415,
        'UnsupportedMediaType',
        'Content-Type charset must be utf-8, got another charset',
      ],
      ['an empty body', '', json, 400, 'ValidationError', 'request body is required: a JSON object {"instances": [[...], ...]}'],
      [
        'a body over the size limit',
        JSON.stringify({ instances: [ROW] }).padEnd(MAX_REQUEST_BYTES + 1, ' '),
        json,
        413,
        'PayloadTooLarge',
        `request body is ${MAX_REQUEST_BYTES + 1} bytes; at most ${MAX_REQUEST_BYTES} are accepted`,
      ],
      [
        '100 000 levels of [',
        '['.repeat(100_000),
        json,
        400,
        'ValidationError',
        'request body nests deeper than 3 levels; expected {"instances": [[numbers], ...]}',
      ],
      [
        'nested objects',
        '{"instances":[[{"instances":[[1]]}]]}',
        json,
        400,
        'ValidationError',
        'request body nests deeper than 3 levels; expected {"instances": [[numbers], ...]}',
      ],
      [
        '100 000 rows (over the size limit)',
        JSON.stringify({ instances: Array.from({ length: 100_000 }, () => [1]) }),
        json,
        413,
        'PayloadTooLarge',
        /^request body is \d+ bytes; at most 262144 are accepted$/,
      ],
      [
        '60 000 empty rows',
        JSON.stringify({ instances: Array.from({ length: 60_000 }, () => []) }),
        json,
        400,
        'ValidationError',
        'instances has 60000 rows; at most 1000 are accepted per request',
      ],
      [
        'a row of 100 000 values',
        JSON.stringify({ instances: [Array(100_000).fill(1)] }),
        json,
        400,
        'ValidationError',
        'instances[0] has 100000 values; the model takes 4 features per row',
      ],
      [
        'a string feature',
        '{"instances":[["5.1",3.5,1.4,0.2]]}',
        json,
        400,
        'ValidationError',
        'instances[0][0] must be a finite number, got string',
      ],
      [
        'a null feature',
        '{"instances":[[5.1,null,1.4,0.2]]}',
        json,
        400,
        'ValidationError',
        'instances[0][1] must be a finite number, got null',
      ],
      [
        'a boolean feature',
        '{"instances":[[5.1,3.5,true,0.2]]}',
        json,
        400,
        'ValidationError',
        'instances[0][2] must be a finite number, got boolean',
      ],
      [
        '1e400',
        '{"instances":[[5.1,3.5,1.4,1e400]]}',
        json,
        400,
        'ValidationError',
        'instances[0][3] must be a finite number, got a number too large to represent',
      ],
      ['NaN as text', '{"instances":[[5.1,3.5,1.4,NaN]]}', json, 400, 'ValidationError', /^request body is not valid JSON/],
      ['Infinity as text', '{"instances":[[5.1,3.5,1.4,-Infinity]]}', json, 400, 'ValidationError', /^request body is not valid JSON/],
      [
        'a row of the wrong width',
        '{"instances":[[5.1,3.5,1.4]]}',
        json,
        400,
        'ValidationError',
        'instances[0] has 3 values; the model takes 4 features per row',
      ],
      [
        'rows of different widths',
        '{"instances":[[5.1,3.5,1.4,0.2],[5.1,3.5,1.4,0.2,9]]}',
        json,
        400,
        'ValidationError',
        'instances[1] has 5 values; the model takes 4 features per row',
      ],
      ['no rows', '{"instances":[]}', json, 400, 'ValidationError', 'instances must hold at least one row'],
      [
        'a flat array',
        '{"instances":[5.1,3.5,1.4,0.2]}',
        json,
        400,
        'ValidationError',
        'instances[0] must be an array of numbers, got number',
      ],
      [
        'an unknown field',
        '{"instances":[[5.1,3.5,1.4,0.2]],"admin":true}',
        json,
        400,
        'ValidationError',
        'unknown field in request body: "admin"; only instances is accepted',
      ],
      [
        '__proto__',
        '{"instances":[[5.1,3.5,1.4,0.2]],"__proto__":{"isAdmin":true}}',
        json,
        400,
        'ValidationError',
        'unknown field in request body: "__proto__"; only instances is accepted',
      ],
      [
        'a misspelt field',
        '{"Instances":[[5.1,3.5,1.4,0.2]]}',
        json,
        400,
        'ValidationError',
        'unknown field in request body: "Instances"; only instances is accepted',
      ],
      ['a byte-order mark', '\ufeff{"instances":[[5.1,3.5,1.4,0.2]]}', json, 400, 'ValidationError', /^request body is not valid JSON/],
      ['a raw control character', '{"instances":[["\u0001"]]}', json, 400, 'ValidationError', /^request body is not valid JSON/],
      ['a NUL byte', '{"instances":[[5.1,3.5,1.4,0.2]]}\u0000', json, 400, 'ValidationError', /^request body is not valid JSON/],
      [
        'bytes that are not UTF-8',
        Buffer.from([0x7b, 0xff, 0xfe, 0x7d]),
        json,
        400,
        'ValidationError',
        'request body is not valid UTF-8; send JSON encoded as UTF-8',
      ],
      // Decoded leniently this would read as an unknown field named U+FFFD: it is an encoding error.
      [
        'a field name that is not UTF-8',
        Buffer.concat([Buffer.from('{"instances":[[5.1,3.5,1.4,0.2]],"'), Buffer.from([0xc3, 0x28]), Buffer.from('":1}')]),
        json,
        400,
        'ValidationError',
        'request body is not valid UTF-8; send JSON encoded as UTF-8',
      ],
      [
        'a truncated UTF-8 character',
        Buffer.concat([Buffer.from('{"instances":[[5.1,3.5,1.4,0.2]],"a'), Buffer.from([0xe2, 0x82])]),
        json,
        400,
        'ValidationError',
        'request body is not valid UTF-8; send JSON encoded as UTF-8',
      ],
      [
        'a lone surrogate',
        '{"instances":[["\\ud800",1,2,3]]}',
        json,
        400,
        'ValidationError',
        'instances[0][0] must be a finite number, got string',
      ],
      [
        'control and bidi characters in a field name',
        '{"instances":[[1,2,3,4]],"a\\u0000\\u202eb":1}',
        json,
        400,
        'ValidationError',
        'unknown field in request body: "a\\u0000\u202eb"; only instances is accepted',
      ],
      [
        'a JSON string',
        '"instances"',
        json,
        400,
        'ValidationError',
        'request body must be a JSON object with the field instances, got string',
      ],
    ];

    test.each(cases)('%s: %#', async (_name, body, contentType, status, error, message) => {
      const res = await send(`${pipeline.url}/predict`, { method: 'POST', headers: { 'content-type': contentType }, body });
      await expectRefused(res, status, error, message);
      await expectRecordedAsError(res);
    });

    test('no Content-Type at all', async () => {
      const res = await send(`${pipeline.url}/predict`, { method: 'POST', body: new Blob([JSON.stringify({ instances: [ROW] })]) });
      await expectRefused(res, 415, 'UnsupportedMediaType', 'Content-Type must be application/json, got none');
      await expectRecordedAsError(res);
    });
  });

  describe('methods and routes', () => {
    test.each([
      ['GET', '/predict'],
      ['PUT', '/predict'],
      ['DELETE', '/inferences/abc'],
      ['POST', '/inferences'],
      ['GET', '/predictx'],
      ['GET', '/admin'],
      ['GET', '/inferences/a/b'],
    ])('%s %s: 403 in the gateway JSON shape', async (method, path) => {
      const res = await send(`${pipeline.url}${path}`, { method });
      await expectRefused(res, 403, 'MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token');
    });
  });

  describe('GET /inferences/{id}', () => {
    const ID_RULE = 'id must be 1 to 64 letters, digits or hyphens';
    test.each([
      ['a path traversal', encodeURIComponent('../../etc/passwd')],
      ['an encoded NUL', '%00'],
      ['SQL', encodeURIComponent("' OR '1'='1")],
      ['a NoSQL operator', encodeURIComponent('{"$ne":null}')],
      ['a key of another item', encodeURIComponent('DEPLOYMENT#x')],
      ['an idempotency partition', encodeURIComponent('IDEMPOTENCY#abc')],
      ['10 KB', 'a'.repeat(10_240)],
      ['unicode', encodeURIComponent('zé‮')],
    ])('%s: 400', async (_name, id) => {
      await expectRefused(await send(`${pipeline.url}/inferences/${id}`), 400, 'ValidationError', ID_RULE);
    });

    test('a well-formed id that does not exist: 404, and a query string: 400', async () => {
      await expectRefused(await send(`${pipeline.url}/inferences/deadbeef-0000`), 404, 'NotFound', 'no inference record with this id');
      await expectRefused(
        await send(`${pipeline.url}/inferences/${madeOnPurpose[0]}?fields=*`),
        400,
        'ValidationError',
        'unknown query parameter "fields"; this route takes none',
      );
    });
  });

  describe('query parameters of the listings', () => {
    test.each([
      [
        'an unknown parameter',
        'modelVersion=1.0.0&admin=true',
        'unknown query parameter "admin"; accepted: modelVersion, status, from, to, limit, nextToken',
      ],
      ['a repeated parameter', 'modelVersion=1.0.0&modelVersion=2.0.0', 'query parameter modelVersion is given 2 times; give it once'],
      [
        'an injected model version',
        `modelVersion=${encodeURIComponent("1.0.0' OR 1=1 --")}`,
        "modelVersion must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
      ],
      [
        'a key prefix as model version',
        `modelVersion=${encodeURIComponent('MODEL#1.0.0')}`,
        "modelVersion must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
      ],
      [
        'a traversal as model version',
        `modelVersion=${encodeURIComponent('../1.0.0')}`,
        "modelVersion must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit",
      ],
      [
        'a month 13',
        'modelVersion=1.0.0&from=2024-13-01T00:00:00Z',
        'from must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z',
      ],
      ['a time in words', 'modelVersion=1.0.0&to=yesterday', 'to must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z'],
      [
        'from after to',
        'modelVersion=1.0.0&from=2024-02-01T00:00:00Z&to=2024-01-01T00:00:00Z',
        'from (2024-02-01T00:00:00.000Z) must not be after to (2024-01-01T00:00:00.000Z)',
      ],
      ['a negative limit', 'modelVersion=1.0.0&limit=-1', 'limit must be a whole number from 1 to 100'],
      ['a limit in exponent form', 'modelVersion=1.0.0&limit=1e2', 'limit must be a whole number from 1 to 100'],
      ['a huge limit', 'modelVersion=1.0.0&limit=99999999999999999999', 'limit must be a whole number from 1 to 100'],
      ['a status that is not failed', 'status=succeeded', "status must be 'failed' (successful requests are listed by modelVersion)"],
      ['both listings at once', 'modelVersion=1.0.0&status=failed', 'give either modelVersion or status=failed, not both'],
      [
        'too many days of failures',
        'status=failed&from=2024-01-01T00:00:00Z&to=2024-03-01T00:00:00Z',
        'status=failed lists at most 31 days at a time; from and to are 60.0 days apart',
      ],
    ])('%s: 400', async (_name, query, message) => {
      await expectRefused(await send(`${pipeline.url}/inferences?${query}`), 400, 'ValidationError', message);
    });

    test('GET /models takes only limit and nextToken', async () => {
      await expectRefused(
        await send(`${pipeline.url}/models?stage=prod`),
        400,
        'ValidationError',
        'unknown query parameter "stage"; accepted: limit, nextToken',
      );
    });
  });

  describe('pagination tokens', () => {
    const NOT_A_TOKEN = 'nextToken is not a valid token; pass the nextToken of the previous page unchanged';
    const NOT_THIS_QUERY = 'nextToken does not belong to this query; pass it with the same parameters as the page that returned it';
    const listing = (query: string) => send(`${pipeline.url}/inferences?modelVersion=1.0.0&limit=1${query}`);
    const decode = (token: string) => JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    let token: string;

    beforeAll(async () => {
      const first = await listing('');
      expect(first.status).toBe(200);
      token = first.json.nextToken;
      expect(token).toEqual(expect.any(String));
      // The genuine token works: the next page, another record.
      const second = await listing(`&nextToken=${token}`);
      expect(second.status).toBe(200);
      expect(second.json.items[0].requestId).not.toBe(first.json.items[0].requestId);
    });

    test('a flipped byte', async () => {
      const flipped = (token[0] === 'e' ? 'f' : 'e') + token.slice(1);
      await expectRefused(await listing(`&nextToken=${flipped}`), 400, 'ValidationError', NOT_A_TOKEN);
    });

    test('characters outside base64url, and a token too long to be one', async () => {
      await expectRefused(await listing(`&nextToken=${encodeURIComponent(`${token}==`)}`), 400, 'ValidationError', NOT_A_TOKEN);
      await expectRefused(await listing(`&nextToken=${'A'.repeat(3000)}`), 400, 'ValidationError', NOT_A_TOKEN);
    });

    // A version token holds each shard's last sort key (lambda/read/version-listing.ts), never a partition.
    const positions = (t: { p: unknown[] }, to: (sk: string) => unknown) => ({
      ...t,
      p: t.p.map((p) => (typeof p === 'string' ? to(p) : p)),
    });

    test('its key moved to another partition', async () => {
      const swapped = positions(decode(token), () => 'MODEL#2.0.0');
      await expectRefused(await listing(`&nextToken=${encode(swapped)}`), 400, 'ValidationError', NOT_THIS_QUERY);
    });

    test('its table key pointed at another item (an idempotency partition)', async () => {
      const forged = positions(decode(token), (sk) => `${sk.slice(0, 24)}#IDEMPOTENCY#x#y`);
      await expectRefused(await listing(`&nextToken=${encode(forged)}`), 400, 'ValidationError', NOT_THIS_QUERY);
    });

    test('a token of one model version used for another', async () => {
      const res = await send(`${pipeline.url}/inferences?modelVersion=2.0.0&limit=1&nextToken=${token}`);
      await expectRefused(res, 400, 'ValidationError', NOT_THIS_QUERY);
    });

    test('a token forged for another model version, of another listing, or with extra fields', async () => {
      const other = { ...decode(token), v: '2.0.0' };
      await expectRefused(
        await send(`${pipeline.url}/inferences?modelVersion=1.0.0&limit=1&nextToken=${encode(other)}`),
        400,
        'ValidationError',
        NOT_THIS_QUERY,
      );
      await expectRefused(await send(`${pipeline.url}/models?nextToken=${token}`), 400, 'ValidationError', NOT_THIS_QUERY);
      await expectRefused(await listing(`&nextToken=${encode({ ...decode(token), scan: true })}`), 400, 'ValidationError', NOT_THIS_QUERY);
    });
  });

  test('nothing of the above called the model or was stored as a success', async () => {
    expect(model.invocations).toBe(modelCalls);
    const successes = (await scanTable(pipeline)).filter((i) => i.status === 'SUCCESS').map((i) => i.requestId);
    expect(successes.sort()).toEqual([...madeOnPurpose].sort());
    // And the function never crashed: every invocation ended as a success of the runtime.
    const reports = logs
      .find('predict', (j) => j.type === 'platform.report')
      .concat(logs.find('read', (j) => j.type === 'platform.report'));
    expect(reports.length).toBeGreaterThan(60);
    expect(reports.filter((r) => r.record.status !== 'success')).toEqual([]);
  });
});

/**
 * API Gateway's own errors, rendered from the synthesized gateway responses the way API
 * Gateway substitutes `$context` variables: whatever the message holds (a SigV4 failure
 * quotes the canonical request over several lines), the body stays valid JSON.
 */
describe('gateway responses with a hostile message', () => {
  const HOSTILE = [
    "The request signature we calculated does not match.\n\nThe Canonical String for this request should have been\n'POST\n/dev/predict\n\nhost:x\n'\n",
    'quote " backslash \\ tab \t nul \u0000 line-sep \u2028 </script><b>',
    '"}],"error":"forged","x":[{"',
  ];
  const { api } = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED }).templates;
  const responses = readApiGatewayConfig(api).gatewayResponses;

  test.each(['DEFAULT_4XX', 'DEFAULT_5XX'])('%s: valid JSON, the message intact, nothing injected', (type) => {
    const template = responses[type].template!;
    for (const message of HOSTILE) {
      const body = renderGatewayTemplate(template, {
        requestId: 'req-1',
        'error.message': message,
        'error.responseType': 'INVALID_SIGNATURE',
      });
      expect(JSON.parse(body)).toEqual({ error: 'INVALID_SIGNATURE', message, requestId: 'req-1' });
    }
    // The template the stack had before, quoting $context.error.message, breaks on the first one.
    const quoted = template.replace('$context.error.messageString', '"$context.error.message"');
    expect(() =>
      JSON.parse(
        renderGatewayTemplate(quoted, { requestId: 'req-1', 'error.message': HOSTILE[0], 'error.responseType': 'INVALID_SIGNATURE' }),
      ),
    ).toThrow(SyntaxError);
  });

  test('the access log format is JSON for the same messages', () => {
    const stage = Object.values(api.Resources).find((r) => r.Type === 'AWS::ApiGateway::Stage')!;
    const format = stage.Properties!.AccessLogSetting.Format as string;
    for (const message of HOSTILE) {
      const line = renderGatewayTemplate(format, { 'error.message': message, requestId: 'req-1' });
      expect(JSON.parse(line)).toMatchObject({ errorMessage: message, requestId: 'req-1' });
    }
  });
});
