/**
 * The command-line kit every tool's entry uses: one option parser (on `util.parseArgs`),
 * one usage-error type, one runner with the shared exit codes (0 ok, 1 failure, 2 usage),
 * a progress reporter, and the repository's cdk.json context.
 */
export { CliError, UsageError } from './errors';
export type { CommandHelp, CommandLine, OptionSpec, OptionTable, ParsedOptions } from './options';
export { formatHelp, oneOf, parseCommandLine, parseNumber, parseOptions } from './options';
export type { Command, CommandIo } from './run-command';
export { EXIT, executeCommand, runCommand } from './run-command';
export type { Progress, ProgressOptions } from './progress';
export { createProgress } from './progress';
export { sleep } from './sleep';
export { REPO_ROOT, cdkFeatureFlags, loadStage, parseContextPairs, readCdkContext, resolveContextConfig } from './cdk-context';
