#!/usr/bin/env node
/**
 * `npm start`: the whole inference pipeline on this machine, from the same bundles and model
 * artifact `cdk deploy` ships. `npm start -- --help` lists the options.
 */
import { ParsedOptions, UsageError, parseContextPairs, runCommand } from '../cli';
import type { LocalPipeline } from './local-pipeline';
import { startBanner } from './start-banner';
import { prettyLogLine } from './pretty-log';

const OPTIONS = {
  stage: { type: 'string', value: 'NAME', description: "stage whose configuration to run (default: cdk.json's stage, dev)" },
  port: { type: 'string', value: 'N', description: 'port of the local API (default 3000)' },
  host: { type: 'string', value: 'ADDR', description: 'address to listen on (default 127.0.0.1)' },
  'data-dir': { type: 'string', value: 'DIR', description: 'where the table, payloads and logs persist (default .local/STAGE)' },
  'in-memory': { type: 'boolean', description: 'keep nothing after exit' },
  'model-url': { type: 'string', value: 'URL', description: 'use another SageMaker-compatible model server (/ping, /invocations)' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'override a setting, as with cdk (e.g. -c model.version=1.1.0)' },
  demo: { type: 'boolean', description: 'send a few sample predictions, print responses and records, and exit' },
  quiet: { type: 'boolean', description: "do not print the functions' logs" },
  'allow-unsigned': {
    type: 'boolean',
    description: "accept unsigned requests in iam mode, as the caller's (API Gateway refuses them: 403)",
  },
} as const;

async function main(values: ParsedOptions<typeof OPTIONS>): Promise<number> {
  const portText = values.port ?? '3000';
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port <= 65535)) throw new UsageError(`--port must be a port number, got '${portText}'`);
  const context: Record<string, unknown> = parseContextPairs(values.context);
  if (values.stage) context.stage = values.stage;

  const colour = process.stdout.isTTY ?? false;
  const started = Date.now();
  console.log(
    'Starting the local inference pipeline (synthesizing the stacks and bundling the functions, unless unchanged since the last start)...',
  );
  // Loaded once the options are good: `--help` and a usage error start without the SDK and CDK.
  /* eslint-disable @typescript-eslint/no-require-imports -- lazy load, see above */
  const { startLocalPipeline }: typeof import('./local-pipeline') = require('./local-pipeline');
  const { runDemo }: typeof import('./demo') = require('./demo');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const pipeline = await startLocalPipeline({
    context,
    port: values.demo ? 0 : port,
    host: values.host ?? '127.0.0.1',
    dataDir: values['data-dir'],
    inMemory: values['in-memory'],
    modelUrl: values['model-url'],
    allowUnsigned: values['allow-unsigned'],
    onLogLine: values.quiet || values.demo ? undefined : (source, line) => console.log(prettyLogLine(source, line, colour)),
  });

  if (values.demo) {
    try {
      await runDemo(pipeline, console.log);
    } finally {
      await pipeline.stop();
    }
    return 0;
  }

  console.log(`
Local pipeline '${pipeline.config.stage}' is up in ${((Date.now() - started) / 1000).toFixed(1)} s${assemblyNote(pipeline.assembly.cache)}.
${startBanner(pipeline, values['allow-unsigned'] ?? false)}
Ctrl-C stops it; requests in flight finish and are recorded first.
`);

  // A failure to stop (a store that cannot be flushed) is the command's failure: exit 1 with its message.
  await new Promise<void>((resolve, reject) => {
    const shutdown = (signal: string) => {
      console.log(`\n${signal}: finishing in-flight requests...`);
      pipeline.stop().then(() => {
        console.log('Stopped cleanly.');
        resolve();
      }, reject);
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  return 0;
}

/** Where the stacks and bundles came from: `npm start` is seconds faster when they are unchanged. */
function assemblyNote(cache: LocalPipeline['assembly']['cache']): string {
  if (!cache) return ' (stacks synthesized; start cache off)';
  return cache.hit
    ? ' (stacks and bundles unchanged: from the start cache)'
    : ` (stacks synthesized and bundled in ${(cache.ms / 1000).toFixed(1)} s, cached for the next start)`;
}

void runCommand({
  name: 'npm start',
  options: OPTIONS,
  help: {
    usage: 'npm start -- [options]',
    summary: 'Runs the whole inference pipeline on this machine, from the same bundles and model artifact cdk deploy ships.',
    examples: ['npm start', 'npm start -- --stage prod --port 3001', 'npm run demo'],
  },
  run: main,
}).then((code) => process.exit(code));
