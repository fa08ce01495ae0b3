import * as net from 'net';
import type { LocalPipeline } from '../../../tools/local/local-pipeline';
import { STACK_TRACE, runCli } from '../../harness/deploy-cli';
import { UNTHROTTLED, startFaultyModelServer, startPipeline, synthesizeOnce } from '../../harness/local-harness';

/**
 * `npm run smoke` against the real local pipeline (the deployed bundles, dynalite, the model
 * server): it passes on a healthy stage and fails, naming the check, on a misbehaving model.
 */
describe('smoke test against the local pipeline', () => {
  const assembly = synthesizeOnce({ stage: 'dev', ...UNTHROTTLED });
  let healthy: LocalPipeline;
  let faulty: LocalPipeline;
  let model: Awaited<ReturnType<typeof startFaultyModelServer>>;

  beforeAll(async () => {
    model = await startFaultyModelServer();
    [healthy, faulty] = await Promise.all([startPipeline(assembly), startPipeline(assembly, { modelUrl: model.url })]);
  });
  afterAll(async () => {
    await Promise.all([healthy?.stop(), faulty?.stop()]);
    await model?.close();
  });

  test('passes every check on a healthy pipeline', async () => {
    const run = await runCli('smoke', ['--url', healthy.url]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines[0]).toBe(`smoke test of ${healthy.url} (unsigned)`);
    const checks = lines.filter((l) => /^(PASS|FAIL) /.test(l));
    expect(checks.map((l) => l.replace(/ — .*$/, ''))).toEqual([
      'PASS  predicts: 200 with a JSON body',
      'PASS  predicts: x-request-id header is the body requestId',
      'PASS  predicts: one prediction per instance',
      'PASS  predicts: labels',
      'PASS  predicts: probabilities sum to 1',
      'PASS  predicts: names the model version',
      'PASS  rejects malformed JSON',
      'PASS  rejects a row of the wrong width',
      'PASS  rejects empty instances',
      'PASS  rejects a wrong content type',
      'PASS  reads the record back',
      'PASS  lists the deployed models',
    ]);
    expect(run.stdout).toContain('PASS  predicts: labels — got [setosa, virginica], expected [setosa, virginica]');
    expect(run.stdout).toContain('PASS  rejects a wrong content type — 415 UnsupportedMediaType');
    expect(run.stdout).toContain('PASS  reads the record back — status SUCCESS, modelVersion 1.0.0');
    expect(lines[lines.length - 1]).toBe('smoke: all 12 checks passed');
  });

  test('fails, naming the failing checks, when the model answers 500', async () => {
    model.setMode('error-500');
    const run = await runCli('smoke', ['--url', faulty.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^FAIL {2}predicts: 200 with a JSON body — got 5\d\d ModelError: /m);
    expect(run.stdout).toContain('FAIL  reads the record back — skipped: no successful prediction to read back');
    // The API's own validation still works: those checks pass even with a broken model.
    expect(run.stdout).toContain('PASS  rejects malformed JSON');
    expect(run.stdout).toMatch(/^smoke: 2 of 7 checks failed: predicts: 200 with a JSON body; reads the record back$/m);
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });

  test('fails on a model that answers with the wrong labels', async () => {
    model.setMode('ok'); // the faulty server calls every flower setosa
    const run = await runCli('smoke', ['--url', faulty.url]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('FAIL  predicts: labels — got [setosa, setosa], expected [setosa, virginica]');
    expect(run.stdout).toMatch(/^smoke: 1 of 12 checks failed: predicts: labels$/m);
  });

  test('fails on a URL where no pipeline answers, with the reason and no stack trace', async () => {
    const port = await closedPort();
    const run = await runCli('smoke', ['--url', `http://127.0.0.1:${port}/dev`]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `smoke: POST http://127.0.0.1:${port}/dev/predict failed: ECONNREFUSED\n  hint: check the URL (npm run outputs -- --stage STAGE prints it) and your network\n`,
    );
    expect(run.stderr).not.toMatch(STACK_TRACE);
  });
});

/** A local port nothing listens on (it was free a moment ago). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
