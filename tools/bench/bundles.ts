/**
 * The two bundles the benchmark compares, both built by CDK exactly as a deploy builds them:
 * - optimized: the stage's stacks synthesized (lib/local/local-assembly.ts), so the
 *   prediction function's staged asset is what `cdk deploy` uploads and what the local
 *   pipeline runs (PipelineFunction.bundling);
 * - baseline: bench/baseline/index.ts in a NodejsFunction with the DEFAULT bundling (same
 *   runtime and architecture), which on nodejs22.x leaves `@aws-sdk/*` external to use the
 *   Lambda runtime's copy. It is copied under bench-results/ so that `@aws-sdk/*` resolves
 *   from the project's node_modules, as the runtime's /var/runtime/node_modules would.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { resolveStageConfig } from '../../lib/config/load-config';
import { PipelineFunction } from '../../lib/constructs/pipeline-function';
import { LocalAssembly, synthesizeLocalAssembly } from '../local/local-assembly';
import { REPO_ROOT, readCdkContext } from '../cli';

export interface BuiltBundle {
  /** Folder of the asset: what Lambda unpacks into /var/task. */
  readonly dir: string;
  /** The file the handler is loaded from. */
  readonly file: string;
  /** Size of that file (minified for the optimized bundle, as CDK left it for the baseline). */
  readonly bytes: number;
  /** Every file of the asset and its size (source maps, lazily loaded files). */
  readonly files: Readonly<Record<string, number>>;
  readonly buildMs: number;
}

function describeAsset(dir: string, handlerFile: string, buildMs: number): BuiltBundle {
  const files = Object.fromEntries(fs.readdirSync(dir).map((name) => [name, fs.statSync(path.join(dir, name)).size]));
  return { dir, file: path.join(dir, handlerFile), bytes: files[handlerFile], files, buildMs };
}

/** The stage's stacks, synthesized and bundled as `cdk deploy` would; the local pipeline reuses the assembly. */
export function buildOptimized(context: Record<string, unknown>, outdir: string): { assembly: LocalAssembly; bundle: BuiltBundle } {
  const started = performance.now();
  const assembly = synthesizeLocalAssembly(resolveStageConfig(context), outdir);
  const buildMs = performance.now() - started;
  const fn = assembly.functions.predict;
  const handlerFile = `${fn.handler.slice(0, fn.handler.lastIndexOf('.'))}.mjs`;
  return { assembly, bundle: describeAsset(fn.bundleDir, handlerFile, buildMs) };
}

export interface BenchBundles {
  /** bench/baseline/index.ts, NodejsFunction's default bundling, copied to `target` (inside the repository). */
  readonly baseline: BuiltBundle;
  /** bench/floor/*.ts with PipelineFunction.bundling: the handler's two SDK calls alone, and two plain HTTP calls. */
  readonly sdkFloor: BuiltBundle;
  readonly httpFloor: BuiltBundle;
}

export function buildBenchBundles(outdir: string, baselineTarget: string): BenchBundles {
  const started = performance.now();
  const app = new App({ outdir, context: readCdkContext() });
  const stack = new Stack(app, 'BenchBundles');
  const common = { handler: 'handler', runtime: lambda.Runtime.NODEJS_22_X, architecture: lambda.Architecture.ARM_64 };
  const staged = (fn: NodejsFunction) => {
    const staging = fn.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
    if (!staging) throw new Error(`${fn.node.path} has no bundled asset`);
    return staging.absoluteStagedPath;
  };
  const baseline = new NodejsFunction(stack, 'Baseline', { ...common, entry: path.join(REPO_ROOT, 'tools', 'bench', 'baseline', 'index.ts') });
  const sdkFloor = new NodejsFunction(stack, 'SdkFloor', { ...common, entry: path.join(REPO_ROOT, 'tools', 'bench', 'floor', 'sdk-calls.ts'), bundling: PipelineFunction.bundling });
  const httpFloor = new NodejsFunction(stack, 'HttpFloor', { ...common, entry: path.join(REPO_ROOT, 'tools', 'bench', 'floor', 'http-calls.ts'), bundling: PipelineFunction.bundling });
  fs.rmSync(baselineTarget, { recursive: true, force: true });
  fs.cpSync(staged(baseline), baselineTarget, { recursive: true });
  const buildMs = performance.now() - started;
  return {
    baseline: describeAsset(baselineTarget, 'index.js', buildMs),
    sdkFloor: describeAsset(staged(sdkFloor), 'index.mjs', buildMs),
    httpFloor: describeAsset(staged(httpFloor), 'index.mjs', buildMs),
  };
}
