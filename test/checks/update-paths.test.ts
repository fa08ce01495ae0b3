import { ResourceImpact, fullDiff } from '@aws-cdk/cloudformation-diff';
import { ConfigError } from '../../lib/config/validate';
import { NagConfiguration, SynthesizedApp, synthApp } from '../harness/nag-stages';
import { DEPLOYED_PROD_ENDPOINT } from '../harness/deployed-endpoint';

/**
 * The changes a user commonly makes to a deployed stage, each synthesized before and after (once
 * per variant, bundling skipped) and diffed with AWS's own template diff, the library `cdk diff`
 * uses (@aws-cdk/cloudformation-diff). Each change must be one `cdk deploy --all` away:
 *  - no stateful resource (table, key, bucket, event data store, log group) is replaced or
 *    deleted: CloudFormation replaces a resource by creating the new one and deleting the old
 *    ("Update behaviors of stack resources", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html),
 *    which for these means data lost or a name collision;
 *  - no export still imported elsewhere disappears: CloudFormation refuses to delete an export
 *    another stack imports ("Export ... cannot be deleted as it is in use by ...",
 *    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/walkthrough-crossstackref.html),
 *    and stacks deploy producers first, so the update deadlocks. The stacks use weak references
 *    (cdk.json `@aws-cdk/core:defaultCrossStackReferences: weak`, `Fn::GetStackOutput`), which hold
 *    no export; the same check on strong references finds the deadlock (last test);
 *  - a resource another stack reads through an output is not replaced either: `cdk deploy` skips a
 *    stack whose template did not change, so its reader would keep the old value.
 */
const STATEFUL = new Set([
  'AWS::DynamoDB::Table',
  'AWS::KMS::Key',
  'AWS::S3::Bucket',
  'AWS::CloudTrail::EventDataStore',
  'AWS::Logs::LogGroup',
]);
const REPLACING = new Set([ResourceImpact.WILL_REPLACE, ResourceImpact.MAY_REPLACE]);

const variants = new Map<string, SynthesizedApp>();
function variant(stage: string, overrides: Record<string, string> = {}, stageSettings?: Record<string, unknown>): SynthesizedApp {
  const key = JSON.stringify([stage, overrides, stageSettings]);
  if (!variants.has(key)) variants.set(key, synthApp({ stage, overrides, stageSettings } as NagConfiguration));
  return variants.get(key)!;
}

interface Problem {
  readonly stack: string;
  readonly resource: string;
  readonly problem: string;
}

/** What `cdk deploy --all` from `before` to `after` would refuse, lose or leave stale. */
function updateProblems(before: SynthesizedApp, after: SynthesizedApp): Problem[] {
  const problems: Problem[] = [];
  const replaced = new Set<string>();
  for (const [stack, newTemplate] of Object.entries(after.templates)) {
    const oldTemplate = before.templates[stack];
    if (!oldTemplate) continue; // a new stack only creates
    const diff = fullDiff(oldTemplate, newTemplate);
    diff.resources.forEachDifference((logicalId, change) => {
      const type = change.oldResourceType ?? change.newResourceType ?? '';
      if (REPLACING.has(change.changeImpact)) replaced.add(`${stack}/${logicalId}`);
      if (!STATEFUL.has(type)) return;
      if (REPLACING.has(change.changeImpact))
        problems.push({ stack, resource: `${logicalId} (${type})`, problem: `replaced (${change.changeImpact})` });
      if (change.changeImpact === ResourceImpact.WILL_DESTROY)
        problems.push({ stack, resource: `${logicalId} (${type})`, problem: 'deleted' });
    });
  }
  problems.push(...exportDeadlocks(before, after));
  // A replaced resource that another stack reads: the reader's template may not change, and then
  // `cdk deploy` skips it and it keeps the old value.
  for (const [stack, template] of Object.entries(after.templates)) {
    for (const read of stackOutputReads(template)) {
      const producer = after.templates[read.stackName];
      const value = JSON.stringify(producer?.Outputs?.[read.outputName]?.Value ?? '');
      for (const id of replaced) {
        const [producerStack, logicalId] = id.split('/');
        if (producerStack === read.stackName && value.includes(`"${logicalId}"`)) {
          problems.push({ stack, resource: read.outputName, problem: `reads ${read.stackName}/${logicalId}, which is replaced` });
        }
      }
    }
  }
  return problems;
}

