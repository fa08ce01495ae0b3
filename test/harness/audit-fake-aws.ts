import * as http from 'http';
import { AddressInfo } from 'net';
import { lakeViewSelect } from '../../lib/audit/lake-view';
import { OFFLINE_TABLE, OfflineEngine } from '../../tools/runbook/offline-engine';
import { TRAIL_TABLE, TrailTableEngine } from '../../tools/runbook/trail-table-engine';

/**
 * A local stand-in for the AWS APIs the runbook calls, speaking each service's real wire
 * protocol (CloudFormation and IAM: query/XML; API Gateway and Lambda: REST-JSON; CloudTrail:
 * JSON 1.1), so the real SDK v3 clients, pointed at it with an endpoint override, send and
 * parse exactly what they would against AWS. Requests are routed by the service name in the
 * SigV4 credential scope, recorded with their decoded input, and answered from a small state
 * (Athena: JSON 1.1 with `AmazonAthena.*` targets, statements run on a DuckDB table shaped like
 * the trail's Glue table, the Athena view swapped for its DuckDB spelling)
 * that changes as the real service's would (so a restore after a contain sees the contained state).
 */
export interface FakeAwsState {
  /** Stack name to its resources. */
  stacks: Record<string, { logicalId: string; physicalId: string; type: string }[]>;
  /** REST API id -> stage name -> stage-wide throttling (undefined: the stage has no stage-wide method settings). */
  stages: Record<string, Record<string, { throttlingRateLimit?: number; throttlingBurstLimit?: number } | undefined>>;
  apiKeys: Record<string, { name: string; enabled: boolean }>;
  functions: Record<string, { environment: Record<string, string>; reservedConcurrency?: number; role?: string }>;
  roles: Record<string, { attached: string[]; inline: Record<string, string> }>;
  /** CloudTrail Lake: statements run on this engine, `FROM <eventDataStoreId>` read as its table. */
  lake?: { engine: OfflineEngine; eventDataStoreId: string; pageSize: number; runningPolls: number };
  /**
   * Athena: one workgroup over one Glue table (`"database"."table"` in statements), polls
   * before a query succeeds, the bytes each query reports scanned and the workgroup's cutoff.
   */
  athena?: {
    engine: TrailTableEngine;
    workGroup: string;
    database: string;
    table: string;
    pageSize: number;
    runningPolls: number;
    bytesScanned: number;
    cutoffBytes?: number;
  };
}

export interface RecordedRequest {
  readonly service: string;
  readonly operation: string;
  readonly method: string;
  readonly path: string;
  readonly input: Record<string, unknown>;
}

export interface FakeAws {
  readonly url: string;
  readonly requests: RecordedRequest[];
  readonly state: FakeAwsState;
  /** Requests that change something (anything but List/Get/Describe reads). */
  writes(): RecordedRequest[];
  close(): Promise<void>;
}

const READ = /^(List|Get|Describe)/;

type Reply = (status: number, payload: string, type: string, headers?: Record<string, string>) => void;
type Recorder = (operation: string, input: Record<string, unknown>) => void;

