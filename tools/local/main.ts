#!/usr/bin/env node
/**
 * `npm start`: the whole inference pipeline on this machine, from the same bundles and model
 * artifact `cdk deploy` ships. `npm start -- --help` lists the options.
 */
import { parseArgs } from 'util';
import { ConfigError } from '../../lib/config/validate';
import { runDemo } from './demo';
import { startLocalPipeline, type LocalPipeline } from './local-pipeline';
import { startBanner } from './start-banner';
import { LocalError } from './local-error';
import { prettyLogLine } from './pretty-log';

const HELP = `Usage: npm start -- [options]

  --stage NAME          stage whose configuration to run (default: cdk.json's stage, dev)
  --port N              port of the local API (default 3000)
  --host ADDR           address to listen on (default 127.0.0.1)
  --data-dir DIR        where the table, payloads and logs persist (default .local/STAGE)
  --in-memory           keep nothing after exit
  --model-url URL       use another SageMaker-compatible model server (/ping, /invocations)
  -c key=value          override a setting, as with cdk (repeatable), e.g. -c model.version=1.1.0
  --demo                send a few sample predictions, print responses and records, and exit
  --quiet               do not print the functions' logs
  --allow-unsigned      accept unsigned requests in iam mode, as the caller's (API Gateway refuses them: 403)
  --help`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      stage: { type: 'string' },
      port: { type: 'string', default: '3000' },
      host: { type: 'string', default: '127.0.0.1' },
      'data-dir': { type: 'string' },
      'in-memory': { type: 'boolean', default: false },
      'model-url': { type: 'string' },
      c: { type: 'string', multiple: true, default: [] },
      demo: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'allow-unsigned': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(HELP);
    return 0;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new LocalError(`--port must be a port number, got '${values.port}'`);
  const context: Record<string, unknown> = {};
  if (values.stage) context.stage = values.stage;
  for (const pair of values.c ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new LocalError(`-c takes key=value, got '${pair}'`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }

  const colour = process.stdout.isTTY ?? false;
  const started = Date.now();
  console.log('Starting the local inference pipeline (synthesizing the stacks and bundling the functions, unless unchanged since the last start)...');
  const pipeline = await startLocalPipeline({
    context,
    port: values.demo ? 0 : port,
    host: values.host,
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

  await new Promise<void>((resolve) => {
    const shutdown = (signal: string) => {
      console.log(`\n${signal}: finishing in-flight requests...`);
      pipeline.stop().then(() => {
        console.log('Stopped cleanly.');
        resolve();
      });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });
  return 0;
}

/** Where the stacks and bundles came from: `npm start` is seconds faster when they are unchanged. */
function assemblyNote(cache: LocalPipeline['assembly']['cache']): string {
  if (!cache) return ' (stacks synthesized; start cache off)';
  return cache.hit ? ' (stacks and bundles unchanged: from the start cache)' : ` (stacks synthesized and bundled in ${(cache.ms / 1000).toFixed(1)} s, cached for the next start)`;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    if (error instanceof LocalError || error instanceof ConfigError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`npm start: ${error.message}`);
      process.exit(2);
    }
    console.error(`npm start: unexpected failure: ${error.message}`);
    process.exit(1);
  },
);
