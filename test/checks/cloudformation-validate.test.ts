import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import { App, Stack } from 'aws-cdk-lib';
import { CfnTable } from 'aws-cdk-lib/aws-dynamodb';
import { cdkFeatureFlags, readCdkContext } from '../../tools/cli/cdk-context';
import { NAG_CONFIGURATIONS, NagConfiguration } from '../harness/nag-stages';
import { synthStage } from '../harness/synth';

/**
 * CDK's built-in CloudFormation template validation (the CloudFormation Validate engine: the
 * resource schemas, broken references, best-practice rules; "Validate templates with
 * cloudformation-validate", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-validate.html)
 * runs on every `cdk synth`. cdk.json sets `@aws-cdk/core:validateAgainstDefaultRules`, so a
 * finding fails the synth instead of printing a warning ("When this flag is explicitly set to
 * `true`, violations are treated as errors and will fail synthesis", aws-cdk-lib
 * cx-api/FEATURE_FLAGS.md). The other suites skip the engine (test/harness/synth-environment.js);
 * this one runs it on dev, prod with every option and prod on the Lake backend.
 */
// dev, prod with every option on, and prod on the Lake backend: between them every resource
// type and property shape of the stages (plain prod's differ from these only in values).
const CONFIGURATIONS: Readonly<Record<string, NagConfiguration>> = {
  dev: NAG_CONFIGURATIONS.dev,
  'prod+api-key+vpc+waf+ci': NAG_CONFIGURATIONS['prod+api-key+vpc+waf+ci'],
  'prod+lake': { stage: 'prod', overrides: { 'audit.backend': 'lake' } },
};

interface ValidationReport {
  readonly pluginReports: readonly { pluginName: string; violations: readonly { ruleName: string; description: string }[] }[];
}

const findingsOf = (report: ValidationReport) =>
  report.pluginReports.flatMap((r) => r.violations.map((v) => `${r.pluginName} ${v.ruleName}: ${v.description}`));

function synthesizeValidated(c: NagConfiguration) {
  const { app } = synthStage(c.stage, c.overrides, { stageSettings: c.stageSettings });
  const assembly = app.synth();
  return JSON.parse(fs.readFileSync(path.join(assembly.directory, 'validation-report.json'), 'utf8')) as ValidationReport;
}

describe('CloudFormation template validation at synth', () => {
  beforeAll(() => {
    delete process.env.CDK_VALIDATION; // this suite's own copy of the environment (jest gives each file one)
    // The engine is a 9 MB WebAssembly module run a few times per process: V8's optimizing
    // tier (TurboFan) recompiling its hot functions costs more than it saves. Liftoff, the
    // baseline compiler, alone: 3.0 s of CPU for a first validation against 5.9 s (measured
    // here). Set before the module is compiled, reset for the next suite in this worker.
    v8.setFlagsFromString('--liftoff-only');
  });
  afterAll(() => v8.setFlagsFromString('--no-liftoff-only'));

  test('cdk.json turns findings into synth errors', () => {
    expect(readCdkContext()['@aws-cdk/core:validateAgainstDefaultRules']).toBe(true);
  });

  test.each(Object.keys(CONFIGURATIONS))('%s: every template passes, with no finding of any severity', (name) => {
    expect(findingsOf(synthesizeValidated(CONFIGURATIONS[name]))).toEqual([]);
  });

  test('a property the resource schema does not have fails the synth and names the resource', () => {
    // An app with cdk.json's flags and one table: the flag, not the stage, makes the finding an error.
    const app = new App({ context: cdkFeatureFlags() });
    const stack = new Stack(app, 'inference-dev-data');
    const table = new CfnTable(stack, 'InferenceTable', {
      keySchema: [{ attributeName: 'pk', keyType: 'HASH' }],
      attributeDefinitions: [{ attributeName: 'pk', attributeType: 'S' }],
      billingMode: 'PAY_PER_REQUEST',
    });
    table.addPropertyOverride('ReadCapacityUnitz', 5);
    expect(() => app.synth()).toThrow(
      /ERROR ReadCapacityUnitz: Additional properties are not allowed[^]*inference-dev-data\/InferenceTable/,
    );
  });
});
