import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { StageConfig, resourcePrefix } from '../config/stage-config';
import { INDEXES, TABLE_KEYS } from '../../lambda/shared/table-design';

export interface DataStackProps extends StackProps {
  readonly config: StageConfig;
}

/**
 * What the pipeline keeps: the metadata table (every inference and every model deployment),
 * the bucket for payloads too large for an item, and the key that encrypts them.
 * It lives apart from the compute so that redeploying the API or the endpoint never puts data at risk.
 */
export class DataStack extends Stack {
  readonly key: kms.Key;
  readonly table: dynamodb.Table;
  readonly payloadBucket: s3.Bucket;

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
    });
  }
}
