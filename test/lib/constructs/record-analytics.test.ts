/**
 * The AWS side of the analysis, as prod synthesizes it: the export bucket (KMS with the
 * records' key, versioned, TLS only, access-logged, expiring), the Glue tables over full and
 * incremental exports (partition per export, injected), the Athena workgroup (results
 * encrypted, bytes-scanned cutoff, settings enforced), the analyst policy scoped to exactly
 * these resources, and the configuration rules (PITR needed; off in dev).
 */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConfigError } from '../../../lib/config/validate';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { ITEM_HIVE_TYPE } from '../../../lib/constructs/record-analytics';
import { ITEM_STRUCT } from '../../../tools/analyze/duckdb-engine';
import { synthStage } from '../../harness/synth';

let data: Template;
let logicalIdOf: (type: string) => string;

beforeAll(() => {
  data = synthStage('prod').data;
  logicalIdOf = (type) => {
    const ids = Object.keys(data.findResources(type)).filter((id) => id.startsWith('RecordAnalytics'));
    expect(ids).toHaveLength(1);
    return ids[0];
  };
});

describe('RecordAnalytics (prod)', () => {
  it('keeps exports in a KMS-encrypted, versioned, TLS-only bucket with access logs and expiry', () => {
    const buckets = data.findResources('AWS::S3::Bucket');
    const id = Object.keys(buckets).find((k) => k.startsWith('RecordAnalytics'))!;
    const bucket = buckets[id];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0]).toEqual({
      BucketKeyEnabled: true,
      ServerSideEncryptionByDefault: {
        SSEAlgorithm: 'aws:kms',
        KMSMasterKeyID: { 'Fn::GetAtt': [expect.stringMatching(/^DataKey/), 'Arn'] },
      },
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.LoggingConfiguration).toEqual({
      DestinationBucketName: { Ref: expect.stringMatching(/^AccessLogsBucket/) },
      LogFilePrefix: 'analytics-bucket/',
    });
    expect(bucket.Properties.LifecycleConfiguration.Rules[0]).toMatchObject({
      ExpirationInDays: 30,
      NoncurrentVersionExpiration: { NoncurrentDays: 1 },
      Status: 'Enabled',
    });
    // Prod retains its data.
    expect(bucket.DeletionPolicy).toBe('Retain');
    data.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: id },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Action: 's3:*', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('declares the Glue tables over full and incremental exports, one injected partition per export', () => {
    const tables = data.findResources('AWS::Glue::Table');
    const inputs = Object.values(tables).map((t) => t.Properties.TableInput);
    expect(inputs.map((t) => t.Name).sort()).toEqual(['inference_exports', 'inference_increments']);
    for (const t of inputs) {
      expect(t.TableType).toBe('EXTERNAL_TABLE');
      expect(t.PartitionKeys).toEqual([{ Name: 'export_id', Type: 'string' }]);
      expect(t.Parameters).toMatchObject({ 'projection.enabled': 'true', 'projection.export_id.type': 'injected' });
      expect(JSON.stringify(t.Parameters['storage.location.template'])).toContain('/exports/AWSDynamoDB/${export_id}/data/');
      expect(t.StorageDescriptor.SerdeInfo.SerializationLibrary).toBe('org.openx.data.jsonserde.JsonSerDe');
      expect(t.StorageDescriptor.Columns).toEqual([{ Name: t.Name === 'inference_exports' ? 'item' : 'newimage', Type: ITEM_HIVE_TYPE }]);
    }
    data.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'inference_prod_records' } });
  });

  it('reads the same attributes as the local engine', () => {
    const hiveFields = [...ITEM_HIVE_TYPE.matchAll(/(\w+):struct</g)]
      .map((m) => m[1])
      .filter((f) => !['m'].includes(f))
      .sort();
    const duckFields = [...ITEM_STRUCT.matchAll(/(\w+) STRUCT\(/g)]
      .map((m) => m[1].toLowerCase())
      .filter((f) => f !== 'm')
      .sort();
    expect(hiveFields).toEqual(duckFields);
  });

  it('runs queries in a workgroup that enforces encrypted results and a bytes-scanned cutoff', () => {
    data.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'inference-prod-records',
      State: 'ENABLED',
      WorkGroupConfiguration: {
        EnforceWorkGroupConfiguration: true,
        BytesScannedCutoffPerQuery: 1024 * 1024 * 1024,
        PublishCloudWatchMetricsEnabled: true,
        EngineVersion: { SelectedEngineVersion: 'Athena engine version 3' },
        ResultConfiguration: {
          EncryptionConfiguration: { EncryptionOption: 'SSE_KMS', KmsKey: { 'Fn::GetAtt': [Match.stringLikeRegexp('^DataKey'), 'Arn'] } },
          OutputLocation: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^RecordAnalytics') }, '/athena-results/']] },
        },
      },
    });
  });

  it('gives analysts exactly the table, its exports, the bucket, the workgroup and the database', () => {
    const policy = data.findResources('AWS::IAM::ManagedPolicy')[logicalIdOf('AWS::IAM::ManagedPolicy')];
    const statements = policy.Properties.PolicyDocument.Statement as Array<Record<string, any>>;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid).sort()).toEqual([
      'ExportTheTable',
      'ExportsAndResults',
      'FollowTheTablesExports',
      'ListExportsAndResults',
      'QueryInTheWorkGroup',
      'ReadTheCatalog',
      'UseTheDataKeyThroughS3AndDynamoDB',
    ]);
    expect(bySid.ExportTheTable.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^InferenceTable/), 'Arn'] });
    expect(JSON.stringify(bySid.FollowTheTablesExports.Resource)).toContain('/export/*');
    expect(JSON.stringify(bySid.QueryInTheWorkGroup.Resource)).toContain('workgroup/inference-prod-records');
    expect(bySid.UseTheDataKeyThroughS3AndDynamoDB.Condition.StringEquals['kms:ViaService']).toHaveLength(2);
    for (const s of statements) expect(JSON.stringify(s.Resource)).not.toBe('"*"');
  });

  it('needs point-in-time recovery, which prod has', () => {
    data.hasResourceProperties('AWS::DynamoDB::Table', { PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } });
  });
});

describe('analytics configuration', () => {
  it('is off in dev (no PITR there), so dev synthesizes none of it', () => {
    const dev = synthStage('dev').data;
    expect(Object.keys(dev.findResources('AWS::Athena::WorkGroup'))).toHaveLength(0);
    expect(Object.keys(dev.findResources('AWS::Glue::Table'))).toHaveLength(0);
  });

  it("refuses analytics without point-in-time recovery, and a cutoff under Athena's 10 MB minimum", () => {
    expect(() => resolveStageConfig({ stage: 'dev', 'analytics.enabled': true })).toThrow(ConfigError);
    expect(() => resolveStageConfig({ stage: 'dev', 'analytics.enabled': true })).toThrow(
      /analytics\.enabled: needs table\.pointInTimeRecovery=true/,
    );
    expect(() => resolveStageConfig({ stage: 'prod', 'analytics.bytesScannedCutoffMB': 5 })).toThrow(
      /analytics\.bytesScannedCutoffMB: must be a whole number from 10/,
    );
    expect(resolveStageConfig({ stage: 'dev', 'analytics.enabled': true, 'table.pointInTimeRecovery': true }).analytics.enabled).toBe(true);
  });

  it('bounds records.shards', () => {
    expect(() => resolveStageConfig({ stage: 'dev', 'records.shards': 0 })).toThrow(/records\.shards: must be a whole number from 1 to 32/);
    expect(resolveStageConfig({ stage: 'prod' }).records.shards).toBe(16);
  });
});
