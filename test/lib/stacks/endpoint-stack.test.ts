import { Match } from 'aws-cdk-lib/assertions';
import { actionsOf, statementsOfRole, synthStage } from '../../harness/synth';
import { DEPLOYED_PROD_ENDPOINT } from '../../harness/deployed-endpoint';

const ENDPOINT_ROLE = 'ModelEndpointExecutionRole';

describe('SageMaker endpoint, dev (serverless)', () => {
  const { endpoint: t } = synthStage('dev');

  test('has a stable name; model and endpoint config are unnamed so a new version replaces them', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', { EndpointName: 'inference-dev-iris-classifier' });
    const model = Object.values(t.findResources('AWS::SageMaker::Model'))[0];
    const config = Object.values(t.findResources('AWS::SageMaker::EndpointConfig'))[0];
    expect(model.Properties.ModelName).toBeUndefined();
    expect(config.Properties.EndpointConfigName).toBeUndefined();
  });

  test('serves the project model: its image asset, its artifact, its version', () => {
    t.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: { 'Fn::Sub': Match.stringLikeRegexp('cdk-hnb659fds-container-assets-.*:[a-f0-9]{64}$') },
        ModelDataUrl: { 'Fn::Sub': Match.stringLikeRegexp('^s3://cdk-hnb659fds-assets-.*/[a-f0-9]{64}\\.gz$') },
        Environment: { MODEL_VERSION: '1.0.0' },
      },
      EnableNetworkIsolation: false,
    });
  });

  test('uses serverless capacity with the configured memory and concurrency, no KMS key, no data capture', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          InitialVariantWeight: 1,
          ModelName: Match.anyValue(),
          ServerlessConfig: { MemorySizeInMB: 2048, MaxConcurrency: 5 },
        },
      ],
      KmsKeyId: Match.absent(),
      DataCaptureConfig: Match.absent(),
    });
    t.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });

  test('creates the container log group before the endpoint, with retention', () => {
    t.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: '/aws/sagemaker/Endpoints/inference-dev-iris-classifier',
      RetentionInDays: 7,
    });
    const endpoint = Object.values(t.findResources('AWS::SageMaker::Endpoint'))[0];
    expect(endpoint.DependsOn).toEqual(expect.arrayContaining([expect.stringMatching(/^ModelEndpointLogGroup/)]));
  });

  test('the execution role can read only its artifact, pull only its image and write only its log group', () => {
    const statements = statementsOfRole(t, ENDPOINT_ROLE);
    const logs = statements.find((s) => actionsOf(s).includes('logs:PutLogEvents'))!;
    // Both ARN forms of the one log group (GetAtt Arn ends in ':*', covering its streams).
    expect(logs.Resource).toEqual([
      { 'Fn::GetAtt': [expect.stringMatching(/^ModelEndpointLogGroup/), 'Arn'] },
      { 'Fn::Join': ['', expect.arrayContaining([':log-group:', { Ref: expect.stringMatching(/^ModelEndpointLogGroup/) }])] },
    ]);
    const pull = statements.find((s) => actionsOf(s).includes('ecr:BatchGetImage'))!;
    expect(pull.Resource['Fn::Join'][1]).toEqual(
      expect.arrayContaining([':repository/', { 'Fn::Sub': expect.stringMatching(/^cdk-hnb659fds-container-assets-/) }]),
    );
    // The one artifact object: no listing, no other asset of the bootstrap bucket.
    const read = statements.find((s) => actionsOf(s).includes('s3:GetObject'))!;
    expect(actionsOf(read)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(read.Resource)).toMatch(/cdk-hnb659fds-assets-.*\/[a-f0-9]{64}\.gz/);
    // Only actions that have no resource-level permissions may use '*', each with a reason.
    const wildcards = statements
      .filter((s) => s.Resource === '*')
      .flatMap(actionsOf)
      .sort();
    expect(wildcards).toEqual(['cloudwatch:PutMetricData', 'ecr:GetAuthorizationToken']);
    expect(statements.find((s) => actionsOf(s).includes('cloudwatch:PutMetricData'))!.Condition).toEqual({
      StringEquals: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints', 'AWS/SageMaker'] },
    });
    expect(statements.flatMap(actionsOf).some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
  });

  test('records each deployment from the stack, with a recorder limited to the deployment partition', () => {
    t.hasResourceProperties('Custom::ModelDeployment', {
      Stage: 'dev',
      ModelName: 'iris-classifier',
      ModelVersion: '1.0.0',
      EndpointName: 'inference-dev-iris-classifier',
      EndpointConfigName: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ModelEndpointEndpointConfig'), 'EndpointConfigName'] },
      Capacity: JSON.stringify({ mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 }),
    });
    const put = statementsOfRole(t, 'DeploymentRecorder').find((s) => actionsOf(s).includes('dynamodb:PutItem'))!;
    expect(actionsOf(put)).toEqual(['dynamodb:PutItem']);
    expect(put.Condition).toEqual({ 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['DEPLOYMENT'] } });
  });

  test('a dev deployment goes all at once without rollback alarms', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: { TrafficRoutingConfiguration: { Type: 'ALL_AT_ONCE' } },
        AutoRollbackConfiguration: Match.absent(),
      },
    });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
  });
});

