/**
 * The configurations the security checks run over, synthesized offline the way `cdk synth`
 * does (references between stacks resolved to imports before the checks run), plus helpers
 * to run cdk-nag 3 over them and to read the acknowledgements back.
 */
import { App, CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks, NagPack, ServerlessChecks } from 'cdk-nag';
import { IConstruct } from 'constructs';
import { StageConfig } from '../../lib/config/stage-config';
import { StageStacks } from '../../lib/stage-stacks';
import { atNodeStackDepth } from './stack-depth';
import { synthStage } from './synth';

export interface NagConfiguration {
  readonly stage: string;
  readonly overrides: Readonly<Record<string, string>>;
  /** Settings of the stage as cdk.json's `stages` would give them (for objects `-c` cannot set, such as `ci`). */
  readonly stageSettings?: Readonly<Record<string, unknown>>;
}

/**
 * dev and prod as built in, and prod with every optional protection and surface on: api-key
 * mode (a second authorization path), the VPC, the WAF, the responder workspace and the
 * GitHub OIDC CI stack.
 */
export const NAG_CONFIGURATIONS: Readonly<Record<string, NagConfiguration>> = {
  dev: { stage: 'dev', overrides: {} },
  prod: { stage: 'prod', overrides: {} },
  'prod+api-key+vpc+waf+ci': {
    stage: 'prod',
    overrides: {
      'api.authorization': 'api-key',
      'network.vpc': 'true',
      'api.waf.enabled': 'true',
      'audit.responderWorkspace.enabled': 'true',
    },
    stageSettings: { ci: { githubRepository: 'acme/inference', branch: 'main' } },
  },
};

export interface SynthesizedApp {
  readonly app: App;
  readonly config: StageConfig;
  readonly pipeline: StageStacks;
  readonly assembly: CloudAssembly;
  /** Every stack's template by stack name. */
  readonly templates: Readonly<Record<string, any>>;
}

/** Synthesizes a configuration offline without bundling (the checks read templates), with the shared helper. */
export function synthApp(c: NagConfiguration): SynthesizedApp {
  const { app, config, pipeline } = synthStage(c.stage, c.overrides, { stageSettings: c.stageSettings });
  const assembly = atNodeStackDepth(() => app.synth());
  const templates: Record<string, any> = {};
  for (const stack of assembly.stacks) templates[stack.stackName] = stack.template;
  return { app, config, pipeline, assembly, templates };
}

export interface NagFinding {
  /** The rule, or the rule and one finding: `AwsSolutions-IAM5[Resource::*]`. */
  readonly rule: string;
  readonly path: string;
}

/** The packs the project holds itself to. */
export function nagPacks(): NagPack[] {
  return [new AwsSolutionsChecks(), new ServerlessChecks()];
}

/**
 * Runs the packs over the whole app. With `ignoreAcknowledgements`, every finding is
 * reported as if nothing were acknowledged: what the acknowledgements must each match.
 */
export function nagFindings(app: App, options: { ignoreAcknowledgements?: boolean } = {}): NagFinding[] {
  const findings: NagFinding[] = [];
  for (const pack of nagPacks()) {
    // isAcknowledged is private in TypeScript only; replacing it is the one way to see what
    // the acknowledgements hide.
    if (options.ignoreAcknowledgements) (pack as unknown as { isAcknowledged: () => boolean }).isAcknowledged = () => false;
    const report = pack.validateScope(app);
    for (const violation of report.violations) {
      for (const resource of violation.violatingResources) findings.push({ rule: violation.ruleName, path: resource.constructPath ?? '?' });
    }
  }
  return findings.sort((a, b) => `${a.path} ${a.rule}`.localeCompare(`${b.path} ${b.rule}`));
}

export interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
  readonly construct: IConstruct;
}

/** The rule packs' own ids; aws-cdk-lib also acknowledges some cfn-lint checks of its own constructs. */
const PACK_RULE = /^(AwsSolutions|Serverless)-/;

/** Every cdk-nag acknowledgement recorded in the app (CDK prefixes ids with `Annotation::`). */
export function acknowledgementsOf(app: App): Acknowledgement[] {
  const acks: Acknowledgement[] = [];
  for (const construct of app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [qualified, reason] of Object.entries(entry.data as Record<string, string>)) {
        const id = qualified.replace(/^annotation::/i, '');
        if (PACK_RULE.test(id)) acks.push({ path: construct.node.path, id, reason, construct });
      }
    }
  }
  return acks;
}

/** Whether a construct is a stack, the app, or holds no resource at all. */
export function isWholeScope(construct: IConstruct): boolean {
  return Stack.isStack(construct) || !construct.node.scope || !construct.node.findAll().some((c) => CfnResource.isCfnResource(c));
}
