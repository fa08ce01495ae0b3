/**
 * The cost model's arithmetic: monthly cost per component from quantities and prices. Pure
 * functions (no configuration, no I/O), so that test/cost can check them on hand-computed
 * cases. Where the quantities come from is tools/cost/inputs.ts.
 */

export interface Prices {
  readonly region: string;
  readonly currency: string;
  readonly date: string;
  readonly hoursPerMonth: number;
  readonly apiGateway: { readonly restRequestsPerMillion: readonly { readonly upToMillions: number | null; readonly price: number }[] };
  readonly lambda: { readonly requestsPerMillion: number; readonly gbSecond: Readonly<Record<'arm64' | 'x86_64', number>> };
  readonly dynamodb: {
    readonly onDemandWriteRequestUnitsPerMillion: number;
    readonly onDemandReadRequestUnitsPerMillion: number;
    readonly storageGbMonth: number;
    readonly pitrGbMonth: number;
  };
  readonly cloudwatch: {
    readonly logsIngestionPerGb: number;
    readonly logsArchivePerGbMonth: number;
    readonly customMetricMonth: number;
    readonly alarmMetricMonth: number;
    readonly compositeAlarmMonth: number;
    readonly dashboardMonth: number;
  };
  readonly cloudtrailLake: {
    readonly ingestionPerGb: number;
    readonly extendedRetentionPerGbMonth: number;
    readonly includedRetentionDays: number;
    readonly queryScannedPerGb?: number;
  };
  /** The trail backend's prices (optional so older price files still load; needed when a stage uses it). */
  readonly cloudtrailTrail?: { readonly dataEventsPer100k: number; readonly managementEventsAdditionalCopyPer100k: number };
  readonly athena?: { readonly perTbScanned: number; readonly minBytesPerQuery: number };
  readonly s3?: { readonly standardGbMonth: number };
  readonly kms?: { readonly customerManagedKeyMonth: number };
  readonly sagemaker: {
    readonly serverlessPerGbSecond: number;
    readonly dataProcessedPerGb: number;
    readonly instanceHour: Readonly<Record<string, number>>;
  };
}

/** Binary units, as DynamoDB and CloudWatch measure them. */
export const KB = 1024;
export const GB = 1024 ** 3;

export function secondsPerMonth(prices: Pick<Prices, 'hoursPerMonth'>): number {
  return prices.hoursPerMonth * 3600;
}

// ---------------------------------------------------------------------------- DynamoDB item size

/**
 * The size DynamoDB bills for an item, by its documented rules: attribute names count their
 * UTF-8 bytes; strings their UTF-8 bytes; numbers about one byte per two significant digits
 * plus one; booleans and null one byte; a map or list 3 bytes plus each element, and one byte
 * per element. Nested map keys count like attribute names. (What the document client
 * marshals a plain object into: M, L, S, N, BOOL, NULL.)
 */
export function dynamoItemBytes(item: Readonly<Record<string, unknown>>): number {
  let total = 0;
  for (const [name, value] of Object.entries(item)) {
    if (value === undefined) continue;
    total += Buffer.byteLength(name, 'utf8') + dynamoValueBytes(value);
  }
  return total;
}

function dynamoValueBytes(value: unknown): number {
  if (value === null || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value, 'utf8');
  if (typeof value === 'number') return numberBytes(value);
  if (value instanceof Uint8Array) return value.byteLength;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + 1 + dynamoValueBytes(v), 0);
  if (typeof value === 'object') {
    let total = 3;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (v === undefined) continue;
      total += 1 + Buffer.byteLength(key, 'utf8') + dynamoValueBytes(v);
    }
    return total;
  }
  throw new Error(`no DynamoDB size for a ${typeof value}`);
}

/** (significant digits / 2, rounded up) + 1: `1796016975` is 6 bytes, `0` and `7` are 2. */
export function numberBytes(n: number): number {
  const digits = String(Math.abs(n)).replace('.', '').replace(/^0+/, '').replace(/0+$/, '').length || 1;
  return Math.ceil(digits / 2) + 1;
}

/** Write request units of a standard (non-transactional) write of an item of this size. */
export function writeUnits(itemBytes: number): number {
  return Math.max(1, Math.ceil(itemBytes / KB));
}

// ---------------------------------------------------------------------------- the estimate