describe('SageMaker endpoint, prod (instances)', () => {
  const { endpoint: t } = synthStage('prod');

  test('runs at least two instances, encrypted with the stage key, network-isolated', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      ProductionVariants: [Match.objectLike({ VariantName: 'AllTraffic', InstanceType: 'ml.m5.large', InitialInstanceCount: 2 })],
      KmsKeyId: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('DataKey') }) },
    });
    t.hasResourceProperties('AWS::SageMaker::Model', { EnableNetworkIsolation: true });
  });

  test('captures inputs and outputs to an encrypted bucket at the sampling rate', () => {
    t.hasResourceProperties('AWS::SageMaker::EndpointConfig', {
      DataCaptureConfig: {
        EnableCapture: true,
        InitialSamplingPercentage: 10,
        DestinationS3Uri: { 'Fn::Join': ['', ['s3://', { Ref: Match.stringLikeRegexp('^DataCaptureBucket') }, '/datacapture']] },
        KmsKeyId: { 'Fn::GetStackOutput': Match.objectLike({ OutputName: Match.stringLikeRegexp('DataKey') }) },
        CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
      },
    });
    t.hasResourceProperties('AWS::S3::Bucket', {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          Match.objectLike({ ServerSideEncryptionByDefault: Match.objectLike({ SSEAlgorithm: 'aws:kms' }) }),
        ],
      },
    });
  });

  test('autoscales on invocations per instance between the configured bounds', () => {
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/inference-prod-iris-classifier/variant/AllTraffic',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 2,
      MaxCapacity: 4,
    });
    t.hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: Match.objectLike({
        PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
        TargetValue: 600,
      }),
    });
  });

  test('deploys new versions by canary and rolls back on the error-rate and latency alarms', () => {
    t.hasResourceProperties('AWS::SageMaker::Endpoint', {
      DeploymentConfig: {
        BlueGreenUpdatePolicy: {
          TrafficRoutingConfiguration: { Type: 'CANARY', CanarySize: { Type: 'CAPACITY_PERCENT', Value: 20 }, WaitIntervalInSeconds: 300 },
          TerminationWaitInSeconds: 600,
        },
        AutoRollbackConfiguration: { Alarms: [{ AlarmName: Match.anyValue() }, { AlarmName: Match.anyValue() }] },
      },
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'inference-prod-iris-classifier-deployment-error-rate',
      Namespace: 'AWS/SageMaker',
      MetricName: 'Invocation5XXErrors',
      Statistic: 'Average',
      Threshold: 0.05,
      Dimensions: [
        { Name: 'EndpointName', Value: 'inference-prod-iris-classifier' },
        { Name: 'VariantName', Value: 'AllTraffic' },
      ],
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'inference-prod-iris-classifier-deployment-model-latency',
      MetricName: 'ModelLatency',
      ExtendedStatistic: 'p99',
      Threshold: 2_000_000, // microseconds
    });
  });

  test('scales down outside working hours when configured', () => {
    const { endpoint } = synthStage('prod', {
      'endpoint.capacity.offHours': JSON.stringify({
        scaleDownCron: 'cron(0 20 ? * MON-FRI *)',
        scaleUpCron: 'cron(0 6 ? * MON-FRI *)',
        minInstanceCount: 1,
      }),
      // One instance at night rules out a canary (validate.ts trafficRoutingProblems).
      'endpoint.deployment.type': 'all-at-once',
    });
    endpoint.hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      ScheduledActions: [
        {
          ScheduledActionName: 'ScaleDownOffHours',
          Schedule: 'cron(0 20 ? * MON-FRI *)',
          ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 1 },
        },
        {
          ScheduledActionName: 'ScaleUpWorkingHours',
          Schedule: 'cron(0 6 ? * MON-FRI *)',
          ScalableTargetAction: { MinCapacity: 2, MaxCapacity: 4 },
        },
      ],
    });
  });

  test('instance types with local NVMe storage get no KMS key (SageMaker encrypts them itself)', () => {
    const { endpoint } = synthStage('prod', { 'endpoint.capacity.instanceType': 'ml.g4dn.xlarge' });
    endpoint.hasResourceProperties('AWS::SageMaker::EndpointConfig', { KmsKeyId: Match.absent() });
  });
});

