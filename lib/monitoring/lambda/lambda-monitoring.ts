/** The lambda folder's contribution to the pipeline's monitoring: its alarms and its widgets. */
import { ServiceMonitoring } from '../service-monitoring';
import { lambdaAlarms } from './lambda-alarms';
import { lambdaWidgets } from './lambda-widgets';

export const lambdaMonitoring: ServiceMonitoring<'Lambda'> = {
  layer: 'Lambda',
  row: 'Lambda',
  alarms: lambdaAlarms,
  widgets: lambdaWidgets,
};
