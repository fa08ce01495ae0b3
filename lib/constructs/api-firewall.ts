import { ArnFormat, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';

export interface ApiFirewallProps {
  /** The REST API stage the web ACL protects. */
  readonly stage: apigateway.Stage;
  /** Name of the web ACL and prefix of its metric names. */
  readonly name: string;
  /** Requests one client IP may send in any 5-minute window before it is blocked (at least 10). */
  readonly rateLimitPer5Min: number;
  /** Days the log of blocked and counted requests is kept. */
  readonly logRetentionDays: number;
  /**
   * Rules of AWS's common rule set that only count instead of block. `SizeRestrictions_BODY`
   * always counts: it blocks bodies over 8 KB, and prediction bodies are bigger by design (the
   * handler enforces `api.maxRequestBytes`).
   * @default - none besides SizeRestrictions_BODY
   */
  readonly countOnlyRules?: readonly string[];
}

/** A JSON answer in the handler's error shape, so a blocked client reads the same kind of error. */
const TOO_MANY_REQUESTS = 'TooManyRequests';

/**
 * A regional WAFv2 web ACL in front of a REST API stage:
 *  1. a per-IP rate-based rule (5-minute window) that answers 429 in the API's JSON error shape;
 *  2. AWS's common rule set (OWASP-style probes: bad bots, path traversal, XSS, SSRF metadata);
 *  3. AWS's known-bad-inputs rule set (Log4j/Log4Shell, Java deserialization, localhost hosts).
 * Every rule publishes CloudWatch metrics and sampled requests; requests a rule blocks or counts
 * are logged (headers that carry credentials redacted), allowed ones are not: the API's access
 * log already records every request.
 */
export class ApiFirewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ApiFirewallProps) {
    super(scope, id);
    if (!Number.isInteger(props.rateLimitPer5Min) || props.rateLimitPer5Min < 10) {
      throw new Error(`web acl rate limit must be a whole number of at least 10 requests per 5 minutes, got ${props.rateLimitPer5Min}`);
    }
    const metric = (name: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName: `${props.name}-${name}`,
      sampledRequestsEnabled: true,
    });
    const managed = (priority: number, name: string, countOnly: readonly string[] = []): wafv2.CfnWebACL.RuleProperty => ({
      name,
      priority,
      statement: {
        managedRuleGroupStatement: {
          vendorName: 'AWS',
          name,
          ruleActionOverrides: countOnly.length ? countOnly.map((rule) => ({ name: rule, actionToUse: { count: {} } })) : undefined,
        },
      },
      overrideAction: { none: {} },
      visibilityConfig: metric(name),
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      name: props.name,
      description: `Rate limit per IP and AWS managed rules in front of ${props.name}`,
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBodies: {
        [TOO_MANY_REQUESTS]: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            error: TOO_MANY_REQUESTS,
            message: `more than ${props.rateLimitPer5Min} requests in 5 minutes from this address; retry later`,
          }),
        },
      },
      rules: [
        {
          name: 'RateLimitPerIp',
          priority: 0,
          statement: { rateBasedStatement: { limit: props.rateLimitPer5Min, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: TOO_MANY_REQUESTS } } },
          visibilityConfig: metric('RateLimitPerIp'),
        },
        managed(1, 'AWSManagedRulesCommonRuleSet', ['SizeRestrictions_BODY', ...(props.countOnlyRules ?? [])]),
        managed(2, 'AWSManagedRulesKnownBadInputsRuleSet'),
      ],
      visibilityConfig: metric('WebAcl'),
    });

    // The stage ARN refers to the stage, so the association waits for it.
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });

    // WAF delivers only to log groups whose name starts with aws-waf-logs-.
    this.logGroup = new logs.LogGroup(this, 'LogGroup', {
      logGroupName: `aws-waf-logs-${props.name}`,
      retention: props.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: this.webAcl.attrArn,
      // The log group's ARN without the ':*' suffix GetAtt adds.
      logDestinationConfigs: [
        Stack.of(this).formatArn({
          service: 'logs',
          resource: 'log-group',
          resourceName: this.logGroup.logGroupName,
          arnFormat: ArnFormat.COLON_RESOURCE_NAME,
        }),
      ],
      redactedFields: [
        { singleHeader: { Name: 'authorization' } },
        { singleHeader: { Name: 'x-api-key' } },
        { singleHeader: { Name: 'x-amz-security-token' } },
      ],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      },
    });
  }
}
