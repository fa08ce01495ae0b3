import type { LocalPipeline } from './local-pipeline';
import { signHeaders } from './sigv4';

/**
 * A request to the local API as a client sends it: with the usage-plan key in api-key mode,
 * SigV4-signed with the run's credentials in iam mode.
 */
export function callLocalApi(pipeline: LocalPipeline, method: 'GET' | 'POST', pathAndQuery: string, body?: string): Promise<Response> {
  const url = new URL(`${pipeline.url}${pathAndQuery}`);
  const base: Record<string, string> = { host: url.host, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) };
  const headers = pipeline.apiKey
    ? { ...base, 'x-api-key': pipeline.apiKey }
    : signHeaders(
        { method, rawPath: url.pathname, rawQuery: url.search.slice(1), headers: base, body: Buffer.from(body ?? '') },
        pipeline.credentials,
        pipeline.region,
        'execute-api',
      );
  return fetch(url, { method, headers, body });
}