export interface CostInputs {
  readonly requestsPerSecond: number;
  readonly lambda: { readonly memoryMiB: number; readonly architecture: 'arm64' | 'x86_64'; readonly durationMs: number };
  readonly table: {
    /** Size of one record as DynamoDB bills it. */
    readonly itemBytes: number;
    /** Global secondary indexes every record is written to (projection ALL: the whole item). */
    readonly indexesPerRecord: number;
    /** Days a record lives (TTL), and the extra days before DynamoDB really deletes it. 0 days: kept forever. */
    readonly ttlDays: number;
    readonly ttlLagDays: number;
    readonly pointInTimeRecovery: boolean;
  };
  readonly logs: { readonly bytesPerRequest: number; readonly retentionDays: number; readonly archiveCompression: number };
  readonly metrics: {
    readonly customMetrics: number;
    readonly alarmMetrics: number;
    readonly compositeAlarms: number;
    readonly dashboards: number;
  };
  readonly audit?: {
    /** `lake` (the default here, for older inputs) or `trail` (CloudTrail trail, S3, Athena). */
    readonly backend?: 'lake' | 'trail';
    readonly dataEventBytesPerRequest: number;
    readonly managementEventBytesPerMonth: number;
    readonly retentionDays: number;
    /** Trail: data events per request (billed per event), management events a month (first copy free). */
    readonly dataEventsPerRequest?: number;
    readonly managementEventsPerMonth?: number;
    /** Trail: the log files are gzip JSON; this fraction of the event bytes is stored and scanned. */
    readonly logCompression?: number;
    /** Queries a month, each over one day of events. */
    readonly queriesPerMonth?: number;
    /** Trail: customer managed keys (log files, query results). */
    readonly kmsKeys?: number;
  };
  readonly endpoint:
    | {
        readonly mode: 'serverless';
        readonly memoryMiB: number;
        readonly durationMs: number;
        readonly provisionedConcurrency: number;
        readonly bytesPerRequest: number;
      }
    | { readonly mode: 'instance'; readonly instanceType: string; readonly instanceCount: number; readonly bytesPerRequest: number };
}

export interface CostLine {
  readonly component: string;
  readonly quantity: number;
  readonly unit: string;
  readonly monthly: number;
  readonly note?: string;
}

export interface CostEstimate {
  readonly requestsPerMonth: number;
  readonly lines: readonly CostLine[];
  readonly total: number;
  /** Total over requests, per million requests. */
  readonly perMillionRequests: number;
}

/** Graduated tiers: each tier's price applies to the requests within it. */
export function tieredPerMillion(requests: number, tiers: Prices['apiGateway']['restRequestsPerMillion']): number {
  let remaining = requests / 1e6;
  let previous = 0;
  let cost = 0;
  for (const tier of tiers) {
    const size = tier.upToMillions === null ? Infinity : tier.upToMillions - previous;
    const inTier = Math.min(remaining, size);
    cost += inTier * tier.price;
    remaining -= inTier;
    if (remaining <= 0) break;
    previous = tier.upToMillions ?? previous;
  }
  return cost;
}

/** Items the table holds on average once TTL deletes as fast as records arrive. */
export function storedRecords(requestsPerSecond: number, ttlDays: number, ttlLagDays: number, secondsInMonth: number): number {
  // Kept forever: the average over the first month (the table grows by a month's records every month).
  if (ttlDays === 0) return (requestsPerSecond * secondsInMonth) / 2;
  return requestsPerSecond * (ttlDays + ttlLagDays) * 86_400;
}

