/**
 * The bundles the benchmark compares, all built by CDK exactly as a deploy builds them:
 * - optimized: the stage's stacks synthesized (lib/local/local-assembly.ts), so the
 *   prediction function's staged asset is what `cdk deploy` uploads and what the local
 *   pipeline runs (PipelineFunction.bundling);
 * - baseline: bench/baseline/index.ts in a NodejsFunction with the DEFAULT bundling (same
 *   runtime and architecture), which on nodejs22.x leaves `@aws-sdk/*` external to use the
 *   Lambda runtime's copy. It is copied under bench-results/ so that `@aws-sdk/*` resolves
 *   from the project's node_modules, as the runtime's /var/runtime/node_modules would.
 * - minimal: the same two SDK calls alone (bench/floor/sdk-calls.ts) bundled the way a careful
 *   first version would be: ESM, minified, tree-shaken, the SDK bundled (`bundleAwsSDK`), and
 *   nothing else of ours (the SDK as it is: its default credential chain and event streams,
 *   none of PipelineFunction's aliases, no lazy files). The cold-init target compares the
 *   whole prediction handler with this.
 */
import * as fs from 'fs';
import * as path from 'path';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
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
  /** bench/floor/sdk-calls.ts, ESM, minified and tree-shaken, with NodejsFunction's options only (see above). */
  readonly minimal: BuiltBundle;
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
  const baseline = new NodejsFunction(stack, 'Baseline', {
    ...common,
    entry: path.join(REPO_ROOT, 'tools', 'bench', 'baseline', 'index.ts'),
  });
  const minimal = new NodejsFunction(stack, 'Minimal', {
    ...common,
    entry: path.join(REPO_ROOT, 'tools', 'bench', 'floor', 'sdk-calls.ts'),
    bundling: {
      format: OutputFormat.ESM,
      minify: true,
      target: 'node22',
      // esbuild tree-shakes ES modules only; the SDK's are under `module` (https://esbuild.github.io/api/#tree-shaking).
      mainFields: ['module', 'main'],
      // "Includes AWS SDK in the bundle asset" instead of the runtime's copy (aws-lambda-nodejs BundlingOptions.bundleAwsSDK,
      // https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_lambda_nodejs.BundlingOptions.html).
      bundleAwsSDK: true,
      // CommonJS dependencies call require(); ESM output needs it defined.
      banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
      logLevel: LogLevel.WARNING,
    },
  });
  const sdkFloor = new NodejsFunction(stack, 'SdkFloor', {
    ...common,
    entry: path.join(REPO_ROOT, 'tools', 'bench', 'floor', 'sdk-calls.ts'),
    bundling: PipelineFunction.bundling,
  });
  const httpFloor = new NodejsFunction(stack, 'HttpFloor', {
    ...common,
    entry: path.join(REPO_ROOT, 'tools', 'bench', 'floor', 'http-calls.ts'),
    bundling: PipelineFunction.bundling,
  });
  fs.rmSync(baselineTarget, { recursive: true, force: true });
  fs.cpSync(staged(baseline), baselineTarget, { recursive: true });
  const buildMs = performance.now() - started;
  return {
    baseline: describeAsset(baselineTarget, 'index.js', buildMs),
    minimal: describeAsset(staged(minimal), 'index.mjs', buildMs),
    sdkFloor: describeAsset(staged(sdkFloor), 'index.mjs', buildMs),
    httpFloor: describeAsset(staged(httpFloor), 'index.mjs', buildMs),
  };
}
