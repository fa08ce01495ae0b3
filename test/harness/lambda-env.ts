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

/**
 * The prediction function's environment as the handler tests start from (the variables the api
 * stack sets, with small test values); each suite overrides what it exercises.
 */
export function predictEnv(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    TABLE_NAME: 'inferences',
    ENDPOINT_NAME: 'iris-endpoint',
    MODEL_NAME: 'iris-classifier',
    MODEL_VERSION: '1.0.0',
    MODEL_CONTENT_TYPE: 'application/json',
    MODEL_FEATURE_COUNT: '4',
    MAX_REQUEST_BYTES: '65536',
    INVOKE_TIMEOUT_MS: '1000',
    MAX_ATTEMPTS: '2',
    PAYLOAD_MODE: 'full',
    PAYLOAD_OVERFLOW: 's3',
    MAX_INLINE_BYTES: '65536',
    RECORD_TTL_DAYS: '1',
    IDEMPOTENCY_WINDOW_SEC: '60',
    ...overrides,
  };
}
