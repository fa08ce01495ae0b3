import { QueryInputError, findQuery, renderQuery, resolveParams } from '../../../tools/runbook/query-library';
import {
  ENGINE_SHAPES,
  INCIDENT_FIXTURES,
  INVICTUS,
  LIBRARY,
  LibraryEngine,
  TRAIL_FIXTURES,
  pick,
  runLibraryQuery,
} from '../../harness/audit-engine';

/** Every query runs on both shapes: Lake's table, and a trail's Glue table through the Lake view. */
const SHAPES = Object.entries(ENGINE_SHAPES);
/** The incident records for each shape: flat files for Lake's table, the trail's S3 layout for Athena's. */
const INCIDENT_FILES: Record<string, string> = {
  'Lake-shaped table': INCIDENT_FIXTURES,
  'Athena-shaped trail table through the Lake view': TRAIL_FIXTURES,
};

/** The incident window of the fixtures: baseline 2024-05-01..09, attack on 2024-05-10. */
const WINDOW = { startTime: '2024-05-10T00:00:00Z', endTime: '2024-05-11T00:00:00Z' };
const BASELINE = { startTime: '2024-05-01', endTime: '2024-05-10' };
const PREFIX = 'inference-prod';
const ACCOUNT = '111122223333';
const MALLORY = `arn:aws:iam::${ACCOUNT}:user/mallory`;
const ALICE = `arn:aws:iam::${ACCOUNT}:user/alice`;
const PREDICT_ROLE = `arn:aws:iam::${ACCOUNT}:role/inference-prod-PredictFunctionRole`;
const CFN = `arn:aws:sts::${ACCOUNT}:assumed-role/cdk-hnb659fds-cfn-exec-role-${ACCOUNT}-eu-west-1/AWSCloudFormation`;

