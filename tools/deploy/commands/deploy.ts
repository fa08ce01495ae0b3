#!/usr/bin/env node
/**
 * `npm run deploy -- --stage dev`: deploys every stack of a stage in dependency order with
 * the project's CDK CLI; `--diff` shows what would change; `--destroy` removes the stage
 * after a confirmation that names what survives it.
 *
 * Everything that can be checked before cdk runs is checked first — the stage's config,
 * the credentials and their account, Docker for the model image — so mistakes cost seconds.
 */
import * as readline from 'readline';
import { CliError, UsageError, loadStage, oneOf, parseContextPairs, runCommand } from '../../cli';
import { APPROVAL_LEVELS, CdkAction, cdkArguments, dockerProblem, outputsFile, runCdk, shellLine } from '../cdk-command';
import { describePlan, destroyWarnings } from '../deploy-plan';
import { stageStacks } from '../stack-names';

const options = {
  stage: { type: 'string', value: 'NAME', description: 'stage to deploy: dev, prod, or one defined in cdk.json' },
  diff: { type: 'boolean', description: 'show what a deploy would change (cdk diff), change nothing' },
  'template-only': { type: 'boolean', description: 'with --diff: compare templates only (needs only the read-only CDK lookup role)' },
  destroy: { type: 'boolean', description: "delete the stage's stacks (cdk destroy), after a confirmation" },
  force: { type: 'boolean', description: 'with --destroy: do not ask for confirmation' },
  'require-approval': {
    type: 'string',
    value: 'LEVEL',
    description: 'never | any-change | broadening | destructive (default: broadening, cdk asks before widening IAM)',
  },
  profile: { type: 'string', value: 'NAME', description: 'AWS profile for cdk and the checks' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'override a setting, as with cdk (e.g. -c model.version=1.1.0)' },
  'dry-run': { type: 'boolean', description: 'run the checks and print the cdk command without running it' },
} as const;

void runCommand({
  name: 'deploy',
  options,
  help: {
    usage: 'npm run deploy -- --stage NAME [--diff | --destroy] [options]',
    summary: "Deploys (or diffs, or destroys) every stack of a stage with the project's CDK CLI.",
    notes: [
      "Needs AWS credentials for the stage's account, a bootstrapped account/region (npx cdk bootstrap),",
      'and Docker for the model image unless the stage sets model.imageUri. Outputs go to cdk.out/outputs-STAGE.json.',
    ],
    examples: [
      'npm run deploy -- --stage dev',
      'npm run deploy -- --stage prod -c model.version=1.1.0',
      'npm run deploy -- --stage prod --diff',
      'npm run deploy -- --stage dev --destroy',
    ],
  },
  async run(o) {
    if (!o.stage) throw new UsageError('missing --stage (dev, prod, or a stage defined in cdk.json)');
    oneOf(o, ['diff', 'destroy'], false);
    const action: CdkAction = o.diff ? 'diff' : o.destroy ? 'destroy' : 'deploy';
    if (o['template-only'] && action !== 'diff') throw new UsageError('--template-only goes with --diff');
    if (o.force && action !== 'destroy') throw new UsageError('--force goes with --destroy');
    if (o['require-approval'] !== undefined) {
      if (action !== 'deploy') throw new UsageError('--require-approval goes with a deploy');
      if (!(APPROVAL_LEVELS as readonly string[]).includes(o['require-approval'])) {
        throw new UsageError(`--require-approval must be one of ${APPROVAL_LEVELS.join(', ')}, got '${o['require-approval']}'`);
      }
    }
    if (o.profile) process.env.AWS_PROFILE = o.profile;

    let context = parseContextPairs(o.context);
    let config = loadStage(o.stage, context);
    const stacks = stageStacks(config);
    const region = await awsEnv().resolveRegion(config);
    const identity = await awsEnv().callerIdentity(region);
    awsEnv().checkAccount(config, identity);
    if (action === 'deploy' && context['endpoint.previous'] === undefined) {
      // What runs now, so the capacity changes SageMaker refuses are refused here, with their
      // safe procedure, instead of half way through the deploy (lib/config/validate.ts).
      const previous = await stackOutputs().readDeployedEndpoint(config, region);
      if (previous !== undefined) {
        context = { ...context, 'endpoint.previous': previous };
        config = loadStage(o.stage, context);
      }
    }

    console.log(describePlan(action, config, stacks, identity, region));
    if (action === 'deploy') {
      const docker = dockerProblem(config);
      if (docker && !o['dry-run']) {
        throw new CliError(
          `${docker}: it builds the model image`,
          'start Docker, or set model.imageUri to a prebuilt image (-c model.imageUri=ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG)',
        );
      }
      if (docker) console.log(`warning: ${docker}; a real deploy would stop here`);
    }
    if (action === 'destroy') {
      for (const warning of destroyWarnings(config, stacks)) console.log(`warning: ${warning}`);
    }

    const args = cdkArguments({
      action,
      stage: config.stage,
      context,
      requireApproval: o['require-approval'],
      templateOnly: o['template-only'],
      profile: o.profile,
      noColor: !process.stdout.isTTY,
    });
    console.log(`$ ${shellLine(args)}`);
    if (o['dry-run']) return 0;

    if (action === 'destroy' && !o.force && !(await confirm(`type the stage name (${config.stage}) to destroy it: `, config.stage))) {
      throw new CliError('destroy cancelled: nothing was deleted');
    }
    const code = await runCdk(args);
    if (code !== 0) throw new CliError(`cdk ${action} failed (exit ${code}); its messages are above`);
    if (action === 'deploy')
      console.log(`\noutputs: ${outputsFile(config.stage)}; print them any time with npm run outputs -- --stage ${config.stage}`);
    return 0;
  },
});

/** Reads one line; only the exact expected word confirms (an empty or closed stdin does not). */
function confirm(question: string, expected: string): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stdout, terminal: false });
  process.stdout.write(question);
  return new Promise((resolve) => {
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line.trim() === expected);
    });
    rl.once('close', () => {
      if (!answered) resolve(false);
    });
  });
}

/*
 * The AWS SDK loads once the options are good: `--help` and a usage error start without it.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, see above */
function awsEnv(): typeof import('../aws-env') {
  return require('../aws-env');
}
function stackOutputs(): typeof import('../stack-outputs') {
  return require('../stack-outputs');
}
/* eslint-enable @typescript-eslint/no-require-imports */
