import { StageConfig, resourcePrefix } from '../../lib/config/stage-config';

export type StackRole = 'data' | 'endpoint' | 'api' | 'monitoring' | 'audit' | 'ci';

export interface StageStack {
  readonly name: string;
  readonly role: StackRole;
  /** One line on what the stack holds, for the deploy plan. */
  readonly holds: string;
}

/**
 * The stage's stacks in deployment order, named as `lib/stage-stacks.ts` names them
 * (`PROJECT-STAGE-ROLE`). A test compares this list with the synthesized app, so the
 * commands can find the stacks without synthesizing (which bundles every function).
 */
export function stageStacks(config: StageConfig): StageStack[] {
  const prefix = resourcePrefix(config);
  const cap = config.endpoint.capacity;
  const capacity = cap.mode === 'serverless' ? `serverless, ${cap.memorySizeMiB} MiB` : `${cap.initialInstanceCount} x ${cap.instanceType}`;
  const stacks: StageStack[] = [
    { role: 'data', name: `${prefix}-data`, holds: 'inference records table, payload bucket, KMS key' },
    {
      role: 'endpoint',
      name: `${prefix}-endpoint`,
      holds: `SageMaker endpoint: ${config.model.name} ${config.model.version} (${capacity}, ${config.endpoint.deployment.type} rollout)`,
    },
    { role: 'api', name: `${prefix}-api`, holds: `REST API (${config.api.authorization} auth), prediction and read functions` },
  ];
  if (config.monitoring.enabled)
    stacks.push({ role: 'monitoring', name: `${prefix}-monitoring`, holds: 'metric filters, alarms, alarm topic, dashboard' });
  if (config.audit.enabled)
    stacks.push({
      role: 'audit',
      name: `${prefix}-audit`,
      holds:
        config.audit.backend === 'lake'
          ? 'CloudTrail Lake event data store'
          : 'CloudTrail trail (Object Lock bucket), Glue table, Athena workgroup',
    });
  if (config.ci)
    stacks.push({
      role: 'ci',
      name: `${prefix}-ci`,
      holds: `GitHub OIDC deploy role for ${config.ci.githubRepository}@${config.ci.branch}`,
    });
  return stacks;
}

export function stackOf(config: StageConfig, role: StackRole): StageStack | undefined {
  return stageStacks(config).find((s) => s.role === role);
}
