import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
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
    [path.join(REPO_ROOT, 'node_modules', 'typescript-go', 'bin', 'tsc'), '--noEmit', '--pretty', 'false'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  expect(tsc.error).toBeUndefined();
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 300_000);
