/** Options of `npm run bench`, from its command line (the shared kit, tools/cli). Tested in test/tools/bench/args.test.ts. */
import { ParsedOptions, UsageError, parseNumber, parseOptions } from '../cli';

export interface BenchOptions {
  /** Fresh processes per bundle for the cold-init measure (at least 15). */
  readonly coldRuns: number;
  /**
   * Measured warm invocations per handler for the CPU measure, after the warm-up, split over
   * two alternating processes (at least 2,000 by default: shorter runs stop before the JIT settles).
   */
  readonly cpuRequests: number;
  /** Unmeasured invocations each CPU probe process makes first, so the figures are the steady state. */
  readonly cpuWarmup: number;
  /** Requests per concurrency level and target, per round of the latency measure. */
  readonly latencyRequests: number;
  /** Rounds of the latency measure (targets alternate within a round). */
  readonly latencyRounds: number;
  readonly concurrency: readonly number[];
  /** `cdk synth` runs. */
  readonly synthRuns: number;
  /** Also time the test suite (about three minutes). */
  readonly withTests: boolean;
  /** Leave out the `cdk synth` timing. */
  readonly skipSynth: boolean;
  /** `npm start` until ready, each with an empty start cache (synthesis and bundling included). */
  readonly startColdRuns: number;
  /** `npm start` until ready, with the start cache the cold runs filled (sources unchanged). */
  readonly startWarmRuns: number;
  /** Leave out the `npm start` timing. */
  readonly skipStart: boolean;
  /**
   * Only the bundles and the cold-init measure (a minute instead of six), for working on the
   * cold start; the JSON goes to COLD_INIT_OUT unless --out says otherwise, so that the
   * full run's file (which `npm run cost` reads) is left as it was.
   */
  readonly coldInitOnly: boolean;
  /** Where the JSON goes. */
  readonly out: string;
  /** No progress lines. */
  readonly quiet: boolean;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  coldRuns: 21,
  cpuRequests: 2000,
  cpuWarmup: 1000,
  latencyRequests: 200,
  latencyRounds: 3,
  concurrency: [1, 4, 16],
  synthRuns: 3,
  withTests: false,
  skipSynth: false,
  startColdRuns: 2,
  startWarmRuns: 5,
  skipStart: false,
  coldInitOnly: false,
  out: 'bench-results/latest.json',
  quiet: false,
};

/** Where a --cold-init-only run writes its JSON by default. */
export const COLD_INIT_OUT = 'bench-results/cold-init.json';

/** A smaller run for a quick look (`--quick`): same measures, fewer repeats. */
const QUICK: Partial<BenchOptions> = {
  coldRuns: 15,
  cpuRequests: 400,
  cpuWarmup: 300,
  latencyRequests: 80,
  latencyRounds: 2,
  synthRuns: 1,
  startColdRuns: 1,
  startWarmRuns: 3,
};

export const BENCH_OPTIONS = {
  quick: { type: 'boolean', description: 'fewer repeats of the same measures, for a quick look (later options still win)' },
  'with-tests': { type: 'boolean', description: 'also time the test suite (about three minutes)' },
  'skip-synth': { type: 'boolean', description: 'leave out the cdk synth timing' },
  'skip-start': { type: 'boolean', description: 'leave out the npm start timing' },
  'cold-init-only': {
    type: 'boolean',
    description: `only the bundles and the cold-init measure, with its target; the JSON goes to ${COLD_INIT_OUT} unless --out is given`,
  },
  'cpu-warmup': {
    type: 'string',
    value: 'N',
    description: `unmeasured warm requests per CPU probe process first (default ${DEFAULT_OPTIONS.cpuWarmup})`,
  },
  'start-cold-runs': {
    type: 'string',
    value: 'N',
    description: `npm start runs with an empty start cache (default ${DEFAULT_OPTIONS.startColdRuns})`,
  },
  'start-warm-runs': {
    type: 'string',
    value: 'N',
    description: `npm start runs with the start cache filled (default ${DEFAULT_OPTIONS.startWarmRuns})`,
  },
  'cold-runs': {
    type: 'string',
    value: 'N',
    description: `fresh processes per bundle for cold init, at least 15 (default ${DEFAULT_OPTIONS.coldRuns})`,
  },
  'cpu-requests': {
    type: 'string',
    value: 'N',
    description: `warm requests per handler for CPU, at least 20 (default ${DEFAULT_OPTIONS.cpuRequests})`,
  },
  'latency-requests': {
    type: 'string',
    value: 'N',
    description: `requests per concurrency level and target, at least 10 (default ${DEFAULT_OPTIONS.latencyRequests})`,
  },
  'latency-rounds': { type: 'string', value: 'N', description: `rounds of the latency measure (default ${DEFAULT_OPTIONS.latencyRounds})` },
  concurrency: {
    type: 'string',
    value: 'N,N,...',
    description: `concurrency levels, at most 64 (default ${DEFAULT_OPTIONS.concurrency.join(',')})`,
  },
  'synth-runs': { type: 'string', value: 'N', description: `cdk synth runs (default ${DEFAULT_OPTIONS.synthRuns})` },
  out: { type: 'string', value: 'FILE', description: `where the JSON goes (default ${DEFAULT_OPTIONS.out})` },
  quiet: { type: 'boolean', description: 'no progress lines on stderr' },
} as const;

