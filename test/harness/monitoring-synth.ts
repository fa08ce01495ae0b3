/**
 * Synthesizes a stage (the pipeline creates its monitoring stack), offline and without bundling (these tests
 * read templates). Overrides are `-c`-style context keys, as the CLI would pass them.
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { resolveStageConfig } from '../../lib/config/load-config';
import { StageConfig } from '../../lib/config/stage-config';
import { StageStacks, createStageStacks } from '../../lib/stage-stacks';
import { MonitoringStack } from '../../lib/stacks/monitoring-stack';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cdkContext = require('../../cdk.json').context as Record<string, unknown>;

export interface SynthesizedMonitoring {
  readonly config: StageConfig;
  readonly pipeline: StageStacks;
  readonly stack: MonitoringStack;
  readonly template: Template;
}

export function synthMonitoring(stage: string, overrides: Record<string, unknown> = {}): SynthesizedMonitoring {
  const app = new App({ context: { ...cdkContext, stage, ...overrides, 'aws:cdk:bundling-stacks': [] } });
  const config = resolveStageConfig(app.node.getAllContext());
  const pipeline = createStageStacks(app, config);
  const stack = pipeline.monitoring;
  if (!stack) throw new Error(`monitoring is disabled for stage ${config.stage}`);
  return { config, pipeline, stack, template: Template.fromStack(stack) };
}
