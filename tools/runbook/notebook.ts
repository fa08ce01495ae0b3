import { PREDICT_ENV } from '../../contract/handlers';
import { lakeViewSelect } from '../../lib/audit/lake-view';
import { RunbookBackend, TARGETS_FILE } from '../../lib/audit/runbook-targets';
import { REVOKE_POLICY_NAME } from './containment-actions';
import { PARAM_FORMATS, ParamSpec, QueryDefinition } from './query-library';

/**
 * The query library as a Jupyter runbook notebook (nbformat 4), for responders who work in
 * notebooks on SageMaker: the same SQL and the same parameter checks, run on the backend the
 * deployment has, results as pandas DataFrames, then the containment calls, each a dry run
 * until DRY_RUN is set to False, each logged with its inverse before it is sent so the restore
 * cell can undo it.
 *
 * Backends: `lake` (boto3 cloudtrail start_query / describe_query / get_query_results),
 * `athena` (boto3 athena start_query_execution / get_query_execution / get_query_results, in the
 * audit workgroup, through the Lake-shaped view of lib/audit/lake-view.ts), and `offline`: the
 * same queries on exported trail files, run by the project's runbook CLI (`run --offline
 * --format json`), so a responder can rehearse without AWS on a plain python3 + pandas (no
 * boto3, no DuckDB needed in Python).
 *
 * The notebook reads its backend and the pipeline's resource names from `runbook-targets.json`
 * next to it (written by the responder workspace's lifecycle configuration); elsewhere, fill in
 * the configuration cell by hand. The committed tools/runbook/incident-runbook.ipynb is this
 * module's output for every backend (`npm run docs:notebook`).
 */
export { TARGETS_FILE } from '../../lib/audit/runbook-targets';
export type { RunbookTargets } from '../../lib/audit/runbook-targets';

export type NotebookBackend = RunbookBackend;
export const NOTEBOOK_BACKENDS: readonly NotebookBackend[] = ['lake', 'athena', 'offline'];

interface Cell {
  readonly cell_type: 'markdown' | 'code';
  readonly id: string;
  readonly metadata: Record<string, never>;
  readonly source: string[];
  readonly execution_count?: null;
  readonly outputs?: never[];
}

export interface Notebook {
  readonly nbformat: 4;
  readonly nbformat_minor: 5;
  readonly metadata: Record<string, unknown>;
  readonly cells: readonly Cell[];
}

export interface NotebookOptions {
  readonly title?: string;
  /**
   * Write the cells of this backend only.
   * @default - every backend, the one used chosen at run time from runbook-targets.json
   */
  readonly backend?: NotebookBackend;
}

/** Python expressions for parameters the configuration cell knows; others use the query's default. */
const PARAM_SOURCES: Readonly<Record<string, string>> = {
  prefix: 'PREFIX',
  tableName: 'TARGETS.get("tableName", "")',
  restApiId: 'TARGETS.get("restApiId", "")',
  principalArn: 'PRINCIPAL_ARN',
  accessKeyId: 'ACCESS_KEY_ID',
  startTime: 'START_TIME',
  endTime: 'END_TIME',
  baselineStart: 'BASELINE_START',
};

