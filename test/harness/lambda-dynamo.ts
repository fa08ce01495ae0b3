/**
 * A real DynamoDB-compatible server (dynalite) in this process, with tables created from
 * the project's own TABLE_DEFINITION — the handlers under test talk to it through the
 * real SDK (AWS_ENDPOINT_URL_DYNAMODB).
 */
import { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { TABLE_DEFINITION } from '../../contract/table-design';
import { TEST_CREDENTIALS, TEST_REGION } from './lambda-env';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- dynalite has no ES module entry and no types
const dynalite = require('dynalite') as (options: Record<string, unknown>) => Server;

export interface LocalDynamo {
  readonly endpoint: string;
  /** A document client for the test's own reads and writes. */
  readonly client: DynamoDBDocumentClient;
  createTable(name: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<LocalDynamo> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const raw = new DynamoDBClient({ endpoint, region: TEST_REGION, credentials: TEST_CREDENTIALS });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    client,
    async createTable(name) {
      // The definition's readonly arrays are the SDK's input shape; only TableName is added.
      await raw.send(
        new CreateTableCommand({ ...(TABLE_DEFINITION as unknown as Omit<CreateTableCommand['input'], 'TableName'>), TableName: name }),
      );
    },
    async stop() {
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
