/**
 * The subset of CloudWatch metric math the catalog uses, evaluated on one period's values:
 * numbers, ids, + - * /, parentheses, FILL(x, n) and IF(condition, a, b) with a comparison.
 * A missing value (no datapoint) propagates as undefined, as CloudWatch leaves the period
 * empty; FILL replaces it. Anything else is an error, like the filter-pattern evaluator.
 */
export type PeriodValues = Readonly<Record<string, number | undefined>>;
type Node = (values: PeriodValues) => number | undefined;

export function compileMath(expression: string): Node {
  const tokens = expression.match(/\s*(>=|<=|==|!=|[A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)?|[-+*/(),<>])/g)?.map((t) => t.trim()) ?? [];
  if (tokens.join('') !== expression.replace(/\s+/g, '')) throw new Error(`unsupported metric math '${expression}'`);
  let pos = 0;
  const peek = () => tokens[pos];
  const expect = (t: string) => {
    if (tokens[pos++] !== t) throw new Error(`unsupported metric math '${expression}': expected '${t}' at token ${pos}`);
  };

  const sum = (): Node => {
    let left = product();
    while (peek() === '+' || peek() === '-') {
      const op = tokens[pos++];
      const l = left,
        r = product();
      left = (v) => both(l(v), r(v), (a, b) => (op === '+' ? a + b : a - b));
    }
    return left;
  };
  const product = (): Node => {
    let left = factor();
    while (peek() === '*' || peek() === '/') {
      const op = tokens[pos++];
      const l = left,
        r = factor();
      left = (v) => both(l(v), r(v), (a, b) => (op === '*' ? a * b : b === 0 ? undefined : a / b));
    }
    return left;
  };
  const factor = (): Node => {
    const t = tokens[pos++];
    if (t === undefined) throw new Error(`unsupported metric math '${expression}': unexpected end`);
    if (/^\d/.test(t)) return () => Number(t);
    if (t === '(') {
      const inner = sum();
      expect(')');
      return inner;
    }
    if (t === 'FILL') {
      expect('(');
      const x = sum();
      expect(',');
      const fill = sum();
      expect(')');
      return (v) => x(v) ?? fill(v);
    }
    if (t === 'IF') {
      expect('(');
      const left = sum();
      const op = tokens[pos++];
      const right = sum();
      expect(',');
      const then = sum();
      expect(',');
      const otherwise = sum();
      expect(')');
      return (v) => {
        const a = left(v),
          b = right(v);
        if (a === undefined || b === undefined) return undefined;
        return compare(a, op, b) ? then(v) : otherwise(v);
      };
    }
    if (/^[a-z]/.test(t)) return (v) => v[t];
    throw new Error(`unsupported metric math '${expression}': unexpected '${t}'`);
  };

  const node = sum();
  if (pos !== tokens.length) throw new Error(`unsupported metric math '${expression}': unexpected '${tokens[pos]}'`);
  return node;
}

function both(a: number | undefined, b: number | undefined, f: (a: number, b: number) => number | undefined): number | undefined {
  return a === undefined || b === undefined ? undefined : f(a, b);
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case '>=':
      return a >= b;
    case '>':
      return a > b;
    case '<=':
      return a <= b;
    case '<':
      return a < b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
    default:
      throw new Error(`unsupported comparison '${op}' in metric math`);
  }
}