export function estimateMonthlyCost(i: CostInputs, p: Prices): CostEstimate {
  const seconds = secondsPerMonth(p);
  const requests = i.requestsPerSecond * seconds;
  const lines: CostLine[] = [];
  const add = (component: string, quantity: number, unit: string, monthly: number, note?: string) =>
    lines.push({ component, quantity, unit, monthly, ...(note ? { note } : {}) });

  add('API Gateway requests', requests, 'requests', tieredPerMillion(requests, p.apiGateway.restRequestsPerMillion));

  add('Lambda requests', requests, 'requests', (requests / 1e6) * p.lambda.requestsPerMillion);
  const billedSeconds = Math.ceil(i.lambda.durationMs) / 1000;
  const gbSeconds = requests * billedSeconds * (i.lambda.memoryMiB / 1024);
  add(
    'Lambda duration',
    gbSeconds,
    'GB-s',
    gbSeconds * p.lambda.gbSecond[i.lambda.architecture],
    `${Math.ceil(i.lambda.durationMs)} ms billed × ${i.lambda.memoryMiB} MiB ${i.lambda.architecture}`,
  );

  const wru = requests * writeUnits(i.table.itemBytes) * (1 + i.table.indexesPerRecord);
  add(
    'DynamoDB writes',
    wru,
    'WRU',
    (wru / 1e6) * p.dynamodb.onDemandWriteRequestUnitsPerMillion,
    `${i.table.itemBytes} B item: ${writeUnits(i.table.itemBytes)} WRU, ×${1 + i.table.indexesPerRecord} with its index`,
  );
  const records = storedRecords(i.requestsPerSecond, i.table.ttlDays, i.table.ttlLagDays, seconds);
  // DynamoDB adds 100 bytes of indexing overhead to each stored item, in the table and in each index.
  const tableGb = (records * (i.table.itemBytes + 100)) / GB;
  const storedGb = tableGb * (1 + i.table.indexesPerRecord);
  add(
    'DynamoDB storage',
    storedGb,
    'GB-month',
    storedGb * p.dynamodb.storageGbMonth,
    i.table.ttlDays
      ? `${Math.round(records).toLocaleString('en-US')} records (TTL ${i.table.ttlDays} d + ${i.table.ttlLagDays} d until deleted)`
      : 'no TTL: first month average, growing every month',
  );
  if (i.table.pointInTimeRecovery)
    add('DynamoDB point-in-time recovery', tableGb, 'GB-month', tableGb * p.dynamodb.pitrGbMonth, 'base table size');

  const logGb = (requests * i.logs.bytesPerRequest) / GB;
  add(
    'CloudWatch Logs ingestion',
    logGb,
    'GB',
    logGb * p.cloudwatch.logsIngestionPerGb,
    `${Math.round(i.logs.bytesPerRequest)} B per request`,
  );
  const archivedGb = (logGb / (seconds / 86_400)) * i.logs.retentionDays * i.logs.archiveCompression;
  add(
    'CloudWatch Logs storage',
    archivedGb,
    'GB-month',
    archivedGb * p.cloudwatch.logsArchivePerGbMonth,
    `${i.logs.retentionDays} d retention, compressed to ${Math.round(i.logs.archiveCompression * 100)}%`,
  );
  add('CloudWatch custom metrics', i.metrics.customMetrics, 'metrics', i.metrics.customMetrics * p.cloudwatch.customMetricMonth);
  add(
    'CloudWatch alarms',
    i.metrics.alarmMetrics + i.metrics.compositeAlarms,
    'alarm metrics + composites',
    i.metrics.alarmMetrics * p.cloudwatch.alarmMetricMonth + i.metrics.compositeAlarms * p.cloudwatch.compositeAlarmMonth,
    `${i.metrics.alarmMetrics} metrics in alarms, ${i.metrics.compositeAlarms} composite`,
  );
  add('CloudWatch dashboard', i.metrics.dashboards, 'dashboards', i.metrics.dashboards * p.cloudwatch.dashboardMonth);

  if (i.audit) auditLines(i.audit, requests, seconds, p, add);

  const e = i.endpoint;
  if (e.mode === 'serverless') {
    const computeGbSeconds = requests * (Math.max(1, Math.ceil(e.durationMs)) / 1000) * (e.memoryMiB / 1024);
    add(
      'SageMaker serverless compute',
      computeGbSeconds,
      'GB-s',
      computeGbSeconds * p.sagemaker.serverlessPerGbSecond,
      `${Math.max(1, Math.ceil(e.durationMs))} ms × ${e.memoryMiB} MiB per request`,
    );
    if (e.provisionedConcurrency > 0) add('SageMaker provisioned concurrency', e.provisionedConcurrency, 'workers', NaN, 'not modeled');
  } else {
    const hourly = p.sagemaker.instanceHour[e.instanceType];
    if (hourly === undefined) throw new Error(`no hourly price for ${e.instanceType} in cost/prices.json (sagemaker.instanceHour)`);
    add(
      'SageMaker instances',
      e.instanceCount,
      `${e.instanceType}`,
      e.instanceCount * p.hoursPerMonth * hourly,
      `${e.instanceCount} × ${p.hoursPerMonth} h × $${hourly}`,
    );
  }
  const processedGb = (requests * e.bytesPerRequest) / GB;
  add('SageMaker data processed', processedGb, 'GB', processedGb * p.sagemaker.dataProcessedPerGb);

  const total = lines.reduce((sum, l) => sum + (Number.isFinite(l.monthly) ? l.monthly : 0), 0);
  return { requestsPerMonth: requests, lines, total, perMillionRequests: requests ? (total / requests) * 1e6 : NaN };
}

