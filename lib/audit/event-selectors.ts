import { Stack, aws_cloudtrail as cloudtrail } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { IConstruct } from 'constructs';

/**
 * The advanced event selectors of the pipeline's event data store, in CloudTrail's documented
 * vocabulary (AdvancedFieldSelector in the CloudTrail API reference):
 *  - `eventCategory` Equals `Management` or `Data`, `readOnly` Equals `false` for write-only;
 *  - `resources.type` Equals one documented data-event type per selector:
 *    `AWS::DynamoDB::Table`, `AWS::Lambda::Function`, `AWS::S3::Object`;
 *  - `resources.ARN` Equals the exact table and function ARNs (the documented Equals formats
 *    `arn:<partition>:dynamodb:<region>:<account>:table/<name>` and
 *    `arn:<partition>:lambda:<region>:<account>:function:<name>`), StartsWith `<bucket ARN>/`
 *    for every object of a bucket (the trailing slash is what the documentation asks for).
 *
 * DynamoDB documents no separate ARN for indexes in selectors: reads through a global
 * secondary index are data events on the table (with `indexName` in requestParameters), so the
 * table's ARN covers them. An event data store takes at most five selectors; this uses four.
 */
export interface DataEventResources {
  readonly tableArns: readonly string[];
  readonly functionArns: readonly string[];
  readonly bucketArns: readonly string[];
}

export type ManagementEvents = 'all' | 'write-only';

export const DATA_RESOURCE_TYPES = {
  table: 'AWS::DynamoDB::Table',
  function: 'AWS::Lambda::Function',
  object: 'AWS::S3::Object',
} as const;

type Selector = cloudtrail.CfnEventDataStore.AdvancedEventSelectorProperty;

/**
 * Callers to leave out of the data events. `userIdentity.arn` is a data-event field of both
 * event data stores and trails in the current API reference ("For CloudTrail data events,
 * supported fields include eventCategory (required), eventName, eventSource, eventType,
 * resources.type (required), readOnly, resources.ARN, sessionCredentialFromConsole, and
 * userIdentity.arn", AdvancedFieldSelector,
 * https://docs.aws.amazon.com/awscloudtrail/latest/APIReference/API_AdvancedFieldSelector.html).
 * A role's sessions all have the ARN `arn:<partition>:sts::<account>:assumed-role/<role>/<session>`,
 * so NotStartsWith that prefix (with its slash, so `role-x` does not also hide `role-xy`) leaves
 * out every session of the role. Selectors allow no wildcards, hence the prefix.
 */
export interface DataEventExclusions {
  readonly excludedRoleNames: readonly string[];
  readonly account: string;
  readonly partition: string;
}

export function advancedEventSelectors(
  managementEvents: ManagementEvents,
  data?: DataEventResources,
  exclusions?: DataEventExclusions,
): Selector[] {
  const selectors: Selector[] = [
    {
      name: managementEvents === 'all' ? 'Management events, read and write' : 'Management events, write only',
      fieldSelectors: [
        { field: 'eventCategory', equalTo: ['Management'] },
        ...(managementEvents === 'write-only' ? [{ field: 'readOnly', equalTo: ['false'] }] : []),
      ],
    },
  ];
  if (!data) return selectors;
  const excluded = exclusions?.excludedRoleNames ?? [];
  const notRoles: cloudtrail.CfnEventDataStore.AdvancedFieldSelectorProperty[] =
    excluded.length === 0
      ? []
      : [
          {
            field: 'userIdentity.arn',
            notStartsWith: excluded.map((role) => `arn:${exclusions!.partition}:sts::${exclusions!.account}:assumed-role/${role}/`),
          },
        ];
  const dataSelector = (name: string, type: string, arn: cloudtrail.CfnEventDataStore.AdvancedFieldSelectorProperty): Selector => ({
    name,
    fieldSelectors: [{ field: 'eventCategory', equalTo: ['Data'] }, { field: 'resources.type', equalTo: [type] }, arn, ...notRoles],
  });
  // A selector without ARNs would log the type account-wide: leave it out instead.
  if (data.tableArns.length > 0) {
    selectors.push(
      dataSelector('Inference table items', DATA_RESOURCE_TYPES.table, { field: 'resources.ARN', equalTo: [...data.tableArns] }),
    );
  }
  if (data.functionArns.length > 0) {
    selectors.push(
      dataSelector('Pipeline function invocations', DATA_RESOURCE_TYPES.function, {
        field: 'resources.ARN',
        equalTo: [...data.functionArns],
      }),
    );
  }
  if (data.bucketArns.length > 0) {
    selectors.push(
      dataSelector('Pipeline bucket objects', DATA_RESOURCE_TYPES.object, {
        field: 'resources.ARN',
        startsWith: data.bucketArns.map((arn) => `${arn}/`),
      }),
    );
  }
  return selectors;
}

/** What both audit backends (the Lake event data store and the trail) record, and whose calls they leave out. */
export interface AuditScope {
  /**
   * Management events to keep: read and write, or write only (about half the ingestion).
   * @default 'write-only'
   */
  readonly managementEvents?: ManagementEvents;
  /**
   * Record data events on these tables (item reads, writes, deletes), scoped by ARN.
   * @default - no table data events
   */
  readonly tables?: readonly dynamodb.ITable[];
  /**
   * Record data events (Invoke) on these functions, scoped by ARN.
   * @default - no function data events
   */
  readonly functions?: readonly lambda.IFunction[];
  /**
   * Record data events on every object of these buckets.
   * @default - no object data events
   */
  readonly buckets?: readonly s3.IBucket[];
  /**
   * Leave these roles' sessions out of the data events (`userIdentity.arn` NotStartsWith).
   * @default - every caller is recorded
   */
  readonly excludedRoles?: readonly iam.IRole[];
}

/** The advanced event selectors of a scope, in the account and partition of `scope`'s stack. */
export function scopeSelectors(scope: IConstruct, audited: AuditScope): Selector[] {
  const data: DataEventResources = {
    tableArns: (audited.tables ?? []).map((t) => t.tableArn),
    functionArns: (audited.functions ?? []).map((f) => f.functionArn),
    bucketArns: (audited.buckets ?? []).map((b) => b.bucketArn),
  };
  const hasData = data.tableArns.length + data.functionArns.length + data.bucketArns.length > 0;
  const stack = Stack.of(scope);
  return advancedEventSelectors(audited.managementEvents ?? 'write-only', hasData ? data : undefined, {
    excludedRoleNames: (audited.excludedRoles ?? []).map((r) => r.roleName),
    account: stack.account,
    partition: stack.partition,
  });
}
