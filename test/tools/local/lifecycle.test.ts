import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as os from 'os';
import * as path from 'path';
import { LocalError } from '../../../tools/local/local-error';
import { UNTHROTTLED, getJson, postJson, startFaultyModelServer, startPipeline, synthesizeOnce } from '../../harness/local-harness';
import { SWC_REGISTER } from '../../harness/repo';

const ROW = { instances: [[5.1, 3.5, 1.4, 0.2]] };

describe('local pipeline lifecycle', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  const throttled = synthesizeOnce({ stage: 'dev', 'api.throttleRateLimit': '1', 'api.throttleBurstLimit': '2' });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'pipeline-lifecycle-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test('stop lets in-flight requests finish and record; the data survives a restart', async () => {
    const dataDir = path.join(tmp, 'persisted');
    const model = await startFaultyModelServer();
    model.setMode('delay-300');
    const first = await startPipeline(assembly, { inMemory: false, dataDir, modelUrl: model.url });
    const inFlight = Array.from({ length: 8 }, () => postJson(`${first.url}/predict`, ROW));
    // Stop once every request is inside the pipeline (at the model), not merely sent.
    while (model.invocations < 8) await new Promise((resolve) => setTimeout(resolve, 10));
    await first.stop(); // returns only after the in-flight requests completed
    const answers = await Promise.all(inFlight);
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(200));

    model.setMode('ok');
    const second = await startPipeline(assembly, { inMemory: false, dataDir, modelUrl: model.url });
    try {
      for (const answer of answers) {
        const read = await getJson(`${second.url}/inferences/${answer.body.requestId}`);
        expect(read.status).toBe(200);
      }
      // Each start records the deployment, as each deploy would: history accumulates.
      const models = await getJson(`${second.url}/models`);
      expect((models.body.items ?? models.body.deployments).length).toBe(2);
      expect(fs.existsSync(path.join(dataDir, 'logs', 'pipeline.jsonl'))).toBe(true);
    } finally {
      await second.stop();
      await model.close();
    }
  });

  test('a port already in use is a clear error', async () => {
    const blocker = http.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    try {
      await expect(startPipeline(assembly, { port })).rejects.toThrow(
        new LocalError(`port ${port} is already in use (the local API); stop what is using it or choose another port with --port`),
      );
    } finally {
      blocker.close();
    }
  });

  test('a missing model artifact is a clear error', async () => {
    await expect(startPipeline(assembly, { modelArtifact: path.join(tmp, 'missing.tar.gz') })).rejects.toThrow(
      /model artifact .*missing\.tar\.gz not found: run `npm run train`/,
    );
  });

  test('a corrupt data folder, or one in use by another run, is a clear error', async () => {
    const dataDir = path.join(tmp, 'corrupt');
    fs.mkdirSync(path.join(dataDir, 'dynamodb'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'dynamodb', 'CURRENT'), 'garbage-manifest\n');
    await expect(startPipeline(assembly, { inMemory: false, dataDir })).rejects.toThrow(
      /data folder .* cannot be opened .* remove the folder, or use --in-memory/,
    );

    const busyDir = path.join(tmp, 'busy');
    const running = await startPipeline(assembly, { inMemory: false, dataDir: busyDir });
    try {
      await expect(startPipeline(assembly, { inMemory: false, dataDir: busyDir })).rejects.toThrow(
        /cannot be opened .*in use by another `npm start`/,
      );
    } finally {
      await running.stop();
    }
  });

  test('npm start reports bad options without a stack trace and exits non-zero', () => {
    const run = spawnSync(process.execPath, ['-r', SWC_REGISTER, 'tools/local/main.ts', '--port', 'eighty'], {
      cwd: path.join(__dirname, '..', '..', '..'),
      encoding: 'utf8',
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("npm start: --port must be a port number, got 'eighty'");
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  test('the stage throttle answers 429 in the gateway shape', async () => {
    const pipeline = await startPipeline(throttled);
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push((await postJson(`${pipeline.url}/predict`, ROW)).status);
      expect(statuses.slice(0, 2)).toEqual([200, 200]);
      expect(statuses).toContain(429);
    } finally {
      await pipeline.stop();
    }
  });
});
