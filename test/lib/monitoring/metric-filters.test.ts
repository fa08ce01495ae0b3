/**
 * Every metric filter's pattern, evaluated against the lines the pipeline really prints:
 * the bundled prediction handler (a success, each error kind, a record-write fallback),
 * the model container, and Lambda's JSON platform records. Each filter must match exactly
 * the lines it counts — no more (a false alarm), no fewer (a silent outage).
 */
import { ERROR_KIND_DIMENSION, ERROR_KINDS, FALLBACK_MESSAGE, SUMMARY_MESSAGE } from '../../../contract/handlers';
import { parseJsonObject } from '../../../lib/monitoring/filter-pattern';
import {
  METRIC_FILTERS,
  MetricFilterDefinition,
  applyMetricFilter,
  metricFilter,
  validateMetricFilter,
} from '../../../lib/monitoring/metric-filters';
import { ContainerLines, captureContainerLines } from '../../harness/monitoring-container-lines';
import { HandlerLines, SCENARIOS, ScenarioName, captureHandlerLines } from '../../harness/monitoring-handler-lines';
import { PLATFORM_LINES } from '../../harness/monitoring-platform-lines';

let handler: HandlerLines;
let container: ContainerLines;
let everyLine: string[];

beforeAll(async () => {
  [handler, container] = await Promise.all([captureHandlerLines(), captureContainerLines()]);
  everyLine = [...handler.all, ...Object.values(PLATFORM_LINES), ...container.served, ...container.failed];
});

const json = (line: string) => parseJsonObject(line) as Record<string, any>;
const matching = (id: string, lines: readonly string[] = everyLine) =>
  lines.filter((l) => applyMetricFilter(metricFilter(id), l) !== undefined);
const summaryOf = (scenario: ScenarioName) => handler.runs[scenario].lines.filter((l) => json(l)?.message === SUMMARY_MESSAGE);
const errorScenarios = (Object.keys(SCENARIOS) as ScenarioName[]).filter((s) => s !== 'success' && s !== 'fallback');

describe('the captured lines are what the filters were written for', () => {
  test('each scenario logs exactly one summary line with the outcome the client got', () => {
    for (const [name, run] of Object.entries(handler.runs)) {
      const summaries = summaryOf(name as ScenarioName);
      expect(summaries).toHaveLength(1);
      const s = json(summaries[0]);
      expect(s.statusCode).toBe(run.statusCode);
      expect(s.outcome).toBe(name === 'success' || name === 'fallback' ? 'success' : 'error');
      if (s.outcome === 'error') expect(s.errorKind).toBe(name);
    }
  });

  test('the handler produces every error kind but IdempotencyConflict, whose seam is not implemented yet', () => {
    const produced = new Set(handler.all.map((l) => json(l)?.errorKind).filter(Boolean));
    expect(ERROR_KINDS.filter((k) => !produced.has(k))).toEqual(['IdempotencyConflict']);
  });

  test('the model container logged one ERROR line per failed request', () => {
    expect(container.served.map((l) => json(l).level)).toEqual(['INFO']);
    expect(container.failed.filter((l) => json(l).level === 'ERROR')).toHaveLength(2);
  });
});

describe('every filter is valid for CloudWatch', () => {
  test.each(METRIC_FILTERS.map((f) => [f.id, f] as const))('%s', (_id, def: MetricFilterDefinition) => {
    expect(() => validateMetricFilter(def)).not.toThrow();
    expect(Object.keys(def.dimensions ?? {}).length).toBeLessThanOrEqual(3);
  });

  test('ids are unique, and no dimension can take a per-request value', () => {
    expect(new Set(METRIC_FILTERS.map((f) => f.id)).size).toBe(METRIC_FILTERS.length);
    const dimensionFields = METRIC_FILTERS.flatMap((f) => Object.values(f.dimensions ?? {}));
    expect(dimensionFields).toEqual(['$.errorKind']);
  });

  test('a value field missing from the pattern, a fourth dimension or a bad pattern are refused', () => {
    const base = metricFilter('InferenceLatency');
    expect(() => validateMetricFilter({ ...base, pattern: `{ $.message = "${SUMMARY_MESSAGE}" }` })).toThrow(
      'metric filter InferenceLatency: metric value $.latencyMs must appear in the pattern',
    );
    expect(() => validateMetricFilter({ ...base, dimensions: { a: '$.a', b: '$.b', c: '$.c', d: '$.d' } })).toThrow(
      'at most 3 dimensions are allowed, got 4',
    );
    expect(() => validateMetricFilter({ ...base, pattern: '{ $.level = ERROR }' })).toThrow('unsupported filter pattern');
  });
});

