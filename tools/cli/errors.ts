/**
 * The two kinds of failure every command reports the same way (see run-command.ts).
 */

/** A mistake in how a command was called: one line, a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * A failure the user can act on: a one-line message and, where there is one, the fix.
 * Printed without a stack trace, exit code 1.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
