import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AnalyticsConfig, NetworkConfig, TableConfig } from '../config/stage-config';
import { acknowledge, acknowledgeControl } from '../constructs/acknowledge';
import { PipelineNetwork } from '../constructs/pipeline-network';
import { RecordAnalytics } from '../constructs/record-analytics';
import { INDEXES, TABLE_KEYS } from '../../contract/table-design';

export interface DataStackProps extends StackProps {
  /** `project-stage`: the key alias, the table name and the stage's other names start with it. */
  readonly prefix: string;
  /** The stage's name, for the reasons its acknowledgements give. */
  readonly stage: string;
  readonly table: TableConfig;
  /** Days inference records live (`records.ttlDays`); payload objects live 2 days longer. 0 keeps both forever. */
  readonly recordTtlDays: number;
  /** Days the access logs (and, in a VPC, the rejected-traffic flow log) are kept. */
  readonly logRetentionDays: number;
  /** Whether to create the private network (`network.vpc`). */
  readonly network: NetworkConfig;
  /** Add the X-Ray interface endpoint to the network (`monitoring.tracing`). */
  readonly tracing: boolean;
  /** Table exports, Glue and Athena for `npm run analyze -- --aws` (`analytics`). */
  readonly analytics: AnalyticsConfig;
}

/** Key prefixes of the access-logs bucket, one per logged bucket. */
export const ACCESS_LOG_PREFIX = {
  payloads: 'payload-bucket/',
  dataCapture: 'data-capture-bucket/',
  analytics: 'analytics-bucket/',
  auditTrail: 'audit-trail-bucket/',
  auditResults: 'audit-results-bucket/',
} as const;

/**
 * What the pipeline keeps: the metadata table (every inference and every model deployment),
 * the bucket for payloads too large for an item, the key that encrypts them, and the bucket
 * that receives the S3 server access logs of the pipeline's buckets.
 * It lives apart from the compute so that redeploying the API or the endpoint never puts data at risk.
 *
 * With `network.vpc=true` it also holds the pipeline's private network (see PipelineNetwork):
 * this stack deploys first and changes least, so the functions (API stack) and the model
 * (endpoint stack) both find their subnets and security groups here, and the DynamoDB and S3
 * gateway endpoints sit next to the table and bucket they reach.
 */
export class DataStack extends Stack {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  readonly payloadBucket: s3.Bucket;
  /** S3 server access logs of the payload and data capture buckets. */
  readonly accessLogsBucket: s3.Bucket;
  /** Present when `network.vpc` is true. */
  readonly network?: PipelineNetwork;
  /** Present when `analytics.enabled` is true: table exports, Glue and Athena (npm run analyze -- --aws). */
  readonly analytics?: RecordAnalytics;

  constructor(scope: Construct, id: string, props: DataStackProps) {
    super(scope, id, props);
    const { prefix, table } = props;
    const removalPolicy = table.retainOnDelete ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'DataKey', {
      alias: `alias/${prefix}-data`,
      description: `Encrypts the ${prefix} inference records, payloads and captured data`,
      enableKeyRotation: true,
      removalPolicy,
      pendingWindow: Duration.days(7),
    });

    // Every log group of the stage is encrypted with this key (StageGuardrails, CT.CLOUDWATCH.PR.3):
    // CloudWatch Logs uses it for the log groups of this account and region only. The statement is
    // the one of "Encrypt log data in CloudWatch Logs using AWS Key Management Service"
    // (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html).
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` },
        },
      }),
    );

    this.table = new dynamodb.Table(this, 'InferenceTable', {
      tableName: `${prefix}-inferences`,
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: table.pointInTimeRecovery },
      deletionProtection: table.deletionProtection,
      removalPolicy,
    });
    for (const index of Object.values(INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName: index.name,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }
    if (!table.pointInTimeRecovery) {
      acknowledge(
        this.table,
        'AwsSolutions-DDB3',
        `Point-in-time recovery is off by design in stage ${props.stage} (table.pointInTimeRecovery=false): its records expire after ${props.recordTtlDays} days and the stage is disposable; prod turns it on.`,
      );
      acknowledgeControl(
        this.table,
        'CT.DYNAMODB.PR.1',
        `Point-in-time recovery is off in stage ${props.stage} (table.pointInTimeRecovery=false) to save its continuous-backup cost: the records expire after ${props.recordTtlDays} days and the stage is disposable; prod turns it on.`,
      );
    }

    // S3 server access logs accept SSE-S3 only (not KMS), and log no payload content: request
    // lines with object keys, callers and status codes. This bucket logs nowhere itself: logging
    // the log destination would log every delivery (cdk-nag's S1 knows a destination bucket).
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioned (CT.S3.PR.11): a deleted or overwritten log stays a day as a noncurrent version.
      versioned: true,
      lifecycleRules: [{ expiration: Duration.days(props.logRetentionDays), noncurrentVersionExpiration: Duration.days(1) }],
      removalPolicy,
      autoDeleteObjects: !table.retainOnDelete,
    });
    acknowledgeControl(
      this.accessLogsBucket,
      'CT.S3.PR.10',
      'The S3 server access log destination stays on SSE-S3, the encryption the Amazon S3 User Guide ("Enabling Amazon S3 server access logging") documents for log delivery; a KMS key would need the logging service admitted to the stage key, a path not verified without an account. The logs hold request lines, never payloads.',
    );
    acknowledgeControl(
      this.accessLogsBucket,
      'CT.S3.PR.2',
      "This bucket is the destination of the stage's S3 server access logs; logging it into itself would log every log delivery, and logging it elsewhere would need another destination without end.",
    );
    // Buckets of other stacks (data capture, the audit trail and its query results) log here too.
    // Their ARNs cannot be named without a cycle, so delivery is limited to this account and to
    // those buckets' prefixes.
    this.accessLogsBucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'S3ServerAccessLogsFromThisAccount',
        principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [ACCESS_LOG_PREFIX.dataCapture, ACCESS_LOG_PREFIX.auditTrail, ACCESS_LOG_PREFIX.auditResults].map((p) =>
          this.accessLogsBucket.arnForObjects(`${p}*`),
        ),
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );

    this.payloadBucket = new s3.Bucket(this, 'PayloadBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true, // one KMS call per object batch instead of per object
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // Versioned (CT.S3.PR.11): objects are written once under a request id, so versions cost
      // nothing until an object is deleted, and a deleted one stays recoverable for a day.
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Payload objects live as long as the records that point at them.
      lifecycleRules: [
        {
          expiration: props.recordTtlDays > 0 ? Duration.days(props.recordTtlDays + 2) : undefined,
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects: !table.retainOnDelete,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIX.payloads,
    });

    if (props.analytics.enabled) {
      this.analytics = new RecordAnalytics(this, 'RecordAnalytics', {
        table: this.table,
        key: this.key,
        accessLogsBucket: this.accessLogsBucket,
        accessLogsPrefix: ACCESS_LOG_PREFIX.analytics,
        namePrefix: prefix,
        bytesScannedCutoffMB: props.analytics.bytesScannedCutoffMB,
        retentionDays: props.analytics.exportRetentionDays,
        removalPolicy,
      });
    }

    if (props.network.vpc) {
      this.network = new PipelineNetwork(this, 'Network', {
        tracing: props.tracing,
        flowLogRetentionDays: props.logRetentionDays,
        // Kept with the stage's data: turning the VPC off must not delete its traffic record.
        flowLogRemovalPolicy: removalPolicy,
      });
    }
  }
}
