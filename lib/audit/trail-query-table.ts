import {
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  aws_athena as athena,
  aws_glue as glue,
  aws_iam as iam,
  aws_kms as kms,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceFinding } from '../constructs/acknowledge';
import { AuditTrail } from './audit-trail';
import { TRAIL_COLUMNS, TRAIL_PARTITION_KEY } from './cloudtrail-schema';
import { createLakeViewStatement } from './lake-view';

export interface TrailQueryTableProps {
  /** The trail whose files the table reads. */
  readonly trail: AuditTrail;
  /** Glue database name: lowercase letters, digits and underscores (Athena needs no quoting then). */
  readonly databaseName: string;
  /** Athena workgroup name (1 to 128 letters, digits, `.`, `_`, `-`). */
  readonly workGroupName: string;
  /**
   * Where the results bucket's S3 server access logs go (CT.S3.PR.2).
   * @default - no server access logging
   */
  readonly accessLogs?: { readonly bucket: s3.IBucket; readonly prefix: string };
  /**
   * Regions whose log files the table covers. A multi-region trail delivers each region under
   * its own prefix, and global service events (IAM, STS) under us-east-1.
   * @default - the stack's region
   */
  readonly regions?: readonly string[];
  /**
   * Days Athena's query results stay in their bucket.
   * @default 7
   */
  readonly resultRetentionDays?: number;
  /**
   * Athena cancels a query of this workgroup once it has scanned this many bytes (at least 10,000,000).
   * @default 1,073,741,824 (1 GiB)
   */
  readonly bytesScannedCutoffPerQuery?: number;
}

/** The name of the Glue table over the trail's files. */
export const TRAIL_TABLE_NAME = 'cloudtrail';
/** The view the saved query creates, with Lake's columns (the runbook inlines it instead). */
export const LAKE_VIEW_NAME = 'lake_events';

/**
 * Athena over the trail: a Glue database and table in AWS's documented CloudTrail format with
 * partition projection (no crawler, no MSCK REPAIR: Athena computes the day partitions from the
 * table properties), and a workgroup that enforces its own encrypted result location, a
 * per-query scan limit and its result retention, so no responder can scan years of logs by
 * accident or leave unencrypted copies of audit events behind.
 */
export class TrailQueryTable extends Construct {
  readonly databaseName: string;
  readonly tableName = TRAIL_TABLE_NAME;
  readonly workGroupName: string;
  readonly workGroupArn: string;
  readonly resultsBucket: s3.Bucket;
  readonly resultsKey: kms.Key;
  private readonly trail: AuditTrail;

