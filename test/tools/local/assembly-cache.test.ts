/**
 * The start cache: the key covers every input (a source change is a new key, so a stale bundle
 * never runs), an entry round-trips the assembly and its bundles byte for byte, a hit does not
 * synthesize, and entries are written atomically and pruned by last use.
 */
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { AssemblyCache, ASSEMBLY_INPUTS, assemblyKey, bundleKey, defaultAssemblyCacheDir } from '../../../tools/local/assembly-cache';
import { LocalAssembly, loadCachedAssembly, synthesizeLocalAssembly } from '../../../tools/local/local-assembly';
import { SWC_REGISTER } from '../../harness/repo';

const REPO_ROOT = path.join(__dirname, '..', '..', '..');
const cdkJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')).context;

let scratch: string;
beforeEach(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'assembly-cache-test-'));
});
afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** A copy of the repository's cache inputs, which a test may change. */
function copyInputs(): string {
  const root = path.join(scratch, 'repo');
  for (const input of ASSEMBLY_INPUTS) {
    const from = path.join(REPO_ROOT, input);
    if (fs.existsSync(from))
      fs.cpSync(from, path.join(root, input), { recursive: true, filter: (src) => !src.split(path.sep).includes('node_modules') });
  }
  return root;
}

describe('the cache key', () => {
  const config = resolveStageConfig({ ...cdkJson, stage: 'dev' });

  it('is the same for the same inputs wherever the tree is, and changes with a handler source, a stack, cdk.json or the lock file', () => {
    const root = copyInputs();
    const original = assemblyKey(root, config);
    expect(assemblyKey(REPO_ROOT, config)).toBe(original);
    const keys = new Set([original]);
    for (const file of [
      'lambda/predict/index.ts',
      'lib/stacks/api-stack.ts',
      'contract/handlers.ts',
      'cdk.json',
      'package-lock.json',
      'model/artifacts/model.tar.gz',
    ]) {
      const full = path.join(root, file);
      const before = fs.readFileSync(full);
      fs.appendFileSync(full, '\n');
      keys.add(assemblyKey(root, config));
      fs.writeFileSync(full, before);
      expect(assemblyKey(root, config)).toBe(original);
    }
    expect(keys.size).toBe(7);
  });

  it('changes when a file is added or renamed under an input, but not under node_modules or cdk.out', () => {
    const root = copyInputs();
    const original = assemblyKey(root, config);
    fs.writeFileSync(path.join(root, 'lambda', 'shared', 'new-helper.ts'), 'export const x = 1;\n');
    const added = assemblyKey(root, config);
    expect(added).not.toBe(original);
    fs.renameSync(path.join(root, 'lambda', 'shared', 'new-helper.ts'), path.join(root, 'lambda', 'shared', 'renamed.ts'));
    expect(assemblyKey(root, config)).not.toBe(added);
    fs.rmSync(path.join(root, 'lambda', 'shared', 'renamed.ts'));
    expect(assemblyKey(root, config)).toBe(original);
    for (const ignored of ['node_modules', 'cdk.out']) {
      fs.mkdirSync(path.join(root, 'model', ignored), { recursive: true });
      fs.writeFileSync(path.join(root, 'model', ignored, 'x.js'), 'anything');
    }
    expect(assemblyKey(root, config)).toBe(original);
  });

  it('changes with the stage config and the account and region the stacks read from the environment', () => {
    const original = assemblyKey(REPO_ROOT, config);
    expect(assemblyKey(REPO_ROOT, resolveStageConfig({ ...cdkJson, stage: 'dev', 'model.version': '9.9.9' }))).not.toBe(original);
    expect(assemblyKey(REPO_ROOT, resolveStageConfig({ ...cdkJson, stage: 'prod' }))).not.toBe(original);
    const saved = process.env.CDK_DEFAULT_REGION;
    process.env.CDK_DEFAULT_REGION = 'eu-north-9';
    try {
      expect(assemblyKey(REPO_ROOT, config)).not.toBe(original);
    } finally {
      if (saved === undefined) delete process.env.CDK_DEFAULT_REGION;
      else process.env.CDK_DEFAULT_REGION = saved;
    }
    expect(assemblyKey(REPO_ROOT, config)).toBe(original);
  });
});

describe('the cache folder', () => {
  it('is .local/assembly-cache by default, another folder with LOCAL_ASSEMBLY_CACHE, none with off', () => {
    expect(defaultAssemblyCacheDir('/repo', {})).toBe(path.join('/repo', '.local', 'assembly-cache'));
    expect(defaultAssemblyCacheDir('/repo', { LOCAL_ASSEMBLY_CACHE: '/tmp/elsewhere' })).toBe('/tmp/elsewhere');
    expect(defaultAssemblyCacheDir('/repo', { LOCAL_ASSEMBLY_CACHE: 'off' })).toBeUndefined();
  });
});

