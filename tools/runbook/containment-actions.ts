/**
 * What the containment can do, the names it writes and its error, apart from how it does it
 * (containment.ts): this file loads no AWS SDK client, so the runbook's help, its other
 * commands and the notebook export start without them.
 */
export const CONTAINMENT_ACTIONS = {
  'throttle-api': 'stop the API: throttle its stages to 0 requests per second (IAM mode), or disable its API keys (API-key mode)',
  'stop-predictions': 'stop the prediction function: reserved concurrency 0, so every invocation is refused',
  'detach-policy': "detach a managed policy from one of the stack's roles (needs --role and --policy-arn)",
  'revoke-role-sessions':
    "deny every session of one of the stack's roles issued before now, as IAM's 'revoke active sessions' does, and replace the warm environments of the stack's functions using it (needs --role)",
} as const;
export type ContainmentAction = keyof typeof CONTAINMENT_ACTIONS;

/** The inline policy IAM's console uses to revoke sessions; restore may only put back this one. */
export const REVOKE_POLICY_NAME = 'AWSRevokeOlderSessions';

/**
 * The environment variable revoke-role-sessions sets on a function to force new execution
 * environments: warm ones keep the credentials they started with, which the revocation denies.
 * "When you add permissions to your function, perform a trivial update to its code or
 * configuration as well. This forces running instances of your function, which have outdated
 * credentials, to stop and be replaced." ("Viewing and updating permissions in the execution
 * role", https://docs.aws.amazon.com/lambda/latest/dg/permissions-executionrole-update.html).
 */
export const SESSIONS_REVOKED_ENV = 'RUNBOOK_SESSIONS_REVOKED_AT';
export class ContainmentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ContainmentError';
  }
}
