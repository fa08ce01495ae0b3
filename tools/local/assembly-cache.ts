/**
 * A cache of the local assembly (what tools/local/local-assembly.ts reads from the synthesized
 * stacks) and the bundles CDK staged for it, keyed by a hash of everything that can change
 * them. Synthesizing and bundling is most of `npm start`'s time; with unchanged sources a start
 * reuses the last result instead. Any change to an input is a new key, so a stale bundle is
 * never run. This file imports nothing from aws-cdk-lib: a cache hit does not load it at all.
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** Bump when the cached layout or what is extracted from the assembly changes. */
const CACHE_FORMAT = 1;
const MANIFEST = 'assembly.json';

/**
 * What a synthesized assembly is made from, relative to the repository root: the stacks and
 * their config (lib/), the handlers (lambda/), the shared names (contract/), the model the
 * endpoint stack stages (model/, without its node_modules), cdk.json's feature flags, the
 * dependency versions esbuild bundles (package-lock.json), and the code that extracts it.
 */
export const ASSEMBLY_INPUTS: readonly string[] = [
  'lib',
  'lambda',
  'contract',
  'model',
  'cdk.json',
  'package-lock.json',
  'tsconfig.json',
  'tools/local/local-assembly.ts',
  'tools/local/assembly-cache.ts',
];

/**
 * What a function's bundle is made from: its handler and what it imports (lambda/, contract/),
 * the locked dependency versions, the bundling options (PipelineFunction.bundling), the
 * compiler settings esbuild reads, and the code that builds and caches it. Not the stage config:
 * every stage bundles a handler the same way, so one bundle serves every stage's assembly.
 */
export const BUNDLE_INPUTS: readonly string[] = [
  'lambda',
  'contract',
  'lib/constructs/pipeline-function.ts',
  'cdk.json',
  'package-lock.json',
  'tsconfig.json',
  'tools/local/local-assembly.ts',
  'tools/local/assembly-cache.ts',
];

/** The key of the bundle of the handler in `lambda/<entry>`: entries of both kinds share one folder. */
export function bundleKey(root: string, entry: string): string {
  return `bundle-${entry}-${assemblyKey(root, { bundle: entry }, BUNDLE_INPUTS)}`;
}

/** Environment variables the stacks read while synthesizing (lib/stage-stacks.ts). */
const ENV_INPUTS = ['CDK_DEFAULT_ACCOUNT', 'CDK_DEFAULT_REGION'];

const SKIPPED_DIRS = new Set(['node_modules', 'cdk.out', '.git']);

/**
 * The key: a SHA-256 over the stage config, the environment the stacks read, and the path and
 * content of every file under the inputs (in a fixed order, so the same tree gives the same key).
 */
export function assemblyKey(root: string, config: unknown, inputs: readonly string[] = ASSEMBLY_INPUTS): string {
  const hash = createHash('sha256');
  hash.update(`format ${CACHE_FORMAT}\n`);
  hash.update(`config ${JSON.stringify(config)}\n`);
  for (const name of ENV_INPUTS) hash.update(`env ${name}=${process.env[name] ?? ''}\n`);
  for (const input of inputs) {
    for (const file of listFiles(root, input)) {
      hash.update(`file ${file}\n`);
      hash.update(fs.readFileSync(path.join(root, file)));
      hash.update('\n');
    }
  }
  return hash.digest('hex').slice(0, 32);
}

/** Files under `input` (a file or a folder), relative to root, sorted; a missing input is no file. */
function listFiles(root: string, input: string): string[] {
  const full = path.join(root, input);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(full);
  } catch {
    return [];
  }
  if (stat.isFile()) return [input];
  if (!stat.isDirectory()) return [];
  const files: string[] = [];
  for (const entry of fs.readdirSync(full, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    const rel = path.posix.join(input, entry.name);
    if (entry.isDirectory()) {
      if (!SKIPPED_DIRS.has(entry.name)) files.push(...listFiles(root, rel));
    } else if (entry.isFile()) files.push(rel);
  }
  return files;
}

/** One cached result: JSON-safe data whose bundle folders are named relative to the entry. */
export interface CacheEntry<T> {
  /** The entry's folder: bundle paths inside `data` are resolved against it. */
  readonly dir: string;
  readonly data: T;
}

export interface AssemblyCacheOptions {
  /** Entries kept besides the one just written. @default 8 */
  readonly keep?: number;
  /** An entry used this recently is never pruned (another run may still be starting workers from it). @default 1 hour */
  readonly minAgeMs?: number;
  /**
   * How long a miss waits for another process that is producing the same key before producing
   * it itself. @default 10 minutes
   */
  readonly maxWaitMs?: number;
}

