import { CfnResource, IAspect, Stack, Token } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { IConstruct } from 'constructs';
import { acknowledgeControl } from './acknowledge';

export interface StageGuardrailsProps {
  /** The stage's key: every log group of the stage is encrypted with it. */
  readonly logKey: kms.IKey;
  /** The stage's name, for the reasons the acknowledgements give. */
  readonly stage: string;
}

/** Control Tower's minimum log retention (CT.CLOUDWATCH.PR.2: "at least one year"). */
export const MIN_COMPLIANT_RETENTION_DAYS = 365;

/**
 * What AWS Control Tower's proactive controls require of every resource of a kind, applied to
 * every stack of a stage, so that a resource added later cannot forget it:
 *  - CT.CLOUDWATCH.PR.3: every log group is encrypted with the stage's key (whose policy admits
 *    CloudWatch Logs, see DataStack);
 *  - CT.CLOUDWATCH.PR.2: a stage that keeps logs under a year acknowledges it on each log group,
 *    naming its setting (dev, to save storage cost);
 *  - CT.KMS.PR.3: every key's policy denies `kms:CreateGrant` unless the grant is for an AWS
 *    resource or the caller is an AWS service;
 * (CT.LAMBDA.PR.2 needs nothing here: every service permission of the stage names its source
 * (`SourceArn`, this API's execute-api ARN). A `SourceAccount` condition is not added on top: a
 * service that does not send the source account, as CloudWatch Events does not, is then refused
 * every invocation, and API Gateway's behaviour is not documented.)
 * Controls: https://docs.aws.amazon.com/controltower/latest/controlreference/cloudwatch-rules.html,
 * .../kms-rules.html and .../lambda-rules.html.
 */
export class StageGuardrails implements IAspect {
  constructor(private readonly props: StageGuardrailsProps) {}

  visit(node: IConstruct): void {
    if (node instanceof logs.CfnLogGroup) this.encryptAndRetain(node);
    else if (node instanceof kms.Key) limitGrantsToAwsServices(node);
    else if (node instanceof s3.CfnBucket) acknowledgeBucketControls(node);
    else if (isFunctionOutsideVpc(node)) {
      acknowledgeControl(
        node,
        'CT.LAMBDA.PR.3',
        "This function runs in Lambda's own network, not a VPC: it calls only AWS APIs, over TLS with a role scoped to its resources, and accepts no inbound connection. network.vpc=true places the prediction and read functions in isolated subnets; the functions that run only during deploys (the deployment recorder, CDK's custom resource providers) stay outside.",
      );
    }
  }

  private encryptAndRetain(group: logs.CfnLogGroup): void {
    group.kmsKeyId ??= this.props.logKey.keyArn;
    const days = group.retentionInDays;
    if (days !== undefined && !Token.isUnresolved(days) && days < MIN_COMPLIANT_RETENTION_DAYS) {
      acknowledgeControl(
        group,
        'CT.CLOUDWATCH.PR.2',
        `Stage ${this.props.stage} keeps its logs ${days} days (logRetentionDays=${days}) to save log storage cost; it is a disposable stage, and prod keeps every log group ${MIN_COMPLIANT_RETENTION_DAYS} days.`,
      );
    }
  }
}

/**
 * CT.KMS.PR.3's statement: no principal may create a grant on the key unless the grant is for an
 * AWS resource (a service creating it for the caller, `kms:GrantIsForAWSResource`) or the caller
 * is an AWS service (`aws:PrincipalIsAWSService`). The services that use the stage's keys
 * (DynamoDB, S3, SageMaker, CloudTrail Lake, CloudWatch Logs) create their grants that way.
 * KMS condition keys: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource
 */
export function limitGrantsToAwsServices(key: kms.Key): void {
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'GrantsOnlyForAwsResources',
      effect: iam.Effect.DENY,
      principals: [new iam.AnyPrincipal()],
      actions: ['kms:CreateGrant'],
      resources: ['*'],
      conditions: { BoolIfExists: { 'kms:GrantIsForAWSResource': 'false', 'aws:PrincipalIsAWSService': 'false' } },
    }),
  );
}

/**
 * CT.S3.PR.4 (event notifications) and CT.S3.PR.9 (Object Lock) are elective controls that do not
 * fit these buckets, acknowledged on each one. Object Lock would keep objects past the expiry the
 * stage promises (payloads and captures expire with the records; logs with logRetentionDays), and
 * once on it cannot be turned off. Nothing consumes an event of these buckets: the table indexes
 * payloads, and the access and capture files are read on demand.
 */
function acknowledgeBucketControls(bucket: s3.CfnBucket): void {
  if (bucket.objectLockEnabled === true) return;
  acknowledgeControl(
    bucket,
    'CT.S3.PR.9',
    "No Object Lock: this bucket's objects must expire with the stage's retention (lifecycle rules: payloads and captures with the records, logs with logRetentionDays), which a lock would prevent, and Object Lock cannot be turned off again.",
  );
  if (bucket.notificationConfiguration === undefined) {
    acknowledgeControl(
      bucket,
      'CT.S3.PR.4',
      'No event notifications: nothing in the pipeline reacts to a new object here; the inference table points at payloads, and access logs and captured data are read on demand by the runbook and by analysts.',
    );
  }
}

/** A function (the pipeline's, or a CDK custom resource provider) with no VPC configuration. */
function isFunctionOutsideVpc(node: IConstruct): node is CfnResource {
  if (!CfnResource.isCfnResource(node) || node.cfnResourceType !== 'AWS::Lambda::Function') return false;
  if (node instanceof lambda.CfnFunction) return node.vpcConfig === undefined;
  const properties = Stack.of(node).resolve((node as unknown as { _cfnProperties: Record<string, unknown> })._cfnProperties);
  return properties?.VpcConfig === undefined;
}
