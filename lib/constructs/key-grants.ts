import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';

/** What a principal does with a key's data, through a service's server-side encryption. */
export type KeyUse = 'decrypt' | 'encrypt-decrypt';

const ACTIONS: Record<KeyUse, string[]> = {
  // Reading an encrypted item or object: the service decrypts its data key.
  decrypt: ['kms:Decrypt'],
  // Writing too: S3 asks for a new data key per object (or bucket key), DynamoDB may encrypt one.
  'encrypt-decrypt': ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
};

/**
 * Lets `grantee` use `key` only through the named services' server-side encryption
 * (`kms:ViaService`), with the exact actions that needs. CDK's `grantEncryptDecrypt` would add
 * `kms:ReEncrypt*` and `kms:GenerateDataKey*` and allow direct calls to KMS: a function that
 * only writes items and objects never needs either.
 *
 * @param services the services' endpoint prefixes, for example `['dynamodb', 's3']`
 */
export function grantKeyThroughServices(
  key: kms.IKey,
  grantee: iam.IGrantable,
  use: KeyUse,
  services: readonly string[],
  sid?: string,
): void {
  // Every stack of a stage shares one region; a pseudo-parameter region resolves in any stack.
  const region = Stack.of(key).region;
  grantee.grantPrincipal.addToPrincipalPolicy(
    new iam.PolicyStatement({
      sid,
      actions: ACTIONS[use],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': services.map((s) => `${s}.${region}.amazonaws.com`) } },
    }),
  );
}
