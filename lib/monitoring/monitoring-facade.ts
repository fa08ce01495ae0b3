/**
 * The pipeline's monitoring, assembled layer by layer with a fluent facade:
 *
 *   new MonitoringFacade(stack, 'Monitoring', { alarms, minSampleCount, targets, topic })
 *     .addMetricFilters()
 *     .monitorServices()
 *     .addPipelineUnhealthyAlarm()
 *     .addDashboard(layout);
 *
 * monitorServices() creates the enabled catalog alarms of every service of `layers.ts`, in
 * order, notifying the topic on ALARM and OK, and files them by severity; the composite alarm
 * is built over the Critical ones. Construct ids are the catalog's alarm ids and the filters'
 * ids, so they are stable.
 */
import { Annotations } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Comparison, ResolvedAlarm, Severity, TreatMissingData, gatedSignal } from './alarm-catalog';
import { buildCloudWatchDashboard } from './cdk/dashboard-builder';
import { MetricResolver } from './cdk/metric-resolver';
import { MonitoringTargets } from './cdk/monitoring-targets';
import { DashboardLayout, PIPELINE_UNHEALTHY_ID } from './dashboard-layout';
import { MONITORED_SERVICES } from './layers';
import { LogSource, METRIC_FILTERS, validateMetricFilter } from './metric-filters';

/** The definitions' plain values as CDK enums (typed, so a new value cannot be missed). */
const COMPARISON: Record<Comparison, cloudwatch.ComparisonOperator> = {
  GreaterThanThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
  GreaterThanOrEqualToThreshold: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
};
const MISSING_DATA: Record<TreatMissingData, cloudwatch.TreatMissingData> = {
  notBreaching: cloudwatch.TreatMissingData.NOT_BREACHING,
  breaching: cloudwatch.TreatMissingData.BREACHING,
  ignore: cloudwatch.TreatMissingData.IGNORE,
  missing: cloudwatch.TreatMissingData.MISSING,
};

export interface MonitoringFacadeProps {
  /** The stage's enabled alarms, resolved against its overrides (`enabledAlarms`). */
  readonly alarms: readonly ResolvedAlarm[];
  /** Requests per alarm period under which rate and percentile alarms stay quiet (`monitoring.minSampleCount`). */
  readonly minSampleCount: number;
  readonly targets: MonitoringTargets;
  readonly topic: sns.ITopic;
}

export class MonitoringFacade extends Construct {
  /** Every alarm created, by catalog id (and the composite under PIPELINE_UNHEALTHY_ID). */
  readonly alarms = new Map<string, cloudwatch.IAlarm>();
  readonly alarmsBySeverity: Record<Severity, cloudwatch.IAlarm[]> = { Critical: [], Warning: [] };
  readonly metricFilters: logs.MetricFilter[] = [];
  dashboard?: cloudwatch.Dashboard;

  private readonly resolver: MetricResolver;
  private readonly catalog: readonly ResolvedAlarm[];
  private readonly action: actions.SnsAction;
  /** Filters and alarms share ids (PredictTimeouts is both), so each kind has its own scope. */
  private readonly filterScope = new Construct(this, 'MetricFilters');
  private readonly alarmScope = new Construct(this, 'Alarms');

  constructor(
    scope: Construct,
    id: string,
    private readonly props: MonitoringFacadeProps,
  ) {
    super(scope, id);
    this.resolver = new MetricResolver(props.targets);
    this.catalog = props.alarms;
    this.action = new actions.SnsAction(props.topic);
  }

  /** The metric filters on the functions' and the endpoint's log groups (which their stacks create). */
  addMetricFilters(): this {
    const groups = new Map<LogSource, logs.ILogGroup>();
    const groupOf = (source: LogSource) => {
      if (!groups.has(source))
        groups.set(source, logs.LogGroup.fromLogGroupName(this.filterScope, `${source}LogGroup`, this.props.targets.logGroupNames[source]));
      return groups.get(source)!;
    };
    for (const def of METRIC_FILTERS) {
      validateMetricFilter(def);
      this.metricFilters.push(
        new logs.MetricFilter(this.filterScope, def.id, {
          logGroup: groupOf(def.logGroup),
          filterPattern: logs.FilterPattern.literal(def.pattern),
          metricNamespace: this.props.targets.logMetricsNamespace,
          metricName: def.metricName,
          metricValue: def.metricValue,
          unit: def.unit === 'Milliseconds' ? cloudwatch.Unit.MILLISECONDS : cloudwatch.Unit.COUNT,
          dimensions: def.dimensions ? { ...def.dimensions } : undefined,
        }),
      );
    }
    return this;
  }

