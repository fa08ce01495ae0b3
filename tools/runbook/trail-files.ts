import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';

/**
 * Reads the files CloudTrail trails deliver to S3: `{"Records": [...]}` JSON objects, gzipped
 * (`.json.gz`, as delivered) or not (`.json`, as often exported), one file or a folder tree.
 *
 * A responder must be able to trust that "no rows" means "no such events", so a file that
 * cannot be read completely (truncated download, corrupt gzip, not CloudTrail) stops the load
 * with its name instead of being skipped.
 */

/** A problem with the input data, reported to the user as is (no stack trace). */
export class TrailFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrailFileError';
  }
}

export interface TrailFile {
  readonly file: string;
  readonly records: readonly Record<string, unknown>[];
}

/** Digest files share the `.json.gz` suffix but hold hashes, not events. */
const DIGEST = /CloudTrail-Digest/;

/** Every `.json` / `.json.gz` file at `target` (a file, or a folder searched recursively), sorted. */
export function listTrailFiles(target: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(target);
  } catch {
    throw new TrailFileError(`${target}: no such file or folder`);
  }
  if (stat.isFile()) return [target];
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (DIGEST.test(entry.name)) continue;
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && /\.json(\.gz)?$/i.test(entry.name)) found.push(full);
    }
  };
  walk(target);
  if (found.length === 0) throw new TrailFileError(`${target}: no .json or .json.gz CloudTrail files in this folder`);
  return found.sort();
}

/** Reads and validates one trail file; every error names the file. */
export async function readTrailFile(file: string): Promise<TrailFile> {
  let raw: Buffer = await fs.promises.readFile(file);
  if (isGzip(raw)) {
    try {
      raw = zlib.gunzipSync(raw);
    } catch (e) {
      throw new TrailFileError(`${file}: truncated or corrupt gzip data (${(e as Error).message})`);
    }
  } else if (/\.gz$/i.test(file)) {
    throw new TrailFileError(`${file}: named .gz but is not gzip data`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw.toString('utf8'));
  } catch (e) {
    throw new TrailFileError(`${file}: not valid JSON, the file is truncated or malformed (${(e as Error).message})`);
  }
  if (!isObject(parsed) || !Array.isArray(parsed.Records)) {
    throw new TrailFileError(`${file}: not a CloudTrail log file (expected an object with a "Records" array)`);
  }
  parsed.Records.forEach((record, i) => {
    if (!isObject(record)) throw new TrailFileError(`${file}: record ${i} is not an object`);
    if (typeof record.eventTime !== 'string' || Number.isNaN(Date.parse(record.eventTime))) {
      throw new TrailFileError(`${file}: record ${i} has no valid eventTime`);
    }
  });
  return { file, records: parsed.Records as Record<string, unknown>[] };
}

function isGzip(data: Buffer): boolean {
  return data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b;
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
