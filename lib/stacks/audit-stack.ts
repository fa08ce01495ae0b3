import * as path from 'path';
import { CfnOutput, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { REPO_PATHS } from '../../contract/repo-paths';
import { AuditEventDataStore } from '../audit/audit-event-data-store';
import { AuditTrail } from '../audit/audit-trail';
import type { AuditScope } from '../audit/event-selectors';
import { ResponderWorkspace, WorkspaceAuditBackend } from '../audit/responder-workspace';
import { TrailQueryTable } from '../audit/trail-query-table';
import { AuditConfig } from '../config/stage-config';
import type { ServedEndpoint } from './api-stack';
import { ACCESS_LOG_PREFIX } from './data-stack';

export interface AuditStackProps extends StackProps {
  /** `project-stage`: the trail's, store's, workspace's and Athena names start with it. */
  readonly prefix: string;
  /** The stage's name, for the refusal of a disabled audit. */
  readonly stage: string;
  /** What is recorded, where, and for how long (`audit`). */
  readonly audit: AuditConfig;
  /** Days the responder workspace's flow log is kept. */
  readonly logRetentionDays: number;
  /** The inference table: its item reads, writes and deletes are recorded as data events. */
  readonly table: dynamodb.ITable;
  /** The pipeline's functions: direct invocations are recorded; the workspace may stop them. */
  readonly functions: lambda.IFunction[];
  /** Buckets whose object reads and writes are recorded (data capture, payload overflow). */
  readonly buckets: s3.IBucket[];
  /** The stage's S3 server access logs bucket (data stack), for the trail and results buckets. */
  readonly accessLogsBucket?: s3.IBucket;
  /** The pipeline's roles: the only roles the workspace may detach policies from. */
  readonly roles: iam.IRole[];
  /**
   * The pipeline's own service roles, left out of the data events when
   * `audit.excludeServiceRoleDataEvents` is on.
   * @default - the `roles`
   */
  readonly serviceRoles?: iam.IRole[];
  /**
   * The pipeline's REST API: the workspace may throttle its stages.
   * @default - no API containment in the workspace
   */
  readonly restApi?: apigateway.IRestApi;
  /**
   * The API's keys in API-key mode: the workspace may disable them.
   * @default - none
   */
  readonly apiKeys?: apigateway.IApiKey[];
  /** The SageMaker endpoint the pipeline serves: the runbook's configuration names it. */
  readonly endpoint: ServedEndpoint;
}

/** The committed runbook notebook the responder workspace ships (`npm run docs:notebook`). */
export const RUNBOOK_NOTEBOOK_FILE = path.join(__dirname, '..', '..', REPO_PATHS.runbookNotebook);

/**
 * The audit record of the pipeline and the tools to act on it.
 *
 * The record has three parts, because no single one sees everything:
 *  - this stack's CloudTrail record: who called which AWS API, from where — management events
 *    (all, or writes only) and data events on the pipeline's own table, functions and buckets,
 *    scoped by ARN so other workloads add no cost. By `audit.backend`, either
 *    - `trail` (default): a trail delivering to an Object Lock bucket, queried with Athena
 *      through a Glue table with partition projection, or
 *    - `lake`: a CloudTrail Lake event data store (closed to new AWS customers since 2026-05-31);
 *  - the inference table: every prediction with its input (or hash), output and model version.
 *    SageMaker InvokeEndpoint is not a CloudTrail event, so predictions are recorded only there;
 *  - the API access log: every HTTP request with caller, source IP and status, joined to the
 *    table by request id.
 * The query library (tools/runbook/queries) runs unchanged on either backend; the runbook CLI
 * and the optional responder workspace (a SageMaker notebook) run those queries and the
 * containment actions.
 */
export class AuditStack extends Stack {
  /** The Lake backend's store (`audit.backend=lake`). */
  readonly eventDataStore?: AuditEventDataStore;
  /** The trail backend's trail and its Athena table (`audit.backend=trail`). */
  readonly trail?: AuditTrail;
  readonly trailTable?: TrailQueryTable;
  readonly workspace?: ResponderWorkspace;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { audit, prefix } = props;
    if (!audit.enabled) throw new Error(`audit stack of stage ${props.stage}: audit.enabled is false, do not create the stack`);
    // What either backend records: the same selectors on the Lake store and on the trail.
    const recorded: AuditScope = {
      managementEvents: audit.managementEvents,
      tables: audit.dataEvents ? [props.table] : [],
      functions: audit.dataEvents ? props.functions : [],
      buckets: audit.dataEvents ? props.buckets : [],
      excludedRoles: audit.excludeServiceRoleDataEvents ? (props.serviceRoles ?? props.roles) : [],
    };

    let backend: WorkspaceAuditBackend;
    if (audit.backend === 'lake') {
      this.eventDataStore = new AuditEventDataStore(this, 'EventDataStore', {
        eventDataStoreName: `${prefix}-audit`,
        ...recorded,
        retentionDays: audit.retentionDays,
        terminationProtection: audit.terminationProtection,
        multiRegion: audit.multiRegion,
        organization: audit.organization,
      });
      backend = { kind: 'lake', eventDataStore: this.eventDataStore };
    } else {
      // Referenced by name only, as the data capture bucket does: the data stack's policy already
      // admits this account's deliveries under the audit prefixes, and a grant from here would
      // make the data stack depend on this one.
      const accessLogs = props.accessLogsBucket && s3.Bucket.fromBucketName(this, 'AccessLogsBucket', props.accessLogsBucket.bucketName);
      this.trail = new AuditTrail(this, 'Trail', {
        trailName: `${prefix}-audit`,
        ...recorded,
        retentionDays: audit.retentionDays,
        objectLockMode: audit.trail.objectLockMode,
        multiRegion: audit.multiRegion,
        accessLogs: accessLogs && { bucket: accessLogs, prefix: ACCESS_LOG_PREFIX.auditTrail },
      });
      this.trailTable = new TrailQueryTable(this, 'Query', {
        trail: this.trail,
        databaseName: `${prefix.replace(/-/g, '_')}_audit`,
        workGroupName: `${prefix}-audit`,
        // A multi-region trail files IAM and STS (global service events) under us-east-1.
        regions: audit.multiRegion ? [this.region, 'us-east-1'] : [this.region],
        resultRetentionDays: audit.trail.queryResultRetentionDays,
        bytesScannedCutoffPerQuery: audit.trail.bytesScannedCutoffPerQueryMb * 1_000_000,
        accessLogs: accessLogs && { bucket: accessLogs, prefix: ACCESS_LOG_PREFIX.auditResults },
      });
      for (const bucket of [this.trail.bucket, this.trailTable.resultsBucket]) {
        Validations.of(bucket).acknowledge({
          id: '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
          reason:
            "The access logs bucket policy (data stack, S3ServerAccessLogsFromThisAccount) admits this account's log deliveries under the audit prefixes.",
        });
      }
      backend = { kind: 'athena', table: this.trailTable };
    }

    if (audit.responderWorkspace.enabled) {
      this.workspace = new ResponderWorkspace(this, 'ResponderWorkspace', {
        backend,
        notebookFile: RUNBOOK_NOTEBOOK_FILE,
        instanceType: audit.responderWorkspace.instanceType,
        notebookInstanceName: `${prefix}-responder`,
        prefix,
        tableName: props.table.tableName,
        endpointName: props.endpoint.endpointName,
        functions: props.functions,
        roles: props.roles,
        restApi: props.restApi,
        apiKeys: props.apiKeys,
        logRetentionDays: props.logRetentionDays,
      });
      new CfnOutput(this, 'ResponderNotebookName', {
        value: this.workspace.notebookInstanceName,
        description: 'SageMaker notebook instance holding the runbook',
      });
      new CfnOutput(this, 'ResponderRoleArn', { value: this.workspace.role.roleArn, description: 'Role of the responder notebook' });
    }

    if (this.eventDataStore) {
      new CfnOutput(this, 'EventDataStoreArn', {
        value: this.eventDataStore.eventDataStoreArn,
        description: 'npm run runbook -- run QUERY --event-data-store ARN',
      });
      new CfnOutput(this, 'EventDataStoreId', {
        value: this.eventDataStore.eventDataStoreId,
        description: 'What CloudTrail Lake SQL names in FROM',
      });
      new CfnOutput(this, 'EventDataStoreKeyArn', {
        value: this.eventDataStore.encryptionKey.keyArn,
        description: 'KMS key of the event data store (cannot be changed)',
      });
    }
    if (this.trail && this.trailTable) {
      new CfnOutput(this, 'TrailArn', { value: this.trail.trailArn, description: 'The CloudTrail trail of the pipeline' });
      new CfnOutput(this, 'TrailBucketName', {
        value: this.trail.bucket.bucketName,
        description: 'Object Lock bucket of the trail (aws s3 sync it for offline queries)',
      });
      new CfnOutput(this, 'AthenaWorkGroup', {
        value: this.trailTable.workGroupName,
        description: `npm run runbook -- run QUERY --athena-workgroup ${this.trailTable.workGroupName} --athena-table ${this.trailTable.databaseName}.${this.trailTable.tableName}`,
      });
      new CfnOutput(this, 'AthenaTable', {
        value: `${this.trailTable.databaseName}.${this.trailTable.tableName}`,
        description: 'Glue table over the trail (database.table)',
      });
    }
  }
}
