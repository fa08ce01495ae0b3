/**
 * What API Gateway itself enforces, read from the synthesized API template rather than
 * restated: the gateway responses (the bodies of its own errors), and in api-key mode the
 * usage plans with their keys, throttle and quota.
 */
import { randomBytes } from 'crypto';
import type { Template } from './local-assembly';

export interface GatewayResponse {
  readonly statusCode?: number;
  readonly template?: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface UsagePlan {
  readonly name: string;
  readonly throttle?: { readonly rateLimit: number; readonly burstLimit: number };
  readonly quota?: { readonly limit: number; readonly period: 'DAY' | 'WEEK' | 'MONTH' };
  /** The plan's keys, by logical id of the AWS::ApiGateway::ApiKey. */
  readonly keyIds: readonly string[];
}

export interface ApiKeyDefinition {
  readonly logicalId: string;
  readonly name: string;
  /** The key's value: the template's when it sets one, else generated here (API Gateway generates one too). */
  readonly value: string;
  readonly enabled: boolean;
}

export interface ApiGatewayConfig {
  /** By response type (DEFAULT_4XX, DEFAULT_5XX, MISSING_AUTHENTICATION_TOKEN...). */
  readonly gatewayResponses: Readonly<Record<string, GatewayResponse>>;
  readonly usagePlans: readonly UsagePlan[];
  readonly apiKeys: readonly ApiKeyDefinition[];
}

const refOf = (v: unknown): string | undefined => (v as { Ref?: string } | undefined)?.Ref;

export function readApiGatewayConfig(template: Template, keyValues: Readonly<Record<string, string>> = {}): ApiGatewayConfig {
  const gatewayResponses: Record<string, GatewayResponse> = {};
  const usagePlans: UsagePlan[] = [];
  const apiKeys: ApiKeyDefinition[] = [];
  const planKeys = new Map<string, string[]>();
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    const p = r.Properties ?? {};
    if (r.Type === 'AWS::ApiGateway::GatewayResponse') {
      const headers: Record<string, string> = {};
      // Header values are static strings in single quotes: 'value'.
      for (const [k, v] of Object.entries((p.ResponseParameters ?? {}) as Record<string, string>)) {
        const name = /^gatewayresponse\.header\.(.+)$/.exec(k)?.[1];
        if (name && typeof v === 'string') headers[name] = v.replace(/^'|'$/g, '');
      }
      gatewayResponses[p.ResponseType] = {
        statusCode: p.StatusCode ? Number(p.StatusCode) : undefined,
        template: p.ResponseTemplates?.['application/json'],
        headers,
      };
    } else if (r.Type === 'AWS::ApiGateway::ApiKey') {
      apiKeys.push({
        logicalId,
        name: typeof p.Name === 'string' ? p.Name : logicalId,
        value: typeof p.Value === 'string' ? p.Value : (keyValues[logicalId] ?? generateKeyValue()),
        enabled: p.Enabled !== false,
      });
    } else if (r.Type === 'AWS::ApiGateway::UsagePlanKey') {
      const plan = refOf(p.UsagePlanId);
      const key = refOf(p.KeyId);
      if (plan && key) planKeys.set(plan, [...(planKeys.get(plan) ?? []), key]);
    }
  }
  for (const [logicalId, r] of Object.entries(template.Resources)) {
    if (r.Type !== 'AWS::ApiGateway::UsagePlan') continue;
    const p = r.Properties ?? {};
    usagePlans.push({
      name: typeof p.UsagePlanName === 'string' ? p.UsagePlanName : logicalId,
      throttle: p.Throttle ? { rateLimit: Number(p.Throttle.RateLimit), burstLimit: Number(p.Throttle.BurstLimit) } : undefined,
      quota: p.Quota ? { limit: Number(p.Quota.Limit), period: p.Quota.Period } : undefined,
      keyIds: planKeys.get(logicalId) ?? [],
    });
  }
  return { gatewayResponses, usagePlans, apiKeys };
}

/** API Gateway's generated keys are 40 characters of letters and digits. */
export function generateKeyValue(): string {
  return randomBytes(40)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, '')
    .slice(0, 40)
    .padEnd(40, '0');
}

/**
 * A gateway response's body as API Gateway renders it: `$context.*` variables replaced by
 * simple substitution ("This variable can only be used for simple variable substitution in a
 * GatewayResponse body-mapping template, which is not processed by the Velocity Template
 * Language engine", $context.error.message, API Gateway mapping template reference,
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html).
 * `$context.error.messageString` is "The quoted value of $context.error.message"; it is
 * rendered as a JSON string (quotes and newlines escaped), which is what makes a body built
 * with it valid JSON whatever the message says.
 */
export function renderGatewayTemplate(template: string, context: Readonly<Record<string, string>>): string {
  return template.replace(/\$context\.([A-Za-z0-9_.]+)/g, (_whole, name: string) => {
    // Longest known name first: `error.messageString` before `error.message`.
    if (name.startsWith('error.messageString'))
      return JSON.stringify(context['error.message'] ?? '') + name.slice('error.messageString'.length);
    const known = Object.keys(context)
      .filter((k) => name === k || name.startsWith(`${k}.`))
      .sort((a, b) => b.length - a.length)[0];
    return known === undefined ? '' : context[known] + name.slice(known.length);
  });
}