export function buildNotebook(library: readonly QueryDefinition[], options: NotebookOptions = {}): Notebook {
  const cells: Cell[] = [];
  const md = (text: string) => cells.push({ cell_type: 'markdown', id: `cell-${cells.length + 1}`, metadata: {}, source: lines(text) });
  const code = (text: string) =>
    cells.push({
      cell_type: 'code',
      id: `cell-${cells.length + 1}`,
      metadata: {},
      source: lines(text),
      execution_count: null,
      outputs: [],
    });
  const backends = options.backend ? [options.backend] : NOTEBOOK_BACKENDS;
  // Containment needs AWS: an offline rehearsal prints what each cell would do instead.
  const online = (body: string) =>
    backends.every((b) => b !== 'offline')
      ? body
      : `if BACKEND == "offline":\n    print("offline rehearsal: containment needs AWS access; this cell sends nothing")\nelse:\n${indent(body)}`;

  md(INTRO(options.title ?? 'Inference pipeline incident-response runbook', library, backends));
  code(config(backends, options.backend));
  code(helpers(backends));
  md(
    '## Investigate\n\nEach query answers one question. Set the incident window once in the configuration cell (`START_TIME`, `END_TIME`, `BASELINE_START`), or change the parameters in a call and run the cell; times are UTC (ISO-8601 or `now`, `now-30m`, `now-24h`, `now-7d`). A query whose parameter still reads `REPLACE-WITH-...` is skipped with a note.',
  );
  for (const query of library) {
    md(queryMarkdown(query));
    code(queryCode(query));
  }
  md(CONTAINMENT_INTRO);
  code(online(CONTAINMENT_HELPERS));
  md(
    "### Stop the API\n\nThrottles every stage of the pipeline's REST API to 0 requests per second (every call gets 429). In API-key mode, the next cell disables the keys instead. API Gateway's management API has no VPC endpoint: on the isolated responder workspace these two cells cannot reach it, so stop the prediction function below, or run `runbook contain throttle-api` from a machine with AWS access.",
  );
  code(online(THROTTLE_API));
  md('### Disable the API keys (API-key mode)\n\nCallers presenting a disabled key get 403.');
  code(online(DISABLE_KEYS));
  md('### Stop the prediction function\n\nReserved concurrency 0: every invocation is refused, nothing reaches the endpoint or the table.');
  code(online(STOP_PREDICTIONS));
  md(
    "### Detach a policy from a pipeline role\n\nFor a role that was widened (see *Changes to the pipeline's IAM roles and policies*). Only roles of the pipeline are accepted. IAM has a VPC endpoint only in us-east-1: elsewhere the isolated workspace cannot reach IAM, so use `runbook contain detach-policy`.",
  );
  code(online(DETACH_POLICY));
  md('### Restore\n\nUndoes the logged changes, newest first. Run it with `DRY_RUN = True` first to read what it will send.');
  code(online(RESTORE));

  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: {
      kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' },
      language_info: { name: 'python' },
    },
    cells,
  };
}

export function notebookJson(library: readonly QueryDefinition[], options?: NotebookOptions): string {
  return `${JSON.stringify(buildNotebook(library, options), null, 1)}\n`;
}

function lines(text: string): string[] {
  const parts = text.replace(/\n+$/, '').split('\n');
  return parts.map((line, i) => (i < parts.length - 1 ? `${line}\n` : line));
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => (line ? `    ${line}` : line))
    .join('\n');
}

/** A Python string literal that keeps the SQL readable across lines (the backslash-newline adds no newline). */
function pyTriple(text: string): string {
  return `"""\\\n${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"""`;
}

function pyString(text: string): string {
  return JSON.stringify(text); // a JSON string literal is a valid Python string literal
}

const BACKEND_TEXT: Readonly<Record<NotebookBackend, string>> = {
  lake: '**lake**: CloudTrail Lake, with `start_query`, polled with `describe_query`, paged with `get_query_results`;',
  athena:
    "**athena**: the trail's Glue table through the Lake-shaped view, in the audit workgroup (which enforces the encrypted result location and the per-query scan limit), with `start_query_execution`, polled with `get_query_execution` (bytes scanned shown), paged with `get_query_results`;",
  offline:
    '**offline**: exported trail files (`aws s3 sync s3://TRAIL-BUCKET/AWSLogs ./trail`), run by the runbook CLI (`npm run runbook -- run QUERY --offline DIR`), to rehearse without AWS: needs Node.js and this repository, nothing beyond pandas in Python.',
};

