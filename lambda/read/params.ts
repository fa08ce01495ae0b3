/**
 * The query parameters of the read routes, validated strictly: unknown or repeated
 * parameters, malformed times and out-of-range limits are refused with a message naming
 * the parameter, rather than silently ignored or defaulted.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { ApiError, REQUEST_ID_PATTERN } from '../shared/http';

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 100;
/** Listings without `from` cover the day before `to`. */
export const DEFAULT_RANGE_MS = 86_400_000;
/** The failure listing queries one index partition per day: bound the days one request can touch. */
export const MAX_FAILED_RANGE_DAYS = 31;

export type InferenceListQuery =
  | {
      readonly kind: 'version';
      readonly modelVersion: string;
      readonly from: string;
      readonly to: string;
      readonly limit: number;
      readonly nextToken?: string;
    }
  | { readonly kind: 'failed'; readonly from: string; readonly to: string; readonly limit: number; readonly nextToken?: string };

export interface ModelsQuery {
  readonly limit: number;
  readonly nextToken?: string;
}

const MODEL_VERSION = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(Z|[+-](\d{2}):(\d{2}))$/;

export function badRequest(message: string): ApiError {
  return new ApiError('ValidationError', 400, message);
}

export function parseId(id: string | undefined): string {
  if (id === undefined || !REQUEST_ID_PATTERN.test(id)) throw badRequest('id must be 1 to 64 letters, digits or hyphens');
  return id;
}

/** `GET /inferences`: `modelVersion=...` or `status=failed`, with `from`, `to`, `limit`, `nextToken`. */
export function parseInferenceListQuery(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>,
  now: number,
): InferenceListQuery {
  const q = queryParameters(event, ['modelVersion', 'status', 'from', 'to', 'limit', 'nextToken']);
  if (q.modelVersion !== undefined && q.status !== undefined) throw badRequest('give either modelVersion or status=failed, not both');
  if (q.modelVersion === undefined && q.status === undefined) throw badRequest('give modelVersion=<version> or status=failed');

  const to = q.to === undefined ? new Date(now).toISOString() : isoTime('to', q.to);
  const from = q.from === undefined ? new Date(Date.parse(to) - DEFAULT_RANGE_MS).toISOString() : isoTime('from', q.from);
  if (from > to) throw badRequest(`from (${from}) must not be after to (${to})`);
  const limit = parseLimit(q.limit);

  if (q.status !== undefined) {
    if (q.status !== 'failed') throw badRequest(`status must be 'failed' (successful requests are listed by modelVersion)`);
    const days = (Date.parse(to) - Date.parse(from)) / 86_400_000;
    if (days > MAX_FAILED_RANGE_DAYS) {
      throw badRequest(
        `status=failed lists at most ${MAX_FAILED_RANGE_DAYS} days at a time; from and to are ${days.toFixed(1)} days apart`,
      );
    }
    return { kind: 'failed', from, to, limit, nextToken: q.nextToken };
  }
  const modelVersion = q.modelVersion!;
  if (!MODEL_VERSION.test(modelVersion))
    throw badRequest("modelVersion must be 1 to 32 letters, digits, '.', '_' or '-', starting with a letter or digit");
  return { kind: 'version', modelVersion, from, to, limit, nextToken: q.nextToken };
}

/** `GET /models`: `limit`, `nextToken`. */
export function parseModelsQuery(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>,
): ModelsQuery {
  const q = queryParameters(event, ['limit', 'nextToken']);
  return { limit: parseLimit(q.limit), nextToken: q.nextToken };
}

/** Routes without parameters refuse any. */
export function noQueryParameters(event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>): void {
  queryParameters(event, []);
}

function queryParameters(
  event: Pick<APIGatewayProxyEvent, 'queryStringParameters' | 'multiValueQueryStringParameters'>,
  accepted: readonly string[],
): Partial<Record<string, string>> {
  const single = event.queryStringParameters ?? {};
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const name of new Set([...Object.keys(single), ...Object.keys(multi)])) {
    if (!accepted.includes(name)) {
      const shown = JSON.stringify(name.slice(0, 40));
      throw badRequest(
        accepted.length > 0
          ? `unknown query parameter ${shown}; accepted: ${accepted.join(', ')}`
          : `unknown query parameter ${shown}; this route takes none`,
      );
    }
    // API Gateway keeps only the last of repeated parameters in queryStringParameters: refuse the ambiguity.
    if ((multi[name]?.length ?? 0) > 1) throw badRequest(`query parameter ${name} is given ${multi[name]!.length} times; give it once`);
  }
  return single;
}

function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_LIMIT;
  const limit = /^\d{1,4}$/.test(raw) ? Number(raw) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) throw badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}`);
  return limit;
}

/** An ISO-8601 time with a zone (`2024-05-01T12:00:00Z`, `...+02:00`), as UTC in the records' own format. */
function isoTime(name: string, raw: string): string {
  const m = ISO_TIME.exec(raw);
  const valid =
    m !== null &&
    Number(m[2]) >= 1 &&
    Number(m[2]) <= 12 &&
    Number(m[3]) >= 1 &&
    Number(m[3]) <= daysInMonth(Number(m[1]), Number(m[2])) &&
    Number(m[4]) <= 23 &&
    Number(m[5]) <= 59 &&
    Number(m[6] ?? 0) <= 59 &&
    Number(m[8] ?? 0) <= 23 &&
    Number(m[9] ?? 0) <= 59;
  if (!valid) throw badRequest(`${name} must be an ISO-8601 time with a zone, such as 2024-05-01T12:00:00Z`);
  return new Date(Date.parse(raw)).toISOString();
}

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
