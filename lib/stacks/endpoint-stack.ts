import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, StackProps, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import * as fs from 'fs';
import * as path from 'path';
import { DeployedEndpoint, StageConfig, resourcePrefix } from '../config/stage-config';
import { retentionDays } from '../constructs/log-retention';
import { endpointSupportsKms } from '../config/validate';
import { acknowledge } from '../constructs/acknowledge';
import { grantKeyThroughServices } from '../constructs/key-grants';
import { ModelData } from '../constructs/model-endpoint/model-data';
import { ModelEndpoint } from '../constructs/model-endpoint/model-endpoint';
import { ModelImage } from '../constructs/model-endpoint/model-image';
import { PipelineFunction } from '../constructs/pipeline-function';
import { ModelPlacement } from '../constructs/pipeline-network';
import { RollbackThresholds } from '../monitoring/sagemaker/rollback-thresholds';
import { ACCESS_LOG_PREFIX } from './data-stack';
import { DEPLOYMENT_PROPERTIES as P } from '../../contract/handlers';
import { REPO_PATHS } from '../../contract/repo-paths';
import { DEPLOYMENT_PK } from '../../contract/table-design';

/** The settings the endpoint stack reads. */
export type EndpointStackConfig = Pick<
  StageConfig,
  'stage' | 'project' | 'logRetentionDays' | 'model' | 'endpoint' | 'records' | 'table' | 'monitoring'
>;

/**
 * Longest time CloudFormation waits for the deployment record's answer. The recorder's
 * timeout is 30 s; without this, a function that dies before answering (at init, say) holds
 * the stack for the default hour: "The value must be an integer from 1 to 3600. The default
 * value is 3600 seconds (1 hour)." (AWS::CloudFormation::CustomResource ServiceTimeout,
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html)
 */
export const DEPLOYMENT_RECORD_SERVICE_TIMEOUT = Duration.minutes(5);

/**
 * The output recording what this deploy leaves running (`DeployedEndpoint`: endpoint name and
 * capacity, JSON). `npm run deploy` reads it before the next deploy and passes it as
 * `-c endpoint.previous=...`, so validation refuses the capacity changes SageMaker would refuse.
 */
export const DEPLOYED_ENDPOINT_OUTPUT = 'DeployedEndpoint';

export interface EndpointStackProps extends StackProps {
  readonly config: EndpointStackConfig;
  readonly table: dynamodb.ITable;
  readonly key: kms.IKey;
  /** Receives the data capture bucket's server access logs (the data stack's bucket). */
  readonly accessLogsBucket: s3.IBucket;
  /** What the deployment guardrail's rollback alarms compare: the stage's resolved monitoring thresholds. */
  readonly rollbackThresholds: RollbackThresholds;
  /**
   * Run the model's instances in these private subnets (`network.vpc`, instance capacity only).
   * @default - SageMaker's own network
   */
  readonly modelPlacement?: ModelPlacement;
}

/** The project's own model container and trained artifact: the zero-configuration default. */
const REPO_ROOT = path.join(__dirname, '..', '..');
const MODEL_DIR = path.join(REPO_ROOT, REPO_PATHS.modelDir);
const DEFAULT_MODEL_ARTIFACT = path.join(REPO_ROOT, REPO_PATHS.modelArtifact);
const DEFAULT_TRAINING_STATS = path.join(REPO_ROOT, REPO_PATHS.modelTrainingStats);

/**
 * The model being served: the SageMaker endpoint, its data capture, and the record of each
 * deployment in the metadata table (written by the stack itself on every model change).
 */
export class EndpointStack extends Stack {
  readonly modelEndpoint: ModelEndpoint;
  readonly dataCaptureBucket?: s3.Bucket;
  readonly deploymentRecorder: PipelineFunction;

