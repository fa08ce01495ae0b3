#!/usr/bin/env node
/** `npm run analyze`: see command.ts, or `npm run analyze -- --help`. */
import { ConfigError } from '../../lib/config/validate';
import { runCommand } from '../cli';
import { LocalError } from '../local/local-error';
import { ANALYZE_HELP, ANALYZE_OPTIONS, analyzeWith } from './command';

void runCommand({
  name: 'analyze',
  options: ANALYZE_OPTIONS,
  help: ANALYZE_HELP,
  usageErrors: [ConfigError, LocalError],
  run: (options) => analyzeWith(options, { out: (t) => console.log(t), err: (t) => console.error(t) }),
}).then((code) => process.exit(code));
