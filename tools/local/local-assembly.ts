import type { AssetStaging, Stack } from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import * as path from 'path';
import { StageConfig, resourcePrefix } from '../../lib/config/stage-config';
import type { PipelineFunction } from '../../lib/constructs/pipeline-function';
import { cdkFeatureFlags } from '../cli/cdk-context';
import { AssemblyCache, assemblyKey, bundleKey, defaultAssemblyCacheDir } from './assembly-cache';

const REPO_ROOT = path.join(__dirname, '..', '..');

/** One function as the stack deploys it: its staged bundle, handler, settings and environment. */
export interface SynthesizedFunction {
  readonly logicalId: string;
  readonly functionName: string;
  readonly bundleDir: string;
  readonly handler: string;
  readonly timeoutSec: number;
  readonly memorySizeMiB: number;
  /** Literal environment values; references to other resources are left as `undefined`. */
  readonly environment: Readonly<Record<string, string | undefined>>;
}

/** A route of the REST API, read from the synthesized template. */
export interface SynthesizedRoute {
  readonly httpMethod: string;
  /** Resource path with `{param}` placeholders, for example `/inferences/{id}`. */
  readonly resourcePath: string;
  readonly functionLogicalId: string;
  readonly authorizationType: string;
  readonly apiKeyRequired: boolean;
}

