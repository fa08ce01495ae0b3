/**
 * Signature Version 4 verification, written from the AWS specification with node:crypto
 * only (no SDK signer), so that the local API checks a client's signature independently of
 * the code that made it.
 *
 * The steps ("Create a signed AWS API request",
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html):
 * "1. Creating a canonical request based on the request details. 2. Calculating a signature
 * using your AWS credentials. 3. Adding this signature to the request as an Authorization
 * header. AWS then replicates this process and verifies the signature".
 *
 * The answers are the service's own words, as API Gateway (execute-api) and SageMaker runtime
 * give them; where AWS documents no wording, the text is the one real responses show (the
 * GitHub issue is cited beside it).
 */
import { createHash, createHmac, timingSafeEqual } from 'crypto';

export interface SignedRequest {
  readonly method: string;
  /** The path as it came on the wire (still percent-encoded), without the query. */
  readonly rawPath: string;
  /** The query string as it came, without '?'. */
  readonly rawQuery: string;
  /** Node's `rawHeaders`: name, value, name, value... */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
}

export interface Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface VerifyOptions {
  /** `execute-api` for API Gateway, `sagemaker` for SageMaker runtime. */
  readonly service: string;
  readonly region: string;
  /** The secret of an access key this "account" knows, or undefined. */
  readonly lookup: (accessKeyId: string) => Credential | undefined;
  /** @default Date.now() */
  readonly now?: number;
}

/** Why a request was refused: API Gateway's gateway response type, the error type header and the message. */
export interface SigV4Failure {
  readonly ok: false;
  readonly responseType: 'MISSING_AUTHENTICATION_TOKEN' | 'INVALID_SIGNATURE' | 'EXPIRED_TOKEN' | 'UNAUTHORIZED';
  readonly errorType: string;
  readonly message: string;
}
export interface SigV4Success {
  readonly ok: true;
  readonly credential: Credential;
}
export type SigV4Result = SigV4Success | SigV4Failure;

export const ALGORITHM = 'AWS4-HMAC-SHA256';
/**
 * "In most cases, a request must reach AWS within five minutes of the time stamp in the
 * request. Otherwise, AWS denies the request." (AWS Signature Version 4 for API requests,
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_aws-signing.html); API Gateway's
 * own message says "- 5 min." (aws-amplify/aws-sdk-android#253).
 */