const INTRO = (title: string, library: readonly QueryDefinition[], backends: readonly NotebookBackend[]) => `# ${title}

This notebook is the runbook: the questions to ask of the audit record, the calls that contain an incident, and the calls that undo them, with their results kept next to the narrative.

**The audit record has three parts.**
- **CloudTrail** (this notebook's queries): who called which AWS API on the pipeline's resources, when, from where, with which client — control-plane changes to the endpoint, roles, functions and API, plus data events on the inference table and the functions.
- **The inference table** (DynamoDB): every prediction, its input (or hash), output, model version and request id. SageMaker \`InvokeEndpoint\` is *not* a CloudTrail event, so this table is the record of predictions.
- **The API access log** (CloudWatch Logs): every HTTP request with caller identity, source IP and status; its request id joins the table's records.

The same SQL runs on ${backends.length > 1 ? 'each backend; `BACKEND` (from ' + TARGETS_FILE + ') chooses one' : 'this backend'}:
${backends.map((b) => `- ${BACKEND_TEXT[b]}`).join('\n')}

Queries: ${library.map((q) => `\`${q.id}\``).join(', ')}.`;

function config(backends: readonly NotebookBackend[], fixed?: NotebookBackend): string {
  const has = (b: NotebookBackend) => backends.includes(b);
  return [
    `# Configuration. On the responder workspace these come from ${TARGETS_FILE}; elsewhere, fill them in.`,
    'import base64, json, os, re, subprocess, time',
    'from datetime import datetime, timedelta, timezone',
    '',
    'import pandas as pd',
    '',
    'TARGETS = {}',
    `for candidate in [os.environ.get("RUNBOOK_TARGETS", ""), "${TARGETS_FILE}", os.path.expanduser("~/SageMaker/${TARGETS_FILE}")]:`,
    '    if candidate and os.path.exists(candidate):',
    '        with open(candidate) as f:',
    '            TARGETS = json.load(f)',
    '        break',
    '',
    fixed
      ? `BACKEND = "${fixed}"`
      : 'BACKEND = os.environ.get("RUNBOOK_BACKEND") or TARGETS.get("backend") or "athena"  # lake | athena | offline',
    `if BACKEND not in ${JSON.stringify(backends)}:`,
    `    raise ValueError(f"BACKEND must be one of ${backends.join(', ')}, got {BACKEND!r}")`,
    ...(has('lake') ? ['EVENT_DATA_STORE = TARGETS.get("eventDataStoreArn", "REPLACE-WITH-EVENT-DATA-STORE-ARN")  # lake'] : []),
    ...(has('athena')
      ? [
          'ATHENA_WORKGROUP = TARGETS.get("athenaWorkGroup", "REPLACE-WITH-WORKGROUP")  # athena: the audit stack output AthenaWorkGroup',
          'ATHENA_DATABASE = TARGETS.get("athenaDatabase", "REPLACE-WITH-DATABASE")',
          'ATHENA_TABLE = TARGETS.get("athenaTable", "cloudtrail")',
        ]
      : []),
    ...(has('offline')
      ? [
          'OFFLINE_DIR = os.environ.get("RUNBOOK_OFFLINE_DIR") or TARGETS.get("offlineDir", "trail")  # offline: a folder of trail files',
          '# The runbook CLI of this repository (found upwards from here), or RUNBOOK_CLI="node ... main.ts".',
          'RUNBOOK_CLI = os.environ.get("RUNBOOK_CLI", "").split()',
        ]
      : []),
    'PREFIX = TARGETS.get("prefix", "")             # the stage\'s resource prefix, e.g. inference-prod',
    'PRINCIPAL_ARN = os.environ.get("RUNBOOK_PRINCIPAL_ARN", "REPLACE-WITH-A-PRINCIPAL-ARN")  # for principal-activity',
    'ACCESS_KEY_ID = os.environ.get("RUNBOOK_ACCESS_KEY_ID", "REPLACE-WITH-AN-ACCESS-KEY-ID")  # for access-key-activity',
    '# The incident window every query uses unless its cell says otherwise (UTC).',
    'START_TIME = os.environ.get("RUNBOOK_START_TIME", "now-24h")',
    'END_TIME = os.environ.get("RUNBOOK_END_TIME", "now")',
    'BASELINE_START = os.environ.get("RUNBOOK_BASELINE_START", "now-30d")',
    '',
    'DRY_RUN = True  # containment cells only print their requests until this is False',
    '',
    'REGION = TARGETS.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")',
    'if BACKEND != "offline":',
    '    import boto3  # not needed offline, so a plain python3 with pandas can rehearse',
    '    REGION = REGION or boto3.session.Session().region_name',
    'pd.set_option("display.max_colwidth", 200)',
    'print("backend:", BACKEND, "| region:", REGION, "| prefix:", PREFIX or "(all resources)", "| window:", START_TIME, "to", END_TIME)',
  ].join('\n');
}

/** The Athena view's SELECT with the table and days left as placeholders for Python to fill in. */
function athenaViewTemplate(): string {
  return lakeViewSelect('athena', { table: '__TABLE__' });
}