export interface LocalAssembly {
  readonly config: StageConfig;
  readonly functions: { readonly predict: SynthesizedFunction; readonly read: SynthesizedFunction; readonly recorder: SynthesizedFunction };
  readonly routes: readonly SynthesizedRoute[];
  readonly tableName: string;
  readonly endpointName: string;
  readonly variantName: string;
  /** The deployment record custom resource's properties, as the stack passes them. */
  readonly deploymentRecordProperties: Readonly<Record<string, unknown>>;
  /** The synthesized API and data templates, for what the local parts read as deployed (gateway responses, usage plan, TTL). */
  readonly templates: { readonly api: Template; readonly data: Template };
  /** How this assembly was obtained: from the start cache (`hit`) or synthesized, and how long that took. */
  readonly cache?: { readonly hit: boolean; readonly key: string; readonly dir: string; readonly ms: number };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized CloudFormation properties are untyped JSON
export type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

export interface SynthesizeOptions {
  /**
   * Folder of the start cache (tools/local/assembly-cache.ts), or `false` to synthesize every time.
   * @default - `LOCAL_ASSEMBLY_CACHE` if set (`off` disables), else .local/assembly-cache
   */
  readonly cacheDir?: string | false;
  /**
   * Told when another process is synthesizing the same assembly and this one waits for its result.
   * @default - waits silently
   */
  readonly onWait?: (ownerPid: number | undefined) => void;
}

type FunctionRole = keyof LocalAssembly['functions'];
/** The cached form: the assembly without its config, each bundle folder named by its role. */
type CachedAssembly = Omit<LocalAssembly, 'config' | 'cache'>;

/**
 * Synthesizes the stage's stacks, exactly as `cdk synth` does, and reads from them what the
 * local pipeline runs: the esbuild bundles CDK staged for each function (the same files
 * `cdk deploy` uploads), their settings and environment, and the API's routes. Nothing is
 * declared twice: a new route or setting in the stacks reaches the local pipeline by itself.
 *
 * When neither the config nor any input file (tools/local/assembly-cache.ts, ASSEMBLY_INPUTS)
 * changed since the last synthesis, the result and its bundles come from the start cache
 * instead, without loading aws-cdk-lib: the same files, in a fraction of the time. A miss still
 * reuses each handler's bundle when its own inputs (BUNDLE_INPUTS) are unchanged: another stage
 * or setting synthesizes its stacks but bundles nothing.
 */
export function synthesizeLocalAssembly(config: StageConfig, outdir: string, options: SynthesizeOptions = {}): LocalAssembly {
  const cacheDir = options.cacheDir === undefined ? defaultAssemblyCacheDir(REPO_ROOT) : options.cacheDir || undefined;
  if (!cacheDir) return synthesize(config, outdir);
  const started = performance.now();
  const cache = new AssemblyCache(cacheDir);
  const key = assemblyKey(REPO_ROOT, config);
  // A miss synthesizes without bundling and takes each handler's bundle from the cache, where
  // the first stage that needed it built it: another stage or setting does not bundle again.
  const bundleOf = (entry: string) => cachedBundle(cache, entry, path.join(outdir, 'bundles'));
  return cache.obtain(
    key,
    () => storeCachedAssembly(cache, key, synthesize(config, outdir, bundleOf), started),
    () => loadCachedAssembly(cache, key, config, started),
    options.onWait,
  );
}

/** The assembly cached under `key`, its bundle folders inside the cache entry; undefined on a miss. */
export function loadCachedAssembly(
  cache: AssemblyCache,
  key: string,
  config: StageConfig,
  started = performance.now(),
): LocalAssembly | undefined {
  const entry = cache.read<CachedAssembly>(key);
  return entry && fromCache(config, entry.data, { hit: true, key, dir: entry.dir, ms: performance.now() - started });
}

/** Stores a synthesized assembly (and copies of its bundles) under `key`; returns it as served from the entry. */
function storeCachedAssembly(cache: AssemblyCache, key: string, fresh: LocalAssembly, started = performance.now()): LocalAssembly {
  const roles = Object.keys(fresh.functions) as FunctionRole[];
  const { config, cache: _cache, ...data } = fresh;
  const cached: CachedAssembly = {
    ...data,
    functions: Object.fromEntries(
      roles.map((role) => {
        const fn = fresh.functions[role];
        // JSON drops `undefined`: a referenced variable is kept as null, and turned back on read.
        const environment = Object.fromEntries(Object.entries(fn.environment).map(([k, v]) => [k, v ?? null]));
        return [role, { ...fn, bundleDir: role, environment }];
      }),
    ) as unknown as CachedAssembly['functions'],
  };
  const stored = cache.write(key, cached, Object.fromEntries(roles.map((role) => [role, fresh.functions[role].bundleDir])));
  return fromCache(config, stored.data, { hit: false, key, dir: stored.dir, ms: performance.now() - started });
}

/** A cached assembly with its bundle folders resolved inside the cache entry. */
function fromCache(config: StageConfig, data: CachedAssembly, cache: NonNullable<LocalAssembly['cache']>): LocalAssembly {
  const resolve = (fn: SynthesizedFunction): SynthesizedFunction => ({
    ...fn,
    bundleDir: path.join(cache.dir, fn.bundleDir),
    environment: Object.fromEntries(Object.entries(fn.environment).map(([k, v]) => [k, v ?? undefined])),
  });
  return {
    ...data,
    config,
    functions: { predict: resolve(data.functions.predict), read: resolve(data.functions.read), recorder: resolve(data.functions.recorder) },
    cache,
  };
}

/** The bundle of `lambda/<entry>` as PipelineFunction builds it, from the cache or built once into it. */
function cachedBundle(cache: AssemblyCache, entry: string, outdir: string): string {
  const key = bundleKey(REPO_ROOT, entry);
  const stored = cache.obtain(
    key,
    () => cache.write(key, { entry }, { bundle: bundleHandler(entry, outdir) }),
    () => cache.read(key),
  );
  return path.join(stored.dir, 'bundle');
}

/**
 * Bundles one handler with the house bundling (PipelineFunction, alone in an app): the same
 * esbuild run, options and output as in any stage's stack, whose bundling depends only on the
 * handler's entry.
 */
function bundleHandler(entry: string, outdir: string): string {
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy load of aws-cdk-lib, see synthesize */
  const { App, Stack }: typeof import('aws-cdk-lib') = require('aws-cdk-lib');
  const {
    PipelineFunction: Fn,
  }: typeof import('../../lib/constructs/pipeline-function') = require('../../lib/constructs/pipeline-function');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const app = new App({
    outdir: path.join(outdir, entry),
    context: { ...cdkFeatureFlags(), 'aws:cdk:disable-creation-stack-traces': true },
    builtinCloudFormationValidation: false,
  });
  const fn = new Fn(new Stack(app, 'LocalBundle'), 'Function', {
    entry,
    functionName: `local-bundle-${entry}`,
    description: `bundle of lambda/${entry}`,
    serviceName: entry,
    logRetentionDays: 1,
  });
  return stagedBundle(fn.function);
}

/**
 * Synthesizes the stage. With `bundleOf`, the stacks are not bundled and each function runs the
 * bundle `bundleOf` gives for its entry; without, CDK bundles the functions as `cdk synth` does.
 */
function synthesize(config: StageConfig, outdir: string, bundleOf?: (entry: string) => string): LocalAssembly {
  // Loaded here, not at the top: a start served from the cache never loads aws-cdk-lib (seconds).
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy load of aws-cdk-lib and the stacks, see above */
  const { App, Stack }: typeof import('aws-cdk-lib') = require('aws-cdk-lib');
  const { createStageStacks }: typeof import('../../lib/stage-stacks') = require('../../lib/stage-stacks');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const prefix = resourcePrefix(config);
  const app = new App({
    outdir,
    context: {
      // cdk.json's feature flags, as `cdk synth` reads them: the same templates as a deploy.
      ...cdkFeatureFlags(),
      // Only the stacks whose functions run locally need their bundles built, and none when
      // the bundles come from the cache.
      'aws:cdk:bundling-stacks': bundleOf ? [] : [`${prefix}-api`, `${prefix}-endpoint`],
      // The stack trace of every resource's creation is for `cdk` error reports, not read here.
      'aws:cdk:disable-creation-stack-traces': true,
    },
    // The templates are read, not deployed: `cdk synth` and `cdk deploy` run CDK's template
    // validation (and test/checks/cloudformation-validate.test.ts does); here it would be about
    // half of the start's synthesis (its WebAssembly engine's start-up and rules).
    builtinCloudFormationValidation: false,
    // Nor is the construct tree (tree.json) read.
    treeMetadata: false,
  });
  const pipeline = createStageStacks(app, config);
  const assembly = app.synth();
  const templateOf = (stack: Stack) => assembly.getStackByName(stack.stackName).template as Template;

  const describe = (fn: PipelineFunction): SynthesizedFunction => {
    const stack = Stack.of(fn);
    const cfn = fn.function.node.defaultChild as lambda.CfnFunction;
    const logicalId = stack.getLogicalId(cfn);
    const props = templateOf(stack).Resources[logicalId].Properties ?? {};
    const variables = (props.Environment?.Variables ?? {}) as Record<string, unknown>;
    return {
      logicalId,
      functionName: String(props.FunctionName),
      bundleDir: bundleOf ? bundleOf(fn.entry) : stagedBundle(fn.function),
      handler: String(props.Handler),
      timeoutSec: Number(props.Timeout),
      memorySizeMiB: Number(props.MemorySize),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, typeof v === 'string' ? v : undefined])),
    };
  };

  const endpointTemplate = templateOf(pipeline.endpoint);
  const record = Object.values(endpointTemplate.Resources).find((r) => r.Type === 'Custom::ModelDeployment');
  const { ServiceToken: _token, ...deploymentRecordProperties } = record?.Properties ?? {};

  return {
    config,
    functions: {
      predict: describe(pipeline.api.predictFunction),
      read: describe(pipeline.api.readFunction),
      recorder: describe(pipeline.endpoint.deploymentRecorder),
    },
    routes: readRoutes(templateOf(pipeline.api)),
    tableName: `${prefix}-inferences`,
    endpointName: pipeline.endpoint.modelEndpoint.endpointName,
    variantName: pipeline.endpoint.modelEndpoint.variantName,
    deploymentRecordProperties,
    templates: { api: templateOf(pipeline.api), data: templateOf(pipeline.data) },
  };
}

