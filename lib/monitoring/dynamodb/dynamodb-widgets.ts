/** The table row: capacity, throttles and errors, write latency, and the records the table refused. */
import { WidgetContext, WidgetSpec, graphsFor } from '../dashboard/widget-spec';
import { handlerMetrics } from '../inference/inference-metrics';
import { tableMetrics } from './dynamodb-metrics';

export function dynamodbWidgets(ctx: WidgetContext): WidgetSpec[] {
  const graph = graphsFor(ctx);
  return [
    graph('Capacity used', 'count', [tableMetrics.consumedWriteCapacity(), tableMetrics.consumedReadCapacity()]),
    graph(
      'Throttles and system errors',
      'count',
      [tableMetrics.throttledRequests(), tableMetrics.systemErrors()],
      ['TableThrottledRequests', 'TableSystemErrors'],
    ),
    graph('Record write latency (ms)', 'ms', [tableMetrics.putLatency('Average'), tableMetrics.putLatency('Maximum')]),
    graph('Records kept in the log', 'count', [handlerMetrics.recordFallbacks()], ['RecordWriteFallbacks']),
  ];
}
