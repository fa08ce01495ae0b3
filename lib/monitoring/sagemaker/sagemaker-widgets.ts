/** The endpoint row: invocations, errors, latencies, the handler's view of the model call, and the instances. */
import { WidgetContext, WidgetSpec, graphsFor } from '../dashboard/widget-spec';
import { handlerMetrics } from '../inference/inference-metrics';
import { endpointMetrics, instanceMetrics, vcpusOf } from './sagemaker-metrics';

export function sagemakerWidgets(ctx: WidgetContext): WidgetSpec[] {
  const graph = graphsFor(ctx);
  const capacity = ctx.config.endpoint.capacity;
  return [
    graph('Invocations', 'count', [endpointMetrics.invocations(), endpointMetrics.serverErrors(), endpointMetrics.clientErrors()]),
    graph(
      'Error rates',
      'ratio',
      [endpointMetrics.serverErrorRate(), endpointMetrics.clientErrorRate()],
      ['EndpointErrorRate', 'EndpointClientErrorRate'],
    ),
    graph(
      'Model latency (µs)',
      'µs',
      [endpointMetrics.modelLatency('p50'), endpointMetrics.modelLatency('p99')],
      ['EndpointModelLatencyP99'],
    ),
    graph(
      'Overhead latency (µs)',
      'µs',
      [endpointMetrics.overheadLatency('p50'), endpointMetrics.overheadLatency('p99')],
      ['EndpointOverheadLatencyP99'],
    ),
    graph('Model call seen by the handler (ms)', 'ms', [handlerMetrics.modelLatency('p50'), handlerMetrics.modelLatency('p99')]),
    graph('Container errors', 'count', [handlerMetrics.containerErrors()], ['EndpointContainerErrors']),
    ...(capacity.mode === 'instance'
      ? [
          graph(
            'Instance utilisation (%)',
            '%',
            [instanceMetrics.cpuOfCapacity(vcpusOf(capacity.instanceType)), instanceMetrics.memory(), instanceMetrics.disk()],
            ['EndpointCpuUtilization', 'EndpointMemoryUtilization', 'EndpointDiskUtilization'],
            12,
          ),
        ]
      : []),
  ];
}
