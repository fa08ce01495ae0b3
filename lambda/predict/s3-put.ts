/**
 * S3 PutObject for payloads that overflow the record. Imported dynamically by payloads.ts:
 * a static import of only what is used lets esbuild tree-shake the S3 client (a dynamic
 * import of the package itself would keep every command), and the dynamic import of this
 * module keeps the client's initialisation off the cold-start path.
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
