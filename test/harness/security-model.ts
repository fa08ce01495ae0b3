/**
 * A model container (the SageMaker serving contract: `GET /ping`, `POST /invocations`) that
 * fails the way a careless one does: error bodies quoting ARNs, a stack trace and the
 * credentials of its environment. The local SageMaker runtime passes those bodies on to the
 * prediction function in its ModelError, as the service does; none of it may go further.
 */
import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';

export type LeakyMode = 'ok' | 'leaky-500' | 'leaky-400' | 'leaky-200-text' | 'slow';

export interface LeakyModelServer {
  readonly url: string;
  setMode(mode: LeakyMode): void;
  close(): Promise<void>;
}

/** The text a leaky container answers with: every kind of secret at once. */
export function leakyText(secrets: readonly string[], arns: readonly string[]): string {
  return [
    `AccessDenied: ${arns.join(' and ')} `,
    `credentials in use: ${secrets.join(' ')}`,
    'Error: prediction failed',
    '    at predict (/opt/ml/code/server.js:42:13)',
    '    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)',
    'Traceback (most recent call last):',
    '  File "/opt/ml/code/inference.py", line 7, in predict',
  ].join('\n');
}

export async function startLeakyModelServer(text: string): Promise<LeakyModelServer> {
  let mode: LeakyMode = 'ok';
  const server = createServer((req, res) => {
    if (req.url === '/ping') return void res.writeHead(200).end();
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rows = (JSON.parse(Buffer.concat(chunks).toString() || '{}').instances ?? []) as number[][];
      switch (mode) {
        case 'ok':
          res.writeHead(200, { 'content-type': 'application/json' });
          return void res.end(JSON.stringify({ predictions: rows.map(() => ({ label: 'setosa', probabilities: { setosa: 1 } })) }));
        case 'leaky-500':
          return void res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: 'InternalError', message: text, stack: text }));
        case 'leaky-400':
          return void res.writeHead(400, { 'content-type': 'text/plain' }).end(text);
        case 'leaky-200-text':
          return void res.writeHead(200, { 'content-type': 'text/plain' }).end(text);
        case 'slow':
          return; // never answers
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    setMode(next) {
      mode = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
