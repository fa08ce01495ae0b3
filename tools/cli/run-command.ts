import { CliError, UsageError } from './errors';
import { CommandHelp, OptionTable, ParsedOptions, formatHelp, parseCommandLine } from './options';

/** Exit codes every command shares. A command may document more (backfill's 3), never reuse these. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Where a command writes; tests pass their own to run a command in-process. */
export interface CommandIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export interface Command<T extends OptionTable> {
  /** Prefix of every error message, for example `deploy`. */
  readonly name: string;
  readonly help: CommandHelp;
  readonly options: T;
  /** The command takes words besides its options (a subcommand, a query id). Default: a stray word is a usage error. */
  readonly positionals?: boolean;
  /**
   * The line printed after a usage mistake. Default: a pointer to `--help`; `null` keeps the
   * report to the one line (the runbook, whose messages name the fix themselves).
   */
  readonly usageHint?: string | null;
  /** Other error types that are mistakes of the caller's input, so exit 2 like a {@link UsageError}. */
  readonly usageErrors?: readonly (abstract new (...args: never[]) => Error)[];
  /** Set to any value, this variable (besides DEBUG) prints the stack of an unexpected error. */
  readonly debugVariable?: string;
  /** Does the work; the resolved number is the exit code. */
  run(options: ParsedOptions<T>, positionals: string[]): number | Promise<number>;
}

const PROCESS_IO: CommandIo = {
  stdout: (text) => void process.stdout.write(text),
  stderr: (text) => void process.stderr.write(text),
};

/**
 * Runs a command and resolves its exit code; never rejects. `--help` prints the help and
 * is 0; a usage mistake prints one line (and the hint) and is 2; any other failure prints
 * `NAME: message` (and a CliError's hint) and is 1. No stack trace unless DEBUG is set.
 */
export async function executeCommand<T extends OptionTable>(
  command: Command<T>,
  argv: readonly string[],
  io: CommandIo = PROCESS_IO,
): Promise<number> {
  try {
    const { options, positionals } = parseCommandLine(argv, command.options, { positionals: command.positionals });
    if (options.help) {
      io.stdout(`${formatHelp(command.help, command.options)}\n`);
      return EXIT.ok;
    }
    return await command.run(options, positionals);
  } catch (error) {
    return reportFailure(command, error, io);
  }
}

function reportFailure(command: Command<OptionTable>, error: unknown, io: CommandIo): number {
  const env = io.env ?? process.env;
  if (error instanceof UsageError || command.usageErrors?.some((type) => error instanceof type)) {
    const hint = command.usageHint === undefined ? 'run with --help for the options' : command.usageHint;
    io.stderr(`${command.name}: ${(error as Error).message}\n${hint === null ? '' : `${hint}\n`}`);
    return EXIT.usage;
  }
  if (error instanceof CliError) {
    io.stderr(`${command.name}: ${error.message}${error.hint ? `\n  hint: ${error.hint}` : ''}\n`);
    return EXIT.failure;
  }
  const e = error as (Error & { $metadata?: unknown }) | undefined;
  // An AWS SDK service exception: its name (AccessDeniedException, ...) is what to search for.
  const kind = e?.$metadata ? `AWS error ${e.name}: ` : '';
  io.stderr(`${command.name}: ${kind}${e?.message ?? String(error)}\n`);
  if ((env.DEBUG || (command.debugVariable && env[command.debugVariable])) && e?.stack) io.stderr(`${e.stack}\n`);
  return EXIT.failure;
}

/**
 * Runs a command as this process: its exit code becomes the process's. Output piped into a
 * reader that stops early (`| head`) ends the command quietly, as other CLIs do.
 */
export function runCommand<T extends OptionTable>(command: Command<T>, argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  return executeCommand(command, argv).then((code) => {
    process.exitCode = code;
    return code;
  });
}
