import { CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { AuditEventDataStore } from '../audit/audit-event-data-store';
import { notebookJson } from '../../tools/runbook/notebook';
import { loadQueryLibrary } from '../../tools/runbook/query-library';
import { ResponderWorkspace } from '../audit/responder-workspace';
import { StageConfig, resourcePrefix } from '../config/stage-config';

export interface AuditStackProps extends StackProps {
  readonly config: StageConfig;
  /** The inference table: its item reads, writes and deletes are recorded as data events. */
  readonly table: dynamodb.ITable;
  /** The pipeline's functions: direct invocations are recorded; the workspace may stop them. */
  readonly functions: lambda.IFunction[];
  /** Buckets whose object reads and writes are recorded (data capture, payload overflow). */
  readonly buckets: s3.IBucket[];
  /** The pipeline's roles: the only roles the workspace may detach policies from. */
  readonly roles: iam.IRole[];
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
  /** The SageMaker endpoint's name, for the runbook's configuration. */
  readonly endpointName: string;
}

/**
 * The audit record of the pipeline and the tools to act on it.
 *
 * The record has three parts, because no single one sees everything:
 *  - this stack's CloudTrail Lake event data store: who called which AWS API, from where —
 *    management events (all, or writes only) and data events on the pipeline's own table,
 *    functions and buckets, scoped by ARN so other workloads add no cost;
 *  - the inference table: every prediction with its input (or hash), output and model version.
 *    SageMaker InvokeEndpoint is not a CloudTrail event, so predictions are recorded only there;
 *  - the API access log: every HTTP request with caller, source IP and status, joined to the
 *    table by request id.
 * The query library (audit/queries) asks the event data store; the runbook CLI and the optional
 * responder workspace (a SageMaker notebook) run those queries and the containment actions.
 *
 * The store's KMS key cannot be changed once set, so it is created here with the store and
 * retained with it when termination protection is on.
 */
export class AuditStack extends Stack {
  readonly eventDataStore: AuditEventDataStore;
  readonly workspace?: ResponderWorkspace;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id, props);
    const { config } = props;
    const audit = config.audit;
    if (!audit.enabled) throw new Error(`audit stack of stage ${config.stage}: audit.enabled is false, do not create the stack`);
    const prefix = resourcePrefix(config);

    this.eventDataStore = new AuditEventDataStore(this, 'EventDataStore', {
      eventDataStoreName: `${prefix}-audit`,
      managementEvents: audit.managementEvents,
      tables: audit.dataEvents ? [props.table] : [],
      functions: audit.dataEvents ? props.functions : [],
      buckets: audit.dataEvents ? props.buckets : [],
      retentionDays: audit.retentionDays,
      terminationProtection: audit.terminationProtection,
      multiRegion: audit.multiRegion,
      organization: audit.organization,
    });

    if (audit.responderWorkspace.enabled) {
      this.workspace = new ResponderWorkspace(this, 'ResponderWorkspace', {
        eventDataStore: this.eventDataStore,
        notebook: notebookJson(loadQueryLibrary(), { title: `${prefix} incident-response runbook` }),
        instanceType: audit.responderWorkspace.instanceType,
        notebookInstanceName: `${prefix}-responder`,
        prefix,
        tableName: props.table.tableName,
        endpointName: props.endpointName,
        functions: props.functions,
        roles: props.roles,
        restApi: props.restApi,
        apiKeys: props.apiKeys,
        logRetentionDays: config.logRetentionDays,
      });
      new CfnOutput(this, 'ResponderNotebookName', { value: this.workspace.notebookInstanceName, description: 'SageMaker notebook instance holding the runbook' });
      new CfnOutput(this, 'ResponderRoleArn', { value: this.workspace.role.roleArn, description: 'Role of the responder notebook' });
    }

    new CfnOutput(this, 'EventDataStoreArn', {
      value: this.eventDataStore.eventDataStoreArn,
      description: 'npm run runbook -- run QUERY --event-data-store ARN',
    });
    new CfnOutput(this, 'EventDataStoreId', { value: this.eventDataStore.eventDataStoreId, description: 'What CloudTrail Lake SQL names in FROM' });
    new CfnOutput(this, 'EventDataStoreKeyArn', { value: this.eventDataStore.encryptionKey.keyArn, description: 'KMS key of the event data store (cannot be changed)' });
  }
}
