/**
 * The handlers' bundles as the stacks ship them (PipelineFunction.bundling, staged by CDK):
 * small, and with nothing on the prediction function's cold-start path that a request does
 * not need.
 *
 * - Budget: every bundle under 350 KB minified, the AWS SDK bundled. What makes it fit: the
 *   SDK's default credential chain is aliased to lambda/shared/env-credentials.ts, and the
 *   S3 client of overflowing payloads is a file of its own (`s3-put.js`) that only the
 *   first overflow loads.
 * - No event streams: @smithy/core/event-streams is aliased to lambda/shared/no-event-streams.ts;
 *   plain calls work through it, a streaming call fails on the call with EventStreamsNotBundled.
 * - The split must keep working: a payload over the inline limit still reaches S3 through
 *   the staged bundle in the local pipeline.
 * `npm run bench` measures what this buys (size, cold init, CPU per request).
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { resolveEventStreamSerdeConfig as smithyResolveEventStreamSerdeConfig } from '@smithy/core/event-streams';
import { App, AssetStaging, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import { credentialsFromEnv, credentialsTreatedAsExpired, defaultProvider } from '../../lambda/shared/env-credentials';
import { EventStreamSerde, eventStreamSerdeProvider, resolveEventStreamSerdeConfig } from '../../lambda/shared/no-event-streams';
import { PipelineFunction } from '../../lib/constructs/pipeline-function';
import type { LocalPipeline } from '../../tools/local/local-pipeline';
import { UNTHROTTLED, getJson, postJson, startPipeline, synthesizeOnce } from '../harness/local-harness';
import { bundleHandler, ROOT } from '../harness/lambda-bundle';

const KB = 1024;
const BUNDLE_BUDGET = 350 * KB;

const PREDICT_ENV = {
  AWS_REGION: 'us-east-1',
  TABLE_NAME: 't',
  ENDPOINT_NAME: 'e',
  MODEL_NAME: 'm',
  MODEL_VERSION: '1',
  MODEL_CONTENT_TYPE: 'application/json',
  MODEL_FEATURE_COUNT: '4',
  MAX_REQUEST_BYTES: '1000',
  INVOKE_TIMEOUT_MS: '1000',
  MAX_ATTEMPTS: '2',
  PAYLOAD_MODE: 'full',
  PAYLOAD_OVERFLOW: 's3',
  MAX_INLINE_BYTES: '1024',
  PAYLOAD_BUCKET: 'b',
  RECORD_TTL_DAYS: '0',
  IDEMPOTENCY_WINDOW_SEC: '3600',
  // Any connection attempt at init would fail loudly.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
};

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'lambda-bundle-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('as the stacks bundle them (PipelineFunction.bundling)', () => {
  /** Folder CDK staged each function's asset into. */
  const staged: Record<string, string> = {};
  beforeAll(() => {
    const app = new App({ outdir: path.join(dir, 'cdk.out') });
    const stack = new Stack(app, 'BundleTest');
    for (const entry of ['predict', 'read', 'record-deployment']) {
      const fn = new PipelineFunction(stack, entry, {
        entry,
        functionName: `bundle-test-${entry}`,
        description: entry,
        serviceName: entry,
        logRetentionDays: 1,
      });
      const staging = fn.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging);
      staged[entry] = staging!.absoluteStagedPath;
    }
    const calls = new NodejsFunction(stack, 'SageMakerCalls', {
      entry: path.join(ROOT, 'test', 'fixtures', 'bundling', 'sagemaker-calls.ts'),
      runtime: lambda.Runtime.NODEJS_22_X,
      bundling: PipelineFunction.bundling,
    });
    staged.sagemakerCalls = calls.node.findAll().find((c): c is AssetStaging => c instanceof AssetStaging)!.absoluteStagedPath;
  }, 120_000);
  const sizeOf = (entry: string, file: string) => statSync(path.join(staged[entry], file)).size;
  const textOf = (entry: string, file: string) => readFileSync(path.join(staged[entry], file), 'utf8');

  it.each([['predict'], ['read'], ['record-deployment']])('%s: index.mjs is under the 350 KB budget, SDK included', (entry) => {
    expect(sizeOf(entry, 'index.mjs')).toBeLessThan(BUNDLE_BUDGET);
  });

  it('predict: the S3 client is in s3-put.js beside index.mjs, not in index.mjs', () => {
    const main = textOf('predict', 'index.mjs');
    const sidecar = textOf('predict', 's3-put.js');
    // The S3 service's Smithy namespace only exists where the S3 client is.
    expect(sidecar).toContain('com.amazonaws.s3');
    expect(main).not.toContain('com.amazonaws.s3');
    expect(main).toContain('"./s3-put"');
    expect(existsSync(path.join(staged.predict, 's3-put.js.map'))).toBe(true);
  });

  it('read and record-deployment get no s3-put.js: they never refer to it', () => {
    expect(existsSync(path.join(staged.read, 's3-put.js'))).toBe(false);
    expect(existsSync(path.join(staged['record-deployment'], 's3-put.js'))).toBe(false);
  });

  it.each([
    ['predict', 'index.mjs'],
    ['predict', 's3-put.js'],
    ['read', 'index.mjs'],
    ['record-deployment', 'index.mjs'],
  ])('%s %s: credentials from the environment only, no STS, SSO or instance-metadata chain', (entry, file) => {
    const text = textOf(entry, file);
    // Debug messages and operation names of the default chain's links.
    for (const marker of ['defaultProvider::fromSSO', 'AssumeRoleWithWebIdentity', 'CreateToken', 'fromContainerMetadata']) {
      expect(text).not.toContain(marker);
    }
    expect(text).toContain('this bundle reads credentials from the environment only');
  });

  it.each([
    ['predict', 'index.mjs'],
    ['predict', 's3-put.js'],
    ['read', 'index.mjs'],
    ['record-deployment', 'index.mjs'],
  ])('%s %s: no event-stream codec, the stand-in that refuses streaming calls instead', (entry, file) => {
    const text = textOf(entry, file);
    // Error messages of the codec's frame and header readers.
    for (const marker of ['Truncated event message received', 'Unrecognized header type tag']) expect(text).not.toContain(marker);
    expect(text).toContain('event streams are not bundled');
  });

  it('a plain SageMaker call works through the stand-in; a streaming one fails on the call with EventStreamsNotBundled', async () => {
    // Any request gets a JSON 200: the plain call reads it, the streaming call would read it as its event stream.
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', connection: 'close' }).end('{"ok":true}'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const call = async (streaming: boolean) => {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(`file://${path.join(staged.sagemakerCalls, 'index.mjs')}`)});
           process.stdout.write(JSON.stringify(await m.handler({ streaming: ${streaming} })));`,
        ],
        {
          env: {
            PATH: process.env.PATH,
            NODE_NO_WARNINGS: '1',
            AWS_REGION: 'us-east-1',
            AWS_ACCESS_KEY_ID: 'AKIA',
            AWS_SECRET_ACCESS_KEY: 's',
            AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          },
          encoding: 'utf8',
        },
      );
      return JSON.parse(stdout);
    };
    try {
      expect(await call(false)).toEqual({ body: '{"ok":true}' });
      expect(await call(true)).toEqual({
        error: { name: 'EventStreamsNotBundled', message: expect.stringContaining('lambda/shared/no-event-streams.ts') },
      });
    } finally {
      server.close();
    }
  });

  it('predict: importing index.mjs (the cold start) loads neither s3-put.js nor anything else beside it, and sends nothing', () => {
    const report = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const m = await import(${JSON.stringify(`file://${path.join(staged.predict, 'index.mjs')}`)});
         const loaded = Object.keys(createRequire(import.meta.url).cache);
         process.stdout.write(JSON.stringify({ handler: typeof m.handler, loaded }));`,
      ],
      { env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', ...PREDICT_ENV }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(JSON.parse(report)).toEqual({ handler: 'function', loaded: [] });
  });
});

describe('env-credentials (the alias of @aws-sdk/credential-provider-node)', () => {
  it('reads the keys, session token and expiration Lambda sets', async () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIA',
      AWS_SECRET_ACCESS_KEY: 's',
      AWS_SESSION_TOKEN: 'tok',
      AWS_CREDENTIAL_EXPIRATION: '2030-01-01T00:00:00Z',
    };
    expect(credentialsFromEnv(env)).toEqual({
      accessKeyId: 'AKIA',
      secretAccessKey: 's',
      sessionToken: 'tok',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKIA', AWS_SECRET_ACCESS_KEY: 's' })).toEqual({
      accessKeyId: 'AKIA',
      secretAccessKey: 's',
    });
    expect(credentialsTreatedAsExpired(credentialsFromEnv(env))).toBe(false);
  });

  it('reads the environment once per client, again only when asked to refresh', async () => {
    const saved = { ...process.env };
    try {
      process.env.AWS_ACCESS_KEY_ID = 'AKIA1';
      process.env.AWS_SECRET_ACCESS_KEY = 's';
      const provider = defaultProvider({});
      const first = await provider();
      process.env.AWS_ACCESS_KEY_ID = 'AKIA2';
      expect(await provider()).toBe(first);
      expect((await provider({ forceRefresh: true })).accessKeyId).toBe('AKIA2');
    } finally {
      process.env = saved;
    }
  });

  it('fails with CredentialsProviderError, naming the variables, when they are missing', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      await expect(defaultProvider({})()).rejects.toMatchObject({
        name: 'CredentialsProviderError',
        message: expect.stringContaining('AWS_ACCESS_KEY_ID'),
      });
    } finally {
      process.env = saved;
    }
  });
});

describe('no-event-streams (the alias of @smithy/core/event-streams)', () => {
  it("gives a client's configuration its marshaller as @smithy/core's resolver does", () => {
    const provider = (input: { region: string }) => ({ madeFor: input.region });
    const ours = resolveEventStreamSerdeConfig({ region: 'r', eventStreamSerdeProvider: provider });
    const smithy = smithyResolveEventStreamSerdeConfig({ region: 'r', eventStreamSerdeProvider: provider } as never);
    expect(ours).toEqual(smithy);
    expect(ours.eventStreamMarshaller).toEqual({ madeFor: 'r' });
  });

  it('refuses to frame, read or serve an event stream, with EventStreamsNotBundled naming the alias', () => {
    const refusal = { name: 'EventStreamsNotBundled', message: expect.stringContaining('drop the alias in PipelineFunction.bundling') };
    const marshaller = eventStreamSerdeProvider({});
    expect(() => marshaller.serialize()).toThrow(expect.objectContaining(refusal));
    expect(() => marshaller.deserialize()).toThrow(expect.objectContaining(refusal));
    expect(() => new EventStreamSerde({})).toThrow(expect.objectContaining(refusal));
  });
});

describe('the split S3 path through the staged bundle (local pipeline)', () => {
  const assembly = synthesizeOnce({
    stage: 'dev',
    ...UNTHROTTLED,
    'records.payloadMode': 'full',
    'records.overflow': 's3',
    'records.maxInlineBytes': '1024',
  });
  let pipeline: LocalPipeline;
  beforeAll(async () => {
    pipeline = await startPipeline(assembly);
  });
  afterAll(() => pipeline?.stop());

  it('a payload over the inline limit is written to S3 by s3-put.js and recorded by its URI', async () => {
    const instances = Array.from({ length: 80 }, (_, i) => [5.1 + i / 100, 3.5, 1.4, 0.2]);
    const res = await postJson(`${pipeline.url}/predict`, { instances });
    expect(res.status).toBe(200);
    const record = await getJson(`${pipeline.url}/inferences/${res.body.requestId}`);
    expect(record.status).toBe(200);
    const item = record.body.record ?? record.body;
    expect(item.input).toMatchObject({ mode: 's3' });
    const [, bucket, key] = /^s3:\/\/([^/]+)\/(.+)$/.exec(item.input.s3Uri)!;
    expect(JSON.parse(pipeline.s3.getObject(bucket, key)!.toString('utf8'))).toEqual({ instances });
  });
});

describe('with the runtime AWS SDK', () => {
  it('the prediction cold start loads the SageMaker and DynamoDB clients, not S3, and sends nothing', () => {
    const outfile = path.join(dir, 'predict.cjs');
    bundleHandler('predict', { format: 'cjs', sdkExternal: true, outfile });
    const report = execFileSync(
      process.execPath,
      [
        '-e',
        `const m = require(${JSON.stringify(outfile)});
         const clients = Object.keys(require.cache).map((k) => /node_modules\\/@aws-sdk\\/(client-[^/]+)/.exec(k)?.[1]).filter(Boolean);
         process.stdout.write(JSON.stringify({ handler: typeof m.handler, clients: [...new Set(clients)].sort() }));`,
      ],
      {
        env: { PATH: process.env.PATH, NODE_PATH: path.join(ROOT, 'node_modules'), ...PREDICT_ENV },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    expect(JSON.parse(report)).toEqual({ handler: 'function', clients: ['client-dynamodb', 'client-sagemaker-runtime'] });
  });

  it.each([['read'], ['record-deployment']])('%s does not bundle the S3 or SageMaker clients', (entry) => {
    const { bytesInOutput } = bundleHandler(entry, { format: 'esm', sdkExternal: false });
    const packages = Object.keys(bytesInOutput)
      .filter((p) => /@aws-sdk\/client-/.test(p))
      .map((p) => /@aws-sdk\/(client-[^/]+)/.exec(p)![1]);
    expect([...new Set(packages)]).toEqual(['client-dynamodb']);
  });
});
