import { CfnOutput, Fn, Stack } from 'aws-cdk-lib';

/**
 * Reads `value`, an attribute of a resource in `producer`, in `consumer` through
 * `Fn::GetStackOutput` of an output named `outputId`: the weak reference CDK generates for every
 * cross-stack reference of this app (cdk.json `@aws-cdk/core:defaultCrossStackReferences: weak`),
 * under a name chosen here, so that a finding id built from it (a wildcard resource under the
 * value) reads the same before and after synthesis.
 *
 * A weak reference holds no export, so the producer can drop the output when the consumer no
 * longer needs it, in the same deploy ("Fn::GetStackOutput", AWS CloudFormation Template Reference:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/intrinsic-function-reference-getstackoutput.html).
 */
export function readFromStack(consumer: Stack, producer: Stack, outputId: string, value: string): string {
  if (producer === consumer) return value;
  const output = (producer.node.tryFindChild(outputId) as CfnOutput | undefined) ?? new CfnOutput(producer, outputId, { value });
  consumer.addStackDependency(producer, `reads output ${outputId}`);
  return Fn.getStackOutput(producer.stackName, producer.resolve(output.logicalId));
}