function helpers(backends: readonly NotebookBackend[]): string {
  const has = (b: NotebookBackend) => backends.includes(b);
  const parts: string[] = [];
  parts.push(`# The runbook's parameter checks and query runners (the same rules as the CLI).
PARAM_FORMATS = ${JSON.stringify(PARAM_FORMATS, null, 4)}
QUERIES = {}
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_PLACEHOLDER = re.compile(r"\\{\\{\\s*([A-Za-z][A-Za-z0-9]*)\\s*\\}\\}")


def lake_time(value):
    """An ISO-8601 UTC time or now / now-30m / now-24h / now-7d, as the queries compare eventTime."""
    relative = re.fullmatch(r"now(?:-(\\d+)([mhd]))?", value)
    if relative:
        delta = timedelta(**{_UNITS[relative.group(2)]: int(relative.group(1))}) if relative.group(1) else timedelta()
        moment = datetime.now(timezone.utc) - delta
    else:
        text = value.replace(" ", "T")
        text = text + "T00:00:00" if len(text) == 10 else text
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        moment = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def resolve(query_id, **given):
    """The query's parameters, each checked against its type, defaults filled in, times normalised."""
    query = QUERIES[query_id]
    values = {}
    for param in query["params"]:
        name, default = param["name"], param["default"]
        if name in given:
            value = str(given.pop(name)).strip()
        elif default is not None:
            value = default
        else:
            raise ValueError(f"{query_id}: missing parameter {name}")
        if value == "" and default == "":
            values[name] = ""
            continue
        if not re.fullmatch(PARAM_FORMATS[param["type"]], value):
            raise ValueError(f"{query_id}: parameter {name} is {value!r}, not a valid {param['type']}")
        values[name] = lake_time(value) if param["type"] == "timestamp" else value
    if given:
        raise ValueError(f"{query_id}: unknown parameter(s) {sorted(given)}")
    return values


def render(query_id, values, source, time_literal=lambda v: "'" + v + "'"):
    """The SQL with $EDS pointed at source and each parameter a quoted literal."""
    query = QUERIES[query_id]
    times = {p["name"] for p in query["params"] if p["type"] == "timestamp"}
    sql = query["sql"].replace("$EDS", source)
    def literal(match):
        name = match.group(1)
        value = values[name].replace("'", "''")
        return time_literal(value) if name in times and value else "'" + value + "'"
    return _PLACEHOLDER.sub(literal, sql)


def run(query_id, **given):
    """Runs a library query on BACKEND; a parameter still set to REPLACE-WITH-... skips it with a note."""
    unset = [name for name, value in given.items() if str(value).startswith("REPLACE-WITH")]
    if unset:
        print(f"{query_id}: skipped, set {', '.join(unset)} in the configuration cell first")
        return pd.DataFrame()
    values = resolve(query_id, **given)
    return RUNNERS[BACKEND](query_id, values)


RUNNERS = {}`);
  if (has('lake')) {
    parts.push(`

def lake_sql(query_id, values):
    """The statement for CloudTrail Lake: FROM the event data store id."""
    store_id = EVENT_DATA_STORE.rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9-]{1,128}", store_id):
        raise ValueError(f"{EVENT_DATA_STORE!r} is not an event data store ARN or id")
    return render(query_id, values, store_id)


def run_lake(query_id, values, poll_seconds=2, timeout_seconds=900):
    """start_query, describe_query until done (progress on one line), every get_query_results page."""
    cloudtrail = boto3.client("cloudtrail", region_name=REGION)
    query_id_ = cloudtrail.start_query(QueryStatement=lake_sql(query_id, values))["QueryId"]
    deadline = time.time() + timeout_seconds
    while True:
        described = cloudtrail.describe_query(QueryId=query_id_)
        status, stats = described["QueryStatus"], described.get("QueryStatistics", {})
        print(f"\\r{query_id_}: {status}, {stats.get('EventsScanned', 0)} events scanned", end="")
        if status == "FINISHED":
            break
        if status in ("FAILED", "CANCELLED", "TIMED_OUT"):
            raise RuntimeError(f"query {query_id_} {status}: {described.get('ErrorMessage', '')}")
        if time.time() > deadline:
            cloudtrail.cancel_query(QueryId=query_id_)
            raise TimeoutError(f"query {query_id_} cancelled after {timeout_seconds} s")
        time.sleep(poll_seconds)
    rows, token = [], None
    while True:
        page = cloudtrail.get_query_results(QueryId=query_id_, **({"NextToken": token} if token else {}))
        for cells in page.get("QueryResultRows", []):
            row = {}
            for cell in cells:
                row.update(cell)
            rows.append(row)
        token = page.get("NextToken")
        if not token:
            break
    print(f" -> {len(rows)} row(s)")
    return pd.DataFrame(rows)


RUNNERS["lake"] = run_lake`);
  }
  if (has('athena')) {
    parts.push(`

ATHENA_VIEW = ${pyTriple(athenaViewTemplate())}


def _day(value, shift=0):
    moment = datetime.strptime(value, "%Y-%m-%d %H:%M:%S") + timedelta(days=shift)
    return moment.strftime("%Y/%m/%d")


def athena_sql(query_id, values):
    """The statement for Athena: FROM the Lake-shaped view over the trail table, read only for the
    days the window spans (plus one, for files delivered after midnight); times as TIMESTAMP literals."""
    for name in (ATHENA_DATABASE, ATHENA_TABLE):
        if not re.fullmatch(r"[a-z0-9_]{1,255}", name):
            raise ValueError(f"{name!r} is not a Glue database or table name")
    query = QUERIES[query_id]
    days = sorted(values[p["name"]] for p in query["params"] if p["type"] == "timestamp" and values[p["name"]])
    view = ATHENA_VIEW.replace("__TABLE__", f'"{ATHENA_DATABASE}"."{ATHENA_TABLE}"')
    if days:
        view += f" WHERE \\"timestamp\\" >= '{_day(days[0])}' AND \\"timestamp\\" <= '{_day(days[-1], 1)}'"
    return render(query_id, values, "(" + view + ")", lambda v: "TIMESTAMP '" + v + "'")


def run_athena(query_id, values, poll_seconds=1, timeout_seconds=900):
    """start_query_execution in the audit workgroup, get_query_execution until done (bytes scanned
    shown), every get_query_results page."""
    sql = athena_sql(query_id, values)
    athena = boto3.client("athena", region_name=REGION)
    execution_id = athena.start_query_execution(QueryString=sql, WorkGroup=ATHENA_WORKGROUP,
                                                QueryExecutionContext={"Database": ATHENA_DATABASE})["QueryExecutionId"]
    deadline = time.time() + timeout_seconds
    while True:
        execution = athena.get_query_execution(QueryExecutionId=execution_id)["QueryExecution"]
        state = execution["Status"]["State"]
        scanned = execution.get("Statistics", {}).get("DataScannedInBytes", 0)
        print(f"\\r{execution_id}: {state}, {scanned / 1e6:.1f} MB scanned", end="")
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            raise RuntimeError(f"query {execution_id} {state}: {execution['Status'].get('StateChangeReason', '')}")
        if time.time() > deadline:
            athena.stop_query_execution(QueryExecutionId=execution_id)
            raise TimeoutError(f"query {execution_id} stopped after {timeout_seconds} s")
        time.sleep(poll_seconds)
    spelled = {}
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", sql):
        if word != word.lower() or word.lower() not in spelled:
            spelled[word.lower()] = word
    columns, rows, token, first = [], [], None, True
    while True:
        page = athena.get_query_results(QueryExecutionId=execution_id, MaxResults=1000, **({"NextToken": token} if token else {}))
        result = page["ResultSet"]
        data = [[cell.get("VarCharValue") for cell in row.get("Data", [])] for row in result.get("Rows", [])]
        if first:
            labels = [c.get("Label") or c["Name"] for c in result["ResultSetMetadata"]["ColumnInfo"]]
            columns = [spelled.get(label.lower(), label) for label in labels]
            # A SELECT's first page starts with the column names as a row.
            if data and [str(v).lower() for v in data[0]] == [l.lower() for l in labels]:
                data = data[1:]
        rows.extend(dict(zip(columns, values)) for values in data)
        token, first = page.get("NextToken"), False
        if not token:
            break
    print(f" -> {len(rows)} row(s), {scanned / 1e6:.1f} MB scanned")
    return pd.DataFrame(rows, columns=columns)


RUNNERS["athena"] = run_athena`);
  }
  if (has('offline')) {
    parts.push(`

def runbook_cli():
    """The command that runs this repository's runbook CLI."""
    if RUNBOOK_CLI:
        return RUNBOOK_CLI
    here = os.path.abspath(os.getcwd())
    while True:
        main = os.path.join(here, "tools", "runbook", "main.ts")
        if os.path.exists(main):
            return ["npx", "--no-install", "tsx", main]
        parent = os.path.dirname(here)
        if parent == here:
            raise FileNotFoundError("runbook CLI not found: run the notebook inside the repository or set RUNBOOK_CLI")
        here = parent


def run_offline(query_id, values):
    """The same query on trail files, by the runbook CLI's offline engine (JSON rows back)."""
    args = runbook_cli() + ["run", query_id, "--offline", OFFLINE_DIR, "--format", "json"]
    for name, value in values.items():
        args += ["--param", f"{name}={value}"]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{query_id}: {done.stderr.strip() or 'runbook CLI failed'}")
    rows = json.loads(done.stdout)
    print(f"{query_id}: {done.stderr.strip()} -> {len(rows)} row(s)")
    return pd.DataFrame(rows)


RUNNERS["offline"] = run_offline`);
  }
  return parts.join('');
}

