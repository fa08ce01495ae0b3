import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ApiConfig, FunctionsConfig, ModelConfig, RecordsConfig } from '../config/stage-config';
import { acknowledge, wildcardResourceFinding } from '../constructs/acknowledge';
import { ApiFirewall } from '../constructs/api-firewall';
import { retentionDays } from '../constructs/log-retention';
import { grantKeyThroughServices } from '../constructs/key-grants';
import { PipelineFunction } from '../constructs/pipeline-function';
import { readFromStack } from '../constructs/stack-output';
import { FunctionPlacement } from '../constructs/pipeline-network';
import { PAYLOAD_KEY_PREFIX, PREDICT_ENV, READ_ENV } from '../../contract/handlers';
import { IDEMPOTENCY_PREFIX, INDEXES } from '../../contract/table-design';

export interface ApiStackProps extends StackProps {
  /** `project-stage`: the API's, functions' and log groups' names start with it. */
  readonly prefix: string;
  /** The stage's name: the API Gateway stage is named after it. */
  readonly stage: string;
  readonly api: ApiConfig;
  /** The prediction function's memory, timeouts, retries and concurrency. */
  readonly functions: FunctionsConfig;
  /** What the prediction function stores of each request, and for how long. */
  readonly records: RecordsConfig;
  /** The served model as the prediction function reports and checks it. */
  readonly model: Pick<ModelConfig, 'name' | 'version' | 'contentType' | 'featureCount'>;
  /** X-Ray active tracing on the stage and the functions (`monitoring.tracing`). */
  readonly tracing: boolean;
  /** Days the functions' and the API's log groups are kept. */
  readonly logRetentionDays: number;
  readonly table: dynamodb.ITable;
  readonly payloadBucket: s3.IBucket;
  /** The SageMaker endpoint the prediction function invokes (and may invoke only). */
  readonly endpoint: ServedEndpoint;
  /**
   * Run the prediction and read functions in the pipeline's private subnets (`network.vpc`).
   * @default - Lambda's own network
   */
  readonly functionPlacement?: FunctionPlacement;
}

/** What the API needs of the model endpoint: its name to call, its ARN to be allowed to. */
export interface ServedEndpoint {
  readonly endpointName: string;
  readonly endpointArn: string;
}

/** Fields of the JSON access log: who called what, how it ended, and how long it took. */
const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  extendedRequestId: '$context.extendedRequestId',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  resourcePath: '$context.resourcePath',
  path: '$context.path',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integration.status',
  sourceIp: '$context.identity.sourceIp',
  userAgent: '$context.identity.userAgent',
  caller: '$context.identity.caller',
  userArn: '$context.identity.userArn',
  apiKeyId: '$context.identity.apiKeyId',
  errorMessage: '$context.error.messageString',
  errorType: '$context.error.responseType',
} as const;

/**
 * `$context.error.messageString` is "The quoted value of $context.error.message" (API Gateway
 * mapping template reference, https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html):
 * it brings its own quotes, so it stands unquoted in a JSON template. Quoting
 * `$context.error.message` instead breaks the JSON as soon as a message holds a quote or a
 * newline (a SigV4 failure names the canonical request in quotes, over several lines).
 */
export function jsonTemplate(fields: Readonly<Record<string, string>>): string {
  return JSON.stringify(fields).replace(/"\$context\.error\.messageString"/g, '$context.error.messageString');
}

/** Why the API's functions have no dead-letter queue. */
const SYNCHRONOUS_NO_DLQ =
  'API Gateway invokes this function synchronously and returns its error to the caller, who retries; a dead-letter queue only receives failed asynchronous invocations, so it would stay empty.';

/**
 * The front door: a REST API (IAM-signed by default) in front of two functions — the
 * prediction function, which may only invoke this endpoint and add records, and the read
 * function, which may only read records.
 *
 * In front of the functions, API Gateway refuses what it can check cheaply: unsigned or
 * keyless calls, malformed path parameters, and, with `api.waf.enabled`, clients over the
 * per-IP rate and known attack patterns (ApiFirewall). Bodies are the handler's to judge, so
 * every refused prediction is recorded. Execution logs record errors only (never bodies).
 */
export class ApiStack extends Stack {
  readonly api: apigateway.RestApi;
  readonly predictFunction: PipelineFunction;
  readonly readFunction: PipelineFunction;
  readonly accessLogGroup: logs.LogGroup;
  /** API Gateway's execution log (errors only), created here to give it a retention. */
  readonly executionLogGroup: logs.LogGroup;
  readonly apiKey?: apigateway.IApiKey;
  /** Present when `api.waf.enabled` is true. */
  readonly firewall?: ApiFirewall;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { prefix, table } = props;

