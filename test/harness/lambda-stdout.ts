/**
 * Captures what the functions write (Powertools log lines and EMF metric blobs, one JSON
 * object per line) so that tests can read them as Lambda would ship them. Both streams:
 * Powertools writes INFO to stdout and WARN/ERROR to stderr, and Lambda sends both to
 * CloudWatch Logs.
 */
export interface StdoutCapture {
  /** Every captured line, raw. */
  readonly text: () => string;
  /** Every captured line parsed as JSON (lines that are not JSON are skipped). */
  readonly lines: () => Record<string, unknown>[];
  /** Log lines with this `message`. */
  readonly withMessage: (message: string) => Record<string, unknown>[];
  /** EMF blobs that carry this metric. */
  readonly metric: (name: string) => Record<string, unknown>[];
  readonly clear: () => void;
  readonly stop: () => void;
}

export function captureStdout(): StdoutCapture {
  const chunks: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  process.stdout.write = capture;
  process.stderr.write = capture;

  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter((line) => line.trim().startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  return {
    text,
    lines,
    withMessage: (message) => lines().filter((l) => l.message === message),
    metric: (name) =>
      lines().filter((l) => {
        const aws = l._aws as { CloudWatchMetrics?: { Metrics: { Name: string }[] }[] } | undefined;
        return aws?.CloudWatchMetrics?.some((d) => d.Metrics.some((m) => m.Name === name)) ?? false;
      }),
    clear: () => {
      chunks.length = 0;
    },
    stop: () => {
      process.stdout.write = original.stdout;
      process.stderr.write = original.stderr;
    },
  };
}
