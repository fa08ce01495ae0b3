/**
 * The log lines the model container really prints (SageMaker ships them to
 * `/aws/sagemaker/Endpoints/NAME`): the project's model server, started on the committed
 * artifact, answering a good request, a malformed one and an unknown route.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { extractModelArtifact } from '../../model/src/artifact';
import { startModelServer } from '../../model/src/server';

const ARTIFACT = path.join(__dirname, '..', '..', 'model', 'artifacts', 'model.tar.gz');

export interface ContainerLines {
  /** Lines of requests the model served (INFO). */
  readonly served: readonly string[];
  /** Lines of requests the model failed (an ERROR line each, with the request's INFO line). */
  readonly failed: readonly string[];
}

export async function captureContainerLines(): Promise<ContainerLines> {
  const dir = mkdtempSync(path.join(tmpdir(), 'monitoring-model-'));
  let lines: string[] = [];
  try {
    await extractModelArtifact(ARTIFACT, dir);
    const server = await startModelServer({
      modelDir: dir,
      port: 0,
      host: '127.0.0.1',
      modelVersion: '1.0.0',
      logSink: { stdout: (line) => lines.push(line), stderr: (line) => lines.push(line) },
    });
    try {
      const post = (body: string) =>
        fetch(`${server.url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      lines = [];
      expectStatus(await post(JSON.stringify({ instances: [[5.1, 3.5, 1.4, 0.2]] })), 200);
      const served = lines;
      lines = [];
      expectStatus(await post('{"instances": [[1, 2'), 400);
      expectStatus(await fetch(`${server.url}/nowhere`), 404);
      return { served, failed: lines };
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function expectStatus(response: Response, status: number): void {
  if (response.status !== status) throw new Error(`model server answered ${response.status}, expected ${status}`);
}
