#!/usr/bin/env node
/**
 * `npm run cost -- --stage dev|prod --rps N --payload-bytes N [--json]`: the monthly cost of
 * a stage at a steady request rate, per component, at the list prices of cost/prices.json.
 * Measured figures (Lambda duration, log bytes per request, model time) come from
 * bench-results/latest.json when it exists (`npm run bench`), else from documented
 * assumptions (tools/cost/inputs.ts). `--matrix` prints the README's tables (dev and prod at 1, 10
 * and 100 rps).
 */
import * as path from 'path';
import { ParsedOptions, REPO_ROOT, UsageError, parseNumber, parseOptions, runCommand } from '../cli';
import { deriveInputs, loadPrices, readBenchFigures } from './inputs';
import { CostEstimate, auditCostByBackend, estimateMonthlyCost } from './model';

export interface CostArgs {
  readonly stage: string;
  readonly rps: number;
  readonly payloadBytes: number;
  readonly outputBytes?: number;
  readonly durationMs?: number;
  readonly modelMs?: number;
  readonly errorKinds?: number;
  readonly bench: string;
  readonly json: boolean;
  readonly matrix: boolean;
}

export const COST_OPTIONS = {
  stage: { type: 'string', value: 'NAME', description: 'the stage: dev, prod, or one defined in cdk.json (with --matrix: both)' },
  rps: { type: 'string', value: 'N', description: 'steady requests per second' },
  'payload-bytes': { type: 'string', value: 'N', description: 'bytes of a request body (with --matrix: default 1024)' },
  'output-bytes': { type: 'string', value: 'N', description: 'bytes of a response body (default: from the payload)' },
  'duration-ms': { type: 'string', value: 'N', description: 'Lambda duration per request (default: the bench figure, else an assumption)' },
  'model-ms': { type: 'string', value: 'N', description: 'model time per request (default: the bench figure, else an assumption)' },
  'error-kinds': { type: 'string', value: 'N', description: 'distinct error kinds a month (alarm-related log volume)' },
  bench: { type: 'string', value: 'FILE', description: 'measured figures (default bench-results/latest.json)' },
  json: { type: 'boolean', description: 'print JSON' },
  matrix: { type: 'boolean', description: "the README's tables: dev and prod at 1, 10 and 100 rps" },
} as const;

export const COST_HELP = {
  usage: 'npm run cost -- --stage dev|prod --rps N --payload-bytes N [options] | --matrix [--payload-bytes N] [--json]',
  summary: "A stage's monthly cost at a steady request rate, per component, at the list prices of tools/cost/prices.json.",
  examples: ['npm run cost -- --stage prod --rps 10 --payload-bytes 2048', 'npm run cost -- --matrix'],
};

export function parseCostArgs(argv: readonly string[]): CostArgs {
  return costArgsFrom(parseOptions(argv, COST_OPTIONS));
}

export function costArgsFrom(o: ParsedOptions<typeof COST_OPTIONS>): CostArgs {
  const num = (flag: keyof typeof COST_OPTIONS, { integer = false } = {}): number | undefined => {
    const raw = o[flag];
    return typeof raw === 'string' ? parseNumber(`--${flag}`, raw, { min: 0, integer }) : undefined;
  };
  const matrix = o.matrix;
  const stage = o.stage ?? (matrix ? 'dev' : undefined);
  const rps = num('rps') ?? (matrix ? 1 : undefined);
  const payloadBytes = num('payload-bytes', { integer: true }) ?? (matrix ? 1024 : undefined);
  if (!stage) throw new UsageError('--stage is required');
  if (rps === undefined) throw new UsageError('--rps is required');
  if (payloadBytes === undefined) throw new UsageError('--payload-bytes is required');
  return {
    stage,
    rps,
    payloadBytes,
    outputBytes: num('output-bytes', { integer: true }),
    durationMs: num('duration-ms'),
    modelMs: num('model-ms'),
    errorKinds: num('error-kinds', { integer: true }),
    bench: path.resolve(o.bench ?? path.join(REPO_ROOT, 'bench-results', 'latest.json')),
    json: o.json,
    matrix,
  };
}

const usd = (n: number) => (Number.isFinite(n) ? `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}` : 'n/a');
const qty = (n: number) => (n >= 1000 ? Math.round(n).toLocaleString('en-US') : Number(n.toPrecision(3)).toString());

function run(args: CostArgs, stage: string, rps: number) {
  const bench = readBenchFigures(args.bench);
  const derived = deriveInputs({
    stage,
    requestsPerSecond: rps,
    payloadBytes: args.payloadBytes,
    outputBytes: args.outputBytes,
    durationMs: args.durationMs,
    modelDurationMs: args.modelMs,
    errorKinds: args.errorKinds,
    bench,
  });
  const prices = loadPrices();
  return {
    derived,
    prices,
    estimate: estimateMonthlyCost(derived.inputs, prices),
    auditByBackend: auditCostByBackend(derived.inputs, prices),
  };
}

