#!/usr/bin/env node
/**
 * `npm run invoke -- --stage dev --data '{"instances":[[5.1,3.5,1.4,0.2]]}'`: one prediction
 * through the deployed API, signed with your AWS credentials (or with the API key in
 * api-key mode); prints the predictions and the request id, exits 1 on an error answer.
 */
import * as fs from 'fs';
import type { ApiAuth } from '../api-request';
import { CliError, UsageError, loadStage, oneOf, parseContextPairs, runCommand } from '../../cli';

const options = {
  stage: { type: 'string', value: 'NAME', description: 'deployed stage to call (its API URL comes from the stack outputs)' },
  url: { type: 'string', value: 'URL', description: 'call this API base URL instead of looking it up' },
  data: { type: 'string', value: 'JSON', description: 'request body, for example \'{"instances":[[5.1,3.5,1.4,0.2]]}\'' },
  file: { type: 'string', value: 'PATH', description: 'read the request body from a file' },
  'api-key': { type: 'string', value: 'KEY', description: "API key (api-key stages; default: looked up from the stack's ApiKeyId)" },
  unsigned: { type: 'boolean', description: 'send without signing (the local pipeline accepts it)' },
  region: {
    type: 'string',
    value: 'REGION',
    description: "region to sign for and read outputs in (default: the stage's, else AWS_REGION)",
  },
  profile: { type: 'string', value: 'NAME', description: 'AWS profile to use' },
  json: { type: 'boolean', description: 'print the whole response body as JSON' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'override a setting, as with cdk' },
} as const;

void runCommand({
  name: 'invoke',
  options,
  help: {
    usage: 'npm run invoke -- (--stage NAME | --url URL) (--data JSON | --file PATH) [options]',
    summary: 'Sends one prediction request to the inference API and prints the predictions and the request id.',
    examples: [
      'npm run invoke -- --stage dev --data \'{"instances":[[5.1,3.5,1.4,0.2]]}\'',
      'npm run invoke -- --stage prod --file request.json --json',
      'npm run invoke -- --url http://127.0.0.1:3000/dev --unsigned --data \'{"instances":[[6.0,2.9,4.5,1.5]]}\'',
    ],
  },
  async run(o) {
    oneOf(o, ['stage', 'url'], true);
    const source = oneOf(o, ['data', 'file'], true);
    oneOf(o, ['api-key', 'unsigned'], false);
    if (o.profile) process.env.AWS_PROFILE = o.profile;
    const body = source === 'data' ? o.data! : readBody(o.file!);
    checkJson(body, source === 'data' ? '--data' : `--file ${o.file}`);

    const target = o.url ? await targetFromUrl(o.url, o) : await targetFromStage(o.stage!, o);
    const res = await apiRequest().callApi(
      target.url,
      { method: 'POST', path: '/predict', body, contentType: 'application/json' },
      target.auth,
    );
    const answer = res.json;
    const requestId = answer?.requestId ?? res.headers.get('x-request-id') ?? res.headers.get('x-amzn-requestid') ?? 'unknown';

    if (res.status !== 200) {
      const what = answer?.error ? `${answer.error}: ${answer.message ?? ''}`.trim() : res.text.slice(0, 200) || '(empty body)';
      throw new CliError(`${res.status} ${what} (request id ${requestId})`, hintFor(res.status, target.auth));
    }
    // --json, or an answer that is not the pipeline's prediction shape: show it as it came.
    if (o.json || !Array.isArray(answer?.predictions)) {
      console.log(answer === undefined ? res.text : JSON.stringify(answer, null, 2));
      return 0;
    }
    console.log(`request id: ${requestId}`);
    console.log(
      `model: ${answer.modelName ?? '?'} ${answer.modelVersion ?? '?'} (endpoint ${answer.endpointName ?? '?'}, variant ${answer.variant ?? '?'})`,
    );
    (answer.predictions as Array<{ label?: string; probabilities?: Record<string, number> }>).forEach((p, i) => {
      const probabilities = Object.entries(p.probabilities ?? {})
        .map(([k, v]) => `${k} ${v.toFixed(3)}`)
        .join(', ');
      console.log(`[${i}] ${p.label ?? JSON.stringify(p)}${probabilities ? `  (${probabilities})` : ''}`);
    });
    return 0;
  },
});

