import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Every npm script that runs a tool (`tsx tools/...`) is on the shared kit: `--help` prints
 * its usage and exits 0 without doing any work, and an unknown option exits 2 with one line
 * and no stack trace. The entries run as the scripts run them, their TypeScript transpiled by
 * SWC (test/harness/swc-register.js) instead of tsx, which costs a second less per start.
 */
const ROOT = path.join(__dirname, '..', '..', '..');
const REGISTER = path.join(ROOT, 'test', 'harness', 'swc-register.js');
const scripts = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;

/** `tsx tools/x/main.ts --a b` -> the entry and the arguments the script always passes. */
const TOOL_SCRIPTS = Object.entries(scripts)
  .map(([name, line]) => [name, /^tsx (tools\/\S+\.ts)((?: \S+)*)$/.exec(line)] as const)
  .filter((entry): entry is readonly [string, RegExpExecArray] => entry[1] !== null)
  .map(([name, m]) => ({ name, entry: m[1], args: m[2].trim() === '' ? [] : m[2].trim().split(' ') }));

function run(entry: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, entry, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the tool scripts are found (every tool folder with an entry)', () => {
  expect(TOOL_SCRIPTS.map((s) => s.name).sort()).toEqual(
    [
      'analyze',
      'backfill',
      'bench',
      'cost',
      'demo',
      'deploy',
      'docs:alarms',
      'docs:cost',
      'docs:notebook',
      'invoke',
      'outputs',
      'runbook',
      'smoke',
      'start',
      'train',
    ].sort(),
  );
});

describe.each(TOOL_SCRIPTS)('npm run $name ($entry)', ({ name, entry, args }) => {
  test('--help prints the usage and the options, exits 0', async () => {
    const help = await run(entry, [...args, '--help']);
    expect(help.stderr).toBe('');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: \S/);
    expect(help.stdout).toContain('\nOptions:\n');
    expect(help.stdout).toContain('  -h, --help');
  });

  test('an unknown option exits 2 with one line and the hint, no stack trace', async () => {
    const bad = await run(entry, [...args, '--no-such-option']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe('');
    const prefix = entry === 'tools/runbook/main.ts' ? 'runbook' : name === 'start' || name === 'demo' ? 'npm start' : name;
    const hint = entry === 'tools/runbook/main.ts' ? '' : 'run with --help for the options\n';
    expect(bad.stderr).toBe(`${prefix}: unknown option --no-such-option\n${hint}`);
  });
});
