/** The inference folder's contribution to the pipeline's monitoring: its alarms and its widgets. */
import { ServiceMonitoring } from '../service-monitoring';
import { inferenceAlarms } from './inference-alarms';
import { inferenceWidgets } from './inference-widgets';

export const inferenceMonitoring: ServiceMonitoring<'Inference'> = {
  layer: 'Inference',
  row: 'Lambda',
  alarms: inferenceAlarms,
  widgets: inferenceWidgets,
};
