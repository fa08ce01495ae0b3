import { spawn } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '..', '..');
const REGISTER = path.join(__dirname, 'swc-register.js'); // SWC_REGISTER in repo.ts

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Fixed test credentials: real SigV4 signatures, verifiable by the test, valid nowhere. */
export const TEST_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDDEPLOYTEST000001',
  AWS_SECRET_ACCESS_KEY: 'deploy-test-secret-key-0123456789abcdefgh',
  AWS_SESSION_TOKEN: 'deploy-test-session-token',
};

/**
 * An environment with no AWS settings of the machine: no profile files, no instance
 * metadata, no real endpoints. Tests add exactly what each case needs.
 */
function isolatedEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(AWS_|CDK_)/.test(k)) env[k] = v;
  Object.assign(env, {
    AWS_CONFIG_FILE: path.join(ROOT, 'test', 'no-such-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(ROOT, 'test', 'no-such-aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // The SDK's "upgrade to Node 22" notice is not what these tests read.
    NODE_NO_WARNINGS: '1',
  });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/**
 * Runs one of the deploy commands as a user would (`npm run NAME -- ...` is `tsx tools/deploy/commands/NAME.ts`;
 * here the same source is transpiled by SWC, see swc-register.js), asynchronously so fake
 * servers in this process keep answering while it runs.
 */
export function runCli(
  name: 'deploy' | 'outputs' | 'invoke' | 'smoke',
  args: readonly string[],
  options: { env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-r', REGISTER, path.join('tools', 'deploy', 'commands', `${name}.ts`), ...args], {
      cwd: ROOT,
      env: isolatedEnv(options.env ?? {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

/** A Node stack trace line, which no user-facing error may print. */
export const STACK_TRACE = /^\s+at .+\(.+:\d+:\d+\)$/m;
