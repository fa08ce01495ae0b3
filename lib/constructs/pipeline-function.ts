import { Arn, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import * as path from 'path';
import { METRICS_NAMESPACE } from '../../contract/handlers';
import { REPO_PATHS } from '../../contract/repo-paths';
import { acknowledge, wildcardResourceFinding } from './acknowledge';
import { retentionDays } from './log-retention';
import { FunctionPlacement } from './pipeline-network';

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
  /**
   * X-Ray active tracing (the stage's `monitoring.tracing`).
   * @default false
   */
  readonly tracing?: boolean;
  /**
   * Run the function in these private subnets with this security group.
   * @default - not in a VPC
   */
  readonly placement?: FunctionPlacement;
}

/** Why the runtime is not the newest Lambda offers. */
const RUNTIME_PINNED =
  'nodejs22.x is pinned on purpose: the shared esbuild bundle targets node22 and the cold starts are measured on it; Node.js 22 is in long-term support until April 2027. Moving to nodejs24.x is a deliberate change together with the bundling target, not drift.';

/** Where the handlers live; the local pipeline finds the same entries through this. */
export const LAMBDA_ROOT = path.join(__dirname, '..', '..', REPO_PATHS.lambdaDir);

/**
 * The house defaults for every function of the pipeline, in one place:
 * Node.js 22 on arm64 (cheaper, faster init), the AWS SDK bundled and minified as ESM so
 * esbuild tree-shakes it (lower cold start than the runtime's copy), an external source map
 * (usable to decode a stack trace, no `--enable-source-maps` cold-start cost), JSON logs so
 * platform records such as timeouts are machine-readable, and a log group with retention.
 *
 * Its role carries no AWS managed policy: AWSLambdaBasicExecutionRole would let it write to
 * every log group of the account (and create new ones); this role writes only its own group,
 * and in a VPC manages network interfaces only in its own subnets and security group.
 */
