import { Aws, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { MonitoringConfig } from '../config/stage-config';
import { AlarmTopic } from '../monitoring/cdk/alarm-topic';
import { MonitoredResources, MonitoringTargets, monitoringTargets } from '../monitoring/cdk/monitoring-targets';
import { DashboardLayout } from '../monitoring/dashboard-layout';
import { MonitoringFacade } from '../monitoring/monitoring-facade';

export interface MonitoringStackProps extends StackProps, MonitoredResources {
  /** Whether monitoring is on, who is notified, the low-traffic gate and the dashboard (`monitoring`). */
  readonly monitoring: Pick<MonitoringConfig, 'enabled' | 'alarmEmails' | 'minSampleCount' | 'dashboard'>;
  /**
   * The stage's alarms and dashboard, resolved from its configuration (`dashboardLayout`):
   * the stack creates `layout.alarms`, and draws the layout when `monitoring.dashboard` is on.
   */
  readonly layout: DashboardLayout;
}

/**
 * Watches the whole pipeline: metric filters on the functions' and the endpoint's logs,
 * every service's alarms (lib/monitoring/layers.ts) notifying an encrypted SNS topic,
 * a composite "pipeline unhealthy" alarm over the Critical ones, and the dashboard.
 *
 * It reads the watched resources' names and deploys after the stacks that hold them, so it
 * can be changed, or removed, without touching them.
 */
export class MonitoringStack extends Stack {
  readonly targets: MonitoringTargets;
  readonly layout: DashboardLayout;
  readonly alarmTopic: AlarmTopic;
  readonly monitoring: MonitoringFacade;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { monitoring } = props;
    if (!monitoring.enabled) throw new Error('monitoring.enabled is false: do not create the monitoring stack');
    // The log groups must exist before their filters, the alarms before the composite reads them.
    const watched = [props.table, props.endpoint, props.restApi, props.predictFunction, props.readFunction].map((r) => Stack.of(r));
    for (const stack of new Set(watched)) this.addStackDependency(stack);

    this.targets = monitoringTargets(props);
    this.layout = props.layout;
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: `${props.prefix}-alarms`,
      emails: monitoring.alarmEmails,
    });

    this.monitoring = new MonitoringFacade(this, 'Monitoring', {
      alarms: this.layout.alarms,
      minSampleCount: monitoring.minSampleCount,
      targets: this.targets,
      topic: this.alarmTopic.topic,
    })
      .addMetricFilters()
      .monitorServices()
      .addPipelineUnhealthyAlarm();

    if (monitoring.dashboard) {
      this.monitoring.addDashboard(this.layout);
      new CfnOutput(this, 'DashboardUrl', {
        value: `https://${Aws.REGION}.console.aws.amazon.com/cloudwatch/home?region=${Aws.REGION}#dashboards:name=${this.layout.title}`,
        description: 'CloudWatch dashboard of the pipeline',
      });
    }
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topic.topicArn,
      description: 'SNS topic of the alarms (subscribe for ALARM and OK notifications)',
    });
  }
}