function queryMarkdown(query: QueryDefinition): string {
  const params = query.params.map((p) => `| \`${p.name}\` | ${p.type} | ${defaultText(p)} | ${p.description} |`);
  return [
    `### ${query.title}`,
    '',
    query.description,
    '',
    '| parameter | type | default | meaning |',
    '| --- | --- | --- | --- |',
    ...params,
  ].join('\n');
}

function defaultText(p: ParamSpec): string {
  if (p.default === undefined) return 'required';
  return p.default === '' ? '(empty: any)' : `\`${p.default}\``;
}

function queryCode(query: QueryDefinition): string {
  const spec = query.params.map(
    (p) =>
      `{"name": ${pyString(p.name)}, "type": ${pyString(p.type)}, "default": ${p.default === undefined ? 'None' : pyString(p.default)}}`,
  );
  const args = query.params.map((p) => `${p.name}=${PARAM_SOURCES[p.name] ?? pyString(p.default ?? '')}`);
  return [
    `QUERIES[${pyString(query.id)}] = {`,
    `    "params": [${spec.join(', ')}],`,
    `    "sql": ${pyTriple(query.sql)},`,
    '}',
    `${varName(query.id)} = run(${pyString(query.id)}, ${args.join(', ')})`,
    varName(query.id),
  ].join('\n');
}

