/**
 * Every alarm of the pipeline, in one table: what it watches, when it fires, how loud it
 * is, and what to do first. Defaults derive from the stage's configuration (timeouts,
 * capacity mode, minimum sample count), so two stages differ exactly where their
 * configurations do; `monitoring.alarms.<id>` turns one off, retunes or re-ranks it.
 *
 * Rate and percentile alarms are gated by the period's request count with metric math,
 * IF(requests >= minSampleCount, signal, 0), so a handful of requests never fires them, and
 * need M of N datapoints. Missing data is chosen per alarm: for traffic-driven metrics no
 * data means no traffic, which is healthy (notBreaching); an endpoint that stops reporting
 * its utilisation stays visible as INSUFFICIENT_DATA (missing) rather than a false OK.
 */
import { StageConfig } from '../config/stage-config';
import { apiMetrics } from './api/api-metrics';
import { tableMetrics } from './dynamodb/dynamodb-metrics';
import { handlerMetrics } from './inference/inference-metrics';
import { lambdaMetrics } from './lambda/lambda-metrics';
import { DisplayUnit, MetricRef, SignalRef, math } from './metric-ref';
import { endpointMetrics, instanceMetrics, vcpusOf } from './sagemaker/sagemaker-metrics';

export type Severity = 'Critical' | 'Warning';
export type TreatMissingData = 'notBreaching' | 'breaching' | 'ignore' | 'missing';
export type Comparison = 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
export type Layer = 'API Gateway' | 'Lambda' | 'SageMaker' | 'DynamoDB' | 'Handler';

export interface AlarmDefinition {
  /** Stable: the construct id, the key of `monitoring.alarms`, the suffix of the alarm name. */
  readonly id: string;
  readonly layer: Layer;
  readonly title: string;
  /** What is compared with the threshold. */
  readonly signal: SignalRef;
  /** Requests of the period: below `minSampleCount` the signal reads 0. */
  readonly gate?: MetricRef;
  readonly severity: Severity;
  readonly threshold: number;
  readonly unit: DisplayUnit;
  readonly comparison: Comparison;
  readonly periodSec: number;
  readonly evaluationPeriods: number;
  readonly datapointsToAlarm: number;
  readonly treatMissingData: TreatMissingData;
  /** What it means when it fires. */
  readonly meaning: string;
  /** The runbook's first step. */
  readonly firstAction: string;
  /** Whether the alarm exists for this configuration at all (instance metrics need instances). */
  readonly applies: boolean;
  /** The deployment-rollback alarm of ModelEndpoint that already watches this signal, when it exists. */
  readonly reuses?: 'errorRate' | 'modelLatency';
}

/** An alarm after configuration: defaults, then `monitoring.alarms.<id>` overrides. */
export interface ResolvedAlarm extends AlarmDefinition {
  readonly enabled: boolean;
}

/** Lambda's default account concurrency, the ceiling of an unreserved function. */
const ACCOUNT_CONCURRENCY = 1000;

