/** An error the local pipeline reports as a plain message and exit code, never a stack trace. */
export class LocalError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LocalError';
  }
}
