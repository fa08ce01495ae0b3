import { PREDICT_ENV } from '../../contract/handlers';
import { REVOKE_POLICY_NAME } from './containment';
import { PARAM_FORMATS, ParamSpec, QueryDefinition } from './query-library';

/**
 * The query library as a Jupyter runbook notebook (nbformat 4), for responders who work in
 * notebooks on SageMaker: the same SQL and the same parameter checks, run with boto3
 * (cloudtrail start_query / describe_query / get_query_results), results as pandas DataFrames,
 * then the containment calls, each a dry run until DRY_RUN is set to False, each logged with
 * its inverse before it is sent so the restore cell can undo it.
 *
 * The notebook reads the pipeline's resource names from `runbook-targets.json` next to it
 * (written by the responder workspace's lifecycle configuration); elsewhere, fill in the
 * configuration cell by hand.
 */
export const TARGETS_FILE = 'runbook-targets.json';

/** What the workspace writes to {@link TARGETS_FILE}; every field optional for the notebook. */
export interface RunbookTargets {
  readonly region?: string;
  readonly eventDataStoreArn?: string;
  readonly prefix?: string;
  readonly tableName?: string;
  readonly endpointName?: string;
  readonly functionNames?: readonly string[];
  readonly roleNames?: readonly string[];
  readonly restApiId?: string;
  readonly apiKeyIds?: readonly string[];
}

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
}

/** Python expressions for parameters the configuration cell knows; others use the query's default. */
const PARAM_SOURCES: Readonly<Record<string, string>> = {
  prefix: 'PREFIX',
  tableName: 'TARGETS.get("tableName", "")',
  restApiId: 'TARGETS.get("restApiId", "")',
  principalArn: 'PRINCIPAL_ARN',
  accessKeyId: 'ACCESS_KEY_ID',
};

export function buildNotebook(library: readonly QueryDefinition[], options: NotebookOptions = {}): Notebook {
  const cells: Cell[] = [];
  const md = (text: string) => cells.push({ cell_type: 'markdown', id: `cell-${cells.length + 1}`, metadata: {}, source: lines(text) });
  const code = (text: string) =>
    cells.push({ cell_type: 'code', id: `cell-${cells.length + 1}`, metadata: {}, source: lines(text), execution_count: null, outputs: [] });

  md(INTRO(options.title ?? 'Inference pipeline incident-response runbook', library));
  code(CONFIG);
  code(helpers());
  md('## Investigate\n\nEach query answers one question. Change the parameters in the call and run the cell; times are UTC (ISO-8601 or `now`, `now-30m`, `now-24h`, `now-7d`).');
  for (const query of library) {
    md(queryMarkdown(query));
    code(queryCode(query));
  }
  md(CONTAINMENT_INTRO);
  code(CONTAINMENT_HELPERS);
  md("### Stop the API\n\nThrottles every stage of the pipeline's REST API to 0 requests per second (every call gets 429). In API-key mode, the next cell disables the keys instead. API Gateway's management API has no VPC endpoint: on the isolated responder workspace these two cells cannot reach it, so stop the prediction function below, or run `runbook contain throttle-api` from a machine with AWS access.");
  code(THROTTLE_API);
  md("### Disable the API keys (API-key mode)\n\nCallers presenting a disabled key get 403.");
  code(DISABLE_KEYS);
  md('### Stop the prediction function\n\nReserved concurrency 0: every invocation is refused, nothing reaches the endpoint or the table.');
  code(STOP_PREDICTIONS);
  md("### Detach a policy from a pipeline role\n\nFor a role that was widened (see *Changes to the pipeline's IAM roles and policies*). Only roles of the pipeline are accepted. IAM has a VPC endpoint only in us-east-1: elsewhere the isolated workspace cannot reach IAM, so use `runbook contain detach-policy`.");
  code(DETACH_POLICY);
  md('### Restore\n\nUndoes the logged changes, newest first. Run it with `DRY_RUN = True` first to read what it will send.');
  code(RESTORE);

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

/** A Python string literal that keeps the SQL readable across lines (the backslash-newline adds no newline). */
function pyTriple(text: string): string {
  return `"""\\\n${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"""`;
}

function pyString(text: string): string {
  return JSON.stringify(text); // a JSON string literal is a valid Python string literal
}

const INTRO = (title: string, library: readonly QueryDefinition[]) => `# ${title}

This notebook is the runbook: the questions to ask of the audit record, the calls that contain an incident, and the calls that undo them, with their results kept next to the narrative.

**The audit record has three parts.**
- **CloudTrail Lake** (this notebook's queries): who called which AWS API on the pipeline's resources, when, from where, with which client — control-plane changes to the endpoint, roles, functions and API, plus data events on the inference table and the functions.
- **The inference table** (DynamoDB): every prediction, its input (or hash), output, model version and request id. SageMaker \`InvokeEndpoint\` is *not* a CloudTrail event, so this table is the record of predictions.
- **The API access log** (CloudWatch Logs): every HTTP request with caller identity, source IP and status; its request id joins the table's records.

Queries run on CloudTrail Lake with \`start_query\`, are polled with \`describe_query\` and paged with \`get_query_results\`. The same SQL runs offline with the runbook CLI (\`npm run runbook -- run QUERY --offline DIR\`) on exported trail files.

Queries: ${library.map((q) => `\`${q.id}\``).join(', ')}.`;

const CONFIG = `# Configuration. On the responder workspace these come from ${TARGETS_FILE}; elsewhere, fill them in.
import base64, json, os, re, time
from datetime import datetime, timedelta, timezone

