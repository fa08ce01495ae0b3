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

/**
 * Sets variables and returns what puts the previous values back (call it in afterAll:
 * suites that share a worker must not inherit each other's endpoints or credentials).
 */
export function setEnv(vars: Record<string, string | undefined>): () => void {
  const previous = Object.fromEntries(Object.keys(vars).map((name) => [name, process.env[name]]));
  const apply = (values: Record<string, string | undefined>) => {
    for (const [name, value] of Object.entries(values)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
  apply(vars);
  return () => apply(previous);
}

/** Sets the environment the SDK clients and Powertools read when they are built; returns the restore. */
export function useLocalAws(endpoints: LocalEndpoints, extra: Record<string, string | undefined> = {}): () => void {
  return setEnv({
    AWS_REGION: TEST_REGION,
    AWS_ACCESS_KEY_ID: TEST_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_CREDENTIALS.secretAccessKey,
    AWS_SESSION_TOKEN: undefined,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: endpoints.sagemakerRuntime,
    AWS_ENDPOINT_URL_S3: endpoints.s3,
    // JSON lines on stdout, as in Lambda.
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_SERVICE_NAME: 'inference-test',
    POWERTOOLS_METRICS_NAMESPACE: 'InferencePipelineTest',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    // Powertools counts a cold start only in an on-demand execution environment.
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_LAMBDA_FUNCTION_NAME: 'predict-test',
    AWS_PROFILE: undefined,
    ...extra,
  });
}
