/**
 * The model file, `model.json`: the one definition of its shape and of what a valid one is.
 *
 * `train.ts` writes it at the root of `model.tar.gz`; SageMaker unpacks that archive into
 * the model directory, where `predictor.ts` reads it back. Any model file that passes
 * `parseModelFile` can be served, whoever trained it (see "Use your own model" in the README).
 */
import type { RandomForestClassifier } from 'ml-random-forest';
import type { TrainingStats } from './training-stats';

export const MODEL_FILE_NAME = 'model.json';

/** Bumped on any change a reader of an older version could misread. */
export const MODEL_FORMAT_VERSION = 1;

/** The forest as `RandomForestClassifier#toJSON` returns it; `RandomForestClassifier.load` reads it. */
export type SerializedForest = ReturnType<RandomForestClassifier['toJSON']>;

export interface ModelFile {
  readonly formatVersion: typeof MODEL_FORMAT_VERSION;
  readonly kind: 'random-forest-classifier';
  /** Class labels; the forest predicts indexes into this list. */
  readonly labels: readonly string[];
  /** Names of the input columns, in the order every input row must follow. */
  readonly featureNames: readonly string[];
  readonly metrics: {
    /** Accuracy on the held-out test split, which the forest never saw. */
    readonly heldOutAccuracy: number;
    /** Held-out counts: `confusionMatrix[actual][predicted]`, indexes into `labels`. */
    readonly confusionMatrix: readonly (readonly number[])[];
  };
  readonly samples: { readonly total: number; readonly train: number; readonly test: number };
  /** The library whose `load` reads `forest`. */
  readonly library: { readonly name: string; readonly version: string };
  readonly trainingData: {
    readonly name: string;
    readonly version: string;
    /** SHA-256 of the canonical JSON of the data set's rows, in the data set's order. */
    readonly sha256: string;
  };
  /** Everything that decides the forest besides the data, so a run can be reproduced. */
  readonly training: Readonly<Record<string, unknown>>;
  /** Statistics of the training rows, for drift analysis; absent in files trained elsewhere. */
  readonly trainingStats?: TrainingStats;
  readonly forest: SerializedForest;
}

/** The model directory or its model file cannot be used; the message says why. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
}

/**
 * Checks everything the predictor relies on, so a bad file fails at startup (and the
 * endpoint never turns healthy) instead of on the first request.
 */
export function parseModelFile(text: string, source: string): ModelFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`model file is not valid json: ${source}: ${(error as Error).message}`);
  }
  const invalid = (reason: string) => new ModelLoadError(`model file ${source} is invalid: ${reason}`);

  if (!isRecord(value)) throw invalid('the top level must be an object');
  if (value.formatVersion !== MODEL_FORMAT_VERSION) {
    throw invalid(`"formatVersion" must be ${MODEL_FORMAT_VERSION}, got ${JSON.stringify(value.formatVersion)}`);
  }
  if (value.kind !== 'random-forest-classifier') {
    throw invalid(`"kind" must be "random-forest-classifier", got ${JSON.stringify(value.kind)}`);
  }
  const labelCount = checkNames(value.labels, 'labels', 2, invalid).length;
  const featureCount = checkNames(value.featureNames, 'featureNames', 1, invalid).length;

  const forest = value.forest;
  if (!isRecord(forest) || forest.name !== 'RFClassifier' || !isRecord(forest.baseModel)) {
    throw invalid('"forest" must be a serialized ml-random-forest RandomForestClassifier');
  }
  const base = forest.baseModel;
  if (base.isClassifier !== true) throw invalid('"forest.baseModel.isClassifier" must be true');
  const trees = base.estimators;
  if (!Array.isArray(trees) || trees.length === 0) {
    throw invalid('"forest.baseModel.estimators" must be a non-empty array');
  }
  if (base.nEstimators !== trees.length) {
    throw invalid(`"forest.baseModel.nEstimators" is ${JSON.stringify(base.nEstimators)} but there are ${trees.length} estimators`);
  }
  const indexes = base.indexes;
  if (!Array.isArray(indexes) || indexes.length !== trees.length) {
    throw invalid('"forest.baseModel.indexes" must list the feature columns of every estimator');
  }
  indexes.forEach((columns: unknown, tree) => {
    const valid =
      Array.isArray(columns) &&
      columns.length > 0 &&
      columns.every((column) => Number.isInteger(column) && column >= 0 && column < featureCount);
    if (!valid) {
      throw invalid(`estimator ${tree} uses feature columns ${JSON.stringify(columns)}; the model has ${featureCount} features`);
    }
    checkTree(trees[tree], tree, (columns as unknown[]).length, labelCount, invalid);
  });
  return value as unknown as ModelFile;
}

/**
 * Walks one serialized decision tree: every split must name one of the tree's columns and
 * a finite threshold, every leaf a class distribution over at most `labelCount` classes.
 * Iterative, so a deeply nested (or hostile) file cannot overflow the stack.
 */
function checkTree(estimator: unknown, tree: number, columnCount: number, labelCount: number, invalid: (reason: string) => Error): void {
  const bad = (reason: string) => invalid(`estimator ${tree}: ${reason}`);
  if (!isRecord(estimator) || estimator.name !== 'DTClassifier') throw bad('must be a serialized DTClassifier');
  const pending: unknown[] = [estimator.root];
  while (pending.length > 0) {
    const node = pending.pop();
    if (!isRecord(node)) throw bad('has a node that is not an object');
    if (node.distribution !== undefined) {
      const distribution = node.distribution;
      const valid =
        Array.isArray(distribution) &&
        Array.isArray(distribution[0]) &&
        distribution[0].length >= 1 &&
        distribution[0].length <= labelCount &&
        distribution[0].every((share: unknown) => typeof share === 'number' && Number.isFinite(share));
      if (!valid) throw bad(`has a leaf that is not a distribution over at most ${labelCount} classes`);
      continue;
    }
    const { splitColumn, splitValue } = node;
    if (!Number.isInteger(splitColumn) || (splitColumn as number) < 0 || (splitColumn as number) >= columnCount) {
      throw bad(`has a split on column ${JSON.stringify(splitColumn)}; the tree has ${columnCount} columns`);
    }
    if (typeof splitValue !== 'number' || !Number.isFinite(splitValue)) {
      throw bad(`has a split at ${JSON.stringify(splitValue)}, not a finite number`);
    }
    pending.push(node.left, node.right);
  }
}

function checkNames(value: unknown, field: string, minimum: number, invalid: (reason: string) => Error): string[] {
  const valid =
    Array.isArray(value) &&
    value.length >= minimum &&
    value.every((name) => typeof name === 'string' && name !== '') &&
    new Set(value).size === value.length;
  if (!valid) throw invalid(`"${field}" must be an array of at least ${minimum} distinct non-empty strings`);
  return value as string[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
