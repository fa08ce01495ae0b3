/**
 * Starts or reuses the table's point-in-time export to S3, and reports its progress: a full
 * export (reused while younger than the given age), then incremental exports that carry the
 * changes since. Exports need point-in-time recovery; an incremental export covers 15
 * minutes to 24 hours ("Introducing incremental export from Amazon DynamoDB to Amazon S3",
 * https://aws.amazon.com/blogs/database/introducing-incremental-export-from-amazon-dynamodb-to-amazon-s3/:
 * "Pick an export period for which you want to export changed data, from 15 minutes up to
 * 24 hours"; ExportFromTime inclusive, ExportToTime exclusive: "IncrementalExportSpecification",
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_IncrementalExportSpecification.html).
 */
import {
  DescribeContinuousBackupsCommand,
  DescribeExportCommand,
  DynamoDBClient,
  ExportDescription,
  ExportTableToPointInTimeCommand,
  ListExportsCommand,
} from '@aws-sdk/client-dynamodb';

export const MIN_INCREMENT_MS = 15 * 60_000;
export const MAX_INCREMENT_MS = 24 * 3_600_000;

export interface ExportTarget {
  readonly tableArn: string;
  readonly bucket: string;
  /** Key prefix of the exports (the Glue tables read `<prefix>/AWSDynamoDB/<id>/data/`). */
  readonly prefix: string;
  /** The records' KMS key: exports are encrypted with it. */
  readonly kmsKeyArn?: string;
}

export interface ExportSet {
  /** The full export the analysis reads, and the incremental ones after it, oldest first. */
  readonly fullExportId: string;
  readonly incrementalExportIds: readonly string[];
  /** Up to when the exports cover the table. */
  readonly coversUntil: string;
  readonly itemCount: number;
}

