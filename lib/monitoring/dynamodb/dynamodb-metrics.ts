/**
 * AWS/DynamoDB metrics of the metadata table. ThrottledRequests (dimensions TableName,
 * Operation) and SystemErrors are published per operation, so the table's total is the sum
 * over the operations the functions call; FILL keeps an operation without data from
 * blanking the sum (DynamoDB sends these metrics only when they are non-zero).
 * Source: "DynamoDB Metrics and dimensions",
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/metrics-dimensions.html
 * (Operation values as in the CDK's dynamodb.Operation enum,
 * https://docs.aws.amazon.com/cdk/api/v2/docs/aws-cdk-lib.aws_dynamodb.Operation.html).
 */
import { MathRef, MetricRef, math, metric } from '../metric-ref';

export const DYNAMODB_NAMESPACE = 'AWS/DynamoDB';

/**
 * What the functions call: the prediction function puts records, the read function gets and
 * queries them, and the idempotency keys are claimed (PutItem), read back (GetItem), given
 * their answer (UpdateItem) or released (DeleteItem) (lambda/predict/idempotency.ts).
 */
export const TABLE_OPERATIONS = ['PutItem', 'GetItem', 'Query', 'UpdateItem', 'DeleteItem'] as const;

/** `idPrefix` keeps the ids of two sums on one chart apart. */
function sumOverOperations(metricName: string, label: string, idPrefix: string): MathRef {
  const using: Record<string, MetricRef> = {};
  TABLE_OPERATIONS.forEach((op, i) => {
    using[`${idPrefix}${i}`] = metric('table', metricName, 'Sum', `${label} ${op}`, 'count', { Operation: op });
  });
  return math(
    Object.keys(using)
      .map((id) => `FILL(${id}, 0)`)
      .join(' + '),
    using,
    label,
    'count',
  );
}

export const tableMetrics = {
  throttledRequests: (): MathRef => sumOverOperations('ThrottledRequests', 'Throttled requests', 'throttled'),
  systemErrors: (): MathRef => sumOverOperations('SystemErrors', 'System errors', 'syserrors'),
  consumedWriteCapacity: (): MetricRef => metric('table', 'ConsumedWriteCapacityUnits', 'Sum', 'Write capacity units', 'count'),
  consumedReadCapacity: (): MetricRef => metric('table', 'ConsumedReadCapacityUnits', 'Sum', 'Read capacity units', 'count'),
  putLatency: (stat: string): MetricRef =>
    metric('table', 'SuccessfulRequestLatency', stat, `PutItem latency ${stat}`, 'ms', { Operation: 'PutItem' }),
};
