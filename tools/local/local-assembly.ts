import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { StageConfig, resourcePrefix } from '../../lib/config/stage-config';
import { PipelineFunction } from '../../lib/constructs/pipeline-function';
import { createStageStacks } from '../../lib/stage-stacks';
import { cdkFeatureFlags } from '../cli/cdk-context';

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
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- synthesized CloudFormation properties are untyped JSON
type Template = { Resources: Record<string, { Type: string; Properties?: Record<string, any> }> };

/**
 * Synthesizes the stage's stacks, exactly as `cdk synth` does, and reads from them what the
 * local pipeline runs: the esbuild bundles CDK staged for each function (the same files
 * `cdk deploy` uploads), their settings and environment, and the API's routes. Nothing is
 * declared twice: a new route or setting in the stacks reaches the local pipeline by itself.
 */
export function synthesizeLocalAssembly(config: StageConfig, outdir: string): LocalAssembly {
  const prefix = resourcePrefix(config);
  const app = new App({
    outdir,
    context: {
      // cdk.json's feature flags, as `cdk synth` reads them: the same templates as a deploy.
      ...cdkFeatureFlags(),
      // Only the stacks whose functions run locally need their bundles built.
      'aws:cdk:bundling-stacks': [`${prefix}-api`, `${prefix}-endpoint`],
    },
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
      bundleDir: stagedBundle(fn.function),
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
  };
}


/** The folder CDK staged (bundled) the function's code into. */
function stagedBundle(fn: Construct): string {
  const staging = fn.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
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
    if (!resource || resource.Type !== 'AWS::ApiGateway::Resource') throw new Error(`unexpected API resource reference ${JSON.stringify(ref)}`);
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
