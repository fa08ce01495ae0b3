/** Region and dummy credentials: the real SDK clients sign requests that the local servers ignore. */
export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_CREDENTIALS = { accessKeyId: 'AKIALOCALPIPELINE000', secretAccessKey: 'local-pipeline-secret' };

export function localAwsConfig() {
  return { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
}
