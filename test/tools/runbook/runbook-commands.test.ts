import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { OfflineEngine } from '../../../tools/runbook/offline-engine';
import { FakeAws, fakeCredentialsEnv, startFakeAws } from '../../harness/audit-fake-aws';
import { INCIDENT_FIXTURES } from '../../harness/audit-engine';
import { pipelineState, runbook } from '../../harness/audit-runbook';

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
    expect(csv[0]).toBe('eventTime,eventSource,eventName,errorCode,errorMessage,principalArn,accessKeyId,sourceIPAddress,userAgent,eventID');
    expect(csv).toHaveLength(3);
    // JSON text holds commas and quotes: the cell is quoted and its quotes doubled (RFC 4180).
    const activity = await runbook(['run', 'principal-activity', '--offline', INCIDENT_FIXTURES, ...WINDOW, '--param', 'principalArn=arn:aws:iam::111122223333:user/mallory', '--format', 'csv']);
    expect(activity.stdout).toContain(',"{""endpointName"":""inference-prod-endpoint"",""endpointConfigName"":""inference-prod-config-evil""}",');
  });

  test('export-notebook writes an nbformat 4 notebook holding every query', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-nb-'));
    const out = path.join(dir, 'sub', 'runbook.ipynb');
    const result = await runbook(['export-notebook', '--out', out]);
    expect(result).toMatchObject({ code: 0, stdout: `wrote ${out}: 12 queries and the containment cells\n` });
    const notebook = JSON.parse(fs.readFileSync(out, 'utf8'));
    expect(notebook.nbformat).toBe(4);
    expect(notebook.cells.filter((c: { source: string[] }) => c.source.join('').includes('QUERIES["'))).toHaveLength(12);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    [['run', 'who-did-it', '--offline', INCIDENT_FIXTURES], 2, /^runbook: unknown query 'who-did-it' \(known queries: access-key-activity, /],
    [['run', 'principal-activity', '--offline', INCIDENT_FIXTURES], 2, /^runbook: query principal-activity: missing parameter 'principalArn' \(arn: .*\); pass --param principalArn=VALUE\n$/],
    [['run', 'principal-activity', '--offline', INCIDENT_FIXTURES, '--param', "principalArn=' OR 1=1 --"], 2, /^runbook: query principal-activity: parameter 'principalArn' is '' OR 1=1 --', expected an ARN/],
    [['run', 'access-key-activity', '--offline', INCIDENT_FIXTURES, '--param', 'accessKeyId=mallory'], 2, /parameter 'accessKeyId' is 'mallory', expected an access key id/],
    [['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--param', 'startTime=yesterday'], 2, /parameter 'startTime' is 'yesterday', expected an ISO-8601 UTC time/],
    [['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--param', 'startTime'], 2, /^runbook: --param expects NAME=VALUE, got 'startTime'\n$/],
    [['run', 'denied-calls'], 2, /^runbook: run needs exactly one of --offline FILE\|DIR or --event-data-store ID\|ARN\n$/],
    [['run', 'denied-calls', '--offline', INCIDENT_FIXTURES, '--format', 'xml'], 2, /^runbook: --format must be one of table, csv, json, got 'xml'\n$/],
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
    expect(fake.requests.map((r) => r.operation)).toEqual(['StartQuery', 'DescribeQuery', 'DescribeQuery', 'DescribeQuery', 'GetQueryResults', 'GetQueryResults']);
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
    const result = await runbook(['run', 'denied-calls', '--event-data-store', 'OTHER-STORE', '--region', 'eu-west-1'], { endpoint: fake.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('runbook: AWS error EventDataStoreNotFoundException: the statement does not read this event data store\n');
  });
});

describe('the runbook as a process (tools/runbook/main.ts through ts-node)', () => {
  const spawn = (...argv: string[]) =>
    spawnSync(process.execPath, [require.resolve('ts-node/dist/bin.js'), path.join(ROOT, 'tools', 'runbook', 'main.ts'), ...argv], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: 'true' },
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
