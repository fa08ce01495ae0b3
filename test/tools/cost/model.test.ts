/** The cost model's arithmetic on hand-computed cases. */
import {
  CostInputs,
  auditCostByBackend,
  dynamoItemBytes,
  estimateMonthlyCost,
  instancesForRate,
  numberBytes,
  Prices,
  storedRecords,
  tieredPerMillion,
  writeUnits,
} from '../../../tools/cost/model';

/** Round prices so that each line is easy to compute by hand. */
const PRICES: Prices = {
  region: 'test-1',
  currency: 'USD',
  date: '2026-01-01',
  hoursPerMonth: 730,
  apiGateway: {
    restRequestsPerMillion: [
      { upToMillions: 333, price: 3.5 },
      { upToMillions: 1000, price: 2.8 },
      { upToMillions: null, price: 1 },
    ],
  },
  lambda: { requestsPerMillion: 0.2, gbSecond: { arm64: 0.00001, x86_64: 0.00002 } },
  dynamodb: { onDemandWriteRequestUnitsPerMillion: 0.5, onDemandReadRequestUnitsPerMillion: 0.1, storageGbMonth: 0.25, pitrGbMonth: 0.2 },
  cloudwatch: {
    logsIngestionPerGb: 0.5,
    logsArchivePerGbMonth: 0.03,
    customMetricMonth: 0.3,
    alarmMetricMonth: 0.1,
    compositeAlarmMonth: 0.5,
    dashboardMonth: 3,
  },
  cloudtrailLake: { ingestionPerGb: 0.75, extendedRetentionPerGbMonth: 0.023, includedRetentionDays: 366 },
  sagemaker: { serverlessPerGbSecond: 0.00002, dataProcessedPerGb: 0.016, instanceHour: { 'ml.m5.large': 0.1 } },
};
const GIB = 1024 ** 3;

describe('DynamoDB item size', () => {
  it('numbers: one byte per two significant digits, plus one', () => {
    expect(numberBytes(7)).toBe(2);
    expect(numberBytes(0)).toBe(2);
    expect(numberBytes(1796016975)).toBe(6);
    expect(numberBytes(24)).toBe(2);
    expect(numberBytes(1200)).toBe(2); // trailing zeros are not significant
    expect(numberBytes(3.25)).toBe(3);
  });

  it('names and values; maps cost 3 bytes plus a byte per element', () => {
    // pk: 2 + 11 = 13; n: 1 + 2 = 3; ok: 2 + 1 = 3; m: 1 + (3 + (1 + 1 + 1) + (1 + 1 + 2)) = 11 -> 30
    expect(dynamoItemBytes({ pk: 'INFERENCE#1', n: 7, ok: true, m: { a: 'x', b: 5 } })).toBe(30);
    // Lists: 3 + per element (1 + value): ['ab', 1] = 3 + 3 + 3 = 9, plus the name 'l'.
    expect(dynamoItemBytes({ l: ['ab', 1] })).toBe(10);
    // UTF-8 bytes, and undefined is not stored.
    expect(dynamoItemBytes({ s: 'é', gone: undefined })).toBe(3);
  });

  it('write units: 1 KB each, at least one', () => {
    expect(writeUnits(1)).toBe(1);
    expect(writeUnits(1024)).toBe(1);
    expect(writeUnits(1025)).toBe(2);
    expect(writeUnits(2835)).toBe(3);
  });
});

describe('tiers and steady states', () => {
  it('API Gateway requests fill the tiers in order', () => {
    expect(tieredPerMillion(100e6, PRICES.apiGateway.restRequestsPerMillion)).toBeCloseTo(350, 6);
    // 333 M at 3.50 + 67 M at 2.80
    expect(tieredPerMillion(400e6, PRICES.apiGateway.restRequestsPerMillion)).toBeCloseTo(333 * 3.5 + 67 * 2.8, 6);
    // 333 at 3.5 + 667 at 2.8 + 500 at 1
    expect(tieredPerMillion(1500e6, PRICES.apiGateway.restRequestsPerMillion)).toBeCloseTo(333 * 3.5 + 667 * 2.8 + 500, 6);
  });

  it('records kept: rate x (TTL + deletion lag); without TTL, the first month average', () => {
    expect(storedRecords(10, 7, 1, 2_628_000)).toBe(10 * 8 * 86_400);
    expect(storedRecords(10, 0, 1, 2_628_000)).toBe(13_140_000);
  });

  it('instances for a rate: target tracking within [min, max]', () => {
    expect(instancesForRate(1, 600, 2, 4)).toEqual({ count: 2, capped: false });
    expect(instancesForRate(25, 600, 2, 4)).toEqual({ count: 3, capped: false }); // 1500/min -> 2.5 -> 3
    expect(instancesForRate(100, 600, 2, 4)).toEqual({ count: 4, capped: true }); // needs 10
  });
});

