import { STACK_TRACE, TEST_CREDENTIALS, runCli } from '../../harness/deploy-cli';
import {
  FakeStack,
  TEST_REGION,
  TestServer,
  describedStacks,
  startFakeAws,
  startTestServer,
  verifySigV4,
} from '../../harness/deploy-fake-aws';

/**
 * `npm run outputs` and `npm run invoke --stage` read the stage's stacks with the real
 * CloudFormation client, pointed (AWS_ENDPOINT_URL_CLOUDFORMATION) at a local server that
 * answers DescribeStacks in CloudFormation's XML, including its "does not exist" error.
 */
const stacks: Record<string, FakeStack> = {};
let aws: TestServer;
let api: TestServer;

const DASHBOARD = `https://${TEST_REGION}.console.aws.amazon.com/cloudwatch/home?region=${TEST_REGION}#dashboards:name=inference-dev`;
const TOPIC = `arn:aws:sns:${TEST_REGION}:123456789012:inference-dev-alarms`;

function deployDev(apiUrl: string, extra: Record<string, string> = {}): void {
  for (const key of Object.keys(stacks)) delete stacks[key];
  Object.assign(stacks, {
    'inference-dev-data': {},
    'inference-dev-endpoint': {},
    'inference-dev-api': {
      status: 'UPDATE_COMPLETE',
      outputs: {
        ApiUrl: apiUrl,
        Region: TEST_REGION,
        TableName: 'inference-dev-records',
        EndpointName: 'inference-dev-iris-classifier',
        PredictFunctionName: 'inference-dev-predict',
        ...extra,
      },
    },
    'inference-dev-monitoring': { outputs: { DashboardUrl: DASHBOARD, AlarmTopicArn: TOPIC } },
    'inference-dev-audit': { outputs: { EventDataStoreArn: `arn:aws:cloudtrail:${TEST_REGION}:123456789012:eventdatastore/eds-1` } },
  });
}

const env = () => ({
  ...TEST_CREDENTIALS,
  AWS_REGION: TEST_REGION,
  AWS_ENDPOINT_URL_CLOUDFORMATION: aws.url,
  AWS_ENDPOINT_URL_API_GATEWAY: aws.url,
});

beforeAll(async () => {
  aws = await startFakeAws({ stacks, apiKeys: { 'key-id-1': 'the-api-key-value' } });
  api = await startTestServer((req) => ({
    status: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      requestId: 'req-9',
      modelName: 'iris-classifier',
      modelVersion: '1.0.0',
      endpointName: 'e',
      variant: 'AllTraffic',
      predictions: [{ label: 'versicolor', probabilities: { versicolor: 1 } }],
      echo: req.url,
    }),
  }));
});
afterAll(() => Promise.all([aws.close(), api.close()]));
beforeEach(() => {
  aws.requests.length = 0;
  api.requests.length = 0;
});

