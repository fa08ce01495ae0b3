/**
 * The log lines the prediction handler really prints, captured by running its bundle (built
 * with the stacks' own esbuild options) in a child process against real local parts:
 * dynalite for the table and an HTTP server speaking SageMaker runtime's InvokeEndpoint
 * protocol. One scenario per outcome: a success, each error kind the handler can produce,
 * and a record the table refuses (the fallback line).
 *
 * The metric-filter tests evaluate their patterns against these lines, so a change to the
 * handler's log shape breaks the filters' tests, not the production alarms.
 */
import { ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { build } from 'esbuild';
import { PipelineFunction } from '../../lib/constructs/pipeline-function';
import { METRICS_NAMESPACE, PREDICT_ENV } from '../../contract/handlers';
import { LocalDynamo, startDynalite } from './lambda-dynamo';

const REPO = path.join(__dirname, '..', '..');
const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'AKIDMONITORINGTEST', secretAccessKey: 'monitoring-test-secret' };
const TABLE = 'inference-test-inferences';
export const TEST_FUNCTION_NAME = 'inference-test-predict';
export const TEST_SERVICE_NAME = 'inference-predict';

export const VALID_BODY = JSON.stringify({
  instances: [
    [5.1, 3.5, 1.4, 0.2],
    [6.7, 3.0, 5.2, 2.3],
  ],
});

interface Scenario {
  /** Environment overrides of the function (PREDICT_ENV names). */
  readonly env?: Record<string, string>;
  readonly body?: string;
  readonly contentType?: string;
}

/**
 * Every outcome the handler can produce today. IdempotencyConflict is missing on purpose:
 * the handler's idempotency seam is not implemented yet (see lambda/predict/index.ts).
 */
export const SCENARIOS = {
  success: {},
  ValidationError: { body: '{"instances": "not rows"}' },
  PayloadTooLarge: { env: { [PREDICT_ENV.maxRequestBytes]: '16' } },
  UnsupportedMediaType: { contentType: 'text/plain' },
  ModelRejectedInput: { env: { [PREDICT_ENV.endpointName]: 'model-rejects' } },
  ModelError: { env: { [PREDICT_ENV.endpointName]: 'model-fails' } },
  EndpointThrottled: { env: { [PREDICT_ENV.endpointName]: 'throttled' } },
  ModelNotReady: { env: { [PREDICT_ENV.endpointName]: 'not-ready' } },
  EndpointNotFound: { env: { [PREDICT_ENV.endpointName]: 'missing' } },
  EndpointTimeout: { env: { [PREDICT_ENV.endpointName]: 'slow', [PREDICT_ENV.invokeTimeoutMs]: '300' } },
  InternalError: { env: { [PREDICT_ENV.endpointName]: 'internal' } },
  fallback: { env: { [PREDICT_ENV.tableName]: 'no-such-table' } },
} satisfies Record<string, Scenario>;
export type ScenarioName = keyof typeof SCENARIOS;

export interface CapturedRun {
  readonly statusCode: number;
  readonly lines: readonly string[];
}

export interface HandlerLines {
  readonly runs: Readonly<Record<ScenarioName, CapturedRun>>;
  /** Every line of every scenario. */
  readonly all: readonly string[];
}

