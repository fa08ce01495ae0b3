/**
 * Where the cost model's quantities come from: the stage's configuration (memory,
 * architecture, capacity, TTL, retention, monitoring, audit), the code itself (a record
 * built by the handler's own record builder, the metrics it emits, the metric filters, the
 * alarm catalog) and the last benchmark (bench-results/latest.json: Lambda duration, log
 * bytes per request, model latency). What is neither measured nor configured is an
 * assumption, named and documented here.
 */
import * as fs from 'fs';
import * as path from 'path';
import { StageConfig } from '../../lib/config/stage-config';
import { enabledAlarms, gatedSignal } from '../../lib/monitoring/alarm-catalog';
import { METRIC_FILTERS } from '../../lib/monitoring/metric-filters';
import { metricsOf } from '../../lib/monitoring/metric-ref';
import { ERROR_KINDS, METRIC_NAMES } from '../../contract/handlers';
import { inlinePayloadRecord, PayloadRecord, s3PayloadRecord, truncatedPayloadRecord } from '../../lambda/shared/payload';
import { buildInferenceRecord } from '../../lambda/shared/record';
import { REPO_ROOT, loadStage } from '../cli';
import { CostInputs, dynamoItemBytes, instancesForRate, Prices } from './model';

/** Documented assumptions: used when neither the configuration nor a benchmark says. */
export const ASSUMPTIONS = {
  /**
   * Lambda duration without a benchmark: an InvokeEndpoint round trip of a small model on a
   * warm endpoint (~15 ms) plus a PutItem (~5 ms) and the handler's own few milliseconds.
   */
  lambdaDurationMs: 25,
  /** Model time billed per request by a serverless endpoint, without a benchmark. */
  modelDurationMs: 5,
  /** Handler log lines per request without a benchmark (summary + EMF, as measured on 2026-11-23). */
  handlerLogBytes: 900,
  /** Lambda's JSON platform lines per invocation (platform.start, platform.report), without a benchmark. */
  platformLogBytes: 330,
  /** Model container log bytes per invocation (its one `request` line), without a benchmark. */
  containerLogBytes: 200,
  /** Archived log data is stored compressed; CloudWatch does not publish a ratio: JSON lines compress ~5-10×. */
  logArchiveCompression: 0.15,
  /** Days DynamoDB takes to delete an expired item, on average (typically within 2 days). */
  ttlLagDays: 1,
  /**
   * CloudTrail record sizes: test/tools/runbook/fixtures average 1.5 KB for a PutItem and 1.1 KB for an
   * Invoke data event; a Lambda role session's identity (sessionContext, sessionIssuer) adds ~0.4 KB.
   */
  putItemEventBytes: 1_900,
  invokeEventBytes: 1_500,
  managementEventBytes: 1_400,
  /** Management events a month (deploys, autoscaling, KMS, STS, console): write-only vs read and write. */
  managementEventsPerMonth: { 'write-only': 3_000, all: 60_000 },
  /** Trail log files are gzip'd JSON: the 55 invictus sample files gzip to 0.117 of their 3.66 MB. */
  trailLogCompression: 0.12,
  /** Audit queries a month (responders' and scheduled checks), each over one day. */
  auditQueriesPerMonth: 30,
  /** Kinds of failed requests a month sees, each its own InferenceErrors metric (2 x: EMF and the metric filter). */
  errorKinds: 3,
  /** IAM callers sign their requests: a typical identity in the record. */
  caller: {
    principal: 'arn:aws:iam::123456789012:user/inference-client',
    accountId: '123456789012',
    sourceIp: '203.0.113.7',
    userAgent: 'aws-sdk-js/3.700.0 ua/2.1 os/linux#6.1 lang/js md/nodejs#22.12.0',
  },
} as const;

/**
 * The audit record's quantities: per prediction, API Gateway's Invoke data event, plus the
 * function's PutItem unless the pipeline's roles are excluded (their calls carry the role's
 * session ARN, which the selectors leave out).
 */