export interface ExportOptions {
  readonly maxExportAgeHours: number;
  readonly progress: (line: string) => void;
  readonly now: () => Date;
  /** Between DescribeExport polls. @default 10 s */
  readonly pollMs?: number;
  /** Give up waiting after this long. @default 2 h */
  readonly timeoutMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export class ExportError extends Error {
  override readonly name = 'ExportError';
}

/** The export id: the last part of its ARN (`.../table/T/export/<id>`), the folder DynamoDB writes. */
export function exportIdOf(exportArn: string): string {
  return exportArn.slice(exportArn.lastIndexOf('/') + 1);
}

export async function ensureExports(client: DynamoDBClient, target: ExportTarget, options: ExportOptions): Promise<ExportSet> {
  const now = options.now();
  const all = await describeAll(client, target);
  const ours = all.filter((e) => e.S3Bucket === target.bucket && (e.S3Prefix ?? '') === target.prefix && e.ExportStatus !== 'FAILED');
  const fulls = ours
    .filter((e) => (e.ExportType ?? 'FULL_EXPORT') === 'FULL_EXPORT')
    .sort((a, b) => time(b.ExportTime) - time(a.ExportTime));
  let full = fulls.find((e) => now.getTime() - time(e.ExportTime) <= options.maxExportAgeHours * 3_600_000);

  if (full) {
    options.progress(`reusing full export ${exportIdOf(full.ExportArn!)} of ${full.ExportTime?.toISOString()} (${full.ExportStatus})`);
  } else {
    await requirePitr(client, target.tableArn);
    const started = await client.send(
      new ExportTableToPointInTimeCommand({
        TableArn: target.tableArn,
        S3Bucket: target.bucket,
        S3Prefix: target.prefix,
        ExportFormat: 'DYNAMODB_JSON',
        ExportType: 'FULL_EXPORT',
        ExportTime: now,
        ...(target.kmsKeyArn ? { S3SseAlgorithm: 'KMS', S3SseKmsKeyId: target.kmsKeyArn } : { S3SseAlgorithm: 'AES256' }),
        ClientToken: `analyze-full-${Math.floor(now.getTime() / 60_000)}`,
      }),
    );
    full = started.ExportDescription!;
    options.progress(`started full export ${exportIdOf(full.ExportArn!)} of ${now.toISOString()}`);
  }
  full = await waitFor(client, full, options);

  // Incremental exports since the full one: reuse those that chain, add one for the time since.
  const increments = ours
    .filter(
      (e) => e.ExportType === 'INCREMENTAL_EXPORT' && time(e.IncrementalExportSpecification?.ExportFromTime) >= time(full!.ExportTime),
    )
    .sort((a, b) => time(a.IncrementalExportSpecification?.ExportFromTime) - time(b.IncrementalExportSpecification?.ExportFromTime));
  const chain: ExportDescription[] = [];
  let until = time(full.ExportTime);
  for (const inc of increments) {
    if (time(inc.IncrementalExportSpecification?.ExportFromTime) !== until) continue;
    chain.push(await waitFor(client, inc, options));
    until = time(inc.IncrementalExportSpecification?.ExportToTime);
  }
  while (now.getTime() - until >= MIN_INCREMENT_MS) {
    const to = Math.min(now.getTime(), until + MAX_INCREMENT_MS);
    const started = await client.send(
      new ExportTableToPointInTimeCommand({
        TableArn: target.tableArn,
        S3Bucket: target.bucket,
        S3Prefix: target.prefix,
        ExportFormat: 'DYNAMODB_JSON',
        ExportType: 'INCREMENTAL_EXPORT',
        IncrementalExportSpecification: { ExportFromTime: new Date(until), ExportToTime: new Date(to), ExportViewType: 'NEW_IMAGE' },
        ...(target.kmsKeyArn ? { S3SseAlgorithm: 'KMS', S3SseKmsKeyId: target.kmsKeyArn } : { S3SseAlgorithm: 'AES256' }),
        ClientToken: `analyze-inc-${until}-${to}`,
      }),
    );
    options.progress(
      `started incremental export ${exportIdOf(started.ExportDescription!.ExportArn!)} for ${new Date(until).toISOString()} to ${new Date(to).toISOString()}`,
    );
    chain.push(await waitFor(client, started.ExportDescription!, options));
    until = to;
  }
  return {
    fullExportId: exportIdOf(full.ExportArn!),
    incrementalExportIds: chain.map((e) => exportIdOf(e.ExportArn!)),
    coversUntil: new Date(until).toISOString(),
    itemCount: (full.ItemCount ?? 0) + chain.reduce((n, e) => n + (e.ItemCount ?? 0), 0),
  };
}

async function describeAll(client: DynamoDBClient, target: ExportTarget): Promise<ExportDescription[]> {
  const arns: string[] = [];
  let next: string | undefined;
  do {
    const page = await client.send(new ListExportsCommand({ TableArn: target.tableArn, NextToken: next }));
    for (const s of page.ExportSummaries ?? []) if (s.ExportArn) arns.push(s.ExportArn);
    next = page.NextToken;
  } while (next);
  const out: ExportDescription[] = [];
  for (const arn of arns) {
    const d = await client.send(new DescribeExportCommand({ ExportArn: arn }));
    if (d.ExportDescription) out.push(d.ExportDescription);
  }
  return out;
}

async function requirePitr(client: DynamoDBClient, tableArn: string): Promise<void> {
  const tableName = tableArn.slice(tableArn.indexOf('/') + 1);
  const d = await client.send(new DescribeContinuousBackupsCommand({ TableName: tableName }));
  if (d.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus !== 'ENABLED') {
    throw new ExportError(
      `table ${tableName} has point-in-time recovery off, and DynamoDB exports a table only from it: deploy with table.pointInTimeRecovery=true (analytics.enabled needs it)`,
    );
  }
}

async function waitFor(client: DynamoDBClient, e: ExportDescription, options: ExportOptions): Promise<ExportDescription> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const started = Date.now();
  let current = e;
  while (current.ExportStatus === 'IN_PROGRESS') {
    if (Date.now() - started > (options.timeoutMs ?? 7_200_000))
      throw new ExportError(
        `export ${exportIdOf(current.ExportArn!)} is still in progress after ${Math.round((Date.now() - started) / 60_000)} min; run again later to reuse it`,
      );
    await sleep(options.pollMs ?? 10_000);
    current = (await client.send(new DescribeExportCommand({ ExportArn: current.ExportArn }))).ExportDescription!;
    options.progress(
      `export ${exportIdOf(current.ExportArn!)}: ${current.ExportStatus}${current.ItemCount !== undefined ? `, ${current.ItemCount} items` : ''} (${Math.round((Date.now() - started) / 1000)} s)`,
    );
  }
  if (current.ExportStatus !== 'COMPLETED') {
    throw new ExportError(
      `export ${exportIdOf(current.ExportArn!)} ended ${current.ExportStatus}: ${current.FailureCode ?? ''} ${current.FailureMessage ?? ''}`.trim(),
    );
  }
  return current;
}

function time(d: Date | undefined): number {
  return d ? d.getTime() : 0;
}
