import { Stack, Validations } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Acknowledges one cdk-nag finding on one construct (and what it contains), with the reason a
 * reviewer reads. cdk-nag 3 reads these from CDK's own `Validations` metadata; there is no
 * stack-wide or prefix form here on purpose: each acknowledgement names a resource and a rule,
 * or a rule's single finding (`AwsSolutions-IAM5[Resource::...]`).
 */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  if (Stack.isStack(scope) || !scope.node.scope) {
    throw new Error(`acknowledge ${id} on a resource, not on the stack or app ${scope.node.path}`);
  }
  if (reason.trim().length < 40) throw new Error(`acknowledgement ${id} at ${scope.node.path} needs a specific reason, got '${reason}'`);
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * The finding id cdk-nag's AwsSolutions-IAM5 reports for a wildcard resource, for example
 * `AwsSolutions-IAM5[Resource::<DataCaptureBucket729F772E.Arn>/datacapture/*]`: the resource as
 * the template holds it, intrinsics flattened the way cdk-nag flattens them. A reference to
 * another stack resolves to a `Fn::GetStackOutput` of a CDK-named output, so the id stays the
 * same before and after synthesis only when the caller passes the value `readFromStack` returned
 * (see ApiStack).
 */
export function wildcardResourceFinding(scope: IConstruct, resource: string): string {
  return `AwsSolutions-IAM5[Resource::${flatten(Stack.of(scope).resolve(resource))}]`;
}

function flatten(node: unknown): string {
  if (node === undefined) return '';
  if (typeof node === 'string') return node.replace(/\$\{/g, '<').replace(/\}/g, '>');
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- CloudFormation intrinsics are untyped JSON, walked by shape
  const o = node as Record<string, any>;
  if (o['Fn::Join']) return (o['Fn::Join'][1] as unknown[]).map(flatten).join(o['Fn::Join'][0]);
  if (o['Fn::Sub']) return flatten(o['Fn::Sub']);
  if (o['Fn::GetAtt']) return `<${flatten(o['Fn::GetAtt'][0])}.${flatten(o['Fn::GetAtt'][1])}>`;
  if (o['Fn::ImportValue']) return flatten(o['Fn::ImportValue']);
  if (o.Ref) return `<${flatten(o.Ref)}>`;
  return JSON.stringify(node);
}

/**
 * The AWS Control Tower proactive controls the stacks are checked against, by control id, with
 * the name of the CloudFormation Guard rule that implements each one in AWS's rule set (as
 * shipped by @cdklabs/cdk-validator-cfnguard; test/checks/guard reads the rule files to keep
 * these names true). Control catalog: https://docs.aws.amazon.com/controltower/latest/controlreference/proactive-controls.html
 */
export const CONTROL_RULES = {
  'CT.CLOUDTRAIL.PR.3': 'cloud_trail_cloud_watch_logs_enabled_check',
  'CT.CLOUDWATCH.PR.1': 'cloudwatch_alarm_action_check',
  'CT.CLOUDWATCH.PR.2': 'cloudwatch_log_group_retention_period_check',
  'CT.CLOUDWATCH.PR.3': 'cloudwatch_log_group_encrypted_check',
  'CT.DYNAMODB.PR.1': 'dynamodb_table_pitr_enabled_check',
  'CT.KMS.PR.3': 'kms_create_grant_aws_service_check',
  'CT.LAMBDA.PR.2': 'lambda_function_public_access_prohibited_check',
  'CT.LAMBDA.PR.3': 'lambda_inside_vpc_check',
  'CT.S3.PR.2': 's3_bucket_logging_enabled_check',
  'CT.S3.PR.4': 's3_event_notifications_enabled_check',
  'CT.S3.PR.9': 's3_bucket_object_lock_enabled_check',
  'CT.S3.PR.10': 's3_bucket_default_encryption_kms_check',
  'CT.S3.PR.11': 's3_bucket_versioning_enabled_check',
} as const;
export type ControlId = keyof typeof CONTROL_RULES;

/** The namespace CDK gives the findings of the cfn-guard validation plugin (its plugin name). */
export const GUARD_NAMESPACE = 'cdk-validator-cfnguard';

/**
 * Acknowledges one Control Tower proactive control on one resource, with the reason a reviewer
 * reads, through CDK's own `Validations` metadata (which CDK applies to every policy-validation
 * plugin's report). An account that enforces the control still refuses the resource: the
 * acknowledgement records a decision, it does not bypass the hook.
 */
export function acknowledgeControl(scope: IConstruct, control: ControlId, reason: string): void {
  acknowledge(scope, `${GUARD_NAMESPACE}::${CONTROL_RULES[control]}`, `[${control}] ${reason}`);
}
