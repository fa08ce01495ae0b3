/**
 * The dashboard, defined once as plain data: rows of widgets that read like the
 * architecture, top to bottom — a header with links, the alarms, then API Gateway ->
 * Lambda -> SageMaker -> DynamoDB, and the latest errors. The CloudWatch dashboard
 * (`cdk/dashboard-builder.ts`) and the local dashboard (`local-dashboard.ts`) are both
 * built from this, so they cannot disagree on what is shown where.
 *
 * Each row mixes the service's own metrics with the handler's view of that layer (from
 * its log): the service metrics exist only in CloudWatch, the handler's also locally.
 */
import { StageConfig, resourcePrefix } from '../config/stage-config';
import { FALLBACK_MESSAGE } from '../../contract/handlers';
import { ResolvedAlarm, enabledAlarms } from './alarm-catalog';
import { apiMetrics } from './api/api-metrics';
import { tableMetrics } from './dynamodb/dynamodb-metrics';
import { handlerMetrics } from './inference/inference-metrics';
import { lambdaMetrics } from './lambda/lambda-metrics';
import { DisplayUnit, SeriesRef } from './metric-ref';
import { LogSource } from './metric-filters';
import { endpointMetrics, instanceMetrics, vcpusOf } from './sagemaker/sagemaker-metrics';

/** How each severity is drawn, on both dashboards. */
export const SEVERITY_COLORS = { Critical: '#d62728', Warning: '#ff7f0e' } as const;

/** The composite alarm's id: it leads the alarm row. */
export const PIPELINE_UNHEALTHY_ID = 'PipelineUnhealthy';

export type WidgetSpec = HeaderWidget | AlarmStatusWidget | GraphWidget | LogsWidget;

/** Title and links to the resources (the CloudWatch builder fills in the console URLs). */
export interface HeaderWidget {
  readonly kind: 'header';
  readonly title: string;
  readonly description: string;
  readonly links: readonly HeaderLink[];
}
export type HeaderLink = 'api' | 'predictFunctionLogs' | 'readFunctionLogs' | 'endpointLogs' | 'table';

export interface AlarmStatusWidget {
  readonly kind: 'alarms';
  readonly title: string;
  /** Alarm ids, the composite first, then Critical, then Warning. */
  readonly alarmIds: readonly string[];
}

export interface GraphWidget {
  readonly kind: 'graph';
  readonly title: string;
  readonly series: readonly SeriesRef[];
  readonly unit: DisplayUnit;
  /** Alarms whose thresholds are drawn on the chart. */
  readonly thresholds: readonly ThresholdLine[];
  readonly width: number;
}
export interface ThresholdLine {
  readonly alarmId: string;
  readonly label: string;
  readonly value: number;
}

export interface LogsWidget {
  readonly kind: 'logs';
  readonly title: string;
  readonly logGroups: readonly LogSource[];
  /** Logs Insights query (CloudWatch). */
  readonly query: string;
  /** The same selection as a filter pattern, for the local dashboard's list of lines. */
  readonly localPattern: string;
}

export interface RowSpec {
  readonly title: string;
  readonly widgets: readonly WidgetSpec[];
}

export interface DashboardLayout {
  readonly title: string;
  readonly rows: readonly RowSpec[];
  /** The enabled alarms, for thresholds and the status row. */
  readonly alarms: readonly ResolvedAlarm[];
}

/** Lines worth reading first: errors, failed requests, and invocations Lambda cut short. */
export const LATEST_ERRORS_QUERY = [
  'fields @timestamp, @log, level, message, errorKind, statusCode, correlation_id, record.status, record.errorType',
  '| filter level = "ERROR" or outcome = "error" or record.status = "timeout" or record.status = "error"',
  '| sort @timestamp desc',
  '| limit 50',
].join('\n');
const LATEST_ERRORS_PATTERN = '{ $.level = "ERROR" || $.outcome = "error" || $.record.status = "timeout" || $.record.status = "error" }';

