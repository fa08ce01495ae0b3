/**
 * Validation of a prediction request, cheapest check first: the media type, then the
 * body's size, then its nesting (a byte scan, before anything is parsed), then its
 * encoding (UTF-8), then the JSON, then its shape. The first problem found is reported, precisely enough to fix it
 * ("instances[3][1] must be a finite number, got string").
 *
 * Messages are stored in the record and may be logged, so they never quote a payload
 * value: they name positions, types and counts only. The one exception is the name of an
 * unknown field, quoted only with PAYLOAD_MODE full, where the record keeps the whole body.
 */
import type { PayloadMode } from '../shared/env';
import { apiError } from '../shared/http';

/** Rows one request may carry; bigger batches belong in batch transform, not a real-time API. */
export const MAX_ROWS = 1000;
/** `{ "instances": [ [ 1, 2 ] ] }` nests three levels: anything deeper is not a valid request. */
const MAX_DEPTH = 3;

export interface RequestLimits {
  readonly maxRequestBytes: number;
  /** Features per row; 0 accepts any width as long as all rows share it. */
  readonly featureCount: number;
  /** Only `full` lets a message quote what the client sent (an unknown field's name). */
  readonly payloadMode?: PayloadMode;
}

/** The rows of a valid request; throws an ApiError (400, 413 or 415) otherwise. */
export function parsePredictRequest(contentType: string | undefined, body: Buffer | undefined, limits: RequestLimits): number[][] {
  checkContentType(contentType);
  if (body === undefined || body.byteLength === 0) {
    throw apiError('ValidationError', 'request body is required: a JSON object {"instances": [[...], ...]}');
  }
  if (body.byteLength > limits.maxRequestBytes) {
    throw apiError('PayloadTooLarge', `request body is ${body.byteLength} bytes; at most ${limits.maxRequestBytes} are accepted`);
  }
  checkNesting(body);
  checkEncoding(body);
  return checkShape(parseJson(body), limits.featureCount, limits.payloadMode === 'full');
}

function checkContentType(value: string | undefined): void {
  const [mediaType, ...params] = (value ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (mediaType !== 'application/json') {
    // The sent value is not quoted (it is the client's text): only whether there was one.
    throw apiError('UnsupportedMediaType', `Content-Type must be application/json, got ${value ? 'another media type' : 'none'}`);
  }
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw apiError('UnsupportedMediaType', 'Content-Type charset must be utf-8, got another charset');
  }
}

/**
 * Refuses input nested deeper than a request can be, by scanning bytes (brackets inside
 * strings do not count), so that a body of a million '[' costs one pass and no parse.
 */
function checkNesting(body: Buffer): void {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (++depth > MAX_DEPTH) {
        throw apiError('ValidationError', `request body nests deeper than ${MAX_DEPTH} levels; expected {"instances": [[numbers], ...]}`);
      }
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      depth--;
    }
  }
}

/**
 * A body that is not valid UTF-8 is refused as such: decoded leniently, its bad bytes would
 * become U+FFFD and the request would be refused for what they turned into (an unknown field).
 */
function checkEncoding(body: Buffer): void {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw apiError('ValidationError', 'request body is not valid UTF-8; send JSON encoded as UTF-8');
  }
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    // V8's message quotes the input: keep only the position.
    const position = /position (\d+)/.exec(String((error as Error).message))?.[1];
    throw apiError('ValidationError', `request body is not valid JSON${position ? ` (error at position ${position})` : ''}`);
  }
}

function checkShape(parsed: unknown, featureCount: number, quoteNames: boolean): number[][] {
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw apiError('ValidationError', `request body must be a JSON object with the field instances, got ${typeName(parsed)}`);
  }
  const unknown = Object.keys(parsed).filter((k) => k !== 'instances');
  if (unknown.length > 0) {
    const plural = unknown.length > 1 ? 's' : '';
    if (!quoteNames)
      throw apiError('ValidationError', `${unknown.length} unknown field${plural} in request body; only instances is accepted`);
    const names = unknown
      .slice(0, 5)
      .map((k) => JSON.stringify(k.slice(0, 40)))
      .join(', ');
    throw apiError('ValidationError', `unknown field${plural} in request body: ${names}; only instances is accepted`);
  }
  const instances = (parsed as { instances?: unknown }).instances;
  if (instances === undefined) throw apiError('ValidationError', 'request body must have the field instances');
  if (!Array.isArray(instances)) throw apiError('ValidationError', `instances must be an array of rows, got ${typeName(instances)}`);
  if (instances.length === 0) throw apiError('ValidationError', 'instances must hold at least one row');
  if (instances.length > MAX_ROWS) {
    throw apiError('ValidationError', `instances has ${instances.length} rows; at most ${MAX_ROWS} are accepted per request`);
  }

  const width = featureCount > 0 ? featureCount : (instances[0] as unknown[]).length;
  instances.forEach((row: unknown, r) => {
    if (!Array.isArray(row)) throw apiError('ValidationError', `instances[${r}] must be an array of numbers, got ${typeName(row)}`);
    if (row.length === 0) throw apiError('ValidationError', `instances[${r}] must hold at least one number`);
    if (row.length !== width) {
      throw apiError(
        'ValidationError',
        featureCount > 0
          ? `instances[${r}] has ${row.length} values; the model takes ${featureCount} features per row`
          : `instances[${r}] has ${row.length} values but instances[0] has ${width}; all rows must have the same width`,
      );
    }
    row.forEach((value: unknown, c) => {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        const got = typeof value === 'number' ? 'a number too large to represent' : typeName(value);
        throw apiError('ValidationError', `instances[${r}][${c}] must be a finite number, got ${got}`);
      }
    });
  });
  return instances as number[][];
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value;
}
