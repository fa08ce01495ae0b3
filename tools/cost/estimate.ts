#!/usr/bin/env node
/**
 * `npm run cost -- --stage dev|prod --rps N --payload-bytes N [--json]`: the monthly cost of
 * a stage at a steady request rate, per component, at the list prices of cost/prices.json.
 * Measured figures (Lambda duration, log bytes per request, model time) come from
 * bench-results/latest.json when it exists (`npm run bench`), else from documented
 * assumptions (cost/inputs.ts). `--matrix` prints the README's tables (dev and prod at 1, 10
 * and 100 rps).
 */
import * as path from 'path';
import { deriveInputs, loadPrices, readBenchFigures, REPO_ROOT } from './inputs';
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

const USAGE = `usage: npm run cost -- --stage dev|prod --rps N --payload-bytes N [--output-bytes N] [--duration-ms N]
                      [--model-ms N] [--error-kinds N] [--bench FILE] [--json]
       npm run cost -- --matrix [--payload-bytes N] [--json]     dev and prod at 1, 10 and 100 rps`;

export class CostUsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'CostUsageError';
  }
}

export function parseCostArgs(argv: readonly string[]): CostArgs {
  const values: Record<string, string> = {};
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json' || a === '--matrix') flags.add(a);
    else if (['--stage', '--rps', '--payload-bytes', '--output-bytes', '--duration-ms', '--model-ms', '--error-kinds', '--bench'].includes(a)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new CostUsageError(`${a} needs a value`);
      values[a] = v;
    } else throw new CostUsageError(`unknown option '${a}'`);
  }
  const num = (flag: string, { min = 0, integer = false } = {}): number | undefined => {
    const raw = values[flag];
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) throw new CostUsageError(`${flag} must be ${integer ? 'a whole number' : 'a number'} of at least ${min}, got '${raw}'`);
    return n;
  };
  const matrix = flags.has('--matrix');
  const stage = values['--stage'] ?? (matrix ? 'dev' : undefined);
  const rps = num('--rps') ?? (matrix ? 1 : undefined);
  const payloadBytes = num('--payload-bytes', { integer: true }) ?? (matrix ? 1024 : undefined);
  if (!stage) throw new CostUsageError('--stage is required');
  if (rps === undefined) throw new CostUsageError('--rps is required');
  if (payloadBytes === undefined) throw new CostUsageError('--payload-bytes is required');
  return {
    stage,
    rps,
    payloadBytes,
    outputBytes: num('--output-bytes', { integer: true }),
    durationMs: num('--duration-ms'),
    modelMs: num('--model-ms'),
    errorKinds: num('--error-kinds', { integer: true }),
    bench: path.resolve(values['--bench'] ?? path.join(REPO_ROOT, 'bench-results', 'latest.json')),
    json: flags.has('--json'),
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
  return { derived, prices, estimate: estimateMonthlyCost(derived.inputs, prices), auditByBackend: auditCostByBackend(derived.inputs, prices) };
}

function formatEstimate(stage: string, rps: number, payloadBytes: number, r: ReturnType<typeof run>): string {
  const { estimate, derived, prices } = r;
  const rows = [['component', 'quantity', 'unit', 'monthly', 'note'], ...estimate.lines.map((l) => [l.component, qty(l.quantity), l.unit, usd(l.monthly), l.note ?? ''])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 1 || c === 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  return [
    `${stage} at ${rps} rps, ${payloadBytes}-byte payloads: ${qty(estimate.requestsPerMonth)} requests a month (${prices.hoursPerMonth} h), ${prices.region} list prices of ${prices.date}`,
    '',
    ...rows.map(line),
    '',
    `total ${usd(estimate.total)} a month, ${usd(estimate.perMillionRequests)} per million requests`,
    ...(r.auditByBackend ? [`audit by backend: trail ${usd(r.auditByBackend.trail)}, lake ${usd(r.auditByBackend.lake)} a month for the same events (this stage: audit.backend=${derived.config.audit.backend})`] : []),
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
  const body = components.map((name) => `| ${name} | ${columns.map((c) => usd(c.estimate.lines.find((l) => l.component === name)!.monthly)).join(' | ')} |`);
  const total = `| **total a month** | ${columns.map((c) => `**${usd(c.estimate.total)}**`).join(' | ')} |`;
  const perMillion = `| per million requests | ${columns.map((c) => usd(c.estimate.perMillionRequests)).join(' | ')} |`;
  return [header, rule, ...body, total, perMillion].join('\n');
}

function main(): number {
  const args = parseCostArgs(process.argv.slice(2));
  if (args.matrix) {
    const out: Record<string, unknown> = {};
    const text: string[] = [];
    for (const stage of ['dev', 'prod']) {
      const columns = [1, 10, 100].map((rps) => ({ rps, ...run(args, stage, rps) }));
      out[stage] = columns.map((c) => ({ rps: c.rps, ...c.estimate }));
      text.push(formatMatrix(stage, columns), '');
      const first = columns[0];
      const notes = [...new Set(columns.flatMap((c) => c.derived.notes.map((n) => (n.includes('capped') ? `${c.rps} rps: ${n}` : n))))];
      text.push(`${stage}: record ${first.derived.itemBytes} B; ${Object.entries(first.derived.provenance).map(([k, v]) => `${k} ${v}`).join('; ')}`, ...notes.map((n) => `note: ${n}`), '');
    }
    process.stdout.write(args.json ? `${JSON.stringify(out, null, 2)}\n` : `${text.join('\n')}\n`);
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
  try {
    process.exit(main());
  } catch (error) {
    process.stderr.write(error instanceof CostUsageError ? `${error.message}\n` : `cost failed: ${(error as Error).message}\n`);
    process.exit(error instanceof CostUsageError ? 2 : 1);
  }
}
