/** The api folder's contribution to the pipeline's monitoring: its alarms and its widgets. */
import { ServiceMonitoring } from '../service-monitoring';
import { apiAlarms } from './api-alarms';
import { apiWidgets } from './api-widgets';

export const apiMonitoring: ServiceMonitoring<'API Gateway'> = {
  layer: 'API Gateway',
  row: 'API Gateway',
  alarms: apiAlarms,
  widgets: apiWidgets,
};
