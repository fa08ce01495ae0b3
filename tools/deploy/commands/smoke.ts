#!/usr/bin/env node
/**
 * `npm run smoke -- --url URL [--sign | --api-key KEY]`: proves a deployment works through
 * its public API — a valid prediction, four invalid ones, the record read back, the model
 * listing — printing one PASS/FAIL line per check and exiting 1 on any mismatch.
 */
import { ApiAuth, regionOfApiUrl } from '../api-request';
import { UsageError, oneOf, runCommand } from '../../cli';
import { resolveRegion } from '../aws-env';
import { SmokeResult, parseInstances, runSmoke } from '../smoke-checks';

const options = {
  url: { type: 'string', value: 'URL', description: 'base URL of the API, stage included (npm run outputs prints it)' },
  sign: { type: 'boolean', description: 'sign requests with your AWS credentials (SigV4), for IAM-authorized stages' },
  'api-key': { type: 'string', value: 'KEY', description: 'send this x-api-key, for api-key stages' },
  region: { type: 'string', value: 'REGION', description: 'signing region (default: from the URL, else AWS_REGION)' },
  instances: { type: 'string', value: 'JSON', description: 'rows of the valid request (default: two iris flowers)' },
  'expect-labels': {
    type: 'string',
    value: 'A,B',
    description: 'labels the rows must get, in order (default with the iris rows: setosa,virginica)',
  },
} as const;

void runCommand({
  name: 'smoke',
  options,
  help: {
    usage: 'npm run smoke -- --url URL [--sign | --api-key KEY] [options]',
    summary: 'Checks a deployed or local inference API end to end; exits 1 if any check fails.',
    examples: [
      'npm run smoke -- --url "$(npm run --silent outputs -- --stage dev --json | jq -r .apiUrl)" --sign',
      'npm run smoke -- --url http://127.0.0.1:3000/dev',
    ],
  },
  async run(o) {
    if (!o.url) throw new UsageError('missing --url (the API base URL, for example https://ID.execute-api.REGION.amazonaws.com/dev/)');
    oneOf(o, ['sign', 'api-key'], false);
    const instances = o.instances ? parseInstances(o.instances) : undefined;
    const expectLabels = o['expect-labels']
      ?.split(',')
      .map((l) => l.trim())
      .filter(Boolean);

    const auth: ApiAuth = o.sign
      ? { kind: 'sigv4', region: await resolveRegion({}, o.region ?? regionOfApiUrl(o.url)) }
      : o['api-key']
        ? { kind: 'api-key', key: o['api-key'] }
        : { kind: 'none' };

    console.log(
      `smoke test of ${o.url} (${auth.kind === 'sigv4' ? `SigV4, ${auth.region}` : auth.kind === 'api-key' ? 'x-api-key' : 'unsigned'})`,
    );
    const print = (r: SmokeResult) => console.log(`${r.ok ? 'PASS' : 'FAIL'}  ${r.check} — ${r.detail}`);
    const results = await runSmoke({ baseUrl: o.url, auth, instances, expectLabels, onResult: print });

    const failed = results.filter((r) => !r.ok);
    console.log(
      failed.length === 0
        ? `smoke: all ${results.length} checks passed`
        : `smoke: ${failed.length} of ${results.length} checks failed: ${failed.map((r) => r.check).join('; ')}`,
    );
    return failed.length === 0 ? 0 : 1;
  },
});
