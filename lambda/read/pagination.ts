/**
 * Pagination tokens: opaque to clients (base64url JSON), and never trusted. A token's key
 * becomes a query's ExclusiveStartKey, so before use it must be exactly a key of the query
 * being made: the right attributes and nothing else, the same partition, a sort key within
 * the time bounds, and a table key that agrees with the index key. A token edited to point
 * at another partition, or issued for other parameters, is refused with 400.
 */
import type { ApiError } from '../shared/http';
import { badRequest } from './params';

export type Key = Readonly<Record<string, string>>;

/**
 * What a token carries: the listing it continues; the day partition (failure listing) and
 * the key to start after; or, for a version listing, the day (`d`) and each source's
 * position in it (`p`, see version-listing.ts).
 */
export interface PageToken {
  readonly q: 'version' | 'failed' | 'models';
  readonly day?: string;
  readonly k?: Key;
  readonly d?: string;
  readonly p?: readonly (string | null | true)[];
  /** The model version a version listing's token belongs to. */
  readonly v?: string;
}

const NOT_A_TOKEN = 'nextToken is not a valid token; pass the nextToken of the previous page unchanged';
const NOT_THIS_QUERY = 'nextToken does not belong to this query; pass it with the same parameters as the page that returned it';

/** The error for a well-formed token that was issued for another query. */
export function foreignToken(): ApiError {
  return badRequest(NOT_THIS_QUERY);
}

export function encodeToken(token: PageToken): string {
  return Buffer.from(JSON.stringify(token), 'utf8').toString('base64url');
}

/** The token of the listing `q`, with only the fields that listing uses; refused otherwise. */
export function decodeToken(raw: string, q: PageToken['q']): PageToken {
  let parsed: unknown;
  try {
    // A version cursor holds one sort key per shard: up to 33 of about 70 characters.
    if (raw.length > 8_192 || !/^[A-Za-z0-9_-]+$/.test(raw)) throw new Error('not base64url');
    parsed = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw badRequest(NOT_A_TOKEN);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw badRequest(NOT_A_TOKEN);
  const token = parsed as Record<string, unknown>;
  const allowed = q === 'failed' ? ['q', 'day', 'k'] : q === 'version' ? ['q', 'v', 'd', 'p'] : ['q', 'k'];
  if (token.q !== q || Object.keys(token).some((name) => !allowed.includes(name))) throw badRequest(NOT_THIS_QUERY);
  if (q === 'failed' && (typeof token.day !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(token.day))) throw badRequest(NOT_THIS_QUERY);
  if (q === 'models' && token.k === undefined) throw badRequest(NOT_THIS_QUERY);
  if (q === 'version') {
    const positionsOk = Array.isArray(token.p) && token.p.every((p) => p === null || p === true || typeof p === 'string');
    if (typeof token.v !== 'string' || typeof token.d !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(token.d) || !positionsOk)
      throw badRequest(NOT_THIS_QUERY);
  }
  return token as unknown as PageToken;
}

/**
 * The token's key, if it is exactly a key with these attributes, each a string that its
 * check accepts; refused otherwise.
 */
export function checkedKey(key: unknown, checks: Readonly<Record<string, (value: string, key: Key) => boolean>>): Key {
  if (typeof key !== 'object' || key === null || Array.isArray(key)) throw badRequest(NOT_THIS_QUERY);
  const k = key as Record<string, unknown>;
  const names = Object.keys(k);
  const expected = Object.keys(checks);
  const exact = names.length === expected.length && expected.every((name) => typeof k[name] === 'string');
  if (!exact || !expected.every((name) => checks[name](k[name] as string, k as Key))) throw badRequest(NOT_THIS_QUERY);
  return k as Key;
}
