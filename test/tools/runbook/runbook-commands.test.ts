import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OfflineEngine } from '../../../tools/runbook/offline-engine';
import { FakeAws, fakeCredentialsEnv, startFakeAws } from '../../harness/audit-fake-aws';
import { INCIDENT_FIXTURES, TRAIL_FIXTURES } from '../../harness/audit-engine';
import { TrailTableEngine } from '../../../tools/runbook/trail-table-engine';
import { restoreCase, runOnAthena } from '../../../tools/runbook/athena-runner';
import { createClients, destroyClients } from '../../../tools/runbook/aws-calls';
import { findQuery, loadQueryLibrary, renderQuery, resolveParams } from '../../../tools/runbook/query-library';
import { pipelineState, runbook } from '../../harness/audit-runbook';
import { SWC_REGISTER } from '../../harness/repo';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EDS_ID = 'EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';
const EDS_ARN = `arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/${EDS_ID}`;
const WINDOW = ['--param', 'startTime=2024-05-10T00:00:00Z', '--param', 'endTime=2024-05-11T00:00:00Z'];

describe('runbook commands, offline', () => {
  test('list names every query with its parameters; show prints the question and the SQL', async () => {
    const list = await runbook(['list']);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/^access-key-activity\s+Everything one access key did\n\s+params: accessKeyId\* startTime endTime\n/);
    expect(list.stdout.match(/params:/g)).toHaveLength(12);
    const show = await runbook(['show', 'inference-record-access']);
    expect(show.stdout).toContain('Who read, wrote or deleted inference records\n\nDynamoDB data events on the inference table');
    expect(show.stdout).toContain("  excludeRoleArn (arn, default '' (any)): leave out calls made with this role");
    expect(show.stdout).toContain("WHERE eventSource = 'dynamodb.amazonaws.com'");
  });

  test('run --offline prints a table, CSV or JSON of the same rows', async () => {
    const args = ['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, ...WINDOW, '--param', 'prefix=inference-prod'];
    const table = await runbook(args);
    expect(table).toMatchObject({ code: 0, stderr: expect.stringMatching(/^loaded 39 records from 3 file\(s\) in \d+ ms\n$/) });
    expect(table.stdout.split('\n')[0]).toMatch(/^eventTime\s+eventSource\s+eventName\s+errorCode\s+errorMessage/);
    expect(table.stdout).toContain('(2 rows)');

    const json = JSON.parse((await runbook([...args, '--format', 'json'])).stdout);
    expect(json.map((r: Record<string, string>) => [r.eventName, r.errorCode])).toEqual([
      ['DeleteModel', 'AccessDenied'],
      ['GetItem', 'AccessDeniedException'],
    ]);
    const csv = (await runbook([...args, '--format=csv'])).stdout.trimEnd().split('\n');
    expect(csv[0]).toBe(
      'eventTime,eventSource,eventName,errorCode,errorMessage,principalArn,accessKeyId,sourceIPAddress,userAgent,eventID',
    );
    expect(csv).toHaveLength(3);
    // JSON text holds commas and quotes: the cell is quoted and its quotes doubled (RFC 4180).
    const activity = await runbook([
      'run',
      'principal-activity',
      '--offline',
      INCIDENT_FIXTURES,
      ...WINDOW,
      '--param',
      'principalArn=arn:aws:iam::111122223333:user/mallory',
      '--format',
      'csv',
    ]);
    expect(activity.stdout).toContain(
      ',"{""endpointName"":""inference-prod-endpoint"",""endpointConfigName"":""inference-prod-config-evil""}",',
    );
  });

  test('export-notebook writes an nbformat 4 notebook holding every query', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-nb-'));
    const out = path.join(dir, 'sub', 'runbook.ipynb');
    const result = await runbook(['export-notebook', '--out', out]);
    expect(result).toMatchObject({
      code: 0,
      stdout: `wrote ${out}: 12 queries and the containment cells, for every backend (chosen from runbook-targets.json)\n`,
    });
    const notebook = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(notebook.nbformat).toBe(4);
    expect(notebook.cells.filter((c: { source: string[] }) => c.source.join('').includes('QUERIES["'))).toHaveLength(12);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    [
      ['run', 'who-did-it', '--offline', INCIDENT_FIXTURES],
      2,
      /^runbook: unknown query 'who-did-it' \(known queries: access-key-activity, /,
    ],
    [
      ['run', 'principal-activity', '--offline', INCIDENT_FIXTURES],
      2,
      /^runbook: query principal-activity: missing parameter 'principalArn' \(arn: .*\); pass --param principalArn=VALUE\n$/,
    ],
    [
      ['run', 'principal-activity', '--offline', INCIDENT_FIXTURES, '--param', "principalArn=' OR 1=1 --"],
      2,
      /^runbook: query principal-activity: parameter 'principalArn' is '' OR 1=1 --', expected an ARN/,
    ],
    [
      ['run', 'access-key-activity', '--offline', INCIDENT_FIXTURES, '--param', 'accessKeyId=mallory'],
      2,
      /parameter 'accessKeyId' is 'mallory', expected an access key id/,
    ],
    [
      ['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--param', 'startTime=yesterday'],
      2,
      /parameter 'startTime' is 'yesterday', expected an ISO-8601 UTC time/,
    ],
    [
      ['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--param', 'startTime'],
      2,
      /^runbook: --param expects NAME=VALUE, got 'startTime'\n$/,
    ],
    [
      ['run', 'denied-calls'],
      2,
      /^runbook: run needs exactly one of --offline FILE\|DIR, --event-data-store ID\|ARN or --athena-workgroup NAME\n$/,
    ],
    [['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--athena-workgroup', 'w'], 2, /^runbook: run needs exactly one of /],
    [
      ['run', 'denied-calls', '--athena-workgroup', 'inference-prod-audit', '--region', 'eu-west-1'],
      2,
      /^runbook: --athena-workgroup needs --athena-table DATABASE.TABLE \(the trail's Glue table; the audit stack outputs it as AthenaTable\)\n$/,
    ],
    [
      ['run', 'denied-calls', '--athena-workgroup', 'inference-prod-audit', '--athena-table', 'cloudtrail'],
      2,
      /^runbook: --athena-table must be DATABASE.TABLE in lowercase letters, digits and underscores, got 'cloudtrail'\n$/,
    ],
    [
      ['run', 'denied-calls', '--athena-workgroup', 'w; drop', '--athena-table', 'a.b'],
      2,
      /^runbook: --athena-workgroup 'w; drop' is not a workgroup name/,
    ],
    [
      ['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--athena-table', 'a.b'],
      2,
      /^runbook: --athena-table goes with --athena-workgroup\n$/,
    ],
    [
      ['export-notebook', '--out', '/tmp/x.ipynb', '--backend', 'splunk'],
      2,
      /^runbook: --backend must be one of lake, athena, offline, got 'splunk'\n$/,
    ],
    [
      ['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--format', 'xml'],
      2,
      /^runbook: --format must be one of table, csv, json, got 'xml'\n$/,
    ],
    [['run', 'denied-calls', '--offline', '/no/such/dir'], 1, /^runbook: \/no\/such\/dir: no such file or folder\n$/],
    [['run', 'denied-calls', '--event-data-store', EDS_ID], 2, /^runbook: no AWS region: pass --region or set AWS_REGION\n$/],
    [['frobnicate'], 2, /^runbook: unknown command 'frobnicate'/],
    [['list', '--verbose'], 2, /^runbook: unknown option --verbose\n$/],
    [['export-notebook'], 2, /^runbook: export-notebook needs --out FILE.ipynb\n$/],
  ])('bad input %j exits %i with one clear line', async (argv, code, message) => {
    const result = await runbook(argv as string[], { env: {} });
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  test('a truncated trail file is named in the error', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-cut-'));
    fs.writeFileSync(path.join(dir, 'cut.json'), '{"Records": [{"eventTime": "2024-05-10T00:00:00Z"');
    const result = await runbook(['run', 'denied-calls', '--offline', dir]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(new RegExp(`^runbook: ${dir}/cut\\.json: not valid JSON, the file is truncated or malformed`));
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('runbook run on CloudTrail Lake (local fake speaking the CloudTrail JSON protocol)', () => {
  let fake: FakeAws;
  let engine: OfflineEngine;
  let restoreEnv: () => void;
  beforeAll(async () => {
    restoreEnv = fakeCredentialsEnv();
    engine = await OfflineEngine.create();
    await engine.load(INCIDENT_FIXTURES);
    fake = await startFakeAws({ ...pipelineState(), lake: { engine, eventDataStoreId: EDS_ID, pageSize: 2, runningPolls: 2 } });
  });
  afterAll(async () => {
    await fake.close();
    engine.close();
    restoreEnv();
  });

  test('StartQuery with FROM the store id, DescribeQuery until FINISHED with progress, every GetQueryResults page; same rows as offline', async () => {
    fake.requests.length = 0;
    const args = ['run', 'endpoint-changes', ...WINDOW, '--param', 'prefix=inference-prod', '--format', 'json'];
    const lake = await runbook([...args, '--event-data-store', EDS_ARN], { endpoint: fake.url });
    expect(lake.code).toBe(0);
    expect(fake.requests.map((r) => r.operation)).toEqual([
      'StartQuery',
      'DescribeQuery',
      'DescribeQuery',
      'DescribeQuery',
      'GetQueryResults',
      'GetQueryResults',
    ]);
    const statement = fake.requests[0].input.QueryStatement as string;
    expect(statement).toContain(`FROM ${EDS_ID}\n`);
    expect(statement).toContain("AND eventTime >= '2024-05-10 00:00:00'");
    expect(fake.requests[5].input).toEqual({ QueryId: 'query-1', NextToken: '2' });
    expect(lake.stderr.split('\n')).toEqual([
      'query query-1 started',
      'query query-1: RUNNING, 1000 events scanned, 4 matched, 1.5 s',
      'query query-1: RUNNING, 2000 events scanned, 4 matched, 3.0 s',
      'query query-1: FINISHED, 3000 events scanned, 4 matched, 4.5 s',
      'query query-1: 4 row(s)',
      '',
    ]);
    const offline = await runbook([...args, '--offline', INCIDENT_FIXTURES]);
    expect(JSON.parse(lake.stdout)).toEqual(JSON.parse(offline.stdout));
    expect(JSON.parse(lake.stdout)).toHaveLength(4);
  });

  test('a query still running at --timeout is cancelled on Lake (it would keep scanning and billing)', async () => {
    fake.state.lake!.runningPolls = 1_000;
    fake.requests.length = 0;
    const result = await runbook(['run', 'denied-calls', '--event-data-store', EDS_ARN, '--timeout', '0.05'], { endpoint: fake.url });
    fake.state.lake!.runningPolls = 2;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/runbook: query query-\d+ timed out; cancelled on CloudTrail Lake\n$/);
    expect(fake.requests.map((r) => r.operation).slice(-1)).toEqual(['CancelQuery']);
  });

  test('a failed query on Lake is a clear error, not a stack trace', async () => {
    const result = await runbook(['run', 'denied-calls', '--event-data-store', 'OTHER-STORE', '--region', 'eu-west-1'], {
      endpoint: fake.url,
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('runbook: AWS error EventDataStoreNotFoundException: the statement does not read this event data store\n');
  });
});

describe('runbook run on Athena (local fake speaking the Athena JSON protocol, real @aws-sdk/client-athena)', () => {
  const TABLE = [
    '--athena-workgroup',
    'inference-prod-audit',
    '--athena-table',
    'inference_prod_audit.cloudtrail',
    '--region',
    'eu-west-1',
  ];
  let fake: FakeAws;
  let engine: TrailTableEngine;
  let restoreEnv: () => void;
  beforeAll(async () => {
    restoreEnv = fakeCredentialsEnv();
    engine = await TrailTableEngine.create();
    await engine.load(TRAIL_FIXTURES);
    fake = await startFakeAws({
      ...pipelineState(),
      athena: {
        engine,
        workGroup: 'inference-prod-audit',
        database: 'inference_prod_audit',
        table: 'cloudtrail',
        pageSize: 2,
        runningPolls: 2,
        bytesScanned: 25_000_000,
      },
    });
  });
  afterAll(async () => {
    await fake.close();
    engine.close();
    restoreEnv();
  });

  test('StartQueryExecution in the workgroup through the Lake view, GetQueryExecution until SUCCEEDED with bytes scanned, paged GetQueryResults; same rows as offline', async () => {
    fake.requests.length = 0;
    const args = ['run', 'endpoint-changes', ...WINDOW, '--param', 'prefix=inference-prod', '--format', 'json'];
    const athena = await runbook([...args, ...TABLE], { endpoint: fake.url });
    expect(athena.stderr).not.toContain('runbook:');
    expect(athena.code).toBe(0);
    expect(fake.requests.map((r) => r.operation)).toEqual([
      'StartQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryExecution',
      'GetQueryResults',
    ]);
    const start = fake.requests[0].input;
    // The workgroup enforces the result location and encryption: the runner sends neither.
    expect(start).toMatchObject({ WorkGroup: 'inference-prod-audit', QueryExecutionContext: { Database: 'inference_prod_audit' } });
    expect(start).not.toHaveProperty('ResultConfiguration');
    expect(start.QueryString).toContain(
      `FROM "inference_prod_audit"."cloudtrail" WHERE "timestamp" >= '2024/05/10' AND "timestamp" <= '2024/05/12')`,
    );
    expect(start.QueryString).toContain("AND eventTime >= TIMESTAMP '2024-05-10 00:00:00'");
    expect(fake.requests[4].input).toEqual({ QueryExecutionId: 'exec-1', MaxResults: 1000 });
    expect(athena.stderr.split('\n')).toEqual([
      'query exec-1 started in workgroup inference-prod-audit',
      'query exec-1: RUNNING, 8.3 MB scanned, 0.7 s',
      'query exec-1: RUNNING, 16.7 MB scanned, 1.4 s',
      'query exec-1: SUCCEEDED, 25.0 MB scanned, 2.1 s',
      'query exec-1: 4 row(s), 25.0 MB scanned (billed as 25.0 MB, about $0.000125)',
      '',
    ]);
    const offline = await runbook([...args, '--offline', INCIDENT_FIXTURES]);
    // Athena lowercases column names; the runner gives back the query's spelling.
    expect(JSON.parse(athena.stdout)).toEqual(JSON.parse(offline.stdout));
    expect(JSON.parse(athena.stdout)).toHaveLength(4);
  });

  test('every page of a long result is read, the header row skipped on the first page only', async () => {
    fake.requests.length = 0;
    const pageArgs = [
      'run',
      'principal-activity',
      ...WINDOW,
      '--param',
      'principalArn=arn:aws:iam::111122223333:user/mallory',
      '--format',
      'json',
    ];
    const athena = await runbook([...pageArgs, ...TABLE], { endpoint: fake.url });
    const offline = await runbook([...pageArgs, '--offline', INCIDENT_FIXTURES]);
    expect(JSON.parse(athena.stdout)).toEqual(JSON.parse(offline.stdout));
    // 19 rows in pages of 5 (the first page holds the header row and 4 rows).
    const clients = createClients({ region: 'eu-west-1', endpoint: fake.url });
    try {
      fake.requests.length = 0;
      const query = findQuery(loadQueryLibrary(), 'principal-activity');
      const params = resolveParams(query, {
        principalArn: 'arn:aws:iam::111122223333:user/mallory',
        startTime: '2024-05-10',
        endTime: '2024-05-11',
      });
      const sql = renderQuery(query, params, { kind: 'trail', table: '"inference_prod_audit"."cloudtrail"', dialect: 'athena' });
      const paged = await runOnAthena({
        client: clients.athena,
        statement: sql,
        workGroup: 'inference-prod-audit',
        pollIntervalMs: 1,
        pageSize: 5,
      });
      expect(paged.rows).toEqual(JSON.parse(offline.stdout));
      const pages = fake.requests.filter((r) => r.operation === 'GetQueryResults').map((r) => r.input.NextToken ?? null);
      expect(pages).toEqual([null, '4', '9', '14']);
      expect(paged.bytesScanned).toBe(25_000_000);
    } finally {
      destroyClients(clients);
    }
  });

  test("a query past the workgroup cutoff fails with Athena's reason and the bytes scanned", async () => {
    fake.state.athena!.cutoffBytes = 10_000_000;
    const result = await runbook(['run', 'denied-calls', ...TABLE], { endpoint: fake.url });
    delete fake.state.athena!.cutoffBytes;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /runbook: query exec-\d+ failed: Query exhausted resources at this scale factor: the workgroup's data usage limit \(BytesScannedCutoffPerQuery\) was exceeded \(25\.0 MB scanned\)\n$/,
    );
  });

  test('a query still running at --timeout is stopped on Athena', async () => {
    fake.state.athena!.runningPolls = 1_000;
    fake.requests.length = 0;
    const result = await runbook(['run', 'denied-calls', ...TABLE, '--timeout', '0.05'], { endpoint: fake.url });
    fake.state.athena!.runningPolls = 2;
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/runbook: query exec-\d+ timed out; stopped on Athena after [\d.]+ MB scanned\n$/);
    expect(fake.requests.map((r) => r.operation).slice(-1)).toEqual(['StopQueryExecution']);
  });

  test('an unknown workgroup is a clear AWS error', async () => {
    const result = await runbook(
      [
        'run',
        'denied-calls',
        '--athena-workgroup',
        'primary',
        '--athena-table',
        'inference_prod_audit.cloudtrail',
        '--region',
        'eu-west-1',
      ],
      { endpoint: fake.url },
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('runbook: AWS error InvalidRequestException: WorkGroup primary is not found.\n');
  });

  test("column names come back in the query's spelling", () => {
    expect(
      restoreCase(
        ['eventtime', 'principalarn', 'events', 'unknown_col'],
        'SELECT eventTime, userIdentity.arn AS principalArn, count(*) AS events',
      ),
    ).toEqual(['eventTime', 'principalArn', 'events', 'unknown_col']);
  });
});

describe('the runbook as a process (tools/runbook/main.ts, transpiled by SWC)', () => {
  const spawn = (...argv: string[]) =>
    spawnSync(process.execPath, ['-r', SWC_REGISTER, path.join(ROOT, 'tools', 'runbook', 'main.ts'), ...argv], {
      cwd: ROOT,
      encoding: 'utf8',
      env: process.env,
      timeout: 60_000,
    });

  test('runs a query offline and exits 0; bad input exits 2 with one line and no stack trace', () => {
    const ok = spawn('run', 'console-signin-without-mfa', '--offline', INCIDENT_FIXTURES, ...WINDOW, '--format', 'json');
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).map((r: Record<string, string>) => r.result)).toEqual(['Success', 'Failure']);
    const bad = spawn('run', 'principal-activity', '--offline', INCIDENT_FIXTURES, '--param', 'principalArn=bob');
    expect(bad.status).toBe(2);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/^runbook: query principal-activity: parameter 'principalArn' is 'bob', expected an ARN such as .*\n$/);
  });
});
