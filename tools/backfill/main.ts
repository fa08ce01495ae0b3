#!/usr/bin/env node
/**
 * `npm run backfill -- --table NAME --from FILE|DIR|- [--dry-run] [--endpoint-url URL]`:
 * puts the records of the prediction function's fallback lines back into the table.
 * All logic is in lib/backfill/; this file wires it to the process.
 */
import { BACKFILL_HELP, BACKFILL_OPTIONS, runBackfill } from './command';
import { runCommand } from '../cli';

void runCommand({
  name: 'backfill',
  options: BACKFILL_OPTIONS,
  help: BACKFILL_HELP,
  run: (args) =>
    runBackfill(args, {
      out: (line) => process.stdout.write(`${line}\n`),
      err: (line) => process.stderr.write(`${line}\n`),
    }),
});
