import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Worker } from 'worker_threads';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './local-aws';
import type { ServiceMetrics } from './service-metrics';

export interface LocalFunctionProps {
  readonly functionName: string;
  /** Folder of the esbuild bundle CDK staged for the function. */
  readonly bundleDir: string;
  /** `file.export`, as in the function's `Handler` property. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSec: number;
  readonly memorySizeMiB: number;
  /** Execution environments that may run at once; further invocations wait. @default 10 */
  readonly maxConcurrency?: number;
  /** Every line the function and the runtime log, as the JSON log format writes it. */
  readonly onLogLine: (line: string) => void;
  /** Where its AWS/Lambda metrics go, under which dashboard source. @default - not emitted */
  readonly metrics?: { readonly sink: ServiceMetrics; readonly source: 'predictFunction' | 'readFunction' };
}

export interface InvokeResult {
  readonly status: 'success' | 'error' | 'timeout';
  readonly result?: unknown;
  readonly errorType?: string;
  readonly errorMessage?: string;
  readonly durationMs: number;
}

interface Environment {
  worker: Worker;
  busy: boolean;
}

const WORKER_FILE = path.join(__dirname, 'lambda-worker.mjs');

/**
 * A function run the way Lambda runs it: each execution environment (a worker thread with its
 * own environment variables and a memory limit) loads the bundle once and serves one request
 * at a time; a timeout or an out-of-memory kills the environment. With the JSON log format the
 * runtime writes `platform.start` and `platform.report` records, which the metric filters read.
 */
export class LocalFunction {
  private readonly environments: Environment[] = [];
  private readonly waiting: Array<(env: Environment) => void> = [];
  private readonly bundleFile: string;
  private readonly handlerName: string;
  private inFlight = 0;
  private idleWaiters: Array<() => void> = [];
  private closed = false;

  constructor(private readonly props: LocalFunctionProps) {
    const [file, handlerName] = splitHandler(props.handler);
    const candidates = ['.mjs', '.js', '.cjs'].map((ext) => path.join(props.bundleDir, file + ext));
    const bundleFile = candidates.find((f) => fs.existsSync(f));
    if (!bundleFile) throw new Error(`no bundle for ${props.functionName} in ${props.bundleDir} (looked for ${file}.mjs/.js)`);
    this.bundleFile = bundleFile;
    this.handlerName = handlerName;
  }

  get functionName(): string {
    return this.props.functionName;
  }

  async invoke(event: unknown, requestId: string = randomUUID()): Promise<InvokeResult> {
    if (this.closed) throw new Error(`${this.props.functionName} is shut down`);
    this.inFlight++;
    const env = await this.acquire();
    // "ConcurrentExecutions – The number of function instances that are processing events."
    this.metric('ConcurrentExecutions', this.environments.filter((e) => e.busy).length, 'Count');
    const started = performance.now();
    const deadlineMs = Date.now() + this.props.timeoutSec * 1000;
    this.platform('platform.start', { requestId, version: '$LATEST' });
    try {
      const outcome = await this.run(env, event, requestId, deadlineMs);
      const durationMs = performance.now() - started;
      this.platform('platform.report', {
        requestId,
        metrics: {
          durationMs: round(durationMs),
          billedDurationMs: Math.ceil(durationMs),
          memorySizeMB: this.props.memorySizeMiB,
          maxMemoryUsedMB: Math.ceil(outcome.heapUsedMB ?? 0),
          ...(outcome.initDurationMs !== undefined ? { initDurationMs: round(outcome.initDurationMs) } : {}),
        },
        status: outcome.status,
        ...(outcome.status !== 'success' ? { errorType: outcome.errorType } : {}),
      });
      // Invocations counts every run of the code, failed ones included; Errors those that ended in
      // a function error (a timeout or a crash included); Duration in milliseconds. Throttles is
      // 0: local functions queue for an environment instead of being refused.
      this.metric('Invocations', 1, 'Count');
      this.metric('Errors', outcome.status === 'success' ? 0 : 1, 'Count');
      this.metric('Throttles', 0, 'Count');
      this.metric('Duration', durationMs, 'Milliseconds');
      return {
        status: outcome.status,
        result: outcome.result,
        errorType: outcome.errorType,
        errorMessage: outcome.errorMessage,
        durationMs,
      };
    } finally {
      this.release(env);
      if (--this.inFlight === 0) this.idleWaiters.splice(0).forEach((resolve) => resolve());
    }
  }

  /** Resolves when no invocation is running: in-flight requests finish (and record) before exit. */
  drain(): Promise<void> {
    return this.inFlight === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
    await Promise.all(this.environments.splice(0).map((e) => e.worker.terminate()));
  }