export async function startFakeAws(state: FakeAwsState): Promise<FakeAws> {
  const requests: RecordedRequest[] = [];
  const queries = new Map<string, { rows: Record<string, string | null>[]; polls: number; statement: string }>();
  const executions = new Map<
    string,
    { statement: string; polls: number; columns: string[]; rows: Record<string, string | null>[]; error?: string; stopped?: boolean }
  >();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(req.headers.authorization ?? '')?.[1] ?? 'unsigned';
      const url = new URL(req.url ?? '/', 'http://localhost');
      const reply: Reply = (status, payload, type, headers = {}) => {
        res.writeHead(status, { 'content-type': type, 'x-amzn-requestid': 'fake-request', ...headers });
        res.end(payload);
      };
      const record: Recorder = (operation, input) =>
        requests.push({ service, operation, method: req.method ?? '', path: decodeURIComponent(url.pathname), input });
      // CloudTrail speaks JSON 1.1 with the operation in X-Amz-Target; the others are routed by path or Action.
      const target = String(req.headers['x-amz-target'] ?? '');
      const work =
        service === 'cloudtrail'
          ? lake(target, body, record, reply)
          : service === 'athena'
            ? athena(target, body, record, reply)
            : handle(service, req.method ?? 'GET', url, body, record, reply);
      work.catch((error: Error) => reply(500, JSON.stringify({ message: error.message }), 'application/json'));
    });
  });

  async function handle(service: string, method: string, url: URL, body: string, record: Recorder, reply: Reply): Promise<void> {
    if (service === 'cloudformation' || service === 'iam') {
      const form = Object.fromEntries(new URLSearchParams(body));
      const { Action: action, Version: _version, ...input } = form;
      record(action, input);
      const ns = service === 'iam' ? 'https://iam.amazonaws.com/doc/2010-05-08/' : 'http://cloudformation.amazonaws.com/doc/2010-05-15/';
      const ok = (result: string) =>
        reply(
          200,
          `<${action}Response xmlns="${ns}"><${action}Result>${result}</${action}Result><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`,
          'text/xml',
        );
      const done = () =>
        reply(
          200,
          `<${action}Response xmlns="${ns}"><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></${action}Response>`,
          'text/xml',
        );
      const fail = (status: number, code: string, message: string) =>
        reply(
          status,
          `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>fake</RequestId></ErrorResponse>`,
          'text/xml',
        );
      if (service === 'cloudformation') {
        if (action !== 'ListStackResources') return fail(400, 'InvalidAction', `fake CloudFormation does not serve ${action}`);
        const resources = state.stacks[input.StackName];
        if (!resources) return fail(400, 'ValidationError', `Stack with id ${input.StackName} does not exist`);
        // Two per page, so the runbook's paging is exercised.
        const start = Number(input.NextToken ?? 0);
        const page = resources.slice(start, start + 2);
        const members = page
          .map(
            (r) =>
              `<member><LogicalResourceId>${r.logicalId}</LogicalResourceId><PhysicalResourceId>${xml(r.physicalId)}</PhysicalResourceId><ResourceType>${r.type}</ResourceType><LastUpdatedTimestamp>2024-05-01T00:00:00Z</LastUpdatedTimestamp><ResourceStatus>CREATE_COMPLETE</ResourceStatus></member>`,
          )
          .join('');
        const next = start + 2 < resources.length ? `<NextToken>${start + 2}</NextToken>` : '';
        return ok(`<StackResourceSummaries>${members}</StackResourceSummaries>${next}`);
      }
      const role = state.roles[input.RoleName];
      if (!role) return fail(404, 'NoSuchEntity', `The role with name ${input.RoleName} cannot be found.`);
      switch (action) {
        case 'ListAttachedRolePolicies':
          return ok(
            `<AttachedPolicies>${role.attached.map((arn) => `<member><PolicyName>${arn.split('/').pop()}</PolicyName><PolicyArn>${xml(arn)}</PolicyArn></member>`).join('')}</AttachedPolicies><IsTruncated>false</IsTruncated>`,
          );
        case 'DetachRolePolicy':
          if (!role.attached.includes(input.PolicyArn)) return fail(404, 'NoSuchEntity', `Policy ${input.PolicyArn} was not found.`);
          role.attached = role.attached.filter((a) => a !== input.PolicyArn);
          return done();
        case 'AttachRolePolicy':
          role.attached.push(input.PolicyArn);
          return done();
        case 'GetRolePolicy': {
          const doc = role.inline[input.PolicyName];
          if (doc === undefined) return fail(404, 'NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`);
          return ok(
            `<RoleName>${input.RoleName}</RoleName><PolicyName>${input.PolicyName}</PolicyName><PolicyDocument>${xml(encodeURIComponent(doc))}</PolicyDocument>`,
          );
        }
        case 'PutRolePolicy':
          role.inline[input.PolicyName] = input.PolicyDocument;
          return done();
        case 'DeleteRolePolicy':
          if (role.inline[input.PolicyName] === undefined)
            return fail(404, 'NoSuchEntity', `The role policy with name ${input.PolicyName} cannot be found.`);
          delete role.inline[input.PolicyName];
          return done();
        default:
          return fail(400, 'InvalidAction', `fake IAM does not serve ${action}`);
      }
    }

    const json = (status: number, payload: unknown) =>
      reply(status, payload === undefined ? '' : JSON.stringify(payload), 'application/json');
    const notFound = (message: string) =>
      reply(404, JSON.stringify({ message }), 'application/json', {
        'x-amzn-errortype': service === 'lambda' ? 'ResourceNotFoundException' : 'NotFoundException',
      });
    const input = body ? JSON.parse(body) : {};
    const parts = decodeURIComponent(url.pathname).split('/').filter(Boolean);

    if (service === 'apigateway') {
      if (parts[0] === 'restapis' && parts[2] === 'stages') {
        const stages = state.stages[parts[1]];
        if (!stages) return notFound(`Invalid API identifier specified ${parts[1]}`);
        const view = (name: string) => ({ stageName: name, methodSettings: stages[name] ? { '*/*': stages[name] } : {} });
        if (method === 'GET' && parts.length === 3) {
          record('GetStages', { restApiId: parts[1] });
          return json(200, { item: Object.keys(stages).map(view) });
        }
        if (method === 'PATCH' && parts.length === 4) {
          record('UpdateStage', { restApiId: parts[1], stageName: parts[3], ...input });
          const setting = { ...(stages[parts[3]] ?? {}) };
          for (const op of input.patchOperations ?? []) {
            const key = op.path.endsWith('rateLimit') ? 'throttlingRateLimit' : 'throttlingBurstLimit';
            if (op.op === 'remove') delete setting[key];
            else setting[key] = Number(op.value);
          }
          stages[parts[3]] = Object.keys(setting).length > 0 ? setting : undefined;
          return json(200, view(parts[3]));
        }
      }
      if (parts[0] === 'apikeys' && parts.length === 2) {
        const key = state.apiKeys[parts[1]];
        if (!key) return notFound(`Invalid API Key identifier specified`);
        if (method === 'GET') {
          record('GetApiKey', { apiKey: parts[1] });
          return json(200, { id: parts[1], ...key });
        }
        if (method === 'PATCH') {
          record('UpdateApiKey', { apiKey: parts[1], ...input });
          for (const op of input.patchOperations ?? []) if (op.path === '/enabled') key.enabled = op.value === 'true';
          return json(200, { id: parts[1], ...key });
        }
      }
      return notFound(`fake API Gateway does not serve ${method} ${url.pathname}`);
    }

    if (service === 'lambda' && parts[1] === 'functions') {
      const fn = state.functions[parts[2]];
      if (!fn) return notFound(`Function not found: ${parts[2]}`);
      const configuration = () => ({
        FunctionName: parts[2],
        Environment: { Variables: fn.environment },
        ...(fn.role ? { Role: `arn:aws:iam::111122223333:role/${fn.role}` } : {}),
      });
      if (method === 'GET' && parts[3] === 'configuration') {
        record('GetFunctionConfiguration', { FunctionName: parts[2] });
        return json(200, configuration());
      }
      if (method === 'PUT' && parts[3] === 'configuration') {
        record('UpdateFunctionConfiguration', { FunctionName: parts[2], ...input });
        if (input.Environment) fn.environment = { ...(input.Environment.Variables ?? {}) };
        return json(200, configuration());
      }
      if (parts[3] === 'concurrency') {
        if (method === 'GET') {
          record('GetFunctionConcurrency', { FunctionName: parts[2] });
          return json(200, fn.reservedConcurrency === undefined ? {} : { ReservedConcurrentExecutions: fn.reservedConcurrency });
        }
        if (method === 'PUT') {
          record('PutFunctionConcurrency', { FunctionName: parts[2], ...input });
          fn.reservedConcurrency = input.ReservedConcurrentExecutions;
          return json(200, { ReservedConcurrentExecutions: fn.reservedConcurrency });
        }
        if (method === 'DELETE') {
          record('DeleteFunctionConcurrency', { FunctionName: parts[2] });
          delete fn.reservedConcurrency;
          return reply(204, '', 'application/json');
        }
      }
      return notFound(`fake Lambda does not serve ${method} ${url.pathname}`);
    }

    return notFound(`fake AWS does not serve ${service}`);
  }

  async function lake(target: string, body: string, record: Recorder, reply: Reply): Promise<void> {
    const operation = target.split('.').pop() ?? '';
    const input = body ? JSON.parse(body) : {};
    record(operation, input);
    const send = (payload: unknown) => reply(200, JSON.stringify(payload), 'application/x-amz-json-1.1');
    const fail = (type: string, message: string) => reply(400, JSON.stringify({ __type: type, message }), 'application/x-amz-json-1.1');
    if (!state.lake) return fail('InactiveEventDataStoreException', 'no event data store');
    const { engine, eventDataStoreId, pageSize, runningPolls } = state.lake;
    switch (operation) {
      case 'StartQuery': {
        const statement = String(input.QueryStatement);
        if (!statement.includes(`FROM ${eventDataStoreId}`))
          return fail('EventDataStoreNotFoundException', 'the statement does not read this event data store');
        const rows = (await engine.query(statement.split(`FROM ${eventDataStoreId}`).join(`FROM ${OFFLINE_TABLE}`))).rows as Record<
          string,
          string | null
        >[];
        const id = `query-${queries.size + 1}`;
        queries.set(id, { rows, polls: 0, statement });
        return send({ QueryId: id });
      }
      case 'DescribeQuery': {
        const query = queries.get(input.QueryId);
        if (!query) return fail('QueryIdNotFoundException', 'no such query');
        query.polls++;
        const finished = query.polls > runningPolls;
        return send({
          QueryId: input.QueryId,
          QueryString: query.statement,
          QueryStatus: finished ? 'FINISHED' : 'RUNNING',
          QueryStatistics: {
            EventsMatched: query.rows.length,
            EventsScanned: 1000 * query.polls,
            BytesScanned: 4096,
            ExecutionTimeInMillis: 1500 * query.polls,
          },
        });
      }
      case 'GetQueryResults': {
        const query = queries.get(input.QueryId);
        if (!query) return fail('QueryIdNotFoundException', 'no such query');
        const start = Number(input.NextToken ?? 0);
        const page = query.rows.slice(start, start + pageSize);
        return send({
          QueryStatus: 'FINISHED',
          QueryStatistics: { ResultsCount: page.length, TotalResultsCount: query.rows.length, BytesScanned: 4096 },
          // Lake's shape: each row a list of one-entry maps; null cells are left out.
          QueryResultRows: page.map((row) =>
            Object.entries(row)
              .filter(([, v]) => v !== null)
              .map(([k, v]) => ({ [k]: v })),
          ),
          ...(start + pageSize < query.rows.length ? { NextToken: String(start + pageSize) } : {}),
        });
      }
      case 'CancelQuery':
        return send({ QueryId: input.QueryId, QueryStatus: 'CANCELLED' });
      default:
        return fail('UnsupportedOperationException', `fake CloudTrail does not serve ${operation}`);
    }
  }

  async function athena(target: string, body: string, record: Recorder, reply: Reply): Promise<void> {
    const operation = target.split('.').pop() ?? '';
    const input = body ? JSON.parse(body) : {};
    record(operation, input);
    const send = (payload: unknown) => reply(200, JSON.stringify(payload), 'application/x-amz-json-1.1');
    const fail = (type: string, message: string) =>
      reply(400, JSON.stringify({ __type: type, Message: message }), 'application/x-amz-json-1.1');
    const a = state.athena;
    if (!a) return fail('InvalidRequestException', 'no workgroup');
    const id = String(input.QueryExecutionId ?? '');
    const execution = executions.get(id);
    switch (operation) {
      case 'StartQueryExecution': {
        if (input.WorkGroup !== a.workGroup) return fail('InvalidRequestException', `WorkGroup ${input.WorkGroup} is not found.`);
        const statement = String(input.QueryString);
        const table = `"${a.database}"."${a.table}"`;
        let translated = statement;
        // Each Lake view over the table, as the runbook renders it for Athena, becomes DuckDB's.
        for (const m of statement.matchAll(
          new RegExp(`FROM ${table.replace(/[."]/g, '\\$&')}(?: WHERE "timestamp" >= '([0-9/]+)' AND "timestamp" <= '([0-9/]+)')?`, 'g'),
        )) {
          const days = m[1] ? { from: m[1], to: m[2] } : undefined;
          translated = translated
            .split(lakeViewSelect('athena', { table, days }))
            .join(lakeViewSelect('duckdb', { table: TRAIL_TABLE, days }));
        }
        const executionId = `exec-${executions.size + 1}`;
        try {
          if (translated === statement)
            throw new Error(`Table ${table} does not exist or the statement does not read it through the Lake view`);
          const result = await a.engine.query(translated);
          executions.set(executionId, {
            statement,
            polls: 0,
            columns: result.columns.map((c) => c.toLowerCase()),
            rows: result.rows as Record<string, string | null>[],
          });
        } catch (error) {
          executions.set(executionId, { statement, polls: 0, columns: [], rows: [], error: (error as Error).message.split('\n')[0] });
        }
        return send({ QueryExecutionId: executionId });
      }
      case 'GetQueryExecution': {
        if (!execution) return fail('InvalidRequestException', `QueryExecution ${id} was not found`);
        execution.polls++;
        const over = a.cutoffBytes !== undefined && a.bytesScanned > a.cutoffBytes;
        const done = execution.polls > a.runningPolls;
        const stateName = execution.stopped ? 'CANCELLED' : !done ? 'RUNNING' : execution.error || over ? 'FAILED' : 'SUCCEEDED';
        const reason = execution.error
          ? `SYNTAX_ERROR: ${execution.error}`
          : over
            ? "Query exhausted resources at this scale factor: the workgroup's data usage limit (BytesScannedCutoffPerQuery) was exceeded"
            : undefined;
        return send({
          QueryExecution: {
            QueryExecutionId: id,
            Query: execution.statement,
            StatementType: 'DML',
            WorkGroup: a.workGroup,
            Status: { State: stateName, SubmissionDateTime: 1715299200, ...(stateName === 'FAILED' ? { StateChangeReason: reason } : {}) },
            Statistics: {
              DataScannedInBytes: Math.round((a.bytesScanned * Math.min(execution.polls, a.runningPolls + 1)) / (a.runningPolls + 1)),
              EngineExecutionTimeInMillis: 700 * execution.polls,
            },
          },
        });
      }
      case 'GetQueryResults': {
        if (!execution) return fail('InvalidRequestException', `QueryExecution ${id} was not found`);
        const start = Number(input.NextToken ?? 0);
        const size = Number(input.MaxResults ?? 1000);
        // Athena's shape: the first page starts with the column names as a row; values are text.
        const header = start === 0 ? [{ Data: execution.columns.map((c) => ({ VarCharValue: c })) }] : [];
        const take = size - header.length;
        const page = execution.rows.slice(start, start + take);
        return send({
          UpdateCount: 0,
          ResultSet: {
            Rows: [...header, ...page.map((row) => ({ Data: Object.values(row).map((v) => (v === null ? {} : { VarCharValue: v })) }))],
            ResultSetMetadata: {
              ColumnInfo: execution.columns.map((c) => ({
                CatalogName: 'hive',
                Name: c,
                Label: c,
                Type: 'varchar',
                Nullable: 'UNKNOWN',
                CaseSensitive: true,
              })),
            },
          },
          ...(start + take < execution.rows.length ? { NextToken: String(start + take) } : {}),
        });
      }
      case 'StopQueryExecution':
        if (execution) execution.stopped = true;
        return send({});
      default:
        return fail('InvalidRequestException', `fake Athena does not serve ${operation}`);
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    state,
    writes: () => requests.filter((r) => !READ.test(r.operation) && r.service !== 'cloudtrail' && r.service !== 'athena'),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * Credentials for the SDK to sign with (the fake accepts any signature). Returns the function
 * that puts the environment back, since a Jest worker shares process.env between test files.
 */
export function fakeCredentialsEnv(): () => void {
  const names = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE'];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  process.env.AWS_ACCESS_KEY_ID = 'AKIAFAKEFAKEFAKEFAKE';
  process.env.AWS_SECRET_ACCESS_KEY = 'fake-secret';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  return () => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
