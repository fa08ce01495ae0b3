import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_PATHS } from '../../../contract/repo-paths';
import { RUNBOOK_NOTEBOOK_FILE } from '../../../lib/stacks/audit-stack';
import { Notebook, buildNotebook, notebookJson } from '../../../tools/runbook/notebook';
import { renderQuery, resolveParams } from '../../../tools/runbook/query-library';
import { LIBRARY, TRAIL_FIXTURES } from '../../harness/audit-engine';
import { SWC_REGISTER } from '../../harness/repo';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const EDS_ARN = 'arn:aws:cloudtrail:eu-west-1:111122223333:eventdatastore/EXAMPLE-f852-4e8f-8bd1-bcf6cEXAMPLE';
/** Parameters that every query accepts or needs, absolute so both renderers agree. */
const PARAMS: Record<string, string> = {
  startTime: '2024-05-10T00:00:00Z',
  endTime: '2024-05-11T00:00:00Z',
  baselineStart: '2024-05-01',
  principalArn: 'arn:aws:iam::111122223333:user/mallory',
  accessKeyId: 'AKIAMALLORY000000002',
  prefix: 'inference-prod',
};
const python = spawnSync('python3', ['--version']).status === 0;
const source = (cell: { source: string[] }) => cell.source.join('');
const text = (notebook: Notebook) => notebook.cells.map(source).join('\n');

