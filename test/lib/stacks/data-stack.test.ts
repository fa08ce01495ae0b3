import { Match } from 'aws-cdk-lib/assertions';
import { INDEXES, TABLE_DEFINITION, TABLE_KEYS } from '../../../contract/table-design';
import { synthStage } from '../../harness/synth';

describe('metadata table', () => {
  const dev = synthStage('dev').data;
  const prod = synthStage('prod').data;

  test('has the key schema and indexes of the shared table design', () => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'inference-dev-inferences',
      KeySchema: TABLE_DEFINITION.KeySchema,
      AttributeDefinitions: Match.arrayWith(TABLE_DEFINITION.AttributeDefinitions.map((a) => Match.objectLike(a))),
      GlobalSecondaryIndexes: Object.values(INDEXES).map((i) =>
        Match.objectLike({
          IndexName: i.name,
          KeySchema: [
            { AttributeName: i.partitionKey, KeyType: 'HASH' },
            { AttributeName: i.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        }),
      ),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
    });
  });

  test('is encrypted with the stage key', () => {
    dev.hasResourceProperties('AWS::DynamoDB::Table', {
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] } },
    });
    dev.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
  });

  test('prod keeps its data: PITR, deletion protection, retained on stack delete', () => {
    prod.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        DeletionProtectionEnabled: true,
      }),
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    prod.hasResource('AWS::KMS::Key', { DeletionPolicy: 'Retain' });
  });

  test('dev is disposable: no PITR, no deletion protection, deleted with the stack', () => {
    dev.hasResource('AWS::DynamoDB::Table', {
      Properties: Match.objectLike({
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: false },
        DeletionProtectionEnabled: false,
      }),
      DeletionPolicy: 'Delete',
    });
  });

  test('payload bucket is private, KMS-encrypted, TLS-only and expires objects with their records', () => {
    dev.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          {
            ServerSideEncryptionByDefault: {
              SSEAlgorithm: 'aws:kms',
              KMSMasterKeyID: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] },
            },
            BucketKeyEnabled: true,
          },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 9, Status: 'Enabled' })] },
    });
    dev.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
      },
    });
  });

  test("S3 server access logs of the pipeline buckets go to a private, TLS-only log bucket that only this account's buckets may write", () => {
    const buckets = dev.findResources('AWS::S3::Bucket');
    const [logsId, logs] = Object.entries(buckets).find(([id]) => id.startsWith('AccessLogsBucket'))!;
    // Server access log delivery supports SSE-S3 only.
    expect(logs.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'AES256',
    });
    expect(logs.Properties.LifecycleConfiguration.Rules).toEqual([expect.objectContaining({ ExpirationInDays: 7 })]);
    const payload = Object.entries(buckets).find(([id]) => id.startsWith('PayloadBucket'))![1];
    expect(payload.Properties.LoggingConfiguration).toEqual({ DestinationBucketName: { Ref: logsId }, LogFilePrefix: 'payload-bucket/' });
    const policy = Object.values(dev.findResources('AWS::S3::BucketPolicy')).find((p) => p.Properties.Bucket.Ref === logsId)!;
    const deliveries = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Principal?.Service === 'logging.s3.amazonaws.com');
    expect(deliveries).toHaveLength(2);
    for (const s of deliveries) {
      expect(s).toMatchObject({
        Effect: 'Allow',
        Action: 's3:PutObject',
        Condition: expect.objectContaining({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
      });
    }
    expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });
});

describe('stage key and Control Tower controls', () => {
  const prod = synthStage('prod');

  test("CloudWatch Logs may use the stage key only for this account and region's log groups", () => {
    // "Encrypt log data in CloudWatch Logs using AWS Key Management Service":
    // https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
    const key = Object.values(prod.data.findResources('AWS::KMS::Key'))[0];
    const statement = key.Properties.KeyPolicy.Statement.find((s: any) => s.Sid === 'CloudWatchLogsEncryptsThisAccountsLogGroups');
    expect(statement.Principal).toEqual({ Service: { 'Fn::Join': ['', ['logs.', { Ref: 'AWS::Region' }, '.amazonaws.com']] } });
    expect(JSON.stringify(statement.Condition.ArnLike['kms:EncryptionContext:aws:logs:arn'])).toContain(':log-group:*');
  });

  test('no principal may create a grant on a key unless it is for an AWS resource (CT.KMS.PR.3)', () => {
    for (const template of [prod.data, prod.monitoring!, prod.audit!]) {
      for (const key of Object.values(template.findResources('AWS::KMS::Key'))) {
        expect(key.Properties.KeyPolicy.Statement).toContainEqual({
          Sid: 'GrantsOnlyForAwsResources',
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 'kms:CreateGrant',
          Resource: '*',
          Condition: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
        });
      }
    }
  });

  test('every log group of the stage is encrypted with the stage key; API Gateway may invoke only from this API (CT.LAMBDA.PR.2)', () => {
    for (const template of [prod.data, prod.endpoint, prod.api]) {
      for (const group of Object.values(template.findResources('AWS::Logs::LogGroup'))) expect(group.Properties.KmsKeyId).toBeDefined();
    }
    const permissions = Object.values(prod.api.findResources('AWS::Lambda::Permission'));
    expect(permissions.length).toBeGreaterThan(0);
    for (const permission of permissions) {
      expect(permission.Properties.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(permission.Properties.SourceArn)).toMatch(/:execute-api:.*\{"Ref":"Api[0-9A-F]{8}"\}/);
    }
  });

  test('the payload and access-log buckets are versioned, and noncurrent versions expire after a day', () => {
    for (const bucket of Object.values(prod.data.findResources('AWS::S3::Bucket'))) {
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 1 });
    }
  });
});
