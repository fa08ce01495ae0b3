/**
 * Command-line parsing shared by the deploy, outputs, invoke and smoke commands.
 *
 * A small parser of our own rather than `util.parseArgs`: its errors are written for the
 * person at the terminal ("missing value for --stage"), it knows `-c key=value` the way the
 * CDK CLI does, and the same option table prints `--help`.
 */

/** A mistake in how a command was called: printed with a pointer to `--help`, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface OptionSpec {
  /** `string` takes a value, `boolean` is a switch, `list` takes a value and may repeat. */
  readonly type: 'string' | 'boolean' | 'list';
  readonly description: string;
  /** One-letter alias, for example `c` for `-c key=value`. */
  readonly short?: string;
  /** Placeholder of the value in `--help`, for example `NAME`. */
  readonly value?: string;
}

export type OptionTable = Readonly<Record<string, OptionSpec>>;

export type ParsedOptions<T extends OptionTable> = {
  -readonly [K in keyof T]: T[K]['type'] extends 'boolean' ? boolean : T[K]['type'] extends 'list' ? string[] : string | undefined;
} & { help: boolean };

/**
 * Reads `--name value`, `--name=value`, `-x value` and switches. Positional arguments are
 * refused: every command here is driven by named options, so a stray word is a mistake.
 */
export function parseOptions<T extends OptionTable>(argv: readonly string[], table: T): ParsedOptions<T> {
  const result: Record<string, unknown> = { help: false };
  for (const [name, spec] of Object.entries(table)) result[name] = spec.type === 'boolean' ? false : spec.type === 'list' ? [] : undefined;
  const byShort = new Map(Object.entries(table).filter(([, s]) => s.short).map(([name, s]) => [s.short!, name]));

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      result.help = true;
      continue;
    }
    const long = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/s.exec(arg);
    const short = /^-([a-zA-Z])$/.exec(arg);
    const name = long ? long[1] : short ? byShort.get(short[1]) : undefined;
    if (!long && !short) throw new UsageError(`unexpected argument '${arg}' (options start with --)`);
    if (name === undefined || !(name in table)) throw new UsageError(`unknown option ${arg.split('=')[0]}`);
    const spec = table[name];
    const shown = long ? `--${name}` : arg;

    if (spec.type === 'boolean') {
      if (long?.[2] !== undefined) throw new UsageError(`${shown} is a switch and takes no value`);
      result[name] = true;
      continue;
    }
    let value = long?.[2];
    if (value === undefined) {
      const next = argv[i + 1];
      // A following option is a forgotten value, not a value that happens to start with --.
      if (next === undefined || /^--?[a-zA-Z]/.test(next)) throw new UsageError(`missing value for ${shown}`);
      value = next;
      i++;
    }
    if (spec.type === 'list') (result[name] as string[]).push(value);
    else if (result[name] !== undefined) throw new UsageError(`${shown} given twice`);
    else result[name] = value;
  }
  return result as ParsedOptions<T>;
}

/** `-c key=value` pairs as a context object; the values stay strings, as the CDK CLI passes them. */
export function parseContextPairs(pairs: readonly string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`-c takes key=value, got '${pair}'`);
    const key = pair.slice(0, eq);
    if (key === 'stage') throw new UsageError('choose the stage with --stage, not -c stage=...');
    context[key] = pair.slice(eq + 1);
  }
  return context;
}

/** Exactly one of the named options, or none when `required` is false. */
export function oneOf(options: Record<string, unknown>, names: readonly string[], required: boolean): string | undefined {
  const given = names.filter((n) => options[n] !== undefined && options[n] !== false);
  if (given.length > 1) throw new UsageError(`use only one of ${names.map((n) => `--${n}`).join(', ')}`);
  if (required && given.length === 0) throw new UsageError(`missing ${names.map((n) => `--${n}`).join(' or ')}`);
  return given[0];
}

export interface CommandHelp {
  /** How the command is called, for example `npm run deploy -- --stage NAME [options]`. */
  readonly usage: string;
  readonly summary: string;
  readonly examples?: readonly string[];
  readonly notes?: readonly string[];
}

/** `--help` text from the same table the parser reads, so the two cannot disagree. */
export function formatHelp(help: CommandHelp, table: OptionTable): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'boolean' ? '' : ` ${spec.value ?? 'VALUE'}`}`;
    return [flag, spec.description + (spec.type === 'list' ? ' (repeatable)' : '')];
  });
  rows.push(['-h, --help', 'print this help']);
  const width = Math.max(...rows.map(([flag]) => flag.length));
  const lines = [`Usage: ${help.usage}`, '', help.summary, '', 'Options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`)];
  if (help.notes?.length) lines.push('', ...help.notes);
  if (help.examples?.length) lines.push('', 'Examples:', ...help.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
