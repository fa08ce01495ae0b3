import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { randomUUID } from 'crypto';
import * as http from 'http';
import { AddressInfo } from 'net';
import { SynthesizedRoute } from './local-assembly';
import { LocalFunction } from './local-lambda';
import { closeServer, listen, readBody } from './http-server';
import { LOCAL_ACCOUNT } from './local-aws';
import { ApiGatewayConfig, ApiKeyDefinition, UsagePlan, renderGatewayTemplate } from './api-gateway-config';
import { IamIdentityFields, LocalIdentity, identityFields } from './local-credentials';
import { SigV4Failure, isSigned, verifySigV4 } from './sigv4';
import type { ServiceMetrics } from './service-metrics';

export interface LocalApiProps {
  readonly stage: string;
  /** The REST API's name (the ApiName dimension of its metrics). */
  readonly apiName: string;
  readonly routes: readonly SynthesizedRoute[];
  /** The local function for each route's function logical id. */
  readonly functions: Readonly<Record<string, LocalFunction>>;
  readonly throttle: { readonly rateLimit: number; readonly burstLimit: number };
  /** Gateway responses, usage plans and API keys, from the synthesized template. */
  readonly gateway: ApiGatewayConfig;
  /** SigV4 checks of AWS_IAM routes: the region signed for and the keys the local account knows. */
  readonly iam: {
    readonly region: string;
    readonly lookup: (accessKeyId: string) => LocalIdentity | undefined;
    /** Accept unsigned requests as this identity's (`--allow-unsigned`); otherwise they get 403. */
    readonly unsignedAs?: LocalIdentity;
  };
  /** Where the API Gateway metrics (Count, 4XXError, 5XXError, Latency, IntegrationLatency) go. */
  readonly metrics?: ServiceMetrics;
  /** Extra routes served beside the API (the local dashboard), tried before a 403. */
  readonly extraRoutes?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean;
  readonly port?: number;
  readonly host?: string;
  /** @default Date.now */
  readonly now?: () => number;
}

/** API Gateway's payload limit and the integration timeout of a REST API. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;
const INTEGRATION_TIMEOUT_MS = 29_000;
const LOCAL_API_ID = 'localapi00';
const QUOTA_PERIOD_MS = { DAY: 86_400_000, WEEK: 7 * 86_400_000, MONTH: 30 * 86_400_000 } as const;

interface CompiledRoute extends SynthesizedRoute {
  readonly pattern: RegExp;
  readonly params: string[];
}

/** A token bucket: `burst` tokens, refilled at `rate` per second ("API Gateway throttles requests to your API using the token bucket algorithm, where a token counts for a request", Throttle API requests for better throughput, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html). */
class TokenBucket {
  private tokens: number;
  private last: number;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** One API key of a usage plan, with its own bucket and quota count. */
interface KeyState {
  readonly key: ApiKeyDefinition;
  readonly plan: UsagePlan;
  readonly bucket?: TokenBucket;
  quotaUsed: number;
  quotaPeriodStart: number;
}

interface Failure {
  readonly status: number;
  readonly responseType: string;
  readonly errorType: string;
  readonly message: string;
}

/**
 * The REST API as API Gateway runs it: the routes of the synthesized template, the proxy event
 * the deployed function receives (request id, caller identity, path and query parameters),
 * SigV4 checked on AWS_IAM routes, API keys with their usage plan's throttle and quota, stage
 * throttling, API Gateway's own errors rendered from the stack's gateway responses, and the
 * stage's AWS/ApiGateway metrics.
 */
export class LocalApi {
  private server?: http.Server;
  private readonly routes: CompiledRoute[];
  private inFlight = 0;
  private idle: Array<() => void> = [];
  private readonly stageBucket: TokenBucket;
  private readonly keys = new Map<string, KeyState>();
  private readonly now: () => number;

