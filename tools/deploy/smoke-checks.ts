import { ApiAuth, ApiResponse, callApi } from './api-request';
import { CliError } from '../cli';

/**
 * The smoke test of a deployed (or local) stage: what a client relies on, checked through
 * the public API only, so it runs the same against any base URL.
 */

export interface SmokeResult {
  readonly check: string;
  readonly ok: boolean;
  /** What was seen: the evidence for a pass, the mismatch for a failure. */
  readonly detail: string;
}

export interface SmokeOptions {
  readonly baseUrl: string;
  readonly auth: ApiAuth;
  /** Rows of a valid request. @default two iris flowers, one setosa and one virginica */
  readonly instances?: number[][];
  /** Labels the rows must get, in order; unset checks the labels' shape only. */
  readonly expectLabels?: readonly string[];
  /** How long to retry reading the record back (DynamoDB reads are eventually consistent). */
  readonly readBackMs?: number;
  /** Each result as soon as it is known. */
  readonly onResult?: (result: SmokeResult) => void;
}

/** Rows the built-in iris model classifies with certainty: setosa and virginica. */
export const DEFAULT_INSTANCES = [
  [5.1, 3.5, 1.4, 0.2],
  [7.7, 3.0, 6.1, 2.3],
];
export const DEFAULT_LABELS = ['setosa', 'virginica'];

export async function runSmoke(options: SmokeOptions): Promise<SmokeResult[]> {
  const results: SmokeResult[] = [];
  const record = (check: string, ok: boolean, detail: string) => {
    const result = { check, ok, detail };
    results.push(result);
    options.onResult?.(result);
    return ok;
  };
  const call = (method: 'GET' | 'POST', path: string, body?: string, contentType?: string) =>
    callApi(options.baseUrl, { method, path, body, contentType }, options.auth);

  const instances = options.instances ?? DEFAULT_INSTANCES;
  const expectLabels = options.expectLabels ?? (options.instances ? undefined : DEFAULT_LABELS);
  const prediction = await checkPrediction(
    await call('POST', '/predict', JSON.stringify({ instances }), 'application/json'),
    instances,
    expectLabels,
    record,
  );

  const width = instances[0]?.length ?? 4;
  const invalid: Array<[string, string, string, number]> = [
    ['rejects malformed JSON', '{"instances": [[5.1, 3.5,', 'application/json', 400],
    [
      'rejects a row of the wrong width',
      JSON.stringify({ instances: [Array.from({ length: Math.max(width - 1, 1) }, () => 1)] }),
      'application/json',
      400,
    ],
    ['rejects empty instances', JSON.stringify({ instances: [] }), 'application/json', 400],
    ['rejects a wrong content type', JSON.stringify({ instances }), 'text/plain', 415],
  ];
  for (const [check, body, contentType, status] of invalid) {
    checkRejection(check, await call('POST', '/predict', body, contentType), status, record);
  }

  if (prediction) {
    await checkReadBack(prediction, (id) => call('GET', `/inferences/${encodeURIComponent(id)}`), options.readBackMs ?? 5_000, record);
  } else {
    record('reads the record back', false, 'skipped: no successful prediction to read back');
  }
  checkModels(await call('GET', '/models'), prediction?.modelVersion, record);
  return results;
}

type Recorder = (check: string, ok: boolean, detail: string) => boolean;

interface Prediction {
  readonly requestId: string;
  readonly modelVersion: string;
}

async function checkPrediction(
  res: ApiResponse,
  instances: number[][],
  expectLabels: readonly string[] | undefined,
  record: Recorder,
): Promise<Prediction | undefined> {
  const body = res.json;
  if (
    !record(
      'predicts: 200 with a JSON body',
      res.status === 200 && isObject(body),
      res.status === 200 ? `200, request ${body?.requestId}` : `got ${describe(res)}`,
    )
  ) {
    return undefined;
  }
  const headerId = res.headers.get('x-request-id');
  record(
    'predicts: x-request-id header is the body requestId',
    typeof body.requestId === 'string' && headerId === body.requestId,
    `header ${headerId ?? '(absent)'}, body ${body.requestId ?? '(absent)'}`,
  );
  const predictions = Array.isArray(body.predictions) ? (body.predictions as unknown[]) : [];
  record(
    'predicts: one prediction per instance',
    predictions.length === instances.length,
    `${predictions.length} predictions for ${instances.length} instances`,
  );

  const labels = predictions.map((p) => (isObject(p) && typeof p.label === 'string' ? p.label : undefined));
  const argmax = predictions.map((p) =>
    isObject(p) && isObject(p.probabilities) ? topClass(p.probabilities as Record<string, unknown>) : undefined,
  );
  const labelsOk =
    labels.length > 0 && labels.every((l, i) => l !== undefined && l === argmax[i]) && (!expectLabels || sameList(labels, expectLabels));
  record(
    'predicts: labels',
    labelsOk,
    `got [${labels.join(', ')}]` +
      (expectLabels ? `, expected [${expectLabels.join(', ')}]` : '') +
      (labels.some((l, i) => l !== argmax[i]) ? `, most probable [${argmax.join(', ')}]` : ''),
  );

  const sums = predictions.map((p) => (isObject(p) && isObject(p.probabilities) ? sum(Object.values(p.probabilities)) : NaN));
  record(
    'predicts: probabilities sum to 1',
    sums.length > 0 && sums.every((s) => Math.abs(s - 1) < 1e-6),
    `sums [${sums.map((s) => (Number.isNaN(s) ? 'none' : s.toFixed(6))).join(', ')}]`,
  );

  const versionOk = typeof body.modelVersion === 'string' && body.modelVersion.length > 0;
  record('predicts: names the model version', versionOk, `modelVersion ${body.modelVersion ?? '(absent)'}`);
  return typeof body.requestId === 'string' && versionOk ? { requestId: body.requestId, modelVersion: body.modelVersion } : undefined;
}

