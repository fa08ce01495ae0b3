/**
 * The table's throttles and system errors are summed over every operation the functions call.
 * ThrottledRequests has the dimensions TableName and Operation ("DynamoDB Metrics and
 * dimensions", https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html),
 * so an operation left out of the sum throttles unseen.
 */
import { readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { TABLE_OPERATIONS, tableMetrics } from '../../../../lib/monitoring/dynamodb/dynamodb-metrics';

const ROOT = path.join(__dirname, '..', '..', '..', '..');

/** Every .ts file of the Lambda bundles (handlers and their shared code). */
function lambdaSources(dir = path.join(ROOT, 'lambda')): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : lambdaSources(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

/** The DynamoDB commands a file imports from the SDK (document client or low level). */
function dynamodbCommands(source: string): string[] {
  return [...source.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(?:lib|client)-dynamodb'/g)]
    .flatMap((m) => m[1].split(',').map((name) => name.replace(/^\s*type\s+/, '').trim()))
    .filter((name) => name.endsWith('Command'));
}

test("every DynamoDB command the functions send is summed, including the idempotency key's UpdateItem and DeleteItem", () => {
  // The command classes and the API operation each sends (the Operation dimension's value).
  const OPERATION_OF: Record<string, string> = {
    PutCommand: 'PutItem',
    PutItemCommand: 'PutItem',
    GetCommand: 'GetItem',
    GetItemCommand: 'GetItem',
    QueryCommand: 'Query',
    UpdateCommand: 'UpdateItem',
    UpdateItemCommand: 'UpdateItem',
    DeleteCommand: 'DeleteItem',
    DeleteItemCommand: 'DeleteItem',
  };
  const sent = new Set(lambdaSources().flatMap((file) => dynamodbCommands(readFileSync(file, 'utf8'))));
  expect([...sent].sort()).toEqual(expect.arrayContaining(['DeleteCommand', 'GetCommand', 'PutCommand', 'QueryCommand', 'UpdateCommand']));
  // A command without an entry here is a new operation: add it to TABLE_OPERATIONS and here.
  for (const command of sent)
    expect([command, TABLE_OPERATIONS.find((op) => op === OPERATION_OF[command])]).toEqual([command, OPERATION_OF[command]]);
  expect([...TABLE_OPERATIONS].sort()).toEqual(['DeleteItem', 'GetItem', 'PutItem', 'Query', 'UpdateItem']);
});

test('one metric per operation, filled with 0 where an operation has no data', () => {
  const throttled = tableMetrics.throttledRequests();
  expect(Object.values(throttled.using).map((m) => [m.metricName, m.stat, m.dimensions])).toEqual(
    TABLE_OPERATIONS.map((op) => ['ThrottledRequests', 'Sum', { Operation: op }]),
  );
  expect(throttled.expression).toBe(
    'FILL(throttled0, 0) + FILL(throttled1, 0) + FILL(throttled2, 0) + FILL(throttled3, 0) + FILL(throttled4, 0)',
  );
  expect(Object.keys(tableMetrics.systemErrors().using)).toEqual(['syserrors0', 'syserrors1', 'syserrors2', 'syserrors3', 'syserrors4']);
});
