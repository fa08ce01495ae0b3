import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { SynthesizedRoute } from './local-assembly';
import { LocalFunction } from './local-lambda';
import { closeServer, listen, readBody, sendJson } from './http-server';
import { LOCAL_ACCOUNT } from './local-aws';

export interface LocalApiProps {
  readonly stage: string;
  readonly routes: readonly SynthesizedRoute[];
  /** The local function for each route's function logical id. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** In api-key mode, the key clients must send as `x-api-key`. */
  readonly apiKey?: string;
  /** Extra routes served beside the API (the local dashboard), tried before a 403. */
  readonly extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  readonly port?: number;
  readonly host?: string;
}

/** API Gateway's payload limit and the integration timeout of a REST API. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 29_000;
const LOCAL_API_ID = 'localapi00';

interface CompiledRoute extends SynthesizedRoute {
  readonly pattern: RegExp;
  readonly params: string[];
}

/**
 * The REST API as API Gateway runs it: the routes of the synthesized template, the proxy event
 * the deployed function receives (request id, caller identity, path and query parameters),
 * stage throttling, and API Gateway's own errors in the stack's JSON gateway-response shape.
 */
export class LocalApi {
  private server?: http.Server;
  private readonly routes: CompiledRoute[];
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private tokens: number;
  private lastRefill = Date.now();

