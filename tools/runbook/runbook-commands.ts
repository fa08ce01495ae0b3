import * as fs from 'fs';
import * as path from 'path';
import type { AwsClients } from './aws-calls';
import { CONTAINMENT_ACTIONS, ContainmentError } from './containment-actions';
import { NOTEBOOK_BACKENDS, NotebookBackend, notebookJson } from './notebook';
import { DEFAULT_QUERY_DIR, QueryInputError, findQuery, loadQueryLibrary, renderQuery, resolveParams } from './query-library';
import { OUTPUT_FORMATS, OutputFormat, formatRows } from './query-result';
import { ParsedOptions, UsageError, executeCommand, formatHelp } from '../cli';

/**
 * The runbook command line, on the shared kit (tools/cli). Everything a responder types goes
 * through {@link runRunbook}, which returns an exit code instead of throwing: input mistakes
 * print one clear line and exit 2, failures of AWS or of the data exit 1, and no stack trace is
 * shown unless RUNBOOK_DEBUG is set.
 */
export interface RunbookIo {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Builds the AWS clients; tests point them at a local fake service. */
  readonly clients?: (options: { region: string; endpoint?: string }) => AwsClients;
  readonly now?: () => Date;
  readonly queryDir?: string;
  readonly lakePollIntervalMs?: number;
  readonly signal?: AbortSignal;
}

const RUNBOOK_OPTIONS = {
  param: { type: 'list', value: 'NAME=VALUE', description: 'run: a query parameter' },
  offline: { type: 'string', value: 'FILE|DIR', description: 'run: query CloudTrail files on this machine (DuckDB)' },
  'event-data-store': { type: 'string', value: 'ID|ARN', description: 'run: query this CloudTrail Lake event data store' },
  'athena-workgroup': { type: 'string', value: 'NAME', description: 'run: query the trail table through this Athena workgroup' },
  'athena-table': { type: 'string', value: 'DATABASE.TABLE', description: 'run on Athena: the Glue table over the trail' },
  backend: {
    type: 'string',
    value: 'lake|athena|offline',
    description: 'export-notebook: write the cells of one backend only (default: all, chosen at run time)',
  },
  format: { type: 'string', value: 'FORMAT', description: 'run: table, csv or json (default table)' },
  timeout: { type: 'string', value: 'SECONDS', description: 'run on Lake or Athena: cancel the query after this long (default 900)' },
  out: { type: 'string', value: 'FILE.ipynb', description: 'export-notebook: where to write the notebook' },
  stack: { type: 'string', value: 'NAME', description: 'contain: the CloudFormation stack whose resources it may touch' },
  via: { type: 'string', value: 'auto|stage|api-key', description: 'contain throttle-api: which throttle to set' },
  function: { type: 'string', value: 'NAME', description: "contain stop-predictions: the function (default: the stack's)" },
  role: { type: 'string', value: 'ROLE', description: 'contain detach-policy, revoke-role-sessions: the role' },
  'policy-arn': { type: 'string', value: 'ARN', description: 'contain detach-policy: the policy to detach' },
  record: { type: 'string', value: 'FILE', description: 'contain: where to record the prior state; restore: the record to undo' },
  confirm: { type: 'boolean', description: 'contain, restore: send the changes (default: a dry run)' },
  region: { type: 'string', value: 'R', description: 'AWS region (default: from the ARN, else AWS_REGION)' },
  'endpoint-url': { type: 'string', value: 'URL', description: 'send every AWS call to URL (an emulator)' },
} as const;

const RUNBOOK_HELP = {
  usage: 'npm run runbook -- COMMAND [options]',
  summary: 'The incident-response runbook: CloudTrail Lake SQL (the same on Lake, Athena and offline), and containment with its undo.',
  body: `Investigate:
  list                                   the incident-response queries
  show QUERY                             a query's question, parameters and SQL
  run QUERY [--param NAME=VALUE]...      run a query
      (--offline FILE|DIR
       | --event-data-store ID|ARN [--region R]
       | --athena-workgroup NAME --athena-table DATABASE.TABLE [--region R])
      [--format table|csv|json] [--timeout SECONDS (Lake and Athena, default 900)]
  export-notebook --out FILE.ipynb [--backend lake|athena|offline]
                                         the library as a Jupyter runbook (boto3, pandas);
                                         without --backend, every backend, chosen at run time

Contain (dry run unless --confirm; acts only on resources of --stack):
  contain ACTION --stack NAME [--region R] [--record FILE] [--confirm]
      throttle-api          [--via auto|stage|api-key]
      stop-predictions      [--function NAME]
      detach-policy         --role ROLE --policy-arn ARN
      revoke-role-sessions  --role ROLE
  restore --record FILE [--region R] [--confirm]
                                         undo what a contain record says was done`,
  notes: [
    'Credentials come from the usual AWS environment, profile or role.',
    'Exit codes: 0 ok, 1 AWS or the data failed, 2 a mistake in the command or its input.',
  ],
};