  constructor(scope: Construct, id: string, props: EndpointStackProps) {
    super(scope, id, props);
    const { config } = props;
    const prefix = resourcePrefix(config);

    if (config.endpoint.dataCapture.enabled) {
      // Referenced by name only: the data stack's policy already admits this account's access
      // logs under the data capture prefix, and a grant from here would make the stacks a cycle.
      const accessLogs = s3.Bucket.fromBucketName(this, 'AccessLogsBucket', props.accessLogsBucket.bucketName);
      this.dataCaptureBucket = new s3.Bucket(this, 'DataCaptureBucket', {
        encryption: s3.BucketEncryption.KMS,
        encryptionKey: props.key,
        bucketKeyEnabled: true,
        blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
        enforceSSL: true,
        objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        // Versioned (CT.S3.PR.11): a deleted capture file stays recoverable for a day.
        versioned: true,
        lifecycleRules: [
          { expiration: Duration.days(Math.max(config.records.ttlDays, 30)), noncurrentVersionExpiration: Duration.days(1) },
        ],
        removalPolicy: config.table.retainOnDelete ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        autoDeleteObjects: !config.table.retainOnDelete,
        serverAccessLogsBucket: accessLogs,
        serverAccessLogsPrefix: ACCESS_LOG_PREFIX.dataCapture,
      });
      Validations.of(this.dataCaptureBucket).acknowledge({
        id: '@aws-cdk/aws-s3:accessLogsPolicyNotAdded',
        reason:
          "The access logs bucket policy (data stack, S3ServerAccessLogsFromThisAccount) admits this account's log deliveries under the data capture prefix.",
      });
    }

    const { model, endpoint } = config;
    const d = endpoint.deployment;
    this.modelEndpoint = new ModelEndpoint(this, 'ModelEndpoint', {
      endpointName: `${prefix}-${model.name}`,
      image: model.imageUri ? ModelImage.fromUri(model.imageUri) : ModelImage.fromAsset(MODEL_DIR),
      modelData: model.modelDataUrl ? ModelData.fromS3Url(model.modelDataUrl) : ModelData.fromAsset(DEFAULT_MODEL_ARTIFACT),
      modelVersion: model.version,
      environment: model.environment,
      capacity: endpoint.capacity,
      encryptionKey: endpointSupportsKms(config) ? props.key : undefined,
      dataCapture: this.dataCaptureBucket
        ? { bucket: this.dataCaptureBucket, key: props.key, samplingPercent: endpoint.dataCapture.samplingPercent }
        : undefined,
      networkIsolation: endpoint.networkIsolation,
      placement: props.modelPlacement,
      deployment: {
        type: d.type,
        stepPercent: d.stepPercent,
        waitInterval: Duration.seconds(d.waitIntervalSec),
        terminationWait: Duration.seconds(d.terminationWaitSec),
        autoRollback: d.autoRollback,
      },
      rollbackThresholds: props.rollbackThresholds,
      logRetention: retentionDays(config.logRetentionDays),
    });

    this.deploymentRecorder = this.recordDeployment(config, props.table);

    const deployed: DeployedEndpoint = { endpointName: this.modelEndpoint.endpointName, capacity: endpoint.capacity };
    new CfnOutput(this, DEPLOYED_ENDPOINT_OUTPUT, {
      value: JSON.stringify(deployed),
      description: 'What this deploy leaves running; npm run deploy passes it to the next synth as -c endpoint.previous',
    });
  }

  /**
   * Writes this model version's deployment record once the endpoint serves it. The custom
   * resource's properties change exactly when the model does, so each change adds one record.
   */
  private recordDeployment(config: EndpointStackConfig, table: dynamodb.ITable): PipelineFunction {
    const recorder = new PipelineFunction(this, 'DeploymentRecorder', {
      entry: 'record-deployment',
      functionName: `${resourcePrefix(config)}-record-deployment`,
      description: 'Records each model deployment in the metadata table (CloudFormation custom resource)',
      serviceName: 'deployment-recorder',
      environment: { TABLE_NAME: table.tableName },
      memorySizeMiB: 256,
      timeoutSec: 30,
      logRetentionDays: config.logRetentionDays,
      tracing: config.monitoring.tracing,
    });
    acknowledge(
      recorder.function,
      'Serverless-LambdaDLQ',
      'CloudFormation invokes this custom resource and waits for the response the handler always PUTs; an event parked in a queue would carry an expired response URL, so a failure surfaces as the stack operation failing instead.',
    );
    // Only the deployment partition: the recorder can never touch an inference record.
    recorder.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:PutItem'],
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [DEPLOYMENT_PK] } },
      }),
    );
    if (table.encryptionKey) grantKeyThroughServices(table.encryptionKey, recorder.function, 'encrypt-decrypt', ['dynamodb']);

    const ep = this.modelEndpoint;
    const capacity = config.endpoint.capacity;
    const record = new CustomResource(this, 'DeploymentRecord', {
      serviceToken: recorder.function.functionArn,
      resourceType: 'Custom::ModelDeployment',
      serviceTimeout: DEPLOYMENT_RECORD_SERVICE_TIMEOUT,
      properties: {
        [P.stage]: config.stage,
        [P.modelName]: config.model.name,
        [P.modelVersion]: config.model.version,
        [P.imageUri]: ep.imageUri,
        [P.modelDataUrl]: ep.modelDataUrl,
        [P.endpointName]: ep.endpointName,
        [P.endpointConfigName]: ep.endpointConfig.attrEndpointConfigName,
        [P.capacity]: JSON.stringify(capacity),
        // The built-in artifact's training statistics (about 2 KB), kept by the record for drift analysis.
        ...(config.model.modelDataUrl ? {} : { [P.trainingStats]: compactTrainingStats() }),
      },
    });
    record.node.addDependency(ep.endpoint);
    return recorder;
  }
}

/** The training statistics file as one line of JSON (it changes exactly when the artifact does). */
function compactTrainingStats(): string {
  return JSON.stringify(JSON.parse(fs.readFileSync(DEFAULT_TRAINING_STATS, 'utf8')));
}
