/**
 * What every suite's synths leave out, as aws-cdk-lib's environment variables allow; neither
 * changes a template.
 * - `CDK_VALIDATION=false`: CDK's built-in CloudFormation template validation (App
 *   `builtinCloudFormationValidation`). It starts a WebAssembly engine in every process that
 *   synthesizes: about 2.7 s of CPU per suite here, half of the whole run. One suite runs it on
 *   every configuration the checks cover: test/checks/cloudformation-validate.test.ts.
 * - `CDK_DISABLE_STACK_TRACE=1`: the stack trace CDK records with each construct's metadata
 *   (through the tests' source maps), about 8% of a synthesizing suite's CPU. The templates
 *   do not hold them; `cdk synth` still records them.
 */
process.env.CDK_VALIDATION = 'false';
process.env.CDK_DISABLE_STACK_TRACE = '1';
