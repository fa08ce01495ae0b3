/**
 * Request and response bodies of `POST /invocations`.
 *
 * Input is strict: anything that is not exactly rows of `featureCount` finite numbers is
 * refused with a message naming the row, the column and the value, because a silently
 * coerced input ("" as 0, "0x10" as 16) gives a confident wrong answer.
 *
 *   application/json  {"instances": [[5.1, 3.5, 1.4, 0.2], ...]}  or  [[5.1, 3.5, 1.4, 0.2], ...]
 *   text/csv          5.1,3.5,1.4,0.2        one row per line, no header
 *
 * Output is always `{"predictions": [{"label", "probabilities"}, ...], "modelVersion"?}`.
 */
import type { Prediction } from './predictor';

/** Rows accepted in one request; bounds the work one request can cause. */
export const MAX_ROWS = 1000;

export const JSON_TYPE = 'application/json';
export const CSV_TYPE = 'text/csv';
export type InputContentType = typeof JSON_TYPE | typeof CSV_TYPE;

/** The error names the server returns; `status` is the HTTP status each one maps to. */
export const CODEC_ERRORS = {
  ValidationError: 400,
  NotAcceptable: 406,
  UnsupportedMediaType: 415,
} as const;
export type CodecErrorName = keyof typeof CODEC_ERRORS;

/** A request the codec refuses; `error` is the error name, `message` says exactly why. */
export class CodecError extends Error {
  override readonly name = 'CodecError';
  constructor(
    readonly error: CodecErrorName,
    message: string,
  ) {
    super(message);
  }

  get status(): number {
    return CODEC_ERRORS[this.error];
  }
}

export interface DecodeOptions {
  /** Values every row must have: the model's feature count. */
  readonly featureCount: number;
  /** @default MAX_ROWS */
  readonly maxRows?: number;
}

const invalid = (message: string) => new CodecError('ValidationError', message);

/**
 * The media type of a `Content-Type` header, if it is one we read. Parameters other than
 * `charset=utf-8` are ignored; another charset is refused rather than misread.
 */
export function parseContentType(header: string | undefined): InputContentType {
  if (header === undefined || header.trim() === '') {
    throw new CodecError('UnsupportedMediaType', `missing content type; use ${JSON_TYPE} or ${CSV_TYPE}`);
  }
  const [type, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== JSON_TYPE && type !== CSV_TYPE) {
    throw new CodecError('UnsupportedMediaType', `unsupported content type "${type}"; use ${JSON_TYPE} or ${CSV_TYPE}`);
  }
  for (const parameter of parameters) {
    const [name, value = ''] = parameter.split('=').map((part) => part.trim().replace(/^"(.*)"$/, '$1'));
    if (name === 'charset' && value !== 'utf-8' && value !== 'utf8') {
      throw new CodecError('UnsupportedMediaType', `unsupported charset "${value}"; send utf-8`);
    }
  }
  return type;
}

/** Refuses an `Accept` header that rules out JSON, the only output this container writes. */
export function checkAccept(header: string | undefined): void {
  if (header === undefined || header.trim() === '') return;
  const accepted = header
    .split(',')
    .map((range) => range.split(';')[0].trim().toLowerCase())
    .some((range) => range === JSON_TYPE || range === 'application/*' || range === '*/*');
  if (!accepted) {
    throw new CodecError('NotAcceptable', `cannot produce "${header.trim()}"; responses are ${JSON_TYPE}`);
  }
}

/** The rows of a request body, or a `CodecError` that says what is wrong with it. */
export function decodeRows(body: Buffer | string, contentType: InputContentType, options: DecodeOptions): number[][] {
  const text = typeof body === 'string' ? body : decodeUtf8(body);
  if (text.trim() === '') throw invalid('request body is empty');
  const limits = { featureCount: options.featureCount, maxRows: options.maxRows ?? MAX_ROWS };
  return contentType === JSON_TYPE ? decodeJson(text, limits) : decodeCsv(text, limits);
}

