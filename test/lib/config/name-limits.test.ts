import { Template } from 'aws-cdk-lib/assertions';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { MAX_ALARM_ID_LENGTH, generatedNames } from '../../../lib/config/name-limits';
import { ConfigError } from '../../../lib/config/validate';
import { alarmCatalog } from '../../../lib/monitoring/alarm-catalog';
import { synthStage } from '../../harness/synth';
import { readCdkContext } from '../../../tools/cli';

/**
 * Every generated name is checked in config validation against its documented limit, so a
 * long project, stage or model name is refused with the settings to shorten, not at synth
 * (raw Error) or half way through a deploy.
 */
const cdkJson = readCdkContext();

function problems(overrides: Record<string, unknown>): string[] {
  try {
    resolveStageConfig({ ...cdkJson, ...overrides });
  } catch (e) {
    if (e instanceof ConfigError) return [...e.problems];
    throw e;
  }
  return [];
}

/** Every part a stage can turn on, so every generated name is made (`ci` only comes from a cdk.json stage). */
const STAGES = { ...(cdkJson.stages as object), full: { extends: 'prod', ci: { githubRepository: 'octo-org/octo-repo', branch: 'main' } } };
const EVERYTHING = { stages: STAGES, 'api.waf.enabled': 'true', 'audit.responderWorkspace.enabled': 'true' };

describe('name limits', () => {
  test('the longest project, stage and model names the patterns allow overflow the endpoint name: refused, naming the settings', () => {
    const long = { project: 'p'.repeat(20), stage: 'prod', 'model.name': 'm'.repeat(30) };
    // SageMaker EndpointName: "Maximum length of 63" (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelDeployConfig.html)
    expect(problems(long)).toEqual([]); // 56 characters: fits
    const longer = problems({ ...long, stage: 's'.repeat(20), stages: { ['s'.repeat(20)]: { extends: 'prod' } } });
    expect(longer).toHaveLength(1);
    expect(longer[0]).toMatch(
      /^project, stage, model\.name: the SageMaker endpoint name 'p{20}-s{20}-m{30}' has 72 characters, outside its limit of 1 to 63; shorten project, stage, model\.name by 9 characters together \(SageMaker EndpointName/,
    );
    expect(longer[0]).toContain('https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_ModelDeployConfig.html');
  });

  test('every limit is its documented one', () => {
    const c = resolveStageConfig({ ...cdkJson, stage: 'full', ...EVERYTHING });
    const limits = Object.fromEntries(generatedNames(c).map((n) => [n.what, [n.min, n.max]]));
    expect(limits).toMatchObject({
      'the SageMaker endpoint name': [1, 63],
      'the responder notebook instance name': [1, 63],
      'the predict function name': [1, 64],
      'the github-deploy role name': [1, 64],
      'the table name': [3, 255],
      'the endpoint log group name': [1, 512],
      'a rollback alarm name': [1, 255],
      'the longest alarm name': [1, 255],
      'the dashboard name': [1, 255],
      'the alarm topic name': [1, 256],
      'the data key alias': [1, 256],
      'the data stack name': [1, 128],
      'the event data store name': [3, 128],
      'the web ACL name': [1, 128],
    });
    for (const n of generatedNames(c)) expect(n.source).toMatch(/\(https:\/\/docs\.aws\.amazon\.com\/.+\)$/);
  });

  test('a stage with every part turned on fits every limit, and each name says what to shorten', () => {
    const c = resolveStageConfig({ ...cdkJson, stage: 'full', ...EVERYTHING });
    for (const n of generatedNames(c)) {
      expect(n.name.length).toBeGreaterThanOrEqual(n.min);
      expect(n.name.length).toBeLessThanOrEqual(n.max);
      expect(n.settings.length).toBeGreaterThan(0);
    }
  });

  test('alarm ids fit the allowance the alarm names are checked with', () => {
    const c = resolveStageConfig({ ...cdkJson, stage: 'prod' });
    for (const alarm of alarmCatalog(c)) expect(alarm.id.length).toBeLessThanOrEqual(MAX_ALARM_ID_LENGTH);
  });

  test('every physical name in the synthesized stacks is one the validation checks', () => {
    const stage = synthStage('full', EVERYTHING);
    const c = resolveStageConfig({ ...cdkJson, stage: 'full', ...EVERYTHING });
    const checked = new Set(generatedNames(c).map((n) => n.name));
    const prefix = 'inference-full';
    const NAME_PROPERTIES = [
      'EndpointName',
      'FunctionName',
      'RoleName',
      'TableName',
      'LogGroupName',
      'AlarmName',
      'TopicName',
      'AliasName',
      'DashboardName',
      'NotebookInstanceName',
    ];
    const named = ['AWS::CloudTrail::EventDataStore', 'AWS::WAFv2::WebACL'];
    const unchecked: string[] = [];
    for (const stack of stage.pipeline.all) {
      expect(checked).toContain(stack.stackName);
      const resources = Template.fromStack(stack).toJSON().Resources as Record<
        string,
        { Type: string; Properties?: Record<string, unknown> }
      >;
      for (const [id, r] of Object.entries(resources)) {
        const props = r.Properties ?? {};
        const names = [...NAME_PROPERTIES.map((k) => props[k]), ...(named.includes(r.Type) ? [props.Name] : [])];
        for (const name of names) {
          if (typeof name !== 'string') continue; // a token: named by CloudFormation or another resource
          const alarm = r.Type === 'AWS::CloudWatch::Alarm' || r.Type === 'AWS::CloudWatch::CompositeAlarm';
          const coveredAlarm = alarm && name.startsWith(`${prefix}-`) && name.length <= `${prefix}-`.length + MAX_ALARM_ID_LENGTH;
          if (!checked.has(name) && !coveredAlarm) unchecked.push(`${stack.stackName}/${id}: ${name}`);
        }
      }
    }
    expect(unchecked).toEqual([]);
  });
});
