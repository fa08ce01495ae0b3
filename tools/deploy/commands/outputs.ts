#!/usr/bin/env node
/**
 * `npm run outputs -- --stage dev [--json]`: what a client of the stage needs — API URL,
 * region, table, endpoint, dashboard, alarm topic — read from the deployed stacks' outputs.
 */
import { UsageError, loadStage, parseContextPairs, runCommand } from '../../cli';
import type { StageOutputs } from '../stack-outputs';

const options = {
  stage: { type: 'string', value: 'NAME', description: 'stage to read: dev, prod, or one defined in cdk.json' },
  json: { type: 'boolean', description: 'print one JSON object (for scripts: ... --json | jq -r .apiUrl)' },
  region: { type: 'string', value: 'REGION', description: "region of the stacks (default: the stage's, else AWS_REGION)" },
  profile: { type: 'string', value: 'NAME', description: 'AWS profile to use (default: AWS_PROFILE or the default chain)' },
  context: { type: 'list', short: 'c', value: 'KEY=VALUE', description: 'override a setting, as with cdk (e.g. -c project=other)' },
} as const;

void runCommand({
  name: 'outputs',
  options,
  help: {
    usage: 'npm run outputs -- --stage NAME [--json]',
    summary: "Prints the deployed stage's API URL, region, table, endpoint, dashboard URL and alarm topic (CloudFormation DescribeStacks).",
    examples: ['npm run outputs -- --stage dev', 'npm run --silent outputs -- --stage prod --json | jq -r .apiUrl'],
  },
  async run(o) {
    if (!o.stage) throw new UsageError('missing --stage (dev, prod, or a stage defined in cdk.json)');
    if (o.profile) process.env.AWS_PROFILE = o.profile;
    const config = loadStage(o.stage, parseContextPairs(o.context));
    const region = await awsEnv().resolveRegion(config, o.region);
    const out = await stackOutputs().readStageOutputs(config, region);

    if (o.json) {
      console.log(JSON.stringify(out, null, 2));
    } else {
      printTable(out);
    }
    for (const name of out.missing) {
      console.error(`outputs: stack ${name} is not deployed in ${region} (deploy it: npm run deploy -- --stage ${config.stage})`);
    }
    for (const s of out.unsettled) console.error(`outputs: stack ${s.name} is ${s.status}; its outputs may be missing or stale`);
    return out.missing.length === 0 ? 0 : 1;
  },
});

function printTable(out: StageOutputs): void {
  const rows: Array<[string, string | undefined]> = [
    ['API URL', out.apiUrl],
    ['region', out.region],
    ['table', out.tableName],
    ['endpoint', out.endpointName],
    ['predict function', out.predictFunctionName],
    ['API key id', out.apiKeyId],
    ['dashboard', out.dashboardUrl],
    ['alarm topic', out.alarmTopicArn],
    ['audit event data store', out.eventDataStoreArn],
    ['CI deploy role', out.deployRoleArn],
    ['CI diff role', out.diffRoleArn],
  ];
  const shown = rows.filter(([, v]) => v !== undefined) as Array<[string, string]>;
  if (shown.length === 0) return;
  const width = Math.max(...shown.map(([k]) => k.length));
  console.log(`stage ${out.stage}`);
  for (const [k, v] of shown) console.log(`  ${k.padEnd(width)}  ${v}`);
}

/*
 * The AWS SDK loads once the options are good: `--help` and a usage error start without it.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loads, see above */
function awsEnv(): typeof import('../aws-env') {
  return require('../aws-env');
}
function stackOutputs(): typeof import('../stack-outputs') {
  return require('../stack-outputs');
}
/* eslint-enable @typescript-eslint/no-require-imports */
