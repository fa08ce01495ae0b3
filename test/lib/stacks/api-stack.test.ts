import { Match } from 'aws-cdk-lib/assertions';
import { PREDICT_ENV } from '../../../contract/handlers';
import { actionsOf, policyStatements, statementsOfRole, synthStage } from '../../harness/synth';

describe('API stack, dev', () => {
  const { api: t } = synthStage('dev');

  test('functions run Node.js 22 on arm64 with JSON logs into their own log groups', () => {
    for (const name of ['inference-dev-predict', 'inference-dev-read']) {
      t.hasResourceProperties('AWS::Lambda::Function', {
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'INFO', LogGroup: { Ref: Match.anyValue() } },
      });
      t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/lambda/${name}`, RetentionInDays: 7 });
    }
  });

  test('timeouts nest: SDK attempts < Lambda timeout < API Gateway 29 s', () => {
    const fn = Object.values(t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: 'inference-dev-predict' } }))[0];
    const env = fn.Properties.Environment.Variables;
    const sdkBudgetMs = Number(env[PREDICT_ENV.invokeTimeoutMs]) * Number(env[PREDICT_ENV.maxAttempts]);
    expect(sdkBudgetMs).toBeLessThan(fn.Properties.Timeout * 1000);
    expect(fn.Properties.Timeout).toBeLessThan(29);
  });

  test('the prediction function gets the model, endpoint and record settings', () => {
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'inference-dev-predict',
      MemorySize: 1024,
      Timeout: 18,
      Environment: {
        Variables: Match.objectLike({
          ENDPOINT_NAME: 'inference-dev-iris-classifier',
          MODEL_NAME: 'iris-classifier',
          MODEL_VERSION: '1.0.0',
          MODEL_FEATURE_COUNT: '4',
          PAYLOAD_MODE: 'full',
          RECORD_TTL_DAYS: '7',
          POWERTOOLS_SERVICE_NAME: 'inference-predict',
          POWERTOOLS_METRICS_NAMESPACE: 'InferencePipeline',
          TABLE_NAME: { 'Fn::GetStackOutput': Match.anyValue() },
        }),
      },
    });
  });

  test('prediction may invoke only this endpoint, add records and put payload objects', () => {
    const statements = statementsOfRole(t, 'PredictFunction');
    const invoke = statements.find((s) => actionsOf(s).includes('sagemaker:InvokeEndpoint'))!;
    expect(actionsOf(invoke)).toEqual(['sagemaker:InvokeEndpoint']);
    expect(JSON.stringify(invoke.Resource)).toContain(':endpoint/inference-dev-iris-classifier');
    const put = statements.find((s) => actionsOf(s).includes('dynamodb:PutItem'))!;
    expect(actionsOf(put)).toEqual(['dynamodb:PutItem']);
    expect(put.Resource).toEqual({
      'Fn::GetStackOutput': expect.objectContaining({ OutputName: expect.stringContaining('InferenceTable') }),
    });
    const s3 = statements.find((s) => actionsOf(s).some((a) => a.startsWith('s3:')))!;
    expect(actionsOf(s3).every((a) => a.startsWith('s3:PutObject') || a === 's3:Abort*')).toBe(true);
    expect(JSON.stringify(s3.Resource)).toContain('/payloads/*');
    const idempotency = statements.find((s) => s.Sid === 'IdempotencyKeys')!;
    expect(actionsOf(idempotency).sort()).toEqual(['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:UpdateItem']);
    expect(idempotency.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['IDEMPOTENCY#*'] } });
    // Outside the idempotency partitions the function can only add items.
    const unconditioned = statements.filter((s) => !s.Condition).flatMap(actionsOf);
    expect(unconditioned.filter((a) => a.startsWith('dynamodb:'))).toEqual(['dynamodb:PutItem']);
    const all = statements.flatMap(actionsOf);
    expect(all.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
  });

  test('reads may only get and query the table and its indexes', () => {
    const statements = statementsOfRole(t, 'ReadFunction');
    const read = statements.find((s) => actionsOf(s).includes('dynamodb:Query'))!;
    expect(actionsOf(read)).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
    expect(JSON.stringify(read.Resource)).toContain('/index/byModelVersion');
    expect(JSON.stringify(read.Resource)).toContain('/index/byFailure');
    const writes = statements
      .flatMap(actionsOf)
      .filter((a) => /dynamodb:(Put|Update|Delete|BatchWrite)/.test(a) || a.startsWith('sagemaker:'));
    expect(writes).toEqual([]);
  });

  test('no policy in the stack grants a wildcard resource, except X-Ray, which has no resource-level permissions', () => {
    const wildcard = policyStatements(t).filter((s) => s.Resource === '*' || (Array.isArray(s.Resource) && s.Resource.includes('*')));
    expect([...new Set(wildcard.flatMap(actionsOf))].sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
  });

  test('every route requires SigV4 (IAM) by default', () => {
    const methods = Object.values(t.findResources('AWS::ApiGateway::Method'));
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(['GET', 'GET', 'GET', 'POST']);
    for (const m of methods) expect(m.Properties).toMatchObject({ AuthorizationType: 'AWS_IAM', ApiKeyRequired: false });
    t.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
  });

  test('the stage is throttled and writes JSON access logs to a log group with retention', () => {
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'dev',
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 20, ThrottlingBurstLimit: 40, DataTraceEnabled: false, MetricsEnabled: true }),
      ],
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AccessLogGroup'), 'Arn'] },
        Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"'),
      },
    });
    // messageString brings its own quotes: the format is JSON once API Gateway substitutes it.
    const format = JSON.parse(
      Object.values(t.findResources('AWS::ApiGateway::Stage'))[0].Properties.AccessLogSetting.Format.replace(
        '$context.error.messageString',
        '"-"',
      ),
    );
    expect(Object.keys(format)).toEqual(
      expect.arrayContaining(['requestId', 'sourceIp', 'userArn', 'status', 'responseLatency', 'resourcePath']),
    );
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/apigateway/inference-dev-api/access', RetentionInDays: 7 });
  });

  test('the read route validates its path parameter', () => {
    t.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      RequestParameters: { 'method.request.path.id': true },
      RequestValidatorId: { Ref: Match.stringLikeRegexp('ParameterValidator') },
    });
  });

  test('POST /predict bodies reach the handler, which validates and records them: no gateway body model', () => {
    const post = Object.values(t.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'POST' } }))[0];
    expect(post.Properties.RequestModels).toBeUndefined();
    expect(post.Properties.RequestValidatorId).toBeUndefined();
    t.resourceCountIs('AWS::ApiGateway::Model', 0);
  });

  test('execution logs record errors only, never bodies, in a log group with the stage retention; X-Ray traces the stage', () => {
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'ERROR', DataTraceEnabled: false })],
      TracingEnabled: true,
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: { 'Fn::Join': ['', ['API-Gateway-Execution-Logs_', { Ref: Match.stringLikeRegexp('^Api') }, '/dev']] },
      RetentionInDays: 7,
    });
    const stage = Object.values(t.findResources('AWS::ApiGateway::Stage'))[0];
    expect(stage.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ExecutionLogGroup/)]));
  });

  test('function roles carry no managed policy and write only their own log group; functions are traced', () => {
    for (const role of ['PredictFunction', 'ReadFunction']) {
      const [roleResource] = Object.entries(t.findResources('AWS::IAM::Role'))
        .filter(([id]) => id.startsWith(`${role}ServiceRole`))
        .map(([, r]) => r);
      expect(roleResource.Properties.ManagedPolicyArns).toBeUndefined();
      const logs = statementsOfRole(t, role).find((s) => s.Sid === 'WriteOwnLogGroup')!;
      expect(actionsOf(logs)).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      expect(logs.Resource).toEqual({ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^${role}LogGroup`)), 'Arn'] });
    }
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function')))
      expect(fn.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  test('the data key is used only through DynamoDB (and S3 for payloads), with exact actions', () => {
    const kms = (role: string) => statementsOfRole(t, role).filter((s) => actionsOf(s).some((a) => a.startsWith('kms:')));
    const [predict] = kms('PredictFunction');
    expect(actionsOf(predict).sort()).toEqual(['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
    expect(JSON.stringify(predict.Condition.StringEquals['kms:ViaService'])).toMatch(/"dynamodb\.".*"s3\."/);
    const [read] = kms('ReadFunction');
    expect(actionsOf(read)).toEqual(['kms:Decrypt']);
    expect(JSON.stringify(read.Condition.StringEquals['kms:ViaService'])).toContain('"dynamodb."');
  });

  test('API Gateway errors use the handler JSON shape with the request id; the message is messageString, unquoted', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      t.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: {
          'application/json':
            '{"error":"$context.error.responseType","message":$context.error.messageString,"requestId":"$context.requestId"}',
        },
      });
    }
    const stage = Object.values(t.findResources('AWS::ApiGateway::Stage'))[0];
    const format = stage.Properties.AccessLogSetting.Format as string;
    expect(format).toContain('"errorMessage":$context.error.messageString,');
    expect(format).not.toContain('"$context.error.message"');
  });

  test('outputs give a client everything it needs', () => {
    for (const name of ['ApiUrl', 'Region', 'TableName', 'EndpointName']) expect(Object.keys(t.findOutputs(name))).toHaveLength(1);
  });
});

