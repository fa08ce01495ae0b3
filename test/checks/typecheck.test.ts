import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { checkCacheDir } from '../harness/check-cache';
import { REPO_ROOT } from '../harness/repo';

/**
 * The type check of the whole repository (`npm run typecheck`: tsc --noEmit over tsconfig.json's
 * include), as a suite so it runs beside the others: jest transpiles tests with SWC, which
 * checks no types. The compiler is TypeScript 7 (`typescript-go`, an alias of typescript@7), the
 * Go port: "Type checking: done. Same errors, locations, and messages as TS 6.0" (the
 * microsoft/typescript-go README), in a quarter of 5.9's CPU here (about 10 s against 40 s).
 * typescript@5.9 stays the `typescript` package: typescript-eslint and editors use its
 * JavaScript API, which TypeScript 7 does not have.
 */
test('tsc --noEmit reports no error', () => {
  const tsc = spawnSync(
    process.execPath,
    // One checker: the other suites keep both cores busy, and each extra checker re-checks the
    // shared declarations.
    // Incremental: the build info (every file's hash and what its check found) lets the next run
    // re-check only the files a change can affect; a missing or foreign one means a full check.
    [
      path.join(REPO_ROOT, 'node_modules', 'typescript-go', 'bin', 'tsc'),
      '--noEmit',
      '--pretty',
      'false',
      '--checkers',
      '1',
      '--incremental',
      '--tsBuildInfoFile',
      path.join(checkCacheDir('tsc'), 'tsconfig.tsbuildinfo'),
    ],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      // The compiler is a Go program whose heap stays live to the end (about 0.8 GB here), so its
      // collector only runs near a 2 GiB limit ("by setting GOGC=off, the Go runtime will always
      // grow the heap to the full memory limit", golang/go#48409). With one checker: 6.2 s of CPU
      // against 9.4 s with the defaults, measured here.
      env: { ...process.env, GOGC: 'off', GOMEMLIMIT: '2GiB' },
    },
  );
  expect(tsc.error).toBeUndefined();
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 300_000);
