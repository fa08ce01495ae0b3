import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import * as fs from 'fs';
import { AddressInfo } from 'net';
import { Level } from 'level';
import { TABLE_DEFINITION } from '../../contract/table-design';
import { listen } from './http-server';
import { localAwsConfig } from './local-aws';
import { LocalError } from './local-error';

// dynalite ships no types; this is the part of its API the pipeline uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite has no ES module entry and no types
const dynalite = require('dynalite') as (opts: Record<string, unknown>) => import('http').Server;

export interface LocalDynamoDb {
  readonly url: string;
  readonly client: DynamoDBClient;
  close(): Promise<void>;
}

/**
 * dynalite, a DynamoDB-compatible server, persisting to `dataDir` (or in memory), with the
 * metadata table created from the same definition the CDK stack deploys.
 */
export async function startLocalDynamoDb(opts: { tableName: string; dataDir?: string; port?: number }): Promise<LocalDynamoDb> {
  if (opts.dataDir) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    await checkDataFolder(opts.dataDir);
  }
  const server = dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await listen(server, opts.port ?? 0, 'DynamoDB (dynalite)');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const client = new DynamoDBClient({ ...localAwsConfig(), endpoint: url });
  const close = () =>
    new Promise<void>((resolve) => {
      client.destroy();
      server.close(() => resolve());
      (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
    });

  try {
    const { TableNames = [] } = await client.send(new ListTablesCommand({}));
    if (!TableNames.includes(opts.tableName)) {
      await client.send(new CreateTableCommand({ TableName: opts.tableName, ...structuredClone(TABLE_DEFINITION) } as never));
    }
    await client.send(new DescribeTableCommand({ TableName: opts.tableName }));
  } catch (error) {
    await close();
    throw new LocalError(
      `the DynamoDB data folder ${opts.dataDir ?? '(in memory)'} cannot be opened (${(error as Error).message.split('\n')[0]}); ` +
        'it may be corrupt or in use by another `npm start`: stop the other run, remove the folder, or use --in-memory',
    );
  }
  return { url, client, close };
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
