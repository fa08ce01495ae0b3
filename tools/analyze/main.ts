#!/usr/bin/env node
/** `npm run analyze`: see command.ts, or `npm run analyze -- --help`. */
import { ConfigError } from '../../lib/config/validate';
import { LocalError } from '../local/local-error';
import { runAnalyze, UsageError } from './command';

runAnalyze(process.argv.slice(2), { out: (t) => console.log(t), err: (t) => console.error(t) }).then(
  (code) => process.exit(code),
  (error: Error) => {
    const expected =
      error instanceof UsageError ||
      error instanceof ConfigError ||
      error instanceof LocalError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`npm run analyze: ${expected ? '' : 'unexpected failure: '}${error.message}`);
    process.exit(expected ? 2 : 1);
  },
);
