import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveStageConfig } from '../../lib/config/load-config';
import { StageStacks, createStageStacks } from '../../lib/stage-stacks';

const cdkJson = require('../../cdk.json').context as Record<string, unknown>;

export interface SynthesizedStage {
  readonly pipeline: StageStacks;
  readonly data: Template;
  readonly endpoint: Template;
  readonly api: Template;
  readonly monitoring?: Template;
  readonly audit?: Template;
}

/**
 * Synthesizes a stage offline, with no credentials (environment-agnostic stacks). Bundling
 * is skipped: these tests read the templates; the local pipeline tests run the real bundles.
 */
export function synthStage(stage: string, overrides: Record<string, unknown> = {}, bundle = false): SynthesizedStage {
  const app = new App({ context: { ...cdkJson, stage, ...overrides, 'aws:cdk:bundling-stacks': bundle ? ['**'] : [] } });
  const pipeline = createStageStacks(app, resolveStageConfig(app.node.getAllContext()));
  return {
    pipeline,
    data: Template.fromStack(pipeline.data),
    endpoint: Template.fromStack(pipeline.endpoint),
    api: Template.fromStack(pipeline.api),
    monitoring: pipeline.monitoring && Template.fromStack(pipeline.monitoring),
    audit: pipeline.audit && Template.fromStack(pipeline.audit),
  };
}

/** Every IAM statement of a template's policies and roles. */
export function policyStatements(template: Template): Array<Record<string, any>> {
  const statements: Array<Record<string, any>> = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  for (const role of Object.values(template.findResources('AWS::IAM::Role'))) {
    for (const inline of role.Properties.Policies ?? []) statements.push(...inline.PolicyDocument.Statement);
  }
  return statements;
}

/** The statements of the policy attached to the role whose logical id starts with `rolePrefix`. */
export function statementsOfRole(template: Template, rolePrefix: string): Array<Record<string, any>> {
  const statements: Array<Record<string, any>> = [];
  for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
    const roles = JSON.stringify(policy.Properties.Roles);
    if (roles.includes(`"${rolePrefix}`)) statements.push(...policy.Properties.PolicyDocument.Statement);
  }
  return statements;
}

export function actionsOf(statement: Record<string, any>): string[] {
  return [statement.Action].flat();
}
