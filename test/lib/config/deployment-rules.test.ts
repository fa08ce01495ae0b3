import { resolveStageConfig } from '../../../lib/config/load-config';
import { ConfigError } from '../../../lib/config/validate';
import { readCdkContext } from '../../../tools/cli';
import { DEPLOYED_PROD_ENDPOINT } from '../../harness/deployed-endpoint';

/**
 * The deployment changes SageMaker refuses, refused in config validation instead, each with
 * the safe procedure. Each rule names the AWS page it comes from.
 */
const cdkJson = readCdkContext();

function problems(overrides: Record<string, unknown>): string[] {
  try {
    resolveStageConfig({ ...cdkJson, ...overrides });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

describe('traffic routing sizes (SageMaker TrafficRoutingConfig)', () => {
  // https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_TrafficRoutingConfig.html:
  // CanarySize "must be less than or equal to 50% of the variant's total instance count";
  // LinearStepSize "must be 10-50% of the variant's total instance count".
  test.each([
    [{ 'endpoint.deployment.type': 'linear', 'endpoint.deployment.stepPercent': '5' }, 'a linear step must be from 10 to 50%'],
    [{ 'endpoint.deployment.type': 'linear', 'endpoint.deployment.stepPercent': '60' }, 'a linear step must be from 10 to 50%'],
    [{ 'endpoint.deployment.stepPercent': '51' }, 'a canary must be from 1 to 50%'],
    [{ 'endpoint.deployment.stepPercent': '0' }, 'a canary must be from 1 to 50%'],
  ])('prod %j is refused', (overrides, expected) => {
    expect(problems({ stage: 'prod', ...overrides }).join('\n')).toContain(`endpoint.deployment.stepPercent: ${expected}`);
  });

  test.each([
    [{ 'endpoint.deployment.type': 'linear', 'endpoint.deployment.stepPercent': '10' }],
    [{ 'endpoint.deployment.type': 'linear', 'endpoint.deployment.stepPercent': '50' }],
    [{ 'endpoint.deployment.stepPercent': '50' }],
    [
      {
        'endpoint.deployment.type': 'all-at-once',
        'endpoint.capacity.minInstanceCount': '1',
        'endpoint.capacity.initialInstanceCount': '1',
      },
    ],
  ])('prod %j passes', (overrides) => {
    expect(problems({ stage: 'prod', ...overrides })).toEqual([]);
  });

  test('one instance cannot take a canary or linear shift: it would be 100% of the variant', () => {
    for (const type of ['canary', 'linear']) {
      const found = problems({
        stage: 'prod',
        'endpoint.deployment.type': type,
        'endpoint.deployment.stepPercent': '20',
        'endpoint.capacity.minInstanceCount': '1',
        'endpoint.capacity.initialInstanceCount': '1',
      });
      expect(found).toEqual([
        expect.stringMatching(
          new RegExp(
            `^endpoint\\.capacity\\.minInstanceCount: a ${type} deployment needs at least 2 instances .* got 1; set endpoint\\.deployment\\.type=all-at-once, or run at least 2 instances$`,
          ),
        ),
      ]);
    }
    // Scaled in for the night, the fleet is smaller: the off-hours minimum counts too.
    const offHours = JSON.stringify({
      scaleDownCron: 'cron(0 20 ? * MON-FRI *)',
      scaleUpCron: 'cron(0 6 ? * MON-FRI *)',
      minInstanceCount: 1,
    });
    expect(problems({ stage: 'prod', 'endpoint.capacity.offHours': offHours }).join('\n')).toContain(
      'endpoint.capacity.offHours.minInstanceCount: a canary deployment needs at least 2 instances',
    );
  });

  test('a serverless endpoint has no instances to shift: all at once only', () => {
    expect(problems({ stage: 'dev', 'endpoint.deployment.type': 'canary', 'endpoint.deployment.stepPercent': '20' })).toContain(
      "endpoint.deployment.type: canary shifts a share of the variant's instances, and a serverless endpoint has none; set endpoint.deployment.type=all-at-once",
    );
  });

  test('every stage in cdk.json and the built-ins pass, staging included (it once had 1 instance and a 20% canary)', () => {
    for (const stage of ['dev', 'prod', 'staging']) expect(problems({ stage })).toEqual([]);
    expect(
      problems({ stage: 'staging', 'endpoint.capacity.minInstanceCount': '1', 'endpoint.capacity.initialInstanceCount': '1' }).join('\n'),
    ).toContain('a canary deployment needs at least 2 instances');
  });
});

describe('capacity changes checked against what is deployed (endpoint.previous)', () => {
  const prodCapacity = DEPLOYED_PROD_ENDPOINT.capacity;
  const previous = (capacity: object, endpointName = 'inference-prod-iris-classifier') => ({
    'endpoint.previous': JSON.stringify({ endpointName, capacity }),
  });
  const serverless = {
    'endpoint.capacity.mode': 'serverless',
    'endpoint.dataCapture.enabled': 'false',
    'endpoint.networkIsolation': 'false',
    'endpoint.deployment.type': 'all-at-once',
  };

  test('without a record of the deployed endpoint (first deploy, offline synth) nothing is checked', () => {
    expect(problems({ stage: 'prod', ...serverless })).toEqual([]);
  });

  test('instance to serverless on the same endpoint is refused, with the procedure', () => {
    // "Updating a real-time inference endpoint to an on-demand serverless endpoint ... is currently
    // not supported" (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints-update.html);
    // "If you try to update your real-time endpoint to serverless, you receive a ValidationError"
    // (https://docs.aws.amazon.com/sagemaker/latest/dg/serverless-endpoints.html).
    const [problem, ...rest] = problems({ stage: 'prod', ...serverless, ...previous(prodCapacity) });
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^endpoint\.capacity\.mode: endpoint inference-prod-iris-classifier runs on instances, and SageMaker cannot update an instance endpoint to serverless/,
    );
    expect(problem).toContain(
      "Safe procedure: (1) deploy the serverless capacity under a new endpoint name by also changing model.name (for example to 'iris-classifier-serverless')",
    );
    // Following it passes: a new name is a new endpoint, which CloudFormation creates.
    expect(problems({ stage: 'prod', ...serverless, ...previous(prodCapacity), 'model.name': 'iris-classifier-serverless' })).toEqual([]);
  });

  test('serverless to instance updates in place', () => {
    const dev = { mode: 'serverless', memorySizeMiB: 2048, maxConcurrency: 5, provisionedConcurrency: 0 };
    expect(problems({ stage: 'prod', ...previous(dev) })).toEqual([]);
  });

  test('an instance type change while autoscaled is refused, with the three deploys that work', () => {
    // "If the update would change the instance type for any model that is a target for auto scaling,
    // the update fails." (https://docs.aws.amazon.com/sagemaker/latest/dg/endpoint-scaling-update.html)
    const [problem, ...rest] = problems({ stage: 'prod', 'endpoint.capacity.instanceType': 'ml.c5.xlarge', ...previous(prodCapacity) });
    expect(rest).toEqual([]);
    expect(problem).toMatch(
      /^endpoint\.capacity\.instanceType: endpoint inference-prod-iris-classifier is registered for autoscaling, and SageMaker refuses an instance type change \(ml\.m5\.large to ml\.c5\.xlarge\)/,
    );
    expect(problem).toContain('(1) keep instanceType=ml.m5.large and set minInstanceCount = maxInstanceCount = initialInstanceCount');
    expect(problem).toContain('(2) set instanceType=ml.c5.xlarge, still with min = max');
    expect(problem).toContain('(3) set the min, max and offHours you want');

    // Each step of the procedure passes against the one before it. A fixed-size variant needs
    // all-at-once or two instances; prod's canary with min = max = 2 keeps two.
    const fixed = { 'endpoint.capacity.maxInstanceCount': '2' };
    expect(problems({ stage: 'prod', ...fixed, ...previous(prodCapacity) })).toEqual([]);
    const step1 = { ...prodCapacity, maxInstanceCount: 2 };
    expect(problems({ stage: 'prod', ...fixed, 'endpoint.capacity.instanceType': 'ml.c5.xlarge', ...previous(step1) })).toEqual([]);
    const step2 = { ...step1, instanceType: 'ml.c5.xlarge' };
    expect(problems({ stage: 'prod', 'endpoint.capacity.instanceType': 'ml.c5.xlarge', ...previous(step2) })).toEqual([]);
  });

  test('count and scaling changes on the same type update in place', () => {
    expect(
      problems({
        stage: 'prod',
        'endpoint.capacity.maxInstanceCount': '8',
        'endpoint.capacity.minInstanceCount': '3',
        'endpoint.capacity.initialInstanceCount': '3',
        ...previous(prodCapacity),
      }),
    ).toEqual([]);
  });

  test('a malformed record is refused', () => {
    expect(problems({ stage: 'prod', 'endpoint.previous': '{"capacity":{}}' }).join('\n')).toContain(
      'endpoint.previous: must be the DeployedEndpoint output of the endpoint stack',
    );
  });
});
