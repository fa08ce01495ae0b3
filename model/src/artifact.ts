/**
 * The model artifact, `model.tar.gz`: written by training, unpacked by SageMaker into
 * `/opt/ml/model`, or by `extractModelArtifact` for the local pipeline and the tests, so
 * that every place serves the very archive the stack deploys.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { create, extract } from 'tar';

/**
 * Every entry's mtime. Fixed so the archive's bytes depend on its contents alone; not the
 * Unix epoch, which some tar versions report as an "implausibly old time stamp".
 */
export const ARCHIVE_MTIME = new Date('2020-01-01T00:00:00Z');

/** Mode of every entry: whoever unpacks the archive can read it, only the owner writes. */
const ENTRY_MODE = 0o644;

/** Byte 9 of a gzip header names the OS that wrote it; 255 ("unknown") keeps it platform-free. */
const GZIP_OS_BYTE = 9;
const GZIP_OS_UNKNOWN = 255;

export interface ArchiveEntry {
  /** A plain file name (no directories): the archive is flat, as SageMaker expects. */
  readonly name: string;
  readonly content: string | Buffer;
}

/** An artifact that is missing, unreadable or not a model archive. */
export class ModelArtifactError extends Error {
  override readonly name = 'ModelArtifactError';
}

/**
 * Writes a byte-for-byte reproducible `.tar.gz`: entries sorted by name, fixed mtime and
 * mode, no owner, user or group names (portable mode), gzip without a timestamp or OS.
 * Returns the archive's SHA-256 (hex). The same entries give the same bytes on any machine
 * whose Node bundles the same zlib (deflate output is only as stable as the zlib build).
 */
export function writeDeterministicArchive(entries: readonly ArchiveEntry[], outPath: string): string {
  const names = entries.map((entry) => entry.name);
  for (const name of names) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || name === '.' || name === '..') {
      throw new ModelArtifactError(`archive entry name must be a plain file name, got "${name}"`);
    }
  }
  if (new Set(names).size !== names.length) throw new ModelArtifactError('archive entry names must be unique');

  // node-tar packs files from disk, so stage them with exactly the mode we want (no umask).
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'model-artifact-'));
  try {
    for (const entry of entries) {
      const file = path.join(staging, entry.name);
      fs.writeFileSync(file, entry.content);
      fs.chmodSync(file, ENTRY_MODE);
    }
    const tarPath = path.join(staging, '.archive.tar');
    create({ sync: true, file: tarPath, cwd: staging, portable: true, mtime: ARCHIVE_MTIME, noDirRecurse: true }, [...names].sort());
    // gzipSync writes a zero mtime; the OS byte would differ between platforms, so pin it.
    const gzipped = gzipSync(fs.readFileSync(tarPath), { level: 9 });
    gzipped[GZIP_OS_BYTE] = GZIP_OS_UNKNOWN;

    fs.mkdirSync(path.dirname(outPath), { recursive: true });
    fs.writeFileSync(outPath, gzipped);
    return sha256(gzipped);
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * Unpacks `tarGzPath` into `destDir` (created if missing) and returns the names of the
 * files it wrote, sorted. Only regular files and directories are accepted: a link in a
 * model archive is either a mistake or an attempt to reach outside the model directory.
 */
export async function extractModelArtifact(tarGzPath: string, destDir: string): Promise<string[]> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(tarGzPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelArtifactError(`model artifact not found: ${tarGzPath}`);
    }
    throw new ModelArtifactError(`model artifact cannot be read: ${tarGzPath}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new ModelArtifactError(`model artifact is not a file: ${tarGzPath}`);
  if (stat.size === 0) throw new ModelArtifactError(`model artifact is empty: ${tarGzPath}`);

  fs.mkdirSync(destDir, { recursive: true });
  const files: string[] = [];
  const refused: string[] = [];
  try {
    await extract({
      file: tarGzPath,
      cwd: destDir,
      // Strict: a damaged archive is an error, not a warning and a partial model.
      strict: true,
      filter: (entryPath, entry) => {
        const type = 'type' in entry ? entry.type : 'File';
        if (type === 'File' || type === 'OldFile') files.push(entryPath);
        else if (type !== 'Directory') refused.push(`${entryPath} (${type})`);
        return type === 'File' || type === 'OldFile' || type === 'Directory';
      },
    });
  } catch (error) {
    throw new ModelArtifactError(`model artifact is corrupt: ${tarGzPath}: ${(error as Error).message}`);
  }
  if (refused.length > 0) {
    throw new ModelArtifactError(`model artifact ${tarGzPath} contains entries that are not regular files: ${refused.join(', ')}`);
  }
  if (files.length === 0) throw new ModelArtifactError(`model artifact contains no files: ${tarGzPath}`);
  return files.map((file) => file.replace(/^\.\//, '')).sort();
}

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
