/**
 * A local stand-in for the two AWS APIs `npm run analyze -- --aws` calls, speaking their
 * wire protocols (JSON over HTTP, `X-Amz-Target`), so the real SDK clients run unchanged:
 *
 * - DynamoDB: DescribeTable, DescribeContinuousBackups, ListExports, DescribeExport,
 *   ExportTableToPointInTime (which writes the export's files as DynamoDB lays them out:
 *   `<prefix>/AWSDynamoDB/<id>/data/*.json.gz`, `{"Item":...}` lines for a full export,
 *   `{"Metadata","Keys","NewImage"}` lines for an incremental one; it completes after two
 *   DescribeExport calls), and Query (the deployment records).
 * - Athena: GetWorkGroup, StartQueryExecution, GetQueryExecution (RUNNING once, then
 *   SUCCEEDED or FAILED), GetQueryResults (header row on the first page, small pages).
 *
 * What Athena would run is run by DuckDB over the exported files: the `export_items` view
 * statement names the exports to read; the Athena-dialect views are acknowledged (DuckDB's
 * own equivalents are built); the queries, the project's shared SQL files, run as sent.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { gzipSync } from 'node:zlib';
import { AddressInfo } from 'node:net';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { InferenceRecord } from '../../lambda/shared/record';
import { DuckDbEngine } from '../../tools/analyze/duckdb-engine';

export interface FakeAwsOptions {
  readonly root: string;
  readonly tableName: string;
  readonly bucket: string;
  readonly pitr: boolean;
  /** What the table holds now; an export writes the records created before its time. */
  readonly records: () => readonly InferenceRecord[];
  readonly deployments: readonly Record<string, unknown>[];
  /** Rows per GetQueryResults page (Athena: up to 1,000). */
  readonly pageRows?: number;
}

interface FakeExport {
  description: Record<string, unknown>;
  describes: number;
}

export interface FakeAws {
  readonly url: string;
  readonly calls: string[];
  readonly queries: string[];
  readonly exports: Map<string, FakeExport>;
  close(): Promise<void>;
}