  constructor(private readonly props: LocalApiProps) {
    this.now = props.now ?? Date.now;
    this.routes = props.routes.map((r) => {
      const params: string[] = [];
      const source = r.resourcePath.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
        params.push(name);
        return '([^/]+)';
      });
      return { ...r, pattern: new RegExp(`^${source}/?$`), params };
    });
    this.stageBucket = new TokenBucket(props.throttle.rateLimit, props.throttle.burstLimit, this.now());
    for (const plan of props.gateway.usagePlans) {
      for (const id of plan.keyIds) {
        const key = props.gateway.apiKeys.find((k) => k.logicalId === id);
        if (!key || !key.enabled) continue;
        this.keys.set(key.value, {
          key,
          plan,
          bucket: plan.throttle ? new TokenBucket(plan.throttle.rateLimit, plan.throttle.burstLimit, this.now()) : undefined,
          quotaUsed: 0,
          quotaPeriodStart: this.now(),
        });
      }
    }
  }

  get url(): string {
    const address = this.server?.address() as AddressInfo;
    return `http://${this.props.host ?? '127.0.0.1'}:${address.port}/${this.props.stage}`;
  }

  /** The usage plans' key values (api-key mode): what clients send as `x-api-key`. */
  get apiKeyValues(): string[] {
    return [...this.keys.keys()];
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
    if (this.props.extraRoutes?.(req, res)) return;
    this.inFlight++;
    const requestId = randomUUID();
    const started = performance.now();
    let integrationMs: number | undefined;
    try {
      integrationMs = await this.route(req, res, requestId);
    } catch {
      if (!res.headersSent)
        this.gatewayError(
          res,
          { status: 500, responseType: 'DEFAULT_5XX', errorType: 'InternalServerErrorException', message: 'Internal server error' },
          requestId,
        );
    } finally {
      this.record(res.statusCode, performance.now() - started, integrationMs);
      if (--this.inFlight === 0) this.idle.splice(0).forEach((resolve) => resolve());
    }
  }

  /**
   * The stage's metrics, per request: Count, 4XXError and 5XXError (0 or 1, so their Average
   * is a rate), Latency and IntegrationLatency in milliseconds (Amazon API Gateway dimensions
   * and metrics, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-metrics-and-dimensions.html).
   */
  private record(status: number, latencyMs: number, integrationMs: number | undefined): void {
    const m = this.props.metrics;
    if (!m) return;
    const dims = { ApiName: this.props.apiName, Stage: this.props.stage };
    m.emit('api', 'Count', 1, 'Count', dims);
    m.emit('api', '4XXError', status >= 400 && status < 500 ? 1 : 0, 'Count', dims);
    m.emit('api', '5XXError', status >= 500 ? 1 : 0, 'Count', dims);
    m.emit('api', 'Latency', latencyMs, 'Milliseconds', dims);
    if (integrationMs !== undefined) m.emit('api', 'IntegrationLatency', integrationMs, 'Milliseconds', dims);
  }

  /** Answers the request; returns the integration's latency when the function was called. */
  private async route(req: http.IncomingMessage, res: http.ServerResponse, requestId: string): Promise<number | undefined> {
    const url = new URL(req.url ?? '/', 'http://local');
    const stagePrefix = `/${this.props.stage}`;
    const path =
      url.pathname.startsWith(stagePrefix + '/') || url.pathname === stagePrefix
        ? url.pathname.slice(stagePrefix.length) || '/'
        : undefined;
    const method = req.method ?? 'GET';
    const match = path === undefined ? undefined : this.match(method, path);
    // API Gateway answers an unknown route or method with 403 Missing Authentication Token.
    if (!match) {
      this.gatewayError(
        res,
        {
          status: 403,
          responseType: 'MISSING_AUTHENTICATION_TOKEN',
          errorType: 'MissingAuthenticationTokenException',
          message: 'Missing Authentication Token',
        },
        requestId,
      );
      return undefined;
    }
    const { route, pathParameters } = match;

    // A declared length over the limit is refused before reading, as API Gateway does; the
    // connection closes after the answer so the rest of the body is not read.
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY_BYTES) {
      res.setHeader('connection', 'close');
      this.gatewayError(
        res,
        { status: 413, responseType: 'REQUEST_TOO_LARGE', errorType: 'RequestEntityTooLargeException', message: 'Request Too Long' },
        requestId,
      );
      return undefined;
    }
    let body: Buffer;
    try {
      body = await readBody(req, MAX_BODY_BYTES);
    } catch {
      // A chunked body that grew past the limit: answer, then drop the connection.
      if (!res.headersSent)
        this.gatewayError(
          res,
          { status: 413, responseType: 'REQUEST_TOO_LARGE', errorType: 'RequestEntityTooLargeException', message: 'Request Too Long' },
          requestId,
        );
      return undefined;
    }

    let identity: IamIdentityFields | undefined;
    if (route.authorizationType === 'AWS_IAM') {
      const checked = this.authenticate(req, url, body);
      if ('status' in checked) {
        this.gatewayError(res, checked, requestId);
        return undefined;
      }
      identity = checked;
    }
    let apiKey: KeyState | undefined;
    if (route.apiKeyRequired) {
      const refused = this.meter(req);
      if ('status' in refused) {
        this.gatewayError(res, refused, requestId);
        return undefined;
      }
      apiKey = refused;
    }
    if (!this.stageBucket.take(this.now())) {
      this.gatewayError(
        res,
        { status: 429, responseType: 'THROTTLED', errorType: 'TooManyRequestsException', message: 'Too Many Requests' },
        requestId,
      );
      return undefined;
    }

    const event = this.toEvent(req, url, path!, route, pathParameters, body, requestId, identity, apiKey);
    const fn = this.props.functions[route.functionLogicalId];
    const invoked = performance.now();
    const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), INTEGRATION_TIMEOUT_MS).unref());
    const outcome = await Promise.race([fn.invoke(event, randomUUID()), timeout]);
    const integrationMs = performance.now() - invoked;
    const failed: Failure = {
      status: 502,
      responseType: 'DEFAULT_5XX',
      errorType: 'InternalServerErrorException',
      message: 'Internal server error',
    };
    if (outcome === 'timeout') {
      this.gatewayError(
        res,
        {
          status: 504,
          responseType: 'INTEGRATION_TIMEOUT',
          errorType: 'InternalServerErrorException',
          message: 'Endpoint request timed out',
        },
        requestId,
      );
      return integrationMs;
    }
    const result = outcome.status === 'success' ? (outcome.result as APIGatewayProxyResult | undefined) : undefined;
    if (!result || typeof result.statusCode !== 'number') {
      this.gatewayError(res, failed, requestId);
      return integrationMs;
    }
    const payload = result.isBase64Encoded ? Buffer.from(result.body ?? '', 'base64') : Buffer.from(result.body ?? '');
    const headers: http.OutgoingHttpHeaders = { 'x-amzn-requestid': requestId, 'content-length': payload.length };
    for (const [k, v] of Object.entries(result.headers ?? {})) headers[k.toLowerCase()] = String(v);
    for (const [k, v] of Object.entries(result.multiValueHeaders ?? {})) headers[k.toLowerCase()] = v.map(String);
    res.writeHead(result.statusCode, headers);
    res.end(payload);
    return integrationMs;
  }

  /** SigV4 for service `execute-api` in the stage's region; the identity of the key that signed. */
  private authenticate(req: http.IncomingMessage, url: URL, body: Buffer): IamIdentityFields | Failure {
    const signed = {
      method: req.method ?? 'GET',
      rawPath: (req.url ?? '/').split('?')[0],
      rawQuery: url.search.slice(1),
      rawHeaders: req.rawHeaders,
      body,
    };
    const { unsignedAs } = this.props.iam;
    if (unsignedAs && !isSigned(signed)) return identityFields(unsignedAs);
    const result = verifySigV4(signed, {
      service: 'execute-api',
      region: this.props.iam.region,
      lookup: this.props.iam.lookup,
      now: Date.now(),
    });
    if (!result.ok) return { status: 403, ...pick(result) };
    return identityFields(this.props.iam.lookup(result.credential.accessKeyId)!);
  }

  /**
   * The usage plan's checks: "If you forget to set the x-api-key header or set it with an
   * incorrect key, you get a 403 Forbidden response" (Create, configure, and test usage plans,
   * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-create-usage-plans-with-rest-api.html);
   * over the quota "Limit Exceeded", over the throttle "429 Too Many Requests"
   * (https://repost.aws/knowledge-center/api-gateway-429-limit).
   */
  private meter(req: http.IncomingMessage): KeyState | Failure {
    const value = req.headers['x-api-key'];
    const state = typeof value === 'string' ? this.keys.get(value) : undefined;
    if (!state) return { status: 403, responseType: 'INVALID_API_KEY', errorType: 'ForbiddenException', message: 'Forbidden' };
    const now = this.now();
    const quota = state.plan.quota;
    if (quota) {
      if (now - state.quotaPeriodStart >= QUOTA_PERIOD_MS[quota.period]) {
        state.quotaUsed = 0;
        state.quotaPeriodStart = now;
      }
      if (state.quotaUsed >= quota.limit)
        return { status: 429, responseType: 'QUOTA_EXCEEDED', errorType: 'LimitExceededException', message: 'Limit Exceeded' };
    }
    if (state.bucket && !state.bucket.take(now))
      return { status: 429, responseType: 'THROTTLED', errorType: 'TooManyRequestsException', message: 'Too Many Requests' };
    if (quota) state.quotaUsed++;
    return state;
  }

  /**
   * API Gateway's own error: the stack's gateway response for its type (else DEFAULT_4XX or
   * DEFAULT_5XX), its template rendered by simple substitution, and the error type header.
   * Without a template, API Gateway's default body `{"message": ...}`.
   */
  private gatewayError(res: http.ServerResponse, failure: Failure, requestId: string): void {
    const responses = this.props.gateway.gatewayResponses;
    const response = responses[failure.responseType] ?? responses[failure.status >= 500 ? 'DEFAULT_5XX' : 'DEFAULT_4XX'];
    const context = { requestId, 'error.message': failure.message, 'error.responseType': failure.responseType, stage: this.props.stage };
    const text = response?.template ? renderGatewayTemplate(response.template, context) : JSON.stringify({ message: failure.message });
    res.writeHead(response?.statusCode ?? failure.status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': failure.errorType,
      ...response?.headers,
    });
    res.end(text);
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

  private toEvent(
    req: http.IncomingMessage,
    url: URL,
    path: string,
    route: CompiledRoute,
    pathParameters: Record<string, string>,
    body: Buffer,
    requestId: string,
    iam: IamIdentityFields | undefined,
    apiKey: KeyState | undefined,
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
          // As API Gateway fills them for a SigV4 caller: the key that signed and its owner.
          accessKey: iam?.accessKey ?? null,
          accountId: iam?.accountId ?? null,
          apiKey: apiKey?.key.value ?? null,
          apiKeyId: apiKey ? apiKey.key.logicalId : null,
          caller: iam?.caller ?? null,
          clientCert: null,
          cognitoAuthenticationProvider: null,
          cognitoAuthenticationType: null,
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          principalOrgId: null,
          sourceIp,
          user: iam?.user ?? null,
          userAgent: req.headers['user-agent'] ?? null,
          userArn: iam?.userArn ?? null,
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

function pick(f: SigV4Failure): Omit<Failure, 'status'> {
  return { responseType: f.responseType, errorType: f.errorType, message: f.message };
}