export function dashboardLayout(config: StageConfig): DashboardLayout {
  const alarms = enabledAlarms(config);
  const byId = new Map(alarms.map((a) => [a.id, a]));
  /** A graph with the thresholds of those of `alarmIds` that are enabled. */
  const graph = (title: string, unit: DisplayUnit, series: SeriesRef[], alarmIds: string[] = [], width = 6): GraphWidget => ({
    kind: 'graph',
    title,
    unit,
    series,
    width,
    thresholds: alarmIds.flatMap((id) => {
      const a = byId.get(id);
      return a ? [{ alarmId: id, label: `${a.title} (${a.severity})`, value: a.threshold }] : [];
    }),
  });
  const predict = lambdaMetrics('predictFunction');
  const read = lambdaMetrics('readFunction');
  const capacity = config.endpoint.capacity;
  const severityOrder = (a: ResolvedAlarm) => (a.severity === 'Critical' ? 0 : 1);

  const rows: RowSpec[] = [
    {
      title: 'Overview',
      widgets: [{
        kind: 'header',
        title: `${resourcePrefix(config)}: inference pipeline`,
        description: `API Gateway -> prediction Lambda -> SageMaker endpoint (${capacity.mode}) -> DynamoDB record, model ${config.model.name} ${config.model.version}.`,
        links: ['api', 'predictFunctionLogs', 'readFunctionLogs', 'endpointLogs', 'table'],
      }],
    },
    {
      title: 'Alarms',
      widgets: [{ kind: 'alarms', title: 'Alarm status', alarmIds: [PIPELINE_UNHEALTHY_ID, ...[...alarms].sort((a, b) => severityOrder(a) - severityOrder(b)).map((a) => a.id)] }],
    },
    {
      title: 'API Gateway',
      widgets: [
        graph('Requests', 'count', [apiMetrics.requests(), handlerMetrics.inferences()], [], 8),
        graph('Errors', 'count', [apiMetrics.serverErrors(), apiMetrics.clientErrors(), handlerMetrics.serverErrors()], [], 8),
        graph('Error rates', 'ratio', [apiMetrics.serverErrorRate(), apiMetrics.clientErrorRate()], ['ApiServerErrorRate', 'ApiClientErrorRate'], 8),
        graph('Latency (ms)', 'ms', [apiMetrics.latency('p50'), apiMetrics.latency('p90'), apiMetrics.latency('p99'), apiMetrics.integrationLatency('p99')], ['ApiLatencyP99'], 12),
        graph('Latency inside the function (ms)', 'ms', [handlerMetrics.latency('p50'), handlerMetrics.latency('p99')], [], 12),
      ],
    },
    {
      title: 'Lambda',
      widgets: [
        graph('Invocations', 'count', [predict.invocations(), predict.errors(), predict.throttles(), read.invocations(), read.errors(), read.throttles()]),
        graph('Duration (ms)', 'ms', [predict.duration('p50'), predict.duration('p99'), read.duration('p99'), handlerMetrics.initDuration('p99')], ['PredictDurationP99']),
        graph('Concurrency', 'count', [predict.concurrentExecutions(), read.concurrentExecutions()], ['PredictConcurrentExecutions']),
        graph('Timeouts and runtime exits', 'count', [handlerMetrics.predictTimeouts(), handlerMetrics.predictRuntimeExits(), handlerMetrics.readTimeouts(), handlerMetrics.readRuntimeExits()]),
        graph('Prediction outcomes', 'count', [handlerMetrics.inferences(), handlerMetrics.serverErrors()]),
        graph('Errors by kind', 'count', [handlerMetrics.errorsByKind()]),
        graph('Server error rate', 'ratio', [handlerMetrics.serverErrorRate()], ['HandlerServerErrorRate']),
        graph('Cold starts', 'count', [handlerMetrics.coldStarts(), handlerMetrics.powertoolsColdStarts()]),
      ],
    },
    {
      title: 'SageMaker endpoint',
      widgets: [
        graph('Invocations', 'count', [endpointMetrics.invocations(), endpointMetrics.serverErrors(), endpointMetrics.clientErrors()]),
        graph('Error rates', 'ratio', [endpointMetrics.serverErrorRate(), endpointMetrics.clientErrorRate()], ['EndpointErrorRate', 'EndpointClientErrorRate']),
        graph('Model latency (µs)', 'µs', [endpointMetrics.modelLatency('p50'), endpointMetrics.modelLatency('p99')], ['EndpointModelLatencyP99']),
        graph('Overhead latency (µs)', 'µs', [endpointMetrics.overheadLatency('p50'), endpointMetrics.overheadLatency('p99')], ['EndpointOverheadLatencyP99']),
        graph('Model call seen by the handler (ms)', 'ms', [handlerMetrics.modelLatency('p50'), handlerMetrics.modelLatency('p99')]),
        graph('Container errors', 'count', [handlerMetrics.containerErrors()], ['EndpointContainerErrors']),
        ...(capacity.mode === 'instance'
          ? [graph('Instance utilisation (%)', '%', [instanceMetrics.cpuOfCapacity(vcpusOf(capacity.instanceType)), instanceMetrics.memory(), instanceMetrics.disk()], ['EndpointCpuUtilization', 'EndpointMemoryUtilization', 'EndpointDiskUtilization'], 12)]
          : []),
      ],
    },
    {
      title: 'DynamoDB',
      widgets: [
        graph('Capacity used', 'count', [tableMetrics.consumedWriteCapacity(), tableMetrics.consumedReadCapacity()]),
        graph('Throttles and system errors', 'count', [tableMetrics.throttledRequests(), tableMetrics.systemErrors()], ['TableThrottledRequests', 'TableSystemErrors']),
        graph('Record write latency (ms)', 'ms', [tableMetrics.putLatency('Average'), tableMetrics.putLatency('Maximum')]),
        graph('Records kept in the log', 'count', [handlerMetrics.recordFallbacks()], ['RecordWriteFallbacks']),
      ],
    },
    {
      title: 'Latest errors',
      widgets: [{
        kind: 'logs',
        title: `Latest errors (ERROR lines, failed requests, timeouts and runtime exits; fallback lines carry "${FALLBACK_MESSAGE}")`,
        logGroups: ['predictFunction', 'readFunction'],
        query: LATEST_ERRORS_QUERY,
        localPattern: LATEST_ERRORS_PATTERN,
      }],
    },
  ];
  return { title: `${resourcePrefix(config)}-pipeline`, rows, alarms };
}

/** Every graph of a layout, for tests and the local renderer. */
export function graphsOf(layout: DashboardLayout): GraphWidget[] {
  return layout.rows.flatMap((r) => r.widgets.filter((w): w is GraphWidget => w.kind === 'graph'));
}
