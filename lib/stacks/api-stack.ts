import { CfnOutput, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { StageConfig, resourcePrefix } from '../config/stage-config';
import { PipelineFunction } from '../constructs/pipeline-function';
import { PREDICT_ENV, READ_ENV } from '../../lambda/shared/contract';
import { IDEMPOTENCY_PREFIX, INDEXES } from '../../lambda/shared/table-design';

export interface ApiStackProps extends StackProps {
  readonly config: StageConfig;
  readonly table: dynamodb.ITable;
  readonly payloadBucket: s3.IBucket;
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
  errorMessage: '$context.error.message',
  errorType: '$context.error.responseType',
} as const;

/**
 * The front door: a REST API (IAM-signed by default) in front of two functions — the
 * prediction function, which may only invoke this endpoint and add records, and the read
 * function, which may only read records.
 */
export class ApiStack extends Stack {
  readonly api: apigateway.RestApi;
  readonly predictFunction: PipelineFunction;
  readonly readFunction: PipelineFunction;
  readonly accessLogGroup: logs.LogGroup;
  readonly apiKey?: apigateway.IApiKey;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { config, table } = props;
    const prefix = resourcePrefix(config);

    this.predictFunction = this.createPredictFunction(config, props);
    this.readFunction = new PipelineFunction(this, 'ReadFunction', {
      entry: 'read',
      functionName: `${prefix}-read`,
      description: 'Reads inference records and model deployments',
      serviceName: 'inference-read',
      environment: { [READ_ENV.tableName]: table.tableName },
      memorySizeMiB: 512,
      timeoutSec: 10,
      logRetentionDays: config.logRetentionDays,
    });
    this.readFunction.function.addToRolePolicy(new iam.PolicyStatement({
      sid: 'ReadRecords',
      actions: ['dynamodb:GetItem', 'dynamodb:Query'],
      resources: [table.tableArn, ...Object.values(INDEXES).map((i) => `${table.tableArn}/index/${i.name}`)],
    }));
    table.encryptionKey?.grantDecrypt(this.readFunction.function);

    this.accessLogGroup = new logs.LogGroup(this, 'AccessLogGroup', {
      logGroupName: `/aws/apigateway/${prefix}-api/access`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const iamAuth = config.api.authorization === 'iam';
    this.api = new apigateway.RestApi(this, 'Api', {
      restApiName: `${prefix}-api`,
      description: `Inference API of ${prefix}`,
      endpointTypes: [apigateway.EndpointType.REGIONAL],
      // Access logging needs the account-level CloudWatch role; kept on delete because
      // it is shared by every API in the account and region.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: config.stage,
        throttlingRateLimit: config.api.throttleRateLimit,
        throttlingBurstLimit: config.api.throttleBurstLimit,
        accessLogDestination: new apigateway.LogGroupLogDestination(this.accessLogGroup),
        accessLogFormat: apigateway.AccessLogFormat.custom(JSON.stringify(ACCESS_LOG_FIELDS)),
        // Execution logs would duplicate payloads into logs; metrics are enough.
        loggingLevel: apigateway.MethodLoggingLevel.OFF,
        metricsEnabled: true,
      },
      defaultMethodOptions: {
        authorizationType: iamAuth ? apigateway.AuthorizationType.IAM : apigateway.AuthorizationType.NONE,
        apiKeyRequired: !iamAuth,
      },
      disableExecuteApiEndpoint: false,
    });
    this.addJsonGatewayResponses();

    // Bodies are validated by the prediction handler, so a bad request is answered and
    // recorded the same way here and in the local pipeline; parameters are checked here.
    const validateParams = this.api.addRequestValidator('ParameterValidator', { validateRequestParameters: true });
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

    if (!iamAuth) this.apiKey = this.addUsagePlan(config);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the inference API' });
    new CfnOutput(this, 'Region', { value: this.region, description: 'Region of the API (SigV4 signing)' });
    new CfnOutput(this, 'TableName', { value: table.tableName, description: 'Metadata table' });
    new CfnOutput(this, 'EndpointName', { value: props.endpointName, description: 'SageMaker endpoint' });
    new CfnOutput(this, 'PredictFunctionName', { value: this.predictFunction.function.functionName });
    if (this.apiKey) new CfnOutput(this, 'ApiKeyId', { value: this.apiKey.keyId, description: 'aws apigateway get-api-key --include-value --api-key ID' });
  }

  private createPredictFunction(config: StageConfig, props: ApiStackProps): PipelineFunction {
    const { functions, records, model, api } = config;
    const fn = new PipelineFunction(this, 'PredictFunction', {
      entry: 'predict',
      functionName: `${resourcePrefix(config)}-predict`,
      description: `Runs a prediction on ${props.endpointName} and records it`,
      serviceName: 'inference-predict',
      memorySizeMiB: functions.memorySizeMiB,
      timeoutSec: functions.timeoutSec,
      reservedConcurrency: functions.reservedConcurrency,
      logRetentionDays: config.logRetentionDays,
      environment: {
        [PREDICT_ENV.tableName]: props.table.tableName,
        [PREDICT_ENV.endpointName]: props.endpointName,
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
      },
    });
    const role = fn.function;
    role.addToRolePolicy(new iam.PolicyStatement({
      sid: 'InvokeThisEndpoint',
      actions: ['sagemaker:InvokeEndpoint'],
      resources: [props.endpointArn],
    }));
    // Add records, never overwrite or read them: the condition on PutItem enforces it in code,
    // and no Update/Delete/Get action is granted outside the idempotency partitions.
    role.addToRolePolicy(new iam.PolicyStatement({
      sid: 'AddRecords',
      actions: ['dynamodb:PutItem'],
      resources: [props.table.tableArn],
    }));
    // Idempotency keys: read back a stored answer and mark it complete, in their own partitions only.
    role.addToRolePolicy(new iam.PolicyStatement({
      sid: 'IdempotencyKeys',
      actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
      resources: [props.table.tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${IDEMPOTENCY_PREFIX}*`] } },
    }));
    props.table.encryptionKey?.grantEncryptDecrypt(role);
    if (records.overflow === 's3') props.payloadBucket.grantPut(role, 'payloads/*');
    return fn;
  }

  /** API Gateway's own errors (auth, throttling, bad parameters) in the handler's JSON shape. */
  private addJsonGatewayResponses(): void {
    const template = JSON.stringify({ error: '$context.error.responseType', message: '$context.error.message', requestId: '$context.requestId' });
    for (const [id, type] of [['Default4xx', apigateway.ResponseType.DEFAULT_4XX], ['Default5xx', apigateway.ResponseType.DEFAULT_5XX]] as const) {
      this.api.addGatewayResponse(id, {
        type,
        templates: { 'application/json': template },
      });
    }
  }

  private addUsagePlan(config: StageConfig): apigateway.IApiKey {
    const prefix = resourcePrefix(config);
    const key = this.api.addApiKey('ApiKey', { apiKeyName: `${prefix}-client` });
    const plan = this.api.addUsagePlan('UsagePlan', {
      name: `${prefix}-plan`,
      throttle: { rateLimit: config.api.throttleRateLimit, burstLimit: config.api.throttleBurstLimit },
      quota: config.api.apiKeyQuotaPerDay > 0 ? { limit: config.api.apiKeyQuotaPerDay, period: apigateway.Period.DAY } : undefined,
    });
    plan.addApiKey(key);
    plan.addApiStage({ stage: this.api.deploymentStage });
    return key;
  }
}
