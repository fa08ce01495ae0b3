#!/usr/bin/env node
import { App } from 'aws-cdk-lib';
import { ConfigError } from '../lib/config/validate';
import { resolveStageConfig } from '../lib/config/load-config';
import { createPipeline } from '../lib/pipeline';

const app = new App();
try {
  // Context holds cdk.json's `stage` and `stages`, and every `-c key=value` override.
  const config = resolveStageConfig(app.node.getAllContext());
  createPipeline(app, config);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
