#!/usr/bin/env node
/**
 * `npm run bench`: the prediction function's bundle size, cold init, CPU per request at steady
 * state, the local pipeline's added latency and throughput, `npm start`'s ready time (cold and
 * warm), `cdk synth` time (and with --with-tests the test suite's), each over repeated runs,
 * side by side with two comparison handlers, so every figure is also a ratio: the baseline
 * (tools/bench/baseline/index.ts, NodejsFunction's defaults) and the minimal ESM handler (the
 * same two SDK calls alone, ESM, minified, tree-shaken; tools/bench/bundles.ts). Prints a table
 * with the targets (PASS/MISS) and writes bench-results/latest.json, which `npm run cost` reads.
 * `--cold-init-only` stops after the bundles and the cold init (bench-results/cold-init.json).
 *
 * Everything runs on this machine, on loopback, with a bounded number of requests: the
 * stage's stacks are synthesized (the bundles `cdk deploy` ships), the local pipeline runs
 * them against dynalite, a local S3 and the model server. On a shared machine the figures
 * are noisy: read the spreads, and compare ratios from the same run.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resourcePrefix } from '../../lib/config/stage-config';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/local-aws';
import { REPO_ROOT, createProgress, readCdkContext, runCommand } from '../cli';
import { BENCH_HELP, BENCH_OPTIONS, BenchOptions, benchOptionsFrom } from './args';
import { measureColdInit, measureLatency, measureStart, measureSynth, measureTests, runCpuProbe, summarizeCpuRuns } from './measures';
import { BenchResults, ColdInitResults, coldInitTarget, evaluateTargets, formatColdInitReport, formatReport } from './report';
import { summarize } from './stats';

/** One iris row: the typical single prediction. */
const REQUEST_BODY = JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] });
const STAGE = 'dev';

