import { ConfigError } from '../../lib/config/validate';
import { CommandHelp, OptionTable, ParsedOptions, UsageError, formatHelp, parseOptions } from './args';

/**
 * A failure the user can act on: a one-line message and, where there is one, the fix.
 * Printed without a stack trace; anything else is a bug and keeps its stack under DEBUG=1.
 */
export class CliError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'CliError';
  }
}

export interface Command<T extends OptionTable> {
  /** Short name used as the prefix of error messages, for example `deploy`. */
  readonly name: string;
  readonly help: CommandHelp;
  readonly options: T;
  /** Does the work; the resolved number is the exit code. */
  run(options: ParsedOptions<T>): Promise<number>;
}

/**
 * Runs a command as a process: `--help`, then the work, then an exit code. Usage mistakes
 * exit 2, every other failure 1; both print one readable message and never a stack trace.
 */
export function runCommand<T extends OptionTable>(command: Command<T>, argv: readonly string[] = process.argv.slice(2)): void {
  const report = (error: unknown): number => {
    if (error instanceof UsageError) {
      console.error(`${command.name}: ${error.message}\nrun with --help for the options`);
      return 2;
    }
    if (error instanceof ConfigError) {
      console.error(`${command.name}: ${error.message}`);
      return 1;
    }
    if (error instanceof CliError) {
      console.error(`${command.name}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    console.error(`${command.name}: ${message}`);
    if (process.env.DEBUG && error instanceof Error) console.error(error.stack);
    return 1;
  };

  // Piped into `head` or `jq` that exits early: stop quietly, as other CLIs do.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });

  let parsed: ParsedOptions<T>;
  try {
    parsed = parseOptions(argv, command.options);
  } catch (error) {
    process.exitCode = report(error);
    return;
  }
  if (parsed.help) {
    console.log(formatHelp(command.help, command.options));
    return;
  }
  command.run(parsed).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      process.exitCode = report(error);
    },
  );
}
