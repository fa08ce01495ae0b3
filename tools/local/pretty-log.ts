/**
 * Turns the JSON lines the functions and the model server write into one readable line each
 * for the terminal. The log file keeps the raw JSON; this is only for people.
 */
const LEVEL_COLOURS: Record<string, string> = { ERROR: '\x1b[31m', WARN: '\x1b[33m', INFO: '\x1b[36m', DEBUG: '\x1b[90m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';
/** Keys every Powertools line carries; the terminal shows only what differs per line. */
const NOISE = new Set([
  'level',
  'message',
  'timestamp',
  'service',
  'cold_start',
  'function_arn',
  'function_memory_size',
  'function_name',
  'function_request_id',
  'sampling_rate',
  'xray_trace_id',
  'time',
]);

export function prettyLogLine(source: string, line: string, colour = true): string {
  const c = (code: string, text: string) => (colour ? `${code}${text}${RESET}` : text);
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a function's log line: untyped JSON read by field
  let entry: Record<string, any>;
  try {
    entry = JSON.parse(line);
  } catch {
    return `${c(DIM, source.padEnd(8))} ${line}`;
  }
  const time = String(entry.timestamp ?? entry.time ?? new Date().toISOString()).slice(11, 23);
  const head = `${c(DIM, time)} ${c(DIM, source.padEnd(8))}`;

  if (entry._aws?.CloudWatchMetrics) {
    const names: string[] = entry._aws.CloudWatchMetrics.flatMap((d: { Metrics: { Name: string; Unit?: string }[] }) =>
      d.Metrics.map((m) => `${m.Name}=${entry[m.Name]}${unitSuffix(m.Unit)}`),
    );
    const dims = entry.errorKind ? ` ${c(DIM, `errorKind=${entry.errorKind}`)}` : '';
    return `${head} ${c('\x1b[35m', 'METRICS')} ${names.join(' ')}${dims}`;
  }
  if (typeof entry.type === 'string' && entry.type.startsWith('platform.')) {
    const r = entry.record ?? {};
    if (entry.type !== 'platform.report') return `${head} ${c(DIM, entry.type)}`;
    const m = r.metrics ?? {};
    const init = m.initDurationMs !== undefined ? ` init=${m.initDurationMs}ms` : '';
    const status = r.status === 'success' ? r.status : c(LEVEL_COLOURS.ERROR, `${r.status} ${r.errorType ?? ''}`.trim());
    return `${head} ${c(DIM, 'REPORT')} ${status} duration=${m.durationMs}ms${init} memory=${m.maxMemoryUsedMB}/${m.memorySizeMB}MB`;
  }
  const level = String(entry.level ?? 'INFO').toUpperCase();
  const rest = Object.entries(entry)
    .filter(([k]) => !NOISE.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`)
    .join(' ');
  return `${head} ${c(LEVEL_COLOURS[level] ?? '', level.padEnd(5))} ${entry.message ?? ''} ${c(DIM, rest)}`.trimEnd();
}

function unitSuffix(unit?: string): string {
  return unit === 'Milliseconds' ? 'ms' : '';
}
