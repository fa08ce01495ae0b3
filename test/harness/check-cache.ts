/**
 * Where the static-check suites keep their tools' own caches (ESLint's and Prettier's results,
 * the compiler's build info), so the everyday `npm test` re-checks only what changed. A cache
 * lives under node_modules/.cache in a folder named by the lock file's hash: `npm ci` removes it
 * with node_modules, and a dependency change (a new rule, a new printer) starts a new one instead
 * of trusting results a previous version gave. Older folders of the same tool are removed.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from './repo';

export function checkCacheDir(tool: string): string {
  const lock = createHash('sha256')
    .update(fs.readFileSync(path.join(REPO_ROOT, 'package-lock.json')))
    .digest('hex')
    .slice(0, 16);
  const parent = path.join(REPO_ROOT, 'node_modules', '.cache');
  const dir = path.join(parent, `${tool}-${lock}`);
  if (fs.existsSync(parent)) {
    for (const name of fs.readdirSync(parent)) {
      if (name.startsWith(`${tool}-`) && name !== path.basename(dir)) fs.rmSync(path.join(parent, name), { recursive: true, force: true });
    }
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
