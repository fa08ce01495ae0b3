import { BUILT_IN_STAGES } from './defaults';
import { StageConfig } from './stage-config';
import { ConfigError, validateStageConfig } from './validate';

/**
 * Resolves the configuration of the selected stage from CDK context:
 *
 *   built-in stage (or the one a cdk.json stage `extends`)
 *     <- `context.stages[stage]` from cdk.json
 *     <- `-c section.key=value` overrides
 *
 * then validates it. Every unknown setting is an error, so a typo never passes silently.
 */
export function resolveStageConfig(context: Readonly<Record<string, unknown>>): StageConfig {
  const stage = String(context.stage ?? 'dev');
  const stages = (context.stages ?? {}) as Record<string, Record<string, unknown>>;
  if (typeof stages !== 'object' || Array.isArray(stages)) {
    throw new ConfigError(['stages: must be an object of stage name to settings']);
  }

  const fromFile = stages[stage];
  const baseName = fromFile ? String(fromFile.extends ?? (BUILT_IN_STAGES[stage] ? stage : 'dev')) : stage;
  const base = BUILT_IN_STAGES[baseName];
  if (!base) {
    const known = [...new Set([...Object.keys(BUILT_IN_STAGES), ...Object.keys(stages)])].sort().join(', ');
    const what = fromFile ? `stages.${stage}.extends: unknown stage '${baseName}'` : `unknown stage '${stage}'`;
    throw new ConfigError([`${what} (known stages: ${known})`]);
  }

  const errors: string[] = [];
  let config = clone(base) as unknown as Record<string, unknown>;
  config.stage = stage;
  if (fromFile) {
    const { extends: _ignored, ...settings } = fromFile;
    config = mergeSettings(config, settings, `stages.${stage}`, errors);
  }
  for (const [key, raw] of Object.entries(context)) {
    if (!isOverrideKey(key)) continue;
    applyOverride(config, key, raw, errors);
  }
  if (errors.length > 0) throw new ConfigError(errors);

  const resolved = config as unknown as StageConfig;
  validateStageConfig(resolved);
  return resolved;
}

/** Top-level settings that `-c name=value` may set without a dot. */
const TOP_LEVEL_OVERRIDES = new Set(['project', 'account', 'region', 'logRetentionDays']);

/**
 * Dotted context keys and top-level setting names are overrides; CDK's own keys
 * (`@aws-cdk/...`, `aws:cdk:...`) and `stage`/`stages` are not.
 */
function isOverrideKey(key: string): boolean {
  return TOP_LEVEL_OVERRIDES.has(key) || (key.includes('.') && !key.startsWith('@') && !key.includes(':'));
}

/** Fields of one alarm's tuning (`monitoring.alarms.<id>.<field>`), with their types. */
const ALARM_FIELDS: Readonly<Record<string, unknown>> = { enabled: true, threshold: 0, severity: '' };

/** Top-level settings that may be absent from the defaults. */
const OPTIONAL_KEYS: Readonly<Record<string, 'string' | 'object'>> = {
  account: 'string',
  region: 'string',
  'model.imageUri': 'string',
  'model.modelDataUrl': 'string',
  'endpoint.capacity.offHours': 'object',
  // What is deployed now (the endpoint stack's DeployedEndpoint output), passed by npm run deploy.
  'endpoint.previous': 'object',
  ci: 'object',
};

/** Settings whose keys are the user's own (maps), not a fixed schema. */
const OPEN_MAPS = new Set(['tags', 'model.environment', 'monitoring.alarms']);

