import * as fs from 'fs';
import * as path from 'path';
import { ViewDialect, lakeViewSelect, partitionDay } from '../../lib/audit/lake-view';

/**
 * The incident-response query library: one `.sql` file per question in `audit/queries/`, in
 * CloudTrail Lake's SQL dialect, read by the runbook tool, the offline engine, the notebook
 * export and the tests alike.
 *
 * A file starts with a comment header:
 *
 *   -- title: Who changed the endpoint
 *   -- description: What the query answers,
 *   --   continued on indented comment lines.
 *   -- param: startTime (timestamp, default now-24h) start of the window, inclusive (UTC)
 *   -- param: principalArn (arn) the principal to follow
 *
 * then SQL reading `FROM $EDS` (the event data store id on Lake, the loaded table offline) with
 * `{{name}}` placeholders. A placeholder becomes a quoted SQL string literal only after its value
 * passed the parameter type's format check, so a parameter can never change the statement.
 */

/** A problem with a query name or its parameters, reported to the user as is. */
export class QueryInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueryInputError';
  }
}

export type ParamType = 'timestamp' | 'arn' | 'access-key-id' | 'name';

export interface ParamSpec {
  readonly name: string;
  readonly type: ParamType;
  /** Unset means required; `''` makes the parameter optional, the query then matches anything. */
  readonly default?: string;
  readonly description: string;
}

export interface QueryDefinition {
  /** The file name without `.sql`, which is how users name the query. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly params: readonly ParamSpec[];
  /** The SQL after the header, with `$EDS` and `{{placeholders}}`. */
  readonly sql: string;
  readonly file: string;
}

/**
 * Where `$EDS` points: an event data store on CloudTrail Lake, the offline engine's table, or a
 * trail's Glue table seen through the Lake-shaped view (on Athena, or in DuckDB for the tests).
 */
export type QueryTarget =
  | { readonly kind: 'lake'; readonly eventDataStoreId: string }
  | { readonly kind: 'offline'; readonly table: string }
  | { readonly kind: 'trail'; readonly table: string; readonly dialect: ViewDialect };

export const DEFAULT_QUERY_DIR = path.resolve(__dirname, 'queries');

const PARAM_TYPES: Readonly<Record<ParamType, { readonly pattern: RegExp; readonly expected: string }>> = {
  timestamp: {
    pattern: /^(now(-\d+[mhd])?|\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?)$/,
    expected: 'an ISO-8601 UTC time (2024-05-10T14:00:00Z, 2024-05-10 14:00:00 or 2024-05-10) or now, now-30m, now-24h, now-7d',
  },
  arn: {
    // Partition, service, region, account, then the resource: IAM and STS names allow + = , . @ _ - and paths.
    pattern: /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12})?:[A-Za-z0-9+=,.@_/:-]{1,1800}$/,
    expected: 'an ARN such as arn:aws:iam::123456789012:role/name or arn:aws:sts::123456789012:assumed-role/name/session',
  },
  'access-key-id': {
    pattern: /^(AKIA|ASIA)[A-Z0-9]{12,124}$/,
    expected: 'an access key id (AKIA... for long-term keys, ASIA... for temporary ones)',
  },
  name: {
    pattern: /^[A-Za-z0-9._-]{1,255}$/,
    expected: 'a resource name or id of letters, digits, dots, underscores and hyphens',
  },
};

const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9]*)\s*\}\}/g;
const RELATIVE = /^now(?:-(\d+)([mhd]))?$/;
const UNIT_MS: Readonly<Record<string, number>> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Every query of the library, sorted by id. Header mistakes are programming errors: they throw. */
export function loadQueryLibrary(dir: string = DEFAULT_QUERY_DIR): QueryDefinition[] {
  let files: string[];
  try {
    files = fs.readdirSync(dir).filter((f) => f.endsWith('.sql'));
  } catch {
    throw new QueryInputError(`query library not found at ${dir}`);
  }
  return files.sort().map((f) => parseQueryFile(path.join(dir, f), fs.readFileSync(path.join(dir, f), 'utf8')));
}

/** One query by id, or a clear error listing the known ones. */
export function findQuery(library: readonly QueryDefinition[], id: string): QueryDefinition {
  const query = library.find((q) => q.id === id);
  if (!query) throw new QueryInputError(`unknown query '${id}' (known queries: ${library.map((q) => q.id).join(', ')})`);
  return query;
}

