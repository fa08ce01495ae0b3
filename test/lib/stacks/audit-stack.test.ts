import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AuditEventDataStore } from '../../../lib/audit/audit-event-data-store';
import { AuditTrail } from '../../../lib/audit/audit-trail';
import { TRAIL_COLUMNS } from '../../../lib/audit/cloudtrail-schema';
import { TrailQueryTable } from '../../../lib/audit/trail-query-table';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { AuditStack } from '../../../lib/stacks/audit-stack';
import { PipelineFixtureStack, synthAudit } from '../../harness/audit-stack';

/** The data-event resource types CloudTrail documents for these resources (AdvancedFieldSelector). */
const DOCUMENTED_TYPES = ['AWS::DynamoDB::Table', 'AWS::Lambda::Function', 'AWS::S3::Object'];
/** A cross-stack reference to an attribute of the fixture stack's resource, for template matchers... */
const imported = (pattern: string) => ({
  'Fn::ImportValue': Match.stringLikeRegexp(`^PipelineFixture:ExportsOutputFnGetAtt${pattern}[0-9A-F]{8}Arn`),
});
/** ...and for plain jest expectations. */
const importedArn = (pattern: string) => ({
  'Fn::ImportValue': expect.stringMatching(new RegExp(`^PipelineFixture:ExportsOutputFnGetAtt${pattern}[0-9A-F]{8}Arn`)),
});

/** The Lake backend, as an account that had CloudTrail Lake before 2026-05-31 sets it. */
const LAKE = { 'audit.backend': 'lake', 'audit.excludeServiceRoleDataEvents': 'false' } as const;

const eventDataStore = (template: Template) => Object.values(template.findResources('AWS::CloudTrail::EventDataStore'))[0];

describe('audit stack, lake backend, dev', () => {
  const { template } = synthAudit('dev', LAKE);

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
          {
            Field: 'resources.ARN',
            Equals: [
              expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/^PipelineFixture:ExportsOutputFnGetAttTable\w+Arn/) }),
            ],
          },
        ],
      },
      {
        Name: 'Pipeline function invocations',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::Lambda::Function'] },
          {
            Field: 'resources.ARN',
            Equals: [
              expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/^PipelineFixture:ExportsOutputFnGetAttPredict\w+Arn/) }),
            ],
          },
        ],
      },
      {
        Name: 'Pipeline bucket objects',
        FieldSelectors: [
          { Field: 'eventCategory', Equals: ['Data'] },
          { Field: 'resources.type', Equals: ['AWS::S3::Object'] },
          // Every object of the bucket: its ARN plus the trailing slash, as CloudTrail documents.
          {
            Field: 'resources.ARN',
            StartsWith: [
              { 'Fn::Join': ['', [expect.objectContaining({ 'Fn::ImportValue': expect.stringMatching(/Payloads\w+Arn/) }), '/']] },
            ],
          },
        ],
      },
    ]);
    template.hasResourceProperties('AWS::CloudTrail::EventDataStore', {
      AdvancedEventSelectors: Match.arrayWith([
        Match.objectLike({ FieldSelectors: Match.arrayWith([{ Field: 'resources.ARN', Equals: [imported('Table')] }]) }),
      ]),
    });
  });

  test('every selector names a documented data-event type, at most one per selector, and at most five selectors', () => {
    const selectors = eventDataStore(template).Properties.AdvancedEventSelectors as {
      FieldSelectors: { Field: string; Equals?: string[] }[];
    }[];
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
          {
            Sid: 'CloudTrailDescribesTheKey',
            Effect: 'Allow',
            Principal: { Service: 'cloudtrail.amazonaws.com' },
            Action: 'kms:DescribeKey',
            Resource: '*',
          },
        ]),
      },
    });
    // CloudTrail refuses aws:SourceArn / aws:SourceAccount on event data store keys.
    expect(JSON.stringify(template.findResources('AWS::KMS::Key'))).not.toMatch(/aws:Source(Arn|Account)/);
  });

  test('outputs the store ARN, the id queries name in FROM, and the key; no workspace by default', () => {
    template.hasOutput('EventDataStoreArn', { Value: { 'Fn::GetAtt': [Match.stringLikeRegexp('^EventDataStore'), 'EventDataStoreArn'] } });
    template.hasOutput('EventDataStoreId', {
      Value: { 'Fn::Select': [1, { 'Fn::Split': ['/', { 'Fn::GetAtt': [Match.anyValue(), 'EventDataStoreArn'] }] }] },
    });
    template.hasOutput('EventDataStoreKeyArn', {});
    template.resourceCountIs('AWS::SageMaker::NotebookInstance', 0);
    template.resourceCountIs('AWS::EC2::VPC', 0);
  });
});