export function encodePredictions(predictions: readonly Prediction[], modelVersion?: string): string {
  return JSON.stringify(modelVersion ? { predictions, modelVersion } : { predictions });
}

function decodeUtf8(body: Buffer): string {
  try {
    // fatal: invalid bytes are refused rather than replaced by U+FFFD; a BOM is dropped.
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw invalid('request body is not valid utf-8');
  }
}

function checkRowCount(count: number, maxRows: number): void {
  if (count === 0) throw invalid('request has no rows');
  if (count > maxRows) throw invalid(`request has ${count} rows; the limit is ${maxRows}`);
}

function decodeJson(text: string, { featureCount, maxRows }: Required<DecodeOptions>): number[][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw invalid(`request body is not valid json: ${(error as Error).message}`);
  }

  let rows: unknown;
  if (Array.isArray(value)) {
    rows = value;
  } else if (typeof value === 'object' && value !== null) {
    const unknownField = Object.keys(value).find((key) => key !== 'instances');
    if (unknownField !== undefined) {
      throw invalid(`unknown field "${unknownField}"; the body must be {"instances": [[...], ...]}`);
    }
    if (!('instances' in value)) throw invalid('missing field "instances"');
    rows = value.instances;
    if (!Array.isArray(rows)) throw invalid(`"instances" must be an array of rows, got ${describe(rows)}`);
  } else {
    throw invalid(`json body must be {"instances": [[...], ...]} or an array of rows, got ${describe(value)}`);
  }

  const list = rows as unknown[];
  checkRowCount(list.length, maxRows);
  if (typeof list[0] === 'number') {
    throw invalid('json rows must be arrays: got a flat array of numbers; send one row as [[...]]');
  }
  return list.map((row, i) => {
    if (!Array.isArray(row)) throw invalid(`row ${i + 1} must be an array of ${featureCount} numbers, got ${describe(row)}`);
    if (row.length !== featureCount) throw invalid(`row ${i + 1} has ${row.length} values; expected ${featureCount}`);
    row.forEach((cell: unknown, j) => {
      if (typeof cell !== 'number' || !Number.isFinite(cell)) {
        throw invalid(`row ${i + 1}, column ${j + 1} must be a finite number, got ${describe(cell)}`);
      }
    });
    return row as number[];
  });
}

/** A decimal number as people write it: no hex, no empty cell, no "Infinity". */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const NOT_FINITE = /^[+-]?(nan|inf|infinity)$/i;

function decodeCsv(text: string, { featureCount, maxRows }: Required<DecodeOptions>): number[][] {
  const lines = text.split(/\r?\n/);
  // One line break at the very end is how most tools end a file; it ends the last row.
  if (lines[lines.length - 1] === '') lines.pop();
  checkRowCount(lines.length, maxRows);

  return lines.map((line, i) => {
    const where = `line ${i + 1}`;
    if (line.trim() === '') throw invalid(`${where} is empty; csv input has one row per line and no blank lines`);
    const cells = line.split(',').map((cell) => cell.trim());
    if (i === 0 && cells.every((cell) => cell !== '' && !DECIMAL.test(cell) && !NOT_FINITE.test(cell))) {
      throw invalid(`${where} looks like a header ("${truncate(line)}"); csv input must not have a header row`);
    }
    if (cells.length !== featureCount) throw invalid(`${where} has ${cells.length} values; expected ${featureCount}`);
    return cells.map((cell, j) => {
      const at = `${where}, column ${j + 1}`;
      if (cell === '') throw invalid(`${at} is empty`);
      if (NOT_FINITE.test(cell)) throw invalid(`${at}: "${cell}" is not a finite number`);
      if (!DECIMAL.test(cell)) throw invalid(`${at}: "${truncate(cell)}" is not a number`);
      const value = Number(cell);
      if (!Number.isFinite(value)) throw invalid(`${at}: "${truncate(cell)}" is not a finite number`);
      return value;
    });
  });
}

/** How a JSON value appears in a message: its type, and the value when short. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `string "${truncate(value)}"`;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

/** Keeps messages short when the offending value is long (or is the whole body). */
function truncate(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
