/**
 * Progress of long work (synthesizing, bundling, measuring): one line per step on stderr,
 * each with the time since the work began, so stdout stays the command's result. Quiet when
 * stderr is not a terminal (CI logs, `2> file`) or with `quiet`, unless `force`d.
 */
export interface Progress {
  /** A step begins: `NAME [12.3 s] label`. */
  step(label: string): void;
  /** The work is done: `NAME [45.6 s] label` (default `done`). */
  done(label?: string): void;
  /** Seconds since the work began. */
  elapsedSeconds(): number;
}

export interface ProgressOptions {
  readonly quiet?: boolean;
  /** Write even when stderr is not a terminal (the bench, whose log is its record). */
  readonly force?: boolean;
  /** Default: process.stderr. */
  readonly stream?: { write(text: string): unknown; isTTY?: boolean };
  /** Milliseconds now; tests pass a clock. */
  readonly now?: () => number;
}

export function createProgress(name: string, options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const silent = options.quiet === true || (!options.force && !stream.isTTY);
  const elapsedSeconds = () => (now() - started) / 1000;
  const line = (label: string) => {
    if (!silent) stream.write(`${name} [${elapsedSeconds().toFixed(1)} s] ${label}\n`);
  };
  return { step: line, done: (label = 'done') => line(label), elapsedSeconds };
}