import boto3
import pandas as pd

TARGETS = {}
for candidate in ["${TARGETS_FILE}", os.path.expanduser("~/SageMaker/${TARGETS_FILE}")]:
    if os.path.exists(candidate):
        with open(candidate) as f:
            TARGETS = json.load(f)
        break

REGION = TARGETS.get("region") or boto3.session.Session().region_name
EVENT_DATA_STORE = TARGETS.get("eventDataStoreArn", "REPLACE-WITH-EVENT-DATA-STORE-ARN")
PREFIX = TARGETS.get("prefix", "")             # the stage's resource prefix, e.g. inference-prod
PRINCIPAL_ARN = "REPLACE-WITH-A-PRINCIPAL-ARN"  # for principal-activity
ACCESS_KEY_ID = "REPLACE-WITH-AN-ACCESS-KEY-ID" # for access-key-activity

DRY_RUN = True  # containment cells only print their requests until this is False

cloudtrail = boto3.client("cloudtrail", region_name=REGION)
pd.set_option("display.max_colwidth", 200)
print("region:", REGION, "| event data store:", EVENT_DATA_STORE, "| prefix:", PREFIX or "(all resources)")`;

function helpers(): string {
  return `# The runbook's parameter checks and query runner (the same rules as the CLI).
PARAM_FORMATS = ${JSON.stringify(PARAM_FORMATS, null, 4)}
QUERIES = {}
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}


def lake_time(value):
    """An ISO-8601 UTC time or now / now-30m / now-24h / now-7d, as CloudTrail Lake compares eventTime."""
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


def render(query_id, **given):
    """The query's SQL for this event data store, each parameter checked, then quoted as a literal."""
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
    store_id = EVENT_DATA_STORE.rsplit("/", 1)[-1]
    if not re.fullmatch(r"[A-Za-z0-9-]{1,128}", store_id):
        raise ValueError(f"{EVENT_DATA_STORE!r} is not an event data store ARN or id")
    sql = query["sql"].replace("$EDS", store_id)
    return re.sub(r"\\{\\{\\s*([A-Za-z][A-Za-z0-9]*)\\s*\\}\\}", lambda m: "'" + values[m.group(1)].replace("'", "''") + "'", sql)


def run_query(sql, poll_seconds=2, timeout_seconds=900):
    """start_query, describe_query until done (progress on one line), every get_query_results page."""
    query_id = cloudtrail.start_query(QueryStatement=sql)["QueryId"]
    deadline = time.time() + timeout_seconds
    while True:
        described = cloudtrail.describe_query(QueryId=query_id)
        status, stats = described["QueryStatus"], described.get("QueryStatistics", {})
        print(f"\\r{query_id}: {status}, {stats.get('EventsScanned', 0)} events scanned", end="")
        if status == "FINISHED":
            break
        if status in ("FAILED", "CANCELLED", "TIMED_OUT"):
            raise RuntimeError(f"query {query_id} {status}: {described.get('ErrorMessage', '')}")
        if time.time() > deadline:
            cloudtrail.cancel_query(QueryId=query_id)
            raise TimeoutError(f"query {query_id} cancelled after {timeout_seconds} s")
        time.sleep(poll_seconds)
    rows, token = [], None
    while True:
        page = cloudtrail.get_query_results(QueryId=query_id, **({"NextToken": token} if token else {}))
        for cells in page.get("QueryResultRows", []):
            row = {}
            for cell in cells:
                row.update(cell)
            rows.append(row)
        token = page.get("NextToken")
        if not token:
            break
    print(f" -> {len(rows)} row(s)")
    return pd.DataFrame(rows)`;
}

function queryMarkdown(query: QueryDefinition): string {
  const params = query.params.map((p) => `| \`${p.name}\` | ${p.type} | ${defaultText(p)} | ${p.description} |`);
  return [`### ${query.title}`, '', query.description, '', '| parameter | type | default | meaning |', '| --- | --- | --- | --- |', ...params].join('\n');
}

function defaultText(p: ParamSpec): string {
  if (p.default === undefined) return 'required';
  return p.default === '' ? '(empty: any)' : `\`${p.default}\``;
}

function queryCode(query: QueryDefinition): string {
  const spec = query.params.map((p) => `{"name": ${pyString(p.name)}, "type": ${pyString(p.type)}, "default": ${p.default === undefined ? 'None' : pyString(p.default)}}`);
  const args = query.params.map((p) => `${p.name}=${PARAM_SOURCES[p.name] ?? pyString(p.default ?? '')}`);
  return [
    `QUERIES[${pyString(query.id)}] = {`,
    `    "params": [${spec.join(', ')}],`,
    `    "sql": ${pyTriple(query.sql)},`,
    '}',
    `${varName(query.id)} = run_query(render(${pyString(query.id)}, ${args.join(', ')}))`,
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
