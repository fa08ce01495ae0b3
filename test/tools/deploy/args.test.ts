import { STACK_TRACE, runCli } from '../../harness/deploy-cli';

/**
 * The deploy commands on the shared kit (its parser is tested in test/tools/cli/options.test.ts).
 * Mistakes on the command line get one precise line, a pointer to --help, exit code 2 —
 * never a stack trace; a bad stage or setting gets the configuration's own message.
 */
describe('the commands', () => {
  test.each([
    ['deploy', [], 'deploy: missing --stage (dev, prod, or a stage defined in cdk.json)'],
    ['deploy', ['--stage', 'dev', '--diff', '--destroy'], 'deploy: use only one of --diff, --destroy'],
    [
      'deploy',
      ['--stage', 'dev', '--require-approval', 'sometimes'],
      "deploy: --require-approval must be one of never, any-change, broadening, destructive, got 'sometimes'",
    ],
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

  test("an unknown stage or setting exits 1 with the configuration's message", async () => {
    const stage = await runCli('outputs', ['--stage', 'qa']);
    expect(stage.code).toBe(1);
    expect(stage.stderr).toBe("outputs: invalid pipeline configuration:\n  - unknown stage 'qa' (known stages: dev, prod, staging)\n");
    const setting = await runCli('deploy', ['--stage', 'dev', '-c', 'endpoint.capacity.memorySizeMiB=1000']);
    expect(setting.code).toBe(1);
    expect(setting.stderr).toBe(
      'deploy: invalid pipeline configuration:\n  - endpoint.capacity.memorySizeMiB: serverless memory must be 1024, 2048, 3072, 4096, 5120 or 6144, got 1000\n',
    );
  });

  test('--help prints the options and exits 0', async () => {
    const run = await runCli('deploy', ['--help']);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: npm run deploy -- --stage NAME \[--diff \| --destroy\] \[options\]\n/);
    for (const flag of [
      '--stage NAME',
      '--diff',
      '--template-only',
      '--destroy',
      '--force',
      '--require-approval LEVEL',
      '-c, --context KEY=VALUE',
      '--dry-run',
    ]) {
      expect(run.stdout).toContain(`  ${flag}`);
    }
  });
});
