/**
 * AWS/DynamoDB metrics of the metadata table. ThrottledRequests and SystemErrors exist
 * only per operation, so the table's total is the sum over the operations the functions
 * use; FILL keeps an operation without data from blanking the sum.
 */
import { MathRef, MetricRef, math, metric } from '../metric-ref';

export const DYNAMODB_NAMESPACE = 'AWS/DynamoDB';

/** What the functions call: the prediction function puts, the read function gets and queries. */
export const TABLE_OPERATIONS = ['PutItem', 'GetItem', 'Query'] as const;

/** `idPrefix` keeps the ids of two sums on one chart apart. */
function sumOverOperations(metricName: string, label: string, idPrefix: string): MathRef {
  const using: Record<string, MetricRef> = {};
  TABLE_OPERATIONS.forEach((op, i) => {
    using[`${idPrefix}${i}`] = metric('table', metricName, 'Sum', `${label} ${op}`, 'count', { Operation: op });
  });
  return math(Object.keys(using).map((id) => `FILL(${id}, 0)`).join(' + '), using, label, 'count');
}

export const tableMetrics = {
  throttledRequests: (): MathRef => sumOverOperations('ThrottledRequests', 'Throttled requests', 'throttled'),
  systemErrors: (): MathRef => sumOverOperations('SystemErrors', 'System errors', 'syserrors'),
  consumedWriteCapacity: (): MetricRef => metric('table', 'ConsumedWriteCapacityUnits', 'Sum', 'Write capacity units', 'count'),
  consumedReadCapacity: (): MetricRef => metric('table', 'ConsumedReadCapacityUnits', 'Sum', 'Read capacity units', 'count'),
  putLatency: (stat: string): MetricRef =>
    metric('table', 'SuccessfulRequestLatency', stat, `PutItem latency ${stat}`, 'ms', { Operation: 'PutItem' }),
};