function varName(id: string): string {
  return `df_${id.replace(/-/g, '_')}`;
}

const CONTAINMENT_INTRO = `## Contain

Each cell below reads the current state, prints the exact request and the request that undoes it, and sends nothing while \`DRY_RUN = True\`. With \`DRY_RUN = False\` it appends the change and its inverse to \`containment-log.json\` **before** sending, so the *Restore* cell can undo exactly what was done. The cells act only on resources named in \`${TARGETS_FILE}\`; the workspace's role allows nothing else. The CLI equivalent is \`npm run runbook -- contain ACTION --stack STACK [--confirm]\`.`;

const CONTAINMENT_HELPERS = `CONTAINMENT_LOG_FILE = "containment-log.json"
CONTAINMENT_LOG = json.load(open(CONTAINMENT_LOG_FILE)) if os.path.exists(CONTAINMENT_LOG_FILE) else []


def client(service):
    return boto3.client(service, region_name=REGION)


def change(service, method, request, undo_method, undo_request):
    """Print the request and its inverse; when not a dry run, log both, then send."""
    print(("DRY RUN, not sent: " if DRY_RUN else "sending: ") + f"{service}.{method}({json.dumps(request)})")
    print(f"    undo: {service}.{undo_method}({json.dumps(undo_request)})")
    if DRY_RUN:
        return
    CONTAINMENT_LOG.append({"at": datetime.now(timezone.utc).isoformat(), "service": service, "method": method,
                            "request": request, "undo_method": undo_method, "undo_request": undo_request, "sent": False})
    with open(CONTAINMENT_LOG_FILE, "w") as f:
        json.dump(CONTAINMENT_LOG, f, indent=2)
    getattr(client(service), method)(**request)
    CONTAINMENT_LOG[-1]["sent"] = True
    with open(CONTAINMENT_LOG_FILE, "w") as f:
        json.dump(CONTAINMENT_LOG, f, indent=2)`;

