#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { ConfigError } from '../lib/config/validate';
import { resolveStageConfig } from '../lib/config/load-config';
import { createStageStacks } from '../lib/stage-stacks';

const app = new App();
// cdk-nag runs on every synth: a new finding stops `cdk synth` and `cdk deploy` with its report,
// before anything reaches an account. Acknowledgements sit on the resources they concern.
Validations.of(app).addPlugins(new AwsSolutionsChecks(), new ServerlessChecks());
// AWS Control Tower's proactive controls run in the tests (test/checks/guard), not here: cfn-guard
// over a stage's templates adds about 4-7 s to every synth, and offline it needs the templates'
// deploy-time values resolved first, as the hook sees them.
try {
  // Context holds cdk.json's `stage` and `stages`, and every `-c key=value` override.
  const config = resolveStageConfig(app.node.getAllContext());
  createStageStacks(app, config);
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