describe('npm run outputs', () => {
  test('prints what a client needs, read from every stack of the stage with signed DescribeStacks calls', async () => {
    deployDev('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/');
    const run = await runCli('outputs', ['--stage', 'dev'], { env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toBe(
      [
        'stage dev',
        '  API URL                 https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/',
        '  region                  eu-west-1',
        '  table                   inference-dev-records',
        '  endpoint                inference-dev-iris-classifier',
        '  predict function        inference-dev-predict',
        `  dashboard               ${DASHBOARD}`,
        `  alarm topic             ${TOPIC}`,
        `  audit event data store  arn:aws:cloudtrail:${TEST_REGION}:123456789012:eventdatastore/eds-1`,
        '',
      ].join('\n'),
    );
    expect(describedStacks(aws).sort()).toEqual([
      'inference-dev-api',
      'inference-dev-audit',
      'inference-dev-data',
      'inference-dev-endpoint',
      'inference-dev-monitoring',
    ]);
    for (const req of aws.requests) {
      expect(String(req.headers.authorization)).toContain(`/${TEST_REGION}/cloudformation/aws4_request`);
      expect(verifySigV4(req, TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
    }
  });

  test('--json gives one object for scripts', async () => {
    deployDev('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/');
    const run = await runCli('outputs', ['--stage', 'dev', '--json'], { env: env() });
    expect(run.code).toBe(0);
    const out = JSON.parse(run.stdout);
    expect(out).toMatchObject({
      stage: 'dev',
      region: TEST_REGION,
      apiUrl: 'https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/',
      tableName: 'inference-dev-records',
      endpointName: 'inference-dev-iris-classifier',
      dashboardUrl: DASHBOARD,
      alarmTopicArn: TOPIC,
      missing: [],
      unsettled: [],
    });
    expect(out.stacks.find((s: { name: string }) => s.name === 'inference-dev-api').status).toBe('UPDATE_COMPLETE');
  });

  test('says which stacks are not deployed, shows the rest, and exits 1', async () => {
    deployDev('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/');
    delete stacks['inference-dev-monitoring'];
    stacks['inference-dev-audit'] = { status: 'UPDATE_ROLLBACK_IN_PROGRESS' };
    const run = await runCli('outputs', ['--stage', 'dev'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  API URL           https://a1b2c3.execute-api.eu-west-1.amazonaws.com/dev/');
    expect(run.stdout).not.toContain('dashboard');
    expect(run.stderr).toBe(
      'outputs: stack inference-dev-monitoring is not deployed in eu-west-1 (deploy it: npm run deploy -- --stage dev)\n' +
        'outputs: stack inference-dev-audit is UPDATE_ROLLBACK_IN_PROGRESS; its outputs may be missing or stale\n',
    );
  });

  test('a stage never deployed: every stack reported, no stack trace', async () => {
    for (const key of Object.keys(stacks)) delete stacks[key];
    const run = await runCli('outputs', ['--stage', 'prod'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual(
      ['data', 'endpoint', 'api', 'monitoring', 'audit'].map(
        (s) => `outputs: stack inference-prod-${s} is not deployed in eu-west-1 (deploy it: npm run deploy -- --stage prod)`,
      ),
    );
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});

describe('npm run invoke --stage', () => {
  test("finds the API URL in the outputs and signs for the API stack's region", async () => {
    deployDev(`${api.url}/dev/`);
    const run = await runCli('invoke', ['--stage', 'dev', '--data', '{"instances":[[6.0,2.9,4.5,1.5]]}'], { env: env() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('request id: req-9\n');
    expect(run.stdout).toContain('[0] versicolor  (versicolor 1.000)');
    // Only the API stack is read for an invoke.
    expect(describedStacks(aws)).toEqual(['inference-dev-api']);
    expect(api.requests[0].url).toBe('/dev/predict');
    expect(String(api.requests[0].headers.authorization)).toContain(`/${TEST_REGION}/execute-api/aws4_request`);
    expect(verifySigV4(api.requests[0], TEST_CREDENTIALS.AWS_SECRET_ACCESS_KEY)).toBeUndefined();
  });

  test("in api-key mode, looks the key up by the stack's ApiKeyId and sends it", async () => {
    deployDev(`${api.url}/dev/`, { ApiKeyId: 'key-id-1' });
    const run = await runCli(
      'invoke',
      ['--stage', 'dev', '-c', 'api.authorization=api-key', '--data', '{"instances":[[6.0,2.9,4.5,1.5]]}'],
      { env: env() },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lookup = aws.requests.find((r) => r.url.startsWith('/apikeys/'));
    expect(lookup?.url).toBe('/apikeys/key-id-1?includeValue=true');
    expect(api.requests[0].headers['x-api-key']).toBe('the-api-key-value');
    expect(api.requests[0].headers.authorization).toBeUndefined();
  });

  test('a stage whose API stack is not deployed: the message and the command to deploy it', async () => {
    for (const key of Object.keys(stacks)) delete stacks[key];
    const run = await runCli('invoke', ['--stage', 'dev', '--data', '{"instances":[[6.0,2.9,4.5,1.5]]}'], { env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'invoke: stage dev has no API in eu-west-1: stack inference-dev-api is not deployed\n  hint: deploy it first: npm run deploy -- --stage dev\n',
    );
    expect(api.requests).toHaveLength(0);
  });
});
