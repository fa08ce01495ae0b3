import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { StageConfig, resourcePrefix } from '../../lib/config/stage-config';
import { collectLocalMetrics, createLocalDashboardHandler } from './dashboard/local-dashboard';
import { createAnalysisPageHandler } from './dashboard/analysis-page';
import { bundledTrainingStats } from '../analyze/command';
import { REPO_PATHS } from '../../contract/repo-paths';
import { DEPLOYMENT_PROPERTIES, PREDICT_ENV, READ_ENV } from '../../contract/handlers';
import { extractModelArtifact } from '../../model/src/artifact';
import { startModelServer } from '../../model/src/server';
import { LocalAssembly, SynthesizedFunction, synthesizeLocalAssembly } from './local-assembly';
import { LocalApi } from './local-api';
import { LocalDynamoDb, startLocalDynamoDb } from './local-dynamodb';
import { LocalFunction } from './local-lambda';
import { LocalS3, startLocalS3 } from './local-s3';
import { LocalSageMakerRuntime, startLocalSageMakerRuntime } from './local-sagemaker-runtime';
import { closeServer, listen } from './http-server';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './local-aws';
import { LocalError } from './local-error';
import { readApiGatewayConfig } from './api-gateway-config';
import { LocalIdentity, findUserCredentials, keyring, localCredentials } from './local-credentials';
import { createFaultsHandler } from './local-faults';
import { ServiceDatum, serviceMetrics } from './service-metrics';
import type { Template } from './local-assembly';
import { REPO_ROOT, resolveContextConfig } from '../cli/cdk-context';

export interface LocalPipelineOptions {
  /** CDK context: cdk.json's context plus `-c`-style overrides (`stage`, `model.version`, ...). */
  readonly context?: Record<string, unknown>;
  /** Port of the local API. @default 0 - a free port */
  readonly port?: number;
  readonly host?: string;
  /** Where dynalite, S3 objects, logs and the synthesized assembly live. @default .local/STAGE */
  readonly dataDir?: string;
  /** Keep the table and objects in memory: nothing survives the run. */
  readonly inMemory?: boolean;
  /** Serve this SageMaker-compatible model server (`/ping`, `/invocations`) instead of the built-in one. */
  readonly modelUrl?: string;
  /** @default model/artifacts/model.tar.gz */
  readonly modelArtifact?: string;
  /** Each log line of the functions (JSON) and the model server, with its source. */
  readonly onLogLine?: (source: string, line: string) => void;
  /** Time the handler gives one endpoint call, overriding the stage's (fault tests). */
  readonly containerTimeoutMs?: number;
  /** An assembly synthesized before for the same context, to start again without synthesizing. */
  readonly assembly?: LocalAssembly;
  /**
   * Accept unsigned requests on AWS_IAM routes, as the caller's (`--allow-unsigned`). Off by
   * default: like API Gateway, the local API answers them 403 Missing Authentication Token.
   */
  readonly allowUnsigned?: boolean;
  /**
   * The caller's access key. @default the environment's (AWS_ACCESS_KEY_ID...) or the profile's
   * (AWS_PROFILE in ~/.aws/credentials), else local ones created in .local/credentials.json
   */
  readonly credentials?: LocalIdentity;
  /** More keys the local account knows (each signs as its own IAM user). */
  readonly extraCredentials?: readonly LocalIdentity[];
  /** The clock the service metrics are stamped with and the alarms evaluated at (tests move it). @default Date.now */
  readonly metricsClock?: () => number;
}

export interface LocalPipeline {
  /** Base URL of the API, stage included: `http://127.0.0.1:PORT/dev`. */
  readonly url: string;
  readonly config: StageConfig;
  readonly assembly: LocalAssembly;
  readonly tableName: string;
  readonly endpointName: string;
  readonly dynamoDb: LocalDynamoDb;
  readonly s3: LocalS3;
  readonly modelUrl: string;
  readonly sageMakerRuntimeUrl: string;
  readonly dataDir?: string;
  readonly logFile?: string;
  /** In api-key mode, the first usage-plan key's value (all of them in `apiKeys`). */
  readonly apiKey?: string;
  readonly apiKeys: readonly string[];
  /** The region requests are signed for (`execute-api`). */
  readonly region: string;
  /** The access key the start banner's curl line signs with, and where it came from. */
  readonly credentials: LocalIdentity;
  /** Faults switched on live: the model (via SageMaker runtime) and the table (via the DynamoDB proxy). Also POST /_local/faults. */
  readonly faults: {
    readonly model: import('./local-sagemaker-runtime').ModelFaults;
    readonly table: import('./local-dynamodb').TableFaults;
  };
  /** What a second LocalApi in front of the same parts needs to check requests the same way (the bench's baseline). */
  readonly apiOptions: Pick<import('./local-api').LocalApiProps, 'apiName' | 'gateway' | 'iam'>;
  /** The local dashboard: the CloudWatch dashboard's layout over this run's own metrics. */
  readonly dashboardUrl: string;
  readonly functions: { readonly predict: LocalFunction; readonly read: LocalFunction };
  /** Stops accepting requests, lets in-flight ones finish and record, then stops every part. */
  stop(): Promise<void>;
}

