import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveStageConfig } from '../../lib/config/load-config';
import { stageStacks } from '../../tools/deploy/stack-names';
import { StageStacks, createStageStacks } from '../../lib/stage-stacks';
import { readCdkContext } from '../../tools/cli';
import { atNodeStackDepth } from '../harness/stack-depth';

/**
 * `cdk diff` after a redeploy with nothing changed must be empty: synthesizing twice gives
 * byte-identical templates and asset manifests, and an asset's hash moves only when what
 * it packages moves — a new model version changes the model's environment, never the
 * prediction function's bundle.
 */
const cdkJson = readCdkContext();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

interface Synthesized {
  readonly pipeline: StageStacks;
  /** The templates and asset manifests: what `cdk diff` compares and `cdk deploy` publishes. */
  readonly files: Record<string, string>;
}

/** Synthesizes a stage into a fresh directory, bundling only the listed stacks (none by default). */
function synth(stage: string, overrides: Record<string, unknown> = {}, bundlingStacks: string[] = []): Synthesized {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'synth-determinism-'));
  dirs.push(outdir);
  const app = new App({
    outdir,
    context: { ...cdkJson, stage, ...overrides, 'aws:cdk:bundling-stacks': bundlingStacks, 'aws:cdk:disable-creation-stack-traces': true },
    treeMetadata: false, // tree.json is not what `cdk diff` compares
  });
  const pipeline = atNodeStackDepth(() => {
    const stacks = createStageStacks(app, resolveStageConfig(app.node.getAllContext()));
    app.synth();
    return stacks;
  });
  const files: Record<string, string> = {};
  for (const name of fs.readdirSync(outdir)) {
    // manifest.json is left out: it carries construct stack traces, which name the caller's lines.
    if (name.endsWith('.template.json') || name.endsWith('.assets.json')) files[name] = fs.readFileSync(path.join(outdir, name), 'utf8');
  }
  return { pipeline, files };
}

function templateOf(s: Synthesized, stack: Stack): Record<string, any> {
  return JSON.parse(s.files[`${stack.stackName}.template.json`]);
}

function functionNamed(s: Synthesized, name: string): Record<string, any> {
  const resources = Object.values(templateOf(s, s.pipeline.api).Resources) as Array<Record<string, any>>;
  const fn = resources.find((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.FunctionName === name);
  expect(fn).toBeDefined();
  return fn!.Properties;
}

function modelEnvironment(s: Synthesized): Record<string, string> {
  const resources = Object.values(templateOf(s, s.pipeline.endpoint).Resources) as Array<Record<string, any>>;
  return resources.find((r) => r.Type === 'AWS::SageMaker::Model')!.Properties.PrimaryContainer.Environment;
}

function imageOf(s: Synthesized): unknown {
  const resources = Object.values(templateOf(s, s.pipeline.endpoint).Resources) as Array<Record<string, any>>;
  return resources.find((r) => r.Type === 'AWS::SageMaker::Model')!.Properties.PrimaryContainer.Image;
}

function expectSameFiles(first: Synthesized, second: Synthesized): void {
  expect(Object.keys(second.files).sort()).toEqual(Object.keys(first.files).sort());
  expect(Object.keys(first.files).filter((f) => f.endsWith('.template.json')).length).toBe(first.pipeline.all.length);
  for (const [name, content] of Object.entries(first.files)) expect({ name, content: second.files[name] }).toEqual({ name, content });
}

test('prod synthesized twice gives identical templates and asset manifests', () => {
  expectSameFiles(synth('prod'), synth('prod'));
});

describe('dev, with real bundling of the API functions', () => {
  let v1: Synthesized;
  let again: Synthesized;
  let v2: Synthesized;
  beforeAll(() => {
    v1 = synth('dev', {}, ['inference-dev-api']);
    // Forget the in-process cache, so the second synth runs esbuild again rather than reusing the first bundle.
    AssetStaging.clearAssetHashCache();
    again = synth('dev', {}, ['inference-dev-api']);
    AssetStaging.clearAssetHashCache();
    v2 = synth('dev', { 'model.version': '2.0.0' }, ['inference-dev-api']);
  });

  test('synthesized twice gives identical templates and asset manifests, bundles included', () => {
    expectSameFiles(v1, again);
  });

  test('two bundles of the same source hash the same; different sources hash differently', () => {
    const code = functionNamed(v1, 'inference-dev-predict').Code;
    expect(code.S3Key).toMatch(/^[a-f0-9]{64}\.zip$/);
    expect(functionNamed(again, 'inference-dev-predict').Code).toEqual(code);
    expect(functionNamed(v1, 'inference-dev-read').Code.S3Key).not.toBe(code.S3Key);
  });

  test("a new model version changes the model's environment, not the prediction function's bundle", () => {
    expect(modelEnvironment(v1).MODEL_VERSION).toBe('1.0.0');
    expect(modelEnvironment(v2).MODEL_VERSION).toBe('2.0.0');
    const [before, after] = [functionNamed(v1, 'inference-dev-predict'), functionNamed(v2, 'inference-dev-predict')];
    expect(after.Code).toEqual(before.Code);
    expect(before.Environment.Variables.MODEL_VERSION).toBe('1.0.0');
    expect(after.Environment.Variables.MODEL_VERSION).toBe('2.0.0');
    // The model image is built from model/, which did not change either.
    expect(imageOf(v2)).toEqual(imageOf(v1));
    // The data stack does not change at all: the model-version tag is only on what serves the model.
    expect(v2.files['inference-dev-data.template.json']).toBe(v1.files['inference-dev-data.template.json']);
  });
});

describe('stack names the commands use without synthesizing', () => {
  test.each([
    ['dev', {}],
    ['prod', {}],
    ['staging', { 'monitoring.enabled': 'false', 'endpoint.deployment.autoRollback': 'false', 'audit.enabled': 'false' }],
  ])('%s %j: the same names, in the same order, as the app', (stage, overrides) => {
    const app = new App({ context: { ...cdkJson, stage, ...overrides, 'aws:cdk:bundling-stacks': [] } });
    const config = resolveStageConfig(app.node.getAllContext());
    const pipeline = createStageStacks(app, config);
    expect(stageStacks(config).map((s) => s.name)).toEqual(pipeline.all.map((s) => s.stackName));
  });

  test('a stage with CI settings adds its CI stack last', () => {
    const stages = { ...(cdkJson.stages as object), dev: { ci: { githubRepository: 'acme/inference', branch: 'main' } } };
    const config = resolveStageConfig({ ...cdkJson, stage: 'dev', stages });
    expect(stageStacks(config).map((s) => s.role)).toEqual(['data', 'endpoint', 'api', 'monitoring', 'audit', 'ci']);
    expect(stageStacks(config).at(-1)!.name).toBe('inference-dev-ci');
  });
});
