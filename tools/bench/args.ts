/** Options of `npm run bench`, from its command line. Tested in test/tools/bench/args.test.ts. */

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
  /** Also time the test suite (about two minutes). */
  readonly withTests: boolean;
  /** Leave out the `cdk synth` timing. */
  readonly skipSynth: boolean;
  /** `npm start` until ready, each with an empty start cache (synthesis and bundling included). */
  readonly startColdRuns: number;
  /** `npm start` until ready, with the start cache the cold runs filled (sources unchanged). */
  readonly startWarmRuns: number;
  /** Leave out the `npm start` timing. */
  readonly skipStart: boolean;
  /** Where the JSON goes. */
  readonly out: string;
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
  out: 'bench-results/latest.json',
};

/** A smaller run for a quick look (`--quick`): same measures, fewer repeats. */
const QUICK: Partial<BenchOptions> = { coldRuns: 15, cpuRequests: 400, cpuWarmup: 300, latencyRequests: 80, latencyRounds: 2, synthRuns: 1, startColdRuns: 1, startWarmRuns: 3 };

const USAGE = `usage: npm run bench -- [--quick] [--with-tests] [--skip-synth] [--skip-start] [--cold-runs N>=15]
                       [--cpu-requests N] [--cpu-warmup N] [--latency-requests N] [--latency-rounds N]
                       [--concurrency 1,4,16] [--synth-runs N] [--start-cold-runs N] [--start-warm-runs N] [--out FILE]`;

export class UsageError extends Error {
  constructor(message: string) {
    super(`${message}\n${USAGE}`);
    this.name = 'UsageError';
  }
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  let options: BenchOptions = { ...DEFAULT_OPTIONS };
  if (argv.includes('--quick')) options = { ...options, ...QUICK };
  const positive = (flag: string, raw: string | undefined, min = 1): number => {
    const n = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!(n >= min)) throw new UsageError(`${flag} needs a whole number of at least ${min}, got ${raw === undefined ? 'nothing' : `'${raw}'`}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => argv[++i];
    switch (flag) {
      case '--quick':
        break;
      case '--with-tests':
        options = { ...options, withTests: true };
        break;
      case '--skip-synth':
        options = { ...options, skipSynth: true };
        break;
      case '--skip-start':
        options = { ...options, skipStart: true };
        break;
      case '--cpu-warmup':
        options = { ...options, cpuWarmup: positive(flag, value(), 0) };
        break;
      case '--start-cold-runs':
        options = { ...options, startColdRuns: positive(flag, value()) };
        break;
      case '--start-warm-runs':
        options = { ...options, startWarmRuns: positive(flag, value()) };
        break;
      case '--cold-runs':
        options = { ...options, coldRuns: positive(flag, value(), 15) };
        break;
      case '--cpu-requests':
        options = { ...options, cpuRequests: positive(flag, value(), 20) };
        break;
      case '--latency-requests':
        options = { ...options, latencyRequests: positive(flag, value(), 10) };
        break;
      case '--latency-rounds':
        options = { ...options, latencyRounds: positive(flag, value()) };
        break;
      case '--synth-runs':
        options = { ...options, synthRuns: positive(flag, value()) };
        break;
      case '--concurrency': {
        const raw = value();
        const levels = (raw ?? '').split(',').map((c) => positive(flag, c.trim()));
        if (levels.some((c) => c > 64)) throw new UsageError(`${flag}: at most 64 concurrent requests on loopback`);
        options = { ...options, concurrency: levels };
        break;
      }
      case '--out': {
        const out = value();
        if (!out) throw new UsageError(`${flag} needs a file name`);
        options = { ...options, out };
        break;
      }
      default:
        throw new UsageError(`unknown option '${flag}'`);
    }
  }
  return options;
}
