import { spawnSync } from 'child_process';
import { Notebook, buildNotebook, notebookJson } from '../../../tools/runbook/notebook';
import { renderQuery, resolveParams } from '../../../tools/runbook/query-library';
import { LIBRARY } from '../../harness/audit-engine';

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

describe('runbook notebook export', () => {
  const notebook: Notebook = JSON.parse(notebookJson(LIBRARY));

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

  test('holds every query: its question in markdown, its SQL run with boto3 and shown as a DataFrame', () => {
    const text = notebook.cells.map(source).join('\n');
    for (const query of LIBRARY) {
      expect(notebook.cells.some((c) => c.cell_type === 'markdown' && source(c).startsWith(`### ${query.title}\n\n${query.description}`))).toBe(true);
      const code = notebook.cells.find((c) => c.cell_type === 'code' && source(c).startsWith(`QUERIES["${query.id}"]`));
      expect(code).toBeDefined();
      expect(source(code!)).toContain(`df_${query.id.replace(/-/g, '_')} = run_query(render("${query.id}",`);
    }
    for (const call of ['cloudtrail.start_query(QueryStatement=sql)', 'cloudtrail.describe_query(QueryId=query_id)', 'cloudtrail.get_query_results(', 'pd.DataFrame(rows)']) {
      expect(text).toContain(call);
    }
  });

  test('holds the containment calls and the restore, all dry runs by default', () => {
    const text = notebook.cells.map(source).join('\n');
    expect(text).toContain('DRY_RUN = True');
    for (const call of ['"update_stage"', '"update_api_key"', '"put_function_concurrency"', '"delete_function_concurrency"', '"detach_role_policy"', '"attach_role_policy"', 'entry["undo_method"]']) {
      expect(text).toContain(call);
    }
  });

  (python ? test : test.skip)('every code cell is valid Python, and its render() gives the same SQL as the CLI', () => {
    const script = `
import json, sys, types, ast
nb = json.load(sys.stdin)
cells = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
for cell in cells:
    ast.parse(cell)
session = types.SimpleNamespace(Session=lambda: types.SimpleNamespace(region_name="eu-west-1"))
sys.modules["boto3"] = types.SimpleNamespace(session=session, client=lambda *a, **k: None)
sys.modules["pandas"] = types.SimpleNamespace(set_option=lambda *a: None, DataFrame=lambda rows: rows)
scope = {}
exec(cells[0], scope)
exec(cells[1], scope)
scope["EVENT_DATA_STORE"] = ${JSON.stringify(EDS_ARN)}
for cell in cells:
    if cell.startswith("QUERIES["):
        exec(cell.split("\\ndf_")[0], scope)
params = json.loads(sys.argv[1])
out = {}
for query_id, query in scope["QUERIES"].items():
    names = [p["name"] for p in query["params"]]
    out[query_id] = scope["render"](query_id, **{k: v for k, v in params.items() if k in names})
try:
    scope["render"]("principal-activity", principalArn="x' OR '1'='1")
    out["injection"] = "accepted"
except ValueError as error:
    out["injection"] = str(error)
print(json.dumps(out))
`;
    const run = spawnSync('python3', ['-c', script, JSON.stringify(PARAMS)], { input: JSON.stringify(buildNotebook(LIBRARY)), encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const rendered = JSON.parse(run.stdout.trim().split("\n").pop()!); // the config cell prints a summary line first
    for (const query of LIBRARY) {
      const given = Object.fromEntries(Object.entries(PARAMS).filter(([k]) => query.params.some((p) => p.name === k)));
      expect({ id: query.id, sql: rendered[query.id] }).toEqual({ id: query.id, sql: renderQuery(query, resolveParams(query, given), { kind: 'lake', eventDataStoreId: EDS_ARN }) });
    }
    expect(rendered.injection).toBe("principal-activity: parameter principalArn is \"x' OR '1'='1\", not a valid arn");
  });
});