export function auditInputs(config: StageConfig): NonNullable<CostInputs['audit']> {
  const a = config.audit;
  const putItem = a.dataEvents && !a.excludeServiceRoleDataEvents;
  return {
    backend: a.backend,
    dataEventBytesPerRequest: a.dataEvents ? ASSUMPTIONS.invokeEventBytes + (putItem ? ASSUMPTIONS.putItemEventBytes : 0) : 0,
    dataEventsPerRequest: a.dataEvents ? 1 + (putItem ? 1 : 0) : 0,
    managementEventBytesPerMonth: ASSUMPTIONS.managementEventsPerMonth[a.managementEvents] * ASSUMPTIONS.managementEventBytes,
    managementEventsPerMonth: ASSUMPTIONS.managementEventsPerMonth[a.managementEvents],
    retentionDays: a.retentionDays,
    logCompression: ASSUMPTIONS.trailLogCompression,
    queriesPerMonth: ASSUMPTIONS.auditQueriesPerMonth,
    kmsKeys: 2,
  };
}

/**
 * One API Gateway access log line (api-stack.ts ACCESS_LOG_FIELDS) with typical values: the
 * access log group is ingested like any other.
 */
const SAMPLE_ACCESS_LOG_LINE = JSON.stringify({
  requestId: '9f1c6a1e-3b0b-4c7e-9d4e-2f0b8f1f2a3c',
  extendedRequestId: 'Qx1AbCdEoAMFVbQ=',
  requestTime: '23/Nov/2026:06:12:13 +0000',
  httpMethod: 'POST',
  resourcePath: '/predict',
  path: '/prod/predict',
  status: '200',
  protocol: 'HTTP/1.1',
  responseLength: '180',
  responseLatency: '24',
  integrationLatency: '22',
  integrationStatus: '200',
  sourceIp: ASSUMPTIONS.caller.sourceIp,
  userAgent: ASSUMPTIONS.caller.userAgent,
  caller: 'AIDAEXAMPLECALLER0001',
  userArn: ASSUMPTIONS.caller.principal,
  apiKeyId: '-',
  errorMessage: '-',
  errorType: '-',
});

export function loadPrices(file = path.join(REPO_ROOT, 'tools', 'cost', 'prices.json')): Prices {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as Prices;
}

export function stageConfig(stage: string): StageConfig {
  return loadStage(stage);
}

/** What the cost model reads from a benchmark's JSON (bench/report.ts BenchResults). */
export interface BenchFigures {
  readonly lambdaDurationMs?: number;
  readonly handlerLogBytesPerRequest?: number;
  readonly platformLogBytes?: number;
  readonly containerLogBytes?: number;
  readonly modelDurationMs?: number;
  readonly source: string;
}

export function readBenchFigures(file: string): BenchFigures | undefined {
  if (!fs.existsSync(file)) return undefined;
  const r = JSON.parse(fs.readFileSync(file, 'utf8'));
  const finite = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : undefined);
  const direct = (r.latency ?? []).find((l: { concurrency: number }) => l.concurrency === 1)?.targets?.direct?.p50;
  return {
    lambdaDurationMs: finite(r.lambdaDurationMs?.optimized?.median),
    handlerLogBytesPerRequest: finite(r.logBytesPerInvocation?.handler ?? r.handlerCpu?.optimized?.logBytesPerRequest),
    platformLogBytes: finite(r.logBytesPerInvocation?.platform),
    containerLogBytes: finite(r.logBytesPerInvocation?.container),
    modelDurationMs: finite(direct),
    source: `${path.relative(process.cwd(), file)} (${r.date ?? 'undated'})`,
  };
}

/** A body of exactly `bytes` bytes, as the payload recorder sees it. */
function body(bytes: number): Buffer {
  return Buffer.alloc(bytes, 0x31);
}

/** What the record keeps of a body under the stage's payload settings (lambda/predict/payloads.ts, without S3 I/O). */
export function payloadRecordFor(config: StageConfig, bytes: number, part: string, requestId: string, createdAt: string): PayloadRecord {
  const r = config.records;
  const data = body(bytes);
  const inline = inlinePayloadRecord(data, r.payloadMode, r.maxInlineBytes);
  if (inline !== 'overflow') return inline;
  if (r.overflow === 'truncate') return truncatedPayloadRecord(data, r.maxInlineBytes);
  return s3PayloadRecord(
    data,
    `s3://${config.project}-${config.stage}-payloads/payloads/${createdAt.slice(0, 10)}/${requestId}/${part}.json`,
  );
}