const DEFAULT_MODEL_ARTIFACT = path.join(REPO_ROOT, REPO_PATHS.modelArtifact);

/**
 * The whole pipeline on one machine, built from what `cdk deploy` ships: the stacks are
 * synthesized, and their esbuild bundles run with the real AWS SDK clients against dynalite,
 * a local S3, and SageMaker's invoke route in front of the model container's server.
 */
export async function startLocalPipeline(options: LocalPipelineOptions = {}): Promise<LocalPipeline> {
  const config = options.assembly?.config ?? resolveContextConfig(options.context);
  const dataDir = options.inMemory ? undefined : path.resolve(options.dataDir ?? path.join(REPO_ROOT, '.local', config.stage));
  const workDir = dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'inference-local-'));
  const logFile = dataDir ? path.join(dataDir, 'logs', 'pipeline.jsonl') : undefined;
  if (logFile) fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const logStream = logFile ? fs.createWriteStream(logFile, { flags: 'a' }) : undefined;
  // The handler's EMF output and log lines feed the local dashboard, as they feed CloudWatch.
  const clock = options.metricsClock ?? Date.now;
  const metrics = collectLocalMetrics({ config, now: clock });
  const emit = (source: string, line: string) => {
    logStream?.write(`${JSON.stringify({ source, line })}\n`);
    metrics.add(line, source);
    options.onLogLine?.(source, line);
  };
  // The services' own metrics: to the dashboard, and to the run's log as the datum CloudWatch would store.
  const service = serviceMetrics(
    [
      (d: ServiceDatum) => metrics.addMetric(d.source, d.metricName, d.value, d.dimensions, d.t),
      (d: ServiceDatum) => logStream?.write(`${JSON.stringify({ source: 'metrics', metric: d })}\n`),
    ],
    clock,
  );

  const stops: Array<() => Promise<unknown>> = [];
  const stopAll = async () => {
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => undefined);
    await new Promise((resolve) => (logStream ? logStream.end(resolve) : resolve(undefined)));
    if (!dataDir) fs.rmSync(workDir, { recursive: true, force: true });
  };

  try {
    const assembly =
      options.assembly ??
      synthesizeLocalAssembly(config, path.join(workDir, 'cdk.out'), {
        onWait: (pid) => emit('pipeline', `another start (pid ${pid ?? 'unknown'}) is synthesizing these stacks; using its result`),
      });
    const prefix = resourcePrefix(config);

    const dynamoDb = await startLocalDynamoDb({
      tableName: assembly.tableName,
      dataDir: dataDir && path.join(dataDir, 'dynamodb'),
      timeToLive: timeToLiveOf(assembly.templates.data),
      metrics: service,
    });
    stops.push(() => dynamoDb.close());
    const s3 = await startLocalS3({ dataDir });
    stops.push(() => s3.close());

    const modelUrl =
      options.modelUrl ?? (await startBuiltInModel(options.modelArtifact ?? DEFAULT_MODEL_ARTIFACT, workDir, config, emit, stops));
    await checkModelServer(modelUrl);
    // The functions call SageMaker with their execution role's (local) key.
    const functionRole: LocalIdentity = { ...LOCAL_CREDENTIALS, source: 'given', userName: 'function-execution-role' };
    const runtime: LocalSageMakerRuntime = await startLocalSageMakerRuntime({
      endpointName: assembly.endpointName,
      variantName: assembly.variantName,
      modelUrl,
      auth: { region: LOCAL_REGION, lookup: keyring([functionRole]) },
      metrics: service,
    });
    stops.push(() => runtime.close());

    // What the stacks wire by reference (table, bucket) is the local part's name here.
    const resolved: Record<string, string> = {
      // PREDICT_ENV.tableName and READ_ENV.tableName are the same variable.
      [READ_ENV.tableName]: assembly.tableName,
      [PREDICT_ENV.payloadBucket]: `${prefix}-payloads`,
      ...(options.containerTimeoutMs ? { [PREDICT_ENV.invokeTimeoutMs]: String(options.containerTimeoutMs) } : {}),
    };
    const localEndpoints = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamoDb.url,
      AWS_ENDPOINT_URL_S3: s3.url,
      AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: runtime.url,
      // Lambda sets this; Powertools emits its ColdStart metric only when it is present.
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
    };
    const makeFunction = (fn: SynthesizedFunction, source: string) =>
      new LocalFunction({
        functionName: fn.functionName,
        bundleDir: fn.bundleDir,
        handler: fn.handler,
        timeoutSec: fn.timeoutSec,
        memorySizeMiB: fn.memorySizeMiB,
        environment: { ...localEnvironment(fn, resolved), ...localEndpoints },
        onLogLine: (line) => emit(source, line),
        metrics:
          source === 'predict'
            ? { sink: service, source: 'predictFunction' }
            : source === 'read'
              ? { sink: service, source: 'readFunction' }
              : undefined,
      });
    const predict = makeFunction(assembly.functions.predict, 'predict');
    const read = makeFunction(assembly.functions.read, 'read');
    const recorder = makeFunction(assembly.functions.recorder, 'recorder');
    stops.push(() => Promise.all([predict.close(), read.close(), recorder.close()]));

    await recordDeployment(recorder, assembly, modelUrl, options.modelUrl ? undefined : (options.modelArtifact ?? DEFAULT_MODEL_ARTIFACT));

    const credentials = options.credentials ?? findUserCredentials() ?? localCredentials(path.join(workDir, 'credentials.json'));
    const identities = [credentials, ...(options.extraCredentials ?? [])];
    const region = config.region ?? LOCAL_REGION;
    const gateway = readApiGatewayConfig(
      assembly.templates.api,
      dataDir ? keptKeyValues(path.join(dataDir, 'api-keys.json'), assembly.templates.api) : {},
    );
    const faults = { model: runtime.faults, table: dynamoDb.faults };
    const dashboard = createLocalDashboardHandler(metrics);
    const faultsRoute = createFaultsHandler(faults);
    const analysis = createAnalysisPageHandler({
      client: dynamoDb.client,
      tableName: assembly.tableName,
      fallbackStats: (v) => (v === config.model.version ? bundledTrainingStats(config) : undefined),
    });
    const apiOptions = {
      apiName: `${prefix}-api`,
      gateway,
      iam: { region, lookup: keyring(identities), unsignedAs: options.allowUnsigned ? credentials : undefined },
    };
    const api = new LocalApi({
      stage: config.stage,
      ...apiOptions,
      routes: assembly.routes,
      functions: { [assembly.functions.predict.logicalId]: predict, [assembly.functions.read.logicalId]: read },
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      metrics: service,
      extraRoutes: (req, res) => analysis(req, res) || dashboard(req, res) || faultsRoute(req, res),
      port: options.port,
      host: options.host,
    });
    await api.start();
    stops.push(() => api.close());
    const apiKeys = api.apiKeyValues;

    return {
      url: api.url,
      config,
      assembly,
      tableName: assembly.tableName,
      endpointName: assembly.endpointName,
      dynamoDb,
      s3,
      modelUrl,
      sageMakerRuntimeUrl: runtime.url,
      dataDir,
      logFile,
      apiKey: apiKeys[0],
      apiKeys,
      region,
      credentials,
      faults,
      apiOptions,
      dashboardUrl: `${new URL(api.url).origin}/dashboard`,
      functions: { predict, read },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The table's TimeToLiveSpecification, as the data stack deploys it. */
function timeToLiveOf(template: Template): { attributeName: string; enabled: boolean } {
  const table = Object.values(template.Resources).find((r) => r.Type === 'AWS::DynamoDB::Table' || r.Type === 'AWS::DynamoDB::GlobalTable');
  const spec = table?.Properties?.TimeToLiveSpecification as { AttributeName?: string; Enabled?: boolean } | undefined;
  return spec?.AttributeName
    ? { attributeName: spec.AttributeName, enabled: spec.Enabled !== false }
    : { attributeName: '', enabled: false };
}

/** API key values generated once per data folder, so a key printed at start keeps working next time. */
function keptKeyValues(file: string, template: Template): Record<string, string> {
  let kept: Record<string, string> = {};
  try {
    kept = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // None yet.
  }
  const ids = Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::ApiGateway::ApiKey')
    .map(([id]) => id);
  const missing = ids.filter((id) => typeof kept[id] !== 'string');
  if (missing.length > 0) {
    const fresh = readApiGatewayConfig(template).apiKeys;
    for (const id of missing) kept[id] = fresh.find((k) => k.logicalId === id)!.value;
    fs.writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`, { mode: 0o600 });
  }
  return kept;
}

/** The function's synthesized environment with references resolved to the local parts. */
function localEnvironment(fn: SynthesizedFunction, resolved: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  const missing: string[] = [];
  for (const [key, value] of Object.entries(fn.environment)) {
    const local = resolved[key] ?? value;
    if (local === undefined) missing.push(key);
    else env[key] = local;
  }
  for (const key of Object.keys(resolved)) if (key in fn.environment) env[key] = resolved[key];
  if (missing.length)
    throw new Error(`${fn.functionName}: no local value for the referenced environment variable(s) ${missing.join(', ')}`);
  return env;
}

/** Serves the model artifact the stack deploys with the model container's own server code. */
async function startBuiltInModel(
  artifact: string,
  workDir: string,
  config: StageConfig,
  emit: (source: string, line: string) => void,
  stops: Array<() => Promise<unknown>>,
): Promise<string> {
  if (!fs.existsSync(artifact)) {
    throw new LocalError(
      `model artifact ${artifact} not found: run \`npm run train\` to create it, or pass --model-url to use another model server`,
    );
  }
  const modelDir = path.join(workDir, 'model');
  fs.rmSync(modelDir, { recursive: true, force: true });
  try {
    await extractModelArtifact(artifact, modelDir);
  } catch (error) {
    throw new LocalError(`model artifact ${artifact} cannot be read (${(error as Error).message}): run \`npm run train\` to rebuild it`);
  }
  const server = await startModelServer({
    modelDir,
    port: 0,
    host: '127.0.0.1',
    modelVersion: config.model.version,
    logSink: { stdout: (line) => emit('model', line), stderr: (line) => emit('model', line) },
  });
  stops.push(() => server.close());
  return server.url;
}