interface Target {
  readonly url: string;
  readonly auth: ApiAuth;
}

type Options = { 'api-key'?: string; unsigned: boolean; region?: string; context: string[] };

async function targetFromUrl(url: string, o: Options): Promise<Target> {
  if (o['api-key']) return { url, auth: { kind: 'api-key', key: o['api-key'] } };
  if (o.unsigned) return { url, auth: { kind: 'none' } };
  return { url, auth: { kind: 'sigv4', region: await awsEnv().resolveRegion({}, o.region ?? apiRequest().regionOfApiUrl(url)) } };
}

/** The stage's API URL and region from its stack outputs; its API key too in api-key mode. */
async function targetFromStage(stage: string, o: Options): Promise<Target> {
  const config = loadStage(stage, parseContextPairs(o.context));
  const region = await awsEnv().resolveRegion(config, o.region);
  const out = await stackOutputs().readStageOutputs(config, region, ['api']);
  if (!out.apiUrl) {
    throw new CliError(
      `stage ${stage} has no API in ${region}: stack ${out.missing[0] ?? 'api'} is not deployed`,
      `deploy it first: npm run deploy -- --stage ${stage}`,
    );
  }
  if (o.unsigned) return { url: out.apiUrl, auth: { kind: 'none' } };
  if (config.api.authorization === 'api-key' || o['api-key']) {
    return { url: out.apiUrl, auth: { kind: 'api-key', key: o['api-key'] ?? (await lookUpApiKey(out.apiKeyId, out.region)) } };
  }
  return { url: out.apiUrl, auth: { kind: 'sigv4', region: out.region } };
}

/** The key's value, as `aws apigateway get-api-key --include-value` reads it. */
async function lookUpApiKey(apiKeyId: string | undefined, region: string): Promise<string> {
  if (!apiKeyId) throw new CliError('the API stack has no ApiKeyId output', 'pass the key with --api-key');
  const { APIGatewayClient, GetApiKeyCommand } = apiGateway();
  const client = new APIGatewayClient({ region, credentials: awsEnv().defaultCredentials(), maxAttempts: 3 });
  try {
    const key = await client.send(new GetApiKeyCommand({ apiKey: apiKeyId, includeValue: true }));
    if (!key.value) throw new CliError(`API key ${apiKeyId} has no readable value`, 'pass the key with --api-key');
    return key.value;
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw awsEnv().asAwsError(error, `could not read API key ${apiKeyId}`);
  } finally {
    client.destroy();
  }
}

function readBody(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read --file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A body that is not JSON would only come back as a 400; say so before sending it. */
function checkJson(body: string, where: string): void {
  try {
    JSON.parse(body);
  } catch (error) {
    throw new UsageError(`${where} is not valid JSON (${(error as Error).message})`);
  }
}

function hintFor(status: number, auth: ApiAuth): string | undefined {
  if (status === 403 && auth.kind === 'sigv4')
    return "the signature or the caller's IAM permissions were refused: the caller needs execute-api:Invoke on this API";
  if (status === 403 && auth.kind === 'api-key')
    return "the API key was refused: check --api-key, or that the key is in the stage's usage plan";
  if (status === 403 && auth.kind === 'none') return 'the deployed API needs signed requests: drop --unsigned';
  if (status === 429) return 'throttled: slow down, or raise api.throttleRateLimit for the stage';
  return undefined;
}

/*
 * The AWS SDK loads once the options are good: `--help` and a usage error start without it.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, see above */
function apiGateway(): typeof import('@aws-sdk/client-api-gateway') {
  return require('@aws-sdk/client-api-gateway');
}
function apiRequest(): typeof import('../api-request') {
  return require('../api-request');
}
function awsEnv(): typeof import('../aws-env') {
  return require('../aws-env');
}
function stackOutputs(): typeof import('../stack-outputs') {
  return require('../stack-outputs');
}
/* eslint-enable @typescript-eslint/no-require-imports */
