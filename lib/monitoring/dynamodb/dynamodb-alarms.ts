/** The metadata table's alarms: refused and failed requests, summed over the operations the functions call. */
import { StageConfig } from '../../config/stage-config';
import { AlarmDefinition } from '../alarms/alarm-definition';
import { alarmBuilders } from '../alarms/alarm-builders';
import { tableMetrics } from './dynamodb-metrics';

const alarm = alarmBuilders('DynamoDB');

export function dynamodbAlarms(_config: StageConfig): AlarmDefinition[] {
  return [
    alarm.count({
      id: 'TableThrottledRequests',
      title: 'Table throttled requests',
      severity: 'Warning',
      signal: tableMetrics.throttledRequests(),
      breaching: { datapoints: 3, of: 5 },
      meaning: 'DynamoDB throttled record writes or reads in 3 of 5 minutes; refused writes fall back to the log.',
      firstAction:
        'Check for a hot partition (one caller or key) and the RecordWriteFallbacks alarm; records kept in the log need a backfill.',
    }),
    alarm.count({
      id: 'TableSystemErrors',
      title: 'Table system errors',
      severity: 'Warning',
      signal: tableMetrics.systemErrors(),
      breaching: { datapoints: 3, of: 5 },
      meaning: 'DynamoDB answered with internal errors in 3 of 5 minutes.',
      firstAction: 'Check the AWS Health Dashboard for DynamoDB in the region; the SDK retries, and refused writes fall back to the log.',
    }),
  ];
}
