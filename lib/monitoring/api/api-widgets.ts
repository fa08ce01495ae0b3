/** The API Gateway row: requests, errors and latency, beside the handler's count of the same requests. */
import { WidgetContext, WidgetSpec, graphsFor } from '../dashboard/widget-spec';
import { handlerMetrics } from '../inference/inference-metrics';
import { apiMetrics } from './api-metrics';

export function apiWidgets(ctx: WidgetContext): WidgetSpec[] {
  const graph = graphsFor(ctx);
  return [
    graph('Requests', 'count', [apiMetrics.requests(), handlerMetrics.inferences()], [], 8),
    graph('Errors', 'count', [apiMetrics.serverErrors(), apiMetrics.clientErrors(), handlerMetrics.serverErrors()], [], 8),
    graph(
      'Error rates',
      'ratio',
      [apiMetrics.serverErrorRate(), apiMetrics.clientErrorRate()],
      ['ApiServerErrorRate', 'ApiClientErrorRate'],
      8,
    ),
    graph(
      'Latency (ms)',
      'ms',
      [apiMetrics.latency('p50'), apiMetrics.latency('p90'), apiMetrics.latency('p99'), apiMetrics.integrationLatency('p99')],
      ['ApiLatencyP99'],
      12,
    ),
    graph('Latency inside the function (ms)', 'ms', [handlerMetrics.latency('p50'), handlerMetrics.latency('p99')], [], 12),
  ];
}
