import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as athena from 'aws-cdk-lib/aws-athena';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as glue from 'aws-cdk-lib/aws-glue';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceFinding } from './acknowledge';

/** Key prefixes of the analytics bucket. */
export const ANALYTICS_PREFIX = { exports: 'exports/', results: 'athena-results/' } as const;

/**
 * The attributes of an inference item the analysis reads, as Hive types: DynamoDB JSON
 * wraps every value in its type (`{"S": ...}`, `{"N": "12.5"}`, `{"M": {...}}`). The same
 * attributes as the local engine's struct (tools/analyze/duckdb-engine.ts).
 */
export const ITEM_HIVE_TYPE =
  'struct<pk:struct<s:string>,requestid:struct<s:string>,createdat:struct<s:string>,modelversion:struct<s:string>,' +
  'status:struct<s:string>,errorcode:struct<s:string>,latencyms:struct<n:string>,modellatencyms:struct<n:string>,' +
  'input:struct<m:struct<mode:struct<s:string>,body:struct<s:string>>>,output:struct<m:struct<mode:struct<s:string>,body:struct<s:string>>>>';

export interface RecordAnalyticsProps {
  /** The inference table whose point-in-time exports the analysis reads. */
  readonly table: dynamodb.ITable;
  /** Encrypts exports and query results: the records' own key, as sensitive as the table. */
  readonly key: kms.IKey;
  /** Receives the bucket's S3 server access logs, under `accessLogsPrefix`. */
  readonly accessLogsBucket: s3.IBucket;
  readonly accessLogsPrefix: string;
  /** Names: `<namePrefix>-records` workgroup, `<namePrefix with _>_records` Glue database. */
  readonly namePrefix: string;
  /** Athena cancels a query that would scan more (the workgroup's cutoff); at least 10. */
  readonly bytesScannedCutoffMB: number;
  /** Days exports and query results are kept. */
  readonly retentionDays: number;
  /**
   * What happens to the bucket when the stack is deleted.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Analysis of the inference records on AWS, at any scale: the table's point-in-time exports
 * land in an encrypted, versioned, TLS-only bucket; a Glue table reads them (full exports'
 * `{"Item":...}` lines and incremental exports' `{"NewImage":...}` lines, each export a
 * partition injected at query time); an Athena workgroup runs the same SQL the local engine
 * runs, with encrypted results and a cap on the bytes one query may scan, enforced.
 * `npm run analyze -- --aws` starts or reuses an export and queries it here.
 *
 * Exports need point-in-time recovery on the table ("The table must have point in time
 * recovery enabled", ExportTableToPointInTime,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ExportTableToPointInTime.html).
 */
export class RecordAnalytics extends Construct {
  /** The export and query-result bucket. */
  readonly bucket: s3.Bucket;
  readonly database: glue.CfnDatabase;
  /** Full exports (`Item` column). */
  readonly exportsTable: glue.CfnTable;
  /** Incremental exports (`NewImage` column). */
  readonly incrementsTable: glue.CfnTable;
  readonly workGroup: athena.CfnWorkGroup;
  /** What an analyst (or `npm run analyze -- --aws`) needs, and no more: attach it to their role. */
  readonly analystPolicy: iam.ManagedPolicy;
  readonly databaseName: string;
  readonly workGroupName: string;

