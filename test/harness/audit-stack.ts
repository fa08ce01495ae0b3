import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { resolveStageConfig } from '../../lib/config/load-config';
import { resourcePrefix } from '../../lib/config/stage-config';
import type { ServedEndpoint } from '../../lib/stacks/api-stack';
import { AuditStack } from '../../lib/stacks/audit-stack';
import { atNodeStackDepth } from './stack-depth';

/** A stand-in for the pipeline's stacks: the resources the audit stack is given. */
export class PipelineFixtureStack extends Stack {
  readonly table: dynamodb.Table;
  readonly fn: lambda.Function;
  readonly bucket: s3.Bucket;
  readonly role: iam.Role;
  readonly api: apigateway.RestApi;
  readonly apiKey: apigateway.IApiKey;
  readonly endpoint: ServedEndpoint;

  constructor(app: App, region: string) {
    super(app, 'PipelineFixture', { env: { account: '111122223333', region } });
    this.table = new dynamodb.Table(this, 'Table', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } });
    this.role = new iam.Role(this, 'PredictRole', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    this.fn = new lambda.Function(this, 'Predict', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({ statusCode: 200 });'),
      role: this.role,
      environment: { ENDPOINT_NAME: 'inference-dev-iris-classifier' },
    });
    this.bucket = new s3.Bucket(this, 'Payloads');
    this.api = new apigateway.RestApi(this, 'Api', { deployOptions: { stageName: 'dev' } });
    this.api.root.addMethod('GET');
    this.apiKey = this.api.addApiKey('Key');
    this.endpoint = {
      endpointName: 'inference-dev-iris-classifier',
      endpointArn: this.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: 'inference-dev-iris-classifier' }),
    };
  }
}

export interface AuditSynth {
  readonly app: App;
  readonly fixture: PipelineFixtureStack;
  readonly stack: AuditStack;
  readonly template: Template;
}

/** The audit stack of a stage, built from the stage's real configuration (plus `-c` style overrides). */
export function synthAudit(stage: string, overrides: Record<string, string> = {}, region = 'eu-west-1'): AuditSynth {
  return atNodeStackDepth(() => {
    const app = new App();
    const config = resolveStageConfig({ stage, ...overrides });
    const fixture = new PipelineFixtureStack(app, region);
    const stack = new AuditStack(app, 'Audit', {
      env: { account: '111122223333', region },
      prefix: resourcePrefix(config),
      stage: config.stage,
      audit: config.audit,
      logRetentionDays: config.logRetentionDays,
      table: fixture.table,
      functions: [fixture.fn],
      buckets: [fixture.bucket],
      roles: [fixture.role],
      restApi: fixture.api,
      apiKeys: [fixture.apiKey],
      endpoint: fixture.endpoint,
    });
    return { app, fixture, stack, template: Template.fromStack(stack) };
  });
}
