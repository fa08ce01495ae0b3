/**
 * The deployment-record custom resource as CloudFormation drives it: an event, then the
 * function's PUT to the ResponseURL (a local recording server) — on success, on Delete
 * and on every kind of failure — and the record it leaves in dynalite.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { DEPLOYMENT_PK } from '../../../contract/table-design';
import { HandlerFixture, startHandlerFixture } from '../../harness/handler-fixture';
import { LocalDynamo } from '../../harness/lambda-dynamo';
import { TEST_CREDENTIALS, TEST_REGION } from '../../harness/lambda-env';
import { lambdaContext } from '../../harness/lambda-events';
import { HttpRecorder, startHttpRecorder } from '../../harness/lambda-http-recorder';
import { StdoutCapture } from '../../harness/lambda-stdout';

type Module = typeof import('../../../lambda/record-deployment');

const TABLE = 'deployment-records';
const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/inference-dev-endpoint/abc';
let dynamo: LocalDynamo;
let responses: HttpRecorder;
let out: StdoutCapture;
let mod: Module;
let fixture: HandlerFixture;

/** Properties as CloudFormation delivers them: every leaf a string. */
const PROPS = {
  ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:record-deployment',
  ModelName: 'iris-classifier',
  ModelVersion: '1.0.0',
  ImageUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/iris:1.0.0',
  ModelDataUrl: 's3://models-bucket/iris/1.0.0/model.tar.gz',
  EndpointName: 'inference-dev-iris',
  EndpointConfigName: 'inference-dev-iris-config-1',
  Capacity: { mode: 'serverless', memorySizeMiB: '2048', maxConcurrency: '5', provisionedConcurrency: '0' },
  Stage: 'dev',
};

beforeAll(async () => {
  // The recorder stands in for CloudFormation's pre-signed ResponseURL, not for S3.
  [fixture, responses] = await Promise.all([startHandlerFixture({ tables: [TABLE], env: { TABLE_NAME: TABLE } }), startHttpRecorder()]);
  dynamo = fixture.dynamo;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the handler module is loaded after the environment it reads at import is set
  mod = require('../../../lambda/record-deployment') as Module;
  out = fixture.captureOutput();
});

beforeEach(() => out.clear());

afterAll(() => Promise.all([fixture?.stop(), responses?.stop()]));

function cfnEvent(
  requestType: 'Create' | 'Update' | 'Delete',
  props: Record<string, unknown> = PROPS,
  physicalResourceId = 'deployment/iris-classifier/1.0.0',
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: PROPS.ServiceToken,
    ResponseURL: `${responses.url}/cloudformation-response/${randomUUID()}?X-Amz-Signature=abc`,
    StackId: STACK_ID,
    RequestId: randomUUID(),
    LogicalResourceId: 'DeploymentRecord',
    ResourceType: 'Custom::ModelDeploymentRecord',
    ResourceProperties: props as CloudFormationCustomResourceEvent['ResourceProperties'],
  };
  if (requestType === 'Create') return { ...base, RequestType: 'Create' };
  if (requestType === 'Update')
    return { ...base, RequestType: 'Update', PhysicalResourceId: physicalResourceId, OldResourceProperties: PROPS };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: physicalResourceId };
}

/** The response the function PUT for this event. */
function responseTo(event: CloudFormationCustomResourceEvent): Record<string, unknown> {
  const puts = responses.requests.filter((r) => r.path === new URL(event.ResponseURL).pathname);
  expect(puts).toHaveLength(1);
  expect(puts[0].method).toBe('PUT');
  // Pre-signed for an empty content type: anything else fails the signature.
  expect(puts[0].headers['content-type']).toBe('');
  expect(puts[0].query).toBe('X-Amz-Signature=abc');
  return JSON.parse(puts[0].body.toString('utf8')) as Record<string, unknown>;
}

async function deployments(): Promise<Record<string, unknown>[]> {
  const { Items = [] } = await dynamo.client.send(
    new QueryCommand({
      TableName: TABLE,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': DEPLOYMENT_PK },
      ScanIndexForward: false,
      ConsistentRead: true,
    }),
  );
  return Items;
}

