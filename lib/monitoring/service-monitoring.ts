/**
 * What one monitored service contributes, as cdk-monitoring-constructs' per-service
 * monitorings do: its alarms and its dashboard widgets, both from its own metric factory.
 * `layers.ts` lists every service; the catalog, the dashboard and the CDK facade are all
 * built from that list, so a service cannot be monitored in one and forgotten in another.
 */
import { StageConfig } from '../config/stage-config';
import { AlarmDefinition, Layer } from './alarms/alarm-definition';
import { WidgetContext, WidgetSpec } from './dashboard/widget-spec';

/** The dashboard's service rows, top to bottom as a request travels. */
export type ServiceRow = 'API Gateway' | 'Lambda' | 'SageMaker endpoint' | 'DynamoDB';

export interface ServiceMonitoring<L extends Layer = Layer> {
  readonly layer: L;
  /** The row its widgets join (the handler is the prediction function's code, so it joins Lambda's). */
  readonly row: ServiceRow;
  /** Its alarm definitions for one stage, applicable or not, in the order the docs list them. */
  alarms(config: StageConfig): AlarmDefinition[];
  /** Its charts, with the thresholds of its enabled alarms drawn on them. */
  widgets(ctx: WidgetContext): WidgetSpec[];
}