describe('handler filters match exactly the lines they count', () => {
  test('Inferences: the one summary line of every request, whatever its outcome', () => {
    const expected = (Object.keys(SCENARIOS) as ScenarioName[]).flatMap(summaryOf);
    expect(matching('Inferences')).toEqual(expected);
    expect(expected).toHaveLength(Object.keys(SCENARIOS).length);
  });

  test('InferenceErrors: the summary line of each failed request, with its kind as the only dimension', () => {
    expect(matching('InferenceErrors')).toEqual(errorScenarios.flatMap(summaryOf));
    for (const scenario of errorScenarios) {
      expect(applyMetricFilter(metricFilter('InferenceErrors'), summaryOf(scenario)[0])).toEqual({
        value: 1,
        dimensions: { [ERROR_KIND_DIMENSION]: scenario },
      });
    }
  });

  test('InferenceServerErrors: failures of the pipeline (5xx), never of the client (4xx)', () => {
    const server = errorScenarios.filter((s) => handler.runs[s].statusCode >= 500);
    expect(server.sort()).toEqual([
      'EndpointNotFound',
      'EndpointThrottled',
      'EndpointTimeout',
      'InternalError',
      'ModelError',
      'ModelNotReady',
    ]);
    expect(matching('InferenceServerErrors')).toEqual(errorScenarios.filter((s) => server.includes(s)).flatMap(summaryOf));
  });

  test('InferenceLatency publishes the latency of every summary line, the same value the handler sends as EMF', () => {
    for (const scenario of Object.keys(SCENARIOS) as ScenarioName[]) {
      const lines = handler.runs[scenario].lines;
      const published = lines.map((l) => applyMetricFilter(metricFilter('InferenceLatency'), l)).filter(Boolean);
      const emf = lines.map(json).find((l) => l?._aws && 'Latency' in l);
      expect(published).toEqual([{ value: json(summaryOf(scenario)[0]).latencyMs, dimensions: {} }]);
      expect(published[0]!.value).toBe(emf!.Latency);
    }
  });

  test('InferenceModelLatency: only requests that reached the endpoint carry a model latency', () => {
    const reached = (Object.keys(SCENARIOS) as ScenarioName[]).filter(
      (s) => !['ValidationError', 'PayloadTooLarge', 'UnsupportedMediaType'].includes(s),
    );
    expect(matching('InferenceModelLatency')).toEqual(reached.flatMap(summaryOf));
    const timeout = applyMetricFilter(metricFilter('InferenceModelLatency'), summaryOf('EndpointTimeout')[0]);
    expect(timeout!.value).toBeGreaterThanOrEqual(300); // the scenario's 300 ms invoke timeout
  });

  test('RecordWriteFallbacks: the one line carrying a record the table refused', () => {
    const fallback = handler.runs.fallback.lines.filter((l) => json(l).message === FALLBACK_MESSAGE);
    expect(fallback).toHaveLength(1);
    expect(json(fallback[0]).record.requestId).toBe('req-fallback');
    expect(matching('RecordWriteFallbacks')).toEqual(fallback);
  });
});

describe('platform report filters (log-only signals) match exactly their records', () => {
  test.each([
    ['PredictTimeouts', [PLATFORM_LINES.timeout]],
    ['PredictRuntimeExits', [PLATFORM_LINES.outOfMemory, PLATFORM_LINES.runtimeExit]],
    ['ReadTimeouts', [PLATFORM_LINES.timeout]],
    ['ReadRuntimeExits', [PLATFORM_LINES.outOfMemory, PLATFORM_LINES.runtimeExit]],
  ])('%s', (id, expected) => {
    expect(matching(id)).toEqual(expected);
  });

  test('PredictColdStarts: the report of a cold start, publishing its init duration', () => {
    expect(matching('PredictColdStarts')).toEqual([PLATFORM_LINES.success]);
    expect(applyMetricFilter(metricFilter('PredictColdStarts'), PLATFORM_LINES.success)).toEqual({ value: 180.2, dimensions: {} });
  });

  test('the two functions publish to different metrics from their own log groups', () => {
    expect(metricFilter('PredictTimeouts').logGroup).toBe('predictFunction');
    expect(metricFilter('ReadTimeouts').logGroup).toBe('readFunction');
    expect(metricFilter('PredictTimeouts').metricName).not.toBe(metricFilter('ReadTimeouts').metricName);
  });
});

describe('endpoint container filter', () => {
  test('EndpointContainerErrors: the container ERROR lines, nothing the handler or Lambda prints', () => {
    const errors = container.failed.filter((l) => json(l).level === 'ERROR');
    expect(matching('EndpointContainerErrors')).toEqual([
      // The handler's own ERROR lines live in another log group; in the endpoint's they would count too.
      ...handler.all.filter((l) => json(l).level === 'ERROR'),
      ...errors,
    ]);
    expect(matching('EndpointContainerErrors', [...container.served, ...container.failed])).toEqual(errors);
    expect(metricFilter('EndpointContainerErrors').logGroup).toBe('endpoint');
  });
});
