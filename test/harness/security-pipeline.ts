/**
 * Helpers of the security suites that run the whole local pipeline: requests whose answer
 * is kept as raw text (a replay must be byte for byte the first answer), table scans, and
 * an assembly with one function's settings changed (the same bundle, another environment or
 * timeout: what a redeploy with another setting would run).
 */
import { DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalAssembly, SynthesizedFunction } from '../../tools/local/local-assembly';
import type { LocalPipeline } from '../../tools/local/local-pipeline';

export interface RawAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  readonly json: any;
}

export async function send(url: string, init: RequestInit = {}): Promise<RawAnswer> {
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

/** POST /predict with a JSON body (a string is sent as it is) and extra headers. */
export function predict(pipeline: LocalPipeline, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer> {
  return send(`${pipeline.url}/predict`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' || body instanceof Uint8Array ? (body as string) : JSON.stringify(body),
  });
}

/** Every item of the pipeline's table, unmarshalled. */
export async function scanTable(pipeline: LocalPipeline): Promise<Record<string, any>[]> {
  const doc = DynamoDBDocumentClient.from(pipeline.dynamoDb.client);
  const items: Record<string, any>[] = [];
  let start: Record<string, any> | undefined;
  do {
    const page = await doc.send(new ScanCommand({ TableName: pipeline.tableName, ExclusiveStartKey: start, ConsistentRead: true }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
}

export async function inferenceRecord(pipeline: LocalPipeline, requestId: string): Promise<Record<string, any> | undefined> {
  return (await scanTable(pipeline)).find((item) => item.pk === `INFERENCE#${requestId}`);
}

/** The assembly with the prediction function's environment and timeout changed. */
export function withPredictSettings(
  assembly: LocalAssembly,
  settings: { env?: Record<string, string>; timeoutSec?: number },
): LocalAssembly {
  const predict: SynthesizedFunction = {
    ...assembly.functions.predict,
    environment: { ...assembly.functions.predict.environment, ...settings.env },
    timeoutSec: settings.timeoutSec ?? assembly.functions.predict.timeoutSec,
  };
  return { ...assembly, functions: { ...assembly.functions, predict } };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
