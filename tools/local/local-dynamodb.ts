import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  DeleteItemCommand,
  UpdateTimeToLiveCommand,
  AttributeValue,
} from '@aws-sdk/client-dynamodb';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import { crc32 } from 'zlib';
import { Level } from 'level';
import { TABLE_DEFINITION, TABLE_KEYS } from '../../contract/table-design';
import { closeServer, listen, readBody } from './http-server';
import { localAwsConfig } from './local-aws';
import { LocalError } from './local-error';
import type { ServiceMetrics } from './service-metrics';

// dynalite ships no types; this is the part of its API the pipeline uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite has no ES module entry and no types
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => import('http').Server;

/** Faults a test (or the local admin route) switches on: the table refusing writes. */
export interface TableFaults {
  /** `throttle`: 400 ProvisionedThroughputExceededException; `system-error`: 500 InternalServerError. */
  refuseWrites?: 'throttle' | 'system-error';
}

export interface LocalDynamoDb {
  readonly url: string;
  readonly client: DynamoDBClient;
  /** Live: change a field and the next request sees it. */
  readonly faults: TableFaults;
  /** Deletes the expired items now (the background sweep calls this); returns how many went. */
  sweepExpired(): Promise<number>;
  close(): Promise<void>;
}

export interface LocalDynamoDbOptions {
  readonly tableName: string;
  readonly dataDir?: string;
  readonly port?: number;
  /** TTL as the stack defines it (its TimeToLiveSpecification). @default the table design's ttl attribute, enabled */
  readonly timeToLive?: { readonly attributeName: string; readonly enabled: boolean };
  /** How often expired items are swept. @default 60 s */
  readonly ttlSweepMs?: number;
  readonly metrics?: ServiceMetrics;
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'expect', 'upgrade']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const WITH_CAPACITY = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'Query', 'Scan']);

/**
 * dynalite, a DynamoDB-compatible server, persisting to `dataDir` (or in memory), with the
 * metadata table created from the same definition the CDK stack deploys, behind a thin
 * proxy that adds what dynalite lacks:
 * - the table's AWS/DynamoDB metrics per Operation: SuccessfulRequestLatency (ms),
 *   ThrottledRequests, SystemErrors, ConsumedRead/WriteCapacityUnits;
 * - TTL: UpdateTimeToLive / DescribeTimeToLive, and a sweep that deletes expired items. "DynamoDB
 *   typically deletes expired items within two days of expiration" and "Items that have expired
 *   and not been deleted will still show up in reads, queries, and scans" (UpdateTimeToLive,
 *   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html):
 *   the local sweep runs every minute, well within that delay, and reads still see an expired
 *   item until it runs;
 * - faults: refusing writes, as a throttled or failing table does.
 */