export function parseQueryFile(file: string, text: string): QueryDefinition {
  const id = path.basename(file, '.sql');
  const lines = text.split(/\r?\n/);
  let title = '';
  const description: string[] = [];
  const params: ParamSpec[] = [];
  let lastKey = '';
  let i = 0;
  for (; i < lines.length && lines[i].trim().startsWith('--'); i++) {
    const body = lines[i].trim().replace(/^--\s?/, '');
    const keyed = /^(title|description|param):\s*(.*)$/.exec(body);
    if (keyed) {
      lastKey = keyed[1];
      if (lastKey === 'title') title = keyed[2].trim();
      else if (lastKey === 'description') description.push(keyed[2].trim());
      else params.push(parseParam(id, keyed[2]));
    } else if (lastKey === 'description' && body.trim() !== '') {
      description.push(body.trim());
    }
  }
  const sql = lines.slice(i).join('\n').trim();
  const problems: string[] = [];
  if (!title) problems.push('no "-- title:" line');
  if (description.length === 0) problems.push('no "-- description:" line');
  if (!/\$EDS\b/.test(sql)) problems.push('the SQL does not read FROM $EDS');
  const used = new Set([...sql.matchAll(PLACEHOLDER)].map((m) => m[1]));
  for (const name of used) if (!params.some((p) => p.name === name)) problems.push(`placeholder {{${name}}} is not declared as a param`);
  for (const p of params) if (!used.has(p.name)) problems.push(`param ${p.name} is declared but not used`);
  if (problems.length > 0) throw new Error(`query ${file}: ${problems.join('; ')}`);
  return { id, title, description: description.join(' '), params, sql, file };
}

function parseParam(id: string, text: string): ParamSpec {
  const match = /^([A-Za-z][A-Za-z0-9]*)\s*\(\s*([a-z-]+)\s*(?:,\s*default\s+([^)]*?))?\s*\)\s*(.*)$/.exec(text.trim());
  if (!match || !(match[2] in PARAM_TYPES)) {
    throw new Error(
      `query ${id}: bad param line '${text}' (expected: name (${Object.keys(PARAM_TYPES).join('|')}[, default VALUE]) description)`,
    );
  }
  const raw = match[3];
  const value = raw === undefined ? undefined : raw === "''" ? '' : raw.trim();
  return { name: match[1], type: match[2] as ParamType, default: value, description: match[4].trim() };
}

/**
 * Checks and normalises the given parameters against the query's declarations, filling in
 * defaults. Unknown names, missing required values and bad formats are errors that name the
 * parameter and the expected format. Times come back as `YYYY-MM-DD HH:MM:SS` UTC, the form
 * CloudTrail Lake compares `eventTime` with.
 */
export function resolveParams(
  query: QueryDefinition,
  given: Readonly<Record<string, string>>,
  now: Date = new Date(),
): Record<string, string> {
  for (const name of Object.keys(given)) {
    if (!query.params.some((p) => p.name === name)) {
      const known = query.params.map((p) => p.name).join(', ') || 'none';
      throw new QueryInputError(`query ${query.id}: unknown parameter '${name}' (parameters: ${known})`);
    }
  }
  const resolved: Record<string, string> = {};
  for (const p of query.params) {
    const value = given[p.name] ?? p.default;
    if (value === undefined) {
      throw new QueryInputError(
        `query ${query.id}: missing parameter '${p.name}' (${p.type}: ${p.description}); pass --param ${p.name}=VALUE`,
      );
    }
    resolved[p.name] = normalise(query.id, p, value.trim(), now);
  }
  checkWindow(query.id, resolved);
  return resolved;
}

function normalise(id: string, p: ParamSpec, value: string, now: Date): string {
  if (value === '') {
    if (p.default === '') return '';
    throw new QueryInputError(`query ${id}: parameter '${p.name}' must not be empty (expected ${PARAM_TYPES[p.type].expected})`);
  }
  const type = PARAM_TYPES[p.type];
  if (!type.pattern.test(value)) {
    throw new QueryInputError(`query ${id}: parameter '${p.name}' is '${value}', expected ${type.expected}`);
  }
  return p.type === 'timestamp' ? lakeTime(id, p.name, value, now) : value;
}

