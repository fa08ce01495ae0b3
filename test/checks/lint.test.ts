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
/** Runs a check with its results cache (both tools take the same three flags); its whole output must be empty. */
function expectCleanRun(tool: 'eslint' | 'prettier', bin: string, args: readonly string[]) {
  const cache = path.join(checkCacheDir(tool), `${tool}cache`);
  const result = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', ...bin.split('/')), ...args, '--cache', '--cache-strategy', 'content', '--cache-location', cache],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  expect(result.error).toBeUndefined();
  expect(result.stdout + result.stderr).toBe('');
  expect(result.status).toBe(0);
}

test('eslint . reports no problem', () => {
  expectCleanRun('eslint', 'eslint/bin/eslint.js', ['.', '--max-warnings', '0']);
}, 300_000);

test('prettier --check . finds every file formatted', () => {
  expectCleanRun('prettier', 'prettier/bin/prettier.cjs', ['--check', '.', '--log-level', 'warn']);
}, 300_000);