describe('Create and Update', () => {
  it('Create writes the deployment record and reports SUCCESS with a physical id stable per version', async () => {
    const event = cfnEvent('Create');
    const before = Date.now();

    await mod.handler(event, lambdaContext('record-deployment-test'));

    const response = responseTo(event);
    expect(response).toEqual({
      Status: 'SUCCESS',
      Reason: 'see log stream 2024/01/01/[$LATEST]abcdef',
      PhysicalResourceId: 'deployment/iris-classifier/1.0.0',
      StackId: STACK_ID,
      RequestId: event.RequestId,
      LogicalResourceId: 'DeploymentRecord',
      NoEcho: false,
      Data: { DeployedAt: expect.any(String), RecordKey: expect.stringMatching(/#1\.0\.0$/) },
    });
    const deployedAt = (response.Data as { DeployedAt: string }).DeployedAt;
    expect(Date.parse(deployedAt)).toBeGreaterThanOrEqual(before - 1);

    const [record] = await deployments();
    expect(record).toEqual({
      pk: 'DEPLOYMENT',
      sk: `${deployedAt}#1.0.0`,
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      imageUri: PROPS.ImageUri,
      modelDataUrl: PROPS.ModelDataUrl,
      endpointName: 'inference-dev-iris',
      endpointConfigName: 'inference-dev-iris-config-1',
      // CloudFormation's strings turned back into numbers.
      capacity: { mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 },
      stage: 'dev',
      deployedAt,
    });
  });

  it('Update adds a record (history) and keeps the physical id of the same version', async () => {
    const count = (await deployments()).length;
    const props = {
      ...PROPS,
      EndpointConfigName: 'inference-dev-iris-config-2',
      Capacity: { ...PROPS.Capacity, provisionedConcurrency: '2' },
    };
    const event = cfnEvent('Update', props);

    await mod.handler(event, lambdaContext('record-deployment-test'));

    expect(responseTo(event)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'deployment/iris-classifier/1.0.0' });
    const records = await deployments();
    expect(records).toHaveLength(count + 1);
    expect(records[0]).toMatchObject({ endpointConfigName: 'inference-dev-iris-config-2', capacity: { provisionedConcurrency: 2 } });
  });

  it('a new version gets a new physical id (CloudFormation then deletes the old resource)', async () => {
    const event = cfnEvent('Update', { ...PROPS, ModelVersion: '1.1.0' });
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'deployment/iris-classifier/1.1.0' });
    expect((await deployments())[0]).toMatchObject({ modelVersion: '1.1.0' });
  });

  it('accepts an instance capacity, also as JSON text', async () => {
    const capacity = {
      mode: 'instance',
      instanceType: 'ml.m5.large',
      initialInstanceCount: 2,
      minInstanceCount: 2,
      maxInstanceCount: 4,
      targetInvocationsPerInstance: 600,
    };
    const event = cfnEvent('Create', {
      ...PROPS,
      ModelVersion: '2.0.0',
      Capacity: JSON.stringify(capacity),
      ImageUri: undefined,
      ModelDataUrl: undefined,
    });
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({ Status: 'SUCCESS' });
    const [record] = await deployments();
    expect(record).toMatchObject({ modelVersion: '2.0.0', capacity });
    expect(record).not.toHaveProperty('imageUri');
  });
});

describe('training statistics', () => {
  const stats = readFileSync(path.join(__dirname, '../../../model/artifacts/training-stats.json'), 'utf8');

  it('keeps the TrainingStats property (the JSON the stack passes) in the record, as numbers', async () => {
    const event = cfnEvent('Create', { ...PROPS, ModelVersion: '3.0.0', TrainingStats: JSON.stringify(JSON.parse(stats)) });
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({ Status: 'SUCCESS' });
    const [record] = await deployments();
    expect(record.modelVersion).toBe('3.0.0');
    expect(record.trainingStats).toEqual(JSON.parse(stats));
  });

  it.each([
    ['not JSON', '{"version":', "property TrainingStats must be the statistics' JSON"],
    ['not an object', '[1,2]', 'property TrainingStats must be an object'],
    [
      'over the size the item can hold',
      JSON.stringify({ version: 1, pad: 'x'.repeat(200_001) }),
      'property TrainingStats is over 200000 bytes; keep fewer bins or features',
    ],
  ])('refuses statistics that are %s', async (_name, value, reason) => {
    const event = cfnEvent('Create', { ...PROPS, ModelVersion: '3.0.1', TrainingStats: value });
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining(reason) });
  });
});

