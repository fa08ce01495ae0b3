/**
 * Credentials from the environment only: what the bundles use instead of the SDK's default
 * chain. `PipelineFunction.bundling` aliases `@aws-sdk/credential-provider-node` to this
 * file, so every SDK client in a bundle resolves its credentials here.
 *
 * Why: Lambda puts the function role's credentials in AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (the local pipeline sets them too), and the
 * default chain tries exactly that first. The rest of the chain (SSO, ini files, process,
 * web identity, ECS/IMDS) never runs there but brings the STS, SSO and sign-in clients with
 * it: about a third of a bundled client's size and of its load time.
 *
 * If a function ever runs where credentials are not in the environment (a container
 * credentials endpoint, as Lambda SnapStart uses), its first AWS call fails with
 * CredentialsProviderError naming the missing variables; the fix is to drop the alias.
 *
 * Same exports as @aws-sdk/credential-provider-node, same result as its `fromEnv` link.
 * No imports: nothing else may come into the bundle with it.
 */

export interface EnvCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
  readonly expiration?: Date;
  readonly credentialScope?: string;
  readonly accountId?: string;
}

export type EnvCredentialProvider = (options?: { forceRefresh?: boolean }) => Promise<EnvCredentials>;

/**
 * The SDK passes the client's configuration; only the environment is read. Like the default
 * chain, the credentials are read once and kept until they are about to expire (Lambda's
 * never change within an execution environment) or the SDK asks for a refresh.
 */
export function defaultProvider(_init: unknown = {}): EnvCredentialProvider {
  let kept: EnvCredentials | undefined;
  return async (options) => {
    if (!kept || options?.forceRefresh || credentialsTreatedAsExpired(kept)) kept = credentialsFromEnv(process.env);
    return kept;
  };
}

export function credentialsFromEnv(env: Readonly<Record<string, string | undefined>>): EnvCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) {
    const error = new Error(
      'no AWS credentials in the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY): this bundle reads credentials from the environment only (lambda/shared/env-credentials.ts)',
    );
    error.name = 'CredentialsProviderError';
    throw error;
  }
  const expiration = env.AWS_CREDENTIAL_EXPIRATION;
  return {
    accessKeyId,
    secretAccessKey,
    ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    ...(expiration ? { expiration: new Date(expiration) } : {}),
    ...(env.AWS_CREDENTIAL_SCOPE ? { credentialScope: env.AWS_CREDENTIAL_SCOPE } : {}),
    ...(env.AWS_ACCOUNT_ID ? { accountId: env.AWS_ACCOUNT_ID } : {}),
  };
}

/** As in @aws-sdk/credential-provider-node: only credentials with an expiration are ever refreshed. */
export const credentialsWillNeedRefresh = (credentials?: { expiration?: Date }): boolean => credentials?.expiration !== undefined;

export const credentialsTreatedAsExpired = (credentials?: { expiration?: Date }): boolean =>
  credentials?.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 300_000;
