import { Arn, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sagemaker from 'aws-cdk-lib/aws-sagemaker';
import { Construct } from 'constructs';
import { acknowledge, wildcardResourceFinding } from '../acknowledge';
import { ModelPlacement } from '../pipeline-network';
import { ModelData } from './model-data';
import { ModelImage } from './model-image';

/** The one variant name: blue/green deployments require the same name across configs. */
export const VARIANT_NAME = 'AllTraffic';

/** Serverless inference: pay per request, scales to zero; no data capture, no VPC. */
export interface ServerlessVariantCapacity {
  readonly mode: 'serverless';
  /** Memory of each serverless worker, 1024 to 6144 in steps of 1024. */
  readonly memorySizeMiB: number;
  /** Concurrent invocations served before throttling. */
  readonly maxConcurrency: number;
  /** Warm workers kept ready; 0 disables provisioned concurrency. */
  readonly provisionedConcurrency: number;
}

/** Instance-based inference, autoscaled on invocations per instance when min < max. */
export interface InstanceVariantCapacity {
  readonly mode: 'instance';
  readonly instanceType: string;
  readonly initialInstanceCount: number;
  readonly minInstanceCount: number;
  readonly maxInstanceCount: number;
  /** Target of `SageMakerVariantInvocationsPerInstance` (invocations per instance per minute). */
  readonly targetInvocationsPerInstance: number;
  /**
   * Scheduled scale-down outside working hours (UTC `cron(...)` expressions).
   * @default - no schedule
   */
  readonly offHours?: { readonly scaleDownCron: string; readonly scaleUpCron: string; readonly minInstanceCount: number };
}

export type VariantCapacity = ServerlessVariantCapacity | InstanceVariantCapacity;

/** Whether the variant is registered with Application Auto Scaling (nothing to scale when min = max). */
export function isAutoScaled(capacity: VariantCapacity): capacity is InstanceVariantCapacity {
  return capacity.mode === 'instance' && (capacity.minInstanceCount < capacity.maxInstanceCount || capacity.offHours !== undefined);
}

/** How a new model version reaches traffic (SageMaker deployment guardrails, blue/green). */
export interface TrafficShift {
  readonly type: 'all-at-once' | 'canary' | 'linear';
  /** Percentage of the fleet's capacity in the canary step or in each linear step. */
  readonly stepPercent: number;
  /** Time the alarms are watched after each step (the baking period for all-at-once). */
  readonly waitInterval: Duration;
  /** Time the old fleet is kept after the full shift, for rollback. */
  readonly terminationWait: Duration;
  /** Roll back when the deployment alarms fire. */
  readonly autoRollback: boolean;
}

export interface ModelEndpointProps {
  /**
   * The endpoint's name. It stays the same across model updates: a new model version
   * replaces the model and the endpoint config, and updates this endpoint in place.
   */
  readonly endpointName: string;
  readonly image: ModelImage;
  readonly modelData: ModelData;
  /** Recorded in the container environment (`MODEL_VERSION`) so each version is a new model. */
  readonly modelVersion: string;
  /** @default - no extra environment */
  readonly environment?: Record<string, string>;
  readonly capacity: VariantCapacity;
  /**
   * Encrypts the instances' ML storage volumes. Ignored for serverless capacity and for
   * instance types with local NVMe storage, which SageMaker encrypts itself.
   * @default - AWS-managed encryption
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Capture inputs and outputs to this bucket (instance capacity only).
   * @default - no data capture
   */
  readonly dataCapture?: { readonly bucket: s3.IBucket; readonly key: kms.IKey; readonly samplingPercent: number };
  /** @default false */
  readonly networkIsolation?: boolean;
  /**
   * Run the model's instances in these private subnets with these security groups (the model's
   * `VpcConfig`); instance capacity only.
   * @default - SageMaker's own network
   */
  readonly placement?: ModelPlacement;
  /** @default - all at once, no rollback */
  readonly deployment?: TrafficShift;
  /** Thresholds of the alarms that roll a deployment back. */
  readonly rollbackThresholds?: { readonly errorRate: number; readonly modelLatencyP99Micros: number };
  /** Retention of `/aws/sagemaker/Endpoints/NAME`. */
  readonly logRetention: logs.RetentionDays;
}

/**
 * The EC2 actions a custom execution role needs for a model with a VpcConfig, exactly as
 * "Give SageMaker AI Hosted Endpoints Access to Resources in Your Amazon VPC" lists them
 * (https://docs.aws.amazon.com/sagemaker/latest/dg/host-vpc.html).
 */
export const VPC_ACTIONS: readonly string[] = [
  'ec2:DescribeVpcEndpoints',
  'ec2:DescribeDhcpOptions',
  'ec2:DescribeVpcs',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DeleteNetworkInterfacePermission',
  'ec2:DeleteNetworkInterface',
  'ec2:CreateNetworkInterfacePermission',
  'ec2:CreateNetworkInterface',
];

/**
 * A SageMaker real-time endpoint serving one model: the model, its endpoint config, the
 * endpoint, an execution role scoped to this model's image, artifact and log group, the
 * container log group, autoscaling for instance capacity, and deployment guardrails.
 */
export class ModelEndpoint extends Construct {
  readonly endpoint: sagemaker.CfnEndpoint;
  readonly endpointName: string;
  readonly endpointArn: string;
  readonly variantName = VARIANT_NAME;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;
  readonly imageUri: string;
  readonly modelDataUrl: string;
  readonly model: sagemaker.CfnModel;
  readonly endpointConfig: sagemaker.CfnEndpointConfig;
  /** The alarms that roll back a deployment; empty when auto-rollback is off. */
  readonly rollbackAlarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: ModelEndpointProps) {
    super(scope, id);
    const stack = Stack.of(this);
    const { capacity } = props;
    if (!/^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$/.test(props.endpointName)) {
      throw new Error(`endpoint name '${props.endpointName}' must be 1 to 63 letters, digits and hyphens`);
    }
    if (props.dataCapture && capacity.mode === 'serverless') {
      throw new Error('data capture is not supported on serverless endpoints');
    }
    if (props.placement && capacity.mode === 'serverless') {
      throw new Error('serverless endpoints cannot run in a vpc; use instance capacity or leave placement unset');
    }
    this.endpointName = props.endpointName;
    this.endpointArn = stack.formatArn({ service: 'sagemaker', resource: 'endpoint', resourceName: props.endpointName.toLowerCase() });

    // SageMaker creates this group on first log; creating it first sets retention and lets
    // metric filters exist before the endpoint does.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `/aws/sagemaker/Endpoints/${props.endpointName}`,
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.role = new iam.Role(this, 'ExecutionRole', {
      assumedBy: new iam.ServicePrincipal('sagemaker.amazonaws.com'),
      description: `Execution role of SageMaker endpoint ${props.endpointName}: pulls its image, reads its artifact, writes its logs`,
    });
    this.logGroup.grant(this.role, 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams');
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EndpointInstanceMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'], // PutMetricData has no resource-level permissions; the namespace condition scopes it.
        conditions: { StringEquals: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints', 'AWS/SageMaker'] } },
      }),
    );
    this.imageUri = props.image.bind(this, this.role);
    this.modelDataUrl = props.modelData.bind(this, this.role);
    if (props.placement) this.grantVpcAccess(props.placement);
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      "Resource '*' only for actions without resource-level permissions: ecr:GetAuthorizationToken (registry login before the scoped image pull), " +
        'cloudwatch:PutMetricData (limited by a cloudwatch:namespace condition to the endpoint namespaces)' +
        (props.placement ? ', and the EC2 Describe calls SageMaker makes before it attaches the instances to the subnets.' : '.'),
    );

    this.model = new sagemaker.CfnModel(this, 'Model', {
      executionRoleArn: this.role.roleArn,
      primaryContainer: {
        image: this.imageUri,
        modelDataUrl: this.modelDataUrl,
        environment: { ...props.environment, MODEL_VERSION: props.modelVersion },
      },
      enableNetworkIsolation: props.networkIsolation ?? false,
      vpcConfig: props.placement
        ? {
            subnets: props.placement.subnets.map((sn) => sn.subnetId),
            securityGroupIds: props.placement.securityGroups.map((sg) => sg.securityGroupId),
          }
        : undefined,
    });
    // CreateModel checks that the role can pull the image: its policy must exist first.
    this.model.node.addDependency(this.role);

    this.endpointConfig = new sagemaker.CfnEndpointConfig(this, 'EndpointConfig', {
      productionVariants: [this.productionVariant(capacity)],
      kmsKeyId: capacity.mode === 'instance' ? props.encryptionKey?.keyArn : undefined,
      dataCaptureConfig: props.dataCapture ? this.dataCaptureConfig(props.dataCapture) : undefined,
    });

    if (props.deployment?.autoRollback) {
      this.rollbackAlarms.push(
        ...this.createRollbackAlarms(props.rollbackThresholds ?? { errorRate: 0.05, modelLatencyP99Micros: 2_000_000 }),
      );
      // "Ensure that your IAM execution role has permission to perform the cloudwatch:DescribeAlarms
      // action on the auto-rollback alarms you specify." (Auto-Rollback Configuration and Monitoring,
      // https://docs.aws.amazon.com/sagemaker/latest/dg/deployment-guardrails-configuration.html)
      this.role.addToPolicy(
        new iam.PolicyStatement({
          sid: 'ReadRollbackAlarms',
          actions: ['cloudwatch:DescribeAlarms'],
          resources: this.rollbackAlarms.map((a) => a.alarmArn),
        }),
      );
    }

    const autoScaled = isAutoScaled(capacity);
    this.endpoint = new sagemaker.CfnEndpoint(this, 'Resource', {
      endpointName: props.endpointName,
      endpointConfigName: this.endpointConfig.attrEndpointConfigName,
      deploymentConfig: props.deployment ? this.deploymentConfig(props.deployment) : undefined,
      // Without this, every model update resets an autoscaled variant to its InitialInstanceCount:
      // "To retain the variant properties of an endpoint when updating it, set
      // RetainAllVariantProperties to true ... The default is false." (UpdateEndpoint,
      // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateEndpoint.html;
      // Update endpoints that use auto scaling, https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html).
      // Data capture always comes from the new config, so turning it on or off takes effect.
      retainAllVariantProperties: autoScaled ? true : undefined,
      excludeRetainedVariantProperties: autoScaled ? [{ variantPropertyType: 'DataCaptureConfig' }] : undefined,
    });
    this.endpoint.node.addDependency(this.logGroup);

    if (autoScaled) this.addAutoScaling(capacity);
  }

  /** A metric of this endpoint's variant in `AWS/SageMaker`. */
  metric(metricName: string, props: cloudwatch.MetricOptions = {}): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: 'AWS/SageMaker',
      metricName,
      dimensionsMap: { EndpointName: this.endpointName, VariantName: this.variantName },
      period: Duration.minutes(1),
      ...props,
    });
  }

  private productionVariant(capacity: VariantCapacity): sagemaker.CfnEndpointConfig.ProductionVariantProperty {
    const common = { variantName: VARIANT_NAME, modelName: this.model.attrModelName, initialVariantWeight: 1 };
    if (capacity.mode === 'serverless') {
      return {
        ...common,
        serverlessConfig: {
          memorySizeInMb: capacity.memorySizeMiB,
          maxConcurrency: capacity.maxConcurrency,
          provisionedConcurrency: capacity.provisionedConcurrency || undefined,
        },
      };
    }
    return { ...common, instanceType: capacity.instanceType, initialInstanceCount: capacity.initialInstanceCount };
  }

  private dataCaptureConfig(dc: NonNullable<ModelEndpointProps['dataCapture']>): sagemaker.CfnEndpointConfig.DataCaptureConfigProperty {
    // Write-only under the capture prefix: the endpoint never reads or lists what it captured.
    const captured = dc.bucket.arnForObjects('datacapture/*');
    this.role.addToPolicy(new iam.PolicyStatement({ sid: 'WriteDataCapture', actions: ['s3:PutObject'], resources: [captured] }));
    acknowledge(
      this.role,
      wildcardResourceFinding(this.role, captured),
      'SageMaker names each capture file by endpoint, variant and hour under datacapture/, so the object keys are not known in advance; the grant is PutObject only, under that prefix.',
    );
    // Capture files are encrypted with this key; Decrypt covers multipart uploads of large files.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptDataCapture',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [dc.key.keyArn],
      }),
    );
    return {
      enableCapture: true,
      initialSamplingPercentage: dc.samplingPercent,
      destinationS3Uri: dc.bucket.s3UrlForObject('datacapture'),
      kmsKeyId: dc.key.keyArn,
      captureOptions: [{ captureMode: 'Input' }, { captureMode: 'Output' }],
      captureContentTypeHeader: { jsonContentTypes: ['application/json'], csvContentTypes: ['text/csv'] },
    };
  }

  /**
   * SageMaker attaches the instances to the subnets with this role: it describes the network
   * (no resource-level permissions) and creates its interfaces in these subnets and groups only.
   */
  private grantVpcAccess(placement: ModelPlacement): void {
    const stack = Stack.of(this);
    const ec2Arn = (resource: string) => Arn.format({ service: 'ec2', resource }, stack);
    // Together the two statements grant exactly VPC_ACTIONS, the list SageMaker's VPC guide gives.
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'DescribeVpcNetwork',
        actions: VPC_ACTIONS.filter((a) => a.startsWith('ec2:Describe')),
        resources: ['*'],
      }),
    );
    const eniArn = ec2Arn('network-interface/*');
    this.role.addToPolicy(
      new iam.PolicyStatement({
        sid: 'ManageOwnNetworkInterfaces',
        actions: VPC_ACTIONS.filter((a) => !a.startsWith('ec2:Describe')),
        resources: [
          eniArn,
          ...placement.subnets.map((sn) => ec2Arn(`subnet/${sn.subnetId}`)),
          ...placement.securityGroups.map((sg) => ec2Arn(`security-group/${sg.securityGroupId}`)),
        ],
      }),
    );
    acknowledge(
      this.role,
      wildcardResourceFinding(this.role, eniArn),
      "SageMaker creates one network interface per instance when it scales or redeploys, so their ids cannot be known in advance; creation is limited to the pipeline's isolated subnets and the model's security group.",
    );
  }

  /** Blue/green deployment: the new fleet takes traffic in steps while the alarms are watched. */
  private deploymentConfig(d: TrafficShift): sagemaker.CfnEndpoint.DeploymentConfigProperty {
    const waitIntervalInSeconds = d.waitInterval.toSeconds();
    const trafficRoutingConfiguration: sagemaker.CfnEndpoint.TrafficRoutingConfigProperty =
      d.type === 'all-at-once'
        ? { type: 'ALL_AT_ONCE', waitIntervalInSeconds }
        : d.type === 'canary'
          ? { type: 'CANARY', waitIntervalInSeconds, canarySize: { type: 'CAPACITY_PERCENT', value: d.stepPercent } }
          : { type: 'LINEAR', waitIntervalInSeconds, linearStepSize: { type: 'CAPACITY_PERCENT', value: d.stepPercent } };
    return {
      blueGreenUpdatePolicy: {
        trafficRoutingConfiguration,
        terminationWaitInSeconds: d.terminationWait.toSeconds(),
      },
      autoRollbackConfiguration: this.rollbackAlarms.length
        ? { alarms: this.rollbackAlarms.map((a) => ({ alarmName: a.alarmName })) }
        : undefined,
    };
  }

  private createRollbackAlarms(t: NonNullable<ModelEndpointProps['rollbackThresholds']>): cloudwatch.Alarm[] {
    const errors = new cloudwatch.Alarm(this, 'RollbackErrorRateAlarm', {
      alarmName: `${this.endpointName}-deployment-error-rate`,
      alarmDescription: `Rolls back a model deployment when more than ${t.errorRate * 100}% of invocations fail with 5XX. First action: read /aws/sagemaker/Endpoints/${this.endpointName} for the new model's errors.`,
      // Invocation5XXErrors is 0 or 1 per request, so its average is the error rate.
      metric: this.metric('Invocation5XXErrors', { statistic: 'Average' }),
      threshold: t.errorRate,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    const latency = new cloudwatch.Alarm(this, 'RollbackLatencyAlarm', {
      alarmName: `${this.endpointName}-deployment-model-latency`,
      alarmDescription: `Rolls back a model deployment when p99 ModelLatency exceeds ${t.modelLatencyP99Micros / 1000} ms. First action: compare the new model's latency with the previous version's.`,
      metric: this.metric('ModelLatency', { statistic: 'p99' }), // microseconds
      threshold: t.modelLatencyP99Micros,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    return [errors, latency];
  }

  private addAutoScaling(capacity: InstanceVariantCapacity): void {
    const target = new appscaling.ScalableTarget(this, 'ScalableTarget', {
      serviceNamespace: appscaling.ServiceNamespace.SAGEMAKER,
      resourceId: `endpoint/${this.endpointName}/variant/${VARIANT_NAME}`,
      scalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      minCapacity: capacity.minInstanceCount,
      maxCapacity: capacity.maxInstanceCount,
    });
    target.node.addDependency(this.endpoint);
    target.scaleToTrackMetric('InvocationsPerInstance', {
      predefinedMetric: appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
      targetValue: capacity.targetInvocationsPerInstance,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    if (capacity.offHours) {
      target.scaleOnSchedule('ScaleDownOffHours', {
        schedule: appscaling.Schedule.expression(capacity.offHours.scaleDownCron),
        minCapacity: capacity.offHours.minInstanceCount,
        maxCapacity: capacity.offHours.minInstanceCount,
      });
      target.scaleOnSchedule('ScaleUpWorkingHours', {
        schedule: appscaling.Schedule.expression(capacity.offHours.scaleUpCron),
        minCapacity: capacity.minInstanceCount,
        maxCapacity: capacity.maxInstanceCount,
      });
    }
  }
}
