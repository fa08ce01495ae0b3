import * as path from 'path';

/** The repository root, for tests that read its files or run its commands. */
export const REPO_ROOT = path.join(__dirname, '..', '..');
