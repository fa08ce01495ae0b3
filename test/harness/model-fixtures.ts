/**
 * Shared fixtures of the model container's tests: the committed artifact unpacked into a
 * temporary model directory, temporary directories that clean up after themselves, and a
 * log sink that keeps the JSON lines for assertions.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { extractModelArtifact } from '../../model/src/artifact';
import type { LogSink } from '../../model/src/log';

export const MODEL_ROOT = path.resolve(__dirname, '..', '..', 'model');
export const COMMITTED_ARTIFACT = path.join(MODEL_ROOT, 'artifacts', 'model.tar.gz');

/** Three canonical rows of the data set (rows 1, 51 and 101), one of each class. */
export const KNOWN_SAMPLES = [
  { features: [5.1, 3.5, 1.4, 0.2], label: 'setosa' },
  { features: [7.0, 3.2, 4.7, 1.4], label: 'versicolor' },
  { features: [6.3, 3.3, 6.0, 2.5], label: 'virginica' },
] as const;

const created: string[] = [];

/** A fresh temporary directory, removed by `removeTempDirs`. */
export function makeTempDir(prefix = 'model-test-'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
}

/** The committed `model.tar.gz`, unpacked the way SageMaker unpacks it into /opt/ml/model. */
export async function extractCommittedModel(): Promise<string> {
  const dir = makeTempDir('model-dir-');
  await extractModelArtifact(COMMITTED_ARTIFACT, dir);
  return dir;
}

/** A model directory holding `modelJson` as its model file (for broken-model cases). */
export function writeModelDir(modelJson: string): string {
  const dir = makeTempDir('model-dir-');
  fs.writeFileSync(path.join(dir, 'model.json'), modelJson);
  return dir;
}

export interface LoggedLine {
  readonly stream: 'stdout' | 'stderr';
  readonly record: Record<string, unknown>;
}

/** A sink that parses every line as JSON (failing the test if one is not) and keeps it. */
export function collectingLogSink(): LogSink & { readonly lines: LoggedLine[] } {
  const lines: LoggedLine[] = [];
  const keep = (stream: LoggedLine['stream']) => (line: string) => {
    lines.push({ stream, record: JSON.parse(line) as Record<string, unknown> });
  };
  return { lines, stdout: keep('stdout'), stderr: keep('stderr') };
}
