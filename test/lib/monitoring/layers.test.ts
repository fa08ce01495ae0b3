/**
 * The list of monitored services is the only way into the monitoring: every service folder
 * is listed, and every listed service contributes alarms to the catalog and widgets to its
 * dashboard row, for every built-in stage.
 */
import { readdirSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import { resolveStageConfig } from '../../../lib/config/load-config';
import { alarmCatalog, enabledAlarms } from '../../../lib/monitoring/alarm-catalog';
import { dashboardLayout } from '../../../lib/monitoring/dashboard-layout';
import { MONITORED_SERVICES, SERVICE_MONITORING, ServiceMonitoringByLayer } from '../../../lib/monitoring/layers';
import { apiMonitoring } from '../../../lib/monitoring/api/api-monitoring';
import { dynamodbMonitoring } from '../../../lib/monitoring/dynamodb/dynamodb-monitoring';
import { inferenceMonitoring } from '../../../lib/monitoring/inference/inference-monitoring';
import { lambdaMonitoring } from '../../../lib/monitoring/lambda/lambda-monitoring';
import { sagemakerMonitoring } from '../../../lib/monitoring/sagemaker/sagemaker-monitoring';
import { ServiceMonitoring } from '../../../lib/monitoring/service-monitoring';

// eslint-disable-next-line @typescript-eslint/no-require-imports -- cdk.json is read as the CLI reads it
const cdkContext = require('../../../cdk.json').context as Record<string, unknown>;
const MONITORING_DIR = path.join(__dirname, '..', '..', '..', 'lib', 'monitoring');
const stages = ['dev', 'prod', 'staging'].map((stage) => resolveStageConfig({ ...cdkContext, stage }));

test('every service folder (one holding <folder>-monitoring.ts) is in the list, once', () => {
  const folders = readdirSync(MONITORING_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(MONITORING_DIR, d.name, `${d.name}-monitoring.ts`)))
    .map((d) => d.name);
  expect(folders.sort()).toEqual(['api', 'dynamodb', 'inference', 'lambda', 'sagemaker']);
  for (const folder of folders) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the folder's module is found by name at run time
    const exported = Object.values(require(path.join(MONITORING_DIR, folder, `${folder}-monitoring`))) as ServiceMonitoring[];
    expect(exported).toHaveLength(1);
    expect(MONITORED_SERVICES.filter((s) => s === exported[0])).toHaveLength(1);
  }
  expect(MONITORED_SERVICES).toHaveLength(folders.length);
});

test('the list runs in the order a request travels, each entry under its own layer', () => {
  expect(MONITORED_SERVICES.map((s) => s.layer)).toEqual(['API Gateway', 'Lambda', 'SageMaker', 'DynamoDB', 'Inference']);
  for (const [layer, service] of Object.entries(SERVICE_MONITORING)) expect(service.layer).toBe(layer);
});

test('the list is exhaustive by type: tsc (npm test) refuses a missing or misfiled layer', () => {
  // @ts-expect-error -- a list without the Inference layer does not compile
  const missing: ServiceMonitoringByLayer = {
    'API Gateway': apiMonitoring,
    Lambda: lambdaMonitoring,
    SageMaker: sagemakerMonitoring,
    DynamoDB: dynamodbMonitoring,
  };
  // @ts-expect-error -- nor one filing a service under another layer
  const misfiled: ServiceMonitoringByLayer = { ...SERVICE_MONITORING, DynamoDB: inferenceMonitoring };
  expect([missing, misfiled]).toHaveLength(2);
});

describe.each(stages.map((c) => [c.stage, c] as const))('%s', (_stage, config) => {
  const layout = dashboardLayout(config);

  test.each(MONITORED_SERVICES.map((s) => [s.layer, s] as const))(
    '%s contributes enabled alarms, all of its own layer',
    (layer, service) => {
      const own = service.alarms(config);
      expect(own.length).toBeGreaterThan(0);
      expect(own.every((a) => a.layer === layer)).toBe(true);
      expect(enabledAlarms(config).filter((a) => a.layer === layer).length).toBeGreaterThan(0);
    },
  );

  test.each(MONITORED_SERVICES.map((s) => [s.layer, s] as const))('%s contributes widgets, drawn in its row', (_layer, service) => {
    const widgets = service.widgets({ config, alarms: new Map(layout.alarms.map((a) => [a.id, a])) });
    expect(widgets.length).toBeGreaterThan(0);
    const row = layout.rows.find((r) => r.title === service.row)!;
    expect(row.widgets).toEqual(expect.arrayContaining(widgets));
  });

  test("the catalog is exactly the services' alarms, in list order, with unique ids", () => {
    const catalog = alarmCatalog(config);
    expect(catalog).toEqual(MONITORED_SERVICES.flatMap((s) => s.alarms(config)));
    expect(new Set(catalog.map((a) => a.id)).size).toBe(catalog.length);
  });

  test('the dashboard has one row per service row, between the alarms and the latest errors', () => {
    expect(layout.rows.map((r) => r.title)).toEqual([
      'Overview',
      'Alarms',
      'API Gateway',
      'Lambda',
      'SageMaker endpoint',
      'DynamoDB',
      'Latest errors',
    ]);
    // The handler (the prediction function's code) draws its charts after the functions' own.
    const lambda = layout.rows.find((r) => r.title === 'Lambda')!.widgets.map((w) => (w.kind === 'graph' ? w.title : w.kind));
    expect(lambda.slice(-4)).toEqual(['Prediction outcomes', 'Errors by kind', 'Server error rate', 'Cold starts']);
  });

  test("every threshold drawn on a chart is an enabled alarm's", () => {
    const ids = new Set(layout.alarms.map((a) => a.id));
    const drawn = layout.rows.flatMap((r) => r.widgets.flatMap((w) => (w.kind === 'graph' ? w.thresholds.map((t) => t.alarmId) : [])));
    expect(drawn.length).toBeGreaterThan(0);
    for (const id of drawn) expect(ids.has(id)).toBe(true);
  });
});
