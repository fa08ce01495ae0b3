import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { checkCacheDir } from '../harness/check-cache';
import { REPO_ROOT } from '../harness/repo';

/**
 * ESLint (`npm run lint`: typescript-eslint's recommended rules, every disable with its reason)
 * and the Prettier check (`npm run format:check`) over the whole repository, as suites that
 * run beside the others. The output of a failure is the tool's own report.
 *
 * Both keep their results cache (test/harness/check-cache.ts), by file content rather than
 * modification time (a checkout changes the times, not the contents): a file is checked again
 * when it, the configuration or the tool's version changes ("--cache: Store the info about
 * processed files in order to only operate on the changed ones", ESLint's and Prettier's CLI
 * docs). From an empty cache (a fresh clone, CI) every file is checked.
 */
function run(bin: string, args: readonly string[]) {
  return spawnSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', ...bin.split('/')), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
}

test('eslint . reports no problem', () => {
  const cache = path.join(checkCacheDir('eslint'), 'eslintcache');
  const eslint = run('eslint/bin/eslint.js', [
    '.',
    '--max-warnings',
    '0',
    '--cache',
    '--cache-strategy',
    'content',
    '--cache-location',
    cache,
  ]);
  expect(eslint.error).toBeUndefined();
  expect(eslint.stdout + eslint.stderr).toBe('');
  expect(eslint.status).toBe(0);
}, 300_000);

test('prettier --check . finds every file formatted', () => {
  const cache = path.join(checkCacheDir('prettier'), 'prettiercache');
  const prettier = run('prettier/bin/prettier.cjs', [
    '--check',
    '.',
    '--log-level',
    'warn',
    '--cache',
    '--cache-strategy',
    'content',
    '--cache-location',
    cache,
  ]);
  expect(prettier.error).toBeUndefined();
  expect(prettier.stdout + prettier.stderr).toBe('');
  expect(prettier.status).toBe(0);
}, 300_000);
