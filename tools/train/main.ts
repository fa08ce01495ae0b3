/**
 * `npm run train [-- --out PATH]`: trains the iris classifier (model/src/train.ts) and writes the
 * artifact the stack deploys, with its training statistics beside it. Deterministic: the
 * committed model/artifacts/model.tar.gz is exactly what this writes, and a test retrains and
 * compares. The training lives in model/ (the container's package); this is its command line.
 */
import * as path from 'path';
import { Command, REPO_ROOT, UsageError, runCommand } from '../cli';
import { DEFAULT_ARTIFACT_PATH, train } from '../../model/src/train';

export const TRAIN_OPTIONS = {
  out: {
    type: 'string',
    value: 'PATH',
    description: `where to write model.tar.gz (default ${path.relative(REPO_ROOT, DEFAULT_ARTIFACT_PATH)}); training-stats.json goes beside it`,
  },
} as const;

export const TRAIN_COMMAND: Command<typeof TRAIN_OPTIONS> = {
  name: 'train',
  options: TRAIN_OPTIONS,
  help: {
    usage: 'npm run train [-- --out PATH]',
    summary: 'Trains the iris classifier and writes the artifact the stack deploys (byte for byte reproducible).',
    examples: ['npm run train', 'npm run train -- --out /tmp/model.tar.gz'],
  },
  run(options) {
    if (options.out === '') throw new UsageError('--out must name a file');
    train({ outPath: options.out }); // prints the held-out accuracy, the confusion matrix and what it wrote
    return 0;
  },
};

if (require.main === module) void runCommand(TRAIN_COMMAND);
