import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FakeAws, fakeCredentialsEnv, startFakeAws } from '../../harness/audit-fake-aws';
import { ADMIN, PREDICT_ROLE, pipelineState, runbook } from '../../harness/audit-runbook';

/**
 * Containment actions through the real AWS SDK v3 clients, pointed at a local service that
 * speaks the real wire protocols: the tests assert the exact calls and bodies sent, that a dry
 * run sends no change, and that restore sends the inverse.
 */
const NOW = new Date('2024-05-10T03:00:00.000Z');
let fake: FakeAws;
let dir: string;

let restoreEnv: () => void;
beforeAll(() => {
  restoreEnv = fakeCredentialsEnv();
});
afterAll(() => restoreEnv());
beforeEach(async () => {
  fake = await startFakeAws(pipelineState());
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-contain-'));
});
afterEach(async () => {
  await fake.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

const cli = (...argv: string[]) => runbook(argv, { endpoint: fake.url, now: NOW });
const operations = () => fake.requests.map((r) => `${r.service}:${r.operation}`);
const record = (name: string) => path.join(dir, name);

describe('stop-predictions', () => {
  test('a dry run reads the stack and the function, prints the exact request, and sends no change', async () => {
    const result = await cli('contain', 'stop-predictions', '--stack', 'inference-prod-api', '--record', record('r.json'));
    expect(result).toMatchObject({ code: 0, stderr: '' });
    expect(result.stdout).toContain('contain stop-predictions on stack inference-prod-api (eu-west-1): DRY RUN, nothing is sent');
    expect(result.stdout).toContain(
      'would send:\n  1. lambda PutFunctionConcurrency {"FunctionName":"inference-prod-predict","ReservedConcurrentExecutions":0}',
    );
    expect(result.stdout).toContain('undo (restore):\n  1. lambda DeleteFunctionConcurrency {"FunctionName":"inference-prod-predict"}');
    expect(fake.writes()).toEqual([]);
    // Resources come four pages of two; the prediction function is the one naming an endpoint.
    expect(operations()).toEqual([
      ...Array(4).fill('cloudformation:ListStackResources'),
      'lambda:GetFunctionConfiguration',
      'lambda:GetFunctionConfiguration',
      'lambda:GetFunctionConcurrency',
    ]);
    expect(fs.existsSync(record('r.json'))).toBe(false);
  });

  test('--confirm records the prior state first, then sends PutFunctionConcurrency 0; restore deletes the reservation', async () => {
    const contained = await cli('contain', 'stop-predictions', '--stack', 'inference-prod-api', '--record', record('r.json'), '--confirm');
    expect(contained.code).toBe(0);
    expect(fake.writes()).toEqual([
      {
        service: 'lambda',
        operation: 'PutFunctionConcurrency',
        method: 'PUT',
        path: '/2017-10-31/functions/inference-prod-predict/concurrency',
        input: { FunctionName: 'inference-prod-predict', ReservedConcurrentExecutions: 0 },
      },
    ]);
    expect(fake.state.functions['inference-prod-predict'].reservedConcurrency).toBe(0);
    const saved = JSON.parse(fs.readFileSync(record('r.json'), 'utf8'));
    expect(saved).toMatchObject({
      version: 1,
      action: 'stop-predictions',
      stack: 'inference-prod-api',
      region: 'eu-west-1',
      status: 'applied',
      appliedCount: 1,
      prior: { 'function:inference-prod-predict': { reservedConcurrentExecutions: null } },
      undo: [{ service: 'lambda', operation: 'DeleteFunctionConcurrency', input: { FunctionName: 'inference-prod-predict' } }],
    });

    fake.requests.length = 0;
    const dry = await cli('restore', '--record', record('r.json'));
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('would send:\n  1. lambda DeleteFunctionConcurrency {"FunctionName":"inference-prod-predict"}');
    expect(fake.writes()).toEqual([]);

    const restored = await cli('restore', '--record', record('r.json'), '--confirm');
    expect(restored.code).toBe(0);
    expect(fake.writes()).toEqual([
      {
        service: 'lambda',
        operation: 'DeleteFunctionConcurrency',
        method: 'DELETE',
        path: '/2017-10-31/functions/inference-prod-predict/concurrency',
        input: { FunctionName: 'inference-prod-predict' },
      },
    ]);
    expect(fake.state.functions['inference-prod-predict'].reservedConcurrency).toBeUndefined();
    expect(JSON.parse(fs.readFileSync(record('r.json'), 'utf8'))).toMatchObject({ status: 'restored', restoredAt: NOW.toISOString() });

    const again = await cli('restore', '--record', record('r.json'), '--confirm');
    expect(again).toMatchObject({ code: 2, stderr: `runbook: record ${record('r.json')} was already restored at ${NOW.toISOString()}\n` });
  });

  test('a function with reserved concurrency gets it back on restore; an existing record file is never overwritten', async () => {
    fake.state.functions['inference-prod-predict'].reservedConcurrency = 7;
    expect(
      (await cli('contain', 'stop-predictions', '--stack', 'inference-prod-api', '--record', record('r.json'), '--confirm')).code,
    ).toBe(0);
    const second = await cli(
      'contain',
      'stop-predictions',
      '--stack',
      'inference-prod-api',
      '--function',
      'inference-prod-predict',
      '--record',
      record('r.json'),
      '--confirm',
    );
    // Already 0: nothing to do, and nothing written over the record that holds the way back.
    expect(second.stdout).toContain('already has reserved concurrency 0: nothing to do');
    fake.requests.length = 0;
    expect((await cli('restore', '--record', record('r.json'), '--confirm')).code).toBe(0);
    expect(fake.writes().map((w) => w.input)).toEqual([{ FunctionName: 'inference-prod-predict', ReservedConcurrentExecutions: 7 }]);
    expect(fake.state.functions['inference-prod-predict'].reservedConcurrency).toBe(7);

    fake.requests.length = 0;
    const clash = await cli('contain', 'throttle-api', '--stack', 'inference-prod-api', '--record', record('r.json'), '--confirm');
    expect(clash).toMatchObject({
      code: 2,
      stderr: `runbook: record file ${record('r.json')} already exists; choose another with --record\n`,
    });
    expect(fake.writes()).toEqual([]);
  });
});

describe('throttle-api', () => {
  test('IAM mode: throttles the stage to 0 with an UpdateStage patch, restore puts back 200/400', async () => {
    const result = await cli('contain', 'throttle-api', '--stack', 'inference-prod-api', '--record', record('t.json'), '--confirm');
    expect(result.code).toBe(0);
    expect(fake.writes()).toEqual([
      {
        service: 'apigateway',
        operation: 'UpdateStage',
        method: 'PATCH',
        path: '/restapis/a1b2c3d4e5/stages/prod',
        input: {
          restApiId: 'a1b2c3d4e5',
          stageName: 'prod',
          patchOperations: [
            { op: 'replace', path: '/*/*/throttling/rateLimit', value: '0' },
            { op: 'replace', path: '/*/*/throttling/burstLimit', value: '0' },
          ],
        },
      },
    ]);
    expect(fake.state.stages.a1b2c3d4e5.prod).toEqual({ throttlingRateLimit: 0, throttlingBurstLimit: 0 });
    fake.requests.length = 0;
    expect((await cli('restore', '--record', record('t.json'), '--confirm')).code).toBe(0);
    expect(fake.writes().map((w) => w.input.patchOperations)).toEqual([
      [
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: '200' },
        { op: 'replace', path: '/*/*/throttling/burstLimit', value: '400' },
      ],
    ]);
    expect(fake.state.stages.a1b2c3d4e5.prod).toEqual({ throttlingRateLimit: 200, throttlingBurstLimit: 400 });
  });

  test('API-key mode: disables the key, restore enables it; --via stage throttles a stage that had no throttle and restore removes it', async () => {
    expect(
      (await cli('contain', 'throttle-api', '--stack', 'inference-prod-keyed-api', '--record', record('k.json'), '--confirm')).code,
    ).toBe(0);
    expect(fake.writes()).toEqual([
      {
        service: 'apigateway',
        operation: 'UpdateApiKey',
        method: 'PATCH',
        path: '/apikeys/key0000001',
        input: { apiKey: 'key0000001', patchOperations: [{ op: 'replace', path: '/enabled', value: 'false' }] },
      },
    ]);
    expect(fake.state.apiKeys.key0000001.enabled).toBe(false);
    fake.requests.length = 0;
    expect((await cli('restore', '--record', record('k.json'), '--confirm')).code).toBe(0);
    expect(fake.writes().map((w) => w.input.patchOperations)).toEqual([[{ op: 'replace', path: '/enabled', value: 'true' }]]);
    expect(fake.state.apiKeys.key0000001.enabled).toBe(true);

    fake.requests.length = 0;
    expect(
      (
        await cli(
          'contain',
          'throttle-api',
          '--stack',
          'inference-prod-keyed-api',
          '--via',
          'stage',
          '--record',
          record('s.json'),
          '--confirm',
        )
      ).code,
    ).toBe(0);
    expect((await cli('restore', '--record', record('s.json'), '--confirm')).code).toBe(0);
    expect(fake.writes().map((w) => w.input.patchOperations)).toEqual([
      [
        { op: 'replace', path: '/*/*/throttling/rateLimit', value: '0' },
        { op: 'replace', path: '/*/*/throttling/burstLimit', value: '0' },
      ],
      [
        { op: 'remove', path: '/*/*/throttling/rateLimit' },
        { op: 'remove', path: '/*/*/throttling/burstLimit' },
      ],
    ]);
    expect(fake.state.stages.k9k9k9k9k9.prod).toBeUndefined();
  });
});

describe('detach-policy and revoke-role-sessions', () => {
  test('detaches AdministratorAccess from the stack role (IAM query protocol), restore attaches it again', async () => {
    const dry = await cli(
      'contain',
      'detach-policy',
      '--stack',
      'inference-prod-api',
      '--role',
      'PredictFunctionServiceRole0F4E',
      '--policy-arn',
      ADMIN,
    );
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`would send:\n  1. iam DetachRolePolicy {"RoleName":"${PREDICT_ROLE}","PolicyArn":"${ADMIN}"}`);
    expect(fake.writes()).toEqual([]);

    expect(
      (
        await cli(
          'contain',
          'detach-policy',
          '--stack',
          'inference-prod-api',
          '--role',
          PREDICT_ROLE,
          '--policy-arn',
          ADMIN,
          '--record',
          record('d.json'),
          '--confirm',
        )
      ).code,
    ).toBe(0);
    expect(fake.writes()).toEqual([
      { service: 'iam', operation: 'DetachRolePolicy', method: 'POST', path: '/', input: { RoleName: PREDICT_ROLE, PolicyArn: ADMIN } },
    ]);
    expect(fake.state.roles[PREDICT_ROLE].attached).not.toContain(ADMIN);
    fake.requests.length = 0;
    expect((await cli('restore', '--record', record('d.json'), '--confirm')).code).toBe(0);
    expect(fake.writes()).toEqual([
      { service: 'iam', operation: 'AttachRolePolicy', method: 'POST', path: '/', input: { RoleName: PREDICT_ROLE, PolicyArn: ADMIN } },
    ]);
    expect(fake.state.roles[PREDICT_ROLE].attached).toContain(ADMIN);
  });

  test('refuses roles outside the stack and policies that are not attached, sending nothing', async () => {
    const outside = await cli(
      'contain',
      'detach-policy',
      '--stack',
      'inference-prod-api',
      '--role',
      'other-app-role',
      '--policy-arn',
      ADMIN,
      '--confirm',
    );
    expect(outside).toMatchObject({ code: 2, stdout: '' });
    expect(outside.stderr).toBe(
      `runbook: role 'other-app-role' is not a resource of stack inference-prod-api (roles: ${PREDICT_ROLE}, inference-prod-api-ReadFunctionRole-4D5E6F)\n`,
    );
    const notAttached = await cli(
      'contain',
      'detach-policy',
      '--stack',
      'inference-prod-api',
      '--role',
      'inference-prod-api-ReadFunctionRole-4D5E6F',
      '--policy-arn',
      ADMIN,
      '--confirm',
    );
    expect(notAttached.stderr).toBe(
      `runbook: policy ${ADMIN} is not attached to role inference-prod-api-ReadFunctionRole-4D5E6F (attached: none)\n`,
    );
    expect(fake.writes()).toEqual([]);
  });

  test("revoke-role-sessions: the dry run says the function's warm environments will be replaced, and sends nothing", async () => {
    const dry = await cli('contain', 'revoke-role-sessions', '--stack', 'inference-prod-api', '--role', PREDICT_ROLE);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(
      `targets:\n  - IAM role ${PREDICT_ROLE}\n  - Lambda function inference-prod-predict (its warm execution environments)\n`,
    );
    expect(dry.stdout).toContain(
      '  2. lambda UpdateFunctionConfiguration {"FunctionName":"inference-prod-predict","Environment":{"Variables":{"ENDPOINT_NAME":"inference-prod-iris-classifier","TABLE_NAME":"inference-prod-inferences","RUNBOOK_SESSIONS_REVOKED_AT":"2024-05-10T03:00:00.000Z"}}}',
    );
    expect(dry.stdout).toContain('undo (restore):\n  1. iam DeleteRolePolicy');
    expect(dry.stdout).toContain(
      '  2. lambda UpdateFunctionConfiguration {"FunctionName":"inference-prod-predict","Environment":{"Variables":{"ENDPOINT_NAME":"inference-prod-iris-classifier","TABLE_NAME":"inference-prod-inferences"}}}',
    );
    expect(dry.stdout).toContain(
      'warm Lambda environments keep the credentials they started with, which this revokes: they would fail every call until replaced, so RUNBOOK_SESSIONS_REVOKED_AT is set on inference-prod-predict (a configuration update), and Lambda replaces them',
    );
    // The read function runs with another role: untouched.
    expect(dry.stdout).not.toContain('inference-prod-read (its');
    expect(fake.writes()).toEqual([]);
  });

  test("revoke-role-sessions denies credentials issued before now and bumps the function's environment; restore deletes the policy and puts the environment back", async () => {
    expect(
      (
        await cli(
          'contain',
          'revoke-role-sessions',
          '--stack',
          'inference-prod-api',
          '--role',
          PREDICT_ROLE,
          '--record',
          record('v.json'),
          '--confirm',
        )
      ).code,
    ).toBe(0);
    const [put, update] = fake.writes();
    expect(put).toMatchObject({
      service: 'iam',
      operation: 'PutRolePolicy',
      input: { RoleName: PREDICT_ROLE, PolicyName: 'AWSRevokeOlderSessions' },
    });
    expect(JSON.parse(put.input.PolicyDocument as string)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Deny',
          Action: ['*'],
          Resource: ['*'],
          Condition: { DateLessThan: { 'aws:TokenIssueTime': '2024-05-10T03:00:00.000Z' } },
        },
      ],
    });
    // Lambda's REST API: PUT /2015-03-31/functions/NAME/configuration, after the deny is in place.
    expect(update).toMatchObject({
      service: 'lambda',
      operation: 'UpdateFunctionConfiguration',
      method: 'PUT',
      path: '/2015-03-31/functions/inference-prod-predict/configuration',
    });
    expect(fake.state.functions['inference-prod-predict'].environment).toEqual({
      ENDPOINT_NAME: 'inference-prod-iris-classifier',
      TABLE_NAME: 'inference-prod-inferences',
      RUNBOOK_SESSIONS_REVOKED_AT: '2024-05-10T03:00:00.000Z',
    });
    expect(fake.state.functions['inference-prod-read'].environment).toEqual({ TABLE_NAME: 'inference-prod-inferences' });
    fake.requests.length = 0;
    expect((await cli('restore', '--record', record('v.json'), '--confirm')).code).toBe(0);
    expect(fake.writes().map((w) => `${w.service}:${w.operation}`)).toEqual(['lambda:UpdateFunctionConfiguration', 'iam:DeleteRolePolicy']);
    expect(fake.state.roles[PREDICT_ROLE].inline).toEqual({});
    expect(fake.state.functions['inference-prod-predict'].environment).toEqual({
      ENDPOINT_NAME: 'inference-prod-iris-classifier',
      TABLE_NAME: 'inference-prod-inferences',
    });
  });

  test('revoke-role-sessions on a role no function uses says so and changes only the role', async () => {
    fake.state.functions['inference-prod-read'].role = 'someone-else';
    const dry = await cli(
      'contain',
      'revoke-role-sessions',
      '--stack',
      'inference-prod-api',
      '--role',
      'inference-prod-api-ReadFunctionRole-4D5E6F',
    );
    expect(dry.stdout).toContain('no function of stack inference-prod-api runs with this role');
    expect(dry.stdout).not.toContain('UpdateFunctionConfiguration');
  });
});