async function main(options: BenchOptions): Promise<void> {
  // What measures loads once the options are good: `--help` and a usage error start at once.
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, see above */
  const { LocalApi }: typeof import('../local/local-api') = require('../local/local-api');
  const { LocalFunction }: typeof import('../local/local-lambda') = require('../local/local-lambda');
  const { startLocalPipeline }: typeof import('../local/local-pipeline') = require('../local/local-pipeline');
  const { buildBenchBundles, buildOptimized }: typeof import('./bundles') = require('./bundles');
  const { formatAnalysis, runAnalysisBench }: typeof import('./analysis') = require('./analysis');
  /* eslint-enable @typescript-eslint/no-require-imports */
  // A line per step with the time since the start, on stderr (quiet with --quiet or off a terminal).
  const { step: progress } = createProgress('bench', { quiet: options.quiet });
  const loadAvgStart = os.loadavg();
  // The stage's own throttle (20 rps in dev) would measure the limiter, not the pipeline.
  const context = { ...readCdkContext(), stage: STAGE, 'api.throttleRateLimit': '10000', 'api.throttleBurstLimit': '10000' };
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-'));

  try {
    progress(
      'synthesizing the stacks (optimized bundle; from the start cache when unchanged), bundling the baseline and the minimal ESM handler',
    );
    const { assembly, bundle: optimized } = buildOptimized(context, path.join(work, 'cdk.out'));
    const benchBundles = buildBenchBundles(path.join(work, 'bench.out'), path.join(REPO_ROOT, 'bench-results', 'baseline'));
    const baseline = benchBundles.baseline;
    const minimal = benchBundles.minimal;
    const config = assembly.config;
    const fn = assembly.functions.predict;

    /** The prediction function's environment as Lambda (here: the local pipeline) gives it, for a given set of local endpoints. */
    const functionEnv = (endpoints: { dynamodb: string; s3: string; sagemaker: string }): Record<string, string> => {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_LAMBDA_FUNCTION_NAME: fn.functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySizeMiB),
        AWS_LAMBDA_LOG_FORMAT: 'JSON',
        AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        // The SDK warns once per process on Node 20 (not on Lambda's Node 22): keep it out of the figures.
        NODE_NO_WARNINGS: '1',
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
        AWS_ENDPOINT_URL_S3: endpoints.s3,
        AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoints.sagemaker,
        BENCH_TIMEOUT_MS: String(fn.timeoutSec * 1000),
      };
      for (const [key, value] of Object.entries(fn.environment)) if (value !== undefined) env[key] = value;
      env.TABLE_NAME = assembly.tableName;
      env.PAYLOAD_BUCKET = `${resourcePrefix(config)}-payloads`;
      return env;
    };

    progress(`cold init: ${options.coldRuns} rounds of a bare node process and one per bundle`);
    const nowhere = 'http://127.0.0.1:9';
    const coldInit = measureColdInit(
      [
        { name: 'optimized', file: optimized.file },
        { name: 'baseline', file: baseline.file },
        { name: 'minimal', file: minimal.file },
        { name: 'sdkFloor', file: benchBundles.sdkFloor.file },
      ],
      functionEnv({ dynamodb: nowhere, s3: nowhere, sagemaker: nowhere }),
      options.coldRuns,
    );
    const bundles = {
      optimized: { bytes: optimized.bytes, files: optimized.files },
      baseline: { bytes: baseline.bytes, files: baseline.files },
      minimal: { bytes: minimal.bytes, files: minimal.files },
    };
    /** Where and when it ran, and what it measured first: the head of either file. */
    const head = () => ({
      version: 2 as const,
      date: new Date().toISOString(),
      machine: {
        node: process.version,
        platform: `${os.platform()} ${os.arch()}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
        loadAvgStart,
        loadAvgEnd: os.loadavg(),
      },
      git: gitState(),
      stage: STAGE,
      options,
      bundles,
      coldInit,
    });
    if (options.coldInitOnly) {
      const results: ColdInitResults = { ...head(), targets: [coldInitTarget(coldInit)] };
      const out = writeResults(options.out, results);
      process.stdout.write(`${formatColdInitReport(results)}\n\nwritten ${path.relative(process.cwd(), out)}\n`);
      return;
    }

    progress('starting the local pipeline (dynalite, local S3, model server, SageMaker invoke route)');
    const durations = { optimized: [] as number[], baseline: [] as number[] };
    const emf = new Set<string>();
    let recordDurations = false;
    // Log bytes the platform and the model container add per invocation (what the cost model ingests besides the handler's lines).
    const logBytes = { platform: 0, reports: 0, container: 0, containerLines: 0 };
    const onPredictLine = (which: 'optimized' | 'baseline') => (line: string) => {
      if (!line.startsWith('{')) return;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a function's log line: untyped JSON read by field
      let json: any;
      try {
        json = JSON.parse(line);
      } catch {
        return;
      }
      if (recordDurations && which === 'optimized' && typeof json.type === 'string' && json.type.startsWith('platform.')) {
        logBytes.platform += Buffer.byteLength(line) + 1;
        if (json.type === 'platform.report') logBytes.reports++;
      }
      if (json.type === 'platform.report' && recordDurations) durations[which].push(json.record?.metrics?.durationMs);
      for (const set of json._aws?.CloudWatchMetrics ?? []) {
        for (const metric of set.Metrics ?? [])
          emf.add(`${set.Namespace}|${(set.Dimensions ?? []).map((d: string[]) => d.join(',')).join(';')}|${metric.Name}`);
      }
    };
    const pipeline = await startLocalPipeline({
      inMemory: true,
      assembly,
      // The bench measures the pipeline, not SigV4: its requests go unsigned through the documented switch.
      allowUnsigned: true,
      onLogLine: (source, line) => {
        if (source === 'predict') onPredictLine('optimized')(line);
        if (source === 'model' && recordDurations && line.includes('"message":"request"')) {
          logBytes.container += Buffer.byteLength(line) + 1;
          logBytes.containerLines++;
        }
      },
    });
    const env = functionEnv({ dynamodb: pipeline.dynamoDb.url, s3: pipeline.s3.url, sagemaker: pipeline.sageMakerRuntimeUrl });
    // The baseline behind an API of its own, with the same routes, table, S3 and endpoint.
    const baselineFunction = new LocalFunction({
      functionName: `${fn.functionName}-baseline`,
      bundleDir: baseline.dir,
      handler: 'index.handler',
      timeoutSec: fn.timeoutSec,
      memorySizeMiB: fn.memorySizeMiB,
      environment: env,
      onLogLine: onPredictLine('baseline'),
    });
    const baselineApi = new LocalApi({
      stage: config.stage,
      routes: assembly.routes,
      functions: { [fn.logicalId]: baselineFunction, [assembly.functions.read.logicalId]: pipeline.functions.read },
      throttle: { rateLimit: 10_000, burstLimit: 10_000 },
      // The same keys, gateway responses and signature checks as the pipeline's own API.
      ...pipeline.apiOptions,
    });
    await baselineApi.start();
    let stopped = false;
    const stopServers = async () => {
      if (stopped) return;
      stopped = true;
      await baselineApi.close().catch(() => undefined);
      await baselineFunction.close().catch(() => undefined);
      await pipeline.stop().catch(() => undefined);
    };

    try {
      // Steady state: each process warms up first (the JIT optimizes hot code only after many
      // calls), then measures; two processes per handler, in alternating order.
      const half = Math.ceil(options.cpuRequests / 2);
      const files = { optimized: optimized.file, baseline: baseline.file, minimal: minimal.file } as const;
      const cpuRuns: Record<keyof typeof files, Awaited<ReturnType<typeof runCpuProbe>>[]> = { optimized: [], baseline: [], minimal: [] };
      for (let round = 0; round < 2; round++) {
        const order = (['optimized', 'baseline', 'minimal'] as const).slice();
        if (round === 1) order.reverse();
        for (const which of order) {
          progress(`handler CPU, ${which}, run ${round + 1}/2: ${options.cpuWarmup} warm-up + ${half} measured requests`);
          cpuRuns[which].push(await runCpuProbe(files[which], env, REQUEST_BODY, half, options.cpuWarmup));
        }
      }
      progress(
        `CPU floors: the two SDK calls alone, and two plain HTTP calls (${options.cpuWarmup} warm-up + ${options.cpuRequests} measured each)`,
      );
      const sdkFloor = await runCpuProbe(benchBundles.sdkFloor.file, env, REQUEST_BODY, options.cpuRequests, options.cpuWarmup);
      const httpFloor = await runCpuProbe(benchBundles.httpFloor.file, env, REQUEST_BODY, options.cpuRequests, options.cpuWarmup);
      const handlerCpu = {
        optimized: summarizeCpuRuns(cpuRuns.optimized),
        baseline: summarizeCpuRuns(cpuRuns.baseline),
        minimal: summarizeCpuRuns(cpuRuns.minimal),
        sdkFloor: summarizeCpuRuns([sdkFloor]),
        httpFloor: summarizeCpuRuns([httpFloor]),
      };
      for (const line of [...handlerCpu.optimized.sampleLines, ...handlerCpu.baseline.sampleLines]) onPredictLine('optimized')(line);

      const apiHeaders = pipeline.apiKey ? { 'x-api-key': pipeline.apiKey } : undefined;
      const targets = [
        { name: 'direct', url: `${pipeline.modelUrl}/invocations` },
        { name: 'optimized', url: `${pipeline.url}/predict`, headers: apiHeaders },
        { name: 'baseline', url: `${baselineApi.url}/predict`, headers: apiHeaders },
      ];
      const latency = [];
      for (const concurrency of options.concurrency) {
        progress(`latency at concurrency ${concurrency}: ${options.latencyRounds} rounds × ${options.latencyRequests} requests per target`);
        recordDurations = concurrency === 1;
        latency.push(await measureLatency(targets, REQUEST_BODY, concurrency, options.latencyRequests, options.latencyRounds));
        recordDurations = false;
      }
      // One refused request each, so the error metric's EMF set is seen too.
      for (const t of targets.slice(1))
        await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...t.headers }, body: '{"instances":[[1]]}' });

      await stopServers();

      let synth;
      if (!options.skipSynth) {
        progress(`cdk synth of every stack, ${options.synthRuns} run(s)`);
        synth = measureSynth(options.synthRuns);
      }
      let start;
      if (!options.skipStart) {
        progress(
          `npm start until ready: ${options.startColdRuns} cold (empty start cache), ${options.startWarmRuns} warm (unchanged sources)`,
        );
        start = await measureStart(options.startColdRuns, options.startWarmRuns, progress);
      }
      let tests;
      if (options.withTests) {
        progress('the test suite (jest)');
        tests = measureTests();
      }

      // The analysis measure writes its own file (tools/bench/analysis.ts).
      progress('analysis of 10k, 100k and 1M synthetic records (DuckDB)');
      const analysis = await runAnalysisBench(path.join(path.dirname(path.resolve(REPO_ROOT, options.out)), 'analysis.json'));

      const partial = { bundles, coldInit, handlerCpu, latency };
      const results: BenchResults = {
        ...head(),
        handlerCpu,
        latency,
        lambdaDurationMs: { optimized: summarize(durations.optimized), baseline: summarize(durations.baseline) },
        logBytesPerInvocation: {
          handler: handlerCpu.optimized.logBytesPerRequest,
          platform: logBytes.reports ? logBytes.platform / logBytes.reports : NaN,
          container: logBytes.containerLines ? logBytes.container / logBytes.containerLines : NaN,
        },
        synth,
        start,
        tests,
        emfMetrics: [...emf].sort(),
        targets: evaluateTargets({ ...partial, start, tests }),
      };
      const out = writeResults(options.out, results);
      process.stdout.write(`${formatReport(results)}\n\n${formatAnalysis(analysis)}\n\nwritten ${path.relative(process.cwd(), out)}\n`);
    } finally {
      await stopServers();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Writes the run's JSON (`out` is relative to the repository) and returns its absolute path. */
function writeResults(out: string, results: ColdInitResults): string {
  const file = path.resolve(REPO_ROOT, out);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  return file;
}

function gitState(): { commit: string; dirty: boolean } {
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim() !== '';
    return { commit, dirty };
  } catch {
    return { commit: 'unknown', dirty: true };
  }
}

void runCommand({
  name: 'bench',
  options: BENCH_OPTIONS,
  help: BENCH_HELP,
  run: async (o) => {
    await main(benchOptionsFrom(o));
    return 0;
  },
  // Exit even if a measured server or worker still holds the event loop.
}).then((code) => process.exit(code));
