/** `npm run bench` options: defaults, --quick, and refusals. */
import { COLD_INIT_OUT, DEFAULT_OPTIONS, parseBenchArgs } from '../../../tools/bench/args';
import { UsageError } from '../../../tools/cli';

describe('bench arguments', () => {
  it('defaults: at least 15 cold-init runs, 2,000 measured CPU requests after a warm-up, npm start timed, concurrency 1, 4 and 16, no test suite', () => {
    expect(parseBenchArgs([])).toEqual(DEFAULT_OPTIONS);
    expect(DEFAULT_OPTIONS.coldRuns).toBeGreaterThanOrEqual(15);
    expect(DEFAULT_OPTIONS.cpuRequests).toBeGreaterThanOrEqual(2000);
    expect(DEFAULT_OPTIONS.cpuWarmup).toBeGreaterThanOrEqual(500);
    expect(DEFAULT_OPTIONS).toMatchObject({ skipStart: false, startColdRuns: 2, startWarmRuns: 5 });
    expect(DEFAULT_OPTIONS.concurrency).toEqual([1, 4, 16]);
    expect(DEFAULT_OPTIONS.withTests).toBe(false);
  });

  it('--quick lowers the repeats, and later flags still win', () => {
    const quick = parseBenchArgs(['--quick']);
    expect(quick.coldRuns).toBe(15);
    expect(quick.cpuRequests).toBeLessThan(DEFAULT_OPTIONS.cpuRequests);
    expect(quick.cpuWarmup).toBeLessThan(DEFAULT_OPTIONS.cpuWarmup);
    expect(quick).toMatchObject({ startColdRuns: 1, startWarmRuns: 3 });
    expect(parseBenchArgs(['--quick', '--cold-runs', '30']).coldRuns).toBe(30);
  });

  it('reads every flag', () => {
    expect(
      parseBenchArgs([
        '--with-tests',
        '--skip-synth',
        '--cpu-requests',
        '100',
        '--latency-requests',
        '50',
        '--latency-rounds',
        '4',
        '--concurrency',
        '1, 8',
        '--synth-runs',
        '2',
        '--out',
        'x.json',
      ]),
    ).toEqual({
      ...DEFAULT_OPTIONS,
      withTests: true,
      skipSynth: true,
      cpuRequests: 100,
      latencyRequests: 50,
      latencyRounds: 4,
      concurrency: [1, 8],
      synthRuns: 2,
      out: 'x.json',
    });
    expect(parseBenchArgs(['--skip-start', '--cpu-warmup', '0', '--start-cold-runs', '3', '--start-warm-runs', '7'])).toEqual({
      ...DEFAULT_OPTIONS,
      skipStart: true,
      cpuWarmup: 0,
      startColdRuns: 3,
      startWarmRuns: 7,
    });
  });

  it('--cold-init-only writes to its own file, so the full run that npm run cost reads stays; --out still wins', () => {
    expect(DEFAULT_OPTIONS.coldInitOnly).toBe(false);
    expect(parseBenchArgs(['--cold-init-only', '--cold-runs', '41'])).toEqual({
      ...DEFAULT_OPTIONS,
      coldInitOnly: true,
      coldRuns: 41,
      out: COLD_INIT_OUT,
    });
    expect(COLD_INIT_OUT).not.toBe(DEFAULT_OPTIONS.out);
    expect(parseBenchArgs(['--cold-init-only', '--out', 'ci.json']).out).toBe('ci.json');
  });

  it.each([
    [['--cold-init-only', '--with-tests'], '--with-tests: a --cold-init-only run times nothing but the cold init'],
    [['--cold-runs', '10'], 'at least 15'],
    [['--cold-runs'], 'missing value for --cold-runs'],
    [['--cpu-requests', 'many'], "got 'many'"],
    [['--concurrency', '1,100'], 'at most 64'],
    [['--concurrency', '0'], 'at least 1'],
    [['--cpu-warmup', '-1'], "got '-1'"],
    [['--start-warm-runs', '0'], 'at least 1'],
    [['--out'], 'missing value for --out'],
    [['--fast'], 'unknown option --fast'],
  ])('refuses %j (%s)', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
