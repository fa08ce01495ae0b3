import { UsageError, formatHelp, oneOf, parseCommandLine, parseNumber, parseOptions } from '../../../tools/cli';

/** The shared parser: util.parseArgs' tokens, refused with messages written for the terminal. */
const table = {
  stage: { type: 'string', value: 'NAME', description: 'the stage' },
  json: { type: 'boolean', description: 'print JSON' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'a setting' },
} as const;

describe('parsing', () => {
  test('reads values, switches, = forms and repeated -c', () => {
    expect(parseOptions(['--stage', 'dev', '--json', '-c', 'a.b=1', '-c', 'c.d=2'], table)).toEqual({
      help: false,
      stage: 'dev',
      json: true,
      context: ['a.b=1', 'c.d=2'],
    });
    expect(parseOptions(['--stage=prod'], table)).toEqual({ help: false, stage: 'prod', json: false, context: [] });
    expect(parseOptions(['-h'], table).help).toBe(true);
  });

  test.each([
    [['--stage'], 'missing value for --stage'],
    [['--stage', '--json'], 'missing value for --stage'],
    [['--stag', 'dev'], 'unknown option --stag'],
    [['-x'], 'unknown option -x'],
    [['dev'], "unexpected argument 'dev' (options start with --)"],
    [['--json=yes'], '--json is a switch and takes no value'],
    [['--stage', 'dev', '--stage', 'prod'], '--stage given twice'],
  ])('%j -> %s', (argv, message) => {
    expect(() => parseOptions(argv, table)).toThrow(new UsageError(message));
  });

  test('--help is generated from the same table', () => {
    expect(formatHelp({ usage: 'x --stage NAME', summary: 'Does x.' }, table)).toBe(
      [
        'Usage: x --stage NAME',
        '',
        'Does x.',
        '',
        'Options:',
        '  --stage NAME' + ' '.repeat(13) + 'the stage',
        '  --json' + ' '.repeat(19) + 'print JSON',
        '  -c, --context KEY=VALUE  a setting (repeatable)',
        '  -h, --help' + ' '.repeat(15) + 'print this help',
      ].join('\n'),
    );
  });
});

describe('more of the parser', () => {
  test('a value may start with a dash when it is not an option (negative numbers), or after =', () => {
    expect(parseOptions(['--stage', '-1'], table).stage).toBe('-1');
    expect(parseOptions(['--stage=--odd'], table).stage).toBe('--odd');
    expect(parseOptions(['-ca=1'], table).context).toEqual(['a=1']);
  });

  test.each([
    [['--help=yes'], '--help is a switch and takes no value'],
    [['-c'], 'missing value for -c'],
    [['--', 'x'], "unexpected argument 'x'"],
    [['--constructor'], 'unknown option --constructor'],
  ])('%j -> %s', (argv, message) => {
    expect(() => parseOptions(argv, table)).toThrow(new UsageError(message));
  });

  test('positionals only where the command takes them, in order, options anywhere', () => {
    expect(parseCommandLine(['run', '--stage', 'dev', 'q1', '--', '--json'], table, { positionals: true })).toEqual({
      options: { help: false, stage: 'dev', json: false, context: [] },
      positionals: ['run', 'q1', '--json'],
    });
  });

  test('oneOf: at most one, and one when required', () => {
    expect(oneOf({ a: 'x', b: undefined }, ['a', 'b'], true)).toBe('a');
    expect(oneOf({ a: false }, ['a', 'b'], false)).toBeUndefined();
    expect(() => oneOf({ a: 'x', b: true }, ['a', 'b'], false)).toThrow(new UsageError('use only one of --a, --b'));
    expect(() => oneOf({}, ['a', 'b'], true)).toThrow(new UsageError('missing --a or --b'));
  });

  test.each([
    ['1.5', {}, 1.5],
    ['0', {}, 0],
    ['15', { min: 15, integer: true }, 15],
  ])('parseNumber(%s, %j) = %d', (raw, limits, value) => {
    expect(parseNumber('--n', raw, limits)).toBe(value);
  });

  test.each([
    ['-1', {}, "--n must be a number of at least 0, got '-1'"],
    ['1.5', { integer: true }, "--n must be a whole number of at least 0, got '1.5'"],
    ['10', { min: 15, integer: true }, "--n must be a whole number of at least 15, got '10'"],
    ['many', {}, "--n must be a number of at least 0, got 'many'"],
    ['', {}, "--n must be a number of at least 0, got ''"],
    ['Infinity', {}, "--n must be a number of at least 0, got 'Infinity'"],
  ])('parseNumber refuses %j %j', (raw, limits, message) => {
    expect(() => parseNumber('--n', raw, limits)).toThrow(new UsageError(message));
  });

  test('help: the body sits between the summary and the options; notes and examples follow', () => {
    const text = formatHelp(
      { usage: 'x', summary: 'S.', body: 'Commands:\n  a  does a', notes: ['a note'], examples: ['x --json'] },
      { json: table.json },
    );
    expect(text).toBe(
      [
        'Usage: x',
        '',
        'S.',
        '',
        'Commands:',
        '  a  does a',
        '',
        'Options:',
        '  --json      print JSON',
        '  -h, --help  print this help',
        '',
        'a note',
        '',
        'Examples:',
        '  x --json',
      ].join('\n'),
    );
  });
});
