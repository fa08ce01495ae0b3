/** The handler's charts: its outcomes, errors by kind, server error rate and cold starts. */
import { WidgetContext, WidgetSpec, graphsFor } from '../dashboard/widget-spec';
import { handlerMetrics } from './inference-metrics';

export function inferenceWidgets(ctx: WidgetContext): WidgetSpec[] {
  const graph = graphsFor(ctx);
  return [
    graph('Prediction outcomes', 'count', [handlerMetrics.inferences(), handlerMetrics.serverErrors()]),
    graph('Errors by kind', 'count', [handlerMetrics.errorsByKind()]),
    graph('Server error rate', 'ratio', [handlerMetrics.serverErrorRate()], ['HandlerServerErrorRate']),
    graph('Cold starts', 'count', [handlerMetrics.coldStarts(), handlerMetrics.powertoolsColdStarts()]),
  ];
}
