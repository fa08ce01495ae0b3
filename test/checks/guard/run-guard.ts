/**
 * Runs AWS Control Tower's proactive-control rules (CloudFormation Guard, as shipped with
 * @cdklabs/cdk-validator-cfnguard and its cfn-guard binary) over a synthesized stage, offline.
 *
 * Control Tower evaluates these controls as CloudFormation hooks, invoked immediately before
 * CloudFormation creates or updates each resource ("AWS CloudFormation Hooks concepts",
 * https://docs.aws.amazon.com/cloudformation-cli/latest/hooks-userguide/hooks-concepts.html),
 * that is with every intrinsic function resolved to its value. Offline, the rules see a template
 * instead, and refuse a value they cannot read (a `Fn::Join`, another stack's output), which the
 * hook would see as a string. So before they run, every intrinsic is resolved here to a
 * stand-in string, as the hook receives it: pseudo parameters to sample values, references and
 * attributes to `resolved:<LogicalId>[.<Attribute>]`, other stacks' outputs to
 * `resolved-at-deploy:<stack>/<output>`, and joins and substitutions of those to their string.
 */
import { CfnResource, Stack, Validations } from 'aws-cdk-lib';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { GUARD_NAMESPACE } from '../../../lib/constructs/acknowledge';
import { SynthesizedApp } from '../../harness/nag-stages';

export const RULES_DIR = path.join(
  path.dirname(require.resolve('@cdklabs/cdk-validator-cfnguard/package.json')),
  'rules',
  'control-tower',
  'cfn-guard',
);

export interface GuardFinding {
  /** The Guard rule, for example `cloudwatch_log_group_encrypted_check`. */
  readonly rule: string;
  readonly path: string;
}

const PSEUDO: Record<string, string> = {
  'AWS::AccountId': '123456789012',
  'AWS::Region': 'us-east-1',
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
};

/**
 * The resources of a template as a resource hook sees them: every intrinsic function resolved.
 * Only `Resources` are resolved; the template's other sections stay as they are.
 */
export function resolveTemplateLikeDeploy(template: Record<string, any>, stackName: string): Record<string, any> {
  const types: Record<string, string> = {};
  for (const [id, r] of Object.entries<{ Type: string }>(template.Resources ?? {})) types[id] = r.Type;
  return { ...template, Resources: resolveLikeDeploy(template.Resources ?? {}, stackName, types) };
}

/**
 * Stand-ins shaped like the real values where a rule reads their shape: a bucket's name and ARN
 * (the S3 rules match `arn:aws:s3:::NAME`), any other ARN as `arn:aws:SERVICE:REGION:ACCOUNT:ID`.
 */
function standIn(id: string, attribute: string | undefined, types: Readonly<Record<string, string>>): string {
  const type = types[id];
  const name = `resolved-${id.toLowerCase()}`;
  if (type === 'AWS::S3::Bucket') return attribute === 'Arn' ? `arn:aws:s3:::${name}` : attribute ? `${name}.${attribute}` : name;
  if (attribute === 'Arn' && type)
    return `arn:aws:${type.split('::')[1].toLowerCase()}:${PSEUDO['AWS::Region']}:${PSEUDO['AWS::AccountId']}:${name}`;
  return attribute ? `resolved:${id}.${attribute}` : `resolved:${id}`;
}

/** One value as CloudFormation resolves it at deploy time, with stand-ins for what only an account knows. */
export function resolveLikeDeploy(node: unknown, stackName: string, types: Readonly<Record<string, string>> = {}): unknown {
  const again = (n: unknown) => resolveLikeDeploy(n, stackName, types);
  if (Array.isArray(node)) return node.map(again);
  if (node === null || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [fn] = keys;
    const arg = o[fn];
    if (fn === 'Ref' && typeof arg === 'string')
      return arg === 'AWS::StackName' ? stackName : (PSEUDO[arg] ?? standIn(arg, undefined, types));
    if (fn === 'Fn::GetAtt' && Array.isArray(arg)) return standIn(String(arg[0]), arg.slice(1).join('.'), types);
    if (fn === 'Fn::GetStackOutput') {
      const g = arg as Record<string, unknown>;
      return `resolved-at-deploy:${String(g.StackName)}/${String(g.OutputName)}`;
    }
    if (fn === 'Fn::Join' && Array.isArray(arg)) {
      const parts = again(arg[1]);
      if (Array.isArray(parts) && parts.every((p) => typeof p === 'string')) return parts.join(String(arg[0]));
    }
    if (fn === 'Fn::Sub') {
      const [text, vars] = Array.isArray(arg) ? [arg[0], (arg[1] ?? {}) as Record<string, unknown>] : [arg, {}];
      if (typeof text === 'string') {
        return text.replace(/\$\{([^}!]+)\}/g, (_m, name: string) => {
          const v = again(name in vars ? vars[name] : name.includes('.') ? { 'Fn::GetAtt': name.split('.') } : { Ref: name });
          return typeof v === 'string' ? v : 'resolved';
        });
      }
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) out[k] = again(o[k]);
  return out;
}

