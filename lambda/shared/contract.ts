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
} as const;

/** Environment of the read function. */
export const READ_ENV = {
  tableName: 'TABLE_NAME',
} as const;

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
