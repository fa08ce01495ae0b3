/**
 * The process environment the handlers' tests run in: a region, dummy credentials, the
 * local servers as the SDK's endpoints, and Powertools writing JSON lines to stdout.
 */
export const TEST_REGION = 'us-east-1';
export const TEST_ACCOUNT = '123456789012';
export const TEST_CREDENTIALS = { accessKeyId: 'AKIDTESTTESTTEST', secretAccessKey: 'test-secret-not-real' };

export interface LocalEndpoints {
  readonly dynamodb: string;
  readonly sagemakerRuntime?: string;
  readonly s3?: string;
}

/** Sets the environment the SDK clients and Powertools read when they are built. */
export function useLocalAws(endpoints: LocalEndpoints): void {
  Object.assign(process.env, {
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    ...(endpoints.sagemakerRuntime ? { AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoints.sagemakerRuntime } : {}),
    ...(endpoints.s3 ? { AWS_ENDPOINT_URL_S3: endpoints.s3 } : {}),
    // JSON lines on stdout, as in Lambda.
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_SERVICE_NAME: 'inference-test',
    POWERTOOLS_METRICS_NAMESPACE: 'InferencePipelineTest',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // Powertools counts a cold start only in an on-demand execution environment.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_FUNCTION_NAME: 'predict-test',
  });
  delete process.env.AWS_PROFILE;
}