export async function startLocalDynamoDb(opts: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  if (opts.dataDir) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    await checkDataFolder(opts.dataDir);
  }
  const backend = dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(backend, 0, 'DynamoDB (dynalite)');
  const backendPort = (backend.address() as AddressInfo).port;
  const backendUrl = `http://127.0.0.1:${backendPort}`;
  const faults: TableFaults = {};
  const ttl = new Map<string, string>();

  const proxy = http.createServer(async (req, res) => {
    const body = await readBody(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- DynamoDB's JSON requests, read field by field as the service does
    let data: Record<string, any> = {};
    try {
      data = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      // dynalite answers the malformed body itself.
    }
    const tableName: string | undefined = typeof data.TableName === 'string' ? data.TableName : undefined;
    const dims = { TableName: tableName ?? opts.tableName, Operation: operation };
    const emit = (name: string, value: number, unit: 'Count' | 'Milliseconds') => opts.metrics?.emit('table', name, value, unit, dims);

    if (operation === 'UpdateTimeToLive' || operation === 'DescribeTimeToLive') return answerTtl(res, operation, data, ttl);
    if (faults.refuseWrites && WRITES.has(operation)) {
      if (faults.refuseWrites === 'throttle') {
        // "A throttled request will result in an HTTP 400 status code. All such events are reflected in the ThrottledRequests metric".
        emit('ThrottledRequests', 1, 'Count');
        return send(res, 400, {
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message:
            'The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.',
        });
      }
      // "Requests to DynamoDB ... that generate an HTTP 500 status code" count as SystemErrors.
      emit('SystemErrors', 1, 'Count');
      return send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' });
    }

    // Ask dynalite for the consumed capacity, and hand the client only what it asked for.
    const askedCapacity = data.ReturnConsumedCapacity;
    const forward =
      WITH_CAPACITY.has(operation) && !askedCapacity ? Buffer.from(JSON.stringify({ ...data, ReturnConsumedCapacity: 'TOTAL' })) : body;
    const started = performance.now();
    let answer: { status: number; headers: http.IncomingHttpHeaders; body: Buffer };
    try {
      answer = await forwardTo(backendPort, req, forward);
    } catch {
      emit('SystemErrors', 1, 'Count');
      return send(res, 500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal server error' });
    }
    const latencyMs = performance.now() - started;
    let text = answer.body.toString('utf8');
    if (answer.status < 300) {
      emit('SuccessfulRequestLatency', latencyMs, 'Milliseconds');
      // Only answers that carry capacity are parsed again.
      if (text.includes('"ConsumedCapacity"')) {
        try {
          const parsed = JSON.parse(text);
          const units = parsed.ConsumedCapacity?.CapacityUnits;
          if (typeof units === 'number' && tableName)
            emit(WRITES.has(operation) ? 'ConsumedWriteCapacityUnits' : 'ConsumedReadCapacityUnits', units, 'Count');
          if (!askedCapacity) {
            delete parsed.ConsumedCapacity;
            text = JSON.stringify(parsed);
          }
        } catch {
          // Not JSON: pass it through as it came.
        }
      }
    } else if (answer.status >= 500) {
      emit('SystemErrors', 1, 'Count');
    }
    const out = Buffer.from(text);
    res.writeHead(answer.status, {
      'content-type': answer.headers['content-type'] ?? 'application/x-amz-json-1.0',
      'content-length': out.length,
      // The SDK checks the body against this CRC32, so it is recomputed for the body sent.
      'x-amz-crc32': String(crc32(out)),
      'x-amzn-requestid': String(answer.headers['x-amzn-requestid'] ?? ''),
    });
    res.end(out);
  });
  proxy.keepAliveTimeout = 5_000;
  await listen(proxy, opts.port ?? 0, 'DynamoDB');
  const url = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ ...localAwsConfig(), endpoint: url });
  const direct = new DynamoDBClient({ ...localAwsConfig(), endpoint: backendUrl });
  let sweeping: Promise<number> | undefined;
  const sweepExpired = () => (sweeping ??= sweep(direct, ttl).finally(() => (sweeping = undefined)));
  const timer = setInterval(() => void sweepExpired().catch(() => undefined), opts.ttlSweepMs ?? 60_000);
  timer.unref();
  const close = async () => {
    clearInterval(timer);
    await sweeping?.catch(() => undefined);
    client.destroy();
    direct.destroy();
    await closeServer(proxy);
    proxy.closeAllConnections?.();
    await new Promise<void>((resolve) => {
      backend.close(() => resolve());
      (backend as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });
  };

  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    if (!TableNames.includes(opts.tableName)) {
      await client.send(new CreateTableCommand({ TableName: opts.tableName, ...structuredClone(TABLE_DEFINITION) } as never));
    }
    await client.send(new DescribeTableCommand({ TableName: opts.tableName }));
    const spec = opts.timeToLive ?? { attributeName: TABLE_KEYS.ttlAttribute, enabled: true };
    if (spec.enabled) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: opts.tableName,
          TimeToLiveSpecification: { AttributeName: spec.attributeName, Enabled: true },
        }),
      );
    }
  } catch (error) {
    await close();
    throw new LocalError(
      `the DynamoDB data folder ${opts.dataDir ?? '(in memory)'} cannot be opened (${(error as Error).message.split('\n')[0]}); ` +
        'it may be corrupt or in use by another `npm start`: stop the other run, remove the folder, or use --in-memory',
    );
  }
  return { url, client, faults, sweepExpired, close };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** The request to dynalite, with the client's headers (its length aside) and `body`. */
