#!/usr/bin/env node
/**
 * The incident-response runbook: `npm run runbook -- help`.
 * All logic is in runbook-commands.ts; this file wires it to the process.
 */
import { runRunbook } from './runbook-commands';

const controller = new AbortController();
// The first Ctrl-C cancels a running CloudTrail Lake query (so it stops scanning); the second exits.
process.once('SIGINT', () => {
  controller.abort();
  process.once('SIGINT', () => process.exit(130));
});

runRunbook(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  signal: controller.signal,
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`runbook: ${(error as Error)?.message ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
