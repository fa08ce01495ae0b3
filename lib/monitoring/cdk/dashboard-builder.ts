/**
 * The CloudWatch dashboard, built from the layout (dashboard-layout.ts): one titled row
 * per layout row, widgets in the layout's order, alarm thresholds drawn on the charts.
 */
import { Aws } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { DashboardLayout, GraphWidget, HeaderLink, SEVERITY_COLORS, WidgetSpec } from '../dashboard-layout';
import { MetricResolver } from './metric-resolver';
import { MonitoringTargets } from './monitoring-targets';

export interface DashboardBuilderProps {
  readonly layout: DashboardLayout;
  readonly resolver: MetricResolver;
  readonly alarms: ReadonlyMap<string, cloudwatch.IAlarm>;
  readonly targets: MonitoringTargets;
}

const GRAPH_HEIGHT = 6;

export function buildCloudWatchDashboard(scope: Construct, id: string, props: DashboardBuilderProps): cloudwatch.Dashboard {
  const { layout } = props;
  const dashboard = new cloudwatch.Dashboard(scope, id, {
    dashboardName: layout.title,
    periodOverride: cloudwatch.PeriodOverride.AUTO,
  });
  for (const row of layout.rows) {
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown: `## ${row.title}`,
        width: 24,
        height: 1,
        background: cloudwatch.TextWidgetBackground.TRANSPARENT,
      }),
    );
    dashboard.addWidgets(...row.widgets.map((w) => widget(w, props)));
  }
  return dashboard;
}

function widget(spec: WidgetSpec, props: DashboardBuilderProps): cloudwatch.IWidget {
  switch (spec.kind) {
    case 'header':
      return new cloudwatch.TextWidget({
        markdown: [`# ${spec.title}`, spec.description, '', spec.links.map((l) => link(l, props.targets)).join(' · ')].join('\n'),
        width: 24,
        height: 3,
      });
    case 'alarms': {
      const alarms = spec.alarmIds.flatMap((id) => (props.alarms.has(id) ? [props.alarms.get(id)!] : []));
      return new cloudwatch.AlarmStatusWidget({
        title: spec.title,
        alarms,
        width: 24,
        // Six alarm tiles fit in one line of the widget.
        height: 1 + Math.ceil(alarms.length / 6),
        sortBy: cloudwatch.AlarmStatusWidgetSortBy.STATE_UPDATED_TIMESTAMP,
      });
    }
    case 'graph':
      return graph(spec, props);
    case 'logs':
      return new cloudwatch.LogQueryWidget({
        title: spec.title,
        logGroupNames: spec.logGroups.map((g) => props.targets.logGroupNames[g]),
        queryString: spec.query,
        view: cloudwatch.LogQueryVisualizationType.TABLE,
        width: 24,
        height: 8,
      });
  }
}

function graph(spec: GraphWidget, props: DashboardBuilderProps): cloudwatch.GraphWidget {
  const severityOf = (alarmId: string) => props.layout.alarms.find((a) => a.id === alarmId)?.severity ?? 'Warning';
  return new cloudwatch.GraphWidget({
    title: spec.title,
    left: spec.series.map((s) => props.resolver.resolve(s)),
    leftAnnotations: spec.thresholds.map((t) => ({ value: t.value, label: t.label, color: SEVERITY_COLORS[severityOf(t.alarmId)] })),
    leftYAxis: { label: spec.unit, showUnits: false, min: 0 },
    width: spec.width,
    height: GRAPH_HEIGHT,
    liveData: true,
  });
}

/** A console link; the region is the stack's (a token, resolved at deploy time). */
function link(kind: HeaderLink, t: MonitoringTargets): string {
  const console = `https://${Aws.REGION}.console.aws.amazon.com`;
  const logGroup = (name: string) =>
    `${console}/cloudwatch/home?region=${Aws.REGION}#logsV2:log-groups/log-group/${name.replace(/\//g, '$252F')}`;
  switch (kind) {
    case 'api':
      return `[API ${t.apiName}](${console}/apigateway/main/apis?region=${Aws.REGION})`;
    case 'predictFunctionLogs':
      return `[prediction function logs](${logGroup(t.logGroupNames.predictFunction)})`;
    case 'readFunctionLogs':
      return `[read function logs](${logGroup(t.logGroupNames.readFunction)})`;
    case 'endpointLogs':
      return `[endpoint ${t.endpointName} logs](${logGroup(t.logGroupNames.endpoint)})`;
    case 'table':
      return `[table ${t.tableName}](${console}/dynamodbv2/home?region=${Aws.REGION}#table?name=${t.tableName})`;
  }
}
