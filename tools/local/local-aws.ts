/**
 * Region, account and the functions' execution-role key: the functions' real SDK clients sign
 * with it, and the local SageMaker runtime checks that signature (dynalite and the local S3 do not).
 */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCALPIPELINE000', secretAccessKey: 'local-pipeline-secret' };

export function localAwsConfig() {
  return { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}
