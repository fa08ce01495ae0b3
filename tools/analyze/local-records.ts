/**
 * The local table's records as a DynamoDB export lays them out, so DuckDB reads the same
 * files it would read from S3: the inference items (real SDK Scan against dynalite, items in
 * DynamoDB JSON as Scan returns them) written as `AWSDynamoDB/<id>/data/*.json.gz`, one
 * `{"Item":{...}}` per line ("DynamoDB table export output format",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/S3DataExport.Output.html).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createGzip } from 'node:zlib';
import { once } from 'node:events';
import { AttributeValue, DynamoDBClient, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { DEPLOYMENT_PK, TABLE_KEYS } from '../../contract/table-design';

/** Items per data file: several files, as an export of a partitioned table has. */
const ITEMS_PER_FILE = 50_000;

export interface ExportLayout {
  readonly dir: string;
  readonly exportId: string;
  readonly itemCount: number;
  readonly files: number;
}

/** Writes items (DynamoDB JSON) as one export under `dir`; returns where and how many. */
export class ExportWriter {
  private gzip?: ReturnType<typeof createGzip>;
  private inFile = 0;
  private fileCount = 0;
  private count = 0;
  private readonly dataDir: string;

  constructor(
    readonly dir: string,
    readonly exportId: string,
  ) {
    this.dataDir = path.join(dir, 'AWSDynamoDB', exportId, 'data');
    fs.mkdirSync(this.dataDir, { recursive: true });
  }

  async write(item: Record<string, AttributeValue>): Promise<void> {
    if (!this.gzip || this.inFile >= ITEMS_PER_FILE) await this.nextFile();
    this.inFile++;
    this.count++;
    if (!this.gzip!.write(`${JSON.stringify({ Item: item })}\n`)) await once(this.gzip!, 'drain');
  }

  async close(): Promise<ExportLayout> {
    await this.endFile();
    if (this.fileCount === 0) {
      // "For partitions that are empty, your export request will create an empty file."
      await this.nextFile();
      await this.endFile();
    }
    const summary = {
      version: '2020-06-30',
      exportArn: `local:${this.exportId}`,
      itemCount: this.count,
      outputFormat: 'DYNAMODB_JSON',
      exportType: 'FULL_EXPORT',
    };
    fs.writeFileSync(path.join(this.dir, 'AWSDynamoDB', this.exportId, 'manifest-summary.json'), `${JSON.stringify(summary)}\n`);
    return { dir: this.dir, exportId: this.exportId, itemCount: this.count, files: this.fileCount };
  }

  private async nextFile(): Promise<void> {
    await this.endFile();
    this.gzip = createGzip({ level: 1 });
    const out = fs.createWriteStream(path.join(this.dataDir, `${String(this.fileCount).padStart(5, '0')}.json.gz`));
    this.gzip.pipe(out);
    this.closing = once(out, 'close').then(() => undefined);
    this.fileCount++;
    this.inFile = 0;
  }

  private closing?: Promise<void>;

  private async endFile(): Promise<void> {
    if (!this.gzip) return;
    this.gzip.end();
    await this.closing;
    this.gzip = undefined;
  }
}

/** Scans the table's inference records into an export layout under `dir`. */
export async function exportLocalTable(client: DynamoDBClient, tableName: string, dir: string): Promise<ExportLayout> {
  const writer = new ExportWriter(dir, `local-${Date.now()}`);
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'begins_with(#pk, :inference)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':inference': { S: 'INFERENCE#' } },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) await writer.write(item);
    start = page.LastEvaluatedKey;
  } while (start);
  return writer.close();
}

export interface DeploymentSummary {
  readonly modelVersion: string;
  readonly deployedAt: string;
  readonly trainingStats?: unknown;
}

/** The newest deployment record of each model version (they keep the training statistics). */
export async function latestDeployments(client: DynamoDBClient, tableName: string): Promise<Map<string, DeploymentSummary>> {
  const out = new Map<string, DeploymentSummary>();
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':pk': { S: DEPLOYMENT_PK } },
        ScanIndexForward: false,
        ExclusiveStartKey: start,
      }),
    );
    for (const raw of page.Items ?? []) {
      const d = unmarshall(raw) as { modelVersion?: string; deployedAt?: string; trainingStats?: unknown };
      if (d.modelVersion && d.deployedAt && !out.has(d.modelVersion))
        out.set(d.modelVersion, { modelVersion: d.modelVersion, deployedAt: d.deployedAt, trainingStats: d.trainingStats });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return out;
}
