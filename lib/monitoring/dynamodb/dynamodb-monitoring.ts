/** The dynamodb folder's contribution to the pipeline's monitoring: its alarms and its widgets. */
import { ServiceMonitoring } from '../service-monitoring';
import { dynamodbAlarms } from './dynamodb-alarms';
import { dynamodbWidgets } from './dynamodb-widgets';

export const dynamodbMonitoring: ServiceMonitoring<'DynamoDB'> = {
  layer: 'DynamoDB',
  row: 'DynamoDB',
  alarms: dynamodbAlarms,
  widgets: dynamodbWidgets,
};