async function checkModelServer(url: string): Promise<void> {
  try {
    const ping = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(5_000) });
    if (!ping.ok) throw new Error(`/ping answered ${ping.status}`);
  } catch (error) {
    throw new LocalError(`the model server at ${url} is not healthy (${(error as Error).message}); start it or check --model-url`);
  }
}

/**
 * Writes the model's deployment record by invoking the deployed recorder function with the
 * event CloudFormation sends on deploy, and reading its answer from a local response URL.
 */
async function recordDeployment(recorder: LocalFunction, assembly: LocalAssembly, modelUrl: string, artifact?: string): Promise<void> {
  let answer: { Status?: string; Reason?: string } = {};
  const responder = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answer = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
      res.writeHead(200).end();
    });
  });
  await listen(responder, 0, 'deployment record responder');
  try {
    const properties = {
      ...assembly.deploymentRecordProperties,
      // What is an asset or a reference in the stack is a local thing here.
      [DEPLOYMENT_PROPERTIES.imageUri]: artifact ? 'local:model/ (built-in model server)' : `local:${modelUrl}`,
      [DEPLOYMENT_PROPERTIES.modelDataUrl]: artifact ? `file://${path.resolve(artifact)}` : 'external',
      [DEPLOYMENT_PROPERTIES.endpointConfigName]: `${assembly.endpointName}-local`,
    };
    const result = await recorder.invoke({
      RequestType: 'Create',
      ServiceToken: `local:${recorder.functionName}`,
      ResponseURL: `http://127.0.0.1:${(responder.address() as AddressInfo).port}/cfn-response`,
      StackId: `arn:aws:cloudformation:us-east-1:000000000000:stack/${resourcePrefix(assembly.config)}-endpoint/local`,
      RequestId: `local-${Date.now()}`,
      LogicalResourceId: 'DeploymentRecord',
      ResourceType: 'Custom::ModelDeployment',
      ResourceProperties: properties,
    });
    if (result.status !== 'success' || answer.Status !== 'SUCCESS') {
      throw new LocalError(`the deployment record was not written: ${answer.Reason ?? result.errorMessage ?? result.status}`);
    }
  } finally {
    await closeServer(responder);
  }
}
