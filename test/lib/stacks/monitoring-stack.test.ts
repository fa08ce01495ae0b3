/**
 * The monitoring stack as CloudFormation will see it, per stage: every alarm's metric,
 * statistic, period, threshold, evaluation and actions; the stages' differences; overrides
 * from configuration; the composite alarm; the topic; the metric filters; the outputs.
 * Expected values are written out here, not read back from the catalog.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { resolveAlarms } from '../../../lib/monitoring/alarm-catalog';
import { LATEST_ERRORS_QUERY, dashboardLayout, graphsOf } from '../../../lib/monitoring/dashboard-layout';
import { MONITORED_SERVICES } from '../../../lib/monitoring/layers';
import { METRIC_FILTERS } from '../../../lib/monitoring/metric-filters';
import { MonitoringStack, MonitoringStackProps } from '../../../lib/stacks/monitoring-stack';
import { SynthesizedMonitoring, synthMonitoring } from '../../harness/synth';
import { AlarmMetric, Props, alarmMetrics, alarmsByName, compositeMembers, flatten, only } from '../../harness/monitoring-template';

let dev: SynthesizedMonitoring;
let prod: SynthesizedMonitoring;
beforeAll(() => {
  dev = synthMonitoring('dev');
  prod = synthMonitoring('prod');
});

type Stage = 'dev' | 'prod';
const LOGS = (stage: Stage) => `InferencePipeline/inference-${stage}`;
const API = (stage: Stage) => ({ namespace: 'AWS/ApiGateway', dimensions: { ApiName: `inference-${stage}-api`, Stage: stage } });
const FN = (stage: Stage, fn: 'predict' | 'read') => ({
  namespace: 'AWS/Lambda',
  dimensions: { FunctionName: `inference-${stage}-${fn}` },
});
const SM = (stage: Stage) => ({
  namespace: 'AWS/SageMaker',
  dimensions: { EndpointName: `inference-${stage}-iris-classifier`, VariantName: 'AllTraffic' },
});
const SMI = (stage: Stage) => ({
  namespace: '/aws/sagemaker/Endpoints',
  dimensions: { EndpointName: `inference-${stage}-iris-classifier`, VariantName: 'AllTraffic' },
});
const LOG = (stage: Stage) => ({ namespace: LOGS(stage), dimensions: {} });

interface Expected {
  /** The compared metric: namespace, dimensions, name, statistic, period. */
  readonly metric: (s: Stage) => Omit<AlarmMetric, 'id'>;
  /** The request count gating a rate or percentile alarm. */
  readonly gate?: (s: Stage) => Omit<AlarmMetric, 'id'>;
  readonly threshold: Record<Stage, number>;
  readonly comparison?: string;
  readonly evaluation: [number, number];
  readonly missing: string;
  readonly severity: 'Critical' | 'Warning';
  /** A metric-math signal: its expression (before gating). */
  readonly expression?: string;
  readonly prodOnly?: boolean;
}

const m = (where: { namespace: string; dimensions: Record<string, unknown> }, metricName: string, stat: string, period = 60) => ({
  ...where,
  metricName,
  stat,
  period,
});