  /**
   * The alarms of every service of `layers.ts`, in its order. Each is its own metric alarm,
   * gated against low traffic and notifying the topic, including the endpoint's error rate and
   * model latency: the endpoint's deployment-rollback alarms watch the same signals at the same
   * thresholds, but ungated and without actions, for the deployment guardrail alone.
   */
  monitorServices(): this {
    for (const service of MONITORED_SERVICES) {
      for (const def of this.catalog.filter((a) => a.layer === service.layer)) {
        const alarm = this.createAlarm(def);
        this.notify(alarm);
        this.alarms.set(def.id, alarm);
        this.alarmsBySeverity[def.severity].push(alarm);
      }
    }
    return this;
  }

  /** One alarm a pager can follow: any Critical alarm in ALARM. */
  addPipelineUnhealthyAlarm(): this {
    const critical = this.alarmsBySeverity.Critical;
    if (critical.length === 0) {
      Annotations.of(this).addWarningV2(
        '@pipeline/monitoring:noCriticalAlarms',
        'every Critical alarm is disabled: no pipeline-unhealthy composite alarm is created',
      );
      return this;
    }
    const alarm = new cloudwatch.CompositeAlarm(this.alarmScope, PIPELINE_UNHEALTHY_ID, {
      compositeAlarmName: `${this.props.targets.prefix}-${PIPELINE_UNHEALTHY_ID}`,
      alarmDescription: `[Critical] The inference pipeline is unhealthy: at least one Critical alarm is in ALARM. First action: open the dashboard ${this.props.targets.prefix}-pipeline and follow the red alarm's own first action.`,
      alarmRule: cloudwatch.AlarmRule.anyOf(...critical.map((a) => cloudwatch.AlarmRule.fromAlarm(a, cloudwatch.AlarmState.ALARM))),
    });
    this.notify(alarm);
    this.alarms.set(PIPELINE_UNHEALTHY_ID, alarm);
    return this;
  }

  addDashboard(layout: DashboardLayout): this {
    this.dashboard = buildCloudWatchDashboard(this, 'Dashboard', {
      layout,
      resolver: this.resolver,
      alarms: this.alarms,
      targets: this.props.targets,
    });
    return this;
  }

  private createAlarm(def: ResolvedAlarm): cloudwatch.Alarm {
    return new cloudwatch.Alarm(this.alarmScope, def.id, {
      alarmName: `${this.props.targets.prefix}-${def.id}`,
      alarmDescription: this.describe(def),
      metric: this.resolver.resolve(gatedSignal(def, this.props.minSampleCount), def.periodSec),
      threshold: def.threshold,
      comparisonOperator: COMPARISON[def.comparison],
      evaluationPeriods: def.evaluationPeriods,
      datapointsToAlarm: def.datapointsToAlarm,
      treatMissingData: MISSING_DATA[def.treatMissingData],
    });
  }

  private notify(alarm: cloudwatch.Alarm | cloudwatch.CompositeAlarm): void {
    alarm.addAlarmAction(this.action);
    alarm.addOkAction(this.action);
  }

  /** Severity, meaning and the runbook's first action, with this stage's names filled in. */
  private describe(def: ResolvedAlarm): string {
    const text = `[${def.severity}] ${def.meaning} First action: ${def.firstAction}`.replace(
      /<endpoint>/g,
      this.props.targets.endpointName,
    );
    if (text.length > 1024) throw new Error(`alarm ${def.id}: description is ${text.length} characters, CloudWatch allows 1024`);
    return text;
  }
}