/**
 * Exports the update removes while a stack still imports them. Stacks update in dependency order
 * (producers first), so when a stack drops an export, every stack after it still has its old
 * template, and a stack that left the app (a feature turned off) keeps its old template for ever.
 */
function exportDeadlocks(before: SynthesizedApp, after: SynthesizedApp): Problem[] {
  const order = after.pipeline.all.map((s) => s.stackName);
  const problems: Problem[] = [];
  for (const [index, stack] of order.entries()) {
    const removed = [...exportsOf(before.templates[stack])].filter((name) => !exportsOf(after.templates[stack]).has(name));
    for (const name of removed) {
      const stillImporting = Object.keys(before.templates).filter(
        (other) => (order.indexOf(other) > index || !order.includes(other)) && importsOf(before.templates[other]).has(name),
      );
      for (const other of stillImporting) problems.push({ stack, resource: name, problem: `export removed while ${other} imports it` });
    }
  }
  return problems;
}

function exportsOf(template: any): Set<string> {
  return new Set(
    Object.values<any>(template?.Outputs ?? {})
      .filter((o) => o.Export)
      .map((o) => JSON.stringify(o.Export.Name)),
  );
}

function importsOf(template: any): Set<string> {
  const names = new Set<string>();
  const walk = (node: any): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if ('Fn::ImportValue' in node) names.add(JSON.stringify(node['Fn::ImportValue']));
      Object.values(node).forEach(walk);
    }
  };
  walk(template);
  return names;
}

function stackOutputReads(template: any): Array<{ stackName: string; outputName: string }> {
  const reads: Array<{ stackName: string; outputName: string }> = [];
  const walk = (node: any): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      if ('Fn::GetStackOutput' in node)
        reads.push({ stackName: node['Fn::GetStackOutput'].StackName, outputName: node['Fn::GetStackOutput'].OutputName });
      Object.values(node).forEach(walk);
    }
  };
  walk(template);
  return reads;
}

/** Settings of a stage that serves a model image and artifact of its own (the artifact is what changes). */
const OWN_MODEL = {
  'model.imageUri': '123456789012.dkr.ecr.us-east-1.amazonaws.com/iris:1.0.0',
  'model.modelDataUrl': 's3://models-bucket/iris/1.0.0/model.tar.gz',
};

/**
 * Stateful resources a change may delete, by logical id prefix, each with the reason: only those
 * that belong to the feature the change removes and whose data goes with it.
 */
