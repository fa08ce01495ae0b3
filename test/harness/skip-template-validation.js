/**
 * Every suite runs with CDK's built-in CloudFormation template validation off
 * (`CDK_VALIDATION=false`, as aws-cdk-lib's App documents for `builtinCloudFormationValidation`).
 * The validation starts a WebAssembly engine in every process that synthesizes (about 2.7 s of CPU
 * per suite here, half the whole run) and changes no template. One suite runs it, on every
 * configuration the checks cover: test/checks/cloudformation-validate.test.ts.
 */
process.env.CDK_VALIDATION = 'false';
