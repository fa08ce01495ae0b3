import {
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  aws_cloudtrail as cloudtrail,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeControl, wildcardResourceFinding } from '../constructs/acknowledge';
import { AuditScope, scopeSelectors } from './event-selectors';

export interface AuditTrailProps extends AuditScope {
  /** Name of the trail (3 to 128 letters, digits, `.`, `_`, `-`); its ARN scopes the bucket and key policies. */
  readonly trailName: string;
  /**
   * Where the trail bucket's S3 server access logs go (CT.S3.PR.2): who read the audit record.
   * @default - no server access logging
   */
  readonly accessLogs?: { readonly bucket: s3.IBucket; readonly prefix: string };
  /**
   * Days every log file is locked (S3 Object Lock default retention) and then kept before expiry.
   * @default 7
   */
  readonly retentionDays?: number;
  /**
   * Object Lock mode: COMPLIANCE (no one can delete or shorten, the root user included) or
   * GOVERNANCE (principals allowed s3:BypassGovernanceRetention can).
   * @default 'COMPLIANCE'
   */
  readonly objectLockMode?: 'COMPLIANCE' | 'GOVERNANCE';
  /**
   * Record events of every region (global service events then arrive in us-east-1's prefix).
   * @default false
   */
  readonly multiRegion?: boolean;
}

/**
 * A CloudTrail trail (`AWS::CloudTrail::Trail`) with the pipeline's advanced event selectors,
 * log file integrity validation, delivering to its own S3 bucket: KMS-encrypted with its own
 * key, versioned, and under S3 Object Lock for the retention period, so a delivered log file
 * can be neither overwritten nor deleted before it expires.
 *
 * The bucket and the key are retained when the stack is deleted: they are the record.
 */
export class AuditTrail extends Construct {
  readonly trailArn: string;
  readonly trailName: string;
  readonly bucket: s3.Bucket;
  readonly encryptionKey: kms.Key;
  /** The S3 prefix the trail writes this account's logs under. */
  readonly logPrefix: string;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const retentionDays = props.retentionDays ?? 7;
    if (!Token.isUnresolved(retentionDays) && (!Number.isInteger(retentionDays) || retentionDays < 1 || retentionDays > 36_500)) {
      throw new Error(`trail retention must be a whole number of days from 1 to 36500, got ${retentionDays}`);
    }
    if (!Token.isUnresolved(props.trailName) && !/^[a-zA-Z0-9][a-zA-Z0-9._-]{2,127}$/.test(props.trailName)) {
      throw new Error(`trail name must be 3 to 128 letters, digits, '.', '_' or '-', got '${props.trailName}'`);
    }
    this.trailName = props.trailName;
    // Known before the trail exists, so the bucket and key policies can name it without a cycle.
    this.trailArn = stack.formatArn({ service: 'cloudtrail', resource: 'trail', resourceName: props.trailName });
    const fromThisTrail = { 'aws:SourceArn': this.trailArn };
    this.logPrefix = `AWSLogs/${stack.account}/`;