describe('a whole month, by hand', () => {
  // 1 rps for 730 h: 2,628,000 requests.
  const inputs: CostInputs = {
    requestsPerSecond: 1,
    lambda: { memoryMiB: 1024, architecture: 'arm64', durationMs: 9.2 },
    table: { itemBytes: 1500, indexesPerRecord: 1, ttlDays: 7, ttlLagDays: 1, pointInTimeRecovery: true },
    logs: { bytesPerRequest: 1024, retentionDays: 30, archiveCompression: 0.1 },
    metrics: { customMetrics: 10, alarmMetrics: 30, compositeAlarms: 2, dashboards: 1 },
    audit: { dataEventBytesPerRequest: 2048, managementEventBytesPerMonth: 0, retentionDays: 7 },
    endpoint: { mode: 'serverless', memoryMiB: 2048, durationMs: 4.5, provisionedConcurrency: 0, bytesPerRequest: 1024 },
  };
  const n = 2_628_000;
  const e = estimateMonthlyCost(inputs, PRICES);
  const line = (c: string) => e.lines.find((l) => l.component === c)!;

  it('counts the month in 730 hours', () => {
    expect(e.requestsPerMonth).toBe(n);
  });

  it.each([
    ['API Gateway requests', n, 2.628 * 3.5],
    ['Lambda requests', n, 2.628 * 0.2],
    // 10 ms billed (rounded up) x 1 GB
    ['Lambda duration', n * 0.01, n * 0.01 * 0.00001],
    // 1500 B -> 2 WRU, and the same again in the index
    ['DynamoDB writes', n * 4, ((n * 4) / 1e6) * 0.5],
    // 8 days of records, (1500 + 100) bytes, in the table and the index
    ['DynamoDB storage', (8 * 86_400 * 1600 * 2) / GIB, ((8 * 86_400 * 1600 * 2) / GIB) * 0.25],
    ['DynamoDB point-in-time recovery', (8 * 86_400 * 1600) / GIB, ((8 * 86_400 * 1600) / GIB) * 0.2],
    ['CloudWatch Logs ingestion', (n * 1024) / GIB, ((n * 1024) / GIB) * 0.5],
    // a day's ingestion x 30 days x 10%
    ['CloudWatch Logs storage', ((n * 1024) / GIB / (n / 86_400)) * 30 * 0.1, ((n * 1024) / GIB / (n / 86_400)) * 30 * 0.1 * 0.03],
    ['CloudWatch custom metrics', 10, 3],
    ['CloudWatch alarms', 32, 30 * 0.1 + 2 * 0.5],
    ['CloudWatch dashboard', 1, 3],
    ['CloudTrail Lake ingestion', (n * 2048) / GIB, ((n * 2048) / GIB) * 0.75],
    // 5 ms billed x 2 GB
    ['SageMaker serverless compute', n * 0.005 * 2, n * 0.005 * 2 * 0.00002],
    ['SageMaker data processed', (n * 1024) / GIB, ((n * 1024) / GIB) * 0.016],
  ])('%s', (component, quantity, monthly) => {
    expect(line(component).quantity).toBeCloseTo(quantity as number, 6);
    expect(line(component).monthly).toBeCloseTo(monthly as number, 6);
  });

  it('the total is the sum of the lines, and per million requests divides it by 2.628', () => {
    expect(e.total).toBeCloseTo(
      e.lines.reduce((s, l) => s + l.monthly, 0),
      9,
    );
    expect(e.perMillionRequests).toBeCloseTo(e.total / 2.628, 9);
  });

  it('instances: count x 730 h x hourly price, whatever the traffic; retention past the included year is extra', () => {
    const prod = estimateMonthlyCost(
      {
        ...inputs,
        endpoint: { mode: 'instance', instanceType: 'ml.m5.large', instanceCount: 2, bytesPerRequest: 0 },
        audit: { dataEventBytesPerRequest: 2048, managementEventBytesPerMonth: 0, retentionDays: 366 + 365 },
      },
      PRICES,
    );
    expect(prod.lines.find((l) => l.component === 'SageMaker instances')!.monthly).toBeCloseTo(2 * 730 * 0.1, 9);
    const gb = (n * 2048) / GIB;
    // 365 extra days, at 30.4166 days a month: 12 months of extended retention for this month's events.
    expect(prod.lines.find((l) => l.component === 'CloudTrail Lake ingestion')!.monthly).toBeCloseTo(gb * 0.75 + gb * 12 * 0.023, 6);
    expect(() =>
      estimateMonthlyCost(
        { ...inputs, endpoint: { mode: 'instance', instanceType: 'ml.p5.48xlarge', instanceCount: 1, bytesPerRequest: 0 } },
        PRICES,
      ),
    ).toThrow('no hourly price for ml.p5.48xlarge');
  });
});

