/**
 * The one fixture of the handler tests: a real DynamoDB-compatible server (dynalite) with the
 * project's table, the fake SageMaker runtime and an S3 stand-in when the test needs them, the
 * process environment the SDK clients and Powertools read, and the capture of what the
 * functions write. Started in the order a cold start needs (servers, environment, table;
 * the test then loads its handler module) and stopped in reverse, so suites sharing a worker
 * never inherit each other's endpoints, credentials or stdout.
 */
import { LocalDynamo, startDynalite } from './lambda-dynamo';
import { LocalEndpoints, useLocalAws } from './lambda-env';
import { HttpRecorder, startHttpRecorder } from './lambda-http-recorder';
import { FakeSageMaker, startFakeSageMaker } from './lambda-sagemaker';
import { StdoutCapture, captureStdout } from './lambda-stdout';

export interface HandlerFixtureOptions {
  /** Tables to create in dynalite (the project's TABLE_DEFINITION). */
  readonly tables?: readonly string[];
  /** Start the fake SageMaker runtime and point AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME at it. */
  readonly sagemaker?: boolean;
  /** Start a recording S3 stand-in and point AWS_ENDPOINT_URL_S3 at it. */
  readonly s3?: boolean;
  /**
   * Endpoints of servers the test runs itself (throttling fakes in front of dynalite), in place
   * of the fixture's; given dynalite, started before the environment is set. The test stops them.
   */
  readonly endpoints?: (dynamo: LocalDynamo) => Promise<Partial<LocalEndpoints>>;
  /** More environment for the handlers (their settings); undefined unsets a variable. */
  readonly env?: Record<string, string | undefined>;
}

export interface HandlerFixture {
  readonly dynamo: LocalDynamo;
  /** Present when `sagemaker` was asked for. */
  readonly sagemaker?: FakeSageMaker;
  /** Present when `s3` was asked for. */
  readonly s3?: HttpRecorder;
  /** Starts capturing stdout and stderr (after the test loaded its handler modules); stop() ends it. */
  captureOutput(): StdoutCapture;
  /** Ends the capture, restores the environment, stops the servers. */
  stop(): Promise<void>;
}

export async function startHandlerFixture(options: HandlerFixtureOptions = {}): Promise<HandlerFixture> {
  const [dynamo, sagemaker, s3] = await Promise.all([
    startDynalite(),
    options.sagemaker ? startFakeSageMaker() : undefined,
    options.s3 ? startHttpRecorder() : undefined,
  ]);
  const own = options.endpoints ? await options.endpoints(dynamo) : {};
  const restoreEnv = useLocalAws({ dynamodb: dynamo.endpoint, sagemakerRuntime: sagemaker?.url, s3: s3?.url, ...own }, options.env);
  let out: StdoutCapture | undefined;
  const stop = async () => {
    out?.stop();
    restoreEnv();
    await Promise.all([dynamo.stop(), sagemaker?.stop(), s3?.stop()]);
  };
  try {
    for (const table of options.tables ?? []) await dynamo.createTable(table);
  } catch (error) {
    await stop();
    throw error;
  }
  return {
    dynamo,
    sagemaker,
    s3,
    captureOutput: () => (out ??= captureStdout()),
    stop,
  };
}