/** The catalog's defaults for one stage (every alarm, applicable or not). */
export function alarmCatalog(config: StageConfig): AlarmDefinition[] {
  const capacity = config.endpoint.capacity;
  const instance = capacity.mode === 'instance';
  const predict = lambdaMetrics('predictFunction');
  const read = lambdaMetrics('readFunction');
  const predictTimeoutMs = config.functions.timeoutSec * 1000;
  const concurrencyCeiling = config.functions.reservedConcurrency || ACCOUNT_CONCURRENCY;

  const perMinute = { periodSec: 60, comparison: 'GreaterThanThreshold' as const, applies: true };
  const anyIn5Min = { periodSec: 300, evaluationPeriods: 1, datapointsToAlarm: 1, threshold: 0, unit: 'count' as const, comparison: 'GreaterThanThreshold' as const, treatMissingData: 'notBreaching' as const, applies: true };
  const sustained5Min = { periodSec: 300, evaluationPeriods: 3, datapointsToAlarm: 3, comparison: 'GreaterThanThreshold' as const, treatMissingData: 'missing' as const, unit: '%' as const, applies: instance };

  return [
    // API Gateway: what callers see.
    {
      id: 'ApiServerErrorRate', layer: 'API Gateway', title: 'API 5XX error rate', severity: 'Critical',
      signal: apiMetrics.serverErrorRate(), gate: apiMetrics.requests(),
      threshold: 0.05, unit: 'ratio', ...perMinute, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'More than 5% of API requests failed with a 5XX for 3 minutes: callers are getting errors.',
      firstAction: "Open the dashboard: if the Lambda row shows errors or timeouts read the prediction function's log; if the SageMaker row shows 5XX read the endpoint's log.",
    },
    {
      id: 'ApiClientErrorRate', layer: 'API Gateway', title: 'API 4XX error rate', severity: 'Warning',
      signal: apiMetrics.clientErrorRate(), gate: apiMetrics.requests(),
      threshold: 0.05, unit: 'ratio', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'notBreaching',
      meaning: 'More than 5% of API requests were refused with a 4XX for 5 minutes: a client is misbehaving or a change broke the request contract.',
      firstAction: 'Run the Logs Insights query of the dashboard and group the errors by errorKind and caller: one caller means a client bug, all callers a contract change.',
    },
    {
      id: 'ApiLatencyP99', layer: 'API Gateway', title: 'API latency p99', severity: 'Warning',
      signal: apiMetrics.latency('p99'), gate: apiMetrics.requests(),
      // A serverless endpoint's cold starts take seconds; instances answer in milliseconds.
      threshold: instance ? 2_000 : 6_000, unit: 'ms', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'The slowest 1% of API requests took longer than the threshold in 3 of 5 minutes.',
      firstAction: 'Compare API latency with the handler latency and the model latency on the dashboard to find the slow layer.',
    },

    // Lambda: the functions.
    {
      id: 'PredictErrors', layer: 'Lambda', title: 'Prediction function errors', severity: 'Critical',
      signal: predict.errors(), threshold: 0, unit: 'count', ...perMinute, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'The prediction function failed invocations (an unhandled error, a crash) in 3 minutes in a row; the handler answers every error it knows, so this is a bug or a runtime failure.',
      firstAction: "Read the prediction function's log for ERROR lines and platform.report records with status error or timeout.",
    },
    {
      id: 'PredictThrottles', layer: 'Lambda', title: 'Prediction function throttles', severity: 'Warning',
      signal: predict.throttles(), threshold: 0, unit: 'count', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'notBreaching',
      meaning: 'Lambda refused prediction invocations for lack of concurrency for 5 minutes: callers get 5XX.',
      firstAction: "Check the function's concurrency against its reserved concurrency and the account limit; raise functions.reservedConcurrency or the account quota.",
    },
    {
      id: 'PredictDurationP99', layer: 'Lambda', title: 'Prediction function duration p99 near the timeout', severity: 'Warning',
      signal: predict.duration('p99'), gate: predict.invocations(),
      threshold: Math.round(predictTimeoutMs * 0.8), unit: 'ms', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: `The slowest 1% of prediction invocations used more than 80% of the ${config.functions.timeoutSec} s timeout: timeouts are next.`,
      firstAction: 'Check the model latency on the dashboard; if the endpoint is slow scale it, otherwise look for a slow record write in the log.',
    },
    {
      id: 'PredictConcurrentExecutions', layer: 'Lambda', title: 'Prediction function concurrency', severity: 'Warning',
      signal: predict.concurrentExecutions(), threshold: Math.round(concurrencyCeiling * 0.8), unit: 'count', ...perMinute,
      evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: `The prediction function ran more than 80% of its ${concurrencyCeiling} concurrent executions for 3 minutes: throttling is next.`,
      firstAction: 'Check whether the traffic is expected (API requests on the dashboard); raise the concurrency limit or the API throttle accordingly.',
    },
    {
      id: 'PredictTimeouts', layer: 'Lambda', title: 'Prediction function timeouts', severity: 'Critical',
      signal: handlerMetrics.predictTimeouts(), ...anyIn5Min, evaluationPeriods: 3, datapointsToAlarm: 2,
      meaning: 'Lambda stopped prediction invocations at the timeout in 2 of the last three 5-minute windows (from the platform report; the handler dies before it can log).',
      firstAction: 'Find the platform.report records with status timeout and their requestId, then the same request\'s lines: a stuck endpoint call or record write.',
    },
    {
      id: 'PredictRuntimeExits', layer: 'Lambda', title: 'Prediction function out of memory or runtime exit', severity: 'Critical',
      signal: handlerMetrics.predictRuntimeExits(), ...anyIn5Min, evaluationPeriods: 3, datapointsToAlarm: 2,
      meaning: 'The prediction function\'s runtime died (status error; out of memory is errorType Runtime.OutOfMemory) in 2 of the last three 5-minute windows.',
      firstAction: 'Read errorType and maxMemoryUsedMB in the platform.report records: raise functions.memorySizeMiB for Runtime.OutOfMemory, otherwise read the crash in the log.',
    },
    {
      id: 'ReadErrors', layer: 'Lambda', title: 'Read function errors', severity: 'Warning',
      signal: read.errors(), threshold: 0, unit: 'count', ...perMinute, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'The read function failed invocations in 3 minutes in a row: record lookups are failing.',
      firstAction: "Read the read function's log for ERROR lines.",
    },
    {
      id: 'ReadThrottles', layer: 'Lambda', title: 'Read function throttles', severity: 'Warning',
      signal: read.throttles(), threshold: 0, unit: 'count', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'notBreaching',
      meaning: 'Lambda refused read invocations for lack of concurrency for 5 minutes.',
      firstAction: 'Check which function uses the account concurrency; the prediction function may be starving the read function.',
    },
    {
      id: 'ReadTimeouts', layer: 'Lambda', title: 'Read function timeouts', severity: 'Warning',
      signal: handlerMetrics.readTimeouts(), ...anyIn5Min,
      meaning: 'Lambda stopped a read invocation at the timeout (from the platform report).',
      firstAction: 'Find the platform.report record with status timeout and the query it ran; check the table for throttling.',
    },
    {
      id: 'ReadRuntimeExits', layer: 'Lambda', title: 'Read function out of memory or runtime exit', severity: 'Warning',
      signal: handlerMetrics.readRuntimeExits(), ...anyIn5Min,
      meaning: "The read function's runtime died (status error; out of memory is errorType Runtime.OutOfMemory).",
      firstAction: 'Read errorType and maxMemoryUsedMB in the platform.report record; a large listing may need a smaller page size or more memory.',
    },

    // SageMaker: the model.
    {
      id: 'EndpointErrorRate', layer: 'SageMaker', title: 'Endpoint 5XX error rate', severity: 'Critical', reuses: 'errorRate',
      signal: endpointMetrics.serverErrorRate(), gate: endpointMetrics.invocations(),
      threshold: 0.05, unit: 'ratio', ...perMinute, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'notBreaching',
      meaning: 'More than 5% of endpoint invocations failed with a 5XX in 2 of 3 minutes: the model or its container is failing.',
      firstAction: 'Read the endpoint log group /aws/sagemaker/Endpoints/<endpoint> for ERROR lines; if a deployment is in progress it rolls back on this signal.',
    },
    {
      id: 'EndpointClientErrorRate', layer: 'SageMaker', title: 'Endpoint 4XX error rate', severity: 'Warning',
      signal: endpointMetrics.clientErrorRate(), gate: endpointMetrics.invocations(),
      threshold: 0.05, unit: 'ratio', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 5, treatMissingData: 'notBreaching',
      meaning: 'More than 5% of endpoint invocations were refused with a 4XX for 5 minutes: the handler and the model disagree on the input.',
      firstAction: 'Compare model.featureCount and model.contentType with what the deployed model expects; read the container log for the refusals.',
    },
    {
      id: 'EndpointModelLatencyP99', layer: 'SageMaker', title: 'Endpoint model latency p99', severity: 'Warning', reuses: 'modelLatency',
      signal: endpointMetrics.modelLatency('p99'), gate: endpointMetrics.invocations(),
      threshold: 2_000_000, unit: 'µs', ...perMinute, evaluationPeriods: 3, datapointsToAlarm: 2, treatMissingData: 'notBreaching',
      meaning: 'The slowest 1% of predictions took the model longer than the threshold (ModelLatency is in microseconds) in 2 of 3 minutes.',
      firstAction: "Check the instances' CPU and memory (instance capacity) or the concurrency (serverless); compare with the previous model version's latency.",
    },
    {
      id: 'EndpointOverheadLatencyP99', layer: 'SageMaker', title: 'Endpoint overhead latency p99', severity: 'Warning',
      signal: endpointMetrics.overheadLatency('p99'), gate: endpointMetrics.invocations(),
      // Serverless overhead includes the cold start of a worker.
      threshold: instance ? 200_000 : 3_000_000, unit: 'µs', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: "SageMaker's own overhead around the model (routing, payload, serverless cold starts) exceeded the threshold for the slowest 1% of invocations in 3 of 5 minutes.",
      firstAction: 'Serverless: raise provisioned concurrency; instance: check payload sizes and the instance count against the traffic.',
    },
    {
      id: 'EndpointCpuUtilization', layer: 'SageMaker', title: 'Endpoint CPU utilisation', severity: 'Warning',
      signal: instanceMetrics.cpuOfCapacity(instance ? vcpusOf(capacity.instanceType) : 1), threshold: 80, ...sustained5Min,
      meaning: "The endpoint's instances used more than 80% of all their vCPUs (CPUUtilization divided by the vCPU count) for 15 minutes.",
      firstAction: 'Check that autoscaling is not at maxInstanceCount; raise it or choose a larger instance type.',
    },
    {
      id: 'EndpointMemoryUtilization', layer: 'SageMaker', title: 'Endpoint memory utilisation', severity: 'Warning',
      signal: instanceMetrics.memory(), threshold: 85, ...sustained5Min,
      meaning: "The endpoint's instances used more than 85% of their memory for 15 minutes: the container may be killed.",
      firstAction: 'Look for a memory leak in the container (memory rising with traffic flat); choose an instance type with more memory.',
    },
    {
      id: 'EndpointDiskUtilization', layer: 'SageMaker', title: 'Endpoint disk utilisation', severity: 'Warning',
      signal: instanceMetrics.disk(), threshold: 80, ...sustained5Min,
      meaning: "The endpoint's instances used more than 80% of their disk for 15 minutes.",
      firstAction: 'Check what the container writes to disk (logs, temporary files); the model artifact itself does not grow.',
    },
    {
      id: 'EndpointContainerErrors', layer: 'SageMaker', title: 'Model container errors', severity: 'Warning',
      signal: handlerMetrics.containerErrors(), ...anyIn5Min,
      meaning: 'The model container logged ERROR lines (a refused or failed invocation).',
      firstAction: 'Read the ERROR lines of /aws/sagemaker/Endpoints/<endpoint>: their status and error fields say whether the input or the model is at fault.',
    },

    // DynamoDB: the records.
    {
      id: 'TableThrottledRequests', layer: 'DynamoDB', title: 'Table throttled requests', severity: 'Warning',
      signal: tableMetrics.throttledRequests(), threshold: 0, unit: 'count', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'DynamoDB throttled record writes or reads in 3 of 5 minutes; refused writes fall back to the log.',
      firstAction: 'Check for a hot partition (one caller or key) and the RecordWriteFallbacks alarm; records kept in the log need a backfill.',
    },
    {
      id: 'TableSystemErrors', layer: 'DynamoDB', title: 'Table system errors', severity: 'Warning',
      signal: tableMetrics.systemErrors(), threshold: 0, unit: 'count', ...perMinute, evaluationPeriods: 5, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'DynamoDB answered with internal errors in 3 of 5 minutes.',
      firstAction: 'Check the AWS Health Dashboard for DynamoDB in the region; the SDK retries, and refused writes fall back to the log.',
    },

    // The handler's own signals, from its log.
    {
      id: 'HandlerServerErrorRate', layer: 'Handler', title: 'Prediction server error rate', severity: 'Critical',
      signal: handlerMetrics.serverErrorRate(),
      gate: handlerMetrics.inferences(),
      threshold: 0.05, unit: 'ratio', ...perMinute, evaluationPeriods: 3, datapointsToAlarm: 3, treatMissingData: 'notBreaching',
      meaning: 'More than 5% of prediction requests failed on the pipeline side (status 500 and above, by the summary lines) for 3 minutes.',
      firstAction: 'Open the dashboard\'s "Errors by kind" chart: EndpointThrottled/ModelNotReady point at capacity, EndpointTimeout at latency, ModelError at the model, InternalError at the handler.',
    },
    {
      id: 'RecordWriteFallbacks', layer: 'Handler', title: 'Records kept in the log', severity: 'Warning',
      signal: handlerMetrics.recordFallbacks(), ...anyIn5Min,
      meaning: 'The table refused inference records; they are kept whole in the log (message "inference record kept in log") and are missing from the table.',
      firstAction: 'Find the fallback lines in the prediction function\'s log and backfill their records (`npm run backfill -- --table TABLE --from exported-log.json`, idempotent); then fix the table error they carry in writeError.',
    },
  ];
}