describe('API stack, other settings', () => {
  test('api-key mode requires a key on every route and meters it with a usage plan', () => {
    const { api: t } = synthStage('dev', { 'api.authorization': 'api-key', 'api.apiKeyQuotaPerDay': '5000' });
    for (const m of Object.values(t.findResources('AWS::ApiGateway::Method'))) {
      expect(m.Properties).toMatchObject({ AuthorizationType: 'NONE', ApiKeyRequired: true });
    }
    t.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: { RateLimit: 20, BurstLimit: 40 },
      Quota: { Limit: 5000, Period: 'DAY' },
    });
    t.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
  });

  test('monitoring.tracing=false turns X-Ray off on the stage and the functions, and their X-Ray grants with it', () => {
    const { api: t } = synthStage('dev', { 'monitoring.tracing': 'false' });
    t.hasResourceProperties('AWS::ApiGateway::Stage', { TracingEnabled: false });
    for (const fn of Object.values(t.findResources('AWS::Lambda::Function'))) expect(fn.Properties.TracingConfig).toBeUndefined();
    expect(
      policyStatements(t)
        .flatMap(actionsOf)
        .some((a) => a.startsWith('xray:')),
    ).toBe(false);
  });

  test('prod: hashed payloads, longer retention, higher throttle', () => {
    const { api: t } = synthStage('prod');
    t.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'inference-prod-predict',
      Timeout: 15,
      Environment: { Variables: Match.objectLike({ PAYLOAD_MODE: 'hash', INVOKE_TIMEOUT_MS: '5000', RECORD_TTL_DAYS: '90' }) },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: '/aws/lambda/inference-prod-predict', RetentionInDays: 365 });
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 200, ThrottlingBurstLimit: 400 })],
    });
  });

  test('truncate mode grants no S3 access', () => {
    const { api: t } = synthStage('dev', { 'records.overflow': 'truncate' });
    expect(
      statementsOfRole(t, 'PredictFunction')
        .flatMap(actionsOf)
        .some((a) => a.startsWith('s3:')),
    ).toBe(false);
  });
});
