import * as fs from 'fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { FALLBACK_MESSAGE } from '../../contract/handlers';
import { UsageError } from '../cli';
import { localAwsConfig } from '../local/local-aws';
import { backfill, BackfillCounts } from './backfill';
import { readLogMessages } from './log-messages';

/**
 * `npm run backfill`: the records the prediction function could not write (its fallback
 * lines) put back into the table. Exit codes: 0 every record read is in the table; 1 some
 * could not be written (run again later: nothing is written twice); 2 a usage mistake;
 * 3 all were written but some lines were refused (edited or damaged: see the messages).
 */
export const BACKFILL_OPTIONS = {
  table: { type: 'string', value: 'NAME', description: 'the metadata table (npm run outputs prints it as tableName)' },
  from: {
    type: 'string',
    value: 'FILE|DIR|-',
    description: 'log lines: a file, a folder (recursively; .gz read too) or - for standard input',
  },
  'dry-run': { type: 'boolean', description: 'read and check the lines, count what would be written, send nothing' },
  'endpoint-url': {
    type: 'string',
    value: 'URL',
    description: "a DynamoDB-compatible endpoint (the local pipeline's dynalite); local URLs need no credentials",
  },
  region: { type: 'string', value: 'REGION', description: "the table's region (default: AWS_REGION / AWS_DEFAULT_REGION)" },
  'log-group': {
    type: 'string',
    value: 'NAME',
    description: "read the function's log group with FilterLogEvents instead of --from (needs @aws-sdk/client-cloudwatch-logs)",
  },
  start: { type: 'string', value: 'ISO-TIME', description: 'with --log-group: from this time' },
} as const;

export const BACKFILL_HELP = {
  usage: 'npm run backfill -- --table NAME --from FILE|DIR|- [--dry-run] [--endpoint-url URL] [--region REGION]',
  summary: `Puts the records of the prediction function's fallback lines ("${FALLBACK_MESSAGE}") back into the table, each only if its key is free: running it again writes nothing twice.`,
  notes: [
    "Reads the function's JSON log lines as they come: plain lines, `aws logs filter-log-events --output json` documents,",
    "CloudWatch Logs exports to S3 (timestamp-prefixed, gzip) and the local pipeline's .local/STAGE/logs/pipeline.jsonl.",
    'Exit codes: 0 all records are in the table, 1 some writes failed (run again), 2 usage, 3 some lines were refused.',
  ],
  examples: [
    'aws logs filter-log-events --log-group-name /aws/lambda/inference-prod-predict --filter-pattern \'{ $.message = "inference record kept in log" }\' --output json > fallback.json',
    'npm run backfill -- --table inference-prod-inferences --from fallback.json --dry-run',
    'npm run backfill -- --table inference-dev-inferences --from .local/dev/logs/pipeline.jsonl --endpoint-url http://127.0.0.1:8000',
  ],
};

export interface BackfillArgs {
  readonly table?: string;
  readonly from?: string;
  readonly 'dry-run': boolean;
  readonly 'endpoint-url'?: string;
  readonly region?: string;
  readonly 'log-group'?: string;
  readonly start?: string;
}

export interface BackfillIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly stdin?: NodeJS.ReadableStream;
}

export async function runBackfill(args: BackfillArgs, io: BackfillIo): Promise<number> {
  const env = io.env ?? process.env;
  if (!args.table) throw new UsageError('missing --table NAME');
  if (args['log-group'] !== undefined || args.start !== undefined) {
    throw new UsageError(
      '--log-group needs @aws-sdk/client-cloudwatch-logs, which this project does not install; export the lines instead ' +
        '(aws logs filter-log-events ... --output json > FILE) and pass --from FILE',
    );
  }
  if (!args.from) throw new UsageError('missing --from FILE|DIR|-');
  if (args.from !== '-' && !fs.existsSync(args.from)) throw new UsageError(`--from ${args.from}: no such file or folder`);

  const dryRun = args['dry-run'];
  const client = dryRun ? undefined : tableClient(args, env);
  try {
    const counts = await backfill(readLogMessages(args.from, io.stdin), {
      tableName: args.table,
      client,
      onProblem: ({ where, reason, requestId }) => io.err(`${where}: ${requestId ? `request ${requestId}: ` : ''}${reason}`),
    });
    report(counts, dryRun, io.out);
    if (counts.failed > 0) return 1;
    return counts.invalid > 0 ? 3 : 0;
  } finally {
    client?.destroy();
  }
}

function tableClient(args: BackfillArgs, env: Readonly<Record<string, string | undefined>>): DynamoDBDocumentClient {
  const endpoint = args['endpoint-url'];
  const local = endpoint !== undefined && /^https?:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/|$)/.test(endpoint);
  const region = args.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? (local ? localAwsConfig().region : undefined);
  if (!region) throw new UsageError('no region: pass --region REGION or set AWS_REGION');
  // A local emulator takes any signature: no need to look for credentials there.
  const credentials = local && !env.AWS_ACCESS_KEY_ID ? localAwsConfig().credentials : undefined;
  // One attempt per send: the backfill's own retries (shared/retry.ts) make the others.
  const raw = new DynamoDBClient({ region, endpoint, credentials, maxAttempts: 1 });
  return DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
}

function report(c: BackfillCounts, dryRun: boolean, out: (line: string) => void): void {
  out(`fallback lines found: ${c.found}`);
  if (dryRun) out(`  would write:      ${c.wouldWrite} (dry run: nothing was sent)`);
  else {
    out(`  written:          ${c.written}`);
    out(`  already present:  ${c.alreadyPresent}`);
    out(`  failed:           ${c.failed}`);
  }
  out(`  invalid:          ${c.invalid}`);
  out(`  duplicates:       ${c.duplicates}`);
}
