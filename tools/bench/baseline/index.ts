/**
 * The benchmark's baseline: the prediction handler's job done the obvious way, bundled by a
 * NodejsFunction with its DEFAULT settings (CommonJS, not minified, `@aws-sdk/*` external:
 * the Lambda runtime's SDK). Every figure of `npm run bench` is also a ratio against this.
 *
 * Same work per request as lambda/predict: validate (the same validator), invoke the
 * endpoint, build the same record (the same record builder), put it with the same
 * condition, log one summary line, publish the same EMF metrics, answer. What differs is
 * only what a first implementation would do: the SDK clients and Powertools imported at
 * the top with their defaults (the S3 client included, for the overflow path), the
 * default credential chain, the default bundling. It is not deployed; it is not tested
 * beyond the benchmark's own use.
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { InvokeEndpointCommand, SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { parsePredictRequest } from '../../../lambda/predict/validate';
import { ApiError } from '../../../lambda/shared/http';
import { inlinePayloadRecord, PayloadRecord, s3PayloadRecord, truncatedPayloadRecord } from '../../../lambda/shared/payload';
import { buildInferenceRecord, callerOf } from '../../../lambda/shared/record';

const env = process.env;
const config = {
  tableName: env.TABLE_NAME!,
  endpointName: env.ENDPOINT_NAME!,
  modelName: env.MODEL_NAME!,
  modelVersion: env.MODEL_VERSION!,
  contentType: env.MODEL_CONTENT_TYPE ?? 'application/json',
  featureCount: Number(env.MODEL_FEATURE_COUNT ?? 0),
  maxRequestBytes: Number(env.MAX_REQUEST_BYTES ?? 262_144),
  payloadMode: (env.PAYLOAD_MODE ?? 'hash') as 'full' | 'hash' | 'none',
  maxInlineBytes: Number(env.MAX_INLINE_BYTES ?? 65_536),
  payloadBucket: env.PAYLOAD_BUCKET,
  ttlDays: Number(env.RECORD_TTL_DAYS ?? 0),
};

const logger = new Logger();
const metrics = new Metrics();
const sagemaker = new SageMakerRuntimeClient({});
const ddb = DynamoDBDocumentClient.from(new DynamoDBClient({}), { marshallOptions: { removeUndefinedValues: true } });
const s3 = new S3Client({ forcePathStyle: Boolean(env.AWS_ENDPOINT_URL_S3) });

export const handler = async (event: APIGatewayProxyEvent, context?: Context): Promise<APIGatewayProxyResult> => {
  const startedAt = Date.now();
  const createdAt = new Date(startedAt).toISOString();
  const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? randomUUID();
  if (context) logger.addContext(context);
  logger.setCorrelationId(requestId);
  metrics.captureColdStartMetric();

  const input = event.body ? Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8') : undefined;
  let status = 200;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the baseline mirrors a hand-written handler: its error code is whatever it throws
  let error: { code: any; message: string } | undefined;
  let output: Buffer | undefined;
  let predictions: unknown;
  let variant: string | undefined;
  let modelLatencyMs: number | undefined;
  try {
    const contentType = event.headers?.['content-type'] ?? event.headers?.['Content-Type'];
    const rows = parsePredictRequest(contentType, input, config);
    const invokedAt = Date.now();
    const response = await sagemaker.send(
      new InvokeEndpointCommand({
        EndpointName: config.endpointName,
        ContentType: 'application/json',
        Accept: 'application/json',
        Body: JSON.stringify({ instances: rows }),
      }),
    );
    modelLatencyMs = Date.now() - invokedAt;
    variant = response.InvokedProductionVariant;
    output = Buffer.from(response.Body ?? new Uint8Array());
    const parsed = JSON.parse(output.toString('utf8'));
    predictions = parsed.predictions ?? parsed;
  } catch (e) {
    status = e instanceof ApiError ? e.statusCode : 500;
    error = { code: e instanceof ApiError ? e.kind : 'InternalError', message: e instanceof ApiError ? e.message : 'internal error' };
  }
  const latencyMs = Date.now() - startedAt;

  const record = buildInferenceRecord({
    requestId,
    createdAt,
    httpStatus: status,
    error,
    caller: callerOf(event.requestContext?.identity),
    modelName: config.modelName,
    modelVersion: config.modelVersion,
    endpointName: config.endpointName,
    variant,
    input: await payloadRecord(input, 'input', requestId, createdAt),
    output: await payloadRecord(output, 'output', requestId, createdAt),
    latencyMs,
    modelLatencyMs,
    ttlDays: config.ttlDays,
  });
  try {
    await ddb.send(new PutCommand({ TableName: config.tableName, Item: record, ConditionExpression: 'attribute_not_exists(pk)' }));
  } catch (e) {
    logger.error('inference record kept in log', { record, writeError: (e as Error).name });
  }

  logger.info('inference summary', {
    outcome: error ? 'error' : 'success',
    errorKind: error?.code,
    statusCode: status,
    latencyMs,
    modelLatencyMs,
    modelVersion: config.modelVersion,
    endpointName: config.endpointName,
    variant,
  });
  metrics.addMetric('Inferences', MetricUnit.Count, 1);
  metrics.addMetric('Latency', MetricUnit.Milliseconds, latencyMs);
  if (modelLatencyMs !== undefined) metrics.addMetric('ModelLatency', MetricUnit.Milliseconds, modelLatencyMs);
  if (error) {
    const single = metrics.singleMetric();
    single.addDimension('errorKind', error.code);
    single.addMetric('InferenceErrors', MetricUnit.Count, 1);
  }
  metrics.publishStoredMetrics();

  const body = error
    ? { error: error.code, message: error.message, requestId }
    : {
        requestId,
        modelName: config.modelName,
        modelVersion: config.modelVersion,
        endpointName: config.endpointName,
        variant,
        predictions,
        latencyMs,
      };
  return {
    statusCode: status,
    headers: { 'content-type': 'application/json', 'x-request-id': requestId, 'cache-control': 'no-store' },
    body: JSON.stringify(body),
  };
};

async function payloadRecord(
  bytes: Buffer | undefined,
  part: string,
  requestId: string,
  createdAt: string,
): Promise<PayloadRecord | undefined> {
  if (!bytes) return undefined;
  const inline = inlinePayloadRecord(bytes, config.payloadMode, config.maxInlineBytes);
  if (inline !== 'overflow') return inline;
  if (!config.payloadBucket) return truncatedPayloadRecord(bytes, config.maxInlineBytes);
  const key = `payloads/${createdAt.slice(0, 10)}/${requestId}/${part}.json`;
  try {
    await s3.send(new PutObjectCommand({ Bucket: config.payloadBucket, Key: key, Body: bytes, ContentType: 'application/json' }));
    return s3PayloadRecord(bytes, `s3://${config.payloadBucket}/${key}`);
  } catch {
    return truncatedPayloadRecord(bytes, config.maxInlineBytes);
  }
}