export class PipelineFunction extends Construct {
  /** Folder under `lambda/` of its handler (`props.entry`): what its bundle is built from. */
  readonly entry: string;
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: PipelineFunctionProps) {
    super(scope, id);
    this.entry = props.entry;

    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/lambda/${props.functionName}`,
      retention: retentionDays(props.logRetentionDays),
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
      tracing: props.tracing ? lambda.Tracing.ACTIVE : undefined,
      ...props.placement,
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

    this.role = this.function.role as iam.Role;
    this.replaceManagedPolicies(props);

    acknowledge(this.function, 'AwsSolutions-L1', RUNTIME_PINNED);
    acknowledge(this.function, 'Serverless-LambdaLatestVersion', RUNTIME_PINNED);
    if (!props.tracing) {
      acknowledge(
        this.function,
        'Serverless-LambdaTracing',
        'X-Ray tracing is off for this stage by configuration (monitoring.tracing=false); the function still logs JSON with the request id and publishes its metrics.',
      );
    }
  }

  /**
   * The role keeps the logical id Lambda gave it (the audit stack's containment references it),
   * but its managed policies (basic execution, and VPC access in a VPC) give way to inline
   * statements on this function's own resources.
   */
  private replaceManagedPolicies(props: PipelineFunctionProps): void {
    (this.role.node.defaultChild as iam.CfnRole).managedPolicyArns = undefined;
    this.role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogGroup',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const wildcardActions: string[] = [];
    if (props.tracing) wildcardActions.push('xray:PutTraceSegments', 'xray:PutTelemetryRecords'); // added by Lambda
    if (props.placement) {
      const stack = Stack.of(this);
      const ec2Arn = (resource: string) => Arn.format({ service: 'ec2', resource }, stack);
      // Describe calls have no resource-level permissions (Lambda's documentation: "only works if
      // it's allowed on all resources"); the calls that change anything are scoped below.
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'DescribeVpcNetwork',
          actions: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'],
          resources: ['*'],
        }),
      );
      wildcardActions.push('ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets');
      const subnets = props.placement.vpc.selectSubnets(props.placement.vpcSubnets).subnetIds;
      const eniArn = ec2Arn('network-interface/*');
      this.role.addToPrincipalPolicy(
        new iam.PolicyStatement({
          sid: 'ManageOwnNetworkInterfaces',
          actions: [
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:AssignPrivateIpAddresses',
            'ec2:UnassignPrivateIpAddresses',
          ],
          resources: [
            eniArn,
            ...subnets.map((id) => ec2Arn(`subnet/${id}`)),
            ...props.placement.securityGroups.map((sg) => ec2Arn(`security-group/${sg.securityGroupId}`)),
          ],
        }),
      );
      acknowledge(
        this.role,
        wildcardResourceFinding(this.role, eniArn),
        "Lambda creates and deletes the hyperplane network interfaces itself, so their ids cannot be known in advance; creation is limited to this function's subnets and security group.",
      );
    }
    if (wildcardActions.length > 0) {
      acknowledge(
        this.role,
        'AwsSolutions-IAM5[Resource::*]',
        `Resource '*' only for actions that have no resource-level permissions: ${wildcardActions.join(', ')}.`,
      );
    }
  }

  /**
   * esbuild options shared by the stacks and by the local pipeline's bundle check. What keeps
   * the prediction bundle small and its cold start short (figures: README, Performance):
   * - credentials come from the environment only: `@aws-sdk/credential-provider-node` (the
   *   default chain, which brings the STS, SSO and sign-in clients) is aliased to
   *   `lambda/shared/env-credentials.ts`. Lambda and the local pipeline put them there.
   * - no event streams (used by streaming operations only, which no function calls):
   *   `@smithy/core/event-streams` is aliased to `lambda/shared/no-event-streams.ts`. The
   *   protocols' dynamic import of it made esbuild wrap some 170 SDK modules in lazy
   *   initializers, each compiled twice at init.
   * - code that only rare requests need lives in a file of its own next to `index.mjs`: the
   *   main bundle leaves each `LAZY` specifier external (a `require` at the first use) and
   *   `afterBundling` builds the file, with the same settings, into the asset of any
   *   function whose bundle refers to it. `./s3-put` is the S3 client of payloads that
   *   overflow the record (lambda/predict/payloads.ts).
   * Local bundling only (esbuild is a devDependency): the hook runs the project's esbuild.
   */
  static readonly bundling = (() => {
    const target = 'node22';
    const mainFields = ['module', 'main'];
    /** Paths are relative to the project root: the working directory of CDK's local esbuild run, and the hooks' inputDir. */
    const ALIASES: Record<string, string> = {
      '@aws-sdk/credential-provider-node': 'lambda/shared/env-credentials.ts',
      '@smithy/core/event-streams': 'lambda/shared/no-event-streams.ts',
    };
    /** `--alias` values, each file as `where` spells it (esbuild resolves an aliased path from its working directory). */
    const aliases = (where: (file: string) => string) => Object.entries(ALIASES).map(([module, file]) => `${module}=${where(file)}`);
    /** External specifier (as imported) -> its source; built as `<specifier>.js` next to `index.mjs`. */
    const LAZY: Record<string, string> = { './s3-put': 'lambda/predict/s3-put.ts' };
    const sh = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
    return {
      minify: true,
      target,
      format: OutputFormat.ESM,
      // SDK v3 ships ES modules under `module`: esbuild tree-shakes them, CommonJS it cannot.
      mainFields,
      // Bundle the SDK instead of using the runtime's copy: a smaller, faster cold start.
      externalModules: Object.keys(LAZY),
      // An array: CDK passes each item as its own `--alias:` option.
      esbuildArgs: { '--alias': aliases((file) => `./${file}`) },
      sourceMap: true,
      sourceMapMode: SourceMapMode.EXTERNAL,
      sourcesContent: false,
      // Bundle sizes are printed by the benchmark; keep synth output to warnings.
      logLevel: LogLevel.WARNING,
      // Some CommonJS dependencies call require(); ESM output needs it defined.
      banner: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);",
      commandHooks: {
        beforeBundling: (): string[] => [],
        beforeInstall: (): string[] => [],
        // CommonJS, so that `require('./s3-put')` finds `s3-put.js` (no package.json in the asset).
        afterBundling: (inputDir: string, outputDir: string): string[] =>
          Object.entries(LAZY).map(([specifier, source]) => {
            const out = path.join(outputDir, `${path.basename(specifier)}.js`);
            const esbuild = [
              sh(path.join(inputDir, 'node_modules', '.bin', 'esbuild')),
              sh(path.join(inputDir, source)),
              '--bundle',
              '--platform=node',
              '--format=cjs',
              `--target=${target}`,
              '--minify',
              `--main-fields=${mainFields.join(',')}`,
              '--sourcemap=external',
              '--sources-content=false',
              '--log-level=warning',
              ...aliases((file) => path.join(inputDir, file)).map((alias) => sh(`--alias:${alias}`)),
              sh(`--outfile=${out}`),
            ].join(' ');
            return `if grep -qF ${sh(`"${specifier}"`)} ${sh(path.join(outputDir, 'index.mjs'))}; then ${esbuild}; fi`;
          }),
      },
    };
  })();
}
