/**
 * Synthetic inference records in bulk, for the benchmark, the tests and `npm run analyze --
 * --synthetic N`: iris-like inputs per class, predictions with probabilities, latencies and
 * failures, for one or more model versions; a version can be made to drift (a shifted
 * feature, another class mix, slower, failing more) so the analysis has something to find.
 * Seeded: the same arguments give the same records.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { ErrorKind } from '../../contract/handlers';
import { buildInferenceRecord, InferenceRecord } from '../../lambda/shared/record';
import { sha256Hex } from '../../lambda/shared/payload';

export interface Cohort {
  readonly modelVersion: string;
  readonly records: number;
  /** Drift this version: petal_length shifted by this much (cm), more virginica, slower, more failures. */
  readonly drift?: number;
}

export interface SyntheticOptions {
  readonly cohorts: readonly Cohort[];
  /** Records spread evenly over [start, start + spanMs). */
  readonly start: string;
  readonly spanMs: number;
  readonly seed?: number;
  /** What the records keep of their payloads. @default 'full' */
  readonly payloadMode?: 'full' | 'hash' | 'none';
  readonly indexShards?: number;
}

const LABELS = ['setosa', 'versicolor', 'virginica'] as const;
/** Per class: feature means and standard deviations of the iris data. */
const CLASSES = [
  { mean: [5.006, 3.428, 1.462, 0.246], std: [0.35, 0.38, 0.17, 0.105] },
  { mean: [5.936, 2.77, 4.26, 1.326], std: [0.52, 0.31, 0.47, 0.198] },
  { mean: [6.588, 2.974, 5.552, 2.026], std: [0.64, 0.32, 0.55, 0.27] },
];
const ERROR_KINDS: readonly ErrorKind[] = ['ModelError', 'EndpointTimeout', 'ValidationError'];

/** Every record of the options, one at a time (a million fit in no memory at once). */
export function* syntheticRecords(options: SyntheticOptions): Generator<InferenceRecord> {
  const random = mulberry32(options.seed ?? 7);
  const gauss = () => {
    // Box-Muller; 1 - u keeps log away from 0.
    const u = 1 - random();
    const v = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  const t0 = Date.parse(options.start);
  const total = options.cohorts.reduce((n, c) => n + c.records, 0);
  let index = 0;
  for (const cohort of options.cohorts) {
    const drift = cohort.drift ?? 0;
    const mix = drift > 0 ? [0.2, 0.3, 0.5] : [1 / 3, 1 / 3, 1 / 3];
    const errorRate = drift > 0 ? 0.03 : 0.005;
    for (let i = 0; i < cohort.records; i++, index++) {
      // Within [start, start + spanMs): the window the records are generated for holds every one of them.
      const createdAt = new Date(
        t0 + Math.min(options.spanMs - 1, Math.floor((index / total) * options.spanMs) + (i % 1000)),
      ).toISOString();
      const requestId = `syn-${cohort.modelVersion.replace(/\./g, '-')}-${i}`;
      const rows = random() < 0.2 ? 2 : 1;
      const instances: number[][] = [];
      const predictions: { label: string; probabilities: Record<string, number> }[] = [];
      for (let r = 0; r < rows; r++) {
        const u = random();
        const c = u < mix[0] ? 0 : u < mix[0] + mix[1] ? 1 : 2;
        const row = CLASSES[c].mean.map((m, f) => round1(m + CLASSES[c].std[f] * gauss() + (f === 2 ? drift : 0)));
        instances.push(row);
        // The forest is sure of setosa, less of the other two; drifted inputs confuse it more.
        const top = c === 0 ? 1 : Math.min(1, Math.max(0.5, 0.9 - drift * 0.15 + gauss() * 0.08));
        const other = c === 1 ? 2 : 1;
        const probabilities: Record<string, number> = { setosa: 0, versicolor: 0, virginica: 0 };
        probabilities[LABELS[c]] = round32(top);
        if (c !== 0) probabilities[LABELS[other]] = round32(1 - round32(top));
        predictions.push({ label: LABELS[c], probabilities });
      }
      const failed = random() < errorRate;
      const error = failed ? ERROR_KINDS[Math.floor(random() * ERROR_KINDS.length)] : undefined;
      const body = JSON.stringify({ instances });
      const answer = JSON.stringify({ predictions });
      const modelLatencyMs = round1(Math.exp(1.9 + 0.35 * gauss()) * (drift > 0 ? 1.4 : 1));
      yield buildInferenceRecord({
        requestId,
        createdAt,
        httpStatus: failed ? (error === 'ValidationError' ? 400 : error === 'EndpointTimeout' ? 504 : 502) : 200,
        error: error && { code: error, message: `synthetic ${error}` },
        caller: { type: 'iam', principal: 'arn:aws:iam::123456789012:role/synthetic' },
        modelName: 'iris-classifier',
        modelVersion: cohort.modelVersion,
        endpointName: 'inference-dev-iris-classifier',
        variant: failed ? undefined : 'AllTraffic',
        input: payload(body, options.payloadMode ?? 'full'),
        output: failed ? undefined : payload(answer, options.payloadMode ?? 'full'),
        latencyMs: round1(modelLatencyMs + 3 + Math.abs(gauss()) * 2),
        modelLatencyMs: failed && error === 'ValidationError' ? undefined : modelLatencyMs,
        ttlDays: 7,
        indexShards: options.indexShards,
      });
    }
  }
}

/** A record as the table's items are written in DynamoDB JSON (Scan's and an export's shape). */
export function toDynamoJson(record: InferenceRecord): Record<string, AttributeValue> {
  return marshall(record, { removeUndefinedValues: true });
}

function payload(text: string, mode: 'full' | 'hash' | 'none') {
  const bytes = Buffer.from(text, 'utf8');
  if (mode === 'none') return { mode, sizeBytes: bytes.byteLength } as const;
  if (mode === 'hash') return { mode, sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes) } as const;
  return { mode, sizeBytes: bytes.byteLength, sha256: sha256Hex(bytes), body: text } as const;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Votes of a 32-tree forest: multiples of 1/32. */
function round32(n: number): number {
  return Math.round(n * 32) / 32;
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
