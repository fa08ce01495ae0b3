import * as fs from 'fs';
import * as path from 'path';
import { CONTROL_RULES } from '../../../lib/constructs/acknowledge';
import { MIN_COMPLIANT_RETENTION_DAYS } from '../../../lib/constructs/stage-guardrails';
import { NAG_CONFIGURATIONS, SynthesizedApp, synthApp } from '../../harness/nag-stages';
import { GuardFinding, RULES_DIR, guardAcknowledgements, guardReport, resolveLikeDeploy, resolveTemplateLikeDeploy } from './run-guard';

/**
 * AWS Control Tower's proactive controls (AWS's own CloudFormation Guard rules) over every stack
 * of dev, prod, and prod with every option, as an account that enables them would check them
 * at deploy time (https://docs.aws.amazon.com/controltower/latest/controlreference/proactive-controls.html).
 * What a control asks is done in the stacks; what a stack does not do is acknowledged on its
 * resource with the reason (lib/constructs/acknowledge.ts, acknowledgeControl), and these tests
 * keep it that way: no finding left, no stale acknowledgement, prod relaxing nothing that dev
 * relaxes for cost.
 */
const synthesized: Record<string, SynthesizedApp> = {};
const raw: Record<string, GuardFinding[]> = {};
const remaining: Record<string, GuardFinding[]> = {};
beforeAll(() => {
  for (const [name, configuration] of Object.entries(NAG_CONFIGURATIONS)) {
    synthesized[name] = synthApp(configuration);
    ({ raw: raw[name], remaining: remaining[name] } = guardReport(synthesized[name]));
  }
});

const CONFIGURATIONS = Object.keys(NAG_CONFIGURATIONS);
const rule = (control: keyof typeof CONTROL_RULES): string => CONTROL_RULES[control];

describe.each(CONFIGURATIONS)('Control Tower proactive controls, %s', (name) => {
  test('every applicable control passes or is acknowledged on its resource', () => {
    expect(remaining[name]).toEqual([]);
  });

  test('every acknowledgement matches a finding of its own resource: none is stale', () => {
    const stale = guardAcknowledgements(synthesized[name])
      .filter((ack) => !raw[name].some((f) => f.rule === ack.rule && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))))
      .map((ack) => `${ack.path}: ${ack.rule}`);
    expect(stale).toEqual([]);
  });

  test('acknowledgements name their control and give a specific reason', () => {
    for (const ack of guardAcknowledgements(synthesized[name])) {
      const control = Object.entries(CONTROL_RULES).find(([, r]) => r === ack.rule)![0];
      expect(ack.reason.startsWith(`[${control}] `)).toBe(true);
      expect(ack.reason.length).toBeGreaterThanOrEqual(100);
      expect(ack.reason).not.toMatch(/not needed|not required|n\/a|false positive|todo/i);
    }
  });
});

describe('prod passes the controls the review found failing, without acknowledging them', () => {
  test.each(['prod', 'prod+api-key+vpc+waf+ci'])('%s', (name) => {
    const failing = raw[name].filter(
      (f) =>
        [
          rule('CT.CLOUDWATCH.PR.2'),
          rule('CT.CLOUDWATCH.PR.3'),
          rule('CT.KMS.PR.3'),
          rule('CT.LAMBDA.PR.2'),
          rule('CT.S3.PR.11'),
          rule('CT.DYNAMODB.PR.1'),
        ].includes(f.rule) ||
        // S3.PR.2 everywhere but on the access-log destination itself.
        (f.rule === rule('CT.S3.PR.2') && !f.path.includes('/AccessLogsBucket/')),
    );
    expect(failing).toEqual([]);
  });

  test('the only alarms without an action are the rollback alarms, which SageMaker acts on', () => {
    const alarms = raw.prod.filter((f) => f.rule === rule('CT.CLOUDWATCH.PR.1')).map((f) => f.path);
    expect(alarms).toEqual([
      'inference-prod-endpoint/ModelEndpoint/RollbackErrorRateAlarm/Resource',
      'inference-prod-endpoint/ModelEndpoint/RollbackLatencyAlarm/Resource',
    ]);
  });

  test("with network.vpc the pipeline's functions are in the VPC; only deploy-time functions stay outside", () => {
    const outside = raw['prod+api-key+vpc+waf+ci'].filter((f) => f.rule === rule('CT.LAMBDA.PR.3')).map((f) => f.path);
    expect(outside).toEqual([
      'inference-prod-data/Custom::VpcRestrictDefaultSGCustomResourceProvider/Handler',
      'inference-prod-endpoint/DeploymentRecorder/Resource/Resource',
    ]);
  });
});