function lakeTime(id: string, name: string, value: string, now: Date): string {
  const relative = RELATIVE.exec(value);
  const ms = relative ? now.getTime() - (relative[1] ? Number(relative[1]) * UNIT_MS[relative[2]] : 0) : absoluteTime(value);
  if (Number.isNaN(ms)) throw new QueryInputError(`query ${id}: parameter '${name}' is '${value}', which is not a valid time`);
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** Milliseconds of an ISO-like time, NaN for impossible dates (Date.parse rolls 2024-02-30 over). */
function absoluteTime(value: string): number {
  const [y, mo, d, h = 0, mi = 0, sec = 0] = (value.match(/\d+/g) ?? []).slice(0, 6).map(Number);
  const day = new Date(Date.UTC(y, mo - 1, d));
  if (day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return NaN;
  // A time without a zone is UTC, as CloudTrail's eventTime is.
  const iso = value.replace(' ', 'T');
  return Date.parse(/T/.test(iso) && !/(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? `${iso}Z` : iso);
}

/** The windows a query compares must be in order, or it silently returns nothing. */
function checkWindow(id: string, p: Readonly<Record<string, string>>): void {
  const order = ['baselineStart', 'startTime', 'endTime'].filter((n) => p[n]);
  for (let i = 1; i < order.length; i++) {
    if (p[order[i - 1]] >= p[order[i]]) {
      throw new QueryInputError(`query ${id}: ${order[i - 1]} (${p[order[i - 1]]}) must be before ${order[i]} (${p[order[i]]})`);
    }
  }
}

/**
 * The statement to send: `$EDS` pointed at the target, each placeholder a quoted literal.
 *
 * On a trail table `$EDS` becomes the Lake-shaped view (lib/audit/lake-view.ts) restricted to
 * the delivery days the query's time parameters span, plus one day for files delivered after
 * midnight, so Athena reads only those partitions; times become TIMESTAMP literals, since
 * Trino, unlike Lake, does not compare a timestamp with a string.
 */
export function renderQuery(query: QueryDefinition, params: Readonly<Record<string, string>>, target: QueryTarget): string {
  const times = new Set(query.params.filter((p) => p.type === 'timestamp').map((p) => p.name));
  const from =
    target.kind === 'lake'
      ? eventDataStoreId(target.eventDataStoreId)
      : target.kind === 'offline'
        ? target.table
        : `(${trailView(params, times, target)})`;
  // A function, so `$` in the view text is not read as a replacement pattern.
  return query.sql
    .replace(/\$EDS\b/g, () => from)
    .replace(PLACEHOLDER, (_, name: string) => {
      const value = params[name];
      if (value === undefined) throw new QueryInputError(`query ${query.id}: parameter '${name}' was not resolved`);
      return target.kind === 'trail' && times.has(name) && value !== '' ? `TIMESTAMP ${sqlString(value)}` : sqlString(value);
    });
}

function trailView(
  params: Readonly<Record<string, string>>,
  times: ReadonlySet<string>,
  target: { table: string; dialect: ViewDialect },
): string {
  const values = [...times]
    .map((name) => params[name])
    .filter((v) => v)
    .sort();
  const days = values.length > 0 ? { from: partitionDay(values[0]), to: partitionDay(values[values.length - 1], 1) } : undefined;
  return lakeViewSelect(target.dialect, { table: target.table, days });
}

/** A SQL string literal. Values were format-checked already; doubling quotes keeps that true even if a check loosens. */
export function sqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** The id CloudTrail Lake expects in FROM, from an event data store ARN or id. */
export function eventDataStoreId(idOrArn: string): string {
  const id = idOrArn.startsWith('arn:') ? idOrArn.slice(idOrArn.lastIndexOf('/') + 1) : idOrArn;
  if (!/^[A-Za-z0-9-]{1,128}$/.test(id) || (idOrArn.startsWith('arn:') && !/:eventdatastore\//.test(idOrArn))) {
    throw new QueryInputError(`'${idOrArn}' is not an event data store id or ARN (arn:aws:cloudtrail:REGION:ACCOUNT:eventdatastore/ID)`);
  }
  return id;
}

export const PARAM_FORMATS: Readonly<Record<ParamType, string>> = Object.fromEntries(
  Object.entries(PARAM_TYPES).map(([k, v]) => [k, v.pattern.source]),
) as Record<ParamType, string>;
