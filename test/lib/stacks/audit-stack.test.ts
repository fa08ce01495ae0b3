import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditEventDataStore } from '../../../lib/audit/audit-event-data-store';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { AuditStack } from '../../../lib/stacks/audit-stack';
import { PipelineFixtureStack, synthAudit } from '../../harness/audit-stack';

/** The data-event resource types CloudTrail documents for these resources (AdvancedFieldSelector). */
const DOCUMENTED_TYPES = ['AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::S3::Object'];
/** A cross-stack reference to an attribute of the fixture stack's resource, for template matchers... */
const imported = (pattern: string) => ({ 'Fn::ImportValue': Match.stringLikeRegexp(`^PipelineFixture:ExportsOutputFnGetAtt${pattern}[0-9A-F]{8}Arn`) });
/** ...and for plain jest expectations. */
const importedArn = (pattern: string) => ({ 'Fn::ImportValue': expect.stringMatching(new RegExp(`^PipelineFixture:ExportsOutputFnGetAtt${pattern}[0-9A-F]{8}Arn`)) });

const eventDataStore = (template: Template) => Object.values(template.findResources('AWS::CloudTrail::EventDataStore'))[0];

describe('audit stack, dev', () => {
  const { template } = synthAudit('dev');

  test('one event data store: write-only management events and data events scoped to the pipeline by ARN', () => {
    template.resourceCountIs('AWS::CloudTrail::EventDataStore', 1);
    expect(eventDataStore(template).Properties.AdvancedEventSelectors).toEqual([
      {
        Name: 'Management events, write only',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Management'] },
          { Field: 'readOnly', Equals: ['false'] },
        ],
      },
      {
        Name: 'Inference table items',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::DynamoDB::Table'] },
          { Field: 'resources.ARN', Equals: [expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/^PipelineFixture:ExportsOutputFnGetAttTable\w+Arn/) })] },
        ],
      },
      {
        Name: 'Pipeline function invocations',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] },
          { Field: 'resources.ARN', Equals: [expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/^PipelineFixture:ExportsOutputFnGetAttPredict\w+Arn/) })] },
        ],
      },
      {
        Name: 'Pipeline bucket objects',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          // Every object of the bucket: its ARN plus the trailing slash, as CloudTrail documents.
          { Field: 'resources.ARN', StartsWith: [{ 'Fn::Join': ['', [expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Payloads\w+Arn/) }), '/']] }] },
        ],
      },
    ]);
    template.hasResourceProperties('AWS::CloudTrail::EventDataStore', {
      AdvancedEventSelectors: Match.arrayWith([Match.objectLike({ FieldSelectors: Match.arrayWith([{ Field: 'resources.ARN', Equals: [imported('Table')] }]) })]),
    });
  });

  test('every selector names a documented data-event type, at most one per selector, and at most five selectors', () => {
    const selectors = eventDataStore(template).Properties.AdvancedEventSelectors as { FieldSelectors: { Field: string; Equals?: string[] }[] }[];
    expect(selectors.length).toBeLessThanOrEqual(5);
    for (const selector of selectors) {
      const types = selector.FieldSelectors.filter((f) => f.Field === 'resources.type');
      expect(types.length).toBeLessThanOrEqual(1);
      for (const type of types) expect(DOCUMENTED_TYPES).toEqual(expect.arrayContaining(type.Equals!));
    }
  });

  test('7-day retention, no termination protection, single region, not organization-wide, deleted with the stack', () => {
    template.hasResource('AWS::CloudTrail::EventDataStore', {
      Properties: {
        Name: 'inference-dev-audit',
        RetentionPeriod: 7,
        BillingMode: 'EXTENDABLE_RETENTION_PRICING',
        TerminationProtectionEnabled: false,
        MultiRegionEnabled: false,
        OrganizationEnabled: false,
        IngestionEnabled: true,
        KmsKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventDataStoreKey'), 'Arn'] },
      },
      DeletionPolicy: 'Delete',
      DependsOn: [Match.stringLikeRegexp('^EventDataStoreKey')],
    });
  });

  test('a customer-managed key with rotation, which CloudTrail may use (the documented statements, no SourceArn)', () => {
    template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: 'CloudTrailLakeEncryptsAndDecryptsEvents',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
            Resource: '*',
          },
          { Sid: 'CloudTrailDescribesTheKey', Effect: 'Allow', Principal: { Service: 'cloudtrail.amazonaws.com' }, Action: 'kms:DescribeKey', Resource: '*' },
        ]),
      },
    });
    // CloudTrail refuses aws:SourceArn / aws:SourceAccount on event data store keys.
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toMatch(/aws:Source(Arn|Account)/);
  });

  test('outputs the store ARN, the id queries name in FROM, and the key; no workspace by default', () => {
    template.hasOutput('EventDataStoreArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventDataStore'), 'EventDataStoreArn'] } });
    template.hasOutput('EventDataStoreId', { Value: { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': [Match.anyValue(), 'EventDataStoreArn'] }] }] } });
    template.hasOutput('EventDataStoreKeyArn', {});
    template.resourceCountIs('AWS::SageMaker::NotebookInstance', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });
});

