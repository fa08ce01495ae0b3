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
 * another stack resolves to its import, so the id stays the same before and after synthesis
 * only when the caller passes the value `Stack.exportValue` returned (see ApiStack).
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