describe('audit stack, lake backend, prod', () => {
  const { template } = synthAudit('prod', LAKE);

  test('all management events, 365-day retention, termination protection, multi-region, retained with its key', () => {
    const props = eventDataStore(template).Properties;
    expect(props.AdvancedEventSelectors[0]).toEqual({
      Name: 'Management events, read and write',
      FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }],
    });
    expect(props).toMatchObject({
      Name: 'inference-prod-audit',
      RetentionPeriod: 365,
      TerminationProtectionEnabled: true,
      MultiRegionEnabled: true,
      OrganizationEnabled: false,
    });
    template.hasResource('AWS::CloudTrail::EventDataStore', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    template.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });
});

describe('audit stack options from configuration', () => {
  test('organization-wide, without data events, 3653 days', () => {
    const { template } = synthAudit('dev', {
      ...LAKE,
      'audit.organization': 'true',
      'audit.multiRegion': 'true',
      'audit.dataEvents': 'false',
      'audit.retentionDays': '3653',
    });
    const props = eventDataStore(template).Properties;
    expect(props).toMatchObject({ OrganizationEnabled: true, MultiRegionEnabled: true, RetentionPeriod: 3653 });
    expect(props.AdvancedEventSelectors.map((s: { Name: string }) => s.Name)).toEqual(['Management events, write only']);
  });

  test('refuses a stage with audit disabled, and bad retention or organization settings on the construct', () => {
    const app = new App();
    const fixture = new PipelineFixtureStack(app, 'eu-west-1');
    const config = resolveStageConfig({ stage: 'dev', 'audit.enabled': 'false' });
    expect(
      () =>
        new AuditStack(app, 'Off', {
          prefix: 'inference-dev',
          stage: config.stage,
          audit: config.audit,
          logRetentionDays: config.logRetentionDays,
          table: fixture.table,
          functions: [],
          buckets: [],
          roles: [],
          endpoint: fixture.endpoint,
        }),
    ).toThrow('audit stack of stage dev: audit.enabled is false, do not create the stack');
    const stack = new Stack(app, 'Bare');
    expect(() => new AuditEventDataStore(stack, 'A', { retentionDays: 5 })).toThrow(
      'event data store retention must be a whole number of days from 7 to 3653, got 5',
    );
    expect(() => new AuditEventDataStore(stack, 'B', { organization: true })).toThrow(
      'an organization event data store must also be multi-region',
    );
    expect(() => new AuditEventDataStore(stack, 'C', { eventDataStoreName: 'a b' })).toThrow(
      "event data store name must be 3 to 128 letters, digits, '.', '_' or '-', got 'a b'",
    );
  });
});

