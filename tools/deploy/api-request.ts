import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { asAwsError, defaultCredentials } from './aws-env';
import { CliError } from '../cli';

/**
 * Calling the inference API as a client does: signed with the caller's AWS credentials
 * (SigV4, service `execute-api`) in IAM mode, with `x-api-key` in API-key mode, or plain
 * (the local pipeline accepts unsigned requests).
 */
export type ApiAuth =
  | { readonly kind: 'sigv4'; readonly region: string; readonly credentials?: AwsCredentialIdentityProvider }
  | { readonly kind: 'api-key'; readonly key: string }
  | { readonly kind: 'none' };

export interface ApiRequest {
  readonly method: 'GET' | 'POST';
  /** Path under the API's base URL, for example `/predict`. */
  readonly path: string;
  readonly body?: string;
  readonly contentType?: string;
  readonly timeoutMs?: number;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body parsed as JSON; undefined when it is not JSON. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's JSON body: each caller checks the fields it reads
  readonly json?: any;
}

/** API Gateway gives up on an integration after 29 s; a little more covers the network. */
const DEFAULT_TIMEOUT_MS = 35_000;

export async function callApi(baseUrl: string, request: ApiRequest, auth: ApiAuth): Promise<ApiResponse> {
  const url = joinUrl(baseUrl, request.path);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.contentType) headers['content-type'] = request.contentType;
  if (auth.kind === 'api-key') headers['x-api-key'] = auth.key;
  const signed = auth.kind === 'sigv4' ? await signRequest(url, request.method, headers, request.body, auth) : headers;

  let res: Response;
  try {
    res = await fetch(url, {
      method: request.method,
      headers: signed,
      body: request.body,
      signal: AbortSignal.timeout(request.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = (error as Error).name === 'TimeoutError' ? 'timed out' : (cause?.code ?? cause?.message ?? (error as Error).message);
    throw new CliError(
      `${request.method} ${url.href} failed: ${why}`,
      'check the URL (npm run outputs -- --stage STAGE prints it) and your network',
    );
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/**
 * Signs with SigV4 for `execute-api`. The signed `host` is the URL's host (with its port when
 * it has one), which is exactly what fetch sends, so the signature covers what goes out.
 */
export async function signRequest(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  auth: Extract<ApiAuth, { kind: 'sigv4' }>,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    service: 'execute-api',
    region: auth.region,
    credentials: auth.credentials ?? defaultCredentials(),
    sha256: Sha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(url.searchParams.keys())) {
    const values = url.searchParams.getAll(key);
    query[key] = values.length === 1 ? values[0] : values;
  }
  let signed;
  try {
    signed = await signer.sign({
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query,
      headers: { ...headers, host: url.host },
      body,
    });
  } catch (error) {
    throw asAwsError(error, 'could not sign the request');
  }
  // fetch derives Host from the URL (the same value); it may not be set by hand.
  const { host: _host, ...out } = signed.headers as Record<string, string>;
  return out;
}

/** `https://id.execute-api.REGION.amazonaws.com/STAGE/` + `/predict`, without a doubled slash. */
export function joinUrl(baseUrl: string, path: string): URL {
  let base: URL;
  try {
    base = new URL(baseUrl);
  } catch {
    throw new CliError(`'${baseUrl}' is not a URL (expected for example https://ID.execute-api.REGION.amazonaws.com/STAGE/)`);
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new CliError(`'${baseUrl}' is not an http(s) URL`);
  const joined = new URL(base.href);
  joined.pathname = `${base.pathname.replace(/\/+$/, '')}/${path.replace(/^\/+/, '')}`;
  return joined;
}

/** The region in an API Gateway URL (`ID.execute-api.REGION.amazonaws.com`), if it is one. */
export function regionOfApiUrl(url: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(safeHost(url))?.[1];
}

function safeHost(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return '';
  }
}