type AllowedDeletions = Readonly<Record<string, string>>;
type Change = readonly [
  name: string,
  stage: string,
  before: Record<string, string>,
  after: Record<string, string>,
  allowed?: AllowedDeletions,
];
const CHANGES: readonly Change[] = [
  ['a new model version', 'prod', {}, { 'model.version': '1.1.0' }],
  ['a new model artifact', 'prod', OWN_MODEL, { ...OWN_MODEL, 'model.modelDataUrl': 's3://models-bucket/iris/1.1.0/model.tar.gz' }],
  ['a new model image', 'prod', OWN_MODEL, { ...OWN_MODEL, 'model.imageUri': '123456789012.dkr.ecr.us-east-1.amazonaws.com/iris:1.1.0' }],
  ['the instance count range', 'prod', {}, { 'endpoint.capacity.maxInstanceCount': '6', 'endpoint.capacity.initialInstanceCount': '3' }],
  ['the serverless memory', 'dev', {}, { 'endpoint.capacity.memorySizeMiB': '4096' }],
  ['the serverless concurrency', 'dev', {}, { 'endpoint.capacity.maxConcurrency': '10' }],
  ['data capture off', 'prod', {}, { 'endpoint.dataCapture.enabled': 'false' }],
  ['data capture on', 'prod', { 'endpoint.dataCapture.enabled': 'false' }, {}],
  ['data capture sampling', 'prod', {}, { 'endpoint.dataCapture.samplingPercent': '50' }],
  ['the VPC on', 'prod', {}, { 'network.vpc': 'true' }],
  ['the VPC off', 'prod', { 'network.vpc': 'true' }, {}],
  ['audit off', 'prod', {}, { 'audit.enabled': 'false' }],
  ['audit on', 'prod', { 'audit.enabled': 'false' }, {}],
  ['the responder workspace on', 'prod', {}, { 'audit.responderWorkspace.enabled': 'true' }],
  [
    'the responder workspace off',
    'prod',
    { 'audit.responderWorkspace.enabled': 'true' },
    {},
    {
      // KMS schedules a key's deletion after a waiting period (7 to 30 days), it does not delete it at once.
      ResponderWorkspaceVolumeKey: "encrypts only the notebook instance's own volume, which is deleted with the notebook",
      ResponderWorkspaceFlowLog: "records only the rejected traffic of the workspace's own VPC, which is deleted with it",
    },
  ],
  ['auth mode iam to api-key', 'prod', {}, { 'api.authorization': 'api-key' }],
  ['auth mode api-key to iam', 'prod', { 'api.authorization': 'api-key' }, {}],
  ['the WAF on', 'prod', {}, { 'api.waf.enabled': 'true' }],
  ['an alarm threshold override', 'prod', {}, { 'monitoring.alarms.EndpointErrorRate.threshold': '0.1' }],
  ['an alarm disabled', 'prod', {}, { 'monitoring.alarms.EndpointErrorRate.enabled': 'false' }],
  ['monitoring off', 'prod', {}, { 'monitoring.enabled': 'false', 'endpoint.deployment.autoRollback': 'false' }],
  ['log retention longer', 'prod', {}, { logRetentionDays: '400' }],
  ['log retention shorter (dev)', 'dev', {}, { logRetentionDays: '3' }],
  ['record retention', 'prod', {}, { 'records.ttlDays': '30' }],
  ['payload overflow to truncation', 'prod', {}, { 'records.overflow': 'truncate' }],
  ['audit retention', 'prod', {}, { 'audit.retentionDays': '730' }],
];

describe.each(CHANGES.map((c) => [c[0], c[1], c] as const))('update path: %s (%s)', (_name, _stage, change) => {
  const [, stage, before, after, allowed = {}] = change;
  test('deploys in one step: nothing stateful replaced or deleted, no export deadlock, no stale read', () => {
    const problems = updateProblems(variant(stage, before), variant(stage, after));
    const isAllowed = (p: Problem) => p.problem === 'deleted' && Object.keys(allowed).some((prefix) => p.resource.startsWith(prefix));
    expect(problems.filter((p) => !isAllowed(p))).toEqual([]);
    // Every allowance is used: none outlives the resource it names.
    for (const prefix of Object.keys(allowed)) expect(problems.some((p) => isAllowed(p) && p.resource.startsWith(prefix))).toBe(true);
  });
});

describe('the stages hold no export at all, so no option can deadlock on one', () => {
  test.each([
    ['dev', {}],
    ['prod', {}],
    [
      'prod with every option',
      { 'network.vpc': 'true', 'api.authorization': 'api-key', 'api.waf.enabled': 'true', 'audit.responderWorkspace.enabled': 'true' },
    ],
  ] as const)('%s', (_name, overrides) => {
    const synthesized = variant(_name.startsWith('dev') ? 'dev' : 'prod', overrides);
    for (const template of Object.values(synthesized.templates)) {
      expect(exportsOf(template)).toEqual(new Set());
      expect(importsOf(template)).toEqual(new Set());
    }
  });
});

test('the same check finds the deadlock strong references had: data capture off removed an export the audit stack imports', () => {
  const strong = { '@aws-cdk/core:defaultCrossStackReferences': 'strong' };
  const problems = updateProblems(variant('prod', strong), variant('prod', { ...strong, 'endpoint.dataCapture.enabled': 'false' }));
  expect(problems).toContainEqual(
    expect.objectContaining({ stack: 'inference-prod-endpoint', problem: 'export removed while inference-prod-audit imports it' }),
  );
  expect(problems.some((p) => p.resource.includes('DataCaptureBucket'))).toBe(true);
});