export async function startFakeAws(o: FakeAwsOptions): Promise<FakeAws> {
  const tableArn = `arn:aws:dynamodb:us-east-1:000000000000:table/${o.tableName}`;
  const calls: string[] = [];
  const queries: string[] = [];
  const exports = new Map<string, FakeExport>();
  const executions = new Map<
    string,
    { sql: string; polls: number; result?: { columns: string[]; rows: Record<string, string | null>[] }; error?: string; type: string }
  >();
  let engine: DuckDbEngine | undefined;
  let counter = 0;

  const dynamo: Record<string, (b: any) => unknown> = {
    DescribeTable: (b) =>
      b.TableName === o.tableName
        ? {
            Table: {
              TableName: o.tableName,
              TableArn: tableArn,
              SSEDescription: { Status: 'ENABLED', SSEType: 'KMS', KMSMasterKeyArn: 'arn:aws:kms:us-east-1:000000000000:key/records' },
            },
          }
        : fault('ResourceNotFoundException', 'no table'),
    DescribeContinuousBackups: () => ({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: o.pitr ? 'ENABLED' : 'DISABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: o.pitr ? 'ENABLED' : 'DISABLED' },
      },
    }),
    ListExports: () => ({
      ExportSummaries: [...exports.values()].map((e) => ({
        ExportArn: e.description.ExportArn,
        ExportStatus: e.description.ExportStatus,
        ExportType: e.description.ExportType,
      })),
    }),
    DescribeExport: (b) => {
      const e = exports.get(b.ExportArn);
      if (!e) return fault('ExportNotFoundException', 'no export');
      if (++e.describes >= 2 && e.description.ExportStatus === 'IN_PROGRESS')
        e.description = { ...e.description, ExportStatus: 'COMPLETED', EndTime: Date.now() / 1000 };
      return { ExportDescription: e.description };
    },
    ExportTableToPointInTime: (b) => {
      if (!o.pitr) return fault('PointInTimeRecoveryUnavailableException', 'Point in time recovery is not enabled for table');
      const id = `${String(Date.now()).padStart(14, '0')}-${(++counter).toString(16).padStart(8, '0')}`;
      const arn = `${tableArn}/export/${id}`;
      const incremental = b.ExportType === 'INCREMENTAL_EXPORT';
      const from = incremental ? b.IncrementalExportSpecification.ExportFromTime * 1000 : 0;
      const to = incremental ? b.IncrementalExportSpecification.ExportToTime * 1000 : b.ExportTime * 1000;
      const items = o.records().filter((r) => Date.parse(r.createdAt) >= from && Date.parse(r.createdAt) < to);
      const lines = items.map((r) =>
        JSON.stringify(
          incremental
            ? {
                Metadata: { WriteTimeMicros: { N: String(Date.parse(r.createdAt) * 1000) } },
                Keys: marshall({ pk: r.pk, sk: r.sk }),
                NewImage: marshall(r, { removeUndefinedValues: true }),
              }
            : { Item: marshall(r, { removeUndefinedValues: true }) },
        ),
      );
      const dir = path.join(o.root, b.S3Bucket, b.S3Prefix, 'AWSDynamoDB', id, 'data');
      fs.mkdirSync(dir, { recursive: true });
      // Two files, as a table of two partitions exports.
      const half = Math.ceil(lines.length / 2);
      fs.writeFileSync(
        path.join(dir, 'part-a.json.gz'),
        gzipSync(
          lines
            .slice(0, half)
            .map((l) => `${l}\n`)
            .join(''),
        ),
      );
      fs.writeFileSync(
        path.join(dir, 'part-b.json.gz'),
        gzipSync(
          lines
            .slice(half)
            .map((l) => `${l}\n`)
            .join(''),
        ),
      );
      const description = {
        ExportArn: arn,
        ExportStatus: 'IN_PROGRESS',
        ExportType: b.ExportType ?? 'FULL_EXPORT',
        TableArn: tableArn,
        S3Bucket: b.S3Bucket,
        S3Prefix: b.S3Prefix,
        S3SseAlgorithm: b.S3SseAlgorithm,
        S3SseKmsKeyId: b.S3SseKmsKeyId,
        ExportFormat: b.ExportFormat,
        ItemCount: items.length,
        StartTime: Date.now() / 1000,
        ...(incremental
          ? { IncrementalExportSpecification: b.IncrementalExportSpecification, ExportTime: b.IncrementalExportSpecification.ExportToTime }
          : { ExportTime: b.ExportTime }),
      };
      exports.set(arn, { description, describes: 0 });
      return { ExportDescription: description };
    },
    Query: () => ({ Items: o.deployments.map((d) => marshall(d, { removeUndefinedValues: true })), Count: o.deployments.length }),
  };

  const athena: Record<string, (b: any) => unknown> = {
    GetWorkGroup: (b) => ({
      WorkGroup: {
        Name: b.WorkGroup,
        State: 'ENABLED',
        Configuration: { EnforceWorkGroupConfiguration: true, ResultConfiguration: { OutputLocation: `s3://${o.bucket}/athena-results/` } },
      },
    }),
    StartQueryExecution: async (b) => {
      const id = `q-${++counter}`;
      const sql = String(b.QueryString);
      queries.push(sql);
      const execution: {
        sql: string;
        polls: number;
        result?: { columns: string[]; rows: Record<string, string | null>[] };
        error?: string;
        type: string;
      } = { sql, polls: 0, type: /^\s*CREATE/i.test(sql) ? 'DDL' : 'DML' };
      try {
        if (/CREATE OR REPLACE VIEW export_items/i.test(sql)) await openEngine(sql);
        else if (execution.type === 'DML') {
          if (!engine) throw new Error('TABLE_NOT_FOUND: export_items');
          const r = await engine.query(sql);
          execution.result = { columns: [...r.columns], rows: r.rows.map((row) => ({ ...row })) };
        }
      } catch (error) {
        execution.error = (error as Error).message.split('\n')[0];
      }
      executions.set(id, execution);
      return { QueryExecutionId: id };
    },
    GetQueryExecution: (b) => {
      const e = executions.get(b.QueryExecutionId)!;
      const state = e.polls++ === 0 ? 'RUNNING' : e.error ? 'FAILED' : 'SUCCEEDED';
      return {
        QueryExecution: {
          QueryExecutionId: b.QueryExecutionId,
          Query: e.sql,
          StatementType: e.type,
          Status: { State: state, StateChangeReason: state === 'FAILED' ? e.error : undefined },
          Statistics: { DataScannedInBytes: state === 'SUCCEEDED' ? 10_485_760 : 0 },
        },
      };
    },
    GetQueryResults: (b) => {
      const e = executions.get(b.QueryExecutionId)!;
      const pageRows = Math.min(b.MaxResults ?? 1000, o.pageRows ?? 1000);
      const all = [e.result!.columns, ...e.result!.rows.map((row) => e.result!.columns.map((c) => row[c]))];
      const start = b.NextToken ? Number(b.NextToken) : 0;
      const page = all.slice(start, start + pageRows);
      const next = start + pageRows < all.length ? String(start + pageRows) : undefined;
      return {
        ResultSet: {
          Rows: page.map((cells) => ({ Data: cells.map((v) => (v === null ? {} : { VarCharValue: String(v) })) })),
          ResultSetMetadata: { ColumnInfo: e.result!.columns.map((c) => ({ Name: c, Type: 'varchar' })) },
        },
        NextToken: next,
      };
    },
  };

  /** DuckDB over the exports the view names; incremental lines' NewImage read as items. */
  async function openEngine(viewSql: string): Promise<void> {
    const ids = [...viewSql.matchAll(/'([0-9A-Za-z-]+)'/g)].map((m) => m[1]);
    const dir = fs.mkdtempSync(path.join(o.root, 'athena-'));
    for (const id of ids) {
      const entry = [...exports.values()].find((e) => String(e.description.ExportArn).endsWith(`/${id}`));
      if (!entry) throw new Error(`no export ${id}`);
      const src = path.join(o.root, o.bucket, String(entry.description.S3Prefix), 'AWSDynamoDB', id, 'data');
      const dst = path.join(dir, 'AWSDynamoDB', id, 'data');
      fs.mkdirSync(dst, { recursive: true });
      for (const f of fs.readdirSync(src)) {
        const text = zlib.gunzipSync(fs.readFileSync(path.join(src, f))).toString('utf8');
        const lines = text
          .split('\n')
          .filter(Boolean)
          .map((l) => {
            const j = JSON.parse(l);
            return JSON.stringify(j.Item ? j : { Item: j.NewImage });
          });
        fs.writeFileSync(path.join(dst, f), gzipSync(lines.map((l) => `${l}\n`).join('')));
      }
    }
    await engine?.close();
    engine = await DuckDbEngine.open(dir);
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const [service, op] = target.split('.');
      calls.push(op);
      const table = service === 'AmazonAthena' ? athena : dynamo;
      const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {};
      const answer = table[op] ? await table[op](body) : fault('UnknownOperationException', op);
      const isFault = typeof answer === 'object' && answer !== null && '__type' in answer;
      res.writeHead(isFault ? 400 : 200, {
        'content-type': service === 'AmazonAthena' ? 'application/x-amz-json-1.1' : 'application/x-amz-json-1.0',
      });
      res.end(JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    queries,
    exports,
    close: async () => {
      await engine?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function fault(type: string, message: string) {
  return { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message };
}
