import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { StageConfig, resourcePrefix } from '../config/stage-config';
import { acknowledge } from '../constructs/acknowledge';
import { PipelineNetwork } from '../constructs/pipeline-network';
import { RecordAnalytics } from '../constructs/record-analytics';
import { INDEXES, TABLE_KEYS } from '../../contract/table-design';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

/** Key prefixes of the access-logs bucket, one per logged bucket. */
export const ACCESS_LOG_PREFIX = { payloads: 'payload-bucket/', dataCapture: 'data-capture-bucket/', analytics: 'analytics-bucket/' } as const;

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
    const { config } = props;
    const prefix = resourcePrefix(config);
    const removalPolicy = config.table.retainOnDelete ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.key = new kms.Key(this, 'DataKey', {
      alias: `alias/${prefix}-data`,
      description: `Encrypts the ${prefix} inference records, payloads and captured data`,
      enableKeyRotation: true,
      removalPolicy: config.table.retainOnDelete ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });

    this.table = new dynamodb.Table(this, 'InferenceTable', {
      tableName: `${prefix}-inferences`,
      partitionKey: { name: TABLE_KEYS.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.key,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: config.table.pointInTimeRecovery },
      deletionProtection: config.table.deletionProtection,
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
    if (!config.table.pointInTimeRecovery) {
      acknowledge(this.table, 'AwsSolutions-DDB3',
        `Point-in-time recovery is off by design in stage ${config.stage} (table.pointInTimeRecovery=false): its records expire after ${config.records.ttlDays} days and the stage is disposable; prod turns it on.`);
    }

    // S3 server access logs accept SSE-S3 only (not KMS), and log no payload content: request
    // lines with object keys, callers and status codes. This bucket logs nowhere itself: logging
    // the log destination would log every delivery (cdk-nag's S1 knows a destination bucket).
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(config.logRetentionDays) }],
      removalPolicy,
      autoDeleteObjects: !config.table.retainOnDelete,
    });
    // Buckets of other stacks (data capture) log here too. Their ARNs cannot be named without a
    // cycle, so delivery is limited to this account and to the data capture prefix.
    this.accessLogsBucket.addToResourcePolicy(new iam.PolicyStatement({
      sid: 'S3ServerAccessLogsFromThisAccount',
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [this.accessLogsBucket.arnForObjects(`${ACCESS_LOG_PREFIX.dataCapture}*`)],
      conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
    }));

    this.payloadBucket = new s3.Bucket(this, 'PayloadBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true, // one KMS call per object batch instead of per object
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: false,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Payload objects live as long as the records that point at them.
      lifecycleRules: config.records.ttlDays > 0 ? [{ expiration: Duration.days(config.records.ttlDays + 2) }] : [],
      removalPolicy,
      autoDeleteObjects: !config.table.retainOnDelete,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: ACCESS_LOG_PREFIX.payloads,
    });

    if (config.analytics.enabled) {
      this.analytics = new RecordAnalytics(this, 'RecordAnalytics', {
        table: this.table, key: this.key, accessLogsBucket: this.accessLogsBucket, accessLogsPrefix: ACCESS_LOG_PREFIX.analytics, namePrefix: prefix,
        bytesScannedCutoffMB: config.analytics.bytesScannedCutoffMB, retentionDays: config.analytics.exportRetentionDays, removalPolicy,
      });
    }

    if (config.network.vpc) {
      this.network = new PipelineNetwork(this, 'Network', {
        tracing: config.monitoring.tracing,
        flowLogRetentionDays: config.logRetentionDays,
      });
    }
  }
}
