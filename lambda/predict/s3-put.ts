/**
 * S3 PutObject for payloads that overflow the record: a file of its own in the function's
 * asset. The bundling (lib/constructs/pipeline-function.ts) leaves `./s3-put` out of
 * `index.mjs` and builds this module, S3 client included, as `s3-put.js` next to it;
 * payloads.ts `require`s it on the first overflow. So the S3 client (about 120 KB of the
 * bundle before the split) is neither parsed nor run on a cold start, and a static import
 * of only what is used lets esbuild tree-shake the S3 client in that file.
 * (`require`, not `import()`: Node's ESM loader would need `./s3-put.js` spelled out, which
 * the TypeScript sources and the tests cannot resolve.)
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

export type PutObject = (bucket: string, key: string, body: Uint8Array, abortSignal?: AbortSignal) => Promise<void>;

export function createPutObject(maxAttempts: number, timeoutMs: number): PutObject {
  const client = new S3Client({
    maxAttempts,
    // A local S3-compatible server (AWS_ENDPOINT_URL_S3) rarely serves virtual-hosted buckets.
    forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3),
    requestHandler: { requestTimeout: timeoutMs, throwOnRequestTimeout: true, connectionTimeout: 1_000 },
  });
  return async (bucket, key, body, abortSignal) => {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }), { abortSignal });
  };
}
