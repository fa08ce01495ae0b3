/**
 * Loads the model from a model directory once, then classifies rows of features.
 *
 * Loading validates the model file and runs one prediction, so a broken model fails at
 * startup with a clear message rather than on the first request.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { RandomForestClassifier } from 'ml-random-forest';
import { MODEL_FILE_NAME, ModelLoadError, parseModelFile, type ModelFile } from './model-file';

export { ModelLoadError };

export interface Prediction {
  /** The class with the most votes (the first of the tied ones, in label order). */
  readonly label: string;
  /** Share of the forest's trees voting for each class, keyed by label; sums to 1. */
  readonly probabilities: Readonly<Record<string, number>>;
}

export interface Predictor {
  readonly labels: readonly string[];
  readonly featureNames: readonly string[];
  /** Values every input row must have. */
  readonly featureCount: number;
  /** The model file without the forest: accuracy, sample counts, library, data hash. */
  readonly metadata: Omit<ModelFile, 'forest'>;
  /** One prediction per row. Rows must be `featureCount` finite numbers (the codec ensures it). */
  predict(rows: readonly (readonly number[])[]): Prediction[];
}

export function loadPredictor(modelDir: string): Predictor {
  const modelPath = path.join(modelDir, MODEL_FILE_NAME);
  const modelFile = parseModelFile(readModelFile(modelDir, modelPath), modelPath);

  let forest: RandomForestClassifier;
  try {
    forest = RandomForestClassifier.load(modelFile.forest);
  } catch (error) {
    throw new ModelLoadError(`model file ${modelPath} is invalid: the forest cannot be loaded: ${(error as Error).message}`);
  }

  const { forest: _forest, ...metadata } = modelFile;
  const predictor = createPredictor(forest, metadata);
  try {
    predictor.predict([metadata.featureNames.map(() => 0)]);
  } catch (error) {
    throw new ModelLoadError(`model file ${modelPath} is invalid: a test prediction failed: ${(error as Error).message}`);
  }
  return predictor;
}

function readModelFile(modelDir: string, modelPath: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(modelDir);
  } catch {
    throw new ModelLoadError(`model directory not found: ${modelDir}`);
  }
  if (!stat.isDirectory()) throw new ModelLoadError(`model directory is not a directory: ${modelDir}`);
  try {
    return fs.readFileSync(modelPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new ModelLoadError(`model file not found: ${modelPath} (the model directory must hold ${MODEL_FILE_NAME} at its root)`);
    }
    throw new ModelLoadError(`model file cannot be read: ${modelPath}: ${(error as Error).message}`);
  }
}

function createPredictor(forest: RandomForestClassifier, metadata: Omit<ModelFile, 'forest'>): Predictor {
  const { labels, featureNames } = metadata;
  const featureCount = featureNames.length;

  return {
    labels,
    featureNames,
    featureCount,
    metadata,
    predict(rows) {
      rows.forEach((row, i) => {
        if (row.length !== featureCount) {
          throw new RangeError(`row ${i + 1} has ${row.length} values; expected ${featureCount}`);
        }
      });
      if (rows.length === 0) return [];

      // One pass over the trees for all rows: votes[row][tree] is a class index.
      const votes = forest.predictionValues(rows as number[][]);
      const trees = votes.columns;
      const predictions: Prediction[] = [];
      for (let row = 0; row < votes.rows; row++) {
        const counts = new Array<number>(labels.length).fill(0);
        for (let tree = 0; tree < trees; tree++) {
          const vote = votes.get(row, tree);
          if (!(vote >= 0 && vote < labels.length)) {
            throw new Error(`tree ${tree} voted for class ${vote}, but the model has ${labels.length} labels`);
          }
          counts[vote]++;
        }
        let best = 0;
        const probabilities: Record<string, number> = {};
        counts.forEach((count, c) => {
          probabilities[labels[c]] = count / trees;
          if (count > counts[best]) best = c;
        });
        predictions.push({ label: labels[best], probabilities });
      }
      return predictions;
    },
  };
}