    this.encryptionKey = new kms.Key(this, 'Key', {
      description: `Encrypts the log files of the CloudTrail trail ${props.trailName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // "Configure AWS KMS key policies for CloudTrail"
    // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-cloudtrail.html):
    // encrypt for this trail only (aws:SourceArn, and the encryption context naming a trail of
    // this account), DescribeKey for the trail, and Decrypt because the bucket uses an S3
    // Bucket Key ("kms:Decrypt permissions are required to create or update a trail").
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailEncryptLogs',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
        conditions: {
          StringEquals: fromThisTrail,
          StringLike: { 'kms:EncryptionContext:aws:cloudtrail:arn': `arn:${stack.partition}:cloudtrail:*:${stack.account}:trail/*` },
        },
      }),
    );
    this.encryptionKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AllowCloudTrailDescribeKeyAndDecrypt',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['kms:DescribeKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: fromThisTrail },
      }),
    );

    const mode = props.objectLockMode ?? 'COMPLIANCE';
    const lockDays = Duration.days(retentionDays);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Object Lock requires versioning; with default retention every log file CloudTrail writes
      // is locked for the retention period (S3 User Guide, "Configuring S3 Object Lock").
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        mode === 'COMPLIANCE' ? s3.ObjectLockRetention.compliance(lockDays) : s3.ObjectLockRetention.governance(lockDays),
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Expiry after the lock: the current version gets a delete marker, the locked version
      // itself goes one day later (S3 cannot remove a version before its retain-until date).
      lifecycleRules: [{ expiration: lockDays, noncurrentVersionExpiration: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
      serverAccessLogsBucket: props.accessLogs?.bucket,
      serverAccessLogsPrefix: props.accessLogs?.prefix,
    });
    acknowledgeControl(
      this.bucket,
      'CT.S3.PR.4',
      'Nothing consumes the audit files as they arrive: responders query them with Athena, and a notification target would be one more thing an intruder could watch for.',
    );
    // Without a log destination (the construct alone), say why it has no access logs.
    if (!props.accessLogs)
      acknowledge(
        this.bucket,
        'AwsSolutions-S1',
        'The audit log bucket: only CloudTrail writes (bucket policy, aws:SourceArn of this trail), every file is under Object Lock and covered by signed digest files (log file validation), and an Object Lock bucket cannot be a server access log destination, so reads are recorded by adding it to the data events if needed.',
      );
    // "Amazon S3 bucket policy for CloudTrail"
    // (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-cloudtrail.html).
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSCloudTrailAclCheck',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['s3:GetBucketAcl'],
        resources: [this.bucket.bucketArn],
        conditions: { StringEquals: fromThisTrail },
      }),
    );
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'AWSCloudTrailWrite',
        principals: [new iam.ServicePrincipal('cloudtrail.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${this.logPrefix}*`)],
        conditions: { StringEquals: { 's3:x-amz-acl': 'bucket-owner-full-control', ...fromThisTrail } },
      }),
    );

    const trail = new cloudtrail.CfnTrail(this, 'Resource', {
      trailName: props.trailName,
      isLogging: true,
      s3BucketName: this.bucket.bucketName,
      kmsKeyId: this.encryptionKey.keyArn,
      // Signed SHA-256 digest files every hour: a changed, deleted or forged log file is detectable
      // ("Validating CloudTrail log file integrity"; AWS Config rule cloud-trail-log-file-validation-enabled).
      enableLogFileValidation: true,
      // IAM and STS calls are global service events: without them iam-changes sees nothing.
      includeGlobalServiceEvents: true,
      isMultiRegionTrail: props.multiRegion ?? false,
      advancedEventSelectors: scopeSelectors(this, props),
    });
    // CloudTrail checks the bucket policy and the key when the trail is created.
    trail.node.addDependency(this.bucket.policy!);
    trail.node.addDependency(this.encryptionKey);
    acknowledgeControl(
      trail,
      'CT.CLOUDTRAIL.PR.3',
      'The record is the Object Lock bucket, queried with Athena; a second copy in CloudWatch Logs would bill every event again as log ingestion and could be deleted, unlike the locked files. The alarms watch the pipeline, not this trail.',
    );
  }

  /**
   * Lets a principal read the log files (for Athena, which reads S3 with the caller's
   * credentials), decrypting through S3 only.
   */
  grantRead(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ListTrailLogs',
        actions: ['s3:ListBucket', 's3:GetBucketLocation'],
        resources: [this.bucket.bucketArn],
      }),
    );
    const logs = this.bucket.arnForObjects(`${this.logPrefix}*`);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'ReadTrailLogs',
        actions: ['s3:GetObject'],
        resources: [logs],
      }),
    );
    if (grantee.grantPrincipal instanceof iam.Role) {
      acknowledge(
        grantee.grantPrincipal,
        wildcardResourceFinding(grantee.grantPrincipal, logs),
        "Log file names are chosen by CloudTrail per delivery (region, day, time, random id): reading them means every object under this account's AWSLogs/ prefix of the one trail bucket, read-only.",
      );
    }
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'DecryptTrailLogsThroughS3',
        actions: ['kms:Decrypt'],
        resources: [this.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
  }
}
