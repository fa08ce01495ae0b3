import * as fs from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { Readable } from 'stream';
import * as zlib from 'zlib';

/**
 * The prediction function's log lines, from the files the ways of getting them produce:
 *
 * | source                                                     | what a file holds                                        |
 * | ---------------------------------------------------------- | -------------------------------------------------------- |
 * | the function's JSON lines (a copy of the stream, `sam logs`) | one log line per line                                  |
 * | `aws logs filter-log-events --output json` (or get-log-events) | one document `{"events": [{"message": LINE}, ...]}` (`--query events`: the array) |
 * | the same, one event per line (`jq -c '.events[]'`)        | `{"timestamp": ..., "message": LINE}` per line           |
 * | CloudWatch Logs export to S3 (`.gz` objects)               | `<ISO time> LINE` per line, gzip                         |
 * | the local pipeline, `.local/STAGE/logs/pipeline.jsonl`     | `{"source": "predict", "line": LINE}` per line           |
 * | Lambda's text log format                                   | `<time>\t<request id>\tERROR\tLINE`                      |
 *
 * Whatever the source, the result is each log line (a string) and where it was read, for the
 * messages about it. What a line means is for parseFallbackLine to say.
 */
export interface LogMessage {
  /** The log line as the function wrote it. */
  readonly text: string;
  /** `FILE:LINE` or `FILE#events[I]`, `-` for standard input. */
  readonly where: string;
}

/** Files, folders (read recursively, in name order, hidden entries skipped) or `-` for standard input. */
export async function* readLogMessages(from: string, stdin: NodeJS.ReadableStream = process.stdin): AsyncGenerator<LogMessage> {
  if (from === '-') {
    yield* messagesOfStream(stdin, '-');
    return;
  }
  const stat = fs.statSync(from);
  if (stat.isDirectory()) {
    for (const entry of fs
      .readdirSync(from)
      .filter((name) => !name.startsWith('.'))
      .sort()) {
      yield* readLogMessages(path.join(from, entry), stdin);
    }
    return;
  }
  if (!stat.isFile()) return;
  const raw: NodeJS.ReadableStream = fs.createReadStream(from);
  yield* messagesOfStream(from.endsWith('.gz') ? raw.pipe(zlib.createGunzip()) : raw, from);
}

/**
 * Reads line by line; a file whose first line does not hold a whole JSON value (a pretty
 * printed `filter-log-events` document) is read whole instead.
 */
async function* messagesOfStream(stream: NodeJS.ReadableStream, name: string): AsyncGenerator<LogMessage> {
  const lines = readline.createInterface({ input: stream as Readable, crlfDelay: Infinity });
  let number = 0;
  let document: string[] | undefined;
  for await (const line of lines) {
    number++;
    if (document) {
      document.push(line);
      continue;
    }
    const trimmed = line.trim();
    if (trimmed === '') continue;
    if (number === 1 && /^[[{]/.test(trimmed) && parseJson(trimmed) === undefined) {
      document = [line];
      continue;
    }
    yield* messagesOfLine(trimmed, `${name}:${number}`);
  }
  if (document) {
    const value = parseJson(document.join('\n'));
    if (value !== undefined) {
      yield* messagesOfValue(value, undefined, name);
      return;
    }
    // Not one document after all (a damaged first line): read its lines one by one.
    for (const [i, line] of document.entries()) if (line.trim()) yield* messagesOfLine(line.trim(), `${name}:${i + 1}`);
  }
}

function* messagesOfLine(line: string, where: string): Generator<LogMessage> {
  const value = parseJson(line);
  if (value !== undefined) {
    yield* messagesOfValue(value, line, where);
    return;
  }
  // A prefix before the JSON: an S3 export's timestamp, Lambda's text format.
  const brace = line.indexOf('{');
  if (brace > 0) yield* messagesOfLine(line.slice(brace), where);
  // Not JSON at all: passed on as it is, so that a damaged fallback line is counted as refused.
  else yield { text: line, where };
}

/** `text` is the line the value was parsed from, when it was one line. */
function* messagesOfValue(value: unknown, text: string | undefined, where: string): Generator<LogMessage> {
  if (Array.isArray(value)) {
    for (const [i, item] of value.entries()) {
      if (typeof item === 'string') yield { text: item.trim(), where: `${where}#[${i}]` };
      else if (isEvent(item)) yield { text: item.message.trim(), where: `${where}#[${i}]` };
    }
    return;
  }
  if (!isObject(value)) return;
  if (Array.isArray(value.events)) {
    for (const [i, event] of value.events.entries())
      if (isEvent(event)) yield { text: event.message.trim(), where: `${where}#events[${i}]` };
    return;
  }
  if (typeof value.line === 'string' && typeof value.source === 'string') {
    yield { text: value.line, where };
    return;
  }
  if (isEvent(value)) {
    yield { text: value.message.trim(), where };
    return;
  }
  yield { text: text ?? JSON.stringify(value), where };
}

/** A CloudWatch Logs event: `message` is the log line, beside the event's own fields (never a `level`). */
function isEvent(value: unknown): value is { message: string } {
  return (
    isObject(value) &&
    typeof value.message === 'string' &&
    value.level === undefined &&
    ('timestamp' in value || 'ingestionTime' in value || 'eventId' in value || 'logStreamName' in value)
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
