/**
 * Rows of a query as CloudTrail Lake's GetQueryResults returns them: every value a string (or
 * null), columns in SELECT order. Both engines return this shape, so output and tests are shared.
 */
export interface QueryRows {
  readonly columns: readonly string[];
  readonly rows: readonly Readonly<Record<string, string | null>>[];
}

export type OutputFormat = 'table' | 'csv' | 'json';
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'csv', 'json'];

/** Longest cell shown in table output; CSV and JSON always carry the full value. */
const TABLE_CELL_MAX = 80;

export function formatRows(result: QueryRows, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(result.rows, null, 2)}\n`;
    case 'csv':
      return [result.columns, ...result.rows.map((row) => result.columns.map((c) => row[c]))]
        .map((cells) => cells.map(csvCell).join(','))
        .join('\n')
        .concat('\n');
    case 'table':
      return table(result);
  }
}

function csvCell(value: string | null | undefined): string {
  if (value === null || value === undefined) return '';
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function table(result: QueryRows): string {
  if (result.columns.length === 0) return '(no columns)\n';
  const cell = (v: string | null | undefined) => {
    const text = v === null || v === undefined ? '' : v.replace(/\s+/g, ' ');
    return text.length > TABLE_CELL_MAX ? `${text.slice(0, TABLE_CELL_MAX - 1)}…` : text;
  };
  const body = result.rows.map((row) => result.columns.map((c) => cell(row[c])));
  const widths = result.columns.map((c, i) => Math.max(c.length, ...body.map((r) => r[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const out = [line(result.columns), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  out.push(`(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`);
  return `${out.join('\n')}\n`;
}
