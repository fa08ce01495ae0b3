import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../harness/repo';

/**
 * ESLint (`npm run lint`: typescript-eslint's recommended rules, every disable with its reason)
 * and the Prettier check (`npm run format:check`) over the whole repository, as suites that
 * run beside the others. The output of a failure is the tool's own report.
 */
function run(bin: string, args: readonly string[]) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', ...bin.split('/')), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

test('eslint . reports no problem', () => {
  const eslint = run('eslint/bin/eslint.js', ['.', '--max-warnings', '0']);
  expect(eslint.error).toBeUndefined();
  expect(eslint.stdout + eslint.stderr).toBe('');
  expect(eslint.status).toBe(0);
}, 300_000);

test('prettier --check . finds every file formatted', () => {
  const prettier = run('prettier/bin/prettier.cjs', ['--check', '.', '--log-level', 'warn']);
  expect(prettier.error).toBeUndefined();
  expect(prettier.stdout + prettier.stderr).toBe('');
  expect(prettier.status).toBe(0);
}, 300_000);