/** Bundles and runs the handler through every scenario; ~3 s on a shared 2-core machine. */
export async function captureHandlerLines(): Promise<HandlerLines> {
  const dir = mkdtempSync(path.join(tmpdir(), 'monitoring-handler-'));
  const parts = await Promise.all([bundlePredictHandler(dir), startTable(), startFakeSageMaker()]);
  const [bundleFile, dynamo, sagemaker] = parts;
  const child = await startRunner(bundleFile, dynamo.endpoint, sagemaker.url);
  try {
    const runs = {} as Record<ScenarioName, CapturedRun>;
    for (const [name, scenario] of Object.entries(SCENARIOS) as Array<[ScenarioName, Scenario]>) {
      runs[name] = await invoke(child, name, scenario);
    }
    return { runs, all: Object.values(runs).flatMap((r) => r.lines) };
  } finally {
    child.kill();
    await Promise.all([dynamo.stop(), sagemaker.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The handler's code, bundled as the stacks bundle it (PipelineFunction.bundling), plus its env parser. */
async function bundlePredictHandler(dir: string): Promise<string> {
  const b = PipelineFunction.bundling;
  const outfile = path.join(dir, 'predict.mjs');
  await build({
    stdin: {
      contents:
        "export { createPredictHandler } from './lambda/predict/index';\nexport { loadPredictConfig } from './lambda/shared/env';\n",
      resolveDir: REPO,
      loader: 'ts',
      sourcefile: 'monitoring-entry.ts',
    },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: b.target,
    mainFields: b.mainFields,
    minify: b.minify,
    banner: { js: b.banner },
    outfile,
    logLevel: 'error',
  });
  return outfile;
}

function startRunner(bundleFile: string, dynamoUrl: string, sagemakerUrl: string): Promise<ChildProcess> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: dynamoUrl,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemakerUrl,
    AWS_LAMBDA_FUNCTION_NAME: TEST_FUNCTION_NAME,
    // Lambda sets it; without it Powertools never reports a cold start.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    POWERTOOLS_SERVICE_NAME: TEST_SERVICE_NAME,
    POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
    POWERTOOLS_LOG_LEVEL: 'INFO',
    [PREDICT_ENV.tableName]: TABLE,
    [PREDICT_ENV.endpointName]: 'inference-test-iris-classifier',
    [PREDICT_ENV.modelName]: 'iris-classifier',
    [PREDICT_ENV.modelVersion]: '1.0.0',
    [PREDICT_ENV.contentType]: 'application/json',
    [PREDICT_ENV.featureCount]: '4',
    [PREDICT_ENV.maxRequestBytes]: '262144',
    [PREDICT_ENV.invokeTimeoutMs]: '2000',
    // One attempt: the error scenarios answer at once instead of after the SDK's backoff.
    [PREDICT_ENV.maxAttempts]: '1',
    [PREDICT_ENV.payloadMode]: 'full',
    [PREDICT_ENV.overflow]: 'truncate',
    [PREDICT_ENV.maxInlineBytes]: '65536',
    [PREDICT_ENV.ttlDays]: '7',
    [PREDICT_ENV.idempotencyWindowSec]: '3600',
  };
  const child = fork(path.join(__dirname, 'monitoring-handler-runner.mjs'), [bundleFile], {
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`handler runner exited with ${code} before it was ready`)));
    child.once('message', () => resolve(child));
  });
}

function invoke(child: ChildProcess, name: string, scenario: Scenario): Promise<CapturedRun> {
  const event = {
    resource: '/predict',
    path: '/predict',
    httpMethod: 'POST',
    headers: { 'content-type': scenario.contentType ?? 'application/json' },
    body: scenario.body ?? VALID_BODY,
    isBase64Encoded: false,
    requestContext: {
      requestId: `req-${name}`,
      identity: { userArn: 'arn:aws:iam::123456789012:user/tester', accountId: '123456789012', sourceIp: '203.0.113.7' },
    },
  };
  return new Promise((resolve, reject) => {
    child.once('message', (message: { id: string; response?: { statusCode: number }; error?: string; lines: string[] }) => {
      if (message.error) reject(new Error(`scenario ${name}: the handler threw ${message.error}\n${message.lines.join('\n')}`));
      else resolve({ statusCode: message.response!.statusCode, lines: message.lines });
    });
    child.send({ id: name, env: scenario.env ?? {}, event });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** The handlers' shared dynalite (test/harness/lambda-dynamo.ts) with the project's table. */
async function startTable(): Promise<LocalDynamo> {
  const dynamo = await startDynalite();
  await dynamo.createTable(TABLE);
  return dynamo;
}

/**
 * SageMaker runtime's InvokeEndpoint (`POST /endpoints/{name}/invocations`); the endpoint
 * name picks the answer, so the SDK's real error parsing (x-amzn-errortype) runs.
 */
async function startFakeSageMaker(): Promise<{ url: string; stop(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const name = decodeURIComponent(/^\/endpoints\/([^/]+)\/invocations$/.exec(req.url ?? '')?.[1] ?? '');
      const fail = (status: number, type: string, body: Record<string, unknown>) => {
        res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type });
        res.end(JSON.stringify(body));
      };
      switch (name) {
        case 'model-rejects':
          return fail(424, 'ModelError', { Message: 'Received client error (400) from primary', OriginalStatusCode: 400 });
        case 'model-fails':
          return fail(424, 'ModelError', { Message: 'Received server error (500) from primary', OriginalStatusCode: 500 });
        case 'throttled':
          return fail(400, 'ThrottlingException', { message: 'Rate exceeded' });
        case 'not-ready':
          return fail(429, 'ModelNotReadyException', { Message: 'Model is not ready' });
        case 'missing':
          return fail(400, 'ValidationError', { Message: `Endpoint ${name} of account 123456789012 not found.` });
        case 'internal':
          return fail(500, 'InternalFailure', { Message: 'An internal error occurred' });
        case 'slow':
          return; // never answers: the handler's per-attempt timeout fires
        default: {
          const rows = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { instances: number[][] }).instances;
          res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-invoked-production-variant': 'AllTraffic' });
          res.end(JSON.stringify({ predictions: rows.map((r) => (r[2] > 2.5 ? 2 : 0)) }));
        }
      }
    });
  });
  const url = await listen(server);
  return {
    url,
    stop: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
