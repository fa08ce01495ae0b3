/** The functions' own charts (the handler's charts follow them in the same row, see inference-widgets.ts). */
import { WidgetContext, WidgetSpec, graphsFor } from '../dashboard/widget-spec';
import { handlerMetrics } from '../inference/inference-metrics';
import { lambdaMetrics } from './lambda-metrics';

export function lambdaWidgets(ctx: WidgetContext): WidgetSpec[] {
  const graph = graphsFor(ctx);
  const predict = lambdaMetrics('predictFunction');
  const read = lambdaMetrics('readFunction');
  return [
    graph('Invocations', 'count', [
      predict.invocations(),
      predict.errors(),
      predict.throttles(),
      read.invocations(),
      read.errors(),
      read.throttles(),
    ]),
    graph(
      'Duration (ms)',
      'ms',
      [predict.duration('p50'), predict.duration('p99'), read.duration('p99'), handlerMetrics.initDuration('p99')],
      ['PredictDurationP99'],
    ),
    graph('Concurrency', 'count', [predict.concurrentExecutions(), read.concurrentExecutions()], ['PredictConcurrentExecutions']),
    graph('Timeouts and runtime exits', 'count', [
      handlerMetrics.predictTimeouts(),
      handlerMetrics.predictRuntimeExits(),
      handlerMetrics.readTimeouts(),
      handlerMetrics.readRuntimeExits(),
    ]),
  ];
}