describe('audit ingestion per backend', () => {
  const prices: Prices = {
    ...PRICES,
    cloudtrailLake: { ...PRICES.cloudtrailLake, queryScannedPerGb: 0.005 },
    cloudtrailTrail: { dataEventsPer100k: 0.1, managementEventsAdditionalCopyPer100k: 2 },
    athena: { perTbScanned: 5, minBytesPerQuery: 10_000_000 },
    s3: { standardGbMonth: 0.023 },
    kms: { customerManagedKeyMonth: 1 },
  };
  const base: CostInputs = {
    requestsPerSecond: 1,
    lambda: { memoryMiB: 1024, architecture: 'arm64', durationMs: 10 },
    table: { itemBytes: 1000, indexesPerRecord: 1, ttlDays: 7, ttlLagDays: 1, pointInTimeRecovery: false },
    logs: { bytesPerRequest: 0, retentionDays: 7, archiveCompression: 0.1 },
    metrics: { customMetrics: 0, alarmMetrics: 0, compositeAlarms: 0, dashboards: 0 },
    endpoint: { mode: 'serverless', memoryMiB: 1024, durationMs: 1, provisionedConcurrency: 0, bytesPerRequest: 0 },
  };
  const n = 2_628_000;
  const audit = {
    dataEventBytesPerRequest: 1500,
    managementEventBytesPerMonth: 0,
    retentionDays: 30,
    dataEventsPerRequest: 1,
    managementEventsPerMonth: 3000,
    logCompression: 0.1,
    queriesPerMonth: 30,
    kmsKeys: 2,
  };

  it('trail: data events per event, management events free as the first copy, S3 for the retention, two keys, Athena per query with its 10 MB minimum', () => {
    const e = estimateMonthlyCost({ ...base, audit: { ...audit, backend: 'trail' } }, prices);
    const line = (c: string) => e.lines.find((l) => l.component === c)!;
    expect(line('CloudTrail data events').monthly).toBeCloseTo((n / 1e5) * 0.1, 6);
    expect(line('CloudTrail management events')).toMatchObject({ quantity: 3000, monthly: 0 });
    const gb = (n * 1500) / GIB;
    const days = (730 * 3600) / 86_400;
    expect(line('Audit log files (S3)').monthly).toBeCloseTo(gb * 0.1 * (30 / days) * 0.023, 6);
    expect(line('Audit KMS keys').monthly).toBe(2);
    // One day of compressed events is ~13.5 MB here: above the minimum.
    const perQuery = Math.max(10_000_000, ((gb * GIB) / days) * 0.1);
    expect(line('Athena queries').monthly).toBeCloseTo(((30 * perQuery) / 1e12) * 5, 9);
    expect(e.lines.some((l) => l.component === 'CloudTrail Lake ingestion')).toBe(false);
  });

  it('lake: ingestion per GB and queries per GB scanned; the comparison uses the same events', () => {
    const e = estimateMonthlyCost({ ...base, audit: { ...audit, backend: 'lake' } }, prices);
    const gb = (n * 1500) / GIB;
    expect(e.lines.find((l) => l.component === 'CloudTrail Lake ingestion')!.monthly).toBeCloseTo(gb * 0.75, 6);
    expect(e.lines.find((l) => l.component === 'CloudTrail Lake queries')!.monthly).toBeCloseTo(
      30 * (gb / ((730 * 3600) / 86_400)) * 0.005,
      6,
    );
    const both = auditCostByBackend({ ...base, audit }, prices)!;
    expect(both.lake).toBeCloseTo(
      e.lines.filter((l) => l.component.startsWith('CloudTrail Lake')).reduce((s, l) => s + l.monthly, 0),
      6,
    );
    expect(both.trail).toBeGreaterThan(2); // the keys alone
  });

  it('a price file without trail prices is a clear error for a trail stage', () => {
    expect(() => estimateMonthlyCost({ ...base, audit: { ...audit, backend: 'trail' } }, PRICES)).toThrow(
      'cost/prices.json has no cloudtrailTrail, athena, s3 or kms prices, which audit.backend=trail needs',
    );
  });
});