describe('entries', () => {
  const bundle = (name: string, content: string) => {
    const dir = path.join(scratch, 'src', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'index.mjs'), content);
    return dir;
  };

  it('round-trip data and folders; a missing or half-written entry is a miss', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'));
    expect(cache.read('k1')).toBeUndefined();
    const stored = cache.write('k1', { a: 1 }, { predict: bundle('p', 'export const handler = 1;') });
    expect(stored).toEqual({ dir: path.join(scratch, 'cache', 'k1'), data: { a: 1 } });
    expect(fs.readFileSync(path.join(stored.dir, 'predict', 'index.mjs'), 'utf8')).toBe('export const handler = 1;');
    expect(cache.read('k1')).toEqual(stored);
    // A folder without its manifest (a run killed while copying) is not an entry.
    fs.mkdirSync(path.join(scratch, 'cache', 'k2', 'predict'), { recursive: true });
    expect(cache.read('k2')).toBeUndefined();
    // No temporary folder is left behind.
    expect(fs.readdirSync(path.join(scratch, 'cache')).filter((n) => n.startsWith('.tmp'))).toEqual([]);
  });

  it('a second writer of the same key keeps the first entry and succeeds', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'));
    cache.write('k', { first: true }, { predict: bundle('a', 'first') });
    const second = cache.write('k', { first: false }, { predict: bundle('b', 'second') });
    expect(second.data).toEqual({ first: true });
    expect(fs.readFileSync(path.join(second.dir, 'predict', 'index.mjs'), 'utf8')).toBe('first');
  });

  it('prunes the least recently used entries beyond `keep`, but never one used within minAgeMs', () => {
    const dir = path.join(scratch, 'cache');
    const old = new AssemblyCache(dir, { keep: 1, minAgeMs: 60_000 });
    for (const key of ['a', 'b', 'c']) old.write(key, {}, {});
    // a was used two hours ago, b an hour ago, c is recent: writing d keeps d, the most recent other (c) and anything younger than a minute.
    const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);
    fs.utimesSync(path.join(dir, 'a'), hoursAgo(2), hoursAgo(2));
    fs.utimesSync(path.join(dir, 'b'), hoursAgo(1), hoursAgo(1));
    old.write('d', {}, {});
    expect(fs.readdirSync(dir).sort()).toEqual(['c', 'd']);
    // Reading an entry marks it used, so it outlives the others.
    fs.utimesSync(path.join(dir, 'c'), hoursAgo(3), hoursAgo(3));
    old.read('c');
    fs.utimesSync(path.join(dir, 'd'), hoursAgo(2), hoursAgo(2));
    old.write('e', {}, {});
    expect(fs.readdirSync(dir).sort()).toEqual(['c', 'e']);
  });
});

