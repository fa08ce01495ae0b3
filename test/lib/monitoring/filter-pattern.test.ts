import { FilterPatternError, parseFilterPattern } from '../../../lib/monitoring/filter-pattern';

const line = JSON.stringify({
  level: 'ERROR',
  message: 'inference summary',
  statusCode: 503,
  latencyMs: 41.5,
  nothing: null,
  record: { status: 'timeout', errorType: 'Runtime.OutOfMemory', metrics: { durationMs: 15000 } },
});
const matches = (pattern: string, text = line) => parseFilterPattern(pattern).matches(text);

describe('what the evaluator accepts, with CloudWatch semantics', () => {
  test.each([
    ['{ $.level = "ERROR" }', true],
    ['{ $.level = "error" }', false], // case sensitive
    ['{$.level="ERROR"}', true],
    ['{ $.record.status = "timeout" }', true],
    ['{ $.record.metrics.durationMs >= 15000 }', true],
    ['{ $.record.metrics.durationMs > 15000 }', false],
    ['{ $.statusCode = 503 }', true],
    ['{ $.statusCode != 503 }', false],
    ['{ $.statusCode < 500 }', false],
    ['{ $.statusCode <= 503 }', true],
    ['{ $.latencyMs > 41 }', true],
    ['{ $.latencyMs = * }', true],
    ['{ $.missing = * }', false],
    ['{ $.nothing = * }', false],
    ['{ $.record.errorType = "Runtime.*" }', true],
    ['{ $.record.errorType = "*.OutOfMemory" }', true],
    ['{ $.record.errorType != "Runtime.*" }', false],
    ['{ $.level != "INFO" }', true],
    ['{ $.level = "ERROR" && $.statusCode >= 500 }', true],
    ['{ $.level = "INFO" || $.statusCode >= 500 }', true],
    ['{ $.level = "INFO" || $.statusCode < 500 }', false],
    ['{ ($.level = "INFO" || $.statusCode >= 500) && $.record.status = "timeout" }', true],
    ['{ $.record.status = "timeout" && ($.level = "INFO" || $.latencyMs < 10) }', false],
  ])('%s -> %s', (pattern, expected) => {
    expect(matches(pattern)).toBe(expected);
  });

  test('a string never equals a number, and a number never compares with a string', () => {
    expect(matches('{ $.statusCode = "503" }')).toBe(false);
    expect(matches('{ $.level > 1 }')).toBe(false);
  });

  test('an absent field matches no comparison, not even !=', () => {
    expect(matches('{ $.missing != "x" }')).toBe(false);
    expect(matches('{ $.missing.deeper = "x" }')).toBe(false);
  });

  test('lines that are not JSON objects never match', () => {
    expect(matches('{ $.level = "ERROR" }', 'ERROR something broke')).toBe(false);
    expect(matches('{ $.level = "ERROR" }', '["ERROR"]')).toBe(false);
    expect(matches('{ $.level = "ERROR" }', '{"level": "ERROR"')).toBe(false);
  });

  test('selectors are listed in order, for the value-in-pattern rule', () => {
    expect(parseFilterPattern('{ $.a = 1 && ($.b.c = "x" || $.d = *) }').selectors).toEqual(['$.a', '$.b.c', '$.d']);
  });
});

describe('what the evaluator rejects, so a typo cannot pass', () => {
  test.each([
    ['$.level = "ERROR"', "at 0: expected '{': only JSON patterns ({ $.field ... }) are supported"],
    ['ERROR', "at 0: expected '{'"],
    ['[level=ERROR]', "at 0: expected '{'"],
    ['{ $.level = ERROR }', "at 12: expected a quoted string, a number or '*'"],
    ['{ $.level == "ERROR" }', "at 11: expected a quoted string, a number or '*'"],
    ['{ $.level === "ERROR" }', 'at 11: expected a quoted string'],
    ['{ level = "ERROR" }', 'at 2: expected a selector such as $.level'],
    ['{ $level = "ERROR" }', "at 2: unsupported selector '$level'"],
    ['{ $.records[0].status = "x" }', "at 2: unsupported selector '$.records[0].status'"],
    ['{ $.level = "ERROR" AND $.x = 1 }', "at 20: expected '&&', '||' or '}'"],
    ['{ $.a = 1 && $.b = 2 || $.c = 3 }', "mixing '&&' and '||' needs parentheses"],
    ['{ ($.a = 1 && $.b = 2 }', "expected ')'"],
    ['{ $.level = "ERROR" ', "expected '&&', '||' or '}', got the end of the pattern"],
    ['{ $.level = "ERROR" } extra', "unexpected text after '}'"],
    ['{ $.level = "ERR }', 'unterminated string'],
    ['{ $.level = "a\\"b" }', 'escapes in strings are not supported'],
    ['{ $.level != * }', "'*' (field present) only works with '=', not '!='"],
    ['{ $.level > "ERROR" }', "'>' compares numbers; a quoted string only works with '=' or '!='"],
    ['{ $.level IS TRUE }', 'expected an operator (= != < > <= >=)'],
    ['{ $.level NOT EXISTS }', 'expected an operator'],
    ['{ $.n = 12abc }', 'expected a quoted string, a number'],
    ['{ }', 'expected a selector'],
  ])('%s', (pattern, message) => {
    expect(() => parseFilterPattern(pattern)).toThrow(FilterPatternError);
    expect(() => parseFilterPattern(pattern)).toThrow(message);
  });
});
