import { STACK_TRACE, TEST_CREDENTIALS, runCli } from '../../harness/deploy-cli';
import { TEST_REGION, TestServer, startFakeAws } from '../../harness/deploy-fake-aws';
import { DEPLOYED_PROD_ENDPOINT } from '../../harness/deployed-endpoint';

/**
 * `npm run deploy`: the checks before cdk runs (stage, credentials, account), the plan it
 * prints, and the exact CDK CLI command (`--dry-run` prints it without running cdk, which
 * would need a real account). STS answers from a local server in its own XML.
 */
let sts: TestServer;
beforeAll(async () => {
  sts = await startFakeAws({ stacks: {} });
});
afterAll(() => sts.close());

const env = (extra: Record<string, string> = {}) => ({
  ...TEST_CREDENTIALS,
  AWS_REGION: TEST_REGION,
  AWS_ENDPOINT_URL_STS: sts.url,
  AWS_ENDPOINT_URL_CLOUDFORMATION: sts.url,
  CDK_DOCKER: 'true',
  ...extra,
});

test('prints where and what it deploys, in dependency order, then the cdk command', async () => {
  const run = await runCli('deploy', ['--stage', 'dev', '--dry-run', '-c', 'model.version=1.1.0'], { env: env() });
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  expect(run.stdout).toBe(
    [
      'deploy stage dev in account 123456789012, region eu-west-1 (as arn:aws:sts::123456789012:assumed-role/deployer/test)',
      '  1. inference-dev-data        inference records table, payload bucket, KMS key',
      '  2. inference-dev-endpoint    SageMaker endpoint: iris-classifier 1.1.0 (serverless, 2048 MiB, all-at-once rollout)',
      '  3. inference-dev-api         REST API (iam auth), prediction and read functions',
      '  4. inference-dev-monitoring  metric filters, alarms, alarm topic, dashboard',
      '  5. inference-dev-audit       CloudTrail trail (Object Lock bucket), Glue table, Athena workgroup',
      '$ npx cdk deploy --all -c stage=dev -c model.version=1.1.0 --require-approval broadening --outputs-file cdk.out/outputs-dev.json --no-color',
      '',
    ].join('\n'),
  );
});

test("CI's deploy: no approval prompt; a prod diff compares templates with the read-only role", async () => {
  const deploy = await runCli('deploy', ['--stage', 'prod', '--require-approval', 'never', '--dry-run'], { env: env() });
  expect(deploy.code).toBe(0);
  expect(deploy.stdout).toContain(
    '  2. inference-prod-endpoint    SageMaker endpoint: iris-classifier 1.0.0 (2 x ml.m5.large, canary rollout)',
  );
  expect(deploy.stdout).toContain(
    '$ npx cdk deploy --all -c stage=prod --require-approval never --outputs-file cdk.out/outputs-prod.json --no-color\n',
  );

  const diff = await runCli('deploy', ['--stage', 'prod', '--diff', '--template-only', '--dry-run'], { env: env() });
  expect(diff.code).toBe(0);
  expect(diff.stdout).toMatch(/^diff stage prod in account 123456789012, region eu-west-1/);
  expect(diff.stdout).toContain('$ npx cdk diff --all -c stage=prod --method template --no-color\n');
});

test('destroy lists the stacks in reverse order and warns what prod keeps and what blocks it', async () => {
  const run = await runCli('deploy', ['--stage', 'prod', '--destroy', '--dry-run'], { env: env() });
  expect(run.code).toBe(0);
  const lines = run.stdout.split('\n');
  expect(lines.slice(1, 6).map((l) => l.trim().split(/\s+/)[1])).toEqual([
    'inference-prod-audit',
    'inference-prod-monitoring',
    'inference-prod-api',
    'inference-prod-endpoint',
    'inference-prod-data',
  ]);
  expect(run.stdout).toContain(
    'warning: stage prod RETAINS its data on destroy: the DynamoDB table, its KMS key and the payload and data-capture buckets stay in the account',
  );
  expect(run.stdout).toContain('warning: inference-prod-data has termination protection: destroy stops at it.');
  expect(run.stdout).toContain('warning: inference-prod-audit has termination protection: destroy stops at it.');
  expect(run.stdout).toContain('$ npx cdk destroy --all -c stage=prod --force --no-color\n');

  const dev = await runCli('deploy', ['--stage', 'dev', '--destroy', '--dry-run'], { env: env() });
  expect(dev.stdout).not.toContain('RETAINS');
  expect(dev.stdout).not.toContain('termination protection');
});