const EXPECTED: Record<string, Expected> = {
  ApiServerErrorRate: {
    metric: (s) => m(API(s), '5XXError', 'Average'),
    gate: (s) => m(API(s), 'Count', 'Sum'),
    threshold: { dev: 0.05, prod: 0.05 },
    evaluation: [3, 3],
    missing: 'notBreaching',
    severity: 'Critical',
  },
  ApiClientErrorRate: {
    metric: (s) => m(API(s), '4XXError', 'Average'),
    gate: (s) => m(API(s), 'Count', 'Sum'),
    threshold: { dev: 0.05, prod: 0.05 },
    evaluation: [5, 5],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  ApiLatencyP99: {
    metric: (s) => m(API(s), 'Latency', 'p99'),
    gate: (s) => m(API(s), 'Count', 'Sum'),
    threshold: { dev: 6000, prod: 2000 },
    evaluation: [5, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  PredictErrors: {
    metric: (s) => m(FN(s, 'predict'), 'Errors', 'Sum'),
    threshold: { dev: 0, prod: 0 },
    evaluation: [3, 3],
    missing: 'notBreaching',
    severity: 'Critical',
  },
  PredictThrottles: {
    metric: (s) => m(FN(s, 'predict'), 'Throttles', 'Sum'),
    threshold: { dev: 0, prod: 0 },
    evaluation: [5, 5],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  // 80% of the function timeout: 28 s in dev, 15 s in prod.
  PredictDurationP99: {
    metric: (s) => m(FN(s, 'predict'), 'Duration', 'p99'),
    gate: (s) => m(FN(s, 'predict'), 'Invocations', 'Sum'),
    threshold: { dev: 14400, prod: 12000 },
    evaluation: [5, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  PredictConcurrentExecutions: {
    metric: (s) => m(FN(s, 'predict'), 'ConcurrentExecutions', 'Maximum'),
    threshold: { dev: 800, prod: 800 },
    evaluation: [3, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  PredictTimeouts: {
    metric: (s) => m(LOG(s), 'PredictFunctionTimeouts', 'Sum', 300),
    threshold: { dev: 0, prod: 0 },
    evaluation: [3, 2],
    missing: 'notBreaching',
    severity: 'Critical',
  },
  PredictRuntimeExits: {
    metric: (s) => m(LOG(s), 'PredictFunctionRuntimeExits', 'Sum', 300),
    threshold: { dev: 0, prod: 0 },
    evaluation: [3, 2],
    missing: 'notBreaching',
    severity: 'Critical',
  },
  ReadErrors: {
    metric: (s) => m(FN(s, 'read'), 'Errors', 'Sum'),
    threshold: { dev: 0, prod: 0 },
    evaluation: [3, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  ReadThrottles: {
    metric: (s) => m(FN(s, 'read'), 'Throttles', 'Sum'),
    threshold: { dev: 0, prod: 0 },
    evaluation: [5, 5],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  ReadTimeouts: {
    metric: (s) => m(LOG(s), 'ReadFunctionTimeouts', 'Sum', 300),
    threshold: { dev: 0, prod: 0 },
    evaluation: [1, 1],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  ReadRuntimeExits: {
    metric: (s) => m(LOG(s), 'ReadFunctionRuntimeExits', 'Sum', 300),
    threshold: { dev: 0, prod: 0 },
    evaluation: [1, 1],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  EndpointErrorRate: {
    metric: (s) => m(SM(s), 'Invocation5XXErrors', 'Average'),
    gate: (s) => m(SM(s), 'Invocations', 'Sum'),
    threshold: { dev: 0.05, prod: 0.05 },
    evaluation: [3, 2],
    missing: 'notBreaching',
    severity: 'Critical',
  },
  EndpointClientErrorRate: {
    metric: (s) => m(SM(s), 'Invocation4XXErrors', 'Average'),
    gate: (s) => m(SM(s), 'Invocations', 'Sum'),
    threshold: { dev: 0.05, prod: 0.05 },
    evaluation: [5, 5],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  // Microseconds: 2 s.
  EndpointModelLatencyP99: {
    metric: (s) => m(SM(s), 'ModelLatency', 'p99'),
    gate: (s) => m(SM(s), 'Invocations', 'Sum'),
    threshold: { dev: 2_000_000, prod: 2_000_000 },
    evaluation: [3, 2],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  EndpointOverheadLatencyP99: {
    metric: (s) => m(SM(s), 'OverheadLatency', 'p99'),
    gate: (s) => m(SM(s), 'Invocations', 'Sum'),
    threshold: { dev: 3_000_000, prod: 200_000 },
    evaluation: [5, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  // ml.m5.large has 2 vCPUs: CPUUtilization reads up to 200, the alarm compares CPU / 2.
  EndpointCpuUtilization: {
    metric: (s) => m(SMI(s), 'CPUUtilization', 'Average', 300),
    expression: 'cpu / 2',
    threshold: { dev: NaN, prod: 80 },
    evaluation: [3, 3],
    missing: 'missing',
    severity: 'Warning',
    prodOnly: true,
  },
  EndpointMemoryUtilization: {
    metric: (s) => m(SMI(s), 'MemoryUtilization', 'Average', 300),
    threshold: { dev: NaN, prod: 85 },
    evaluation: [3, 3],
    missing: 'missing',
    severity: 'Warning',
    prodOnly: true,
  },
  EndpointDiskUtilization: {
    metric: (s) => m(SMI(s), 'DiskUtilization', 'Average', 300),
    threshold: { dev: NaN, prod: 80 },
    evaluation: [3, 3],
    missing: 'missing',
    severity: 'Warning',
    prodOnly: true,
  },
  EndpointContainerErrors: {
    metric: (s) => m(LOG(s), 'EndpointContainerErrors', 'Sum', 300),
    threshold: { dev: 0, prod: 0 },
    evaluation: [1, 1],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  // Summed over the five operations the functions call (UpdateItem and DeleteItem are the idempotency key's).
  TableThrottledRequests: {
    metric: () => ({ metricName: 'ThrottledRequests' }),
    expression: 'FILL(throttled0, 0) + FILL(throttled1, 0) + FILL(throttled2, 0) + FILL(throttled3, 0) + FILL(throttled4, 0)',
    threshold: { dev: 0, prod: 0 },
    evaluation: [5, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  TableSystemErrors: {
    metric: () => ({ metricName: 'SystemErrors' }),
    expression: 'FILL(syserrors0, 0) + FILL(syserrors1, 0) + FILL(syserrors2, 0) + FILL(syserrors3, 0) + FILL(syserrors4, 0)',
    threshold: { dev: 0, prod: 0 },
    evaluation: [5, 3],
    missing: 'notBreaching',
    severity: 'Warning',
  },
  HandlerServerErrorRate: {
    metric: (s) => m(LOG(s), 'InferenceServerErrors', 'Sum'),
    gate: (s) => m(LOG(s), 'Inferences', 'Sum'),
    expression: 'FILL(errors, 0) / requests',
    threshold: { dev: 0.05, prod: 0.05 },
    evaluation: [3, 3],
    missing: 'notBreaching',
    severity: 'Critical',
  },
  RecordWriteFallbacks: {
    metric: (s) => m(LOG(s), 'RecordWriteFallbacks', 'Sum', 300),
    threshold: { dev: 0, prod: 0 },
    evaluation: [1, 1],
    missing: 'notBreaching',
    severity: 'Warning',
  },
};
/** In prod the endpoint's deployment-rollback alarms watch the same signals as these, for the guardrail alone. */
const ROLLBACK_IN_PROD = {
  EndpointErrorRate: 'inference-prod-iris-classifier-deployment-error-rate',
  EndpointModelLatencyP99: 'inference-prod-iris-classifier-deployment-model-latency',
};

const synth = (stage: Stage) => (stage === 'dev' ? dev : prod);
const topicRef = (t: Template) => ({ Ref: only(t, 'AWS::SNS::Topic').logicalId });

describe.each(['dev', 'prod'] as const)('%s alarms', (stage) => {
  const ids = Object.keys(EXPECTED).filter((id) => stage === 'prod' || !EXPECTED[id].prodOnly);
  const minSamples = stage === 'dev' ? 10 : 20;

  test('exactly the expected alarms exist, plus the composite', () => {
    const names = [...alarmsByName(synth(stage).template).keys()].sort();
    expect(names).toEqual([...ids, 'PipelineUnhealthy'].map((id) => `inference-${stage}-${id}`).sort());
  });

  test.each(ids)('%s: metric, statistic, period, threshold, evaluation and actions', (id) => {
    const e = EXPECTED[id];
    const alarm = alarmsByName(synth(stage).template).get(`inference-${stage}-${id}`)!;
    expect(alarm.type).toBe('AWS::CloudWatch::Alarm');
    const p = alarm.props;
    expect(p.Threshold).toBe(e.threshold[stage]);
    expect(p.ComparisonOperator).toBe(e.comparison ?? 'GreaterThanThreshold');
    expect([p.EvaluationPeriods, p.DatapointsToAlarm]).toEqual(e.evaluation);
    expect(p.TreatMissingData).toBe(e.missing);
    expect(p.AlarmActions).toEqual([topicRef(synth(stage).template)]);
    expect(p.OKActions).toEqual([topicRef(synth(stage).template)]);
    expect(p.AlarmDescription).toMatch(new RegExp(`^\\[${e.severity}\\] .+ First action: .+`));

    const metrics = alarmMetrics(p);
    const signal = e.metric(stage);
    const returned = metrics.filter((x) => x.returnData !== false);
    expect(returned).toHaveLength(1);
    if (signal.namespace) {
      expect(metrics).toContainEqual(expect.objectContaining(signal));
    } else {
      // DynamoDB: one metric per operation the functions call, summed.
      const perOperation = metrics.filter((x) => x.metricName === signal.metricName);
      expect(perOperation.map((x) => [x.namespace, x.dimensions, x.stat, x.period])).toEqual(
        ['PutItem', 'GetItem', 'Query', 'UpdateItem', 'DeleteItem'].map((op) => [
          'AWS/DynamoDB',
          { TableName: `inference-${stage}-inferences`, Operation: op },
          'Sum',
          60,
        ]),
      );
    }
    if (e.gate) {
      // Low traffic never fires: below the minimum sample count the expression reads 0.
      expect(metrics).toContainEqual(expect.objectContaining({ id: 'samples', ...e.gate(stage), returnData: false }));
      const inner = e.expression ?? 'signal';
      expect(returned[0].expression).toBe(`IF(samples >= ${minSamples}, ${inner}, 0)`);
    } else if (e.expression) {
      expect(returned[0].expression).toBe(e.expression);
    } else {
      expect(metrics).toHaveLength(1);
    }
  });

  test('the composite "pipeline unhealthy" alarm lists exactly the Critical alarms and notifies', () => {
    const alarms = alarmsByName(synth(stage).template);
    const composite = alarms.get(`inference-${stage}-PipelineUnhealthy`)!;
    const criticalIds = ids.filter((id) => EXPECTED[id].severity === 'Critical');
    const expected = criticalIds.map((id) => `<GetAtt ${alarms.get(`inference-${stage}-${id}`)!.logicalId}>`);
    expect(compositeMembers(composite.props.AlarmRule).sort()).toEqual(expected.sort());
    expect(flatten(composite.props.AlarmRule)).toMatch(/^\(ALARM\(.+\) OR ALARM\(/);
    expect(composite.props.AlarmActions).toEqual([topicRef(synth(stage).template)]);
    expect(composite.props.OKActions).toEqual([topicRef(synth(stage).template)]);
  });
});

describe('stage differences', () => {
  test('dev (serverless) has no instance utilisation alarms; prod (ml.m5.large) has CPU, memory and disk', () => {
    const utilisation = (s: SynthesizedMonitoring) => [...alarmsByName(s.template).keys()].filter((n) => /Utilization$/.test(n)).sort();
    expect(utilisation(dev)).toEqual([]);
    expect(utilisation(prod)).toEqual([
      'inference-prod-EndpointCpuUtilization',
      'inference-prod-EndpointDiskUtilization',
      'inference-prod-EndpointMemoryUtilization',
    ]);
  });

  test("every stage watches the endpoint with its own gated, notifying alarms; prod's rollback alarms stay the guardrail's", () => {
    for (const s of [dev, prod]) {
      for (const id of Object.keys(ROLLBACK_IN_PROD))
        expect(alarmsByName(s.template).get(`inference-${s.config.stage}-${id}`)!.type).toBe('AWS::CloudWatch::Alarm');
      expect(s.template.findResources('AWS::CloudWatch::CompositeAlarm')).toEqual({
        [alarmsByName(s.template).get(`inference-${s.config.stage}-PipelineUnhealthy`)!.logicalId]: expect.anything(),
      });
    }
    // The rollback alarms: same signal and threshold, ungated and without actions, named in the
    // endpoint's auto-rollback configuration, and never read by the monitoring stack.
    const endpoint = Template.fromStack(prod.pipeline.endpoint);
    const endpointAlarms = alarmsByName(endpoint);
    const [sagemaker] = Object.values(endpoint.findResources('AWS::SageMaker::Endpoint')).map((r) => r.Properties);
    expect(sagemaker.DeploymentConfig.AutoRollbackConfiguration.Alarms.map((a: Props) => a.AlarmName.Ref).sort()).toEqual(
      Object.values(ROLLBACK_IN_PROD)
        .map((name) => endpointAlarms.get(name)!.logicalId)
        .sort(),
    );
    for (const [id, rollbackName] of Object.entries(ROLLBACK_IN_PROD)) {
      const rollback = endpointAlarms.get(rollbackName)!.props;
      expect(rollback.Threshold).toBe(EXPECTED[id].threshold.prod);
      expect(rollback.MetricName).toBe(EXPECTED[id].metric('prod').metricName);
      expect(rollback.AlarmActions).toBeUndefined();
      expect(rollback.Metrics).toBeUndefined();
    }
    expect(JSON.stringify(prod.template.toJSON())).not.toContain('deployment-error-rate');
  });

  test('the minimum sample count follows monitoring.minSampleCount, and 0 turns gating off', () => {
    const off = synthMonitoring('dev', { 'monitoring.minSampleCount': '0' });
    const metrics = alarmMetrics(alarmsByName(off.template).get('inference-dev-ApiLatencyP99')!.props);
    expect(metrics).toEqual([{ id: 'm1', expression: undefined, returnData: true, ...m(API('dev'), 'Latency', 'p99') }]);
  });
});

describe('configuration overrides by alarm id', () => {
  let tuned: SynthesizedMonitoring;
  beforeAll(() => {
    tuned = synthMonitoring('dev', {
      'monitoring.alarms.ApiClientErrorRate.enabled': 'false',
      'monitoring.alarms.ApiLatencyP99.threshold': '2500',
      'monitoring.alarms.PredictThrottles.severity': 'Critical',
      'monitoring.alarms.ApiServerErrorRate.severity': 'Warning',
      'monitoring.alarmEmails': 'oncall@example.com, ml-team@example.com',
    });
  });

  test('disable, retune and re-rank', () => {
    const alarms = alarmsByName(tuned.template);
    expect(alarms.has('inference-dev-ApiClientErrorRate')).toBe(false);
    expect(alarms.get('inference-dev-ApiLatencyP99')!.props.Threshold).toBe(2500);
    expect(alarms.get('inference-dev-PredictThrottles')!.props.AlarmDescription).toMatch(/^\[Critical\]/);
    expect(alarms.get('inference-dev-ApiServerErrorRate')!.props.AlarmDescription).toMatch(/^\[Warning\]/);
    const members = compositeMembers(alarms.get('inference-dev-PipelineUnhealthy')!.props.AlarmRule);
    expect(members).toContain(`<GetAtt ${alarms.get('inference-dev-PredictThrottles')!.logicalId}>`);
    expect(members).not.toContain(`<GetAtt ${alarms.get('inference-dev-ApiServerErrorRate')!.logicalId}>`);
    expect(members).toHaveLength(6);
  });

  test('the configured emails are subscribed to the topic', () => {
    const subs = Object.values(tuned.template.findResources('AWS::SNS::Subscription')).map((r) => r.Properties);
    expect(subs.map((s) => [s.Protocol, s.Endpoint, s.TopicArn])).toEqual([
      ['email', 'oncall@example.com', topicRef(tuned.template)],
      ['email', 'ml-team@example.com', topicRef(tuned.template)],
    ]);
    expect(dev.template.findResources('AWS::SNS::Subscription')).toEqual({});
  });

  test('an override naming an unknown alarm fails the synth with the known ids', () => {
    expect(() => synthMonitoring('dev', { 'monitoring.alarms.ApiLatencyP90.threshold': '1' })).toThrow(
      /^monitoring\.alarms: unknown alarm id ApiLatencyP90 \(known: ApiServerErrorRate, ApiClientErrorRate, ApiLatencyP99, /,
    );
  });

  test('prod: a threshold override of the endpoint error rate moves the monitoring alarm and the rollback alarm together', () => {
    const s = synthMonitoring('prod', {
      'monitoring.alarms.EndpointErrorRate.threshold': '0.1',
      'monitoring.alarms.EndpointModelLatencyP99.threshold': '1500000',
    });
    const own = alarmsByName(s.template);
    const rollback = alarmsByName(Template.fromStack(s.pipeline.endpoint));
    expect(own.get('inference-prod-EndpointErrorRate')!.props.Threshold).toBe(0.1);
    expect(rollback.get(ROLLBACK_IN_PROD.EndpointErrorRate)!.props.Threshold).toBe(0.1);
    expect(own.get('inference-prod-EndpointModelLatencyP99')!.props.Threshold).toBe(1_500_000);
    expect(rollback.get(ROLLBACK_IN_PROD.EndpointModelLatencyP99)!.props.Threshold).toBe(1_500_000);
  });

  test("an override that cannot apply fails the synth with the setting's path", () => {
    expect(() => synthMonitoring('prod', { 'monitoring.alarms.EndpointErrorRate.threshold': '5' })).toThrow(
      'monitoring.alarms.EndpointErrorRate.threshold: is a ratio from 0 to 1 (0.05 is 5%), got 5',
    );
    expect(() => synthMonitoring('dev', { 'monitoring.alarms.EndpointCpuUtilization.threshold': '70' })).toThrow(
      /^monitoring\.alarms\.EndpointCpuUtilization: this stage has no such alarm \(it needs endpoint\.capacity\.mode=instance/,
    );
  });

  test('the stack builds exactly the enabled alarms of the resolved catalog', () => {
    const built = [...alarmsByName(tuned.template).keys()].filter((n) => !n.endsWith('PipelineUnhealthy')).sort();
    expect(built).toEqual(
      resolveAlarms(tuned.config)
        .filter((a) => a.enabled)
        .map((a) => `inference-dev-${a.id}`)
        .sort(),
    );
  });
});

describe('notification topic', () => {
  test('encrypted with its own rotating KMS key that CloudWatch may use', () => {
    const key = only(prod.template, 'AWS::KMS::Key');
    expect(only(prod.template, 'AWS::SNS::Topic').props).toMatchObject({
      TopicName: 'inference-prod-alarms',
      KmsMasterKeyId: { 'Fn::GetAtt': [key.logicalId, 'Arn'] },
    });
    expect(key.props.EnableKeyRotation).toBe(true);
    expect(key.props.KeyPolicy.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });

  test('publishing without TLS is denied; CloudWatch of this account may publish', () => {
    const statements: Props[] = only(prod.template, 'AWS::SNS::TopicPolicy').props.PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Sid: 'AllowPublishThroughSSLOnly',
      Effect: 'Deny',
      Principal: '*',
      Action: 'sns:Publish',
      Resource: topicRef(prod.template),
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: 'sns:Publish',
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    );
  });
});

describe('metric filters and log groups', () => {
  test.each(['dev', 'prod'] as const)('%s: one filter per definition, on the right log group, in the stage namespace', (stage) => {
    const filters = Object.values(synth(stage).template.findResources('AWS::Logs::MetricFilter')).map((r) => r.Properties);
    const groups = {
      predictFunction: `/aws/lambda/inference-${stage}-predict`,
      readFunction: `/aws/lambda/inference-${stage}-read`,
      endpoint: `/aws/sagemaker/Endpoints/inference-${stage}-iris-classifier`,
    };
    expect(filters).toHaveLength(METRIC_FILTERS.length);
    for (const def of METRIC_FILTERS) {
      expect(filters).toContainEqual({
        FilterPattern: def.pattern,
        LogGroupName: groups[def.logGroup],
        MetricTransformations: [
          {
            MetricName: def.metricName,
            MetricNamespace: LOGS(stage),
            MetricValue: def.metricValue,
            Unit: def.unit,
            ...(def.dimensions ? { Dimensions: Object.entries(def.dimensions).map(([Key, Value]) => ({ Key, Value })) } : {}),
          },
        ],
      });
    }
  });

  test('every log group a filter reads is created by its stack, with the configured retention', () => {
    for (const s of [dev, prod]) {
      const created = [s.pipeline.api, s.pipeline.endpoint].flatMap((stack) =>
        Object.values(Template.fromStack(stack).findResources('AWS::Logs::LogGroup')).map((r) => [
          r.Properties.LogGroupName,
          r.Properties.RetentionInDays,
        ]),
      );
      const read = new Set(Object.values(s.template.findResources('AWS::Logs::MetricFilter')).map((r) => r.Properties.LogGroupName));
      expect(read.size).toBe(3);
      for (const name of read) expect(created).toContainEqual([name, s.config.logRetentionDays]);
    }
  });

  test('names, not references: no export is pinned on the watched stacks, which deploy first', () => {
    expect(JSON.stringify(prod.template.toJSON())).not.toContain('Fn::ImportValue');
    expect(prod.stack.dependencies.map((d) => d.stackName).sort()).toEqual([
      'inference-prod-api',
      'inference-prod-data',
      'inference-prod-endpoint',
    ]);
  });
});

describe('refusals', () => {
  let refusals = 0;
  /** A second monitoring stack over dev's resources, in dev's app (the watched stacks must share it). */
  const watching = (overrides: Partial<MonitoringStackProps>) => {
    const { pipeline, config } = dev;
    return () =>
      new MonitoringStack(pipeline.data.node.root as App, `Refused${++refusals}`, {
        prefix: 'inference-dev',
        monitoring: config.monitoring,
        layout: dev.stack.layout,
        restApi: pipeline.api.api,
        predictFunction: pipeline.api.predictFunction,
        readFunction: pipeline.api.readFunction,
        endpoint: pipeline.endpoint.modelEndpoint,
        table: pipeline.data.table,
        ...overrides,
      });
  };

  test('a stage with monitoring off', () => {
    expect(watching({ monitoring: { ...dev.config.monitoring, enabled: false } })).toThrow(
      'monitoring.enabled is false: do not create the monitoring stack',
    );
  });

  test('a watched resource without a literal name (its metrics are found by name)', () => {
    const scratch = new Stack(dev.pipeline.data.node.root as App, 'Scratch');
    const table = dynamodb.Table.fromTableArn(scratch, 'Imported', 'arn:aws:dynamodb:eu-west-1:111122223333:table/t');
    expect(watching({ table })).toThrow('monitoring needs the literal tableName of Scratch/Imported; give it a fixed name');
  });
});

describe('CloudWatch dashboard', () => {
  /** The dashboard body as JSON, tokens shown as <Ref X> / <GetAtt X>. */
  const widgetsOf = (s: SynthesizedMonitoring): Props[] =>
    JSON.parse(flatten(only(s.template, 'AWS::CloudWatch::Dashboard').props.DashboardBody)).widgets;
  const graph = (s: SynthesizedMonitoring, title: string) =>
    widgetsOf(s).find((w) => w.type === 'metric' && w.properties.title === title)!.properties;

  test.each(['dev', 'prod'] as const)("%s: reads like the architecture, with the layout's rows and charts in order", (stage) => {
    const s = synth(stage);
    const layout = dashboardLayout(s.config);
    const widgets = widgetsOf(s);
    expect(only(s.template, 'AWS::CloudWatch::Dashboard').props.DashboardName).toBe(`inference-${stage}-pipeline`);
    expect(widgets.filter((w) => w.type === 'text' && w.height === 1).map((w) => w.properties.markdown)).toEqual([
      '## Overview',
      '## Alarms',
      '## API Gateway',
      '## Lambda',
      '## SageMaker endpoint',
      '## DynamoDB',
      '## Latest errors',
    ]);
    expect(layout.rows.map((r) => `## ${r.title}`)).toEqual(
      widgets.filter((w) => w.type === 'text' && w.height === 1).map((w) => w.properties.markdown),
    );
    expect(widgets.filter((w) => w.type === 'metric').map((w) => w.properties.title)).toEqual(graphsOf(layout).map((g) => g.title));
    // Rows stack top to bottom.
    const rowY = widgets.filter((w) => w.type === 'text' && w.height === 1).map((w) => w.y);
    expect([...rowY].sort((a, b) => a - b)).toEqual(rowY);
  });

  test.each(['dev', 'prod'] as const)('%s: every service of the list has alarms in the template and charts on the dashboard', (stage) => {
    const s = synth(stage);
    const names = new Set(alarmsByName(s.template).keys());
    const titles = new Set(
      widgetsOf(s)
        .filter((w) => w.type === 'metric')
        .map((w) => w.properties.title),
    );
    const layout = dashboardLayout(s.config);
    for (const service of MONITORED_SERVICES) {
      const own = service
        .alarms(s.config)
        .filter((a) => a.applies)
        .map((a) => `inference-${stage}-${a.id}`);
      expect(own.length).toBeGreaterThan(0);
      for (const name of own) expect(names).toContain(name);
      const charts = service
        .widgets({ config: s.config, alarms: new Map(layout.alarms.map((a) => [a.id, a])) })
        .flatMap((w) => (w.kind === 'graph' ? [w.title] : []));
      expect(charts.length).toBeGreaterThan(0);
      for (const title of charts) expect(titles).toContain(title);
    }
  });

  test('the header links to the API, the function and endpoint logs and the table', () => {
    const header = widgetsOf(dev).find((w) => w.type === 'text' && w.height === 3)!.properties.markdown as string;
    expect(header).toContain('# inference-dev: inference pipeline');
    expect(header).toContain(
      '[API inference-dev-api](https://<Ref AWS::Region>.console.aws.amazon.com/apigateway/main/apis?region=<Ref AWS::Region>)',
    );
    expect(header).toContain('#logsV2:log-groups/log-group/$252Faws$252Flambda$252Finference-dev-predict)');
    expect(header).toContain('#logsV2:log-groups/log-group/$252Faws$252Fsagemaker$252FEndpoints$252Finference-dev-iris-classifier)');
    expect(header).toContain(
      '[table inference-dev-inferences](https://<Ref AWS::Region>.console.aws.amazon.com/dynamodbv2/home?region=<Ref AWS::Region>#table?name=inference-dev-inferences)',
    );
  });

  test('the alarm row shows the composite first, then every alarm', () => {
    const row = widgetsOf(prod).find((w) => w.type === 'alarm')!.properties;
    const alarms = alarmsByName(prod.template);
    expect(row.alarms[0]).toBe(`<GetAtt ${alarms.get('inference-prod-PipelineUnhealthy')!.logicalId}>`);
    expect(new Set(row.alarms)).toEqual(new Set([...alarms.values()].map((a) => `<GetAtt ${a.logicalId}>`)));
  });

  test('alarm thresholds are drawn on their charts, per stage', () => {
    expect(graph(dev, 'Latency (ms)').annotations.horizontal).toEqual([
      { value: 6000, label: 'API latency p99 (Warning)', color: '#ff7f0e', yAxis: 'left' },
    ]);
    expect(graph(prod, 'Latency (ms)').annotations.horizontal).toEqual([
      { value: 2000, label: 'API latency p99 (Warning)', color: '#ff7f0e', yAxis: 'left' },
    ]);
    expect(graph(prod, 'Error rates').annotations.horizontal).toEqual([
      { value: 0.05, label: 'API 5XX error rate (Critical)', color: '#d62728', yAxis: 'left' },
      { value: 0.05, label: 'API 4XX error rate (Warning)', color: '#ff7f0e', yAxis: 'left' },
    ]);
    expect(graph(prod, 'Instance utilisation (%)').annotations.horizontal.map((a: Props) => a.value)).toEqual([80, 85, 80]);
    expect(widgetsOf(dev).some((w) => w.properties?.title === 'Instance utilisation (%)')).toBe(false);
  });

  test('latency percentiles and errors by kind (one line per kind, from the stage namespace)', () => {
    const latency = graph(prod, 'Latency (ms)').metrics.map((m: unknown[]) => [m[1], (m[m.length - 1] as Props).stat]);
    expect(latency).toEqual([
      ['Latency', 'p50'],
      ['Latency', 'p90'],
      ['Latency', 'p99'],
      ['IntegrationLatency', 'p99'],
    ]);
    expect(graph(prod, 'Errors by kind').metrics).toEqual([
      [{ expression: `SEARCH('{"InferencePipeline/inference-prod",errorKind} MetricName="InferenceErrors"', 'Sum', 60)`, period: 60 }],
    ]);
  });

  test("cold starts: stage-scoped from the platform report, and Powertools' own count by service", () => {
    expect(graph(prod, 'Cold starts').metrics).toEqual([
      [
        'InferencePipeline/inference-prod',
        'PredictFunctionInitDuration',
        { label: 'Cold starts (platform report)', stat: 'SampleCount', period: 60 },
      ],
      ['InferencePipeline', 'ColdStart', 'service', 'inference-predict', { label: 'ColdStart (Powertools EMF)', period: 60, stat: 'Sum' }],
    ]);
  });

  test("the latest-errors widget runs its Logs Insights query over both functions' logs", () => {
    const logs = widgetsOf(prod).find((w) => w.type === 'log')!.properties;
    expect(logs.query).toBe(
      `SOURCE '/aws/lambda/inference-prod-predict' | SOURCE '/aws/lambda/inference-prod-read' | ${LATEST_ERRORS_QUERY}`,
    );
    expect(logs.view).toBe('table');
  });
});

describe('outputs', () => {
  test('DashboardUrl and AlarmTopicArn', () => {
    const outputs = prod.template.toJSON().Outputs;
    expect(flatten(outputs.DashboardUrl.Value)).toBe(
      'https://<Ref AWS::Region>.console.aws.amazon.com/cloudwatch/home?region=<Ref AWS::Region>#dashboards:name=inference-prod-pipeline',
    );
    expect(outputs.AlarmTopicArn.Value).toEqual(topicRef(prod.template));
  });

  test('monitoring.dashboard=false leaves the dashboard and its output out', () => {
    const s = synthMonitoring('dev', { 'monitoring.dashboard': 'false' });
    expect(s.template.findResources('AWS::CloudWatch::Dashboard')).toEqual({});
    expect(Object.keys(s.template.toJSON().Outputs)).toEqual(['AlarmTopicArn']);
  });
});

describe('CloudFormation limits at the largest configuration', () => {
  test('prod (instance capacity, every alarm enabled, dashboard) stays far below 1 MB and 500 resources', () => {
    expect(resolveAlarms(prod.config).every((a) => a.enabled)).toBe(true);
    const json = prod.template.toJSON();
    const size = Buffer.byteLength(JSON.stringify(json));
    const resources = Object.keys(json.Resources).length;
    expect(size).toBeLessThan(1_000_000);
    expect(resources).toBeLessThan(500);
    // Headroom, so growth is noticed long before the limit: today ~60 KB and ~40 resources.
    expect(size).toBeLessThan(200_000);
    expect(resources).toBeLessThan(100);
  });
});
