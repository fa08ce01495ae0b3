import { spawn, spawnSync } from 'child_process';
import * as path from 'path';
import { StageConfig } from '../../lib/config/stage-config';
import { CliError } from '../cli';
import { REPO_ROOT } from '../cli';

export type CdkAction = 'deploy' | 'diff' | 'destroy';

export interface CdkInvocation {
  readonly action: CdkAction;
  readonly stage: string;
  /** `-c key=value` settings, passed on unchanged so the app resolves the same config. */
  readonly context: Readonly<Record<string, string>>;
  /** deploy: `never`, `any-change`, `broadening` (cdk's default) or `destructive`. */
  readonly requireApproval?: string;
  /** diff: compare templates only, which needs only the read-only CDK lookup role. */
  readonly templateOnly?: boolean;
  readonly profile?: string;
  /** Plain output for logs and job summaries (no ANSI colours). */
  readonly noColor?: boolean;
}

/** Where `cdk deploy` writes the stacks' outputs (git-ignored with the rest of cdk.out). */
export function outputsFile(stage: string): string {
  return path.join('cdk.out', `outputs-${stage}.json`);
}

export const APPROVAL_LEVELS = ['never', 'any-change', 'broadening', 'destructive'] as const;

/**
 * The CDK CLI's arguments for one action on every stack of a stage. `--all` lets cdk order
 * the stacks by their dependencies (data, endpoint, api, then monitoring and audit; the
 * reverse for destroy); the stage's app holds only that stage's stacks.
 */
export function cdkArguments(inv: CdkInvocation): string[] {
  const args: string[] = [inv.action, '--all', '-c', `stage=${inv.stage}`];
  for (const [key, value] of Object.entries(inv.context)) args.push('-c', `${key}=${value}`);
  switch (inv.action) {
    case 'deploy':
      args.push('--require-approval', inv.requireApproval ?? 'broadening', '--outputs-file', outputsFile(inv.stage));
      break;
    case 'diff':
      if (inv.templateOnly) args.push('--method', 'template');
      break;
    case 'destroy':
      // The confirmation is ours (it names what survives); cdk's own prompt would repeat it.
      args.push('--force');
      break;
  }
  if (inv.profile) args.push('--profile', inv.profile);
  if (inv.noColor) args.push('--no-color');
  return args;
}

/** The project's own CDK CLI (devDependency), not whatever `cdk` is on the PATH. */
export function cdkEntryPoint(): string {
  return require.resolve('aws-cdk/bin/cdk', { paths: [REPO_ROOT] });
}

/** Runs the CDK CLI with this terminal; resolves to its exit code. */
export function runCdk(args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cdkEntryPoint(), ...args], { cwd: REPO_ROOT, stdio: 'inherit' });
    // Ctrl-C reaches cdk through the terminal; do not die before it has cleaned up.
    const ignore = () => undefined;
    process.on('SIGINT', ignore);
    child.on('error', (error) => reject(new CliError(`could not start the CDK CLI: ${error.message}`)));
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

/**
 * Whether Docker can build images: the model image asset is built on `cdk deploy` unless
 * the stage names a prebuilt image (`model.imageUri`).
 */
export function dockerProblem(config: StageConfig): string | undefined {
  if (config.model.imageUri) return undefined;
  const probe = spawnSync(process.env.CDK_DOCKER ?? 'docker', ['version', '--format', '{{.Server.Version}}'], {
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (probe.error) return `docker is not installed (${(probe.error as NodeJS.ErrnoException).code})`;
  if (probe.status !== 0) return `docker is not running (${(probe.stderr || probe.stdout).trim().split('\n')[0]})`;
  return undefined;
}

/** Shell-quoted, to print the exact command for the user to copy. */
export function shellLine(args: readonly string[]): string {
  return ['npx', 'cdk', ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
