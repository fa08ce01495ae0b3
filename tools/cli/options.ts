import { parseArgs } from 'node:util';
import { UsageError } from './errors';

/**
 * The option parser every command shares. Node's `util.parseArgs` reads the command line
 * into tokens (`--name value`, `--name=value`, `-x value`, `-abc`, `--`); this file turns the
 * tokens into typed values and words its refusals for the person at the terminal
 * ("missing value for --stage") instead of Node's generic ERR_PARSE_ARGS messages.
 */

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

export interface CommandLine<T extends OptionTable> {
  readonly options: ParsedOptions<T>;
  /** The words that are not options, in order (only for commands that take them). */
  readonly positionals: string[];
}

/**
 * Reads the options of `table` and, when `positionals` is true, the words between them. A
 * repeated single-valued option, a switch given a value, a value that is really the next
 * option, an unknown option and (unless allowed) a stray word are each a {@link UsageError}.
 */
export function parseCommandLine<T extends OptionTable>(argv: readonly string[], table: T, { positionals = false } = {}): CommandLine<T> {
  const config: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, spec] of Object.entries(table)) {
    config[name] = {
      type: spec.type === 'boolean' ? 'boolean' : 'string',
      multiple: spec.type === 'list',
      ...(spec.short ? { short: spec.short } : {}),
    };
  }
  // Not strict: parseArgs only tokenizes; the checks below word every refusal themselves.
  const { tokens } = parseArgs({ args: [...argv], options: config, strict: false, allowPositionals: true, tokens: true });

  const result: Record<string, unknown> = { help: false };
  for (const [name, spec] of Object.entries(table)) result[name] = spec.type === 'boolean' ? false : spec.type === 'list' ? [] : undefined;
  const words: string[] = [];
  let terminated = false;
  for (const token of tokens) {
    if (token.kind === 'option-terminator') {
      terminated = true;
      continue;
    }
    if (token.kind === 'positional') {
      if (!positionals)
        throw new UsageError(
          terminated ? `unexpected argument '${token.value}'` : `unexpected argument '${token.value}' (options start with --)`,
        );
      words.push(token.value);
      continue;
    }
    const shown = token.rawName;
    if (token.name === 'help') {
      if (token.value !== undefined) throw new UsageError(`${shown} is a switch and takes no value`);
      result.help = true;
      continue;
    }
    const spec = Object.hasOwn(table, token.name) ? table[token.name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${shown}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`${shown} is a switch and takes no value`);
      result[token.name] = true;
      continue;
    }
    // A following option is a forgotten value, not a value that happens to start with --.
    if (token.value === undefined || (!token.inlineValue && /^--?[a-zA-Z]/.test(token.value)))
      throw new UsageError(`missing value for ${shown}`);
    if (spec.type === 'list') (result[token.name] as string[]).push(token.value);
    else if (result[token.name] !== undefined) throw new UsageError(`${shown} given twice`);
    else result[token.name] = token.value;
  }
  return { options: result as ParsedOptions<T>, positionals: words };
}

/** {@link parseCommandLine} for commands driven by named options only: a stray word is a mistake. */
export function parseOptions<T extends OptionTable>(argv: readonly string[], table: T): ParsedOptions<T> {
  return parseCommandLine(argv, table).options;
}

/** Exactly one of the named options, or none when `required` is false. */
export function oneOf(options: Readonly<Record<string, unknown>>, names: readonly string[], required: boolean): string | undefined {
  const given = names.filter((n) => options[n] !== undefined && options[n] !== false);
  if (given.length > 1) throw new UsageError(`use only one of ${names.map((n) => `--${n}`).join(', ')}`);
  if (required && given.length === 0) throw new UsageError(`missing ${names.map((n) => `--${n}`).join(' or ')}`);
  return given[0];
}

/** A numeric option's value: a number (or a whole number) of at least `min`, or a {@link UsageError} that names the flag. */
export function parseNumber(flag: string, raw: string, { min = 0, integer = false } = {}): number {
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw new UsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got '${raw}'`);
  }
  return n;
}

export interface CommandHelp {
  /** How the command is called, for example `npm run deploy -- --stage NAME [options]`. */
  readonly usage: string;
  readonly summary: string;
  /** Text between the summary and the options, for example a command's subcommands. */
  readonly body?: string;
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
  const lines = [`Usage: ${help.usage}`, '', help.summary];
  if (help.body) lines.push('', help.body);
  lines.push('', 'Options:', ...rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`));
  if (help.notes?.length) lines.push('', ...help.notes);
  if (help.examples?.length) lines.push('', 'Examples:', ...help.examples.map((e) => `  ${e}`));
  return lines.join('\n');
}
