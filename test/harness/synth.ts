/**
 * The one way the tests synthesize a stage: offline, with no credentials (environment-agnostic
 * stacks), from cdk.json's context plus `-c`-style overrides, exactly as `cdk synth` resolves
 * them. The stack tests read templates, the nag checks the whole assembly, the monitoring tests
 * their stack; each reads what it needs of the same result.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveStageConfig } from '../../lib/config/load-config';
import { StageConfig } from '../../lib/config/stage-config';
import { MonitoringStack } from '../../lib/stacks/monitoring-stack';
import { StageStacks, createStageStacks } from '../../lib/stage-stacks';
import { readCdkContext } from '../../tools/cli/cdk-context';
import { atNodeStackDepth } from './stack-depth';

export interface SynthOptions {
  /** Build the functions' bundles (default: no; the tests that run bundles use the local pipeline). */
  readonly bundle?: boolean;
  /** The stage's settings as cdk.json's `stages` would give them (for objects `-c` cannot set, such as `ci`). */
  readonly stageSettings?: Readonly<Record<string, unknown>>;
}

export interface SynthesizedStage {
  readonly app: App;
  readonly config: StageConfig;
  readonly pipeline: StageStacks;
  /** Each stack's template, synthesized on first read. */
  readonly data: Template;
  readonly endpoint: Template;
  readonly api: Template;
  readonly monitoring?: Template;
  readonly audit?: Template;
}

export function synthStage(stage: string, overrides: Readonly<Record<string, unknown>> = {}, options: SynthOptions = {}): SynthesizedStage {
  const context = readCdkContext();
  const stages = options.stageSettings ? { ...(context.stages as object), [stage]: options.stageSettings } : context.stages;
  const app = new App({
    context: {
      ...context,
      stages,
      stage,
      ...overrides,
      'aws:cdk:bundling-stacks': options.bundle ? ['**'] : [],
      // Creation stack traces go to the assembly's metadata, never to a template, and cost about
      // a fifth of a synth through the tests' source maps.
      'aws:cdk:disable-creation-stack-traces': true,
    },
    // tree.json (the construct tree for the console's tree view) is read by no test: a tenth of a synth.
    treeMetadata: false,
  });
  const config = resolveStageConfig(app.node.getAllContext());
  const pipeline = atNodeStackDepth(() => createStageStacks(app, config));
  const templates = new Map<string, Template>();
  const template = (name: 'data' | 'endpoint' | 'api' | 'monitoring' | 'audit') => {
    const stack = pipeline[name];
    if (!stack) return undefined;
    if (!templates.has(name)) {
      const synthesized = atNodeStackDepth(() => Template.fromStack(stack));
      templates.set(name, synthesized);
    }
    return templates.get(name);
  };
  return {
    app,
    config,
    pipeline,
    get data() {
      return template('data')!;
    },
    get endpoint() {
      return template('endpoint')!;
    },
    get api() {
      return template('api')!;
    },
    get monitoring() {
      return template('monitoring');
    },
    get audit() {
      return template('audit');
    },
  };
}

export interface SynthesizedMonitoring {
  readonly config: StageConfig;
  readonly pipeline: StageStacks;
  readonly stack: MonitoringStack;
  readonly template: Template;
}

/** A stage whose monitoring stack the test reads; a stage with monitoring off is a mistake of the test. */
export function synthMonitoring(stage: string, overrides: Readonly<Record<string, unknown>> = {}): SynthesizedMonitoring {
  const { config, pipeline, monitoring } = synthStage(stage, overrides);
  if (!pipeline.monitoring || !monitoring) throw new Error(`monitoring is disabled for stage ${config.stage}`);
  return { config, pipeline, stack: pipeline.monitoring, template: monitoring };
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
