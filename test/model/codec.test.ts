import {
  checkAccept,
  CodecError,
  decodeRows,
  encodePredictions,
  MAX_ROWS,
  parseContentType,
  type InputContentType,
} from '../../model/src/codec';

const options = { featureCount: 4 };
const decodeJson = (body: string) => decodeRows(body, 'application/json', options);
const decodeCsv = (body: string) => decodeRows(body, 'text/csv', options);

/** The CodecError a call throws, so a test can check its name, status and message at once. */
function codecError(call: () => unknown): { error: string; status: number; message: string } {
  try {
    call();
  } catch (error) {
    if (error instanceof CodecError) return { error: error.error, status: error.status, message: error.message };
    throw error;
  }
  throw new Error('expected a CodecError, but nothing was thrown');
}

const bad = (message: string) => ({ error: 'ValidationError', status: 400, message });

describe('decodeRows: application/json', () => {
  it('reads {"instances": rows} and a bare array of rows', () => {
    const rows = [
      [5.1, 3.5, 1.4, 0.2],
      [-1, 0, 1e-3, 2e2],
    ];
    expect(decodeJson(JSON.stringify({ instances: rows }))).toEqual(rows);
    expect(decodeJson(JSON.stringify(rows))).toEqual(rows);
    expect(decodeRows(Buffer.from(JSON.stringify(rows)), 'application/json', options)).toEqual(rows);
  });

  it.each([
    ['an empty body', '', 'request body is empty'],
    ['a blank body', ' \n\t', 'request body is empty'],
    ['no rows', '{"instances": []}', 'request has no rows'],
    ['an empty array', '[]', 'request has no rows'],
    ['a missing "instances"', '{}', 'missing field "instances"'],
    ['an unknown field', '{"instances": [[1,2,3,4]], "inputs": 1}', 'unknown field "inputs"; the body must be {"instances": [[...], ...]}'],
    ['"instances" that is not an array', '{"instances": "1,2,3,4"}', '"instances" must be an array of rows, got string "1,2,3,4"'],
    ['a scalar body', '42', 'json body must be {"instances": [[...], ...]} or an array of rows, got 42'],
    ['a flat row', '[5.1, 3.5, 1.4, 0.2]', 'json rows must be arrays: got a flat array of numbers; send one row as [[...]]'],
    ['a row that is an object', '[[1,2,3,4], {"a": 1}]', 'row 2 must be an array of 4 numbers, got an object'],
    ['a short row', '[[1,2,3,4], [1,2,3]]', 'row 2 has 3 values; expected 4'],
    ['a long row', '{"instances": [[1,2,3,4,5]]}', 'row 1 has 5 values; expected 4'],
    ['a string value', '[[1,"2",3,4]]', 'row 1, column 2 must be a finite number, got string "2"'],
    ['a null value', '[[1,2,3,null]]', 'row 1, column 4 must be a finite number, got null'],
    ['a boolean value', '[[true,2,3,4]]', 'row 1, column 1 must be a finite number, got boolean true'],
    ['a nested array', '[[1,2,[3],4]]', 'row 1, column 3 must be a finite number, got an array'],
    ['a number too large for a double', '[[1,2,3,1e999]]', 'row 1, column 4 must be a finite number, got Infinity'],
    ['a "NaN" string', '[[1,2,3,"NaN"]]', 'row 1, column 4 must be a finite number, got string "NaN"'],
  ])('refuses %s', (_case, body, message) => {
    expect(codecError(() => decodeJson(body))).toEqual(bad(message));
  });

  it.each([
    ['truncated json', '{"instances": [[1,2'],
    ['NaN, which json does not have', '[[1,2,3,NaN]]'],
    ['Infinity, which json does not have', '[[1,2,3,Infinity]]'],
    ['a trailing comma', '[[1,2,3,4],]'],
  ])('refuses %s as malformed json, with the parser position', (_case, body) => {
    const { error, message } = codecError(() => decodeJson(body));
    expect(error).toBe('ValidationError');
    expect(message).toMatch(/^request body is not valid json: .*(position \d+|token)/);
  });

  it('counts rows against the limit before checking them', () => {
    const rows = JSON.stringify(Array.from({ length: MAX_ROWS + 1 }, () => ['not', 'checked']));
    expect(codecError(() => decodeJson(rows))).toEqual(bad(`request has ${MAX_ROWS + 1} rows; the limit is ${MAX_ROWS}`));
    const limit = JSON.stringify(Array.from({ length: MAX_ROWS }, () => [1, 2, 3, 4]));
    expect(decodeJson(limit)).toHaveLength(MAX_ROWS);
    expect(codecError(() => decodeRows('[[1,2,3,4],[1,2,3,4],[1,2,3,4]]', 'application/json', { featureCount: 4, maxRows: 2 }))).toEqual(
      bad('request has 3 rows; the limit is 2'),
    );
  });

  it('refuses bytes that are not utf-8 instead of guessing', () => {
    const body = Buffer.concat([Buffer.from('[[1,2,3,4]]'), Buffer.from([0xff, 0xfe])]);
    expect(codecError(() => decodeRows(body, 'application/json', options))).toEqual(bad('request body is not valid utf-8'));
  });

  it('checks the width against the model it serves', () => {
    expect(decodeRows('[[1,2]]', 'application/json', { featureCount: 2 })).toEqual([[1, 2]]);
    expect(codecError(() => decodeRows('[[1,2,3,4]]', 'application/json', { featureCount: 2 }))).toEqual(
      bad('row 1 has 4 values; expected 2'),
    );
  });
});