/**
 * The catalog for one configuration with its overrides applied. An override naming an
 * unknown alarm is an error (a typo would otherwise silently keep the default).
 */
export function resolveAlarms(config: StageConfig): ResolvedAlarm[] {
  const catalog = alarmCatalog(config);
  const ids = new Set(catalog.map((a) => a.id));
  const unknown = Object.keys(config.monitoring.alarms).filter((id) => !ids.has(id));
  if (unknown.length > 0) {
    throw new Error(`monitoring.alarms: unknown alarm id${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} (known: ${[...ids].join(', ')})`);
  }
  return catalog.map((alarm) => {
    const o = config.monitoring.alarms[alarm.id] ?? {};
    return {
      ...alarm,
      threshold: o.threshold ?? alarm.threshold,
      severity: o.severity ?? alarm.severity,
      enabled: alarm.applies && (o.enabled ?? true),
    };
  });
}

/** The alarms a stack creates for this configuration. */
export function enabledAlarms(config: StageConfig): ResolvedAlarm[] {
  return resolveAlarms(config).filter((a) => a.enabled);
}

/**
 * The signal an alarm compares, with its low-traffic gate: below `minSampleCount` requests
 * in the period the expression reads 0, so it cannot breach.
 */
export function gatedSignal(alarm: AlarmDefinition, minSampleCount: number): SignalRef {
  if (!alarm.gate || minSampleCount <= 0) return alarm.signal;
  const label = `${alarm.signal.label} (when requests >= ${minSampleCount})`;
  if (alarm.signal.kind === 'metric') {
    return math(`IF(samples >= ${minSampleCount}, signal, 0)`, { signal: alarm.signal, samples: alarm.gate }, label, alarm.unit);
  }
  if ('samples' in alarm.signal.using) throw new Error(`alarm ${alarm.id}: the id 'samples' is reserved for the gate`);
  return math(`IF(samples >= ${minSampleCount}, ${alarm.signal.expression}, 0)`, { ...alarm.signal.using, samples: alarm.gate }, label, alarm.unit);
}
