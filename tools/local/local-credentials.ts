/**
 * The access keys the local "account" knows, each with the IAM identity API Gateway would
 * report for it. Found where the AWS SDKs and CLI look: the environment first, then the
 * profile (AWS_PROFILE, default `default`) of the shared credentials file. "If you specify a
 * setting by using its environment variable, it overrides any value loaded from a profile in
 * the shared AWS config and credentials files." (Environment variables support, AWS SDKs and
 * Tools Reference Guide, https://docs.aws.amazon.com/sdkref/latest/guide/environment-variables.html)
 *
 * With neither, local credentials are created once and kept in `.local/credentials.json`,
 * so the curl line `npm start` prints keeps working across runs.
 */
import { createHash, randomBytes } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Credential } from './sigv4';
import { LOCAL_ACCOUNT } from './local-aws';

export interface LocalIdentity extends Credential {
  /** Where the key came from, for the start banner. */
  readonly source: 'environment' | `profile ${string}` | 'created locally' | 'given';
  /** The IAM user name the local account gives the key's owner. */
  readonly userName: string;
}

/** What API Gateway puts in requestContext.identity for a SigV4 caller (an IAM user). */
export interface IamIdentityFields {
  readonly accessKey: string;
  readonly accountId: string;
  readonly caller: string;
  readonly user: string;
  readonly userArn: string;
}

export const LOCAL_USER_NAME = 'local-developer';

export function identityFields(identity: LocalIdentity): IamIdentityFields {
  // An IAM user's unique id starts AIDA; derived from the key so each key has its own.
  const userId = `AIDA${createHash('sha256').update(identity.accessKeyId).digest('hex').slice(0, 16).toUpperCase()}`;
  return {
    accessKey: identity.accessKeyId,
    accountId: LOCAL_ACCOUNT,
    caller: userId,
    user: userId,
    userArn: `arn:aws:iam::${LOCAL_ACCOUNT}:user/${identity.userName}`,
  };
}

/** The `[profile]` sections of an INI credentials file. */
export function parseCredentialsFile(text: string): Record<string, Record<string, string>> {
  const sections: Record<string, Record<string, string>> = {};
  let current: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/[#;].*$/, '').trim();
    if (!line) continue;
    const section = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (section) {
      current = sections[section[1].replace(/^profile\s+/, '')] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (current && eq > 0) current[line.slice(0, eq).trim().toLowerCase()] = line.slice(eq + 1).trim();
  }
  return sections;
}

/** The caller's own credentials from the environment or the shared credentials file, if any. */
export function findUserCredentials(env: NodeJS.ProcessEnv = process.env): LocalIdentity | undefined {
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      sessionToken: env.AWS_SESSION_TOKEN || undefined,
      source: 'environment',
      userName: LOCAL_USER_NAME,
    };
  }
  const profile = env.AWS_PROFILE || 'default';
  const file = env.AWS_SHARED_CREDENTIALS_FILE || path.join(env.HOME || os.homedir(), '.aws', 'credentials');
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const section = parseCredentialsFile(text)[profile];
  if (!section?.aws_access_key_id || !section.aws_secret_access_key) return undefined;
  return {
    accessKeyId: section.aws_access_key_id,
    secretAccessKey: section.aws_secret_access_key,
    sessionToken: section.aws_session_token || undefined,
    source: `profile ${profile}`,
    userName: profile === 'default' ? LOCAL_USER_NAME : profile,
  };
}

/** Local credentials kept in `file`, created (mode 0600) the first time. */
export function localCredentials(file: string): LocalIdentity {
  try {
    const kept = JSON.parse(fs.readFileSync(file, 'utf8')) as { accessKeyId?: unknown; secretAccessKey?: unknown };
    if (typeof kept.accessKeyId === 'string' && typeof kept.secretAccessKey === 'string') {
      return { accessKeyId: kept.accessKeyId, secretAccessKey: kept.secretAccessKey, source: 'created locally', userName: LOCAL_USER_NAME };
    }
  } catch {
    // Absent or unreadable: create new ones.
  }
  const created = {
    accessKeyId: `AKIALOCAL${randomBytes(6).toString('hex').toUpperCase().slice(0, 11)}`,
    secretAccessKey: randomBytes(30).toString('base64').replace(/[+/=]/g, 'x').slice(0, 40),
  };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(created, null, 2)}\n`, { mode: 0o600 });
  return { ...created, source: 'created locally', userName: LOCAL_USER_NAME };
}

/** A lookup over the known keys, for the verifier. */
export function keyring(identities: readonly LocalIdentity[]): (accessKeyId: string) => LocalIdentity | undefined {
  const byKey = new Map(identities.map((i) => [i.accessKeyId, i]));
  return (accessKeyId) => byKey.get(accessKeyId);
}