/** Who holds a key's lock: written into the lock folder by the process that took it. */
const LOCK_OWNER = 'owner.json';
/** A lock folder without an owner file is being taken; older than this, its taker died first. */
const OWNERLESS_LOCK_MS = 30_000;
const POLL_MS = 100;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the thread (the cache's callers are synchronous: a synth is). */
function sleepSync(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Entries live in `<cacheDir>/<key>/`: `assembly.json` and the bundle folders. An entry is
 * written to a temporary folder and renamed into place, so a reader never sees half of one and
 * two runs that miss at once (parallel test files) both end up with a complete entry.
 */
export class AssemblyCache {
  constructor(
    readonly cacheDir: string,
    private readonly options: AssemblyCacheOptions = {},
  ) {}

  /** The entry for `key`, or undefined when there is none (or it is incomplete). Marks it used. */
  read<T>(key: string): CacheEntry<T> | undefined {
    const dir = path.join(this.cacheDir, key);
    let data: T;
    try {
      data = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')).data as T;
    } catch {
      return undefined;
    }
    const now = new Date();
    try {
      fs.utimesSync(dir, now, now);
    } catch {
      // A read-only cache still serves.
    }
    return { dir, data };
  }

  /**
   * Stores `data` with copies of `folders` (name in the entry -> folder to copy) under `key`,
   * and returns the stored entry (the one already there if another run wrote it first).
   */
  write<T>(key: string, data: T, folders: Readonly<Record<string, string>>): CacheEntry<T> {
    fs.mkdirSync(this.cacheDir, { recursive: true });
    const dir = path.join(this.cacheDir, key);
    const temp = fs.mkdtempSync(path.join(this.cacheDir, `.tmp-${key}-`));
    try {
      for (const [name, from] of Object.entries(folders)) fs.cpSync(from, path.join(temp, name), { recursive: true });
      fs.writeFileSync(
        path.join(temp, MANIFEST),
        `${JSON.stringify({ format: CACHE_FORMAT, key, writtenAt: new Date().toISOString(), data }, null, 2)}\n`,
      );
      try {
        fs.renameSync(temp, dir);
      } catch (error) {
        // Another run stored the same key first: its entry is as good as this one.
        if (!['EEXIST', 'ENOTEMPTY', 'EPERM'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
      }
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
    this.prune(key);
    const stored = this.read<T>(key);
    if (!stored) throw new Error(`assembly cache: entry ${key} was not stored in ${this.cacheDir}`);
    return stored;
  }

  /**
   * The entry for `key`, produced once however many processes miss it at the same time
   * (parallel test files, two `npm start`s): the first takes the key's lock (a folder, which
   * `mkdir` creates atomically) and runs `produce`; the others wait for its entry instead of
   * synthesizing and bundling the same stacks again. A lock whose owner process is gone is taken
   * over; a wait longer than `maxWaitMs` produces anyway (the rename in `write` keeps either
   * result whole). `onWait` is told once when this process starts waiting, with the owner's pid.
   */
  obtain<T>(key: string, produce: () => T, lookup: () => T | undefined, onWait?: (ownerPid: number | undefined) => void): T {
    const found = lookup();
    if (found !== undefined) return found;
    fs.mkdirSync(this.cacheDir, { recursive: true });
    const lock = path.join(this.cacheDir, `.lock-${key}`);
    const deadline = Date.now() + (this.options.maxWaitMs ?? 600_000);
    let told = false;
    for (;;) {
      if (this.tryLock(lock)) {
        try {
          // The owner before this one may have stored the entry just before releasing the lock.
          return lookup() ?? produce();
        } finally {
          fs.rmSync(lock, { recursive: true, force: true });
        }
      }
      const owner = this.lockOwner(lock);
      if (owner === 'stale') {
        fs.rmSync(lock, { recursive: true, force: true });
        continue;
      }
      if (!told) {
        onWait?.(owner);
        told = true;
      }
      if (Date.now() >= deadline) return produce();
      sleepSync(POLL_MS);
      const stored = lookup();
      if (stored !== undefined) return stored;
    }
  }

  private tryLock(lock: string): boolean {
    try {
      fs.mkdirSync(lock);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    fs.writeFileSync(path.join(lock, LOCK_OWNER), JSON.stringify({ pid: process.pid, since: new Date().toISOString() }));
    return true;
  }

  /** The pid holding `lock`, undefined while it is being taken, 'stale' when its owner is gone. */
  private lockOwner(lock: string): number | undefined | 'stale' {
    try {
      const { pid } = JSON.parse(fs.readFileSync(path.join(lock, LOCK_OWNER), 'utf8')) as { pid: number };
      return isAlive(pid) ? pid : 'stale';
    } catch {
      try {
        return Date.now() - fs.statSync(lock).mtimeMs > OWNERLESS_LOCK_MS ? 'stale' : undefined;
      } catch {
        return undefined; // released meanwhile: the next try takes it
      }
    }
  }

  /** Removes the least recently used entries beyond `keep`, except recent ones and `current`. */
  prune(current: string): void {
    const keep = this.options.keep ?? 8;
    const minAgeMs = this.options.minAgeMs ?? 3_600_000;
    let entries: { name: string; usedMs: number }[];
    try {
      entries = fs
        .readdirSync(this.cacheDir, { withFileTypes: true })
        .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== current)
        .map((e) => ({ name: e.name, usedMs: fs.statSync(path.join(this.cacheDir, e.name)).mtimeMs }))
        .sort((a, b) => b.usedMs - a.usedMs);
    } catch {
      return;
    }
    const now = Date.now();
    for (const entry of entries.slice(keep)) {
      if (now - entry.usedMs >= minAgeMs) fs.rmSync(path.join(this.cacheDir, entry.name), { recursive: true, force: true });
    }
  }
}

/**
 * The cache folder `npm start` uses: `LOCAL_ASSEMBLY_CACHE` names another folder, or `off`
 * synthesizes every time; by default `.local/assembly-cache` in the repository.
 */
export function defaultAssemblyCacheDir(root: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.LOCAL_ASSEMBLY_CACHE?.trim();
  if (setting === 'off') return undefined;
  return setting ? path.resolve(setting) : path.join(root, '.local', 'assembly-cache');
}
