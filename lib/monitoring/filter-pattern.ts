/**
 * CloudWatch Logs JSON filter patterns, evaluated locally: the tests run every metric
 * filter against the lines the handler really prints, and the local dashboard computes
 * the same metrics from the same lines.
 *
 * Only the subset the project uses is accepted, and anything else is an error rather than
 * a silent non-match, so a typo in a pattern fails a test instead of a production alarm:
 *
 *   { $.a.b = "text" }    { $.a != "te*t" }    { $.n >= 500 }    { $.n = 2 }    { $.a = * }
 *   joined with && or || (mixing the two needs parentheses), grouped with ( ).
 *
 * Semantics follow CloudWatch's: matching is case sensitive, `*` inside a quoted string is
 * a wildcard, `= *` means the field is present. Deliberately strict where CloudWatch's
 * documentation is vague: a string only equals a JSON string, a number only compares
 * with a JSON number, and an absent field matches no comparison (not even `!=`).
 */

export class FilterPatternError extends Error {
  constructor(pattern: string, position: number, problem: string) {
    super(`unsupported filter pattern ${JSON.stringify(pattern)} at ${position}: ${problem}`);
    this.name = 'FilterPatternError';
  }
}

export type Operator = '=' | '!=' | '<' | '>' | '<=' | '>=';

/** A parsed pattern: a tree of comparisons joined by && and ||. */
export type FilterExpression =
  | {
      readonly kind: 'comparison';
      readonly selector: string;
      readonly path: readonly string[];
      readonly op: Operator;
      readonly value: ComparisonValue;
    }
  | { readonly kind: 'and' | 'or'; readonly terms: readonly FilterExpression[] };

export type ComparisonValue =
  { readonly type: 'string'; readonly text: string } | { readonly type: 'number'; readonly number: number } | { readonly type: 'exists' };

export interface FilterPattern {
  readonly source: string;
  readonly expression: FilterExpression;
  /** Every `$.field` the pattern compares, in order of appearance. */
  readonly selectors: readonly string[];
  /** Whether a log event (the raw line) matches. Lines that are not JSON objects never match. */
  matches(line: string): boolean;
  /** Whether an already-parsed JSON event matches. */
  matchesEvent(event: unknown): boolean;
}

export function parseFilterPattern(pattern: string): FilterPattern {
  const expression = new Parser(pattern).parsePattern();
  const selectors: string[] = [];
  collectSelectors(expression, selectors);
  return {
    source: pattern,
    expression,
    selectors,
    matches: (line) => {
      const event = parseJsonObject(line);
      return event !== undefined && evaluate(expression, event);
    },
    matchesEvent: (event) => typeof event === 'object' && event !== null && !Array.isArray(event) && evaluate(expression, event),
  };
}

