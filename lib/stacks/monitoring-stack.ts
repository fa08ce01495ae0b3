import { Aws, CfnOutput, Stack, StackProps } from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { StageConfig, resourcePrefix } from '../config/stage-config';
import { AlarmTopic } from '../monitoring/cdk/alarm-topic';
import { MonitoringTargets, targetsFromStacks } from '../monitoring/cdk/monitoring-targets';
import { DashboardLayout, dashboardLayout } from '../monitoring/dashboard-layout';
import { MonitoringFacade } from '../monitoring/monitoring-facade';
import type { ApiStack } from './api-stack';
import type { DataStack } from './data-stack';
import type { EndpointStack } from './endpoint-stack';

export interface MonitoringStackProps extends StackProps {
  readonly config: StageConfig;
  readonly api: ApiStack;
  readonly endpoint: EndpointStack;
  readonly data: DataStack;
}

/**
 * Watches the whole pipeline: metric filters on the functions' and the endpoint's logs,
 * every service's alarms (lib/monitoring/layers.ts) notifying an encrypted SNS topic,
 * a composite "pipeline unhealthy" alarm over the Critical ones, and the dashboard.
 *
 * It reads the other stacks' resources by name and deploys after them, so it can be
 * changed, or removed, without touching them.
 */
export class MonitoringStack extends Stack {
  readonly targets: MonitoringTargets;
  readonly layout: DashboardLayout;
  readonly alarmTopic: AlarmTopic;
  readonly monitoring: MonitoringFacade;

  constructor(scope: Construct, id: string, props: MonitoringStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (!config.monitoring.enabled) throw new Error('monitoring.enabled is false: do not create the monitoring stack');
    // The log groups must exist before their filters, the alarms before the composite reads them.
    for (const watched of [props.data, props.endpoint, props.api]) this.addStackDependency(watched);

    this.targets = targetsFromStacks(config, props.api, props.endpoint, props.data);
    this.layout = dashboardLayout(config);
    this.alarmTopic = new AlarmTopic(this, 'AlarmTopic', {
      topicName: `${resourcePrefix(config)}-alarms`,
      emails: config.monitoring.alarmEmails,
    });

    this.monitoring = new MonitoringFacade(this, 'Monitoring', { config, targets: this.targets, topic: this.alarmTopic.topic })
      .addMetricFilters()
      .monitorServices()
      .addPipelineUnhealthyAlarm();

    if (config.monitoring.dashboard) {
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