const THROTTLE_API = `apigateway = client("apigateway")
api_id = TARGETS.get("restApiId") or "REPLACE-WITH-REST-API-ID"
paths = ["/*/*/throttling/rateLimit", "/*/*/throttling/burstLimit"]
for stage in apigateway.get_stages(restApiId=api_id).get("item", []):
    current = stage.get("methodSettings", {}).get("*/*", {})
    prior = [current.get("throttlingRateLimit"), current.get("throttlingBurstLimit")]
    undo_ops = [{"op": "remove", "path": p} if v is None else {"op": "replace", "path": p, "value": str(v)} for p, v in zip(paths, prior)]
    change("apigateway", "update_stage",
           {"restApiId": api_id, "stageName": stage["stageName"], "patchOperations": [{"op": "replace", "path": p, "value": "0"} for p in paths]},
           "update_stage", {"restApiId": api_id, "stageName": stage["stageName"], "patchOperations": undo_ops})`;

const DISABLE_KEYS = `apigateway = client("apigateway")
for key_id in TARGETS.get("apiKeyIds", []):
    if apigateway.get_api_key(apiKey=key_id).get("enabled"):
        change("apigateway", "update_api_key", {"apiKey": key_id, "patchOperations": [{"op": "replace", "path": "/enabled", "value": "false"}]},
               "update_api_key", {"apiKey": key_id, "patchOperations": [{"op": "replace", "path": "/enabled", "value": "true"}]})
    else:
        print("already disabled:", key_id)`;

const STOP_PREDICTIONS = `lambda_ = client("lambda")
# The prediction function is the pipeline function whose environment names the endpoint.
predict = [name for name in TARGETS.get("functionNames", [])
           if "${PREDICT_ENV.endpointName}" in lambda_.get_function_configuration(FunctionName=name).get("Environment", {}).get("Variables", {})]
for name in predict:
    prior = lambda_.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions")
    undo = ("delete_function_concurrency", {"FunctionName": name}) if prior is None else \\
           ("put_function_concurrency", {"FunctionName": name, "ReservedConcurrentExecutions": prior})
    change("lambda", "put_function_concurrency", {"FunctionName": name, "ReservedConcurrentExecutions": 0}, *undo)`;

const DETACH_POLICY = `ROLE_NAME = "REPLACE-WITH-A-PIPELINE-ROLE-NAME"
POLICY_ARN = "REPLACE-WITH-THE-POLICY-ARN"
iam = client("iam")
if ROLE_NAME not in TARGETS.get("roleNames", []):
    raise ValueError(f"{ROLE_NAME} is not a role of the pipeline: {TARGETS.get('roleNames', [])}")
attached = [p["PolicyArn"] for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=ROLE_NAME) for p in page["AttachedPolicies"]]
if POLICY_ARN not in attached:
    raise ValueError(f"{POLICY_ARN} is not attached to {ROLE_NAME}: {attached}")
change("iam", "detach_role_policy", {"RoleName": ROLE_NAME, "PolicyArn": POLICY_ARN},
       "attach_role_policy", {"RoleName": ROLE_NAME, "PolicyArn": POLICY_ARN})
# Revoking the role's sessions (inline policy ${REVOKE_POLICY_NAME}) is a CLI action: the workspace may not write inline policies.`;

const RESTORE = `for entry in reversed([e for e in CONTAINMENT_LOG if e.get("sent") and not e.get("restored")]):
    print(("DRY RUN, not sent: " if DRY_RUN else "sending: ") + f"{entry['service']}.{entry['undo_method']}({json.dumps(entry['undo_request'])})")
    if not DRY_RUN:
        getattr(client(entry["service"]), entry["undo_method"])(**entry["undo_request"])
        entry["restored"] = True
        with open(CONTAINMENT_LOG_FILE, "w") as f:
            json.dump(CONTAINMENT_LOG, f, indent=2)`;