/** The audit record's monthly cost on each backend, for the same events (what `npm run cost` compares). */
export function auditCostByBackend(i: CostInputs, p: Prices): Record<'trail' | 'lake', number> | undefined {
  if (!i.audit) return undefined;
  const seconds = secondsPerMonth(p);
  const requests = i.requestsPerSecond * seconds;
  const total = (backend: 'trail' | 'lake') => {
    let sum = 0;
    auditLines({ ...i.audit!, backend }, requests, seconds, p, (_c, _q, _u, monthly) => {
      sum += Number.isFinite(monthly) ? monthly : 0;
    });
    return sum;
  };
  return { trail: total('trail'), lake: total('lake') };
}

/**
 * The audit record's monthly cost on its backend. Lake bills ingested GB (storage included for
 * a year) and GB scanned by queries. A trail bills data events per event (all deliveries) and
 * management events only beyond the account's first copy; its files then cost S3 storage, the
 * KMS keys, and Athena's scans (per TB, 10 MB minimum per query).
 */
function auditLines(
  a: NonNullable<CostInputs['audit']>,
  requests: number,
  seconds: number,
  p: Prices,
  add: (component: string, quantity: number, unit: string, monthly: number, note?: string) => void,
): void {
  const days = seconds / 86_400;
  const auditGb = (requests * a.dataEventBytesPerRequest + a.managementEventBytesPerMonth) / GB;
  const queries = a.queriesPerMonth ?? 0;
  if ((a.backend ?? 'lake') === 'lake') {
    const extraMonths = Math.max(0, a.retentionDays - p.cloudtrailLake.includedRetentionDays) / days;
    add(
      'CloudTrail Lake ingestion',
      auditGb,
      'GB',
      auditGb * p.cloudtrailLake.ingestionPerGb + auditGb * extraMonths * p.cloudtrailLake.extendedRetentionPerGbMonth,
      `${Math.round(a.dataEventBytesPerRequest)} B of data events per request`,
    );
    if (queries > 0 && p.cloudtrailLake.queryScannedPerGb !== undefined) {
      const scannedGb = queries * (auditGb / days);
      add(
        'CloudTrail Lake queries',
        scannedGb,
        'GB scanned',
        scannedGb * p.cloudtrailLake.queryScannedPerGb,
        `${queries} queries over one day each`,
      );
    }
    return;
  }
  const trail = p.cloudtrailTrail;
  if (!trail || !p.athena || !p.s3 || !p.kms)
    throw new Error('cost/prices.json has no cloudtrailTrail, athena, s3 or kms prices, which audit.backend=trail needs');
  const dataEvents = requests * (a.dataEventsPerRequest ?? 0);
  add(
    'CloudTrail data events',
    dataEvents,
    'events',
    (dataEvents / 1e5) * trail.dataEventsPer100k,
    `${a.dataEventsPerRequest ?? 0} per request, every delivery billed`,
  );
  add(
    'CloudTrail management events',
    a.managementEventsPerMonth ?? 0,
    'events',
    0,
    `free as the account's first copy; $${trail.managementEventsAdditionalCopyPer100k} per 100,000 if another trail already records them`,
  );
  const compression = a.logCompression ?? 0.1;
  const storedGb = auditGb * compression * (a.retentionDays / days);
  add(
    'Audit log files (S3)',
    storedGb,
    'GB-month',
    storedGb * p.s3.standardGbMonth,
    `gzip JSON (~${Math.round(compression * 100)}% of the event bytes), kept ${a.retentionDays} d under Object Lock`,
  );
  add('Audit KMS keys', a.kmsKeys ?? 2, 'keys', (a.kmsKeys ?? 2) * p.kms.customerManagedKeyMonth, 'log files and query results');
  if (queries > 0) {
    const perQuery = Math.max(p.athena.minBytesPerQuery, ((auditGb * GB) / days) * compression);
    add(
      'Athena queries',
      queries,
      'queries',
      ((queries * perQuery) / 1e12) * p.athena.perTbScanned,
      `one day each: ${(perQuery / 1e6).toFixed(1)} MB billed per query (10 MB minimum)`,
    );
  }
}

/** Instances target tracking keeps for a steady rate: enough for the target, within [min, max]. */
export function instancesForRate(
  requestsPerSecond: number,
  targetInvocationsPerInstancePerMinute: number,
  min: number,
  max: number,
): { count: number; capped: boolean } {
  const needed = Math.ceil((requestsPerSecond * 60) / targetInvocationsPerInstancePerMinute);
  return { count: Math.min(max, Math.max(min, needed)), capped: needed > max };
}