/** A successful request's record, built by the handler's record builder, for this stage and these payload sizes. */
export function sampleRecord(config: StageConfig, payloadBytes: number, outputBytes: number): Record<string, unknown> {
  const requestId = '9f1c6a1e-3b0b-4c7e-9d4e-2f0b8f1f2a3c';
  const createdAt = '2026-11-23T06:12:13.666Z';
  const iam = config.api.authorization === 'iam';
  return buildInferenceRecord({
    requestId,
    createdAt,
    httpStatus: 200,
    caller: iam
      ? {
          type: 'iam',
          principal: ASSUMPTIONS.caller.principal,
          accountId: ASSUMPTIONS.caller.accountId,
          sourceIp: ASSUMPTIONS.caller.sourceIp,
          userAgent: ASSUMPTIONS.caller.userAgent,
        }
      : { type: 'api-key', apiKeyId: 'a1b2c3d4e5', sourceIp: ASSUMPTIONS.caller.sourceIp, userAgent: ASSUMPTIONS.caller.userAgent },
    modelName: config.model.name,
    modelVersion: config.model.version,
    endpointName: `${config.project}-${config.stage}-${config.model.name}`,
    variant: 'AllTraffic',
    input: payloadRecordFor(config, payloadBytes, 'input', requestId, createdAt),
    output: payloadRecordFor(config, outputBytes, 'output', requestId, createdAt),
    latencyMs: 24,
    modelLatencyMs: 21,
    ttlDays: config.records.ttlDays,
  }) as unknown as Record<string, unknown>;
}

/** When a metric gets data: every month, in a month with failed requests, or only when something breaks. */
export type MetricWhen = 'always' | 'errors' | 'failures';

/** Every custom metric the code can publish, with the dimension sets that multiply it. */
export interface CustomMetric {
  readonly name: string;
  readonly source: 'EMF' | 'metric filter';
  readonly when: MetricWhen;
  /** One metric per error kind (the errorKind dimension). */
  readonly perErrorKind: boolean;
}

const EMF_WHEN: Record<string, MetricWhen> = {
  [METRIC_NAMES.inferences]: 'always',
  [METRIC_NAMES.latency]: 'always',
  [METRIC_NAMES.modelLatency]: 'always',
  [METRIC_NAMES.coldStart]: 'always',
  [METRIC_NAMES.errors]: 'errors',
  [METRIC_NAMES.recordFallbacks]: 'failures',
};
const FILTER_WHEN: Record<string, MetricWhen> = {
  Inferences: 'always',
  InferenceLatency: 'always',
  InferenceModelLatency: 'always',
  PredictColdStarts: 'always',
  InferenceErrors: 'errors',
  InferenceServerErrors: 'errors',
  RecordWriteFallbacks: 'failures',
  PredictTimeouts: 'failures',
  PredictRuntimeExits: 'failures',
  ReadTimeouts: 'failures',
  ReadRuntimeExits: 'failures',
  EndpointContainerErrors: 'failures',
};

/**
 * The handler's EMF metrics (lambda/shared/contract.ts METRIC_NAMES, all with the `service`
 * dimension; InferenceErrors also by `errorKind`) and the metric filters' metrics
 * (lib/monitoring/metric-filters.ts). Throws for a metric this table does not classify, so a
 * new metric cannot go uncounted.
 */
export function customMetrics(): CustomMetric[] {
  const classify = (table: Record<string, MetricWhen>, key: string, what: string) => {
    const when = table[key];
    if (!when) throw new Error(`tools/cost/inputs.ts does not know when the ${what} ${key} is published: add it to its table`);
    return when;
  };
  return [
    ...Object.values(METRIC_NAMES).map((name) => ({
      name,
      source: 'EMF' as const,
      when: classify(EMF_WHEN, name, 'EMF metric'),
      perErrorKind: name === METRIC_NAMES.errors,
    })),
    ...METRIC_FILTERS.map((f) => ({
      name: f.metricName,
      source: 'metric filter' as const,
      when: classify(FILTER_WHEN, f.id, 'metric filter'),
      perErrorKind: Object.keys(f.dimensions ?? {}).length > 0,
    })),
  ];
}

