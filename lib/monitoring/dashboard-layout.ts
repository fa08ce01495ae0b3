/**
 * The dashboard, defined once as plain data: rows of widgets that read like the
 * architecture, top to bottom — a header with links, the alarms, then one row per service
 * (API Gateway -> Lambda -> SageMaker -> DynamoDB, from `layers.ts`), and the latest errors.
 * The CloudWatch dashboard (`cdk/dashboard-builder.ts`) and the local dashboard
 * (tools/local/dashboard) are both built from this, so they cannot disagree on what is
 * shown where.
 *
 * Each service row mixes the service's own metrics with the handler's view of that layer
 * (from its log): the service metrics exist only in CloudWatch, the handler's also locally.
 */
import { StageConfig, resourcePrefix } from '../config/stage-config';
import { FALLBACK_MESSAGE } from '../../contract/handlers';
import { ResolvedAlarm, enabledAlarms } from './alarm-catalog';
import { GraphWidget, WidgetContext, WidgetSpec } from './dashboard/widget-spec';
import { MONITORED_SERVICES } from './layers';

export { SEVERITY_COLORS } from './dashboard/widget-spec';
export type {
  AlarmStatusWidget,
  GraphWidget,
  HeaderLink,
  HeaderWidget,
  LogsWidget,
  ThresholdLine,
  WidgetSpec,
} from './dashboard/widget-spec';

/** The composite alarm's id: it leads the alarm row. */
export const PIPELINE_UNHEALTHY_ID = 'PipelineUnhealthy';

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
  const ctx: WidgetContext = { config, alarms: new Map(alarms.map((a) => [a.id, a])) };
  const capacity = config.endpoint.capacity;
  const severityOrder = (a: ResolvedAlarm) => (a.severity === 'Critical' ? 0 : 1);

  // One row per service row, in the order the services first name it.
  const serviceRows = new Map<string, WidgetSpec[]>();
  for (const service of MONITORED_SERVICES) {
    serviceRows.set(service.row, [...(serviceRows.get(service.row) ?? []), ...service.widgets(ctx)]);
  }

  const rows: RowSpec[] = [
    {
      title: 'Overview',
      widgets: [
        {
          kind: 'header',
          title: `${resourcePrefix(config)}: inference pipeline`,
          description: `API Gateway -> prediction Lambda -> SageMaker endpoint (${capacity.mode}) -> DynamoDB record, model ${config.model.name} ${config.model.version}.`,
          links: ['api', 'predictFunctionLogs', 'readFunctionLogs', 'endpointLogs', 'table'],
        },
      ],
    },
    {
      title: 'Alarms',
      widgets: [
        {
          kind: 'alarms',
          title: 'Alarm status',
          alarmIds: [PIPELINE_UNHEALTHY_ID, ...[...alarms].sort((a, b) => severityOrder(a) - severityOrder(b)).map((a) => a.id)],
        },
      ],
    },
    ...[...serviceRows].map(([title, widgets]) => ({ title, widgets })),
    {
      title: 'Latest errors',
      widgets: [
        {
          kind: 'logs',
          title: `Latest errors (ERROR lines, failed requests, timeouts and runtime exits; fallback lines carry "${FALLBACK_MESSAGE}")`,
          logGroups: ['predictFunction', 'readFunction'],
          query: LATEST_ERRORS_QUERY,
          localPattern: LATEST_ERRORS_PATTERN,
        },
      ],
    },
  ];
  return { title: `${resourcePrefix(config)}-pipeline`, rows, alarms };
}

/** Every graph of a layout, for tests and the local renderer. */
export function graphsOf(layout: DashboardLayout): GraphWidget[] {
  return layout.rows.flatMap((r) => r.widgets.filter((w): w is GraphWidget => w.kind === 'graph'));
}