export const BENCH_HELP = {
  usage: 'npm run bench -- [--quick] [--with-tests] [--skip-synth] [--cold-init-only] [--cold-runs N] [options]',
  summary:
    "Measures the prediction function (bundle size, cold init, CPU per request), the local pipeline's latency and throughput, and cdk synth, each beside a baseline handler; writes the JSON npm run cost reads.",
  examples: [
    'npm run bench -- --quick',
    'npm run bench -- --with-tests --out bench-results/full.json',
    'npm run bench -- --cold-init-only --cold-runs 41',
  ],
};

/** The bench's settings from its parsed options: --quick first, then every option given. */
export function benchOptionsFrom(o: ParsedOptions<typeof BENCH_OPTIONS>): BenchOptions {
  const whole = (flag: keyof typeof BENCH_OPTIONS, raw: string, min: number) => parseNumber(`--${flag}`, raw, { min, integer: true });
  const given = <K extends keyof BenchOptions>(key: K, value: BenchOptions[K] | undefined): Partial<BenchOptions> =>
    value === undefined ? {} : { [key]: value };
  const concurrency = o.concurrency?.split(',').map((c) => whole('concurrency', c.trim(), 1));
  if (concurrency?.some((c) => c > 64)) throw new UsageError('--concurrency: at most 64 concurrent requests on loopback');
  if (o['cold-init-only'] && o['with-tests']) throw new UsageError('--with-tests: a --cold-init-only run times nothing but the cold init');
  return {
    ...DEFAULT_OPTIONS,
    ...(o.quick ? QUICK : {}),
    ...given('coldRuns', o['cold-runs'] === undefined ? undefined : whole('cold-runs', o['cold-runs'], 15)),
    ...given('cpuRequests', o['cpu-requests'] === undefined ? undefined : whole('cpu-requests', o['cpu-requests'], 20)),
    ...given('latencyRequests', o['latency-requests'] === undefined ? undefined : whole('latency-requests', o['latency-requests'], 10)),
    ...given('latencyRounds', o['latency-rounds'] === undefined ? undefined : whole('latency-rounds', o['latency-rounds'], 1)),
    ...given('synthRuns', o['synth-runs'] === undefined ? undefined : whole('synth-runs', o['synth-runs'], 1)),
    ...given('cpuWarmup', o['cpu-warmup'] === undefined ? undefined : whole('cpu-warmup', o['cpu-warmup'], 0)),
    ...given('startColdRuns', o['start-cold-runs'] === undefined ? undefined : whole('start-cold-runs', o['start-cold-runs'], 1)),
    ...given('startWarmRuns', o['start-warm-runs'] === undefined ? undefined : whole('start-warm-runs', o['start-warm-runs'], 1)),
    ...given('concurrency', concurrency),
    ...given('out', o.out ?? (o['cold-init-only'] ? COLD_INIT_OUT : undefined)),
    ...(o['with-tests'] ? { withTests: true } : {}),
    ...(o['skip-synth'] ? { skipSynth: true } : {}),
    ...(o['skip-start'] ? { skipStart: true } : {}),
    ...(o['cold-init-only'] ? { coldInitOnly: true } : {}),
    ...(o.quiet ? { quiet: true } : {}),
  };
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  return benchOptionsFrom(parseOptions(argv, BENCH_OPTIONS));
}