describe('model updates and other models', () => {
  test('a new model version keeps the endpoint (same logical id and name) and changes the model', () => {
    const v1 = synthStage('dev').endpoint.toJSON();
    const v2 = synthStage('dev', { 'model.version': '1.1.0' }).endpoint.toJSON();
    const ofType = (t: any, type: string) => Object.entries(t.Resources).filter(([, r]: any) => r.Type === type);
    const [[id1, ep1]] = ofType(v1, 'AWS::SageMaker::Endpoint') as any;
    const [[id2, ep2]] = ofType(v2, 'AWS::SageMaker::Endpoint') as any;
    expect(id2).toBe(id1);
    expect(ep2.Properties.EndpointName).toBe(ep1.Properties.EndpointName);
    const [[, m2]] = ofType(v2, 'AWS::SageMaker::Model') as any;
    expect(m2.Properties.PrimaryContainer.Environment.MODEL_VERSION).toBe('1.1.0');
  });

  test('an AWS prebuilt image in another account is pullable: the role may pull exactly that repository', () => {
    const { endpoint } = synthStage('dev', {
      'model.imageUri': '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310',
      'model.modelDataUrl': 's3://my-models/iris/model.tar.gz',
      'model.environment': JSON.stringify({ SAGEMAKER_PROGRAM: 'inference.py' }),
    });
    endpoint.hasResourceProperties('AWS::SageMaker::Model', {
      PrimaryContainer: {
        Image: '763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-inference:2.1.0-cpu-py310',
        ModelDataUrl: 's3://my-models/iris/model.tar.gz',
        Environment: { SAGEMAKER_PROGRAM: 'inference.py', MODEL_VERSION: '1.0.0' },
      },
    });
    const statements = statementsOfRole(endpoint, ENDPOINT_ROLE);
    const pull = statements.find((s) => actionsOf(s).includes('ecr:BatchGetImage'))!;
    expect(JSON.stringify(pull.Resource)).toContain(':ecr:us-east-1:763104351884:repository/pytorch-inference');
    const read = statements.find((s) => actionsOf(s).includes('s3:GetObject'))!;
    expect(actionsOf(read)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(read.Resource)).toContain(':s3:::my-models/iris/model.tar.gz');
    endpoint.resourceCountIs('AWS::ECR::Repository', 0);
  });
});