describe('bad input and tampered records', () => {
  test.each([
    [
      ['contain', 'delete-everything', '--stack', 'inference-prod-api'],
      "runbook: unknown action 'delete-everything' (actions: throttle-api, stop-predictions, detach-policy, revoke-role-sessions)\n",
    ],
    [
      ['contain', 'stop-predictions'],
      'runbook: contain stop-predictions needs --stack NAME (the CloudFormation stack whose resources it may touch)\n',
    ],
    [['contain', 'stop-predictions', '--stack', 'nope'], "runbook: stack 'nope' not found in eu-west-1\n"],
    [
      ['contain', 'stop-predictions', '--stack', 'other-app'],
      'runbook: stack other-app has 0 functions calling an endpoint (ENDPOINT_NAME set): pass --function (functions: other-app-worker)\n',
    ],
    [
      ['contain', 'detach-policy', '--stack', 'inference-prod-api', '--role', PREDICT_ROLE, '--policy-arn', 'AdministratorAccess'],
      "runbook: --policy-arn 'AdministratorAccess' is not a managed policy ARN (arn:aws:iam::ACCOUNT:policy/NAME)\n",
    ],
    [
      ['contain', 'throttle-api', '--stack', 'inference-prod-api', '--via', 'sideways'],
      "runbook: --via must be auto, stage or api-key, got 'sideways'\n",
    ],
  ])('%j', async (argv, message) => {
    const result = await cli(...argv);
    expect(result).toMatchObject({ code: 2, stderr: message });
    expect(fake.writes()).toEqual([]);
  });

  test('restore refuses a record naming a resource outside the stack, or an operation containment never sends', async () => {
    const base = {
      version: 1,
      action: 'stop-predictions',
      stack: 'inference-prod-api',
      region: 'eu-west-1',
      createdAt: NOW.toISOString(),
      targets: [],
      prior: {},
      changes: [],
      notes: [],
      status: 'applied',
      appliedCount: 1,
    };
    fs.writeFileSync(
      record('a.json'),
      JSON.stringify({
        ...base,
        undo: [{ service: 'lambda', operation: 'DeleteFunctionConcurrency', input: { FunctionName: 'other-app-worker' } }],
      }),
    );
    expect((await cli('restore', '--record', record('a.json'), '--confirm')).stderr).toBe(
      "runbook: record names function 'other-app-worker', which is not a resource of stack inference-prod-api; refusing to restore\n",
    );
    fs.writeFileSync(
      record('b.json'),
      JSON.stringify({ ...base, undo: [{ service: 'iam', operation: 'CreateAccessKey', input: { UserName: 'mallory' } }] }),
    );
    expect((await cli('restore', '--record', record('b.json'), '--confirm')).stderr).toBe(
      `runbook: record ${record('b.json')} is not a containment record: unexpected call iam CreateAccessKey\n`,
    );
    fs.writeFileSync(
      record('c.json'),
      JSON.stringify({
        ...base,
        undo: [
          { service: 'iam', operation: 'PutRolePolicy', input: { RoleName: PREDICT_ROLE, PolicyName: 'backdoor', PolicyDocument: '{}' } },
        ],
      }),
    );
    expect((await cli('restore', '--record', record('c.json'), '--confirm')).stderr).toBe(
      "runbook: record changes inline policy 'backdoor'; refusing to restore\n",
    );
    fs.writeFileSync(
      record('e.json'),
      JSON.stringify({
        ...base,
        undo: [
          {
            service: 'lambda',
            operation: 'UpdateFunctionConfiguration',
            input: { FunctionName: 'inference-prod-predict', Role: 'arn:aws:iam::111122223333:role/admin' },
          },
        ],
      }),
    );
    expect((await cli('restore', '--record', record('e.json'), '--confirm')).stderr).toBe(
      "runbook: record updates Role of function 'inference-prod-predict'; refusing to restore\n",
    );
    fs.writeFileSync(record('d.json'), '{"version": 1, "stack": ');
    expect((await cli('restore', '--record', record('d.json'))).stderr).toMatch(/^runbook: cannot read record .*d\.json: /);
    expect(fake.writes()).toEqual([]);
  });
});