describe('responder workspace, lake backend', () => {
  const { template, stack } = synthAudit('prod', { ...LAKE, 'audit.responderWorkspace.enabled': 'true' });

  test('a small notebook instance, encrypted, in an isolated subnet, no direct internet, no root', () => {
    template.hasResourceProperties('AWS::SageMaker::NotebookInstance', {
      NotebookInstanceName: 'inference-prod-responder',
      InstanceType: 'ml.t3.medium',
      DirectInternetAccess: 'Disabled',
      RootAccess: 'Disabled',
      KmsKeyId: { Ref: Match.stringLikeRegexp('^ResponderWorkspaceVolumeKey') },
      SubnetId: { Ref: Match.stringLikeRegexp('^ResponderWorkspaceVpcisolatedSubnet1') },
      LifecycleConfigName: {
        'Fn::GetAtt': [Match.stringLikeRegexp('^ResponderWorkspaceLoadRunbook'), 'NotebookInstanceLifecycleConfigName'],
      },
    });
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
  });

  test('reaches AWS only through endpoints: CloudTrail, Lambda, Logs, S3 (IAM only in us-east-1; API Gateway management has none)', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(services.map((s) => s.match(/\.(cloudtrail|athena|apigateway|lambda|logs|s3|iam)"/)?.[1]).sort()).toEqual([
      'cloudtrail',
      'lambda',
      'logs',
      's3',
    ]);
    const east = synthAudit('dev', { ...LAKE, 'audit.responderWorkspace.enabled': 'true' }, 'us-east-1').template;
    expect(
      Object.values(east.findResources('AWS::EC2::VPCEndpoint'))
        .map((e) => JSON.stringify(e.Properties.ServiceName))
        .join(),
    ).toContain('com.amazonaws.iam');
  });

  test('the lifecycle configuration loads the runbook notebook and the pipeline names it reads', () => {
    const config = Object.values(template.findResources('AWS::SageMaker::NotebookInstanceLifecycleConfig'))[0];
    const script = JSON.stringify(config.Properties.OnStart[0].Content['Fn::Base64']);
    expect(script).toMatch(
      /aws s3 cp s3:\/\/cdk-hnb659fds-assets-111122223333-eu-west-1\/\w+\.ipynb incident-runbook-\w{8}\.ipynb --region eu-west-1/,
    );
    expect(script).toContain("cat > runbook-targets.json <<'TARGETS'");
    expect(script).toContain('\\"prefix\\":\\"inference-prod\\"');
    expect(script).toContain('chown ec2-user:ec2-user');
  });

  test('its role may query this store and contain the pipeline by name, and nothing else', () => {
    const role = Object.keys(
      template.findResources('AWS::IAM::Role', {
        Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'sagemaker.amazonaws.com' } }] } },
      }),
    );
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
      StopFunctions: [
        'lambda:GetFunctionConfiguration',
        'lambda:GetFunctionConcurrency',
        'lambda:PutFunctionConcurrency',
        'lambda:DeleteFunctionConcurrency',
      ],
      DetachRolePolicies: ['iam:ListAttachedRolePolicies', 'iam:DetachRolePolicy'],
      ReattachPipelinePolicies: ['iam:AttachRolePolicy'],
      ReadRunbookNotebook: ['s3:GetObject'],
      CreateLifecycleLogGroup: ['logs:CreateLogGroup', 'logs:DescribeLogStreams'],
      WriteLifecycleLogs: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    });
    const bySid = (sid: string) => statements.find((s) => (s.Sid ?? 'QueryEventDataStore') === sid);
    expect(bySid('QueryEventDataStore').Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(/^EventDataStore[A-F0-9]{8}$/), 'EventDataStoreArn'],
    });
    expect(bySid('UseEventDataStoreKeyThroughCloudTrail').Condition).toEqual({
      StringEquals: { 'kms:ViaService': 'cloudtrail.eu-west-1.amazonaws.com' },
    });
    // The API's one deployed stage, not every stage.
    expect(JSON.stringify(bySid('ThrottleApiStages').Resource)).toMatch(
      /"\/stages\/",\{"Fn::ImportValue":"PipelineFixture:ExportsOutputRefApiDeploymentStagedev\w+"\}\]\]\}$/,
    );
    expect(bySid('StopFunctions').Resource).toEqual(importedArn('Predict'));
    expect(bySid('DetachRolePolicies').Resource).toEqual(importedArn('PredictRole'));
    expect(JSON.stringify(bySid('ReattachPipelinePolicies').Condition)).toContain(':iam::111122223333:policy/inference-prod*');
    // Its own lifecycle log streams only.
    expect(JSON.stringify(bySid('WriteLifecycleLogs').Resource)).toContain(
      ':log-group:/aws/sagemaker/NotebookInstances:log-stream:inference-prod-responder/LifecycleConfigOnStart',
    );
    // No statement may act on every resource.
    for (const s of statements) expect([s.Resource].flat()).not.toContain('*');
    void stack;
  });

  test('passes the AwsSolutions cdk-nag pack without acknowledgements', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack) as { success: boolean; violations: unknown[] };
    expect(report.violations).toEqual([]);
  });
});

const trailOf = (template: Template) => Object.values(template.findResources('AWS::CloudTrail::Trail'))[0];
/** ARNs name the partition by reference (the stack is partition-agnostic). */
const inPartition = (rest: string) => ({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, rest]] });
const TRAIL_ARN_DEV = inPartition(':cloudtrail:eu-west-1:111122223333:trail/inference-dev-audit');