test('a model update keeps the endpoint (by name) and replaces only the model and its endpoint config', () => {
  const before = variant('prod');
  const after = variant('prod', { 'model.version': '1.1.0' });
  const diff = fullDiff(before.templates['inference-prod-endpoint'], after.templates['inference-prod-endpoint']);
  const impacts: Record<string, string> = {};
  diff.resources.forEachDifference((_id, change) => {
    if (change.changeImpact !== ResourceImpact.NO_CHANGE) impacts[`${change.newResourceType}`] = change.changeImpact;
  });
  expect(impacts['AWS::SageMaker::Endpoint']).toBe(ResourceImpact.WILL_UPDATE);
  expect(impacts['AWS::SageMaker::Model']).toBe(ResourceImpact.WILL_REPLACE);
  expect(impacts['AWS::SageMaker::EndpointConfig']).toBe(ResourceImpact.WILL_REPLACE);
});

describe('changes SageMaker refuses are refused at synth with their safe procedure', () => {
  // These refusals belong to config validation (lib/config/validate.ts, issue 12 item 4); the
  // service rules they encode: "Update a serverless endpoint" and "Update endpoints that use auto
  // scaling" (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
  const refusal = (overrides: Record<string, string>): ConfigError | undefined => {
    try {
      variant('prod', overrides);
      return undefined;
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
  };
  // What `npm run deploy` passes as `-c endpoint.previous` for the prod endpoint as deployed.
  const deployedProd = JSON.stringify(DEPLOYED_PROD_ENDPOINT);
  test('instance -> serverless on the deployed endpoint name is refused with the procedure', () => {
    const error = refusal({
      'endpoint.previous': deployedProd,
      'endpoint.capacity.mode': 'serverless',
      'endpoint.dataCapture.enabled': 'false',
      'endpoint.networkIsolation': 'false',
      'endpoint.deployment.type': 'all-at-once',
    });
    expect(error?.message).toMatch(/serverless/);
    expect(error?.message).toMatch(/model\.name/);
  });
  test('an instance-type change while the variant is registered for autoscaling is refused with the three deploys', () => {
    const error = refusal({ 'endpoint.previous': deployedProd, 'endpoint.capacity.instanceType': 'ml.c5.xlarge' });
    expect(error?.message).toMatch(/instanceType/);
    expect(error?.message).toMatch(/minInstanceCount/);
  });
  test('a model update keeps the scaled instance count: the endpoint retains its variant properties', () => {
    const after = variant('prod', { 'model.version': '1.1.0' });
    const endpoints = Object.values(after.templates).flatMap((t) =>
      Object.values((t as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }).Resources).filter(
        (r) => r.Type === 'AWS::SageMaker::Endpoint',
      ),
    );
    expect(endpoints).toHaveLength(1);
    expect(endpoints[0].Properties.RetainAllVariantProperties).toBe(true);
  });
  test('a serverless stage cannot turn on data capture or the VPC: refused with the setting to change', () => {
    const error = (() => {
      try {
        variant('dev', { 'endpoint.dataCapture.enabled': 'true', 'endpoint.dataCapture.samplingPercent': '10' });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems.join('\n')).toMatch(
      /endpoint\.dataCapture\.enabled: serverless endpoints do not support data capture/,
    );
    expect(refusal({})).toBeUndefined();
  });
});

test('a stage deployed with strong references migrates in two deploys, `both` then `weak`, without a deadlock; directly it deadlocks', () => {
  // "Migration from strong to weak: set to "both" and deploy, then set to "weak" and deploy again"
  // (aws-cdk-lib feature flag @aws-cdk/core:defaultCrossStackReferences).
  const flag = '@aws-cdk/core:defaultCrossStackReferences';
  const strong = variant('prod', { [flag]: 'strong' });
  const both = variant('prod', { [flag]: 'both' });
  const weak = variant('prod');
  expect(exportDeadlocks(strong, both)).toEqual([]);
  expect(exportDeadlocks(both, weak)).toEqual([]);
  expect(exportDeadlocks(strong, weak).length).toBeGreaterThan(0);
});
