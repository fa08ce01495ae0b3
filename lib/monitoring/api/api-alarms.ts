/** API Gateway's alarms: what callers see. */
import { StageConfig } from '../../config/stage-config';
import { AlarmDefinition } from '../alarms/alarm-definition';
import { alarmBuilders } from '../alarms/alarm-builders';
import { apiMetrics } from './api-metrics';

const alarm = alarmBuilders('API Gateway');

export function apiAlarms(config: StageConfig): AlarmDefinition[] {
  const instance = config.endpoint.capacity.mode === 'instance';
  return [
    alarm.errorRate({
      id: 'ApiServerErrorRate',
      title: 'API 5XX error rate',
      severity: 'Critical',
      signal: apiMetrics.serverErrorRate(),
      gate: apiMetrics.requests(),
      breaching: { datapoints: 3, of: 3 },
      meaning: 'More than 5% of API requests failed with a 5XX for 3 minutes: callers are getting errors.',
      firstAction:
        "Open the dashboard: if the Lambda row shows errors or timeouts read the prediction function's log; if the SageMaker row shows 5XX read the endpoint's log.",
    }),
    alarm.errorRate({
      id: 'ApiClientErrorRate',
      title: 'API 4XX error rate',
      severity: 'Warning',
      signal: apiMetrics.clientErrorRate(),
      gate: apiMetrics.requests(),
      breaching: { datapoints: 5, of: 5 },
      meaning:
        'More than 5% of API requests were refused with a 4XX for 5 minutes: a client is misbehaving or a change broke the request contract.',
      firstAction:
        'Run the Logs Insights query of the dashboard and group the errors by errorKind and caller: one caller means a client bug, all callers a contract change.',
    }),
    alarm.latency({
      id: 'ApiLatencyP99',
      title: 'API latency p99',
      severity: 'Warning',
      signal: apiMetrics.latency('p99'),
      gate: apiMetrics.requests(),
      // A serverless endpoint's cold starts take seconds; instances answer in milliseconds.
      threshold: instance ? 2_000 : 6_000,
      breaching: { datapoints: 3, of: 5 },
      meaning: 'The slowest 1% of API requests took longer than the threshold in 3 of 5 minutes.',
      firstAction: 'Compare API latency with the handler latency and the model latency on the dashboard to find the slow layer.',
    }),
  ];
}