describe('one producer per key (obtain)', () => {
  const lockOf = (dir: string, key: string) => path.join(dir, `.lock-${key}`);
  /** A lock folder as a process takes it, with `pid` as its owner (none: being taken). */
  const holdLock = (dir: string, key: string, pid?: number) => {
    fs.mkdirSync(lockOf(dir, key), { recursive: true });
    if (pid !== undefined) fs.writeFileSync(path.join(lockOf(dir, key), 'owner.json'), JSON.stringify({ pid }));
  };

  it('three processes that miss the same key at once: one produces, the other two wait and get its entry', async () => {
    const dir = path.join(scratch, 'cache');
    const producers = path.join(scratch, 'producers.log');
    // Each process produces slowly (a synth takes seconds), so all three miss while the first holds the lock.
    const script = `
      const fs = require('fs');
      const { AssemblyCache } = require(${JSON.stringify(path.join(REPO_ROOT, 'tools', 'local', 'assembly-cache.ts'))});
      const cache = new AssemblyCache(${JSON.stringify(dir)});
      const entry = cache.obtain('k', () => {
        fs.appendFileSync(${JSON.stringify(producers)}, process.pid + '\\n');
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500);
        return cache.write('k', { producer: process.pid }, {});
      }, () => cache.read('k'));
      process.stdout.write(JSON.stringify(entry.data));`;
    const run = () => promisify(execFile)(process.execPath, ['-r', SWC_REGISTER, '-e', script], { cwd: REPO_ROOT });
    const results = await Promise.all([run(), run(), run()]);
    const producedBy = fs.readFileSync(producers, 'utf8').trim().split('\n');
    expect(producedBy).toHaveLength(1);
    for (const { stdout } of results) expect(JSON.parse(stdout)).toEqual({ producer: Number(producedBy[0]) });
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 60_000);

  it('a hit neither takes the lock nor produces', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'));
    cache.write('k', { v: 1 }, {});
    holdLock(cache.cacheDir, 'k', process.pid);
    const produce = jest.fn();
    expect(cache.obtain('k', produce, () => cache.read('k'))!.data).toEqual({ v: 1 });
    expect(produce).not.toHaveBeenCalled();
  });

  it('takes over a lock whose owner process has exited, and releases it after producing', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'));
    const exited = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    holdLock(cache.cacheDir, 'k', Number(exited.stdout));
    const onWait = jest.fn();
    const entry = cache.obtain(
      'k',
      () => cache.write('k', { v: 2 }, {}),
      () => cache.read('k'),
      onWait,
    );
    expect(entry.data).toEqual({ v: 2 });
    expect(onWait).not.toHaveBeenCalled();
    expect(fs.existsSync(lockOf(cache.cacheDir, 'k'))).toBe(false);
  });

  it('takes over an ownerless lock older than 30 s (its taker died before writing its pid)', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'));
    holdLock(cache.cacheDir, 'k');
    const minuteAgo = new Date(Date.now() - 60_000);
    fs.utimesSync(lockOf(cache.cacheDir, 'k'), minuteAgo, minuteAgo);
    expect(
      cache.obtain(
        'k',
        () => cache.write('k', { v: 3 }, {}),
        () => cache.read('k'),
      ).data,
    ).toEqual({ v: 3 });
  });

  it('waits for a live owner, says so once with its pid, and produces itself after maxWaitMs', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'), { maxWaitMs: 300 });
    holdLock(cache.cacheDir, 'k', process.pid);
    const onWait = jest.fn();
    const started = Date.now();
    const entry = cache.obtain(
      'k',
      () => cache.write('k', { v: 4 }, {}),
      () => cache.read('k'),
      onWait,
    );
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(entry.data).toEqual({ v: 4 });
    expect(onWait.mock.calls).toEqual([[process.pid]]);
    // The lock is the live owner's: the process that gave up waiting leaves it alone.
    expect(fs.existsSync(lockOf(cache.cacheDir, 'k'))).toBe(true);
  });

  it('a producer that throws releases the lock and the error reaches the caller; the next miss produces', () => {
    const cache = new AssemblyCache(path.join(scratch, 'cache'));
    expect(() =>
      cache.obtain(
        'k',
        () => {
          throw new Error('synth failed');
        },
        () => cache.read('k'),
      ),
    ).toThrow('synth failed');
    expect(fs.existsSync(lockOf(cache.cacheDir, 'k'))).toBe(false);
    expect(
      cache.obtain(
        'k',
        () => cache.write('k', { v: 5 }, {}),
        () => cache.read('k'),
      ).data,
    ).toEqual({ v: 5 });
  });
});