type ParsedArgs = ParsedOptions<typeof RUNBOOK_OPTIONS>;

export async function runRunbook(argv: readonly string[], io: RunbookIo): Promise<number> {
  return executeCommand(
    {
      name: 'runbook',
      options: RUNBOOK_OPTIONS,
      help: RUNBOOK_HELP,
      positionals: true,
      // Its messages name the fix themselves: one line, as the runbook's README promises.
      usageHint: null,
      usageErrors: [QueryInputError, ContainmentError],
      debugVariable: 'RUNBOOK_DEBUG',
      run: async (args, [command, ...rest]) => {
        if (!command || command === 'help') {
          io.stdout(`${formatHelp(RUNBOOK_HELP, RUNBOOK_OPTIONS)}\n`);
          return command ? 0 : 2;
        }
        switch (command) {
          case 'list':
            return list(io);
          case 'show':
            return show(io, only(rest, 'show QUERY'));
          case 'run':
            return await run(io, only(rest, 'run QUERY'), args);
          case 'export-notebook':
            return exportNotebook(io, args);
          case 'contain':
            return await contain(io, only(rest, 'contain ACTION'), args);
          case 'restore':
            return await restore(io, args);
          default:
            throw new UsageError(`unknown command '${command}' (commands: list, show, run, export-notebook, contain, restore)`);
        }
      },
    },
    argv,
    io,
  );
}

function option(args: ParsedArgs, name: Exclude<keyof typeof RUNBOOK_OPTIONS, 'param' | 'confirm'>): string | undefined {
  return args[name];
}

function only(rest: string[], usage: string): string {
  if (rest.length !== 1)
    throw new UsageError(`expected ${usage}${rest.length > 1 ? `, got extra arguments: ${rest.slice(1).join(' ')}` : ''}`);
  return rest[0];
}

function library(io: RunbookIo) {
  return loadQueryLibrary(io.queryDir ?? DEFAULT_QUERY_DIR);
}

function list(io: RunbookIo): number {
  const queries = library(io);
  const width = Math.max(...queries.map((q) => q.id.length));
  for (const q of queries) {
    const params = q.params.map((p) => (p.default === undefined ? `${p.name}*` : p.name)).join(' ');
    io.stdout(`${q.id.padEnd(width)}  ${q.title}\n${' '.repeat(width)}  params: ${params}\n`);
  }
  io.stdout(
    `(* required) run one with: runbook run QUERY --param NAME=VALUE (--offline DIR | --event-data-store ID | --athena-workgroup NAME --athena-table DB.TABLE)\n`,
  );
  return 0;
}

function show(io: RunbookIo, id: string): number {
  const q = findQuery(library(io), id);
  io.stdout(`${q.title}\n\n${q.description}\n\nparameters:\n`);
  for (const p of q.params) {
    const dflt = p.default === undefined ? 'required' : p.default === '' ? "default '' (any)" : `default ${p.default}`;
    io.stdout(`  ${p.name} (${p.type}, ${dflt}): ${p.description}\n`);
  }
  io.stdout(`\n${q.sql}\n`);
  return 0;
}

