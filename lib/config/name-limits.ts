import { StageConfig, resourcePrefix } from './stage-config';

/**
 * Every physical name the stacks build from the configuration, with the limit its service
 * documents, so a name that is too long is refused in config validation (naming the settings
 * to shorten) instead of failing at synth with a raw error, or at deploy half way through.
 *
 * Keep this list in step with the stacks: test/lib/config/name-limits.test.ts synthesizes
 * every stack and fails on a physical name that is not listed here.
 */
export interface GeneratedName {
  /** What the name is, in words. */
  readonly what: string;
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** The settings the name is built from: what to shorten. */
  readonly settings: readonly string[];
  /** The documented limit: `title (url)`. */
  readonly source: string;
}

/** The longest alarm id of lib/monitoring/alarm-catalog.ts may not exceed this (tested there). */
export const MAX_ALARM_ID_LENGTH = 40;

const SRC = {
  endpoint:
    'SageMaker EndpointName: "Maximum length of 63" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelDeployConfig.html)',
  notebook:
    'SageMaker NotebookInstanceName: "Maximum length of 63" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_StartNotebookInstance.html)',
  lambda:
    'Lambda FunctionName: "If you specify only the function name, it is limited to 64 characters in length" (https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html)',
  role: 'IAM RoleName: "Maximum length of 64" (https://docs.aws.amazon.com/IAM/latest/APIReference/API_PolicyRole.html)',
  table:
    'DynamoDB: "Table names and index names must be between 3 and 255 characters long" (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html)',
  logGroup:
    'CloudWatch Logs: "Log group names can be between 1 and 512 characters long" (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html)',
  alarm:
    'CloudWatch AlarmName: "Maximum length of 255" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html; the same limit on the Alarm shape, https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_Alarm.html)',
  dashboard:
    'CloudWatch DashboardName: "The maximum length is 255" (https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html)',
  topic: 'SNS: topic names "must be between 1 and 256 characters long" (https://docs.aws.amazon.com/sns/latest/api/API_CreateTopic.html)',
  alias: 'KMS: "The alias must be string of 1-256 characters" (https://docs.aws.amazon.com/kms/latest/developerguide/alias-create.html)',
  stack:
    'CloudFormation: a stack name "can\'t be longer than 128 characters" (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStack.html)',
  cloudtrail:
    'CloudTrail resource names must "Be between 3 and 128 characters" (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-trail-naming-requirements.html)',
  webAcl: 'WAF WebACL Name: "Maximum length of 128" (https://docs.aws.amazon.com/waf/latest/APIReference/API_CreateWebACL.html)',
} as const;

/** Every generated name of the stage, for the parts the stage turns on. */
export function generatedNames(c: StageConfig): GeneratedName[] {
  const prefix = resourcePrefix(c);
  const base = ['project', 'stage'];
  const names: GeneratedName[] = [];
  const add = (what: string, name: string, min: number, max: number, source: string, settings: readonly string[] = base) =>
    names.push({ what, name, min, max, settings, source });

  for (const suffix of ['data', 'endpoint', 'api', 'monitoring', 'audit', 'ci'])
    add(`the ${suffix} stack name`, `${prefix}-${suffix}`, 1, 128, SRC.stack);
  add('the data key alias', `alias/${prefix}-data`, 1, 256, SRC.alias);
  add('the table name', `${prefix}-inferences`, 3, 255, SRC.table);

  const endpoint = `${prefix}-${c.model.name}`;
  const withModel = [...base, 'model.name'];
  add('the SageMaker endpoint name', endpoint, 1, 63, SRC.endpoint, withModel);
  add('the endpoint log group name', `/aws/sagemaker/Endpoints/${endpoint}`, 1, 512, SRC.logGroup, withModel);
  if (c.endpoint.deployment.autoRollback) {
    for (const alarm of ['deployment-error-rate', 'deployment-model-latency'])
      add('a rollback alarm name', `${endpoint}-${alarm}`, 1, 255, SRC.alarm, withModel);
  }

  for (const fn of ['predict', 'read', 'record-deployment']) {
    add(`the ${fn} function name`, `${prefix}-${fn}`, 1, 64, SRC.lambda);
    add(`the ${fn} function's log group name`, `/aws/lambda/${prefix}-${fn}`, 1, 512, SRC.logGroup);
  }
  add('the API access log group name', `/aws/apigateway/${prefix}-api/access`, 1, 512, SRC.logGroup);
  if (c.api.waf.enabled) {
    add('the web ACL name', `${prefix}-api`, 1, 128, SRC.webAcl);
    add('the web ACL log group name', `aws-waf-logs-${prefix}-api`, 1, 512, SRC.logGroup);
  }

  if (c.monitoring.enabled) {
    add('the alarm topic name', `${prefix}-alarms`, 1, 256, SRC.topic);
    add('the longest alarm name', `${prefix}-${'x'.repeat(MAX_ALARM_ID_LENGTH)}`, 1, 255, SRC.alarm);
    if (c.monitoring.dashboard) add('the dashboard name', `${prefix}-pipeline`, 1, 255, SRC.dashboard);
  }
  if (c.audit.enabled) {
    add('the event data store name', `${prefix}-audit`, 3, 128, SRC.cloudtrail);
    if (c.audit.responderWorkspace.enabled) add('the responder notebook instance name', `${prefix}-responder`, 1, 63, SRC.notebook);
  }
  if (c.ci) {
    for (const role of ['github-deploy', 'github-diff']) add(`the ${role} role name`, `${prefix}-${role}`, 1, 64, SRC.role);
  }
  return names;
}

/** One problem per name outside its limit, naming the settings to shorten. */
export function nameLimitProblems(c: StageConfig): string[] {
  return generatedNames(c)
    .filter((n) => n.name.length < n.min || n.name.length > n.max)
    .map((n) => {
      const over = n.name.length - n.max;
      const fix =
        over > 0
          ? `shorten ${n.settings.join(', ')} by ${over} character${over === 1 ? '' : 's'} together`
          : `lengthen ${n.settings.join(', ')}`;
      return `${n.settings.join(', ')}: ${n.what} '${n.name}' has ${n.name.length} characters, outside its limit of ${n.min} to ${n.max}; ${fix} (${n.source})`;
    });
}