test('destroy without --force deletes nothing unless the stage name is typed', async () => {
  for (const input of ['yes\n', '']) {
    const run = await runCli('deploy', ['--stage', 'dev', '--destroy'], { env: env(), input });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('type the stage name (dev) to destroy it: ');
    expect(run.stderr).toBe('deploy: destroy cancelled: nothing was deleted\n');
  }
});

test('missing credentials stop it before cdk, with how to configure them', async () => {
  const run = await runCli('deploy', ['--stage', 'dev'], { env: { AWS_REGION: TEST_REGION } });
  expect(run.code).toBe(1);
  expect(run.stdout).toBe('');
  expect(run.stderr).toMatch(
    /^deploy: could not check the AWS credentials: no AWS credentials found\n {2}hint: configure AWS credentials: `aws configure sso`/,
  );
  expect(run.stderr).not.toMatch(STACK_TRACE);
});

test('no region anywhere: says where to set one', async () => {
  const run = await runCli('deploy', ['--stage', 'dev'], { env: { ...TEST_CREDENTIALS } });
  expect(run.code).toBe(1);
  expect(run.stderr).toBe(
    'deploy: no AWS region is configured\n  hint: set AWS_REGION (or a region in your AWS profile), or pin the stage with -c region=REGION\n',
  );
});

test("credentials of another account than the stage's are refused", async () => {
  const run = await runCli('deploy', ['--stage', 'dev', '-c', 'account=999999999999', '--dry-run'], { env: env() });
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/^deploy: stage dev deploys to account 999999999999, but the credentials are for account 123456789012 /);
});

test('no Docker and no prebuilt image: the deploy stops with what to do', async () => {
  const run = await runCli('deploy', ['--stage', 'dev'], { env: env({ CDK_DOCKER: 'no-such-docker-binary' }) });
  expect(run.code).toBe(1);
  expect(run.stderr).toBe(
    'deploy: docker is not installed (ENOENT): it builds the model image\n' +
      '  hint: start Docker, or set model.imageUri to a prebuilt image (-c model.imageUri=ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG)\n',
  );
});

describe('the deployed endpoint is checked before cdk runs', () => {
  const running = DEPLOYED_PROD_ENDPOINT;
  let aws: TestServer;
  beforeAll(async () => {
    aws = await startFakeAws({ stacks: { 'inference-prod-endpoint': { outputs: { DeployedEndpoint: JSON.stringify(running) } } } });
  });
  afterAll(() => aws.close());
  const withStacks = () => env({ AWS_ENDPOINT_URL_STS: aws.url, AWS_ENDPOINT_URL_CLOUDFORMATION: aws.url });

  test('an allowed change deploys with the running endpoint passed as endpoint.previous', async () => {
    const run = await runCli('deploy', ['--stage', 'prod', '--dry-run', '-c', 'endpoint.capacity.maxInstanceCount=6'], {
      env: withStacks(),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('endpoint.previous=');
    expect(run.stdout).toContain('inference-prod-iris-classifier');
  });

  test('an instance type change of the autoscaled prod endpoint stops before cdk, with the procedure', async () => {
    const run = await runCli('deploy', ['--stage', 'prod', '--dry-run', '-c', 'endpoint.capacity.instanceType=ml.c5.xlarge'], {
      env: withStacks(),
    });
    expect(run.code).not.toBe(0);
    expect(run.stdout).not.toContain('$ npx cdk deploy');
    expect(run.stderr).toContain('endpoint.capacity.instanceType: endpoint inference-prod-iris-classifier is registered for autoscaling');
    expect(run.stderr).toContain('Safe procedure, three deploys');
  });
});