describe('runbook notebook export', () => {
  const notebook: Notebook = JSON.parse(notebookJson(LIBRARY));

  test('the committed notebook the stack ships is exactly what the generator writes (npm run docs:notebook)', () => {
    expect(RUNBOOK_NOTEBOOK_FILE).toBe(path.join(ROOT, REPO_PATHS.runbookNotebook));
    const committed = fs.readFileSync(RUNBOOK_NOTEBOOK_FILE, 'utf8');
    if (committed !== notebookJson(LIBRARY))
      throw new Error(`${REPO_PATHS.runbookNotebook} is stale; regenerate it (npm run docs:notebook) and commit it`);
  });

  test('is an nbformat 4.5 notebook: unique cell ids, code cells without outputs, a Python 3 kernel', () => {
    expect(notebook).toMatchObject({ nbformat: 4, nbformat_minor: 5, metadata: { kernelspec: { name: 'python3', language: 'python' } } });
    const ids = notebook.cells.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const cell of notebook.cells) {
      expect(cell.id).toMatch(/^[a-zA-Z0-9-_]{1,64}$/);
      expect(Array.isArray(cell.source)).toBe(true);
      if (cell.cell_type === 'code') expect(cell).toMatchObject({ execution_count: null, outputs: [] });
    }
  });

  test('holds every query: its question in markdown, its SQL run on the chosen backend and shown as a DataFrame', () => {
    for (const query of LIBRARY) {
      expect(
        notebook.cells.some((c) => c.cell_type === 'markdown' && source(c).startsWith(`### ${query.title}\n\n${query.description}`)),
      ).toBe(true);
      const code = notebook.cells.find((c) => c.cell_type === 'code' && source(c).startsWith(`QUERIES["${query.id}"]`));
      expect(code).toBeDefined();
      expect(source(code!)).toContain(`df_${query.id.replace(/-/g, '_')} = run("${query.id}",`);
    }
    const all = text(notebook);
    for (const call of [
      'BACKEND = os.environ.get("RUNBOOK_BACKEND") or TARGETS.get("backend") or "athena"',
      'cloudtrail.start_query(QueryStatement=lake_sql(query_id, values))',
      'cloudtrail.describe_query(QueryId=query_id_)',
      'athena.start_query_execution(QueryString=sql, WorkGroup=ATHENA_WORKGROUP,',
      'athena.get_query_execution(QueryExecutionId=execution_id)',
      'athena.get_query_results(QueryExecutionId=execution_id, MaxResults=1000',
      'athena.stop_query_execution(QueryExecutionId=execution_id)',
      '"--offline", OFFLINE_DIR, "--format", "json"',
      'pd.DataFrame(rows)',
    ]) {
      expect(all).toContain(call);
    }
  });

  test('export for one backend writes only its runner: offline has no boto3 query code, lake no Athena', () => {
    const offline = text(buildNotebook(LIBRARY, { backend: 'offline' }));
    expect(offline).toContain('BACKEND = "offline"');
    expect(offline).not.toMatch(/start_query|start_query_execution|EVENT_DATA_STORE|ATHENA_WORKGROUP/);
    const lake = text(buildNotebook(LIBRARY, { backend: 'lake' }));
    expect(lake).toContain('EVENT_DATA_STORE = TARGETS.get("eventDataStoreArn"');
    expect(lake).not.toMatch(/start_query_execution|OFFLINE_DIR/);
    // Online-only notebooks need no offline guard around containment.
    expect(lake).not.toContain('offline rehearsal');
    expect(offline).toContain('offline rehearsal: containment needs AWS access; this cell sends nothing');
  });

  test('holds the containment calls and the restore, all dry runs by default', () => {
    const all = text(notebook);
    expect(all).toContain('DRY_RUN = True');
    for (const call of [
      '"update_stage"',
      '"update_api_key"',
      '"put_function_concurrency"',
      '"delete_function_concurrency"',
      '"detach_role_policy"',
      '"attach_role_policy"',
      'entry["undo_method"]',
    ]) {
      expect(all).toContain(call);
    }
  });

  (python ? test : test.skip)("every code cell is valid Python, and its Lake and Athena statements are the CLI's", () => {
    const script = `
import json, sys, types, ast, os
nb = json.load(sys.stdin)
cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
for cell in cells:
    ast.parse(cell)
session = types.SimpleNamespace(Session=lambda: types.SimpleNamespace(region_name="eu-west-1"))
sys.modules["boto3"] = types.SimpleNamespace(session=session, client=lambda *a, **k: None)
sys.modules["pandas"] = types.SimpleNamespace(set_option=lambda *a: None, DataFrame=lambda rows: rows)
os.environ["RUNBOOK_BACKEND"] = "lake"
scope = {}
exec(cells[0], scope)
exec(cells[1], scope)
scope["EVENT_DATA_STORE"] = ${JSON.stringify(EDS_ARN)}
scope["ATHENA_DATABASE"] = "inference_prod_audit"
for cell in cells:
    if cell.startswith("QUERIES["):
        exec(cell.split("\\ndf_")[0], scope)
params = json.loads(sys.argv[1])
out = {}
for query_id, query in scope["QUERIES"].items():
    names = [p["name"] for p in query["params"]]
    values = scope["resolve"](query_id, **{k: v for k, v in params.items() if k in names})
    out[query_id] = {"lake": scope["lake_sql"](query_id, values), "athena": scope["athena_sql"](query_id, values)}
try:
    scope["resolve"]("principal-activity", principalArn="x' OR '1'='1")
    out["injection"] = "accepted"
except ValueError as error:
    out["injection"] = str(error)
print(json.dumps(out))
`;
    const run = spawnSync('python3', ['-c', script, JSON.stringify(PARAMS)], {
      input: JSON.stringify(buildNotebook(LIBRARY)),
      encoding: 'utf8',
    });
    expect(run.stderr).toBe('');
    const rendered = JSON.parse(run.stdout.trim().split('\n').pop()!); // the config cell prints a summary line first
    for (const query of LIBRARY) {
      const given = Object.fromEntries(Object.entries(PARAMS).filter(([k]) => query.params.some((p) => p.name === k)));
      const params = resolveParams(query, given);
      expect({ id: query.id, sql: rendered[query.id].lake }).toEqual({
        id: query.id,
        sql: renderQuery(query, params, { kind: 'lake', eventDataStoreId: EDS_ARN }),
      });
      expect({ id: query.id, sql: rendered[query.id].athena }).toEqual({
        id: query.id,
        sql: renderQuery(query, params, { kind: 'trail', table: '"inference_prod_audit"."cloudtrail"', dialect: 'athena' }),
      });
    }
    expect(rendered.injection).toBe("principal-activity: parameter principalArn is \"x' OR '1'='1\", not a valid arn");
  });
});

/**
 * The committed notebook run by Debian's real Jupyter (jupyter-nbconvert --execute with
 * /usr/bin/python3's ipykernel), offline, over one delivery day of trail files: the rehearsal a
 * responder does without AWS. Its queries go through the runbook CLI (transpiled by SWC).
 */
