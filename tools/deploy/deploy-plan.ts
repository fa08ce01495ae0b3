import { StageConfig } from '../../lib/config/stage-config';
import { CallerIdentity } from './aws-env';
import { CdkAction } from './cdk-command';
import { StageStack } from './stack-names';

/**
 * What the deploy command says before it hands over to cdk: where, as whom, which stacks
 * in which order, and for destroy what will outlive the stacks.
 */
export function describePlan(
  action: CdkAction,
  config: StageConfig,
  stacks: readonly StageStack[],
  identity: CallerIdentity,
  region: string,
): string {
  const verb = { deploy: 'deploy', diff: 'diff', destroy: 'destroy' }[action];
  const ordered = action === 'destroy' ? [...stacks].reverse() : stacks;
  const width = Math.max(...ordered.map((s) => s.name.length));
  return [
    `${verb} stage ${config.stage} in account ${identity.account}, region ${region} (as ${identity.arn})`,
    ...ordered.map((s, i) => `  ${i + 1}. ${s.name.padEnd(width)}  ${s.holds}`),
  ].join('\n');
}

/**
 * What `cdk destroy` leaves behind or cannot remove for this stage, from the same settings
 * the stacks read: retained data (still billed) and termination-protected stacks.
 */
export function destroyWarnings(config: StageConfig, stacks: readonly StageStack[]): string[] {
  const warnings: string[] = [];
  if (config.table.retainOnDelete) {
    const buckets = config.endpoint.dataCapture.enabled ? 'the payload and data-capture buckets' : 'the payload bucket';
    warnings.push(
      `stage ${config.stage} RETAINS its data on destroy: the DynamoDB table, its KMS key and ${buckets} stay in the account ` +
        '(and keep costing storage, and $1/month for the key) until you delete them by hand.',
    );
  }
  const protectedStacks = stacks.filter(
    (s) => (s.role === 'data' && config.table.deletionProtection) || (s.role === 'audit' && config.audit.terminationProtection),
  );
  for (const s of protectedStacks) {
    warnings.push(
      `${s.name} has termination protection: destroy stops at it. To remove it on purpose: ` +
        `aws cloudformation update-termination-protection --no-enable-termination-protection --stack-name ${s.name}`,
    );
  }
  if (config.audit.enabled && config.audit.terminationProtection) {
    warnings.push('the CloudTrail Lake event data store is retained with its events (audit.terminationProtection).');
  }
  warnings.push(
    'the model image and function bundles stay in the CDK bootstrap repository and bucket (cents per month; `npx cdk gc --unstable=gc` removes unused ones).',
  );
  return warnings;
}