/**
 * The rule files that report on a resource type the templates hold: the other rules skip
 * anyway (their "Reports on" type is absent), and cfn-guard then runs in a fraction of the time.
 */
export function applicableRuleFiles(templates: readonly unknown[]): string[] {
  const types = new Set<string>();
  for (const t of templates)
    for (const r of Object.values((t as { Resources?: Record<string, { Type: string }> }).Resources ?? {})) types.add(r.Type);
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (file.endsWith('.guard')) {
        const reportsOn = /# Reports on:\s*\n((?:#\s+AWS::\S+\s*\n)+)/.exec(fs.readFileSync(file, 'utf8'));
        const reported = reportsOn ? [...reportsOn[1].matchAll(/AWS::\S+/g)].map((m) => m[0]) : [];
        if (reported.some((type) => types.has(type))) files.push(file);
      }
    }
  };
  walk(RULES_DIR);
  return files.sort();
}

export interface GuardReport {
  /** Every finding, acknowledged or not: what the acknowledgements must each match. */
  readonly raw: GuardFinding[];
  /** The findings no acknowledgement covers, as CDK leaves acknowledged ones out of a plugin's report. */
  readonly remaining: GuardFinding[];
}

/**
 * The applicable Control Tower rules on the stage's templates (one cfn-guard run), each finding
 * with the construct path of its resource; `remaining` leaves out those acknowledged on the
 * resource or one of its scopes (`acknowledgeControl`).
 */
export function guardReport(synthesized: SynthesizedApp): GuardReport {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'guard-'));
  const templates: Record<string, unknown> = {};
  const paths: string[] = [];
  for (const stack of synthesized.assembly.stacks) {
    const resolved = resolveTemplateLikeDeploy(stack.template, stack.stackName);
    templates[stack.stackName] = resolved;
    const file = path.join(dir, `${stack.stackName}.template.json`);
    fs.writeFileSync(file, JSON.stringify(resolved));
    paths.push(file);
  }
  const validator = new CfnGuardValidator({
    controlTowerRulesEnabled: false,
    rules: applicableRuleFiles(Object.values(templates)),
    maxBuffer: 256 * 1024 * 1024,
  });
  const report = validator.validate({ templatePaths: paths, appConstruct: synthesized.app });
  fs.rmSync(dir, { recursive: true, force: true });

  const constructs = constructsByLogicalId(synthesized.pipeline.all);
  const raw: GuardFinding[] = [];
  const remaining: GuardFinding[] = [];
  for (const violation of report.violations) {
    for (const resource of violation.violatingResources) {
      const stackName = path.basename(resource.templatePath).replace(/\.template\.json$/, '');
      const construct = constructs.get(`${stackName}/${resource.resourceLogicalId}`);
      const finding = { rule: violation.ruleName, path: construct?.node.path ?? `${stackName}/${resource.resourceLogicalId}` };
      raw.push(finding);
      if (!(construct && isAcknowledged(construct, violation.ruleName))) remaining.push(finding);
    }
  }
  return { raw: uniqueSorted(raw), remaining: uniqueSorted(remaining) };
}

function uniqueSorted(findings: readonly GuardFinding[]): GuardFinding[] {
  const unique = new Map(findings.map((f) => [`${f.path} ${f.rule}`, f]));
  return [...unique.values()].sort((a, b) => `${a.path} ${a.rule}`.localeCompare(`${b.path} ${b.rule}`));
}

function constructsByLogicalId(stacks: readonly Stack[]): Map<string, CfnResource> {
  const map = new Map<string, CfnResource>();
  for (const stack of stacks) {
    for (const c of stack.node.findAll()) {
      if (CfnResource.isCfnResource(c) && Stack.of(c) === stack) map.set(`${stack.stackName}/${stack.resolve(c.logicalId)}`, c);
    }
  }
  return map;
}

/** Whether the rule is acknowledged on the construct or one of its scopes (CDK's own lookup). */
function isAcknowledged(construct: CfnResource, rule: string): boolean {
  for (let scope: typeof construct.node.scope | CfnResource | undefined = construct; scope; scope = scope.node.scope) {
    for (const entry of scope.node.metadata) {
      if (
        entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY &&
        entry.data &&
        `${GUARD_NAMESPACE}::${rule}` in (entry.data as object)
      )
        return true;
    }
  }
  return false;
}

export interface GuardAcknowledgement {
  readonly path: string;
  readonly rule: string;
  readonly reason: string;
}

/** Every Control Tower acknowledgement recorded in the app. */
export function guardAcknowledgements(synthesized: SynthesizedApp): GuardAcknowledgement[] {
  const acks: GuardAcknowledgement[] = [];
  for (const construct of synthesized.app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY || !entry.data) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        if (id.startsWith(`${GUARD_NAMESPACE}::`))
          acks.push({ path: construct.node.path, rule: id.slice(GUARD_NAMESPACE.length + 2), reason });
      }
    }
  }
  return acks;
}
