import { resolveStageConfig } from '../../../lib/config/load-config';
import { synthStage } from '../../harness/synth';

/** `api.waf.enabled=true`: a regional web ACL with a per-IP rate limit and AWS managed rules on the API stage. */
describe('api.waf on a dev stage', () => {
  const { api } = synthStage('dev', { 'api.waf.enabled': 'true', 'api.waf.rateLimitPer5Min': '500' });
  const acl = () => Object.values(api.findResources('AWS::WAFv2::WebACL'))[0];

  test('one regional web ACL that allows by default', () => {
    api.resourceCountIs('AWS::WAFv2::WebACL', 1);
    expect(acl().Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} }, Name: 'inference-dev-api' });
  });

  test('rule 0 blocks an IP over the configured requests per 5 minutes with a JSON 429', () => {
    const rule = acl().Properties.Rules.find((r: any) => r.Name === 'RateLimitPerIp');
    expect(rule).toMatchObject({
      Priority: 0,
      Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'TooManyRequests' } } },
    });
    const body = acl().Properties.CustomResponseBodies.TooManyRequests;
    expect(body.ContentType).toBe('APPLICATION_JSON');
    expect(JSON.parse(body.Content)).toEqual({ error: 'TooManyRequests', message: expect.stringContaining('500 requests in 5 minutes') });
  });

  test('then AWS common rules (with the body size rule counting, not blocking) and known bad inputs', () => {
    const rules = acl().Properties.Rules;
    expect(rules.map((r: any) => [r.Priority, r.Name])).toEqual([
      [0, 'RateLimitPerIp'],
      [1, 'AWSManagedRulesCommonRuleSet'],
      [2, 'AWSManagedRulesKnownBadInputsRuleSet'],
    ]);
    const common = rules[1];
    expect(common.Statement.ManagedRuleGroupStatement).toMatchObject({ VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' });
    // Prediction bodies exceed the rule's 8 KB by design; the handler enforces api.maxRequestBytes.
    expect(common.Statement.ManagedRuleGroupStatement.RuleActionOverrides).toEqual([
      { Name: 'SizeRestrictions_BODY', ActionToUse: { Count: {} } },
    ]);
    expect(common.OverrideAction).toEqual({ None: {} });
    expect(rules[2].Statement.ManagedRuleGroupStatement).toEqual({ VendorName: 'AWS', Name: 'AWSManagedRulesKnownBadInputsRuleSet' });
  });

  test('every rule publishes metrics and samples', () => {
    for (const config of [acl().Properties.VisibilityConfig, ...acl().Properties.Rules.map((r: any) => r.VisibilityConfig)]) {
      expect(config).toMatchObject({
        CloudWatchMetricsEnabled: true,
        SampledRequestsEnabled: true,
        MetricName: expect.stringMatching(/^inference-dev-api-/),
      });
    }
  });

  test('the ACL is associated with the API stage', () => {
    const association = Object.values(api.findResources('AWS::WAFv2::WebACLAssociation'))[0];
    expect(association.Properties.WebACLArn).toEqual({ 'Fn::GetAtt': [expect.stringMatching(/^FirewallWebAcl/), 'Arn'] });
    const arn = JSON.stringify(association.Properties.ResourceArn);
    expect(arn).toContain('/restapis/');
    expect(arn).toContain('"Ref":"ApiF70053CD"');
    // The stage by reference: the association waits for the stage.
    expect(arn).toMatch(/"\/stages\/",\{"Ref":"ApiDeploymentStagedev[A-F0-9]+"\}/);
  });

  test('blocked and counted requests are logged with credentials redacted; allowed ones are in the access log already', () => {
    api.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: 'aws-waf-logs-inference-dev-api', RetentionInDays: 7 });
    const logging = Object.values(api.findResources('AWS::WAFv2::LoggingConfiguration'))[0].Properties;
    expect(JSON.stringify(logging.LogDestinationConfigs)).toMatch(/":log-group:",\{"Ref":"FirewallLogGroup[A-F0-9]+"\}\]\]/);
    expect(logging.RedactedFields).toEqual([
      { SingleHeader: { Name: 'authorization' } },
      { SingleHeader: { Name: 'x-api-key' } },
      { SingleHeader: { Name: 'x-amz-security-token' } },
    ]);
    expect(logging.LoggingFilter).toEqual({
      DefaultBehavior: 'DROP',
      Filters: [
        {
          Behavior: 'KEEP',
          Requirement: 'MEETS_ANY',
          Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
        },
      ],
    });
  });
});

test('api.waf off (the built-in default): no web ACL', () => {
  const { api } = synthStage('prod');
  api.resourceCountIs('AWS::WAFv2::WebACL', 0);
  api.resourceCountIs('AWS::WAFv2::WebACLAssociation', 0);
});

test.each([['5'], ['10.5']])('a rate limit of %s requests per 5 minutes is refused at synth, naming the setting', (limit) => {
  expect(() => resolveStageConfig({ stage: 'dev', 'api.waf.enabled': 'true', 'api.waf.rateLimitPer5Min': limit })).toThrow(
    `api.waf.rateLimitPer5Min: must be a whole number from 10 to 2000000000 requests per 5 minutes per IP, got ${limit}`,
  );
});
