import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { StageConfig } from '../../lib/config/stage-config';
import { CliError } from '../cli';

/**
 * Where the commands talk to AWS: the stage's own account and region when its config pins
 * them, otherwise whatever the caller's environment says — the same rule `lib/stage-stacks.ts`
 * applies through the CDK CLI's `CDK_DEFAULT_*`, so the commands look where cdk deployed.
 */

const CREDENTIALS_HINT =
  'configure AWS credentials: `aws configure sso` then `aws sso login --profile NAME` and AWS_PROFILE=NAME, ' +
  'or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY(/AWS_SESSION_TOKEN); in GitHub Actions, aws-actions/configure-aws-credentials';

const REGION_HINT = 'set AWS_REGION (or a region in your AWS profile), or pin the stage with -c region=REGION';

/** The SDK's default credential chain, once per process (it caches what it resolved). */
let chain: AwsCredentialIdentityProvider | undefined;
export function defaultCredentials(): AwsCredentialIdentityProvider {
  chain ??= fromNodeProviderChain();
  return chain;
}

/** The stage's region, else the environment's (AWS_REGION, then the profile's). */
export async function resolveRegion(config: Pick<StageConfig, 'region'>, explicit?: string): Promise<string> {
  if (explicit) return explicit;
  if (config.region) return config.region;
  try {
    return await new STSClient({}).config.region();
  } catch {
    throw new CliError('no AWS region is configured', REGION_HINT);
  }
}

export interface CallerIdentity {
  readonly account: string;
  readonly arn: string;
}

/**
 * Who the credentials belong to. Asked before any deploy, so missing or expired credentials
 * fail in a second with the fix, not halfway through a CDK run.
 */
export async function callerIdentity(region: string): Promise<CallerIdentity> {
  const sts = new STSClient({ region, credentials: defaultCredentials(), maxAttempts: 2 });
  try {
    const out = await sts.send(new GetCallerIdentityCommand({}));
    return { account: out.Account ?? '', arn: out.Arn ?? '' };
  } catch (error) {
    throw asAwsError(error, 'could not check the AWS credentials');
  } finally {
    sts.destroy();
  }
}

/** Refuses credentials of another account than the one the stage is pinned to. */
export function checkAccount(config: Pick<StageConfig, 'account' | 'stage'>, identity: CallerIdentity): void {
  if (config.account && config.account !== identity.account) {
    throw new CliError(
      `stage ${config.stage} deploys to account ${config.account}, but the credentials are for account ${identity.account} (${identity.arn})`,
      "use credentials (AWS_PROFILE) of the stage's account",
    );
  }
}

/** The SDK's errors as one line and a fix: credentials, expiry and permissions, each by name. */
export function asAwsError(error: unknown, doing: string): CliError {
  const e = error as { name?: string; message?: string; Code?: string };
  const name = e?.name ?? e?.Code ?? 'Error';
  const message = (e?.message ?? String(error)).split('\n')[0];
  if (name === 'CredentialsProviderError' || /could not load credentials/i.test(message)) {
    return new CliError(`${doing}: no AWS credentials found`, CREDENTIALS_HINT);
  }
  if (/ExpiredToken|TokenRefreshRequired|InvalidGrant|UnauthorizedException/.test(name) || /token.*(expired|refresh)/i.test(message)) {
    return new CliError(
      `${doing}: the AWS credentials have expired (${message})`,
      'sign in again, for example `aws sso login`, then retry',
    );
  }
  if (/InvalidClientTokenId|SignatureDoesNotMatch|UnrecognizedClient/.test(name)) {
    return new CliError(`${doing}: the AWS credentials were refused (${name}: ${message})`, CREDENTIALS_HINT);
  }
  if (/AccessDenied|UnauthorizedOperation/.test(name)) {
    return new CliError(`${doing}: access denied (${message})`, "use credentials allowed to read this stage's stacks");
  }
  return new CliError(`${doing}: ${name}: ${message}`);
}