test('dev relaxes only what costs money, log retention and point-in-time recovery, and says so', () => {
  const prodRules = new Set(raw.prod.map((f) => f.rule));
  const devOnly = [...new Set(raw.dev.map((f) => f.rule))].filter((r) => !prodRules.has(r)).sort();
  // The dev-only S3 auto-delete provider is a deploy-time function like prod's deployment recorder.
  expect(devOnly).toEqual([rule('CT.CLOUDWATCH.PR.2'), rule('CT.DYNAMODB.PR.1')].sort());
  const costAcks = guardAcknowledgements(synthesized.dev).filter((a) => devOnly.includes(a.rule));
  expect(costAcks.length).toBeGreaterThan(0);
  for (const ack of costAcks) expect(ack.reason).toMatch(/cost/);
  const retention = costAcks.filter((a) => a.rule === rule('CT.CLOUDWATCH.PR.2'));
  for (const ack of retention) expect(ack.reason).toContain('logRetentionDays=7');
  expect(synthesized.prod.config.logRetentionDays).toBeGreaterThanOrEqual(MIN_COMPLIANT_RETENTION_DAYS);
});

test("each control id names the Guard rule that implements it in AWS's rule set", () => {
  const files: string[] = [];
  const walk = (dir: string) =>
    fs
      .readdirSync(dir, { withFileTypes: true })
      .forEach((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : files.push(path.join(dir, e.name))));
  walk(RULES_DIR);
  for (const [control, ruleName] of Object.entries(CONTROL_RULES)) {
    const file = files.find((f) => fs.readFileSync(f, 'utf8').includes(`rule ${ruleName} when`));
    expect({ control, file: file && path.basename(file) }).toEqual({ control, file: `${control.toLowerCase().replace(/\./g, '-')}.guard` });
    expect(fs.readFileSync(file!, 'utf8')).toContain(`[${control}]`);
  }
});

describe('templates as a resource hook sees them', () => {
  test('every intrinsic resolves to a string, as CloudFormation resolves it before the hook runs', () => {
    const resolved = resolveLikeDeploy(
      {
        A: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':logs:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }]] },
        B: { 'Fn::GetStackOutput': { StackName: 'inference-prod-data', OutputName: 'PublishOutputKey' } },
        C: { 'Fn::GetAtt': ['Key', 'Arn'] },
        D: { 'Fn::Join': ['', [{ Ref: 'Api' }, '/', { Ref: 'AWS::Region' }]] },
        E: { 'Fn::Sub': 'arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*' },
        F: { Properties: { Nested: [{ Ref: 'AWS::StackName' }] } },
        G: { 'Fn::Join': ['', [{ 'Fn::GetAtt': ['Bucket', 'Arn'] }, '/*']] },
      },
      'inference-prod-api',
      { Bucket: 'AWS::S3::Bucket', Key: 'AWS::KMS::Key' },
    );
    expect(resolved).toEqual({
      A: 'arn:aws:logs:us-east-1:123456789012',
      B: 'resolved-at-deploy:inference-prod-data/PublishOutputKey',
      C: 'arn:aws:kms:us-east-1:123456789012:resolved-key',
      D: 'resolved:Api/us-east-1',
      E: 'arn:aws:execute-api:us-east-1:123456789012:resolved:Api/*',
      F: { Properties: { Nested: ['inference-prod-api'] } },
      G: 'arn:aws:s3:::resolved-bucket/*',
    });
  });

  test('the rules still see what a stack leaves out: a log group without a key is a finding', () => {
    expect(raw.prod.length).toBeGreaterThan(0);
    const template = resolveTemplateLikeDeploy(
      { Resources: { G: { Type: 'AWS::Logs::LogGroup', Properties: { RetentionInDays: 7 } } } },
      'x',
    );
    expect(template.Resources.G.Properties).toEqual({ RetentionInDays: 7 });
  });
});
