import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'path';
import { METRICS_NAMESPACE } from '../../lambda/shared/contract';

export interface PipelineFunctionProps {
  /** Folder under `lambda/` holding the handler's `index.ts`, for example `predict`. */
  readonly entry: string;
  /** Physical function name; stable so the log group, alarms and runbook can name it. */
  readonly functionName: string;
  readonly description: string;
  /** Powertools service name: the `service` key of every log line and metric. */
  readonly serviceName: string;
  readonly environment?: Record<string, string>;
  /** @default 512 */
  readonly memorySizeMiB?: number;
  /** @default 10 */
  readonly timeoutSec?: number;
  /** Retention of the function's log group. */
  readonly logRetentionDays: number;
  /** @default RemovalPolicy.DESTROY - logs go with the stack */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - unreserved */
  readonly reservedConcurrency?: number;
}

/** Where the handlers live; the local pipeline finds the same entries through this. */
export const LAMBDA_ROOT = path.join(__dirname, '..', '..', 'lambda');

/**
 * The house defaults for every function of the pipeline, in one place:
 * Node.js 22 on arm64 (cheaper, faster init), the AWS SDK bundled and minified as ESM so
 * esbuild tree-shakes it (lower cold start than the runtime's copy), an external source map
 * (usable to decode a stack trace, no `--enable-source-maps` cold-start cost), JSON logs so
 * platform records such as timeouts are machine-readable, and a log group with retention.
 */
export class PipelineFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.DESTROY,
    });

    this.function = new NodejsFunction(this, 'Resource', {
      functionName: props.functionName,
      description: props.description,
      entry: path.join(LAMBDA_ROOT, props.entry, 'index.ts'),
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySizeMiB ?? 512,
      timeout: Duration.seconds(props.timeoutSec ?? 10),
      reservedConcurrentExecutions: props.reservedConcurrency || undefined,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: lambda.ApplicationLogLevel.INFO,
      systemLogLevelV2: lambda.SystemLogLevel.INFO,
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: PipelineFunction.bundling,
    });
  }

  /** esbuild options shared by the stacks and by the local pipeline's bundle check. */
  static readonly bundling = {
    minify: true,
    target: 'node22',
    format: OutputFormat.ESM,
    // SDK v3 ships ES modules under `module`: esbuild tree-shakes them, CommonJS it cannot.
    mainFields: ['module', 'main'],
    // Bundle the SDK instead of using the runtime's copy: a smaller, faster cold start.
    externalModules: [],
    sourceMap: true,
    sourceMapMode: SourceMapMode.EXTERNAL,
    sourcesContent: false,
    // Bundle sizes are printed by the benchmark; keep synth output to warnings.
    logLevel: LogLevel.WARNING,
    // Some CommonJS dependencies call require(); ESM output needs it defined.
    banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
  };
}