/** The folder CDK staged (bundled) the function's code into. */
function stagedBundle(fn: Construct): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- lazy load, see synthesize
  const { AssetStaging: Staging }: typeof import('aws-cdk-lib') = require('aws-cdk-lib');
  const staging = fn.node.findAll().find((c): c is AssetStaging => c instanceof Staging);
  if (!staging) throw new Error(`no bundled asset found for ${fn.node.path}`);
  return staging.absoluteStagedPath;
}

/** Walks AWS::ApiGateway::Resource parents to full paths and maps each method to its function. */
function readRoutes(template: Template): SynthesizedRoute[] {
  const resources = template.Resources;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a CloudFormation Ref or Fn::GetAtt, read by shape
  const pathOf = (ref: any): string => {
    if (ref?.['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const id = ref?.Ref as string;
    const resource = resources[id];
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource')
      throw new Error(`unexpected API resource reference ${JSON.stringify(ref)}`);
    return `${pathOf(resource.Properties!.ParentId)}/${resource.Properties!.PathPart}`;
  };
  const routes: SynthesizedRoute[] = [];
  for (const resource of Object.values(resources)) {
    if (resource.Type !== 'AWS::ApiGateway::Method') continue;
    const p = resource.Properties!;
    const uri = JSON.stringify(p.Integration?.Uri ?? '');
    const functionLogicalId = /"Fn::GetAtt":\["([^"]+)","Arn"\]/.exec(uri)?.[1];
    if (!functionLogicalId) continue;
    routes.push({
      httpMethod: p.HttpMethod,
      resourcePath: pathOf(p.ResourceId) || '/',
      functionLogicalId,
      authorizationType: p.AuthorizationType ?? 'NONE',
      apiKeyRequired: p.ApiKeyRequired === true,
    });
  }
  return routes;
}