  constructor(scope: Construct, id: string, props: RecordAnalyticsProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.bucket = new s3.Bucket(this, 'Resource', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: props.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogsBucket,
      serverAccessLogsPrefix: props.accessLogsPrefix,
      lifecycleRules: [
        {
          expiration: Duration.days(props.retentionDays),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
      autoDeleteObjects: removalPolicy === RemovalPolicy.DESTROY,
    });

    // Glue and Athena names: lowercase letters, digits and underscores are safe in both.
    this.databaseName = `${props.namePrefix.replace(/-/g, '_')}_records`;
    this.database = new glue.CfnDatabase(this, 'Database', {
      catalogId: stack.account,
      databaseInput: { name: this.databaseName, description: 'Point-in-time exports of the inference table, for npm run analyze -- --aws' },
    });
    this.exportsTable = this.exportTable('ExportsTable', 'inference_exports', 'item', 'Full exports: one {"Item":...} per line');
    this.incrementsTable = this.exportTable(
      'IncrementsTable',
      'inference_increments',
      'newimage',
      'Incremental exports: one {"Metadata","Keys","NewImage"} per line',
    );

    this.workGroupName = `${props.namePrefix}-records`;
    const cutoffBytes = props.bytesScannedCutoffMB * 1024 * 1024;
    this.workGroup = new athena.CfnWorkGroup(this, 'WorkGroup', {
      name: this.workGroupName,
      description: 'Analysis of the inference records (npm run analyze -- --aws)',
      state: 'ENABLED',
      recursiveDeleteOption: removalPolicy === RemovalPolicy.DESTROY,
      workGroupConfiguration: {
        // Workgroup settings override the client's: results always land here, encrypted.
        // ("EnforceWorkGroupConfiguration", WorkGroupConfiguration,
        // https://docs.aws.amazon.com/athena/latest/APIReference/API_WorkGroupConfiguration.html)
        enforceWorkGroupConfiguration: true,
        // "Minimum value of 10000000" (same page); validate.ts keeps the setting at 10 MB or more.
        bytesScannedCutoffPerQuery: cutoffBytes,
        publishCloudWatchMetricsEnabled: true,
        engineVersion: { selectedEngineVersion: 'Athena engine version 3' },
        resultConfiguration: {
          outputLocation: this.bucket.s3UrlForObject(ANALYTICS_PREFIX.results),
          encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKey: props.key.keyArn },
        },
      },
    });

    const exportsArn = `${props.table.tableArn}/export/*`;
    const glueTables = stack.formatArn({ service: 'glue', resource: 'table', resourceName: `${this.databaseName}/*` });
    this.analystPolicy = new iam.ManagedPolicy(this, 'AnalystPolicy', {
      description: 'Start and read exports of the inference table and query them in the records workgroup',
      statements: [
        new iam.PolicyStatement({
          sid: 'ExportTheTable',
          actions: ['dynamodb:ExportTableToPointInTime', 'dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups'],
          resources: [props.table.tableArn],
        }),
        new iam.PolicyStatement({
          sid: 'FollowTheTablesExports',
          actions: ['dynamodb:DescribeExport', 'dynamodb:ListExports'],
          resources: [exportsArn],
        }),
        new iam.PolicyStatement({
          sid: 'ExportsAndResults',
          actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
          resources: [this.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'ListExportsAndResults',
          actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'],
          resources: [this.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'QueryInTheWorkGroup',
          actions: [
            'athena:StartQueryExecution',
            'athena:GetQueryExecution',
            'athena:GetQueryResults',
            'athena:StopQueryExecution',
            'athena:GetWorkGroup',
          ],
          resources: [stack.formatArn({ service: 'athena', resource: 'workgroup', resourceName: this.workGroupName })],
        }),
        new iam.PolicyStatement({
          sid: 'ReadTheCatalog',
          // Athena creates the analysis views in the database (CREATE OR REPLACE VIEW).
          actions: ['glue:GetDatabase', 'glue:GetTable', 'glue:GetTables', 'glue:GetPartitions', 'glue:CreateTable', 'glue:UpdateTable'],
          resources: [
            stack.formatArn({ service: 'glue', resource: 'catalog' }),
            stack.formatArn({ service: 'glue', resource: 'database', resourceName: this.databaseName }),
            glueTables,
          ],
        }),
        new iam.PolicyStatement({
          sid: 'UseTheDataKeyThroughS3AndDynamoDB',
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
          resources: [props.key.keyArn],
          conditions: {
            StringEquals: { 'kms:ViaService': [`s3.${stack.region}.amazonaws.com`, `dynamodb.${stack.region}.amazonaws.com`] },
          },
        }),
      ],
    });
    const policy = this.analystPolicy.node.defaultChild as iam.CfnManagedPolicy;
    acknowledge(
      policy,
      wildcardResourceFinding(this, exportsArn),
      "Export ids are made by DynamoDB when an export starts; the wildcard is confined to this table's own exports.",
    );
    acknowledge(
      policy,
      wildcardResourceFinding(this, this.bucket.arnForObjects('*')),
      'Exports and query results are objects whose keys DynamoDB and Athena choose; the wildcard is confined to this bucket, which holds nothing else.',
    );
    acknowledge(
      policy,
      wildcardResourceFinding(this, glueTables),
      'The analysis creates its views per run in its own database; the wildcard is confined to the tables of this database.',
    );
  }

  /**
   * An external table over the exports' data files: partitioned by export id, injected at
   * query time, so every export is readable without adding partitions ("Use dynamic ID
   * partitioning", https://docs.aws.amazon.com/athena/latest/ug/partition-projection-dynamic-id-partitioning.html:
   * "Your query must include at least one value for the partition key").
   */
  private exportTable(id: string, name: string, column: string, description: string): glue.CfnTable {
    const location = this.bucket.s3UrlForObject(`${ANALYTICS_PREFIX.exports}AWSDynamoDB/`);
    const table = new glue.CfnTable(this, id, {
      catalogId: Stack.of(this).account,
      databaseName: this.databaseName,
      tableInput: {
        name,
        description,
        tableType: 'EXTERNAL_TABLE',
        parameters: {
          classification: 'json',
          'projection.enabled': 'true',
          'projection.export_id.type': 'injected',
          // Athena's own placeholder, not a CloudFormation one.
          'storage.location.template': `${location}\${export_id}/data/`,
        },
        partitionKeys: [{ name: 'export_id', type: 'string' }],
        storageDescriptor: {
          location,
          inputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          // DynamoDB JSON lines: "Many AWS services, such as Athena and AWS Glue, will parse this
          // format automatically" ("DynamoDB table export output format",
          // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html).
          serdeInfo: { serializationLibrary: 'org.openx.data.jsonserde.JsonSerDe', parameters: { 'case.insensitive': 'true' } },
          columns: [{ name: column, type: ITEM_HIVE_TYPE }],
        },
      },
    });
    table.addResourceDependency(this.database);
    return table;
  }
}
