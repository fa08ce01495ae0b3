import { CliError, Command, UsageError, executeCommand } from '../../../tools/cli';

/** The shared runner: --help, then the work, then one of the shared exit codes, with one readable message. */
class InputError extends Error {}

function io(env: Record<string, string | undefined> = {}) {
  const out = { stdout: '', stderr: '' };
  return { out, io: { stdout: (t: string) => (out.stdout += t), stderr: (t: string) => (out.stderr += t), env } };
}

const options = { stage: { type: 'string', value: 'NAME', description: 'the stage' } } as const;

function command(
  run: Command<typeof options>['run'],
  extra: Partial<Pick<Command<typeof options>, 'usageErrors' | 'usageHint' | 'positionals' | 'debugVariable'>> = {},
): Command<typeof options> {
  return { name: 'demo', options, help: { usage: 'demo --stage NAME', summary: 'Does the demo.' }, run, ...extra };
}

test('the resolved number is the exit code; options arrive typed', async () => {
  const { out, io: sink } = io();
  const seen: unknown[] = [];
  const code = await executeCommand(
    command((o, words) => (seen.push(o.stage, words), 0)),
    ['--stage', 'dev'],
    sink,
  );
  expect(code).toBe(0);
  expect(seen).toEqual(['dev', []]);
  expect(out).toEqual({ stdout: '', stderr: '' });
});

test('--help prints the help on stdout, exits 0 and does not run the command', async () => {
  const { out, io: sink } = io();
  const run = jest.fn(() => 0);
  expect(await executeCommand(command(run), ['--stage', 'dev', '-h'], sink)).toBe(0);
  expect(run).not.toHaveBeenCalled();
  expect(out.stdout).toBe(
    'Usage: demo --stage NAME\n\nDoes the demo.\n\nOptions:\n  --stage NAME  the stage\n  -h, --help    print this help\n',
  );
  expect(out.stderr).toBe('');
});

test.each([
  [['--stag', 'dev'], 'demo: unknown option --stag\nrun with --help for the options\n'],
  [['dev'], "demo: unexpected argument 'dev' (options start with --)\nrun with --help for the options\n"],
])('a parse mistake %j exits 2 with one line and the hint', async (argv, stderr) => {
  const { out, io: sink } = io();
  const run = jest.fn(() => 0);
  expect(await executeCommand(command(run), argv, sink)).toBe(2);
  expect(run).not.toHaveBeenCalled();
  expect(out).toEqual({ stdout: '', stderr });
});

test('a UsageError from the work, or an error type the command names as a usage error, exits 2', async () => {
  const usage = io();
  expect(
    await executeCommand(
      command(() => Promise.reject(new UsageError('missing --stage'))),
      [],
      usage.io,
    ),
  ).toBe(2);
  expect(usage.out.stderr).toBe('demo: missing --stage\nrun with --help for the options\n');

  const input = io();
  const cmd = command(
    () => {
      throw new InputError('parameter x is not an ARN');
    },
    { usageErrors: [InputError], usageHint: null },
  );
  expect(await executeCommand(cmd, [], input.io)).toBe(2);
  expect(input.out.stderr).toBe('demo: parameter x is not an ARN\n');
});

test('a CliError exits 1 with its hint; any other failure exits 1 with its message and no stack trace', async () => {
  const cli = io();
  expect(
    await executeCommand(
      command(() => Promise.reject(new CliError('no AWS region', 'set AWS_REGION'))),
      [],
      cli.io,
    ),
  ).toBe(1);
  expect(cli.out.stderr).toBe('demo: no AWS region\n  hint: set AWS_REGION\n');

  const bug = io();
  expect(
    await executeCommand(
      command(() => Promise.reject(new TypeError('x is undefined'))),
      [],
      bug.io,
    ),
  ).toBe(1);
  expect(bug.out.stderr).toBe('demo: x is undefined\n');

  const notAnError = io();
  expect(
    await executeCommand(
      command(() => Promise.reject('just a string')),
      [],
      notAnError.io,
    ),
  ).toBe(1);
  expect(notAnError.out.stderr).toBe('demo: just a string\n');
});

test('an AWS SDK service exception is named; DEBUG (or the command’s own variable) adds the stack', async () => {
  const denied = Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } });
  const plain = io();
  expect(
    await executeCommand(
      command(() => Promise.reject(denied)),
      [],
      plain.io,
    ),
  ).toBe(1);
  expect(plain.out.stderr).toBe('demo: AWS error AccessDeniedException: User is not authorized\n');

  for (const env of [{ DEBUG: '1' }, { DEMO_DEBUG: '1' }]) {
    const debug = io(env);
    await executeCommand(
      command(() => Promise.reject(new Error('boom')), { debugVariable: 'DEMO_DEBUG' }),
      [],
      debug.io,
    );
    expect(debug.out.stderr).toMatch(/^demo: boom\nError: boom\n\s+at /);
  }
});

test('a command that takes words gets them in order', async () => {
  const { io: sink } = io();
  const seen: string[][] = [];
  await executeCommand(
    command((_, words) => (seen.push(words), 0), { positionals: true }),
    ['show', '--stage', 'dev', 'q1'],
    sink,
  );
  expect(seen).toEqual([['show', 'q1']]);
});