function mergeSettings(
  target: Record<string, unknown>,
  settings: Record<string, unknown>,
  where: string,
  errors: string[],
  path = '',
): Record<string, unknown> {
  for (const [key, value] of Object.entries(settings)) {
    const full = path ? `${path}.${key}` : key;
    const current = target[key];
    if (OPEN_MAPS.has(path)) {
      target[key] = value;
    } else if (current === undefined && !(full in OPTIONAL_KEYS) && !OPEN_MAPS.has(full)) {
      errors.push(`${where}.${full}: unknown setting`);
    } else if (full === 'endpoint.capacity' && isObject(value) && isObject(current) && value.mode && value.mode !== current.mode) {
      // Switching capacity mode starts from that mode's defaults, not the other mode's fields.
      target[key] = mergeSettings(clone(capacityDefaults(String(value.mode), where, errors)), value, where, errors, full);
    } else if (isObject(current) && isObject(value) && !Array.isArray(current)) {
      target[key] = mergeSettings(current, value, where, errors, full);
    } else if (current !== undefined && value !== null && typeof value !== typeof current) {
      errors.push(`${where}.${full}: expected ${describe(current)}, got ${JSON.stringify(value)}`);
    } else {
      target[key] = value;
    }
  }
  return target;
}

function capacityDefaults(mode: string, where: string, errors: string[]): Record<string, unknown> {
  const match = Object.values(BUILT_IN_STAGES).find((s) => s.endpoint.capacity.mode === mode);
  if (!match) {
    errors.push(`${where}.endpoint.capacity.mode: must be 'serverless' or 'instance', got '${mode}'`);
    return { mode };
  }
  return match.endpoint.capacity as unknown as Record<string, unknown>;
}

function applyOverride(config: Record<string, unknown>, key: string, raw: unknown, errors: string[]): void {
  const parts = key.split('.');
  const parentPath = parts.slice(0, -1).join('.');
  const leaf = parts[parts.length - 1];
  const alarmField = /^monitoring\.alarms\.[A-Za-z0-9]+\.[a-z]+$/.test(key);
  if (alarmField && !(leaf in ALARM_FIELDS)) {
    errors.push(`-c ${key}: unknown alarm setting (expected enabled, threshold or severity)`);
    return;
  }
  let parent: unknown = config;
  for (const part of parts.slice(0, -1)) {
    // An alarm's tuning object is created on first use.
    if (alarmField && isObject(parent) && parent[part] === undefined) parent[part] = {};
    parent = isObject(parent) ? parent[part] : undefined;
  }
  const current = isObject(parent) ? (parent[leaf] ?? (alarmField ? ALARM_FIELDS[leaf] : undefined)) : undefined;
  const optional = OPTIONAL_KEYS[key];
  if (!isObject(parent) || (current === undefined && !optional && !OPEN_MAPS.has(parentPath) && !alarmField)) {
    errors.push(`-c ${key}: unknown setting`);
    return;
  }
  const value = coerce(raw, current, optional);
  if (value instanceof Error) {
    errors.push(`-c ${key}: ${value.message}`);
    return;
  }
  if (key === 'endpoint.capacity.mode' && value !== current) {
    config.endpoint = { ...(config.endpoint as object), capacity: clone(capacityDefaults(String(value), '-c', errors)) };
    return;
  }
  parent[leaf] = isObject(current) && isObject(value) && !OPEN_MAPS.has(key) ? mergeSettings(current, value, `-c ${key}`, errors) : value;
}

/** `-c` values arrive as strings; read them as the type the setting already has. */
function coerce(raw: unknown, current: unknown, optional?: 'string' | 'object'): unknown {
  if (typeof raw !== 'string') return raw;
  const kind = current === undefined ? (optional ?? 'string') : Array.isArray(current) ? 'array' : typeof current;
  switch (kind) {
    case 'number': {
      const n = Number(raw);
      return raw.trim() !== '' && Number.isFinite(n) ? n : new Error(`expected a number, got '${raw}'`);
    }
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : new Error(`expected true or false, got '${raw}'`);
    case 'array':
      if (raw.trim().startsWith('[')) return parseJson(raw);
      return raw
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0);
    case 'object':
      return parseJson(raw);
    default:
      return raw;
  }
}

function parseJson(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return new Error(`expected JSON, got '${raw}'`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  return Array.isArray(v) ? 'a list' : `a ${typeof v}`;
}

function clone<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}