describe('what a real account would refuse or get wrong', () => {
  const prod = synthStage('prod').endpoint;
  const dev = synthStage('dev').endpoint;

  test('the deployment record times out in minutes, not the default hour', () => {
    // ServiceTimeout: "The value must be an integer from 1 to 3600. The default value is 3600
    // seconds (1 hour)." (AWS::CloudFormation::CustomResource,
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html)
    for (const t of [dev, prod]) {
      const [record] = Object.values(t.findResources('Custom::ModelDeployment'));
      const timeout = Number(record.Properties.ServiceTimeout);
      expect(Number.isInteger(timeout)).toBe(true);
      expect(timeout).toBeGreaterThanOrEqual(60);
      expect(timeout).toBeLessThanOrEqual(600);
      // Longer than the recorder may run, so a slow but live answer is never cut off.
      const [fn] = Object.values(
        t.findResources('AWS::Lambda::Function', { Properties: { FunctionName: Match.stringLikeRegexp('record-deployment$') } }),
      );
      expect(timeout).toBeGreaterThan(fn.Properties.Timeout);
    }
  });

  test('the execution role may describe exactly the rollback alarms', () => {
    // "Ensure that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms
    // action on the auto-rollback alarms you specify." (Auto-Rollback Configuration and Monitoring,
    // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)
    const describe = statementsOfRole(prod, ENDPOINT_ROLE).filter((s) => actionsOf(s).includes('cloudwatch:DescribeAlarms'));
    expect(describe).toHaveLength(1);
    expect(actionsOf(describe[0])).toEqual(['cloudwatch:DescribeAlarms']);
    const alarms = Object.keys(prod.findResources('AWS::CloudWatch::Alarm'))
      .filter((id) => id.includes('Rollback'))
      .sort();
    expect(alarms).toHaveLength(2);
    expect(describe[0].Resource.map((r: any) => r['Fn::GetAtt'][0]).sort()).toEqual(alarms);
    expect(describe[0].Resource.map((r: any) => r['Fn::GetAtt'][1])).toEqual(['Arn', 'Arn']);
    // Without auto-rollback there are no alarms to read.
    expect(statementsOfRole(dev, ENDPOINT_ROLE).flatMap(actionsOf)).not.toContain('cloudwatch:DescribeAlarms');
  });

  test('a model update keeps the autoscaled instance count; data capture still follows the new config', () => {
    // RetainAllVariantProperties "The default is false": the variant would go back to its
    // InitialInstanceCount on every update (UpdateEndpoint,
    // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html; "Update
    // endpoints that use auto scaling", https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
    prod.hasResourceProperties('AWS::SageMaker::Endpoint', {
      RetainAllVariantProperties: true,
      ExcludeRetainedVariantProperties: [{ VariantPropertyType: 'DataCaptureConfig' }],
    });
    // Serverless and fixed-size variants have no scaled count to keep: the config's count applies.
    dev.hasResourceProperties('AWS::SageMaker::Endpoint', { RetainAllVariantProperties: Match.absent() });
    const fixed = synthStage('prod', { 'endpoint.capacity.maxInstanceCount': 2 }).endpoint;
    fixed.hasResourceProperties('AWS::SageMaker::Endpoint', { RetainAllVariantProperties: Match.absent() });
    fixed.resourceCountIs('AWS::ApplicationAutoScaling::ScalableTarget', 0);
  });
});

test('records what it leaves running in the DeployedEndpoint output, the shape endpoint.previous takes', () => {
  const { endpoint } = synthStage('prod');
  const output = endpoint.findOutputs('DeployedEndpoint').DeployedEndpoint;
  expect(JSON.parse(output.Value)).toEqual(DEPLOYED_PROD_ENDPOINT);
});