function forwardTo(
  port: number,
  req: http.IncomingMessage,
  body: Buffer,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
  headers['content-length'] = body.length;
  return new Promise((resolve, reject) => {
    const out = http.request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent }, (answer) => {
      const chunks: Buffer[] = [];
      answer.on('data', (c: Buffer) => chunks.push(c));
      answer.on('end', () => resolve({ status: answer.statusCode ?? 500, headers: answer.headers, body: Buffer.concat(chunks) }));
      answer.on('error', reject);
    });
    out.on('error', reject);
    out.end(body);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  const out = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0', 'content-length': out.length, 'x-amz-crc32': String(crc32(out)) });
  res.end(out);
}

/** UpdateTimeToLive and DescribeTimeToLive, in DynamoDB's shapes (TimeToLiveStatus ENABLED/DISABLED). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- DynamoDB's JSON requests, read field by field as the service does
function answerTtl(res: http.ServerResponse, operation: string, data: Record<string, any>, ttl: Map<string, string>): void {
  const table = String(data.TableName ?? '');
  if (operation === 'UpdateTimeToLive') {
    const spec = data.TimeToLiveSpecification ?? {};
    if (typeof spec.AttributeName !== 'string' || typeof spec.Enabled !== 'boolean') {
      return send(res, 400, {
        __type: 'com.amazon.coral.validate#ValidationException',
        message: 'TimeToLiveSpecification needs AttributeName and Enabled',
      });
    }
    if (spec.Enabled) ttl.set(table, spec.AttributeName);
    else ttl.delete(table);
    return send(res, 200, { TimeToLiveSpecification: { AttributeName: spec.AttributeName, Enabled: spec.Enabled } });
  }
  const attribute = ttl.get(table);
  send(res, 200, {
    TimeToLiveDescription: attribute ? { TimeToLiveStatus: 'ENABLED', AttributeName: attribute } : { TimeToLiveStatus: 'DISABLED' },
  });
}

/**
 * Deletes the items whose TTL attribute (epoch seconds) is in the past. An item updated since
 * the scan to a later time is kept: the delete is conditional on it still being expired.
 */
async function sweep(client: DynamoDBClient, ttl: Map<string, string>): Promise<number> {
  let deleted = 0;
  for (const [table, attribute] of ttl) {
    const now = String(Math.floor(Date.now() / 1000));
    let start: Record<string, AttributeValue> | undefined;
    do {
      const page = await client.send(
        new ScanCommand({
          TableName: table,
          FilterExpression: '#ttl < :now',
          ExpressionAttributeNames: { '#ttl': attribute },
          ExpressionAttributeValues: { ':now': { N: now } },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const key = { [TABLE_KEYS.partitionKey]: item[TABLE_KEYS.partitionKey], [TABLE_KEYS.sortKey]: item[TABLE_KEYS.sortKey] };
        try {
          await client.send(
            new DeleteItemCommand({
              TableName: table,
              Key: key,
              ConditionExpression: '#ttl < :now',
              ExpressionAttributeNames: { '#ttl': attribute },
              ExpressionAttributeValues: { ':now': { N: now } },
            }),
          );
          deleted++;
        } catch (error) {
          if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
        }
      }
      start = page.LastEvaluatedKey;
    } while (start);
  }
  return deleted;
}

/**
 * Opens the folder with the LevelDB binding dynalite uses, before dynalite does: dynalite
 * reports a corrupt or locked store as an unhandled error event, not as a failed request.
 */
async function checkDataFolder(dataDir: string): Promise<void> {
  const db = new Level(dataDir, { valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = ((error as { cause?: Error }).cause ?? (error as Error)).message.split('\n')[0];
    throw new LocalError(
      `the DynamoDB data folder ${dataDir} cannot be opened (${cause}); it may be corrupt or in use by another \`npm start\`: ` +
        'stop the other run, remove the folder, or use --in-memory',
    );
  } finally {
    await db.close().catch(() => undefined);
  }
}
