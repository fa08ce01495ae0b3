import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { REPO_ROOT } from '../harness/repo';

/**
 * The type check of the whole repository (`npm run typecheck`: tsc --noEmit over tsconfig.json's
 * include), as a suite so it runs beside the others: jest transpiles tests with SWC, which
 * checks no types. It is the longest suite and starts first (test/harness/test-sequencer.js).
 */
test('tsc --noEmit reports no error', () => {
  const tsc = spawnSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '--noEmit', '--pretty', 'false'],
    {
      cwd: REPO_ROOT,
      encoding: 'utf8',
    },
  );
  expect(tsc.error).toBeUndefined();
  expect(tsc.stdout + tsc.stderr).toBe('');
  expect(tsc.status).toBe(0);
}, 300_000);
