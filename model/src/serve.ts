/**
 * The container's entry point (`ENTRYPOINT ["node", "/opt/program/serve.js"]`).
 *
 * SageMaker starts a hosting container as `docker run IMAGE serve`, so `serve` is the one
 * argument accepted (no argument means the same, for `docker run` by hand). The model
 * comes from `SM_MODEL_DIR` or `/opt/ml/model`, where SageMaker unpacks `ModelDataUrl`;
 * the port from `SAGEMAKER_BIND_TO_PORT` or 8080. SIGTERM (SageMaker stopping the
 * instance, `docker stop`) lets in-flight requests finish, then exits 0.
 */
import { createLogger } from './log';
import { startModelServer, type ModelServer } from './server';

export const DEFAULT_MODEL_DIR = '/opt/ml/model';
export const DEFAULT_PORT = 8080;

/** Exit status for a wrong command line or environment (the shell's convention for misuse). */
const USAGE_ERROR = 2;

export interface ServeSettings {
  readonly modelDir: string;
  readonly port: number;
}

/** The settings, or the reason they are wrong. */
export function resolveServeSettings(argv: readonly string[], env: NodeJS.ProcessEnv): ServeSettings | { readonly error: string } {
  const extra = argv[0] === 'serve' ? argv.slice(1) : argv;
  if (extra.length > 0) {
    return { error: `unknown argument "${extra.join(' ')}"; this container only accepts "serve"` };
  }
  const portText = env.SAGEMAKER_BIND_TO_PORT || String(DEFAULT_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) {
    return { error: `SAGEMAKER_BIND_TO_PORT must be a port number from 0 to 65535, got "${portText}"` };
  }
  return { modelDir: env.SM_MODEL_DIR || DEFAULT_MODEL_DIR, port };
}

export async function main(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const logger = createLogger();
  const settings = resolveServeSettings(argv, env);
  if ('error' in settings) {
    logger.error(settings.error, { error: 'UsageError' });
    return USAGE_ERROR;
  }

  let server: ModelServer;
  try {
    server = await startModelServer({ modelDir: settings.modelDir, port: settings.port });
  } catch (error) {
    // Exiting non-zero fails the endpoint's deployment with this line in its log.
    logger.error(`model server failed to start: ${(error as Error).message}`, { error: (error as Error).name });
    return 1;
  }

  const running = server;
  const shutDown = (signal: NodeJS.Signals) => {
    logger.info('shutting down', { signal });
    running.close().then(
      () => logger.info('stopped', { signal }),
      (error: Error) => {
        logger.error(`shutdown failed: ${error.message}`, { signal });
        process.exitCode = 1;
      },
    );
  };
  process.once('SIGTERM', shutDown);
  process.once('SIGINT', shutDown);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2), process.env).then((status) => {
    if (status !== 0) process.exitCode = status;
  });
}
