/**
 * One JSON object per line: INFO to stdout, ERROR to stderr.
 *
 * SageMaker ships the container's stdout and stderr to the log group
 * `/aws/sagemaker/Endpoints/NAME`, where metric filters such as `{ $.level = "ERROR" }`
 * count failures. Every line therefore carries `time` and `level` and parses as JSON.
 */

/** Where the lines go; tests pass their own to read what was logged. */
export interface LogSink {
  stdout(line: string): void;
  stderr(line: string): void;
}

export type LogFields = Readonly<Record<string, unknown>>;

export interface Logger {
  info(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

export const processLogSink: LogSink = {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
};

export function createLogger(sink: LogSink = processLogSink): Logger {
  const line = (level: 'INFO' | 'ERROR', message: string, fields: LogFields = {}) => {
    const base = { time: new Date().toISOString(), level, message };
    // `base` is spread twice: first to lead the line, then so no field can overwrite it.
    return JSON.stringify({ ...base, ...fields, ...base });
  };
  return {
    info: (message, fields) => sink.stdout(line('INFO', message, fields)),
    error: (message, fields) => sink.stderr(line('ERROR', message, fields)),
  };
}
