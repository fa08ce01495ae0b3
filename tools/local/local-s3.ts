import { createHash } from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { closeServer, listen, readBody } from './http-server';

export interface LocalS3 {
  readonly url: string;
  /** Objects written so far, as `s3://bucket/key` -> bytes (in-memory mode) or read from disk. */
  getObject(bucket: string, key: string): Buffer | undefined;
  close(): Promise<void>;
}

/**
 * The slice of S3 the pipeline uses (PutObject, GetObject, HeadObject, path-style), storing
 * objects under `dataDir/s3/BUCKET/KEY` or in memory, so the prediction function's
 * large-payload path runs with its real S3 client.
 */
export async function startLocalS3(opts: { dataDir?: string; port?: number } = {}): Promise<LocalS3> {
  const memory = new Map<string, Buffer>();
  const root = opts.dataDir ? path.join(opts.dataDir, 's3') : undefined;
  const fileOf = (bucket: string, key: string) => {
    const file = path.resolve(root!, bucket, key);
    if (!file.startsWith(path.resolve(root!) + path.sep)) throw new Error('key escapes the bucket');
    return file;
  };
  const getObject = (bucket: string, key: string): Buffer | undefined => {
    if (!root) return memory.get(`${bucket}/${key}`);
    const file = fileOf(bucket, key);
    return fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  };

  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    const error = (status: number, code: string) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`);
    };
    try {
      if (!bucket || !key) return error(400, 'InvalidRequest');
      if (req.method === 'PUT') {
        const raw = await readBody(req);
        const body = req.headers['content-encoding']?.includes('aws-chunked') ? decodeAwsChunked(raw) : raw;
        if (root) {
          const file = fileOf(bucket, key);
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.writeFileSync(file, body);
        } else {
          memory.set(`${bucket}/${key}`, body);
        }
        res.writeHead(200, { etag: `"${createHash('md5').update(body).digest('hex')}"` });
        return res.end();
      }
      if (req.method === 'GET' || req.method === 'HEAD') {
        const body = getObject(bucket, key);
        if (!body) return error(404, 'NoSuchKey');
        res.writeHead(200, { 'content-length': body.length, etag: `"${createHash('md5').update(body).digest('hex')}"` });
        return res.end(req.method === 'GET' ? body : undefined);
      }
      return error(405, 'MethodNotAllowed');
    } catch {
      return error(500, 'InternalError');
    }
  });
  await listen(server, opts.port ?? 0, 'S3');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, getObject, close: () => closeServer(server) };
}

/** Decodes `aws-chunked` bodies (`<hex size>[;ext]\r\n<data>\r\n ... 0\r\n<trailers>`). */
function decodeAwsChunked(raw: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(offset, lineEnd).toString().split(';')[0], 16);
    if (!size) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
