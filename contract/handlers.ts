/**
 * What the functions promise the rest of the pipeline: their environment, the record they
 * store, and the log lines the metric filters read. The CDK stacks, the local pipeline and
 * the monitoring read these names from here, so a rename cannot drift between them.
 */

/** Environment of the prediction function (set by the API stack and by the local pipeline). */
export const PREDICT_ENV = {
  tableName: 'TABLE_NAME',
  endpointName: 'ENDPOINT_NAME',
  modelName: 'MODEL_NAME',
  modelVersion: 'MODEL_VERSION',
  contentType: 'MODEL_CONTENT_TYPE',
  featureCount: 'MODEL_FEATURE_COUNT',
  maxRequestBytes: 'MAX_REQUEST_BYTES',
  invokeTimeoutMs: 'INVOKE_TIMEOUT_MS',
  maxAttempts: 'MAX_ATTEMPTS',
  payloadMode: 'PAYLOAD_MODE',
  overflow: 'PAYLOAD_OVERFLOW',
  maxInlineBytes: 'MAX_INLINE_BYTES',
  payloadBucket: 'PAYLOAD_BUCKET',
  ttlDays: 'RECORD_TTL_DAYS',
  idempotencyWindowSec: 'IDEMPOTENCY_WINDOW_SEC',
  /** byModelVersion index partitions per version and day (records.shards); optional, default 1. */
  indexShards: 'RECORD_INDEX_SHARDS',
} as const;

/** Environment of the read function. */
export const READ_ENV = {
  tableName: 'TABLE_NAME',
  /** The same shard count the prediction function writes with; optional, default 1. */
  indexShards: 'RECORD_INDEX_SHARDS',
} as const;

/** Environment of the deployment-record custom resource function. */
export const RECORD_DEPLOYMENT_ENV = {
  tableName: 'TABLE_NAME',
} as const;

/**
 * `Properties` of the deployment-record custom resource. CloudFormation passes every leaf
 * as a string, so the handler turns numeric and boolean strings in `Capacity` back into
 * numbers and booleans.
 */
export const DEPLOYMENT_PROPERTIES = {
  modelName: 'ModelName',
  modelVersion: 'ModelVersion',
  imageUri: 'ImageUri',
  modelDataUrl: 'ModelDataUrl',
  endpointName: 'EndpointName',
  endpointConfigName: 'EndpointConfigName',
  capacity: 'Capacity',
  stage: 'Stage',
  /** The training set's statistics (JSON), for drift analysis; absent for a model trained elsewhere. */
  trainingStats: 'TrainingStats',
} as const;

/** Header carrying the request id on every response of the API (also the record's key). */
export const REQUEST_ID_HEADER = 'x-request-id';

/** Request header of `POST /predict`: a retry with the same key gets the first answer again. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Response header `true` on an answer replayed from an earlier request with the same Idempotency-Key. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Time the prediction function keeps back, after the endpoint call, to record the request
 * and answer. The endpoint call and its retries end this long before the Lambda timeout;
 * lib/config/validate.ts checks the timeouts against the same figure.
 */
export const RECORD_BUDGET_MS = 2_000;

/**
 * Payloads over the inline limit are written under this prefix of the payload bucket, as
 * `payloads/<yyyy-mm-dd>/<requestId>/input.json` and `.../output.json` (day first, so a
 * lifecycle rule or an Athena partition can work by day).
 */
export const PAYLOAD_KEY_PREFIX = 'payloads/';

/** Powertools settings common to every function. */
export const METRICS_NAMESPACE = 'InferencePipeline';

/** Error kinds: the `errorCode` of a record and the `errorKind` dimension of the error metric. */
export const ERROR_KINDS = [
  'ValidationError',
  'PayloadTooLarge',
  'UnsupportedMediaType',
  'IdempotencyConflict',
  'ModelError',
  'ModelRejectedInput',
  'EndpointThrottled',
  'EndpointTimeout',
  'EndpointNotFound',
  'ModelNotReady',
  'InternalError',
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];

/** Error kinds of the read-only API (`error` of its JSON error bodies); not recorded, not metered. */
export const READ_ERROR_KINDS = ['ValidationError', 'NotFound', 'InternalError'] as const;
export type ReadErrorKind = (typeof READ_ERROR_KINDS)[number];

/** The `message` of the one summary line each prediction request logs. */
export const SUMMARY_MESSAGE = 'inference summary';
/** The `message` of the line that carries a record the table refused (the fallback). */
export const FALLBACK_MESSAGE = 'inference record kept in log';

/** Metric names the handler emits through Powertools (EMF). */
export const METRIC_NAMES = {
  inferences: 'Inferences',
  errors: 'InferenceErrors',
  latency: 'Latency',
  modelLatency: 'ModelLatency',
  recordFallbacks: 'RecordWriteFallbacks',
  coldStart: 'ColdStart',
} as const;

/** The one extra dimension of InferenceErrors (its values are the ERROR_KINDS: low cardinality). */
export const ERROR_KIND_DIMENSION = 'errorKind';