export function countCustomMetrics(metrics: readonly CustomMetric[], errorKinds: number, includeFailures: boolean): number {
  const kinds = Math.min(errorKinds, ERROR_KINDS.length);
  return metrics
    .filter((m) => m.when === 'always' || (m.when === 'errors' && kinds > 0) || (m.when === 'failures' && includeFailures))
    .reduce((sum, m) => sum + (m.perErrorKind ? kinds : 1), 0);
}

/**
 * The alarms the stacks create for this stage, as CloudWatch bills them: each metric alarm by
 * the metrics it reads (a gated rate alarm reads its signal's metrics and the request count),
 * composites by count. With deployment rollback on, the endpoint's two rollback alarms exist
 * besides the catalog's own alarms on the same signals (monitoring-facade.ts).
 */
export function alarmCounts(config: StageConfig): { alarmMetrics: number; compositeAlarms: number; metricAlarms: number } {
  if (!config.monitoring.enabled) return { alarmMetrics: 0, compositeAlarms: 0, metricAlarms: 0 };
  const rollback = config.endpoint.deployment.autoRollback;
  let alarmMetrics = rollback ? 2 : 0;
  let metricAlarms = rollback ? 2 : 0;
  let compositeAlarms = 0;
  const alarms = enabledAlarms(config);
  for (const alarm of alarms) {
    metricAlarms++;
    alarmMetrics += metricsOf(gatedSignal(alarm, config.monitoring.minSampleCount)).length;
  }
  if (alarms.some((a) => a.severity === 'Critical')) compositeAlarms++;
  return { alarmMetrics, compositeAlarms, metricAlarms };
}

export interface EstimateOptions {
  readonly stage: string;
  readonly requestsPerSecond: number;
  readonly payloadBytes: number;
  /** The model's answer; defaults to the payload's size. */
  readonly outputBytes?: number;
  readonly durationMs?: number;
  readonly modelDurationMs?: number;
  readonly errorKinds?: number;
  readonly bench?: BenchFigures;
}

export interface DerivedInputs {
  readonly config: StageConfig;
  readonly inputs: CostInputs;
  readonly itemBytes: number;
  /** Where each measured figure came from. */
  readonly provenance: Readonly<Record<string, string>>;
  readonly notes: readonly string[];
}

