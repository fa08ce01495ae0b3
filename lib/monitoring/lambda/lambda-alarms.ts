/**
 * The functions' alarms. Errors, throttles, duration and concurrency come from AWS/Lambda;
 * timeouts and runtime exits from the platform report in the function's log (a function
 * killed at its timeout or by its runtime cannot log anything itself).
 */
import { StageConfig } from '../../config/stage-config';
import { AlarmDefinition } from '../alarms/alarm-definition';
import { alarmBuilders } from '../alarms/alarm-builders';
import { handlerMetrics } from '../inference/inference-metrics';
import { lambdaMetrics } from './lambda-metrics';

const alarm = alarmBuilders('Lambda');

/** Lambda's default account concurrency, the ceiling of an unreserved function. */
const ACCOUNT_CONCURRENCY = 1000;

export function lambdaAlarms(config: StageConfig): AlarmDefinition[] {
  const predict = lambdaMetrics('predictFunction');
  const read = lambdaMetrics('readFunction');
  const predictTimeoutMs = config.functions.timeoutSec * 1000;
  const concurrencyCeiling = config.functions.reservedConcurrency || ACCOUNT_CONCURRENCY;
  return [
    alarm.count({
      id: 'PredictErrors',
      title: 'Prediction function errors',
      severity: 'Critical',
      signal: predict.errors(),
      breaching: { datapoints: 3, of: 3 },
      meaning:
        'The prediction function failed invocations (an unhandled error, a crash) in 3 minutes in a row; the handler answers every error it knows, so this is a bug or a runtime failure.',
      firstAction: "Read the prediction function's log for ERROR lines and platform.report records with status error or timeout.",
    }),
    alarm.count({
      id: 'PredictThrottles',
      title: 'Prediction function throttles',
      severity: 'Warning',
      signal: predict.throttles(),
      breaching: { datapoints: 5, of: 5 },
      meaning: 'Lambda refused prediction invocations for lack of concurrency for 5 minutes: callers get 5XX.',
      firstAction:
        "Check the function's concurrency against its reserved concurrency and the account limit; raise functions.reservedConcurrency or the account quota.",
    }),
    alarm.latency({
      id: 'PredictDurationP99',
      title: 'Prediction function duration p99 near the timeout',
      severity: 'Warning',
      signal: predict.duration('p99'),
      gate: predict.invocations(),
      threshold: Math.round(predictTimeoutMs * 0.8),
      breaching: { datapoints: 3, of: 5 },
      meaning: `The slowest 1% of prediction invocations used more than 80% of the ${config.functions.timeoutSec} s timeout: timeouts are next.`,
      firstAction:
        'Check the model latency on the dashboard; if the endpoint is slow scale it, otherwise look for a slow record write in the log.',
    }),
    alarm.count({
      id: 'PredictConcurrentExecutions',
      title: 'Prediction function concurrency',
      severity: 'Warning',
      signal: predict.concurrentExecutions(),
      threshold: Math.round(concurrencyCeiling * 0.8),
      breaching: { datapoints: 3, of: 3 },
      meaning: `The prediction function ran more than 80% of its ${concurrencyCeiling} concurrent executions for 3 minutes: throttling is next.`,
      firstAction:
        'Check whether the traffic is expected (API requests on the dashboard); raise the concurrency limit or the API throttle accordingly.',
    }),
    alarm.count({
      id: 'PredictTimeouts',
      title: 'Prediction function timeouts',
      severity: 'Critical',
      signal: handlerMetrics.predictTimeouts(),
      periodSec: 300,
      breaching: { datapoints: 2, of: 3 },
      meaning:
        'Lambda stopped prediction invocations at the timeout in 2 of the last three 5-minute windows (from the platform report; the handler dies before it can log).',
      firstAction:
        "Find the platform.report records with status timeout and their requestId, then the same request's lines: a stuck endpoint call or record write.",
    }),
    alarm.count({
      id: 'PredictRuntimeExits',
      title: 'Prediction function out of memory or runtime exit',
      severity: 'Critical',
      signal: handlerMetrics.predictRuntimeExits(),
      periodSec: 300,
      breaching: { datapoints: 2, of: 3 },
      meaning:
        "The prediction function's runtime died (status error; out of memory is errorType Runtime.OutOfMemory) in 2 of the last three 5-minute windows.",
      firstAction:
        'Read errorType and maxMemoryUsedMB in the platform.report records: raise functions.memorySizeMiB for Runtime.OutOfMemory, otherwise read the crash in the log.',
    }),
    alarm.count({
      id: 'ReadErrors',
      title: 'Read function errors',
      severity: 'Warning',
      signal: read.errors(),
      breaching: { datapoints: 3, of: 3 },
      meaning: 'The read function failed invocations in 3 minutes in a row: record lookups are failing.',
      firstAction: "Read the read function's log for ERROR lines.",
    }),
    alarm.count({
      id: 'ReadThrottles',
      title: 'Read function throttles',
      severity: 'Warning',
      signal: read.throttles(),
      breaching: { datapoints: 5, of: 5 },
      meaning: 'Lambda refused read invocations for lack of concurrency for 5 minutes.',
      firstAction: 'Check which function uses the account concurrency; the prediction function may be starving the read function.',
    }),
    alarm.count({
      id: 'ReadTimeouts',
      title: 'Read function timeouts',
      severity: 'Warning',
      signal: handlerMetrics.readTimeouts(),
      periodSec: 300,
      breaching: { datapoints: 1, of: 1 },
      meaning: 'Lambda stopped a read invocation at the timeout (from the platform report).',
      firstAction: 'Find the platform.report record with status timeout and the query it ran; check the table for throttling.',
    }),
    alarm.count({
      id: 'ReadRuntimeExits',
      title: 'Read function out of memory or runtime exit',
      severity: 'Warning',
      signal: handlerMetrics.readRuntimeExits(),
      periodSec: 300,
      breaching: { datapoints: 1, of: 1 },
      meaning: "The read function's runtime died (status error; out of memory is errorType Runtime.OutOfMemory).",
      firstAction:
        'Read errorType and maxMemoryUsedMB in the platform.report record; a large listing may need a smaller page size or more memory.',
    }),
  ];
}