describe('Delete', () => {
  it('keeps the history and reports SUCCESS with the same physical id', async () => {
    const before = await deployments();
    const event = cfnEvent('Delete', PROPS, 'deployment/iris-classifier/1.0.0');

    await mod.handler(event, lambdaContext('record-deployment-test'));

    expect(responseTo(event)).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: 'deployment/iris-classifier/1.0.0',
      RequestId: event.RequestId,
    });
    expect(await deployments()).toEqual(before);
  });

  it('of a resource whose Create failed also succeeds (a rollback must not get stuck)', async () => {
    const event = cfnEvent('Delete', {}, 'failed/some-request');
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'failed/some-request' });
  });
});

describe('failures report FAILED with a reason', () => {
  it('a missing property', async () => {
    const event = cfnEvent('Create', { ...PROPS, ModelVersion: undefined });
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({
      Status: 'FAILED',
      Reason: 'property ModelVersion is required (log stream 2024/01/01/[$LATEST]abcdef)',
      PhysicalResourceId: `failed/${event.RequestId}`,
    });
    expect(out.withMessage('deployment not recorded')[0]).toMatchObject({ level: 'ERROR', errorName: 'PropertyError' });
  });

  it('a capacity that is not an object', async () => {
    const event = cfnEvent('Create', { ...PROPS, Capacity: 'large' });
    await mod.handler(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^property Capacity must be an object or its JSON/),
    });
  });

  it('a table that does not exist', async () => {
    const event = cfnEvent('Create');
    await mod.createRecordDeploymentHandler({ TABLE_NAME: 'no-such-table' })(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^writing the deployment record failed: ResourceNotFoundException/),
    });
    expect(out.withMessage('deployment not recorded')[0]).toMatchObject({ level: 'ERROR', errorName: 'ResourceNotFoundException' });
  });

  it('a missing TABLE_NAME: reported, not an init crash that would leave the stack waiting', async () => {
    const event = cfnEvent('Update');
    await mod.createRecordDeploymentHandler({})(event, lambdaContext('record-deployment-test'));
    expect(responseTo(event)).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(/^invalid environment of the deployment-record function:\n {2}- TABLE_NAME: is required/),
      PhysicalResourceId: 'deployment/iris-classifier/1.0.0',
    });
  });

  it('an unreachable ResponseURL is retried, logged, and does not throw', async () => {
    responses.status = 403;
    try {
      const event = cfnEvent('Delete');
      await expect(mod.handler(event, lambdaContext('record-deployment-test'))).resolves.toBeUndefined();
      expect(responses.requests.filter((r) => r.path === new URL(event.ResponseURL).pathname)).toHaveLength(3);
      expect(out.withMessage('custom resource response not delivered')).toHaveLength(1);
    } finally {
      responses.status = 200;
    }
  });
});

describe('recordDeployment (the local pipeline writes the same record at start)', () => {
  it('takes a plain DynamoDB client and an explicit time, and never overwrites', async () => {
    const plain = new DynamoDBClient({ endpoint: dynamo.endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
    const info = {
      modelName: 'iris-classifier',
      modelVersion: 'local',
      endpointName: 'local-model-server',
      capacity: { mode: 'serverless', memorySizeMiB: 1024, maxConcurrency: 1, provisionedConcurrency: 0 },
      stage: 'local',
      deployedAt: '2030-01-01T00:00:00.000Z',
    };
    const record = await mod.recordDeployment(plain, TABLE, info);
    expect(record).toEqual({ pk: 'DEPLOYMENT', sk: '2030-01-01T00:00:00.000Z#local', ...info });
    expect((await deployments())[0]).toEqual(record);
    await expect(mod.recordDeployment(plain, TABLE, info)).rejects.toMatchObject({ name: 'ConditionalCheckFailedException' });
    plain.destroy();
  });
});