export function deriveInputs(o: EstimateOptions): DerivedInputs {
  const config = stageConfig(o.stage);
  const outputBytes = o.outputBytes ?? o.payloadBytes;
  const bench = o.bench;
  const provenance: Record<string, string> = {};
  const pick = (name: string, explicit: number | undefined, measured: number | undefined, assumed: number): number => {
    if (explicit !== undefined) return ((provenance[name] = 'command line'), explicit);
    if (measured !== undefined) return ((provenance[name] = `measured: ${bench!.source}`), measured);
    provenance[name] = 'assumption (tools/cost/inputs.ts)';
    return assumed;
  };
  const durationMs = pick('Lambda duration', o.durationMs, bench?.lambdaDurationMs, ASSUMPTIONS.lambdaDurationMs);
  const handlerLogBytes = pick('handler log bytes', undefined, bench?.handlerLogBytesPerRequest, ASSUMPTIONS.handlerLogBytes);
  const platformLogBytes = pick('platform log bytes', undefined, bench?.platformLogBytes, ASSUMPTIONS.platformLogBytes);
  const containerLogBytes = pick('container log bytes', undefined, bench?.containerLogBytes, ASSUMPTIONS.containerLogBytes);
  const modelDurationMs = pick('model duration', o.modelDurationMs, bench?.modelDurationMs, ASSUMPTIONS.modelDurationMs);
  const itemBytes = dynamoItemBytes(sampleRecord(config, o.payloadBytes, outputBytes));
  const errorKinds = o.errorKinds ?? ASSUMPTIONS.errorKinds;
  const metrics = customMetrics();
  const alarms = alarmCounts(config);
  const capacity = config.endpoint.capacity;
  const notes: string[] = [];

  let endpoint: CostInputs['endpoint'];
  if (capacity.mode === 'serverless') {
    endpoint = {
      mode: 'serverless',
      memoryMiB: capacity.memorySizeMiB,
      durationMs: modelDurationMs,
      provisionedConcurrency: capacity.provisionedConcurrency,
      bytesPerRequest: o.payloadBytes + outputBytes,
    };
  } else {
    const { count, capped } = instancesForRate(
      o.requestsPerSecond,
      capacity.targetInvocationsPerInstance,
      capacity.minInstanceCount,
      capacity.maxInstanceCount,
    );
    if (capped)
      notes.push(
        `${o.requestsPerSecond} rps needs more than maxInstanceCount=${capacity.maxInstanceCount} instances at ${capacity.targetInvocationsPerInstance} invocations/instance/min: capped, latency will suffer`,
      );
    endpoint = {
      mode: 'instance',
      instanceType: capacity.instanceType,
      instanceCount: count,
      bytesPerRequest: o.payloadBytes + outputBytes,
    };
  }
  if (config.audit.enabled && config.audit.backend === 'lake') {
    notes.push(
      'audit.backend=lake: CloudTrail Lake is closed to new customers since 2026-05-31 (AWS CloudTrail documentation): its line applies to accounts that already use it',
    );
  }
  if (config.audit.enabled && config.audit.backend === 'trail') {
    notes.push(
      `audit.backend=trail: API Gateway's Invoke of the function is a data event of every prediction that cannot be excluded (its caller is the API Gateway service, which has no userIdentity.arn)${config.audit.excludeServiceRoleDataEvents ? "; the function's own PutItem is excluded (audit.excludeServiceRoleDataEvents)" : ", and so is the function's own PutItem (audit.excludeServiceRoleDataEvents=false)"}`,
    );
  }
  const failureMetrics = countCustomMetrics(metrics, errorKinds, true) - countCustomMetrics(metrics, errorKinds, false);
  notes.push(
    `custom metrics: ${errorKinds} error kinds assumed; ${failureMetrics} more metrics (fallbacks, timeouts, runtime exits, container errors) bill only in a month where they fire`,
  );

  const inputs: CostInputs = {
    requestsPerSecond: o.requestsPerSecond,
    // PipelineFunction: arm64, memory from functions.memorySizeMiB.
    lambda: { memoryMiB: config.functions.memorySizeMiB, architecture: 'arm64', durationMs },
    table: {
      itemBytes,
      // byModelVersion (every record, projection ALL); byFailure holds failures only.
      indexesPerRecord: 1,
      ttlDays: config.records.ttlDays,
      ttlLagDays: ASSUMPTIONS.ttlLagDays,
      pointInTimeRecovery: config.table.pointInTimeRecovery,
    },
    logs: {
      // The handler's lines, Lambda's platform lines, the model container's line, API Gateway's access log line.
      bytesPerRequest: handlerLogBytes + platformLogBytes + containerLogBytes + SAMPLE_ACCESS_LOG_LINE.length + 1,
      retentionDays: config.logRetentionDays,
      archiveCompression: ASSUMPTIONS.logArchiveCompression,
    },
    metrics: {
      customMetrics: config.monitoring.enabled
        ? countCustomMetrics(metrics, errorKinds, false)
        : countCustomMetrics(
            metrics.filter((m) => m.source === 'EMF'),
            errorKinds,
            false,
          ),
      alarmMetrics: alarms.alarmMetrics,
      compositeAlarms: alarms.compositeAlarms,
      dashboards: config.monitoring.enabled && config.monitoring.dashboard ? 1 : 0,
    },
    audit: config.audit.enabled ? auditInputs(config) : undefined,
    endpoint,
  };
  return { config, inputs, itemBytes, provenance, notes };
}
