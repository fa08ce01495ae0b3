import * as fs from 'fs';
import * as path from 'path';
import { resolveStageConfig } from '../../lib/config/load-config';
import { StageConfig, resourcePrefix } from '../../lib/config/stage-config';

/** The repository root: where cdk.json, and the CDK CLI the commands run, live. */
export const REPO_ROOT = path.join(__dirname, '..', '..');

/** cdk.json's context: the stage definitions and feature flags `cdk` itself reads. */
export function readCdkContext(root = REPO_ROOT): Record<string, unknown> {
  const file = path.join(root, 'cdk.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { context?: Record<string, unknown> };
  return json.context ?? {};
}

/**
 * The stage's configuration exactly as `cdk -c stage=STAGE -c k=v` resolves it, so the
 * commands name the same stacks and region the CDK app will, and an unknown stage or a
 * bad setting fails here, before anything talks to AWS.
 */
export function loadStage(stage: string, overrides: Readonly<Record<string, string>> = {}): StageConfig {
  return resolveStageConfig({ ...readCdkContext(), ...overrides, stage });
}

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
  if (config.monitoring.enabled) stacks.push({ role: 'monitoring', name: `${prefix}-monitoring`, holds: 'metric filters, alarms, alarm topic, dashboard' });
  if (config.audit.enabled) stacks.push({ role: 'audit', name: `${prefix}-audit`, holds: 'CloudTrail Lake event data store' });
  if (config.ci) stacks.push({ role: 'ci', name: `${prefix}-ci`, holds: `GitHub OIDC deploy role for ${config.ci.githubRepository}@${config.ci.branch}` });
  return stacks;
}

export function stackOf(config: StageConfig, role: StackRole): StageStack | undefined {
  return stageStacks(config).find((s) => s.role === role);
}