function checkRejection(check: string, res: ApiResponse, expected: number, record: Recorder): void {
  const body = res.json;
  const shaped = isObject(body) && ['error', 'message', 'requestId'].every((k) => typeof body[k] === 'string' && body[k].length > 0);
  const ok = res.status === expected && shaped;
  record(
    check,
    ok,
    ok ? `${expected} ${body.error}: ${body.message}` : `expected ${expected} with error, message and requestId; got ${describe(res)}`,
  );
}

/** The record the prediction wrote, by its id; retried briefly while the read is not yet consistent. */
async function checkReadBack(
  prediction: Prediction,
  get: (id: string) => Promise<ApiResponse>,
  retryMs: number,
  record: Recorder,
): Promise<void> {
  const deadline = Date.now() + retryMs;
  let res = await get(prediction.requestId);
  while (res.status === 404 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    res = await get(prediction.requestId);
  }
  const item = res.json;
  if (res.status !== 200 || !isObject(item)) {
    record('reads the record back', false, `GET /inferences/${prediction.requestId}: ${describe(res)}`);
    return;
  }
  const problems: string[] = [];
  if (item.requestId !== prediction.requestId) problems.push(`requestId ${item.requestId}`);
  if (item.status !== 'SUCCESS') problems.push(`status ${item.status}, expected SUCCESS`);
  if (item.modelVersion !== prediction.modelVersion)
    problems.push(`modelVersion ${item.modelVersion}, expected ${prediction.modelVersion}`);
  record(
    'reads the record back',
    problems.length === 0,
    problems.length ? problems.join('; ') : `status SUCCESS, modelVersion ${item.modelVersion}`,
  );
}

/** GET /models lists the deployments; the one serving must be among them. */
function checkModels(res: ApiResponse, servingVersion: string | undefined, record: Recorder): void {
  const items = isObject(res.json) && Array.isArray(res.json.items) ? (res.json.items as Array<Record<string, unknown>>) : undefined;
  if (res.status !== 200 || !items) {
    record('lists the deployed models', false, `GET /models: ${describe(res)}`);
    return;
  }
  const versions = items.map((i) => String(i.modelVersion));
  const ok = items.length > 0 && (servingVersion === undefined || versions.includes(servingVersion));
  record('lists the deployed models', ok, `versions [${versions.join(', ')}]` + (servingVersion ? `, serving ${servingVersion}` : ''));
}

/** `--instances` as the rows of a request: a non-empty list of equally long number lists. */
export function parseInstances(text: string): number[][] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CliError(`--instances is not JSON: ${text.slice(0, 60)}`);
  }
  const rows = isObject(value) && Array.isArray(value.instances) ? value.instances : value;
  if (
    !Array.isArray(rows) ||
    rows.length === 0 ||
    !rows.every((r) => Array.isArray(r) && r.length > 0 && r.every((n) => typeof n === 'number'))
  ) {
    throw new CliError('--instances must be a JSON list of number rows, for example [[5.1,3.5,1.4,0.2]]');
  }
  return rows as number[][];
}

function describe(res: ApiResponse): string {
  const body = res.json;
  if (isObject(body) && typeof body.error === 'string') return `${res.status} ${body.error}: ${body.message ?? ''}`.trim();
  return `${res.status} ${res.text.slice(0, 120) || '(empty body)'}`;
}

function topClass(probabilities: Record<string, unknown>): string | undefined {
  let best: [string, number] | undefined;
  for (const [label, p] of Object.entries(probabilities)) if (typeof p === 'number' && (!best || p > best[1])) best = [label, p];
  return best?.[0];
}

function sum(values: unknown[]): number {
  return values.every((v) => typeof v === 'number') ? (values as number[]).reduce((a, b) => a + b, 0) : NaN;
}

function sameList(a: ReadonlyArray<string | undefined>, b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