describe('the synthesized assembly through the cache', () => {
  const config = resolveStageConfig({ ...cdkJson, stage: 'dev' });
  // One cache for the describe: the second test starts from the dev entry the first one stored.
  let cacheRoot: string;
  beforeAll(() => {
    cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'assembly-cache-synth-'));
  });
  afterAll(() => fs.rmSync(cacheRoot, { recursive: true, force: true }));
  // Besides the bundle folders, the templates differ in the name of each function's code asset
  // only: stacks synthesized without bundling hash the sources, not the bundle. Nothing local reads it.
  const withoutBundles = (a: LocalAssembly) => ({
    ...a,
    cache: undefined,
    functions: Object.fromEntries(Object.entries(a.functions).map(([k, f]) => [k, { ...f, bundleDir: '' }])),
    templates: JSON.parse(JSON.stringify(a.templates).replace(/"S3Key":"[0-9a-f]{64}\.zip"/g, '"S3Key":"ASSET.zip"')),
  });
  /**
   * A bundle folder's files. A source map names its sources relative to the folder esbuild wrote
   * it in (a temporary one under the outdir), so the number of leading `../` depends on the outdir;
   * the rest of every map, and every other file, is compared byte for byte.
   */
  const filesOf = (dir: string) =>
    Object.fromEntries(
      fs.readdirSync(dir).map((f) => {
        const bytes = fs.readFileSync(path.join(dir, f));
        if (!f.endsWith('.map')) return [f, bytes];
        const map = JSON.parse(bytes.toString('utf8'));
        return [f, { ...map, sources: map.sources.map((s: string) => s.replace(/^(\.\.\/)+/, '')) }];
      }),
    );

  it("a miss gives what a synthesis without the cache gives, the bundles' code byte for byte; a hit serves it without synthesizing", () => {
    // Without the cache: CDK bundles each function inside the stage's stacks, as `cdk synth` does.
    const fresh = synthesizeLocalAssembly(config, path.join(scratch, 'cdk.out'), { cacheDir: false });
    expect(fresh.cache).toBeUndefined();
    const cache = new AssemblyCache(cacheRoot);
    const key = assemblyKey(REPO_ROOT, config);
    expect(loadCachedAssembly(cache, key, config)).toBeUndefined();

    // A miss: the stacks synthesized without bundling, each handler bundled alone, both stored.
    const stored = synthesizeLocalAssembly(config, path.join(scratch, 'miss.out'), { cacheDir: cache.cacheDir });
    expect(stored.cache).toMatchObject({ hit: false, key, dir: path.join(cacheRoot, key) });
    expect(withoutBundles(stored)).toEqual(withoutBundles(fresh));
    // Variables the stack wires by reference stay present (as undefined), for the pipeline to resolve.
    expect(Object.keys(stored.functions.recorder.environment)).toEqual(Object.keys(fresh.functions.recorder.environment));
    expect(Object.values(fresh.functions.recorder.environment)).toContain(undefined);
    for (const role of ['predict', 'read', 'recorder'] as const) {
      expect(stored.functions[role].bundleDir.startsWith(stored.cache!.dir)).toBe(true);
      expect(filesOf(stored.functions[role].bundleDir)).toEqual(filesOf(fresh.functions[role].bundleDir));
    }
    expect(
      fs
        .readdirSync(cache.cacheDir)
        .filter((n) => n.startsWith('bundle-'))
        .map((n) => n.replace(/-[0-9a-f]{32}$/, ''))
        .sort(),
    ).toEqual(['bundle-predict', 'bundle-read', 'bundle-record-deployment']);

    // The same config and sources: served from the entry, in well under the seconds a synthesis takes.
    const hit = synthesizeLocalAssembly(config, path.join(scratch, 'unused.out'), { cacheDir: cache.cacheDir });
    expect(hit.cache).toMatchObject({ hit: true, key });
    expect(hit.cache!.ms).toBeLessThan(1_000);
    expect(fs.existsSync(path.join(scratch, 'unused.out'))).toBe(false);
    expect(withoutBundles(hit)).toEqual(withoutBundles(fresh));
    expect(hit.functions.predict.bundleDir).toBe(stored.functions.predict.bundleDir);

    // Another config is another key: a miss.
    const other = resolveStageConfig({ ...cdkJson, stage: 'dev', 'model.version': '9.9.9' });
    expect(loadCachedAssembly(cache, assemblyKey(REPO_ROOT, other), other)).toBeUndefined();
  }, 180_000);

  it("another stage's miss synthesizes its stacks but takes the handlers' bundles from the cache", () => {
    const cache = new AssemblyCache(cacheRoot);
    const dev = synthesizeLocalAssembly(config, path.join(scratch, 'dev.out'), { cacheDir: cache.cacheDir });
    expect(dev.cache).toMatchObject({ hit: true });
    // Mark the cached bundle of predict: a stage that bundled again would not carry the mark.
    const bundle = fs.readdirSync(cache.cacheDir).find((n) => n.startsWith('bundle-predict-'))!;
    fs.appendFileSync(path.join(cache.cacheDir, bundle, 'bundle', 'index.mjs'), '\n// from the bundle cache\n');
    const prod = synthesizeLocalAssembly(resolveStageConfig({ ...cdkJson, stage: 'prod' }), path.join(scratch, 'prod.out'), {
      cacheDir: cache.cacheDir,
    });
    expect(prod.cache).toMatchObject({ hit: false });
    expect(prod.cache!.key).not.toBe(dev.cache!.key);
    expect(prod.functions.predict.functionName).toBe('inference-prod-predict');
    expect(fs.readFileSync(path.join(prod.functions.predict.bundleDir, 'index.mjs'), 'utf8')).toMatch(/\/\/ from the bundle cache\n$/);
  }, 180_000);

  it('a handler source change is a new bundle key; the stage config is not part of it', () => {
    const root = copyInputs();
    const original = bundleKey(root, 'predict');
    expect(bundleKey(REPO_ROOT, 'predict')).toBe(original);
    expect(bundleKey(root, 'read')).not.toBe(original);
    for (const file of ['lambda/predict/index.ts', 'contract/handlers.ts', 'lib/constructs/pipeline-function.ts', 'package-lock.json']) {
      const full = path.join(root, file);
      const before = fs.readFileSync(full);
      fs.appendFileSync(full, '\n');
      expect(bundleKey(root, 'predict')).not.toBe(original);
      fs.writeFileSync(full, before);
    }
    // A stack or the stage settings change the assembly, not how a handler is bundled.
    fs.appendFileSync(path.join(root, 'lib', 'stacks', 'api-stack.ts'), '\n');
    expect(bundleKey(root, 'predict')).toBe(original);
  });
});