const NBCONVERT = '/usr/bin/jupyter-nbconvert';
const jupyter = fs.existsSync(NBCONVERT) && spawnSync('/usr/bin/python3', ['-c', 'import ipykernel, pandas']).status === 0;
if (!jupyter) {
  console.warn(`skipping the Jupyter run of the runbook notebook: ${NBCONVERT} or /usr/bin/python3 with ipykernel and pandas is absent`);
}

(jupyter ? describe : describe.skip)('runbook notebook in real Jupyter, offline backend', () => {
  let work: string;
  let executed: { cells: { cell_type: string; source: string[]; outputs?: Record<string, any>[] }[] };
  beforeAll(() => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'audit-jupyter-'));
    // One day as a trail delivers it, copied with its S3 layout.
    const day = path.join('AWSLogs', '111122223333', 'CloudTrail', 'eu-west-1', '2024', '05', '10');
    fs.cpSync(path.join(TRAIL_FIXTURES, day), path.join(work, 'trail', day), { recursive: true });
    fs.copyFileSync(RUNBOOK_NOTEBOOK_FILE, path.join(work, 'incident-runbook.ipynb'));
    fs.writeFileSync(
      path.join(work, 'runbook-targets.json'),
      JSON.stringify({ backend: 'offline', offlineDir: 'trail', prefix: 'inference-prod', tableName: 'inference-prod-records' }),
    );
    const cli = `${process.execPath} -r ${SWC_REGISTER} ${path.join(ROOT, 'tools', 'runbook', 'main.ts')}`;
    const run = spawnSync(
      NBCONVERT,
      ['--to', 'notebook', '--execute', 'incident-runbook.ipynb', '--output', 'executed.ipynb', '--ExecutePreprocessor.timeout=300'],
      {
        cwd: work,
        encoding: 'utf8',
        timeout: 600_000,
        env: {
          ...process.env,
          RUNBOOK_CLI: cli,
          RUNBOOK_START_TIME: '2024-05-10',
          RUNBOOK_END_TIME: '2024-05-11',
          RUNBOOK_BASELINE_START: '2024-05-01',
          RUNBOOK_PRINCIPAL_ARN: 'arn:aws:iam::111122223333:user/mallory',
          RUNBOOK_ACCESS_KEY_ID: 'AKIAMALLORY000000002',
          PYDEVD_DISABLE_FILE_VALIDATION: '1',
        },
      },
    );
    if (run.status !== 0) throw new Error(`jupyter-nbconvert failed (${run.status}): ${run.stderr}`);
    executed = JSON.parse(fs.readFileSync(path.join(work, 'executed.ipynb'), 'utf8'));
  }, 600_000);
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  const outputOf = (prefix: string) => {
    const cell = executed.cells.find((c) => c.cell_type === 'code' && c.source.join('').startsWith(prefix))!;
    return (cell.outputs ?? []).map((o) => (o.text ? [o.text].flat().join('') : JSON.stringify(o.data ?? o))).join('\n');
  };

  test('every cell ran without an error', () => {
    const errors = executed.cells.flatMap((c) =>
      (c.outputs ?? []).filter((o) => o.output_type === 'error').map((o) => `${o.ename}: ${o.evalue}`),
    );
    expect(errors).toEqual([]);
    expect(outputOf('# Configuration')).toContain(
      'backend: offline | region: None | prefix: inference-prod | window: 2024-05-10 to 2024-05-11',
    );
  });

  test('the queries return the incident rows, as DataFrames', () => {
    expect(outputOf('QUERIES["denied-calls"]')).toMatch(/denied-calls: loaded \d+ records from 2 file\(s\) in \d+ ms -> 2 row\(s\)/);
    expect(outputOf('QUERIES["denied-calls"]')).toContain('DeleteModel');
    expect(outputOf('QUERIES["iam-changes"]')).toContain('AttachRolePolicy');
    expect(outputOf('QUERIES["access-key-activity"]')).toMatch(/-> 2 row\(s\)/);
    expect(outputOf('QUERIES["principal-activity"]')).toMatch(/principal-activity: .* -> \d+ row\(s\)/);
  });

  test('containment cells send nothing offline', () => {
    expect(outputOf('if BACKEND == "offline":\n    print("offline rehearsal')).toContain(
      'offline rehearsal: containment needs AWS access; this cell sends nothing',
    );
  });
});
