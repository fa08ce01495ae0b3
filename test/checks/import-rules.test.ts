/**
 * The layering of the tree, enforced: every import of every source file is classified by the
 * layer it leaves and the layer it reaches.
 *
 * - contract/ (the names the infrastructure and the runtime share) imports nothing at all;
 * - lib/ (what `cdk synth` needs) imports lib/, contract/ and packages, never a tool, a
 *   Lambda's code or the model container's;
 * - a Lambda bundle imports its own folder, lambda/shared/ and contract/ only, and no CDK;
 * - model/ is the container's own package: it imports only itself;
 * - bin/ (the CDK app) imports lib/ and contract/;
 * - tools/ may import the infrastructure, the config, the contract, the runtime code they
 *   reuse (lambda/shared, model/src) and each other;
 * - test/ may import anything.
 */
import * as fs from 'fs';
import * as path from 'path';
import { REPO_ROOT } from '../harness/repo';

const SOURCE = /\.(ts|mts|mjs|js|cjs)$/;
const SKIP = new Set(['node_modules', 'cdk.out', '.git', '.local', 'dist', 'coverage', 'test-artifacts', 'bench-results']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(REPO_ROOT, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) out.push(rel);
  }
  return out;
}

const IMPORT =
  /(?:^|[^.\w])(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|[^.\w])import\s*['"]([^'"]+)['"]|(?:require|import)\(\s*['"]([^'"]+)['"]\s*\)/gm;

/** Specifiers a file imports (comments stripped, so prose that mentions a path is not counted). */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
  return [...code.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]);
}

type Layer = 'contract' | 'lib' | 'lambda' | 'lambda-shared' | 'model' | 'bin' | 'tools' | 'test' | 'other';

function layerOf(file: string): Layer {
  const [top, second] = file.split('/');
  if (top === 'lambda') return second === 'shared' ? 'lambda-shared' : 'lambda';
  if (['contract', 'lib', 'model', 'bin', 'tools', 'test'].includes(top)) return top as Layer;
  return 'other';
}

/** Why `file` may not import `target` (a repository path, or `pkg:NAME`), or undefined if it may. */
function violation(file: string, target: string): string | undefined {
  const from = layerOf(file);
  const pkg = target.startsWith('pkg:') ? target.slice(4) : undefined;
  const to = pkg ? undefined : layerOf(target);
  switch (from) {
    case 'contract':
      return 'contract/ imports nothing';
    case 'lib':
      if (pkg) return undefined;
      return to === 'lib' || to === 'contract' ? undefined : `lib/ may import lib/ and contract/ only, not ${to}/`;
    case 'bin':
      if (pkg) return undefined;
      return to === 'lib' || to === 'contract' ? undefined : `bin/ may import lib/ and contract/ only, not ${to}/`;
    case 'lambda':
    case 'lambda-shared': {
      if (pkg) return /^(aws-cdk-lib|constructs|cdk-nag)(\/|$)/.test(pkg) ? `a Lambda bundle may not import ${pkg}` : undefined;
      if (to === 'contract' || to === 'lambda-shared') return undefined;
      if (from === 'lambda' && to === 'lambda' && target.split('/')[1] === file.split('/')[1]) return undefined;
      return `a Lambda bundle imports its own code, lambda/shared/ and contract/ only, not ${target}`;
    }
    case 'model':
      return pkg || to === 'model' ? undefined : `model/ is its own package, it may not import ${target}`;
    case 'tools':
      return pkg || to !== 'test' ? undefined : 'tools may not import tests';
    default:
      return undefined;
  }
}

const CANDIDATES = ['', '.ts', '.mts', '.mjs', '.js', '.cjs', '.json', '/index.ts', '/index.js'];

function resolveTarget(file: string, spec: string): string {
  if (!spec.startsWith('.')) return `pkg:${spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]}`;
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
  for (const ext of CANDIDATES) {
    const candidate = base + ext;
    if (fs.existsSync(path.join(REPO_ROOT, candidate)) && fs.statSync(path.join(REPO_ROOT, candidate)).isFile()) return candidate;
  }
  throw new Error(`${file}: cannot resolve ${spec}`);
}

/**
 * Crossings still to be removed, each with its reason. None left: the audit stack ships the
 * runbook notebook as a generated, committed file it reads by path (REPO_PATHS.runbookNotebook).
 */
const PENDING: readonly string[] = [];

const FILES = ['bin', 'lib', 'contract', 'lambda', 'model', 'tools'].flatMap((dir) => sourceFiles(dir));

describe('import rules', () => {
  it('reads every layer', () => {
    for (const layer of ['bin', 'lib', 'contract', 'lambda', 'model', 'tools'])
      expect(FILES.some((f) => f.startsWith(`${layer}/`))).toBe(true);
  });

  it('the import parser sees static, dynamic, side-effect and require imports, and skips comments', () => {
    const text = [
      "import { a } from '../lib/a';",
      "import type { B } from './b';",
      "export * from './c';",
      "import './d';",
      "const e = require('./e');",
      "const f = await import('./f');",
      "// import { g } from './g';",
      '/* see lib/h.ts */',
    ].join('\n');
    expect(importsOf(text)).toEqual(['../lib/a', './b', './c', './d', './e', './f']);
  });

  it('no file imports across a boundary it may not cross', () => {
    const problems: string[] = [];
    for (const file of FILES) {
      for (const spec of importsOf(fs.readFileSync(path.join(REPO_ROOT, file), 'utf8'))) {
        const why = violation(file, resolveTarget(file, spec));
        if (why && !PENDING.includes(`${file} imports '${spec}'`)) problems.push(`${file} imports '${spec}': ${why}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('each rule refuses what it should', () => {
    expect(violation('contract/handlers.ts', 'lib/x.ts')).toBeDefined();
    expect(violation('contract/handlers.ts', 'pkg:path')).toBeDefined();
    expect(violation('lib/stacks/a.ts', 'tools/local/b.ts')).toMatch(/not tools/);
    expect(violation('lib/stacks/a.ts', 'lambda/shared/b.ts')).toBeDefined();
    expect(violation('lambda/predict/index.ts', 'lambda/read/queries.ts')).toBeDefined();
    expect(violation('lambda/predict/index.ts', 'pkg:aws-cdk-lib')).toBeDefined();
    expect(violation('lambda/predict/index.ts', 'lib/config/stage-config.ts')).toBeDefined();
    expect(violation('model/src/server.ts', 'contract/handlers.ts')).toBeDefined();
    expect(violation('tools/local/main.ts', 'test/harness/repo.ts')).toBeDefined();
    expect(violation('lambda/predict/index.ts', 'lambda/predict/validate.ts')).toBeUndefined();
    expect(violation('lambda/predict/index.ts', 'contract/handlers.ts')).toBeUndefined();
    expect(violation('tools/local/main.ts', 'lib/config/load-config.ts')).toBeUndefined();
  });
});
