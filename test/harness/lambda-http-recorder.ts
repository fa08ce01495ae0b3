/**
 * A real HTTP server that records every request and answers 200: stands in for S3
 * (PutObject, path-style) and for CloudFormation's pre-signed ResponseURL.
 */
import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';

export interface RecordedRequest {
  readonly method: string;
  /** The path without the query string, decoded. */
  readonly path: string;
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

export interface HttpRecorder {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Status of the following answers (for failure tests). */
  status: number;
  stop(): Promise<void>;
}

export async function startHttpRecorder(): Promise<HttpRecorder> {
  const requests: RecordedRequest[] = [];
  const recorder = { requests, status: 200 } as { -readonly [K in keyof HttpRecorder]: HttpRecorder[K] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const [path, query = ''] = (req.url ?? '').split('?');
      requests.push({ method: req.method ?? '', path: decodeURIComponent(path), query, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(recorder.status, { etag: '"0123456789abcdef"', 'content-length': '0' });
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  recorder.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  recorder.stop = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return recorder;
}