/** The value at `$.a.b` of a JSON event, or undefined when any step is absent. */
export function selectValue(event: unknown, selector: string): unknown {
  let current: unknown = event;
  for (const key of selectorPath(selector)) {
    if (typeof current !== 'object' || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** `$.a.b` -> ['a', 'b']; throws on anything else (array indexes, `$` alone, odd names). */
export function selectorPath(selector: string): string[] {
  if (!/^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$/.test(selector)) {
    throw new Error(`unsupported selector '${selector}': expected $.field or $.field.subfield`);
  }
  return selector.slice(2).split('.');
}

/** A line as a JSON object, or undefined (CloudWatch's JSON patterns never match other events). */
export function parseJsonObject(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function evaluate(expression: FilterExpression, event: unknown): boolean {
  switch (expression.kind) {
    case 'and':
      return expression.terms.every((term) => evaluate(term, event));
    case 'or':
      return expression.terms.some((term) => evaluate(term, event));
    case 'comparison':
      return compare(selectValue(event, expression.selector), expression.op, expression.value);
  }
}

function compare(actual: unknown, op: Operator, expected: ComparisonValue): boolean {
  if (actual === undefined) return false;
  switch (expected.type) {
    case 'exists':
      return actual !== null;
    case 'string': {
      if (typeof actual !== 'string') return false;
      const equal = globMatch(expected.text, actual);
      return op === '=' ? equal : !equal;
    }
    case 'number': {
      if (typeof actual !== 'number') return false;
      const n = expected.number;
      switch (op) {
        case '=':
          return actual === n;
        case '!=':
          return actual !== n;
        case '<':
          return actual < n;
        case '>':
          return actual > n;
        case '<=':
          return actual <= n;
        case '>=':
          return actual >= n;
      }
    }
  }
}

/** `*` matches any run of characters; everything else matches itself. */
function globMatch(glob: string, text: string): boolean {
  if (!glob.includes('*')) return glob === text;
  const regex = new RegExp(
    `^${glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
  return regex.test(text);
}

function collectSelectors(expression: FilterExpression, into: string[]): void {
  if (expression.kind === 'comparison') into.push(expression.selector);
  else for (const term of expression.terms) collectSelectors(term, into);
}

/** A recursive-descent parser over the pattern text; every error names the position. */
class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  parsePattern(): FilterExpression {
    this.skipSpace();
    if (!this.take('{')) this.fail("expected '{': only JSON patterns ({ $.field ... }) are supported");
    const expression = this.parseJoined();
    this.skipSpace();
    if (!this.take('}')) this.fail(`expected '&&', '||' or '}', got ${this.describeNext()}`);
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected text after '}': ${this.describeNext()}`);
    return expression;
  }

  /** Terms joined by one operator; mixing && and || without parentheses is refused as ambiguous. */
  private parseJoined(): FilterExpression {
    const terms = [this.parseTerm()];
    let joiner: '&&' | '||' | undefined;
    for (;;) {
      this.skipSpace();
      const next = this.text.startsWith('&&', this.pos) ? '&&' : this.text.startsWith('||', this.pos) ? '||' : undefined;
      if (!next) break;
      if (joiner && next !== joiner) this.fail(`mixing '&&' and '||' needs parentheses`);
      joiner = next;
      this.pos += 2;
      terms.push(this.parseTerm());
    }
    if (terms.length === 1) return terms[0];
    return { kind: joiner === '&&' ? 'and' : 'or', terms };
  }

  private parseTerm(): FilterExpression {
    this.skipSpace();
    if (this.take('(')) {
      const inner = this.parseJoined();
      this.skipSpace();
      if (!this.take(')')) this.fail(`expected ')', got ${this.describeNext()}`);
      return inner;
    }
    return this.parseComparison();
  }

  private parseComparison(): FilterExpression {
    const start = this.pos;
    const selectorMatch = /^\$[A-Za-z0-9_.[\]]*/.exec(this.text.slice(this.pos));
    if (!selectorMatch) this.fail(`expected a selector such as $.level, got ${this.describeNext()}`);
    const selector = selectorMatch[0];
    let path: string[];
    try {
      path = selectorPath(selector);
    } catch (error) {
      this.fail((error as Error).message, start);
    }
    this.pos += selector.length;
    this.skipSpace();
    const op = this.parseOperator();
    this.skipSpace();
    const valueStart = this.pos;
    const value = this.parseValue();
    if (value.type === 'exists' && op !== '=') this.fail(`'*' (field present) only works with '=', not '${op}'`, valueStart);
    if (value.type === 'string' && op !== '=' && op !== '!=')
      this.fail(`'${op}' compares numbers; a quoted string only works with '=' or '!='`, valueStart);
    return { kind: 'comparison', selector, path, op, value };
  }

  private parseOperator(): Operator {
    for (const op of ['!=', '<=', '>=', '=', '<', '>'] as const) {
      if (this.text.startsWith(op, this.pos)) {
        this.pos += op.length;
        return op;
      }
    }
    this.fail(`expected an operator (= != < > <= >=), got ${this.describeNext()}`);
  }

  private parseValue(): ComparisonValue {
    const rest = this.text.slice(this.pos);
    if (rest.startsWith('"')) {
      const end = rest.indexOf('"', 1);
      if (end < 0) this.fail('unterminated string');
      const text = rest.slice(1, end);
      if (text.includes('\\')) this.fail('escapes in strings are not supported');
      this.pos += end + 1;
      return { type: 'string', text };
    }
    if (rest.startsWith('*')) {
      this.pos += 1;
      return { type: 'exists' };
    }
    const number = /^-?\d+(\.\d+)?/.exec(rest);
    if (number && !/^[A-Za-z_]/.test(rest.slice(number[0].length))) {
      this.pos += number[0].length;
      return { type: 'number', number: Number(number[0]) };
    }
    this.fail(
      `expected a quoted string, a number or '*', got ${this.describeNext()} (unquoted words and IS/EXISTS forms are not supported)`,
    );
  }

  private take(token: string): boolean {
    if (!this.text.startsWith(token, this.pos)) return false;
    this.pos += token.length;
    return true;
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
  }

  private describeNext(): string {
    if (this.pos >= this.text.length) return 'the end of the pattern';
    return `'${this.text.slice(this.pos, this.pos + 12)}'`;
  }

  private fail(problem: string, position = this.pos): never {
    throw new FilterPatternError(this.text, position, problem);
  }
}