async function run(io: RunbookIo, id: string, args: ParsedArgs): Promise<number> {
  const query = findQuery(library(io), id);
  const given: Record<string, string> = {};
  for (const pair of args.param) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--param expects NAME=VALUE, got '${pair}'`);
    given[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  const format = (option(args, 'format') ?? 'table') as OutputFormat;
  if (!OUTPUT_FORMATS.includes(format)) throw new UsageError(`--format must be one of ${OUTPUT_FORMATS.join(', ')}, got '${format}'`);
  const offline = option(args, 'offline');
  const eds = option(args, 'event-data-store');
  const workGroup = option(args, 'athena-workgroup');
  if ([offline, eds, workGroup].filter(Boolean).length !== 1) {
    throw new UsageError('run needs exactly one of --offline FILE|DIR, --event-data-store ID|ARN or --athena-workgroup NAME');
  }
  const athenaTable = option(args, 'athena-table');
  if (athenaTable !== undefined && !workGroup) throw new UsageError('--athena-table goes with --athena-workgroup');
  const params = resolveParams(query, given, io.now?.() ?? new Date());
  const timeout = option(args, 'timeout');
  if (timeout !== undefined && !(Number(timeout) > 0)) throw new UsageError(`--timeout must be a number of seconds, got '${timeout}'`);
  const timeoutMs = timeout ? Number(timeout) * 1000 : undefined;

  if (offline) {
    const { OfflineEngine, OFFLINE_TABLE } = offlineEngine();
    const engine = await OfflineEngine.create();
    try {
      const loaded = await engine.load(offline);
      io.stderr(`loaded ${loaded.records} records from ${loaded.files} file(s) in ${loaded.milliseconds} ms\n`);
      const rows = await engine.query(renderQuery(query, params, { kind: 'offline', table: OFFLINE_TABLE }));
      io.stdout(formatRows(rows, format));
    } finally {
      engine.close();
    }
    return 0;
  }

  if (workGroup) {
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(workGroup))
      throw new UsageError(`--athena-workgroup '${workGroup}' is not a workgroup name (letters, digits, '.', '_', '-')`);
    if (!athenaTable)
      throw new UsageError(
        "--athena-workgroup needs --athena-table DATABASE.TABLE (the trail's Glue table; the audit stack outputs it as AthenaTable)",
      );
    const parts = /^([a-z0-9_]{1,255})\.([a-z0-9_]{1,255})$/.exec(athenaTable);
    if (!parts)
      throw new UsageError(`--athena-table must be DATABASE.TABLE in lowercase letters, digits and underscores, got '${athenaTable}'`);
    const statement = renderQuery(query, params, { kind: 'trail', table: `"${parts[1]}"."${parts[2]}"`, dialect: 'athena' });
    const clients = makeClients(io, args, regionOf(io, args));
    try {
      const result = await athenaRunner().runOnAthena({
        client: clients.athena,
        statement,
        workGroup,
        database: parts[1],
        pollIntervalMs: io.lakePollIntervalMs,
        timeoutMs,
        onProgress: (line) => io.stderr(`${line}\n`),
        signal: io.signal,
      });
      io.stdout(formatRows(result, format));
    } finally {
      awsCalls().destroyClients(clients);
    }
    return 0;
  }

  const statement = renderQuery(query, params, { kind: 'lake', eventDataStoreId: eds! });
  const clients = makeClients(io, args, regionOf(io, args, eds!));
  try {
    const rows = await lakeRunner().runOnLake({
      client: clients.cloudtrail,
      statement,
      pollIntervalMs: io.lakePollIntervalMs,
      timeoutMs,
      onProgress: (line) => io.stderr(`${line}\n`),
      signal: io.signal,
    });
    io.stdout(formatRows(rows, format));
  } finally {
    awsCalls().destroyClients(clients);
  }
  return 0;
}

function exportNotebook(io: RunbookIo, args: ParsedArgs): number {
  const out = option(args, 'out');
  if (!out) throw new UsageError('export-notebook needs --out FILE.ipynb');
  const backend = option(args, 'backend');
  if (backend !== undefined && !NOTEBOOK_BACKENDS.includes(backend as NotebookBackend)) {
    throw new UsageError(`--backend must be one of ${NOTEBOOK_BACKENDS.join(', ')}, got '${backend}'`);
  }
  const queries = library(io);
  fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
  fs.writeFileSync(out, notebookJson(queries, { backend: backend as NotebookBackend | undefined }));
  io.stdout(
    `wrote ${out}: ${queries.length} queries and the containment cells, for ${backend ? `the ${backend} backend` : 'every backend (chosen from runbook-targets.json)'}\n`,
  );
  return 0;
}

async function contain(io: RunbookIo, action: string, args: ParsedArgs): Promise<number> {
  if (!(action in CONTAINMENT_ACTIONS)) {
    throw new UsageError(`unknown action '${action}' (actions: ${Object.keys(CONTAINMENT_ACTIONS).join(', ')})`);
  }
  const stack = option(args, 'stack');
  if (!stack) throw new UsageError(`contain ${action} needs --stack NAME (the CloudFormation stack whose resources it may touch)`);
  const via = option(args, 'via');
  if (via && !['auto', 'stage', 'api-key'].includes(via)) throw new UsageError(`--via must be auto, stage or api-key, got '${via}'`);
  const now = io.now?.() ?? new Date();
  const clients = makeClients(io, args, regionOf(io, args));
  try {
    const plan = await containment().planContainment(clients, {
      action,
      stack,
      role: option(args, 'role'),
      policyArn: option(args, 'policy-arn'),
      functionName: option(args, 'function'),
      via: via as 'auto' | 'stage' | 'api-key' | undefined,
      now,
    });
    const confirm = args.confirm;
    const recordFile = option(args, 'record') ?? `containment-${action}-${stack}-${now.toISOString().replace(/[:.]/g, '-')}.json`;
    io.stdout(`contain ${action} on stack ${stack} (${clients.region})${confirm ? '' : ': DRY RUN, nothing is sent'}\n`);
    io.stdout(`targets:\n${plan.targets.map((t) => `  - ${t}\n`).join('')}`);
    io.stdout(`prior state:\n${indent(JSON.stringify(plan.prior, null, 2))}\n`);
    io.stdout(`${confirm ? 'sending' : 'would send'}:\n${numbered(plan.changes.map(awsCalls().describeCall))}`);
    io.stdout(`undo (restore):\n${numbered(plan.undo.map(awsCalls().describeCall))}`);
    if (plan.notes.length > 0) io.stdout(`notes:\n${plan.notes.map((n) => `  - ${n}\n`).join('')}`);
    if (plan.changes.length === 0) {
      io.stdout('nothing to change; no record written\n');
      return 0;
    }
    if (!confirm) {
      io.stdout(`run again with --confirm to send; the prior state will be recorded in ${recordFile}\n`);
      return 0;
    }
    await containment().applyPlan(clients, plan, recordFile);
    io.stdout(
      `sent ${plan.changes.length} change(s); record: ${recordFile}\nundo with: runbook restore --record ${recordFile} --confirm\n`,
    );
    return 0;
  } finally {
    awsCalls().destroyClients(clients);
  }
}

async function restore(io: RunbookIo, args: ParsedArgs): Promise<number> {
  const file = option(args, 'record');
  if (!file) throw new UsageError('restore needs --record FILE (written by contain --confirm)');
  const record = containment().readRecord(file);
  const clients = makeClients(io, args, option(args, 'region') ?? record.region);
  try {
    const calls = await containment().planRestore(clients, record);
    const confirm = args.confirm;
    io.stdout(
      `restore ${record.action} on stack ${record.stack} (${clients.region}) from ${file}${confirm ? '' : ': DRY RUN, nothing is sent'}\n`,
    );
    io.stdout(`${confirm ? 'sending' : 'would send'}:\n${numbered(calls.map(awsCalls().describeCall))}`);
    if (!confirm) {
      io.stdout('run again with --confirm to send\n');
      return 0;
    }
    await containment().applyRestore(clients, record, file, calls, io.now?.() ?? new Date());
    io.stdout(`restored: ${calls.length} call(s) sent; ${file} marked restored\n`);
    return 0;
  } finally {
    awsCalls().destroyClients(clients);
  }
}

function regionOf(io: RunbookIo, args: ParsedArgs, arn?: string): string {
  const env = io.env ?? process.env;
  const fromArn = arn?.startsWith('arn:') ? arn.split(':')[3] : undefined;
  const region = option(args, 'region') ?? fromArn ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new UsageError('no AWS region: pass --region or set AWS_REGION');
  if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) throw new UsageError(`'${region}' is not an AWS region`);
  return region;
}

function makeClients(io: RunbookIo, args: ParsedArgs, region: string): AwsClients {
  const endpoint = option(args, 'endpoint-url');
  return (io.clients ?? awsCalls().createClients)({ region, endpoint });
}

function numbered(items: readonly string[]): string {
  return items.length === 0 ? '  (none)\n' : items.map((item, i) => `  ${i + 1}. ${item}\n`).join('');
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/*
 * The engines and the AWS clients load with the command that uses them: `help`, a usage error,
 * the notebook export and an offline query start without the AWS SDK (about a third of a second
 * each; the notebook's offline cells start this CLI once per query).
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, see above */
function awsCalls(): typeof import('./aws-calls') {
  return require('./aws-calls');
}
function containment(): typeof import('./containment') {
  return require('./containment');
}
function athenaRunner(): typeof import('./athena-runner') {
  return require('./athena-runner');
}
function lakeRunner(): typeof import('./lake-runner') {
  return require('./lake-runner');
}
function offlineEngine(): typeof import('./offline-engine') {
  return require('./offline-engine');
}
/* eslint-enable @typescript-eslint/no-require-imports */