  constructor(private readonly props: LocalApiProps) {
    this.routes = props.routes.map((r) => {
      const params: string[] = [];
      const source = r.resourcePath.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        params.push(name);
        return '([^/]+)';
      });
      return { ...r, pattern: new RegExp(`^${source}/?$`), params };
    });
    this.tokens = props.throttle.burstLimit;
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://${this.props.host ?? '127.0.0.1'}:${address.port}/${this.props.stage}`;
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 5_000;
    await listen(this.server, this.props.port ?? 0, 'the local API', this.props.host ?? '127.0.0.1');
  }

  /** Stops accepting requests, then waits for those in flight (and their records) to finish. */
  async close(): Promise<void> {
    if (!this.server) return;
    const closed = closeServer(this.server);
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    this.server.closeAllConnections?.();
    await closed;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    this.inFlight++;
    const requestId = randomUUID();
    try {
      await this.route(req, res, requestId);
    } catch {
      if (!res.headersSent) gatewayError(res, 500, 'DEFAULT_5XX', 'Internal server error', requestId);
    } finally {
      if (--this.inFlight === 0) this.idle.splice(0).forEach((resolve) => resolve());
    }
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<void> {
    if (this.props.extraRoutes?.(req, res)) return;
    const url = new URL(req.url ?? '/', 'http://local');
    const stagePrefix = `/${this.props.stage}`;
    const path = url.pathname.startsWith(stagePrefix + '/') || url.pathname === stagePrefix ? url.pathname.slice(stagePrefix.length) || '/' : undefined;
    const method = req.method ?? 'GET';
    const match = path === undefined ? undefined : this.match(method, path);
    // API Gateway answers an unknown route or method with 403 Missing Authentication Token.
    if (!match) return gatewayError(res, 403, 'MISSING_AUTHENTICATION_TOKEN', 'Missing Authentication Token', requestId);
    const { route, pathParameters } = match;

    if (route.apiKeyRequired && req.headers['x-api-key'] !== this.props.apiKey) {
      return gatewayError(res, 403, 'INVALID_API_KEY', 'Forbidden', requestId);
    }
    if (!this.takeToken()) return gatewayError(res, 429, 'THROTTLED', 'Too Many Requests', requestId);

    // A declared length over the limit is refused before reading, as API Gateway does; the
    // connection closes after the answer so the rest of the body is not read.
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      res.setHeader('connection', 'close');
      return gatewayError(res, 413, 'REQUEST_TOO_LARGE', 'Request Too Long', requestId);
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch {
      // A chunked body that grew past the limit: answer, then drop the connection.
      if (!res.headersSent) gatewayError(res, 413, 'REQUEST_TOO_LARGE', 'Request Too Long', requestId);
      return;
    }
    const event = this.toEvent(req, url, path!, route, pathParameters, body, requestId);
    const fn = this.props.functions[route.functionLogicalId];
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS).unref());
    const outcome = await Promise.race([fn.invoke(event, randomUUID()), timeout]);
    if (outcome === 'timeout') return gatewayError(res, 504, 'INTEGRATION_TIMEOUT', 'Endpoint request timed out', requestId);
    if (outcome.status !== 'success') return gatewayError(res, 502, 'INTEGRATION_FAILURE', 'Internal server error', requestId);
    const result = outcome.result as APIGatewayProxyResult | undefined;
    if (!result || typeof result.statusCode !== 'number') {
      return gatewayError(res, 502, 'INTEGRATION_FAILURE', 'Internal server error', requestId);
    }
    const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '');
    const headers: http.OutgoingHttpHeaders = { 'x-amzn-requestid': requestId, 'content-length': payload.length };
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
    res.writeHead(result.statusCode, headers);
    res.end(payload);
  }

  private match(method: string, path: string): { route: CompiledRoute; pathParameters: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.httpMethod !== method && route.httpMethod !== 'ANY') continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      // API Gateway passes a malformed percent-encoding through as it came.
      return { route, pathParameters: Object.fromEntries(route.params.map((name, i) => [name, safeDecode(m[i + 1])])) };
    }
    return undefined;
  }

  /** Stage throttling as a token bucket: `burstLimit` tokens, refilled at `rateLimit` per second. */
  private takeToken(): boolean {
    const now = Date.now();
    const { rateLimit, burstLimit } = this.props.throttle;
    this.tokens = Math.min(burstLimit, this.tokens + ((now - this.lastRefill) / 1000) * rateLimit);
    this.lastRefill = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private toEvent(
    req: http.IncomingMessage,
    url: URL,
    path: string,
    route: CompiledRoute,
    pathParameters: Record<string, string>,
    body: Buffer,
    requestId: string,
  ): APIGatewayProxyEvent {
    const headers: Record<string, string> = {};
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const [name, value] = [req.rawHeaders[i], req.rawHeaders[i + 1]];
      headers[name] = value;
      (multiValueHeaders[name] ??= []).push(value);
    }
    const query: Record<string, string> = {};
    const multiQuery: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] = v;
      (multiQuery[k] ??= []).push(v);
    }
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
    const signedKey = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? '')?.[1];
    const iam = route.authorizationType === 'AWS_IAM';
    const text = body.length ? body.toString('utf8') : null;
    // Bodies that are not valid UTF-8 reach the function base64-encoded, as API Gateway does for binary.
    const binary = text !== null && !Buffer.from(text, 'utf8').equals(body);
    return {
      resource: route.resourcePath,
      path,
      httpMethod: req.method ?? 'GET',
      headers,
      multiValueHeaders,
      queryStringParameters: url.searchParams.size ? query : null,
      multiValueQueryStringParameters: url.searchParams.size ? multiQuery : null,
      pathParameters: route.params.length ? pathParameters : null,
      stageVariables: null,
      body: binary ? body.toString('base64') : text,
      isBase64Encoded: binary,
      requestContext: {
        accountId: LOCAL_ACCOUNT,
        apiId: LOCAL_API_ID,
        authorizer: undefined,
        domainName: req.headers.host ?? 'localhost',
        domainPrefix: 'localhost',
        extendedRequestId: requestId.replace(/-/g, '').slice(0, 16),
        httpMethod: req.method ?? 'GET',
        identity: {
          accessKey: iam ? signedKey ?? null : null,
          accountId: iam ? LOCAL_ACCOUNT : null,
          apiKey: route.apiKeyRequired ? String(req.headers['x-api-key'] ?? '') : null,
          apiKeyId: route.apiKeyRequired ? 'local-api-key' : null,
          caller: iam ? 'AIDALOCALDEVELOPER00' : null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp,
          user: iam ? 'AIDALOCALDEVELOPER00' : null,
          userAgent: req.headers['user-agent'] ?? null,
          userArn: iam ? `arn:aws:iam::${LOCAL_ACCOUNT}:user/local-developer` : null,
        },
        path: `/${this.props.stage}${path}`,
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        requestTime: new Date().toUTCString(),
        requestTimeEpoch: Date.now(),
        resourceId: 'local',
        resourcePath: route.resourcePath,
        stage: this.props.stage,
      },
    };
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** API Gateway's own errors, in the shape the stack's gateway responses give them. */
function gatewayError(res: http.ServerResponse, status: number, type: string, message: string, requestId: string): void {
  sendJson(res, status, { error: type, message, requestId }, { 'x-amzn-requestid': requestId, 'x-amzn-errortype': type });
}