function formatEstimate(stage: string, rps: number, payloadBytes: number, r: ReturnType<typeof run>): string {
  const { estimate, derived, prices } = r;
  const rows = [
    ['component', 'quantity', 'unit', 'monthly', 'note'],
    ...estimate.lines.map((l) => [l.component, qty(l.quantity), l.unit, usd(l.monthly), l.note ?? '']),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row
      .map((cell, c) => (c === 1 || c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [
    `${stage} at ${rps} rps, ${payloadBytes}-byte payloads: ${qty(estimate.requestsPerMonth)} requests a month (${prices.hoursPerMonth} h), ${prices.region} list prices of ${prices.date}`,
    '',
    ...rows.map(line),
    '',
    `total ${usd(estimate.total)} a month, ${usd(estimate.perMillionRequests)} per million requests`,
    ...(r.auditByBackend
      ? [
          `audit by backend: trail ${usd(r.auditByBackend.trail)}, lake ${usd(r.auditByBackend.lake)} a month for the same events (this stage: audit.backend=${derived.config.audit.backend})`,
        ]
      : []),
    `record: ${derived.itemBytes} bytes (the handler's record builder, ${derived.config.records.payloadMode} payloads)`,
    ...Object.entries(derived.provenance).map(([k, v]) => `${k}: ${v}`),
    ...derived.notes.map((n) => `note: ${n}`),
  ].join('\n');
}

/** The README table: each component's monthly cost for one stage at several rates. */
export function formatMatrix(stage: string, columns: readonly { rps: number; estimate: CostEstimate }[]): string {
  const components = columns[0].estimate.lines.map((l) => l.component);
  const header = `| ${stage} | ${columns.map((c) => `${c.rps} rps`).join(' | ')} |`;
  const rule = `| --- | ${columns.map(() => '---:').join(' | ')} |`;
  const body = components.map(
    (name) => `| ${name} | ${columns.map((c) => usd(c.estimate.lines.find((l) => l.component === name)!.monthly)).join(' | ')} |`,
  );
  const total = `| **total a month** | ${columns.map((c) => `**${usd(c.estimate.total)}**`).join(' | ')} |`;
  const perMillion = `| per million requests | ${columns.map((c) => usd(c.estimate.perMillionRequests)).join(' | ')} |`;
  return [header, rule, ...body, total, perMillion].join('\n');
}

/** `--matrix`: dev and prod at 1, 10 and 100 rps, each table with its record size, provenance and notes. */
export function costMatrix(args: CostArgs): { text: string; json: Record<string, unknown> } {
  const json: Record<string, unknown> = {};
  const text: string[] = [];
  for (const stage of ['dev', 'prod']) {
    const columns = [1, 10, 100].map((rps) => ({ rps, ...run(args, stage, rps) }));
    json[stage] = columns.map((c) => ({ rps: c.rps, ...c.estimate }));
    text.push(formatMatrix(stage, columns), '');
    const first = columns[0];
    const notes = [...new Set(columns.flatMap((c) => c.derived.notes.map((n) => (n.includes('capped') ? `${c.rps} rps: ${n}` : n))))];
    text.push(
      `${stage}: record ${first.derived.itemBytes} B; ${Object.entries(first.derived.provenance)
        .map(([k, v]) => `${k} ${v}`)
        .join('; ')}`,
      ...notes.map((n) => `note: ${n}`),
      '',
    );
  }
  return { text: text.join('\n'), json };
}

function main(args: CostArgs): number {
  if (args.matrix) {
    const { text, json } = costMatrix(args);
    process.stdout.write(args.json ? `${JSON.stringify(json, null, 2)}\n` : `${text}\n`);
    return 0;
  }
  const r = run(args, args.stage, args.rps);
  process.stdout.write(
    args.json
      ? `${JSON.stringify({ stage: args.stage, rps: args.rps, payloadBytes: args.payloadBytes, itemBytes: r.derived.itemBytes, provenance: r.derived.provenance, notes: r.derived.notes, prices: { region: r.prices.region, date: r.prices.date }, auditByBackend: r.auditByBackend, ...r.estimate }, null, 2)}\n`
      : `${formatEstimate(args.stage, args.rps, args.payloadBytes, r)}\n`,
  );
  return 0;
}

if (require.main === module) {
  void runCommand({ name: 'cost', options: COST_OPTIONS, help: COST_HELP, run: (o) => main(costArgsFrom(o)) });
}
