/** The handler's own alarms, from the summary and fallback lines of its log. */
import { StageConfig } from '../../config/stage-config';
import { AlarmDefinition } from '../alarms/alarm-definition';
import { alarmBuilders } from '../alarms/alarm-builders';
import { handlerMetrics } from './inference-metrics';

const alarm = alarmBuilders('Inference');

export function inferenceAlarms(_config: StageConfig): AlarmDefinition[] {
  return [
    alarm.errorRate({
      id: 'HandlerServerErrorRate',
      title: 'Prediction server error rate',
      severity: 'Critical',
      signal: handlerMetrics.serverErrorRate(),
      gate: handlerMetrics.inferences(),
      breaching: { datapoints: 3, of: 3 },
      meaning:
        'More than 5% of prediction requests failed on the pipeline side (status 500 and above, by the summary lines) for 3 minutes.',
      firstAction:
        'Open the dashboard\'s "Errors by kind" chart: EndpointThrottled/ModelNotReady point at capacity, EndpointTimeout at latency, ModelError at the model, InternalError at the handler.',
    }),
    alarm.count({
      id: 'RecordWriteFallbacks',
      title: 'Records kept in the log',
      severity: 'Warning',
      signal: handlerMetrics.recordFallbacks(),
      periodSec: 300,
      breaching: { datapoints: 1, of: 1 },
      meaning:
        'The table refused inference records; they are kept whole in the log (message "inference record kept in log") and are missing from the table.',
      firstAction:
        "Find the fallback lines in the prediction function's log and backfill their records (`npm run backfill -- --table TABLE --from exported-log.json`, idempotent); then fix the table error they carry in writeError.",
    }),
  ];
}
