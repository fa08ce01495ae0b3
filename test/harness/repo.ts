import * as path from 'path';

/** The repository root, for tests that read its files or run its commands. */
export const REPO_ROOT = path.join(__dirname, '..', '..');

/** `node -r SWC_REGISTER tools/x/main.ts` runs a tool as a process, its TypeScript transpiled by SWC (swc-register.js). */
export const SWC_REGISTER = path.join(REPO_ROOT, 'test', 'harness', 'swc-register.js');