  private run(env: Environment, event: unknown, requestId: string, deadlineMs: number) {
    type Outcome = {
      status: InvokeResult['status'];
      result?: unknown;
      errorType?: string;
      errorMessage?: string;
      initDurationMs?: number;
      heapUsedMB?: number;
    };
    return new Promise<Outcome>((resolve) => {
      const worker = env.worker;
      const finish = (outcome: Outcome, kill = false) => {
        clearTimeout(timer);
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        if (kill) this.discard(env);
        resolve(outcome);
      };
      const onMessage = (m: {
        type: string;
        text?: string;
        level?: string;
        result?: unknown;
        errorType?: string;
        errorMessage?: string;
        initDurationMs?: number;
        heapUsedMB?: number;
      }) => {
        if (m.type === 'log') this.log(m.text ?? '', m.level ?? 'INFO', requestId);
        else if (m.type === 'result')
          finish({ status: 'success', result: m.result, initDurationMs: m.initDurationMs, heapUsedMB: m.heapUsedMB });
        else if (m.type === 'error') {
          // Lambda logs an unhandled error as its own record before the report.
          this.log(JSON.stringify({ errorType: m.errorType, errorMessage: m.errorMessage }), 'ERROR', requestId);
          finish({
            status: 'error',
            errorType: m.errorType,
            errorMessage: m.errorMessage,
            initDurationMs: m.initDurationMs,
            heapUsedMB: m.heapUsedMB,
          });
        }
      };
      const onError = (error: Error & { code?: string }) => {
        const oom = error.code === 'ERR_WORKER_OUT_OF_MEMORY';
        finish({ status: 'error', errorType: oom ? 'Runtime.OutOfMemory' : 'Runtime.ExitError', errorMessage: error.message }, true);
      };
      const onExit = () => finish({ status: 'error', errorType: 'Runtime.ExitError', errorMessage: 'execution environment exited' }, true);
      const timer = setTimeout(() => {
        this.log(`Task timed out after ${this.props.timeoutSec.toFixed(2)} seconds`, 'ERROR', requestId);
        finish(
          { status: 'timeout', errorType: 'Sandbox.Timedout', errorMessage: `Task timed out after ${this.props.timeoutSec} seconds` },
          true,
        );
      }, deadlineMs - Date.now());
      worker.on('message', onMessage);
      worker.once('error', onError);
      worker.once('exit', onExit);
      worker.postMessage({
        type: 'invoke',
        event,
        context: {
          awsRequestId: requestId,
          deadlineMs,
          functionName: this.props.functionName,
          functionVersion: '$LATEST',
          invokedFunctionArn: `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.props.functionName}`,
          memoryLimitInMB: String(this.props.memorySizeMiB),
          logGroupName: `/aws/lambda/${this.props.functionName}`,
          logStreamName: 'local',
        },
      });
    });
  }

  private acquire(): Promise<Environment> {
    const idle = this.environments.find((e) => !e.busy);
    if (idle) {
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.environments.length < (this.props.maxConcurrency ?? 10)) {
      const env = { worker: this.spawn(), busy: true };
      this.environments.push(env);
      return Promise.resolve(env);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(env: Environment): void {
    if (!this.environments.includes(env)) {
      // The environment died (timeout, crash); a waiting invocation gets a fresh one.
      const next = this.waiting.shift();
      if (next) {
        const fresh = { worker: this.spawn(), busy: true };
        this.environments.push(fresh);
        next(fresh);
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) next(env);
    else env.busy = false;
  }

  private discard(env: Environment): void {
    const i = this.environments.indexOf(env);
    if (i >= 0) this.environments.splice(i, 1);
    void env.worker.terminate();
  }

  private spawn(): Worker {
    const { functionName, memorySizeMiB, environment } = this.props;
    return new Worker(WORKER_FILE, {
      workerData: { bundleFile: this.bundleFile, handlerName: this.handlerName },
      env: {
        PATH: process.env.PATH ?? '',
        TZ: 'UTC',
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_LAMBDA_FUNCTION_NAME: functionName,
        AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memorySizeMiB),
        AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${functionName}`,
        AWS_LAMBDA_LOG_FORMAT: 'JSON',
        AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
        NODE_NO_WARNINGS: '1',
        ...environment,
      },
      // The function's memory setting bounds its heap, so an out-of-memory behaves like Lambda's.
      resourceLimits: { maxOldGenerationSizeMb: memorySizeMiB },
      stdout: false,
      stderr: false,
    });
  }

  /** Lambda's JSON log format: JSON lines pass through, plain text is wrapped with its request id. */
  private log(text: string, level: string, requestId: string): void {
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      this.props.onLogLine(
        line.trimStart().startsWith('{') ? line : JSON.stringify({ timestamp: new Date().toISOString(), level, requestId, message: line }),
      );
    }
  }

  private metric(name: string, value: number, unit: 'Count' | 'Milliseconds'): void {
    const m = this.props.metrics;
    m?.sink.emit(m.source, name, value, unit, { FunctionName: this.props.functionName });
  }

  private platform(type: string, record: Record<string, unknown>): void {
    this.props.onLogLine(JSON.stringify({ time: new Date().toISOString(), type, record }));
  }
}

function splitHandler(handler: string): [string, string] {
  const dot = handler.lastIndexOf('.');
  if (dot <= 0) throw new Error(`handler '${handler}' must be FILE.EXPORT`);
  return [handler.slice(0, dot), handler.slice(dot + 1)];
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
