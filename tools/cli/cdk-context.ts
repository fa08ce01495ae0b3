import * as fs from 'fs';
import * as path from 'path';
import { resolveStageConfig } from '../../lib/config/load-config';
import { StageConfig } from '../../lib/config/stage-config';
import { UsageError } from './errors';

/**
 * The repository and its cdk.json as the tools see them: one reader of the context `cdk`
 * itself reads, and one way from a stage name and `-c` overrides to the stage's config.
 */

/** The repository root: where cdk.json, and the CDK CLI the commands run, live. */
export const REPO_ROOT = path.join(__dirname, '..', '..');

/** cdk.json's context: the stage definitions and feature flags `cdk` itself reads. */
export function readCdkContext(root = REPO_ROOT): Record<string, unknown> {
  const json = JSON.parse(fs.readFileSync(path.join(root, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  return json.context ?? {};
}

/** cdk.json's context without the stage selection (`stage`, `stages`): its feature flags, for an app whose config is already resolved. */
export function cdkFeatureFlags(root = REPO_ROOT): Record<string, unknown> {
  const { stage: _stage, stages: _stages, ...flags } = readCdkContext(root);
  return flags;
}

/**
 * A stage's configuration exactly as `cdk -c k=v` resolves it, from cdk.json's context and
 * the overrides (which may choose the stage with `stage`). A bad stage or setting fails
 * here with the configuration's own message, before anything talks to AWS.
 */
export function resolveContextConfig(overrides: Readonly<Record<string, unknown>> = {}, root = REPO_ROOT): StageConfig {
  return resolveStageConfig({ ...readCdkContext(root), ...overrides });
}

/** The named stage's configuration: {@link resolveContextConfig} with `stage` set. */
export function loadStage(stage: string, overrides: Readonly<Record<string, string>> = {}): StageConfig {
  return resolveContextConfig({ ...overrides, stage });
}

/** `-c key=value` pairs as a context object; the values stay strings, as the CDK CLI passes them. */
export function parseContextPairs(pairs: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-c takes key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    if (key === 'stage') throw new UsageError('choose the stage with --stage, not -c stage=...');
    context[key] = pair.slice(eq + 1);
  }
  return context;
}