export const CLOCK_SKEW_MS = 5 * 60_000;

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/** kDate = HMAC("AWS4" + secret, date), then region, service, "aws4_request". */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters (and '/' in paths). */
function uriEncode(text: string, keepSlash: boolean): string {
  return Array.from(Buffer.from(text, 'utf8'))
    .map((b) => {
      const c = String.fromCharCode(b);
      if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) return c;
      return `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
    })
    .join('');
}

/**
 * The canonical URI: the path normalized (RFC 3986 dot segments), then each segment
 * URI-encoded once more. "Each path segment must be URI-encoded twice (except for Amazon S3
 * which only gets URI-encoded once)" (Create a signed AWS API request): the path on the wire
 * is the first encoding.
 */
export function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment === '.' || segment === '') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = rawPath.length > 1 && rawPath.endsWith('/') && segments.length > 0 ? '/' : '';
  return uriEncode(`/${segments.join('/')}${trailing}`, true);
}

/** Parameters sorted by encoded name, then value; each name and value URI-encoded. */
export function canonicalQuery(rawQuery: string): string {
  const pairs = [...new URLSearchParams(rawQuery)].map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)] as const);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Header values by lowercase name, repeated headers joined with ',', spaces trimmed and collapsed. */
function headerMap(rawHeaders: readonly string[]): Map<string, string> {
  const map = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    const value = rawHeaders[i + 1].trim().replace(/\s+/g, ' ');
    map.set(name, [...(map.get(name) ?? []), value]);
  }
  return new Map([...map].map(([k, v]) => [k, v.join(',')]));
}

export function canonicalRequest(req: SignedRequest, signedHeaders: readonly string[], payloadHash: string): string {
  const headers = headerMap(req.rawHeaders);
  return [
    req.method.toUpperCase(),
    canonicalUri(req.rawPath),
    canonicalQuery(req.rawQuery),
    signedHeaders.map((h) => `${h}:${headers.get(h) ?? ''}\n`).join(''),
    signedHeaders.join(';'),
    payloadHash,
  ].join('\n');
}

export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return [ALGORITHM, amzDate, scope, sha256Hex(canonical)].join('\n');
}

/** `20220830T123600Z` to epoch ms; "Do not include milliseconds in the time stamp." (Elements of an AWS API request signature). */
function parseAmzDate(text: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  const t = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]);
  return Number.isFinite(t) ? t : undefined;
}

export function amzDate(t: number): string {
  return new Date(t)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function fail(responseType: SigV4Failure['responseType'], errorType: string, message: string): SigV4Failure {
  return { ok: false, responseType, errorType, message };
}

/** A request carries a signature when it has an Authorization header or a presigned query. */
export function isSigned(req: SignedRequest): boolean {
  return headerMap(req.rawHeaders).has('authorization') || new URLSearchParams(req.rawQuery).has('X-Amz-Signature');
}

/**
 * Verifies a header-signed request. Unsigned: 403 Missing Authentication Token ("If the API
 * request isn't signed, then you might receive the following error: "Missing Authentication
 * Token."", https://repost.aws/knowledge-center/api-gateway-iam-sigv4-mismatch).
 */
export function verifySigV4(req: SignedRequest, options: VerifyOptions): SigV4Result {
  const headers = headerMap(req.rawHeaders);
  const authorization = headers.get('authorization');
  if (authorization === undefined) {
    // x-amzn-ErrorType MissingAuthenticationTokenException, as in "Set up a gateway response
    // for a REST API using the API Gateway console" (the example response).
    return fail('MISSING_AUTHENTICATION_TOKEN', 'MissingAuthenticationTokenException', 'Missing Authentication Token');
  }
  const now = options.now ?? Date.now();

  // "AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...". A part without '='
  // is answered as real API Gateway responses show (amazon-archives/aws-cognito-angular-quickstart#50):
  // "'token' not a valid key=value pair (missing equal-sign) in Authorization header: 'Bearer token'".
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  const rest = space < 0 ? '' : authorization.slice(space + 1);
  const params = new Map<string, string>();
  for (const part of rest.split(/[,\s]+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq < 0) {
      return fail(
        'INVALID_SIGNATURE',
        'IncompleteSignatureException',
        `'${part}' not a valid key=value pair (missing equal-sign) in Authorization header: '${authorization}'`,
      );
    }
    params.set(part.slice(0, eq), part.slice(eq + 1));
  }
  // The missing pieces, each named, then the header (aws/chalice#828 shows API Gateway's wording).
  const missing: string[] = [];
  for (const name of ['Credential', 'Signature', 'SignedHeaders']) {
    if (!params.get(name)) missing.push(`Authorization header requires '${name}' parameter.`);
  }
  const dateHeader = headers.get('x-amz-date') ?? headers.get('date');
  if (dateHeader === undefined) missing.push("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  if (missing.length > 0 || algorithm !== ALGORITHM) {
    // Another algorithm: AWS documents no wording for it; this sentence is the local pipeline's own.
    const unsupported = algorithm !== ALGORITHM ? [`Unsupported Authorization Type: '${algorithm}'.`] : [];
    return fail(
      'INVALID_SIGNATURE',
      'IncompleteSignatureException',
      [...unsupported, ...missing, `Authorization=${authorization}`].join(' '),
    );
  }

  // Credential scope: "YYYYMMDD/region/service/aws4_request" (Troubleshoot signed requests for
  // AWS APIs, https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html).
  const credentialParts = params.get('Credential')!.split('/');
  if (credentialParts.length !== 5 || credentialParts[4] !== 'aws4_request') {
    return fail(
      'INVALID_SIGNATURE',
      'IncompleteSignatureException',
      `Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '${params.get('Credential')}'`,
    );
  }
  const [accessKeyId, scopeDate, region, service] = credentialParts;
  // Wording of real execute-api answers: aws/aws-sdk-js#792 (region) and ex-aws/ex_aws#701 (service,
  // with x-amzn-ErrorType InvalidSignatureException).
  if (region !== options.region)
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException', `Credential should be scoped to a valid region, not '${region}'. `);
  if (service !== options.service)
    return fail('INVALID_SIGNATURE', 'InvalidSignatureException', `Credential should be scoped to correct service: '${options.service}'. `);

  const signedHeaders = params.get('SignedHeaders')!.split(';');
  // "For HTTP/1.1 requests, you must include the Host header." (Elements of an AWS API request
  // signature, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-signing-elements.html)
  if (!signedHeaders.includes('host')) {
    return fail(
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  const dateName = headers.has('x-amz-date') ? 'x-amz-date' : 'date';
  if (!signedHeaders.includes(dateName)) {
    return fail(
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      `'${dateName === 'x-amz-date' ? 'X-Amz-Date' : 'Date'}' must be a 'SignedHeader' in the AWS Authorization.`,
    );
  }
  const requestTime = dateName === 'x-amz-date' ? parseAmzDate(dateHeader!) : Date.parse(dateHeader!);
  if (requestTime === undefined || !Number.isFinite(requestTime)) {
    return fail(
      'INVALID_SIGNATURE',
      'IncompleteSignatureException',
      `Date must be in ISO-8601 'basic format'. Got '${dateHeader}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  const stamp = amzDate(requestTime);
  // "Signature expired: <date> is now earlier than <now - 5 min> (<now> - 5 min.)", as API Gateway
  // answers it (aws-amplify/aws-sdk-android#253); and its mirror for a clock ahead.
  if (requestTime < now - CLOCK_SKEW_MS) {
    return fail(
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      `Signature expired: ${stamp} is now earlier than ${amzDate(now - CLOCK_SKEW_MS)} (${amzDate(now)} - 5 min.)`,
    );
  }
  if (requestTime > now + CLOCK_SKEW_MS) {
    return fail(
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      `Signature not yet current: ${stamp} is still later than ${amzDate(now + CLOCK_SKEW_MS)} (${amzDate(now)} + 5 min.)`,
    );
  }
  // "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP" (IAM troubleshooting).
  if (scopeDate !== stamp.slice(0, 8)) {
    return fail(
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scopeDate}' != '${stamp.slice(0, 8)}', from '${stamp}'.`,
    );
  }

  const credential = options.lookup(accessKeyId);
  // "If the access key is incorrect, then you might receive the following error: "The security
  // token included in the request is invalid."" (KC api-gateway-iam-sigv4-mismatch).
  if (!credential) return fail('UNAUTHORIZED', 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  const token = headers.get('x-amz-security-token');
  if (credential.sessionToken !== undefined && token !== credential.sessionToken) {
    return fail('UNAUTHORIZED', 'UnrecognizedClientException', 'The security token included in the request is invalid.');
  }

  // The payload hash: the signer's x-amz-content-sha256 when it sent one (botocore and curl
  // sign with it), else the body's own hash. Either way the body must be the one signed.
  const bodyHash = sha256Hex(req.body);
  const declared = headers.get('x-amz-content-sha256');
  const payloadHash = declared ?? bodyHash;
  const canonical = canonicalRequest(req, signedHeaders, payloadHash);
  const scope = `${scopeDate}/${region}/${service}/aws4_request`;
  const toSign = stringToSign(dateHeader!, scope, canonical);
  const expected = createHmac('sha256', signingKey(credential.secretAccessKey, scopeDate, region, service))
    .update(toSign, 'utf8')
    .digest('hex');
  const given = params.get('Signature')!;
  const same = given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected));
  if (!same || (declared !== undefined && declared !== bodyHash)) {
    // The message API Gateway answers, with the canonical request and the string to sign it
    // computed: "The error response includes the canonical request and the string to sign that
    // the service calculated." (IAM troubleshooting page); full wording from okigan/awscurl#27.
    return fail(
      'INVALID_SIGNATURE',
      'InvalidSignatureException',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.\n\n' +
        `The Canonical String for this request should have been\n'${canonicalRequest(req, signedHeaders, bodyHash)}'\n\nThe String-to-Sign should have been\n'${stringToSign(dateHeader!, scope, canonicalRequest(req, signedHeaders, bodyHash))}'\n`,
    );
  }
  return { ok: true, credential };
}

/** Signs a request (for the pipeline's own local clients and the tests' reference vectors). */
export function signHeaders(
  req: Omit<SignedRequest, 'rawHeaders'> & { headers: Record<string, string> },
  credential: Credential,
  region: string,
  service: string,
  now = Date.now(),
): Record<string, string> {
  const stamp = amzDate(now);
  const headers: Record<string, string> = { ...req.headers, 'x-amz-date': stamp };
  if (credential.sessionToken) headers['x-amz-security-token'] = credential.sessionToken;
  const names = Object.keys(headers)
    .map((h) => h.toLowerCase())
    .sort();
  const raw = Object.entries(headers).flat();
  const scope = `${stamp.slice(0, 8)}/${region}/${service}/aws4_request`;
  const canonical = canonicalRequest({ ...req, rawHeaders: raw }, names, sha256Hex(req.body));
  const signature = createHmac('sha256', signingKey(credential.secretAccessKey, stamp.slice(0, 8), region, service))
    .update(stringToSign(stamp, scope, canonical))
    .digest('hex');
  return {
    ...headers,
    authorization: `${ALGORITHM} Credential=${credential.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}