describe('audit stack, trail backend (the default), dev', () => {
  const { template, stack } = synthAudit('dev');

  test('a new account gets a trail, not an event data store (CloudTrail Lake is closed to new customers)', () => {
    template.resourceCountIs('AWS::CloudTrail::EventDataStore', 0);
    template.resourceCountIs('AWS::CloudTrail::Trail', 1);
    expect(trailOf(template).Properties).toMatchObject({
      TrailName: 'inference-dev-audit',
      IsLogging: true,
      EnableLogFileValidation: true,
      IncludeGlobalServiceEvents: true,
      IsMultiRegionTrail: false,
      KMSKeyId: { 'Fn::GetAtt': [expect.stringMatching(/^TrailKey/), 'Arn'] },
      S3BucketName: { Ref: expect.stringMatching(/^TrailBucket/) },
    });
    // CloudTrail validates the bucket policy and the key when it creates the trail.
    expect(trailOf(template).DependsOn).toEqual(
      expect.arrayContaining([expect.stringMatching(/^TrailBucketPolicy/), expect.stringMatching(/^TrailKey/)]),
    );
  });

  test("the trail's selectors are the event data store's, for the same settings", () => {
    const settings = { 'audit.excludeServiceRoleDataEvents': 'false' };
    const trail = trailOf(synthAudit('dev', settings).template).Properties.AdvancedEventSelectors;
    const lake = eventDataStore(synthAudit('dev', { ...settings, 'audit.backend': 'lake' }).template).Properties.AdvancedEventSelectors;
    expect(trail).toEqual(lake);
    expect(trail.map((s: { Name: string }) => s.Name)).toEqual([
      'Management events, write only',
      'Inference table items',
      'Pipeline function invocations',
      'Pipeline bucket objects',
    ]);
  });

  test("dev leaves the pipeline's own roles out of the data events (userIdentity.arn NotStartsWith the role's sessions), never out of management events", () => {
    const selectors = trailOf(template).Properties.AdvancedEventSelectors as {
      Name: string;
      FieldSelectors: { Field: string; NotStartsWith?: unknown[] }[];
    }[];
    const excluded = (s: (typeof selectors)[number]) => s.FieldSelectors.find((f) => f.Field === 'userIdentity.arn');
    expect(excluded(selectors[0])).toBeUndefined();
    for (const selector of selectors.slice(1)) {
      expect(excluded(selector)).toEqual({
        Field: 'userIdentity.arn',
        NotStartsWith: [
          {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':sts::111122223333:assumed-role/',
                { 'Fn::ImportValue': expect.stringMatching(/^PipelineFixture:ExportsOutputRefPredictRole/) },
                '/',
              ],
            ],
          },
        ],
      });
    }
    // prod records every caller: a stolen function session must leave data events behind.
    const prod = trailOf(synthAudit('prod').template).Properties.AdvancedEventSelectors;
    expect(JSON.stringify(prod)).not.toContain('userIdentity.arn');
  });

  test('log bucket: KMS with the trail key, versioned, Object Lock default retention of audit.retentionDays in GOVERNANCE mode (dev), retained', () => {
    template.hasResource('AWS::S3::Bucket', {
      Properties: {
        VersioningConfiguration: { Status: 'Enabled' },
        ObjectLockEnabled: true,
        ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 7 } } },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: 'aws:kms',
                KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^TrailKey'), 'Arn'] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7, NoncurrentVersionExpiration: { NoncurrentDays: 1 } })] },
      },
      DeletionPolicy: 'Retain',
    });
    const prod = synthAudit('prod').template;
    prod.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 365 } } },
    });
    expect(trailOf(prod).Properties.IsMultiRegionTrail).toBe(true);
  });

  test('bucket policy: CloudTrail may check the ACL and write under AWSLogs/<account>/, only for this trail (aws:SourceArn)', () => {
    const policy = Object.values(template.findResources('AWS::S3::BucketPolicy')).find((p) => JSON.stringify(p).includes('TrailBucket'))!;
    const statements = policy.Properties.PolicyDocument.Statement as Record<string, any>[];
    const acl = statements.find((s) => s.Sid === 'AWSCloudTrailAclCheck')!;
    const write = statements.find((s) => s.Sid === 'AWSCloudTrailWrite')!;
    expect(acl).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:GetBucketAcl',
      Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN_DEV } },
    });
    expect(write).toMatchObject({
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 's3:PutObject',
      Condition: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', 'aws:SourceArn': TRAIL_ARN_DEV } },
    });
    expect(JSON.stringify(write.Resource)).toContain('/AWSLogs/111122223333/*');
    // The ARN the policies name is the trail's own.
    expect(TRAIL_ARN_DEV['Fn::Join'][1][2]).toBe(`:cloudtrail:eu-west-1:111122223333:trail/${trailOf(template).Properties.TrailName}`);
  });

  test("key policy: CloudTrail may encrypt for this trail only, and describe and decrypt (the bucket's S3 Bucket Key)", () => {
    const key = Object.entries(template.findResources('AWS::KMS::Key')).find(([id]) => id.startsWith('TrailKey'))![1];
    const statements = key.Properties.KeyPolicy.Statement as Record<string, any>[];
    expect(statements.find((s) => s.Sid === 'AllowCloudTrailEncryptLogs')).toEqual({
      Sid: 'AllowCloudTrailEncryptLogs',
      Effect: 'Allow',
      Principal: { Service: 'cloudtrail.amazonaws.com' },
      Action: 'kms:GenerateDataKey*',
      Resource: '*',
      Condition: {
        StringEquals: { 'aws:SourceArn': TRAIL_ARN_DEV },
        StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': inPartition(':cloudtrail:*:111122223333:trail/*') },
      },
    });
    expect(statements.find((s) => s.Sid === 'AllowCloudTrailDescribeKeyAndDecrypt')).toMatchObject({
      Action: ['kms:DescribeKey', 'kms:Decrypt'],
      Condition: { StringEquals: { 'aws:SourceArn': TRAIL_ARN_DEV } },
    });
    template.hasResource('AWS::KMS::Key', {
      Properties: { EnableKeyRotation: true, Description: Match.stringLikeRegexp('trail inference-dev-audit') },
      DeletionPolicy: 'Retain',
    });
  });

  test("a Glue table in AWS's CloudTrail format over the trail's prefix, with partition projection (no crawler)", () => {
    const table = Object.values(template.findResources('AWS::Glue::Table'))[0].Properties;
    expect(table.DatabaseName).toBe('inference_dev_audit');
    const input = table.TableInput;
    expect(input).toMatchObject({
      Name: 'cloudtrail',
      TableType: 'EXTERNAL_TABLE',
      PartitionKeys: [
        { Name: 'region', Type: 'string' },
        { Name: 'timestamp', Type: 'string' },
      ],
    });
    expect(input.StorageDescriptor).toMatchObject({
      InputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
      OutputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
      SerdeInfo: { SerializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
    });
    expect(input.StorageDescriptor.Columns).toEqual(TRAIL_COLUMNS.map((c) => ({ Name: c.name, Type: c.type })));
    expect(input.Parameters).toMatchObject({
      'projection.enabled': 'true',
      'projection.region.type': 'enum',
      'projection.region.values': 'eu-west-1',
      'projection.timestamp.type': 'date',
      'projection.timestamp.format': 'yyyy/MM/dd',
      'projection.timestamp.range': '2020/01/01,NOW',
      'projection.timestamp.interval': '1',
      'projection.timestamp.interval.unit': 'DAYS',
    });
    const template_ = JSON.stringify(input.Parameters['storage.location.template']);
    expect(template_).toMatch(/"s3:\/\/",\{"Ref":"TrailBucket\w+"\},"\/AWSLogs\/111122223333\/CloudTrail\/\$\{region\}\/\$\{timestamp\}"/);
    template.resourceCountIs('AWS::Glue::Crawler', 0);
    // A multi-region trail files IAM and STS events under us-east-1: the table covers both.
    const prod = Object.values(synthAudit('prod').template.findResources('AWS::Glue::Table'))[0].Properties.TableInput;
    expect(prod.Parameters['projection.region.values']).toBe('eu-west-1,us-east-1');
  });

  test('the Glue columns follow AWS DDL types where AWS documents them', () => {
    const type = (name: string) => TRAIL_COLUMNS.find((c) => c.name === name)!.type;
    expect(type('eventtime')).toBe('string');
    expect(type('readonly')).toBe('string');
    expect(type('requestparameters')).toBe('string');
    expect(type('useridentity')).toMatch(
      /^struct<type:string,principalid:string,arn:string,accountid:string,accesskeyid:string,username:string,sessioncontext:struct<attributes:struct<creationdate:string,mfaauthenticated:string>,sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>/,
    );
    expect(type('resources')).toBe('array<struct<accountid:string,type:string,arn:string,arnprefix:string>>');
    expect(TRAIL_COLUMNS.map((c) => c.name)).not.toContain('eventjson');
  });

  test('an Athena workgroup that enforces its encrypted result location, a scan cutoff and engine 3; results expire', () => {
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'inference-dev-audit',
      RecursiveDeleteOption: true,
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1_024_000_000,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^QueryResultsBucket') }, '/results/']] },
          ExpectedBucketOwner: '111122223333',
          EncryptionConfiguration: {
            EncryptionOption: 'SSE_KMS',
            KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^QueryResultsKey'), 'Arn'] },
          },
        },
      },
    });
    template.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: Match.anyValue() } }),
        ],
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
    });
    const prod = synthAudit('prod', { 'audit.trail.bytesScannedCutoffPerQueryMb': '50' }).template;
    prod.hasResourceProperties('AWS::Athena::WorkGroup', {
      WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 50_000_000 }),
    });
    prod.hasResourceProperties('AWS::S3::Bucket', { LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 30 })] } });
  });

  test('a saved query creates the Lake-shaped view for the console; outputs name the workgroup, the table and the runbook command', () => {
    const saved = Object.values(template.findResources('AWS::Athena::NamedQuery'))[0].Properties;
    expect(saved.QueryString).toMatch(/^CREATE OR REPLACE VIEW lake_events AS SELECT .* FROM "inference_dev_audit"\."cloudtrail"$/s);
    expect(saved.WorkGroup).toBe('inference-dev-audit');
    template.hasOutput('AthenaWorkGroup', {
      Value: 'inference-dev-audit',
      Description: 'npm run runbook -- run QUERY --athena-workgroup inference-dev-audit --athena-table inference_dev_audit.cloudtrail',
    });
    template.hasOutput('AthenaTable', { Value: 'inference_dev_audit.cloudtrail' });
    template.hasOutput('TrailArn', {});
    template.hasOutput('TrailBucketName', {});
    expect(Object.keys(template.toJSON().Outputs)).not.toContain('EventDataStoreArn');
    void stack;
  });

  test('refuses bad trail settings, with messages that name the setting', () => {
    expect(() => resolveStageConfig({ stage: 'dev', 'audit.backend': 'loki' })).toThrow("audit.backend: must be trail or lake, got 'loki'");
    expect(() => resolveStageConfig({ stage: 'dev', 'audit.trail.bytesScannedCutoffPerQueryMb': '5' })).toThrow(
      'audit.trail.bytesScannedCutoffPerQueryMb: must be a whole number from 10 to 1048576 MB, got 5',
    );
    expect(() => resolveStageConfig({ stage: 'dev', 'audit.trail.objectLockMode': 'soft' })).toThrow(
      "audit.trail.objectLockMode: must be COMPLIANCE or GOVERNANCE, got 'soft'",
    );
    expect(() => resolveStageConfig({ stage: 'dev', 'audit.organization': 'true', 'audit.multiRegion': 'true' })).toThrow(
      'audit.organization: only the lake backend records the organization',
    );
    const stack = new Stack(new App(), 'Bare');
    expect(() => new AuditTrail(stack, 'T', { trailName: 'a b' })).toThrow(
      "trail name must be 3 to 128 letters, digits, '.', '_' or '-', got 'a b'",
    );
    const trail = new AuditTrail(stack, 'T2', { trailName: 'audit' });
    expect(() => new TrailQueryTable(stack, 'Q', { trail, databaseName: 'Bad-Name', workGroupName: 'w' })).toThrow(
      "glue database name must be lowercase letters, digits and underscores, got 'Bad-Name'",
    );
    expect(
      () => new TrailQueryTable(stack, 'Q2', { trail, databaseName: 'ok', workGroupName: 'w', bytesScannedCutoffPerQuery: 1_000 }),
    ).toThrow('bytes scanned cutoff per query must be a whole number of at least 10000000, got 1000');
  });
});

describe('responder workspace, trail backend', () => {
  const { template, stack } = synthAudit('prod', { 'audit.responderWorkspace.enabled': 'true' });
  const role = Object.keys(
    template.findResources('AWS::IAM::Role', {
      Properties: { AssumeRolePolicyDocument: { Statement: [{ Principal: { Service: 'sagemaker.amazonaws.com' } }] } },
    }),
  )[0];
  const statements = Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement) as Record<string, any>[];
  const bySid = (sid: string) => statements.find((s) => s.Sid === sid)!;

  test('reaches Athena (not CloudTrail), Lambda, Logs and S3 through endpoints', () => {
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) => JSON.stringify(e.Properties.ServiceName));
    expect(services.map((s) => s.match(/\.(cloudtrail|athena|glue|lambda|logs|s3|iam)"/)?.[1]).sort()).toEqual([
      'athena',
      'lambda',
      'logs',
      's3',
    ]);
  });

  test('its role may run queries in the audit workgroup on the trail table, read the results and the log files, nothing wider', () => {
    expect(bySid('RunAthenaQueriesInTheAuditWorkgroup')).toMatchObject({
      Action: [
        'athena:StartQueryExecution',
        'athena:GetQueryExecution',
        'athena:GetQueryResults',
        'athena:StopQueryExecution',
        'athena:GetWorkGroup',
      ],
    });
    expect(JSON.stringify(bySid('RunAthenaQueriesInTheAuditWorkgroup').Resource)).toContain(':workgroup/inference-prod-audit');
    const glue = JSON.stringify(bySid('ReadTheTrailTableDefinition').Resource);
    expect(glue).toContain(':catalog');
    expect(glue).toContain(':database/inference_prod_audit');
    expect(glue).toContain(':table/inference_prod_audit/cloudtrail');
    expect(bySid('ReadTheTrailTableDefinition').Action).toEqual(['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions']);
    expect(JSON.stringify(bySid('QueryResultObjects').Resource)).toMatch(/QueryResultsBucket\w+","Arn"\]\},"\/results\/\*"/);
    expect(bySid('UseResultsKeyThroughS3').Condition).toEqual({ StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } });
    expect(JSON.stringify(bySid('ReadTrailLogs').Resource)).toContain('/AWSLogs/111122223333/*');
    expect(bySid('DecryptTrailLogsThroughS3')).toMatchObject({
      Action: 'kms:Decrypt',
      Condition: { StringEquals: { 'kms:ViaService': 's3.eu-west-1.amazonaws.com' } },
    });
    expect(statements.some((s) => JSON.stringify(s.Action).includes('cloudtrail:'))).toBe(false);
    for (const s of statements) expect([s.Resource].flat()).not.toContain('*');
  });

  test('the notebook learns the backend and the Athena names from runbook-targets.json', () => {
    const config = Object.values(template.findResources('AWS::SageMaker::NotebookInstanceLifecycleConfig'))[0];
    const script = JSON.stringify(config.Properties.OnStart[0].Content['Fn::Base64']);
    expect(script).toContain('\\"backend\\":\\"athena\\"');
    expect(script).toContain(
      '\\"athenaWorkGroup\\":\\"inference-prod-audit\\",\\"athenaDatabase\\":\\"inference_prod_audit\\",\\"athenaTable\\":\\"cloudtrail\\"',
    );
    expect(script).toContain('trap ');
  });

  test('passes the AwsSolutions cdk-nag pack (the two log buckets acknowledged with reasons)', () => {
    const report = new AwsSolutionsChecks(stack).validateScope(stack) as { success: boolean; violations: { ruleName: string }[] };
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('the lake backend template is pinned', () => {
  // The Lake construct and its ids are unchanged by the trail backend: this snapshot is the
  // template an existing Lake deployment keeps (checked against the template before the trail
  // backend existed: identical without the workspace; with it, only the Logs endpoint and grant,
  // the notebook file and the backend in runbook-targets.json differ).
  test.each(['dev', 'prod'])('%s', (stage) => {
    expect(synthAudit(stage, LAKE).template.toJSON()).toMatchSnapshot();
  });
});
