import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256 } from '../../../model/src/artifact';
import { executeCommand } from '../../../tools/cli';
import { TRAIN_COMMAND } from '../../../tools/train/main';
import { COMMITTED_ARTIFACT, makeTempDir, removeTempDirs } from '../../harness/model-fixtures';

/** `npm run train` on the shared command-line kit: the training itself is test/model/train.test.ts's. */
describe('npm run train (tools/train/main.ts)', () => {
  afterAll(removeTempDirs);

  async function train(argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation((line: string) => void out.push(line));
    try {
      const code = await executeCommand(TRAIN_COMMAND, argv, { stdout: (t) => out.push(t), stderr: (t) => err.push(t) });
      return { code, out: out.join('\n'), err: err.join('') };
    } finally {
      log.mockRestore();
    }
  }

  test('--out writes the committed artifact byte for byte, and the statistics beside it; exit 0', async () => {
    const file = path.join(makeTempDir(), 'model.tar.gz');
    const run = await train(['--out', file]);
    expect(run).toMatchObject({ code: 0, err: '' });
    expect(run.out).toMatch(/^held-out accuracy: 0\.\d{4} \(\d+\/30\)/);
    expect(run.out).toContain(`wrote ${file} (sha256 ${sha256(fs.readFileSync(COMMITTED_ARTIFACT))})`);
    expect(fs.existsSync(path.join(path.dirname(file), 'training-stats.json'))).toBe(true);
  });

  test.each([
    [['--out', ''], 'train: --out must name a file\n'],
    [['--out'], 'train: missing value for --out\n'],
    [['model.tar.gz'], "train: unexpected argument 'model.tar.gz' (options start with --)\n"],
  ])('%j is a usage error: exit 2, one line and the hint', async (argv, message) => {
    const run = await train(argv);
    expect(run.code).toBe(2);
    expect(run.out).toBe('');
    expect(run.err).toBe(`${message}run with --help for the options\n`);
  });
});