describe('decodeRows: text/csv', () => {
  it('reads one row per line, with or without a final line break, LF or CRLF, spaces around values', () => {
    const expected = [
      [5.1, 3.5, 1.4, 0.2],
      [6, 2.9, 4.5, 1.5],
    ];
    expect(decodeCsv('5.1,3.5,1.4,0.2\n6,2.9,4.5,1.5')).toEqual(expected);
    expect(decodeCsv('5.1,3.5,1.4,0.2\n6,2.9,4.5,1.5\n')).toEqual(expected);
    expect(decodeCsv('5.1,3.5,1.4,0.2\r\n6,2.9,4.5,1.5\r\n')).toEqual(expected);
    expect(decodeCsv(' 5.1, 3.5 ,1.4,0.2\n+6,2.9,4.5e0,.15e1')).toEqual(expected);
  });

  it.each([
    ['an empty body', '', 'request body is empty'],
    ['a body of line breaks', '\r\n\r\n', 'request body is empty'],
    [
      'a header row',
      'sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,1.4,0.2',
      'line 1 looks like a header ("sepal_length,sepal_width,petal_length,petal_width"); csv input must not have a header row',
    ],
    ['a blank line between rows', '5.1,3.5,1.4,0.2\n\n6,2.9,4.5,1.5', 'line 2 is empty; csv input has one row per line and no blank lines'],
    ['two line breaks at the end', '5.1,3.5,1.4,0.2\n\n', 'line 2 is empty; csv input has one row per line and no blank lines'],
    ['a whitespace-only line', '5.1,3.5,1.4,0.2\n   \n6,2.9,4.5,1.5', 'line 2 is empty; csv input has one row per line and no blank lines'],
    ['a short line', '5.1,3.5,1.4,0.2\n6,2.9,4.5', 'line 2 has 3 values; expected 4'],
    ['a trailing comma', '5.1,3.5,1.4,0.2,', 'line 1 has 5 values; expected 4'],
    ['an empty value', '5.1,,1.4,0.2', 'line 1, column 2 is empty'],
    ['a word', '5.1,3.5,abc,0.2', 'line 1, column 3: "abc" is not a number'],
    ['a hex number', '5.1,3.5,0x10,0.2', 'line 1, column 3: "0x10" is not a number'],
    ['a quoted number', '5.1,"3.5",1.4,0.2', 'line 1, column 2: ""3.5"" is not a number'],
    ['NaN', '5.1,3.5,1.4,NaN', 'line 1, column 4: "NaN" is not a finite number'],
    ['Infinity', '5.1,-Infinity,1.4,0.2', 'line 1, column 2: "-Infinity" is not a finite number'],
    ['a number too large for a double', '5.1,3.5,1.4,1e999', 'line 1, column 4: "1e999" is not a finite number'],
  ])('refuses %s', (_case, body, message) => {
    expect(codecError(() => decodeCsv(body))).toEqual(bad(message));
  });

  it('counts lines against the row limit', () => {
    const body = `${Array.from({ length: MAX_ROWS + 1 }, () => '1,2,3,4').join('\n')}\n`;
    expect(codecError(() => decodeCsv(body))).toEqual(bad(`request has ${MAX_ROWS + 1} rows; the limit is ${MAX_ROWS}`));
  });
});

describe('parseContentType', () => {
  it('accepts json and csv, in any case, with parameters and a utf-8 charset', () => {
    expect(parseContentType('application/json')).toBe('application/json');
    expect(parseContentType('Application/JSON; charset=UTF-8')).toBe('application/json');
    expect(parseContentType('text/csv;charset="utf-8";header=absent')).toBe('text/csv');
  });

  it.each<[string | undefined, string]>([
    [undefined, 'missing content type; use application/json or text/csv'],
    ['  ', 'missing content type; use application/json or text/csv'],
    ['text/plain', 'unsupported content type "text/plain"; use application/json or text/csv'],
    ['application/x-www-form-urlencoded', 'unsupported content type "application/x-www-form-urlencoded"; use application/json or text/csv'],
    ['text/csv; charset=latin1', 'unsupported charset "latin1"; send utf-8'],
  ])('refuses %p with 415', (header, message) => {
    expect(codecError(() => parseContentType(header))).toEqual({ error: 'UnsupportedMediaType', status: 415, message });
  });
});

describe('checkAccept', () => {
  it.each([undefined, '', 'application/json', '*/*', 'application/*', 'text/csv, application/json;q=0.5'])('accepts %p', (header) => {
    expect(() => checkAccept(header)).not.toThrow();
  });

  it('refuses a client that accepts no json with 406', () => {
    expect(codecError(() => checkAccept('text/csv'))).toEqual({
      error: 'NotAcceptable',
      status: 406,
      message: 'cannot produce "text/csv"; responses are application/json',
    });
  });
});

describe('encodePredictions', () => {
  const predictions = [{ label: 'setosa', probabilities: { setosa: 1, versicolor: 0, virginica: 0 } }];

  it('writes the predictions, and the model version when there is one', () => {
    expect(JSON.parse(encodePredictions(predictions))).toEqual({ predictions });
    expect(JSON.parse(encodePredictions(predictions, '1.0.0'))).toEqual({ predictions, modelVersion: '1.0.0' });
    expect(JSON.parse(encodePredictions(predictions, ''))).toEqual({ predictions });
  });
});

describe('decodeRows with both content types', () => {
  it.each<InputContentType>(['application/json', 'text/csv'])('agrees on the same rows (%s)', (type) => {
    const body = type === 'text/csv' ? '5.1,3.5,1.4,0.2\n6.3,3.3,6,2.5\n' : '[[5.1,3.5,1.4,0.2],[6.3,3.3,6,2.5]]';
    expect(decodeRows(body, type, options)).toEqual([
      [5.1, 3.5, 1.4, 0.2],
      [6.3, 3.3, 6, 2.5],
    ]);
  });
});