    this.predictFunction = this.createPredictFunction(props);
    this.readFunction = new PipelineFunction(this, 'ReadFunction', {
      entry: 'read',
      functionName: `${prefix}-read`,
      description: 'Reads inference records and model deployments',
      serviceName: 'inference-read',
      environment: { [READ_ENV.tableName]: table.tableName, [READ_ENV.indexShards]: String(props.records.shards) },
      memorySizeMiB: 512,
      timeoutSec: 10,
      logRetentionDays: props.logRetentionDays,
      tracing: props.tracing,
      placement: props.functionPlacement,
    });
    this.readFunction.function.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'ReadRecords',
        actions: ['dynamodb:GetItem', 'dynamodb:Query'],
        resources: [table.tableArn, ...Object.values(INDEXES).map((i) => `${table.tableArn}/index/${i.name}`)],
      }),
    );
    if (table.encryptionKey) grantKeyThroughServices(table.encryptionKey, this.readFunction.function, 'decrypt', ['dynamodb']);
    acknowledge(this.readFunction.function, 'Serverless-LambdaDLQ', SYNCHRONOUS_NO_DLQ);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', {
      logGroupName: `/aws/apigateway/${prefix}-api/access`,
      retention: retentionDays(props.logRetentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const iamAuth = props.api.authorization === 'iam';
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${prefix}-api`,
      description: `Inference API of ${prefix}`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Access logging needs the account-level CloudWatch role; kept on delete because
      // it is shared by every API in the account and region.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: props.stage,
        throttlingRateLimit: props.api.throttleRateLimit,
        throttlingBurstLimit: props.api.throttleBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(jsonTemplate(ACCESS_LOG_FIELDS)),
        // Execution logs at ERROR name what failed (authorization, integration, throttling)
        // without request or response bodies; data tracing would copy payloads into logs.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        metricsEnabled: true,
        tracingEnabled: props.tracing,
      },
      defaultMethodOptions: {
        authorizationType: iamAuth ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE,
        apiKeyRequired: !iamAuth,
      },
      disableExecuteApiEndpoint: false,
    });
    // The access log format is JSON once API Gateway substitutes it, but not before:
    // $context.error.messageString stands unquoted because it brings its own quotes.
    acknowledge(
      this.api.deploymentStage,
      'Serverless-APIGWStructuredLogging',
      'The access log is JSON: every line parses once API Gateway substitutes $context variables; the template alone does not, because $context.error.messageString ("the quoted value of $context.error.message") stands unquoted so a message with quotes or newlines cannot break the line.',
    );
    this.addJsonGatewayResponses();
    this.executionLogGroup = this.createExecutionLogGroup(props);

    // Bodies are validated by the prediction handler, not by a gateway model: a bad request is
    // then answered in the handler's JSON shape and recorded in the table like every other
    // request (a gateway refusal would reach only the access log), and the local pipeline
    // behaves exactly the same. Parameters are checked here.
    const validateParams = this.api.addRequestValidator('ParameterValidator', { validateRequestParameters: true });
    acknowledge(
      this.api,
      'AwsSolutions-APIG2',
      'POST /predict bodies are validated by the handler so that every refused request is recorded in the inference table with its request id and error (the audit record of predictions); a gateway body model would refuse some unrecorded. Path parameters are validated by the gateway.',
    );
    const predict = new apigateway.LambdaIntegration(this.predictFunction.function, { allowTestInvoke: false });
    const read = new apigateway.LambdaIntegration(this.readFunction.function, { allowTestInvoke: false });

    this.api.root.addResource('predict').addMethod('POST', predict);
    const inferences = this.api.root.addResource('inferences');
    inferences.addMethod('GET', read);
    inferences.addResource('{id}').addMethod('GET', read, {
      requestValidator: validateParams,
      requestParameters: { 'method.request.path.id': true },
    });
    this.api.root.addResource('models').addMethod('GET', read);

    if (!iamAuth) this.apiKey = this.addUsagePlan(props);
    this.acknowledgeAuthorization(iamAuth);

    if (props.api.waf.enabled) {
      this.firewall = new ApiFirewall(this, 'Firewall', {
        stage: this.api.deploymentStage,
        name: `${prefix}-api`,
        rateLimitPer5Min: props.api.waf.rateLimitPer5Min,
        logRetentionDays: props.logRetentionDays,
      });
    } else {
      acknowledge(
        this.api.deploymentStage,
        'AwsSolutions-APIG3',
        `No WAF web ACL in stage ${props.stage} (api.waf.enabled=false): every route requires ${iamAuth ? 'a SigV4 signature' : 'an API key'}, the stage throttles at ${props.api.throttleRateLimit} requests per second, and the gateway validates request shapes; set api.waf.enabled=true for per-IP rate limiting and AWS managed rules.`,
      );
    }
    if (!props.tracing) {
      acknowledge(
        this.api.deploymentStage,
        'Serverless-APIGWXrayEnabled',
        'X-Ray tracing is off for this stage by configuration (monitoring.tracing=false); the access log still records every request with its id, status and latencies.',
      );
    }
    // The account-level role API Gateway uses to write logs, shared by every REST API of the
    // account and region: AWS's managed policy is the documented one, and scoping it to this
    // stage's log groups would cut off the other APIs' logs.
    const cloudWatchRole = this.api.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      acknowledge(
        cloudWatchRole,
        'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        "API Gateway writes every REST API's logs in this account and region with one account-level role (AWS::ApiGateway::Account); AmazonAPIGatewayPushToCloudWatchLogs is its documented policy, and narrowing it to this stage would break the logs of the account's other APIs.",
      );
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the inference API' });
    new CfnOutput(this, 'Region', { value: this.region, description: 'Region of the API (SigV4 signing)' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'Metadata table' });
    new CfnOutput(this, 'EndpointName', { value: props.endpoint.endpointName, description: 'SageMaker endpoint' });
    new CfnOutput(this, 'PredictFunctionName', { value: this.predictFunction.function.functionName });
    if (this.apiKey)
      new CfnOutput(this, 'ApiKeyId', { value: this.apiKey.keyId, description: 'aws apigateway get-api-key --include-value --api-key ID' });
  }

  private createPredictFunction(props: ApiStackProps): PipelineFunction {
    const { functions, records, model, api } = props;
    const fn = new PipelineFunction(this, 'PredictFunction', {
      entry: 'predict',
      functionName: `${props.prefix}-predict`,
      description: `Runs a prediction on ${props.endpoint.endpointName} and records it`,
      serviceName: 'inference-predict',
      memorySizeMiB: functions.memorySizeMiB,
      timeoutSec: functions.timeoutSec,
      reservedConcurrency: functions.reservedConcurrency,
      logRetentionDays: props.logRetentionDays,
      tracing: props.tracing,
      placement: props.functionPlacement,
      environment: {
        [PREDICT_ENV.tableName]: props.table.tableName,
        [PREDICT_ENV.endpointName]: props.endpoint.endpointName,
        [PREDICT_ENV.modelName]: model.name,
        [PREDICT_ENV.modelVersion]: model.version,
        [PREDICT_ENV.contentType]: model.contentType,
        [PREDICT_ENV.featureCount]: String(model.featureCount),
        [PREDICT_ENV.maxRequestBytes]: String(api.maxRequestBytes),
        [PREDICT_ENV.invokeTimeoutMs]: String(functions.invokeTimeoutMs),
        [PREDICT_ENV.maxAttempts]: String(functions.maxAttempts),
        [PREDICT_ENV.payloadMode]: records.payloadMode,
        [PREDICT_ENV.overflow]: records.overflow,
        [PREDICT_ENV.maxInlineBytes]: String(records.maxInlineBytes),
        [PREDICT_ENV.payloadBucket]: props.payloadBucket.bucketName,
        [PREDICT_ENV.ttlDays]: String(records.ttlDays),
        [PREDICT_ENV.idempotencyWindowSec]: String(records.idempotencyWindowSec),
        [PREDICT_ENV.indexShards]: String(records.shards),
      },
    });
    const role = fn.function;
    role.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'InvokeThisEndpoint',
        actions: ['sagemaker:InvokeEndpoint'],
        resources: [props.endpoint.endpointArn],
      }),
    );
    // Add records, never overwrite or read them: the condition on PutItem enforces it in code,
    // and no Update/Delete/Get action is granted outside the idempotency partitions.
    role.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'AddRecords',
        actions: ['dynamodb:PutItem'],
        resources: [props.table.tableArn],
      }),
    );
    // Idempotency keys: read back a stored answer and mark it complete, in their own partitions only.
    role.addToRolePolicy(
      new iam.PolicyStatement({
        sid: 'IdempotencyKeys',
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
        resources: [props.table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${IDEMPOTENCY_PREFIX}*`] } },
      }),
    );
    const services = records.overflow === 's3' ? ['dynamodb', 's3'] : ['dynamodb'];
    if (props.table.encryptionKey)
      grantKeyThroughServices(props.table.encryptionKey, role, 'encrypt-decrypt', services, 'UseDataKeyThroughDynamoDbAndS3');
    if (records.overflow === 's3') {
      // The bucket's ARN through a named stack output (the weak reference CDK would create), so
      // the statement, and the finding acknowledged below, read the same before and after synthesis.
      const bucketArn = readFromStack(this, Stack.of(props.payloadBucket), 'PayloadBucketArn', props.payloadBucket.bucketArn);
      const payloads = `${bucketArn}/${PAYLOAD_KEY_PREFIX}*`;
      role.addToRolePolicy(new iam.PolicyStatement({ sid: 'WritePayloads', actions: ['s3:PutObject'], resources: [payloads] }));
      acknowledge(
        fn.role,
        wildcardResourceFinding(fn.role, payloads),
        `Payload objects are keyed ${PAYLOAD_KEY_PREFIX}<day>/<request id>/, unknown until a request arrives; the grant is PutObject only (no read, list or delete), under that prefix.`,
      );
    }
    acknowledge(role, 'Serverless-LambdaDLQ', SYNCHRONOUS_NO_DLQ);
    return fn;
  }

  /** API Gateway's own errors (auth, throttling, bad parameters) in the handler's JSON shape. */
  private addJsonGatewayResponses(): void {
    const template = jsonTemplate({
      error: '$context.error.responseType',
      message: '$context.error.messageString',
      requestId: '$context.requestId',
    });
    for (const [id, type] of [
      ['Default4xx', apigateway.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigateway.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.api.addGatewayResponse(id, {
        type,
        templates: { 'application/json': template },
      });
    }
  }

  /**
   * API Gateway creates `API-Gateway-Execution-Logs_<api id>/<stage>` on first use with no
   * retention; creating it first keeps its logs only as long as the stage's other logs.
   */
  private createExecutionLogGroup(props: ApiStackProps): logs.LogGroup {
    const group = new logs.LogGroup(this, 'ExecutionLogGroup', {
      logGroupName: `API-Gateway-Execution-Logs_${this.api.restApiId}/${props.stage}`,
      retention: retentionDays(props.logRetentionDays),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.api.deploymentStage.node.addDependency(group);
    return group;
  }

  /**
   * cdk-nag asks for Cognito user pools (COG4) and, for key-only methods, an authorizer (APIG4).
   * This API authorizes callers with IAM, or in api-key mode meters them with keys by choice.
   */
  private acknowledgeAuthorization(iamAuth: boolean): void {
    for (const method of this.api.methods) {
      if (iamAuth) {
        acknowledge(
          method,
          'AwsSolutions-COG4',
          'Callers are IAM principals that sign with SigV4 (AuthorizationType AWS_IAM, checked by API Gateway before the function runs); the API serves services and operators, not end users, so a Cognito user pool would add a second identity store and no check.',
        );
      } else {
        const reason =
          'api.authorization=api-key is an explicit opt-in for clients that cannot sign with SigV4: every method requires a usage-plan API key (ApiKeyRequired), which identifies, throttles and meters each client and which the responder runbook can disable; stages that need caller identity use the default, IAM.';
        acknowledge(method, 'AwsSolutions-COG4', reason);
        acknowledge(method, 'AwsSolutions-APIG4', reason);
      }
    }
  }

  private addUsagePlan(props: ApiStackProps): apigateway.IApiKey {
    const { prefix, api } = props;
    const key = this.api.addApiKey('ApiKey', { apiKeyName: `${prefix}-client` });
    const plan = this.api.addUsagePlan('UsagePlan', {
      name: `${prefix}-plan`,
      throttle: { rateLimit: api.throttleRateLimit, burstLimit: api.throttleBurstLimit },
      quota: api.apiKeyQuotaPerDay > 0 ? { limit: api.apiKeyQuotaPerDay, period: apigateway.Period.DAY } : undefined,
    });
    plan.addApiKey(key);
    plan.addApiStage({ stage: this.api.deploymentStage });
    return key;
  }
}
