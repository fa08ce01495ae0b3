/** The sagemaker folder's contribution to the pipeline's monitoring: its alarms and its widgets. */
import { ServiceMonitoring } from '../service-monitoring';
import { sagemakerAlarms } from './sagemaker-alarms';
import { sagemakerWidgets } from './sagemaker-widgets';

export const sagemakerMonitoring: ServiceMonitoring<'SageMaker'> = {
  layer: 'SageMaker',
  row: 'SageMaker endpoint',
  alarms: sagemakerAlarms,
  widgets: sagemakerWidgets,
};
