/**
 * Lambda's JSON-format platform records, written from the documented shape (Lambda
 * advanced logging controls; Telemetry API `platform.report` schema): the function's own
 * code cannot print these, so they are built here. With LoggingFormat JSON, each
 * invocation ends with one `platform.report` line whose `record.status` is success,
 * failure, error or timeout; an out-of-memory death is status error with errorType
 * Runtime.OutOfMemory.
 */
export interface ReportOptions {
  readonly requestId?: string;
  readonly status: 'success' | 'failure' | 'error' | 'timeout';
  readonly errorType?: string;
  readonly durationMs?: number;
  readonly maxMemoryUsedMB?: number;
  readonly initDurationMs?: number;
}

export function platformReportLine(o: ReportOptions): string {
  const durationMs = o.durationMs ?? 120.5;
  return JSON.stringify({
    time: '2026-01-01T12:00:00.000Z',
    type: 'platform.report',
    record: {
      requestId: o.requestId ?? '8f5c1a7e-0000-4000-8000-000000000001',
      metrics: {
        durationMs,
        billedDurationMs: Math.ceil(durationMs),
        memorySizeMB: 1024,
        maxMemoryUsedMB: o.maxMemoryUsedMB ?? 96,
        ...(o.initDurationMs !== undefined ? { initDurationMs: o.initDurationMs } : {}),
      },
      status: o.status,
      ...(o.errorType ? { errorType: o.errorType } : {}),
    },
  });
}

/** The platform lines of the filter tests: one per way an invocation ends. */
export const PLATFORM_LINES = {
  success: platformReportLine({ status: 'success', initDurationMs: 180.2 }),
  timeout: platformReportLine({ status: 'timeout', durationMs: 15000, errorType: 'Sandbox.Timedout' }),
  outOfMemory: platformReportLine({ status: 'error', errorType: 'Runtime.OutOfMemory', maxMemoryUsedMB: 1024 }),
  runtimeExit: platformReportLine({ status: 'error', errorType: 'Runtime.ExitError' }),
  handlerFailure: platformReportLine({ status: 'failure', errorType: 'Runtime.UnhandledPromiseRejection' }),
  start: JSON.stringify({
    time: '2026-01-01T12:00:00.000Z',
    type: 'platform.start',
    record: { requestId: '8f5c1a7e-0000-4000-8000-000000000001', version: '$LATEST' },
  }),
} as const;