describe('query library', () => {
  test('has a query for every incident-response question, each with a title, a description and typed parameters', () => {
    expect(LIBRARY.map((q) => q.id)).toEqual([
      'access-key-activity',
      'audit-tampering',
      'console-signin-without-mfa',
      'denied-calls',
      'endpoint-changes',
      'function-and-api-changes',
      'function-invocations',
      'iam-changes',
      'inference-record-access',
      'new-source-ips',
      'new-user-agents',
      'principal-activity',
    ]);
    for (const q of LIBRARY) {
      expect(q.title.length).toBeGreaterThan(10);
      expect(q.description.length).toBeGreaterThan(60);
      expect(q.params.map((p) => p.name)).toEqual(expect.arrayContaining(['startTime', 'endTime']));
    }
  });

  test("the SQL stays within CloudTrail Lake's dialect (no DuckDB-only syntax)", () => {
    const duckdbOnly = [
      /::/, // casts
      /\[\s*-?\d+\s*\]/, // list indexing
      /\bINTERVAL\b/i, // not supported by Lake
      /\b(ILIKE|QUALIFY|EXCLUDE|REPLACE)\b/i,
      /\b(list_\w+|map_extract\w*|array_to_string|regexp_matches|strftime|epoch\w*|struct_extract|json_extract_string)\s*\(/i,
      /->>?/,
      /"/, // Lake identifiers are not double-quoted here; strings use single quotes
    ];
    for (const q of LIBRARY) {
      const code = q.sql.replace(/'(?:[^']|'')*'/g, "''"); // string literals may hold anything
      for (const pattern of duckdbOnly)
        expect({ query: q.id, pattern: String(pattern), match: pattern.test(code) }).toEqual({
          query: q.id,
          pattern: String(pattern),
          match: false,
        });
      expect(q.sql).toMatch(/FROM \$EDS/);
    }
  });

  test('renders for CloudTrail Lake: FROM the event data store id, parameters as quoted literals, times as Lake compares them', () => {
    const query = findQuery(LIBRARY, 'principal-activity');
    const params = resolveParams(query, { principalArn: MALLORY, startTime: '2024-05-10T01:30:00+02:00', endTime: '2024-05-11' });
    const sql = renderQuery(query, params, {
      kind: 'lake',
      eventDataStoreId: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE`,
    });
    expect(sql).toContain('FROM EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE');
    expect(sql).toContain(`userIdentity.arn = '${MALLORY}'`);
    expect(sql).toContain("eventTime >= '2024-05-09 23:30:00'");
    expect(sql).toContain("eventTime < '2024-05-11 00:00:00'");
    expect(sql).not.toMatch(/\{\{|\$EDS/);
  });

  test('renders for Athena: FROM the Lake-shaped view over the trail table, pruned to the delivery days of the window, times as TIMESTAMP literals', () => {
    const query = findQuery(LIBRARY, 'new-source-ips');
    const params = resolveParams(query, {
      startTime: '2024-05-10T00:00:00Z',
      endTime: '2024-05-11T00:00:00Z',
      baselineStart: '2024-05-01',
    });
    const sql = renderQuery(query, params, { kind: 'trail', table: '"inference_prod_audit"."cloudtrail"', dialect: 'athena' });
    // Both FROMs read the view; the partitions span the baseline's start to the day after the end.
    expect(
      sql.match(/FROM "inference_prod_audit"\."cloudtrail" WHERE "timestamp" >= '2024\/05\/01' AND "timestamp" <= '2024\/05\/12'\)/g),
    ).toHaveLength(2);
    expect(sql).toContain("eventTime >= TIMESTAMP '2024-05-10 00:00:00'");
    expect(sql).toContain("eventTime < TIMESTAMP '2024-05-11 00:00:00'");
    // Lake's types: a timestamp, a boolean, and maps of JSON text built with Trino's functions.
    expect(sql).toContain('CAST(from_iso8601_timestamp(eventtime) AS TIMESTAMP) AS "eventTime"');
    expect(sql).toContain('CAST(readonly AS BOOLEAN) AS "readOnly"');
    expect(sql).toContain('transform_values(map_filter(CAST(json_parse(requestparameters) AS MAP(VARCHAR, JSON))');
    expect(sql).toContain('CAST(NULL AS VARCHAR) AS "eventJson"');
    expect(sql).not.toMatch(/\{\{|\$EDS|list_transform|map_entries/);
  });

  test('relative times resolve against now, and defaults fill optional parameters', () => {
    const query = findQuery(LIBRARY, 'new-source-ips');
    const now = new Date('2024-05-10T12:00:00Z');
    expect(resolveParams(query, {}, now)).toEqual({
      startTime: '2024-05-09 12:00:00',
      endTime: '2024-05-10 12:00:00',
      baselineStart: '2024-04-10 12:00:00',
    });
    expect(resolveParams(findQuery(LIBRARY, 'denied-calls'), { startTime: 'now-30m' }, now)).toEqual({
      startTime: '2024-05-10 11:30:00',
      endTime: '2024-05-10 12:00:00',
      prefix: '',
    });
  });

  test.each([
    [
      'principal-activity',
      {},
      "query principal-activity: missing parameter 'principalArn' (arn: the user, role or assumed-role session to follow); pass --param principalArn=VALUE",
    ],
    [
      'principal-activity',
      { principalArn: "x' OR '1'='1" },
      "query principal-activity: parameter 'principalArn' is 'x' OR '1'='1', expected an ARN such as",
    ],
    ['principal-activity', { principalArn: `${MALLORY}' OR 1=1 --` }, "parameter 'principalArn' is"],
    ['access-key-activity', { accessKeyId: 'akia-not-a-key' }, "parameter 'accessKeyId' is 'akia-not-a-key', expected an access key id"],
    [
      'endpoint-changes',
      { prefix: "inference'; DROP TABLE x; --" },
      "parameter 'prefix' is 'inference'; DROP TABLE x; --', expected a resource name",
    ],
    ['endpoint-changes', { startTime: '10/05/2024' }, "parameter 'startTime' is '10/05/2024', expected an ISO-8601 UTC time"],
    [
      'endpoint-changes',
      { startTime: '2024-02-30T00:00:00Z' },
      "parameter 'startTime' is '2024-02-30T00:00:00Z', which is not a valid time",
    ],
    [
      'endpoint-changes',
      { startTime: '2024-05-11', endTime: '2024-05-10' },
      'startTime (2024-05-11 00:00:00) must be before endTime (2024-05-10 00:00:00)',
    ],
    [
      'endpoint-changes',
      { tableName: 'x' },
      "query endpoint-changes: unknown parameter 'tableName' (parameters: startTime, endTime, prefix)",
    ],
    ['access-key-activity', { accessKeyId: '' }, "parameter 'accessKeyId' must not be empty"],
  ])('refuses bad input to %s: %j', (id, given, message) => {
    const query = findQuery(LIBRARY, id);
    expect(() => resolveParams(query, given as Record<string, string>)).toThrow(QueryInputError);
    expect(() => resolveParams(query, given as Record<string, string>)).toThrow(message);
  });

  test('an unknown query names the known ones; a bad event data store id is refused', () => {
    expect(() => findQuery(LIBRARY, 'who-did-it')).toThrow(
      /^unknown query 'who-did-it' \(known queries: access-key-activity, audit-tampering,/,
    );
    const query = findQuery(LIBRARY, 'denied-calls');
    expect(() => renderQuery(query, resolveParams(query, {}), { kind: 'lake', eventDataStoreId: 'eds; DROP' })).toThrow(
      /is not an event data store id or ARN/,
    );
  });
});

describe.each(SHAPES)('every query, %s, on the incident fixtures', (shape, create) => {
  let engine: LibraryEngine;
  beforeAll(async () => {
    engine = await create(INCIDENT_FILES[shape]);
  });
  afterAll(() => engine.close());
  const run = (id: string, params: Record<string, string>) => runLibraryQuery(engine, id, params).then((r) => r.rows);

  test('endpoint-changes: the hand-made config swap and the refused model deletion, window bounds respected', async () => {
    const rows = await run('endpoint-changes', { ...WINDOW, prefix: PREFIX });
    expect(pick(rows, 'eventTime', 'eventName', 'endpointName', 'endpointConfigName', 'modelName', 'principalArn', 'errorCode')).toEqual([
      // The deploy at exactly startTime is in (inclusive); the one a second earlier is not.
      {
        eventTime: '2024-05-10 00:00:00.000',
        eventName: 'CreateModel',
        endpointName: null,
        endpointConfigName: null,
        modelName: 'inference-prod-model-1-0-1',
        principalArn: CFN,
        errorCode: null,
      },
      {
        eventTime: '2024-05-10 01:09:00.000',
        eventName: 'CreateEndpointConfig',
        endpointName: null,
        endpointConfigName: 'inference-prod-config-evil',
        modelName: null,
        principalArn: MALLORY,
        errorCode: null,
      },
      {
        eventTime: '2024-05-10 01:10:00.000',
        eventName: 'UpdateEndpoint',
        endpointName: 'inference-prod-endpoint',
        endpointConfigName: 'inference-prod-config-evil',
        modelName: null,
        principalArn: MALLORY,
        errorCode: null,
      },
      {
        eventTime: '2024-05-10 01:12:00.000',
        eventName: 'DeleteModel',
        endpointName: null,
        endpointConfigName: null,
        modelName: 'inference-prod-model-1-0-0',
        principalArn: MALLORY,
        errorCode: 'AccessDenied',
      },
    ]);
    expect(rows[2]).toMatchObject({ sourceIPAddress: '203.0.113.66', accessKeyId: 'AKIAMALLORY000000001' });
    // Without a prefix, the other application's endpoint update shows too.
    expect((await run('endpoint-changes', WINDOW)).map((r) => r.endpointName)).toContain('other-app-endpoint');
  });

  test('iam-changes: AdministratorAccess attached to the prediction role, and a new version of a pipeline policy', async () => {
    const rows = await run('iam-changes', { ...WINDOW, prefix: PREFIX });
    expect(pick(rows, 'eventTime', 'eventName', 'roleName', 'policyArn', 'principalArn')).toEqual([
      {
        eventTime: '2024-05-10 01:20:00.000',
        eventName: 'AttachRolePolicy',
        roleName: 'inference-prod-PredictFunctionRole',
        policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
        principalArn: MALLORY,
      },
      {
        eventTime: '2024-05-10 01:22:00.000',
        eventName: 'CreatePolicyVersion',
        roleName: null,
        policyArn: `arn:aws:iam::${ACCOUNT}:policy/inference-prod-records-read`,
        principalArn: MALLORY,
      },
    ]);
    expect((await run('iam-changes', WINDOW)).map((r) => r.roleName)).toContain('other-app-role');
    expect(await run('iam-changes', { ...BASELINE, prefix: PREFIX })).toEqual([]);
  });

  test("inference-record-access: mallory's scan, batch read, refused read and delete; the function's own writes excluded", async () => {
    const rows = await run('inference-record-access', { ...WINDOW, tableName: 'inference-prod-records', excludeRoleArn: PREDICT_ROLE });
    expect(pick(rows, 'eventTime', 'access', 'eventName', 'itemKey', 'principalArn', 'errorCode')).toEqual([
      { eventTime: '2024-05-10 01:30:00.000', access: 'read', eventName: 'Scan', itemKey: null, principalArn: MALLORY, errorCode: null },
      {
        eventTime: '2024-05-10 01:31:00.000',
        access: 'delete',
        eventName: 'DeleteItem',
        itemKey: '{"pk":"INFERENCE#req-1","sk":"RECORD"}',
        principalArn: MALLORY,
        errorCode: null,
      },
      {
        eventTime: '2024-05-10 01:34:00.000',
        access: 'read',
        eventName: 'BatchGetItem',
        itemKey: null,
        principalArn: MALLORY,
        errorCode: null,
      },
      {
        eventTime: '2024-05-10 01:52:00.000',
        access: 'read',
        eventName: 'GetItem',
        itemKey: '{"pk":"INFERENCE#req-4","sk":"RECORD"}',
        principalArn: MALLORY,
        errorCode: 'AccessDeniedException',
      },
    ]);
    const withOwn = await run('inference-record-access', { ...WINDOW, tableName: 'inference-prod-records' });
    expect(pick(withOwn, 'eventName', 'roleArn').filter((r) => r.roleArn)).toEqual([{ eventName: 'PutItem', roleArn: PREDICT_ROLE }]);
    expect((await run('inference-record-access', WINDOW)).map((r) => r.tableName)).toContain('other-app-sessions');
    expect(await run('inference-record-access', { ...WINDOW, tableName: 'inference-dev-inferences' })).toEqual([]);
  });

  test('function-invocations: the direct call by mallory, not the API Gateway one nor other functions', async () => {
    const rows = await run('function-invocations', { ...WINDOW, prefix: PREFIX });
    expect(pick(rows, 'eventTime', 'functionName', 'principalType', 'principalArn', 'sourceIPAddress')).toEqual([
      {
        eventTime: '2024-05-10 01:40:00.000',
        functionName: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:inference-prod-predict`,
        principalType: 'IAMUser',
        principalArn: MALLORY,
        sourceIPAddress: '203.0.113.66',
      },
    ]);
    expect(await run('function-invocations', { ...WINDOW, functionName: 'inference-prod-predict' })).toHaveLength(1);
    expect(await run('function-invocations', { ...WINDOW, functionName: 'inference-prod-read' })).toEqual([]);
    expect((await run('function-invocations', WINDOW)).map((r) => r.principalArn)).toEqual([MALLORY, ALICE]);
  });

  test('function-and-api-changes: replaced function code and a stage update on the pipeline API', async () => {
    const rows = await run('function-and-api-changes', { ...WINDOW, prefix: PREFIX, restApiId: 'a1b2c3d4e5' });
    expect(pick(rows, 'eventTime', 'eventSource', 'eventName', 'target', 'detail', 'principalArn')).toEqual([
      {
        eventTime: '2024-05-10 01:45:00.000',
        eventSource: 'lambda.amazonaws.com',
        eventName: 'UpdateFunctionCode20150331v2',
        target: 'inference-prod-predict',
        detail: null,
        principalArn: MALLORY,
      },
      {
        eventTime: '2024-05-10 01:46:00.000',
        eventSource: 'apigateway.amazonaws.com',
        eventName: 'UpdateStage',
        target: 'a1b2c3d4e5',
        detail: 'prod',
        principalArn: MALLORY,
      },
    ]);
    expect(await run('function-and-api-changes', { ...BASELINE, prefix: PREFIX })).toEqual([]);
  });

  test('denied-calls: refusals naming pipeline resources; all refusals without a prefix', async () => {
    const scoped = await run('denied-calls', { ...WINDOW, prefix: PREFIX });
    expect(pick(scoped, 'eventTime', 'eventSource', 'eventName', 'errorCode')).toEqual([
      { eventTime: '2024-05-10 01:12:00.000', eventSource: 'sagemaker.amazonaws.com', eventName: 'DeleteModel', errorCode: 'AccessDenied' },
      {
        eventTime: '2024-05-10 01:52:00.000',
        eventSource: 'dynamodb.amazonaws.com',
        eventName: 'GetItem',
        errorCode: 'AccessDeniedException',
      },
    ]);
    const all = await run('denied-calls', WINDOW);
    expect(pick(all, 'eventName', 'errorCode')).toEqual([
      { eventName: 'DeleteModel', errorCode: 'AccessDenied' },
      { eventName: 'StopEventDataStoreIngestion', errorCode: 'AccessDenied' },
      { eventName: 'GetItem', errorCode: 'AccessDeniedException' },
      { eventName: 'DescribeInstances', errorCode: 'Client.UnauthorizedOperation' },
      { eventName: 'ScheduleKeyDeletion', errorCode: 'AccessDeniedException' },
    ]);
    expect(await run('denied-calls', BASELINE)).toEqual([]);
  });

  test("console-signin-without-mfa: both of mallory's sign-ins (one failed, without an ARN), not alice's with MFA", async () => {
    const rows = await run('console-signin-without-mfa', WINDOW);
    expect(pick(rows, 'eventTime', 'principalArn', 'userName', 'result', 'errorMessage', 'sourceIPAddress')).toEqual([
      {
        eventTime: '2024-05-10 01:00:00.000',
        principalArn: MALLORY,
        userName: 'mallory',
        result: 'Success',
        errorMessage: null,
        sourceIPAddress: '203.0.113.66',
      },
      {
        eventTime: '2024-05-10 01:02:00.000',
        principalArn: 'AIDAMALLORY000000001',
        userName: 'mallory',
        result: 'Failure',
        errorMessage: 'Failed authentication',
        sourceIPAddress: '203.0.113.66',
      },
    ]);
    expect(await run('console-signin-without-mfa', BASELINE)).toEqual([]);
  });

  test('principal-activity: every call of mallory in time order, up to but not including endTime', async () => {
    const rows = await run('principal-activity', { ...WINDOW, principalArn: MALLORY });
    expect(rows).toHaveLength(19);
    expect(rows[0]).toMatchObject({ eventTime: '2024-05-10 01:00:00.000', eventName: 'ConsoleLogin', requestParameters: null });
    expect(rows[rows.length - 1]).toMatchObject({ eventTime: '2024-05-10 23:59:59.000', eventName: 'GetCallerIdentity' });
    expect(JSON.parse(rows.find((r) => r.eventName === 'UpdateEndpoint')!.requestParameters as string)).toEqual({
      endpointName: 'inference-prod-endpoint',
      endpointConfigName: 'inference-prod-config-evil',
    });
    // A role ARN follows every session of the role.
    expect(pick(await run('principal-activity', { ...WINDOW, principalArn: PREDICT_ROLE }), 'eventName')).toEqual([
      { eventName: 'PutItem' },
    ]);
    expect(await run('principal-activity', { ...WINDOW, principalArn: `arn:aws:iam::${ACCOUNT}:user/nobody` })).toEqual([]);
  });

  test('access-key-activity: who created the second key, and what it was used for', async () => {
    const rows = await run('access-key-activity', { ...WINDOW, accessKeyId: 'AKIAMALLORY000000002' });
    expect(pick(rows, 'eventTime', 'relation', 'eventName', 'principalArn', 'sourceIPAddress')).toEqual([
      {
        eventTime: '2024-05-10 02:05:00.000',
        relation: 'acted on the key',
        eventName: 'CreateAccessKey',
        principalArn: ALICE,
        sourceIPAddress: '198.51.100.7',
      },
      {
        eventTime: '2024-05-10 02:10:00.000',
        relation: 'signed with the key',
        eventName: 'ListBuckets',
        principalArn: MALLORY,
        sourceIPAddress: '203.0.113.66',
      },
    ]);
    expect(await run('access-key-activity', { ...WINDOW, accessKeyId: 'AKIAUNUSED0000000000' })).toEqual([]);
  });

  test("new-source-ips: mallory's address is new; alice's and the function's are in the baseline; AWS services are left out", async () => {
    const rows = await run('new-source-ips', { ...WINDOW, baselineStart: '2024-05-01' });
    expect(rows).toEqual([
      {
        principal: MALLORY,
        sourceIPAddress: '203.0.113.66',
        firstSeen: '2024-05-10 01:00:00.000',
        lastSeen: '2024-05-10 23:59:59.000',
        events: '19',
      },
      {
        principal: 'AIDAMALLORY000000001',
        sourceIPAddress: '203.0.113.66',
        firstSeen: '2024-05-10 01:02:00.000',
        lastSeen: '2024-05-10 01:02:00.000',
        events: '1',
      },
    ]);
    expect(await run('new-source-ips', { startTime: '2024-05-05', endTime: '2024-05-10', baselineStart: '2024-05-01' })).toEqual([]);
  });

  test("new-user-agents: mallory's browser and boto3, alice's python-requests; known clients are not new", async () => {
    const rows = await run('new-user-agents', { ...WINDOW, baselineStart: '2024-05-01' });
    expect(pick(rows, 'principal', 'userAgent', 'events')).toEqual([
      { principal: MALLORY, userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0', events: '1' },
      {
        principal: 'AIDAMALLORY000000001',
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
        events: '1',
      },
      { principal: MALLORY, userAgent: expect.stringMatching(/^Boto3\/1\.34\.0/), events: '18' },
      { principal: ALICE, userAgent: 'python-requests/2.31.0', events: '1' },
    ]);
  });

  test('audit-tampering: the refused attempts to stop the event data store and delete its key', async () => {
    const rows = await run('audit-tampering', WINDOW);
    expect(pick(rows, 'eventName', 'target', 'errorCode')).toEqual([
      {
        eventName: 'StopEventDataStoreIngestion',
        target: `arn:aws:cloudtrail:eu-west-1:${ACCOUNT}:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE`,
        errorCode: 'AccessDenied',
      },
      {
        eventName: 'ScheduleKeyDeletion',
        target: `arn:aws:kms:eu-west-1:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`,
        errorCode: 'AccessDeniedException',
      },
    ]);
    expect(await run('audit-tampering', BASELINE)).toEqual([]);
  });
});

describe.each(SHAPES)('queries on the real invictus records (a simulated attack on 2023-07-10), %s', (_shape, create) => {
  let engine: LibraryEngine;
  const DAY = { startTime: '2023-07-10', endTime: '2023-07-11' };
  beforeAll(async () => {
    engine = await create(INVICTUS);
  });
  afterAll(() => engine.close());

  test('denied-calls finds the 16 AccessDenied and 44 UnauthorizedOperation records', async () => {
    const rows = (await runLibraryQuery(engine, 'denied-calls', DAY)).rows;
    expect(rows).toHaveLength(60);
    expect(new Set(rows.map((r) => r.errorCode))).toEqual(new Set(['AccessDenied', 'Client.UnauthorizedOperation']));
  });

  test('console-signin-without-mfa finds the attack tool sign-in and not the one with MFA', async () => {
    const rows = (await runLibraryQuery(engine, 'console-signin-without-mfa', DAY)).rows;
    expect(pick(rows, 'eventTime', 'principalArn', 'result')).toEqual([
      {
        eventTime: '2023-07-10 12:23:15.000',
        principalArn: 'arn:aws:iam::123837392027:user/stratus-red-team-nmfalu-gfjyeaypjt',
        result: 'Success',
      },
    ]);
  });

  test('audit-tampering finds the StopLogging and DeleteTrail calls; access-key-activity traces a backdoor key', async () => {
    const tampering = (await runLibraryQuery(engine, 'audit-tampering', DAY)).rows;
    expect(tampering.filter((r) => r.eventName === 'StopLogging')).toHaveLength(3);
    expect(tampering.filter((r) => r.eventName === 'DeleteTrail')).toHaveLength(3);
    const key = (await runLibraryQuery(engine, 'access-key-activity', { ...DAY, accessKeyId: 'AKIATFQR7NSC3ZO6PKAZ' })).rows;
    expect(pick(key, 'eventName', 'relation')[0]).toEqual({ eventName: 'CreateAccessKey', relation: 'acted on the key' });
  });
});
