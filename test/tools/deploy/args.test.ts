import { UsageError, formatHelp, parseContextPairs, parseOptions } from '../../../tools/deploy/args';
import { STACK_TRACE, runCli } from '../../harness/deploy-cli';

/**
 * Mistakes on the command line get one precise line, a pointer to --help, exit code 2 —
 * never a stack trace; a bad stage or setting gets the configuration's own message.
 */
const table = {
  stage: { type: 'string', value: 'NAME', description: 'the stage' },
  json: { type: 'boolean', description: 'print JSON' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'a setting' },
} as const;

describe('parsing', () => {
  test('reads values, switches, = forms and repeated -c', () => {
    expect(parseOptions(['--stage', 'dev', '--json', '-c', 'a.b=1', '-c', 'c.d=2'], table)).toEqual({ help: false, stage: 'dev', json: true, context: ['a.b=1', 'c.d=2'] });
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

  test('-c pairs become context; the stage is chosen with --stage only', () => {
    expect(parseContextPairs(['model.version=1.1.0', 'tags.team=ml=ops'])).toEqual({ 'model.version': '1.1.0', 'tags.team': 'ml=ops' });
    expect(() => parseContextPairs(['model.version'])).toThrow(new UsageError("-c takes key=value, got 'model.version'"));
    expect(() => parseContextPairs(['stage=prod'])).toThrow(new UsageError('choose the stage with --stage, not -c stage=...'));
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

describe('the commands', () => {
  test.each([
    ['deploy', [], 'deploy: missing --stage (dev, prod, or a stage defined in cdk.json)'],
    ['deploy', ['--stage', 'dev', '--diff', '--destroy'], 'deploy: use only one of --diff, --destroy'],
    ['deploy', ['--stage', 'dev', '--require-approval', 'sometimes'], "deploy: --require-approval must be one of never, any-change, broadening, destructive, got 'sometimes'"],
    ['outputs', ['--stage'], 'outputs: missing value for --stage'],
    ['invoke', ['--stage', 'dev'], 'invoke: missing --data or --file'],
    ['invoke', ['--url', 'http://x', '--data', '{"instances":[[1,2'], 'invoke: --data is not valid JSON'],
    ['smoke', ['--url', 'http://x', '--sign', '--api-key', 'k'], 'smoke: use only one of --sign, --api-key'],
  ] as const)('%s %j exits 2 with one line and --help', async (command, args, message) => {
    const run = await runCli(command, args);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr.startsWith(message)).toBe(true);
    expect(run.stderr).toMatch(/\nrun with --help for the options\n$/);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  test('an unknown stage or setting exits 1 with the configuration\'s message', async () => {
    const stage = await runCli('outputs', ['--stage', 'qa']);
    expect(stage.code).toBe(1);
    expect(stage.stderr).toBe("outputs: invalid pipeline configuration:\n  - unknown stage 'qa' (known stages: dev, prod, staging)\n");
    const setting = await runCli('deploy', ['--stage', 'dev', '-c', 'endpoint.capacity.memorySizeMiB=1000']);
    expect(setting.code).toBe(1);
    expect(setting.stderr).toBe('deploy: invalid pipeline configuration:\n  - endpoint.capacity.memorySizeMiB: serverless memory must be 1024, 2048, 3072, 4096, 5120 or 6144, got 1000\n');
  });

  test('--help prints the options and exits 0', async () => {
    const run = await runCli('deploy', ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run deploy -- --stage NAME \[--diff \| --destroy\] \[options\]\n/);
    for (const flag of ['--stage NAME', '--diff', '--template-only', '--destroy', '--force', '--require-approval LEVEL', '-c, --context KEY=VALUE', '--dry-run']) {
      expect(run.stdout).toContain(`  ${flag}`);
    }
  });
});