describe('audit stack, prod', () => {
  const { template } = synthAudit('prod');

  test('all management events, 365-day retention, termination protection, multi-region, retained with its key', () => {
    const props = eventDataStore(template).Properties;
    expect(props.AdvancedEventSelectors[0]).toEqual({ Name: 'Management events, read and write', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] });
    expect(props).toMatchObject({ Name: 'inference-prod-audit', RetentionPeriod: 365, TerminationProtectionEnabled: true, MultiRegionEnabled: true, OrganizationEnabled: false });
    template.hasResource('AWS::CloudTrail::EventDataStore', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('audit stack options from configuration', () => {
  test('organization-wide, without data events, 3653 days', () => {
    const { template } = synthAudit('dev', { 'audit.organization': 'true', 'audit.multiRegion': 'true', 'audit.dataEvents': 'false', 'audit.retentionDays': '3653' });
    const props = eventDataStore(template).Properties;
    expect(props).toMatchObject({ OrganizationEnabled: true, MultiRegionEnabled: true, RetentionPeriod: 3653 });
    expect(props.AdvancedEventSelectors.map((s: { Name: string }) => s.Name)).toEqual(['Management events, write only']);
  });

  test('refuses a stage with audit disabled, and bad retention or organization settings on the construct', () => {
    const app = new App();
    const fixture = new PipelineFixtureStack(app, 'eu-west-1');
    const config = resolveStageConfig({ stage: 'dev', 'audit.enabled': 'false' });
    expect(() => new AuditStack(app, 'Off', { config, table: fixture.table, functions: [], buckets: [], roles: [], endpointName: 'e' })).toThrow(
      'audit stack of stage dev: audit.enabled is false, do not create the stack',
    );
    const stack = new Stack(app, 'Bare');
    expect(() => new AuditEventDataStore(stack, 'A', { retentionDays: 5 })).toThrow('event data store retention must be a whole number of days from 7 to 3653, got 5');
    expect(() => new AuditEventDataStore(stack, 'B', { organization: true })).toThrow('an organization event data store must also be multi-region');
    expect(() => new AuditEventDataStore(stack, 'C', { eventDataStoreName: 'a b' })).toThrow("event data store name must be 3 to 128 letters, digits, '.', '_' or '-', got 'a b'");
  });
});

describe('responder workspace', () => {
  const { template, stack } = synthAudit('prod', { 'audit.responderWorkspace.enabled': 'true' });

  test('a small notebook instance, encrypted, in an isolated subnet, no direct internet, no root', () => {
    template.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      NotebookInstanceName: 'inference-prod-responder',
      InstanceType: 'ml.t3.medium',
      DirectInternetAccess: 'Disabled',
      RootAccess: 'Disabled',
      KmsKeyId: { Ref: Match.stringLikeRegexp('^ResponderWorkspaceVolumeKey') },
      SubnetId: { Ref: Match.stringLikeRegexp('^ResponderWorkspaceVpcisolatedSubnet1') },
      LifecycleConfigName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ResponderWorkspaceLoadRunbook'), 'NotebookInstanceLifecycleConfigName'] },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
  });

  test('reaches AWS only through endpoints: CloudTrail, Lambda, S3 (IAM only in us-east-1; API Gateway management has none)', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(services.map((s) => s.match(/\.(cloudtrail|apigateway|lambda|s3|iam)"/)?.[1]).sort()).toEqual(['cloudtrail', 'lambda', 's3']);
    const east = synthAudit('dev', { 'audit.responderWorkspace.enabled': 'true' }, 'us-east-1').template;
    expect(Object.values(east.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName)).join()).toContain('com.amazonaws.iam');
  });

  test('the lifecycle configuration loads the runbook notebook and the pipeline names it reads', () => {
    const config = Object.values(template.findResources('AWS::SageMaker::NotebookInstanceLifecycleConfig'))[0];
    const script = JSON.stringify(config.Properties.OnStart[0].Content['Fn::Base64']);
    expect(script).toMatch(/aws s3 cp s3:\/\/cdk-hnb659fds-assets-111122223333-eu-west-1\/\w+\.ipynb incident-runbook-\w{8}\.ipynb --region eu-west-1/);
    expect(script).toContain("cat > runbook-targets.json <<'TARGETS'");
    expect(script).toContain('\\"prefix\\":\\"inference-prod\\"');
    expect(script).toContain('chown ec2-user:ec2-user');
  });

  test('its role may query this store and contain the pipeline by name, and nothing else', () => {
    const role = Object.keys(template.findResources('AWS::IAM::Role', { Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'sagemaker.amazonaws.com' } }] } } }));
    expect(role).toHaveLength(1);
    const statements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(role[0]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    const allowed: Record<string, string[]> = {};
    for (const s of statements) allowed[s.Sid ?? 'QueryEventDataStore'] = [s.Action].flat();
    expect(allowed).toEqual({
      QueryEventDataStore: ['cloudtrail:StartQuery', 'cloudtrail:DescribeQuery', 'cloudtrail:GetQueryResults', 'cloudtrail:CancelQuery'],
      UseEventDataStoreKeyThroughCloudTrail: ['kms:Decrypt', 'kms:GenerateDataKey'],
      ReadApiStages: ['apigateway:GET'],
      ThrottleApiStages: ['apigateway:PATCH'],
      DisableApiKeys: ['apigateway:GET', 'apigateway:PATCH'],
      StopFunctions: ['lambda:GetFunctionConfiguration', 'lambda:GetFunctionConcurrency', 'lambda:PutFunctionConcurrency', 'lambda:DeleteFunctionConcurrency'],
      DetachRolePolicies: ['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy'],
      ReattachPipelinePolicies: ['iam:AttachRolePolicy'],
      ReadRunbookNotebook: ['s3:GetObject'],
    });
    const bySid = (sid: string) => statements.find((s) => (s.Sid ?? 'QueryEventDataStore') === sid);
    expect(bySid('QueryEventDataStore').Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^EventDataStore[A-F0-9]{8}$/), 'EventDataStoreArn'] });
    expect(bySid('UseEventDataStoreKeyThroughCloudTrail').Condition).toEqual({ StringEquals: { 'kms:ViaService': 'cloudtrail.eu-west-1.amazonaws.com' } });
    // The API's one deployed stage, not every stage.
    expect(JSON.stringify(bySid('ThrottleApiStages').Resource)).toMatch(/"\/stages\/",\{"Fn::ImportValue":"PipelineFixture:ExportsOutputRefApiDeploymentStagedev\w+"\}\]\]\}$/);
    expect(bySid('StopFunctions').Resource).toEqual(importedArn('Predict'));
    expect(bySid('DetachRolePolicies').Resource).toEqual(importedArn('PredictRole'));
    expect(JSON.stringify(bySid('ReattachPipelinePolicies').Condition)).toContain(':iam::111122223333:policy/inference-prod*');
    // No statement may act on every resource.
    for (const s of statements) expect([s.Resource].flat()).not.toContain('*');
    void stack;
  });

  test('passes the AwsSolutions cdk-nag pack without acknowledgements', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack) as { success: boolean; violations: unknown[] };
    expect(report.violations).toEqual([]);
  });
});