  constructor(scope: Construct, id: string, props: TrailQueryTableProps) {
    super(scope, id);
    const stack = Stack.of(this);
    if (!Token.isUnresolved(props.databaseName) && !/^[a-z0-9_]{1,255}$/.test(props.databaseName)) {
      throw new Error(`glue database name must be lowercase letters, digits and underscores, got '${props.databaseName}'`);
    }
    const cutoff = props.bytesScannedCutoffPerQuery ?? 1_073_741_824;
    // "BytesScannedCutoffPerQuery ... Valid Range: Minimum value of 10000000" (WorkGroupConfiguration,
    // https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html).
    if (!Token.isUnresolved(cutoff) && (!Number.isInteger(cutoff) || cutoff < 10_000_000)) {
      throw new Error(`bytes scanned cutoff per query must be a whole number of at least 10000000, got ${cutoff}`);
    }
    const resultDays = props.resultRetentionDays ?? 7;
    if (!Token.isUnresolved(resultDays) && (!Number.isInteger(resultDays) || resultDays < 1)) {
      throw new Error(`query result retention must be a whole number of days, got ${resultDays}`);
    }
    this.trail = props.trail;
    this.databaseName = props.databaseName;
    this.workGroupName = props.workGroupName;
    const regions = [...new Set(props.regions ?? [stack.region])];
    const bucket = props.trail.bucket.bucketName;
    const root = `s3://${bucket}/${props.trail.logPrefix}CloudTrail/`;

    const database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: props.databaseName, description: `CloudTrail trail ${props.trail.trailName}, for Athena` },
    });
    // AWS's DDL ("Create the table for CloudTrail logs in Athena using partition projection",
    // https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html)
    // as Glue table properties, which Athena reads however they were set ("Set up partition
    // projection", https://docs.aws.amazon.com/athena/latest/ug/partition-projection-setting-up.html).
    // One more partition, `region`, an enum, so one table covers a multi-region trail.
    const table = new glue.CfnTable(this, 'Table', {
      catalogId: stack.account,
      databaseName: props.databaseName,
      tableInput: {
        name: TRAIL_TABLE_NAME,
        description: 'CloudTrail log files of the pipeline trail (AWS CloudTrail format, partition projection)',
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'cloudtrail',
          EXTERNAL: 'TRUE',
          'projection.enabled': 'true',
          'projection.region.type': 'enum',
          'projection.region.values': regions.join(','),
          [`projection.${TRAIL_PARTITION_KEY}.type`]: 'date',
          [`projection.${TRAIL_PARTITION_KEY}.format`]: 'yyyy/MM/dd',
          [`projection.${TRAIL_PARTITION_KEY}.range`]: '2020/01/01,NOW',
          [`projection.${TRAIL_PARTITION_KEY}.interval`]: '1',
          [`projection.${TRAIL_PARTITION_KEY}.interval.unit`]: 'DAYS',
          'storage.location.template': `${root}\${region}/\${${TRAIL_PARTITION_KEY}}`,
        },
        partitionKeys: [
          { name: 'region', type: 'string' },
          { name: TRAIL_PARTITION_KEY, type: 'string' },
        ],
        storageDescriptor: {
          location: root,
          inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serdeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
          columns: TRAIL_COLUMNS.map((c) => ({ name: c.name, type: c.type })),
        },
      },
    });
    table.node.addDependency(database);

    this.resultsKey = new kms.Key(this, 'ResultsKey', {
      description: `Encrypts Athena query results of workgroup ${props.workGroupName}`,
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.resultsBucket = new s3.Bucket(this, 'ResultsBucket', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.resultsKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // Versioned (CT.S3.PR.11): an overwritten or deleted result stays recoverable for a day.
      versioned: true,
      lifecycleRules: [
        {
          expiration: Duration.days(resultDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      serverAccessLogsBucket: props.accessLogs?.bucket,
      serverAccessLogsPrefix: props.accessLogs?.prefix,
      // Results are copies, kept for resultDays at most; the bucket outlives the stack only
      // until its objects expire (deleting a non-empty bucket would fail the stack deletion).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Without a log destination (the construct alone), say why it has no access logs.
    if (!props.accessLogs)
      acknowledge(
        this.resultsBucket,
        'AwsSolutions-S1',
        'Athena query results: written and read only through the workgroup by the query role (its Athena calls are management events of the trail), expiring after the result retention.',
      );

    const workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: props.workGroupName,
      description: `Queries over the CloudTrail trail ${props.trail.trailName}`,
      state: 'ENABLED',
      // The saved query below would otherwise block the workgroup's deletion.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        // "If set to true, the settings for the workgroup override client-side settings": no
        // caller can send results elsewhere or unencrypted, or lift the scan limit.
        enforceWorkGroupConfiguration: true,
        bytesScannedCutoffPerQuery: cutoff,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: `s3://${this.resultsBucket.bucketName}/results/`,
          expectedBucketOwner: stack.account,
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: this.resultsKey.keyArn },
        },
      },
    });
    this.workGroupArn = stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: props.workGroupName });

    const view = new athena.CfnNamedQuery(this, 'CreateLakeView', {
      name: `Create ${LAKE_VIEW_NAME} (the trail with CloudTrail Lake's columns)`,
      description: "Run once to query the trail with the runbook library's column names and types from the Athena console",
      database: props.databaseName,
      workGroup: props.workGroupName,
      queryString: createLakeViewStatement(LAKE_VIEW_NAME, `"${props.databaseName}"."${TRAIL_TABLE_NAME}"`),
    });
    view.node.addDependency(workGroup);
    view.node.addDependency(table);
  }

  /**
   * Lets a principal run queries in the workgroup on this table only: Athena's query calls on
   * the workgroup, Glue reads of this database and table, the results bucket and key, and the
   * trail's files (Athena reads S3 with the caller's credentials).
   */
  grantQuery(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    const add = (statement: iam.PolicyStatement) => grantee.grantPrincipal.addToPrincipalPolicy(statement);
    add(
      new iam.PolicyStatement({
        sid: 'RunAthenaQueriesInTheAuditWorkgroup',
        actions: [
          'athena:StartQueryExecution',
          'athena:GetQueryExecution',
          'athena:GetQueryResults',
          'athena:StopQueryExecution',
          'athena:GetWorkGroup',
        ],
        resources: [this.workGroupArn],
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'ReadTheTrailTableDefinition',
        actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetPartitions'],
        resources: [
          stack.formatArn({ service: 'glue', resource: 'catalog' }),
          stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
          stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/${TRAIL_TABLE_NAME}` }),
        ],
      }),
    );
    add(
      new iam.PolicyStatement({
        sid: 'WriteAndReadQueryResults',
        actions: ['s3:GetBucketLocation', 's3:ListBucket'],
        resources: [this.resultsBucket.bucketArn],
      }),
    );
    const results = this.resultsBucket.arnForObjects('results/*');
    add(
      new iam.PolicyStatement({
        sid: 'QueryResultObjects',
        actions: ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
        resources: [results],
      }),
    );
    if (grantee.grantPrincipal instanceof iam.Role) {
      acknowledge(
        grantee.grantPrincipal,
        wildcardResourceFinding(grantee.grantPrincipal, results),
        "Athena names each result object by query execution id under the workgroup's enforced results/ prefix of its own results bucket: the caller writes and reads its query results there and nowhere else.",
      );
    }
    add(
      new iam.PolicyStatement({
        sid: 'UseResultsKeyThroughS3',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.resultsKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${stack.region}.amazonaws.com` } },
      }),
    );
    this.trail.grantRead(grantee);
  }
}
