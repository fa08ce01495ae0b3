/** `npm run cost` arguments and the README table. */
import { UsageError } from '../../../tools/cli';
import { formatMatrix, parseCostArgs } from '../../../tools/cost/estimate';

describe('cost arguments', () => {
  it('reads the stage, rate and payload size, and the optional overrides', () => {
    expect(parseCostArgs(['--stage', 'prod', '--rps', '2.5', '--payload-bytes', '2048', '--duration-ms', '30', '--json'])).toMatchObject({
      stage: 'prod',
      rps: 2.5,
      payloadBytes: 2048,
      durationMs: 30,
      json: true,
      matrix: false,
    });
  });

  it('--matrix needs nothing else', () => {
    expect(parseCostArgs(['--matrix'])).toMatchObject({ matrix: true, payloadBytes: 1024 });
  });

  it.each([
    [['--rps', '1', '--payload-bytes', '10'], '--stage is required'],
    [['--stage', 'dev', '--payload-bytes', '10'], '--rps is required'],
    [['--stage', 'dev', '--rps', '-1', '--payload-bytes', '10'], "--rps must be a number of at least 0, got '-1'"],
    [['--stage', 'dev', '--rps', '1', '--payload-bytes', '1.5'], '--payload-bytes must be a whole number'],
    [['--stage', 'dev', '--rps'], 'missing value for --rps'],
    [['--stage', 'dev', '--rps', '1', '--payload-bytes', '10', '--fast'], 'unknown option --fast'],
  ])('refuses %j', (argv, message) => {
    expect(() => parseCostArgs(argv)).toThrow(UsageError);
    expect(() => parseCostArgs(argv)).toThrow(message);
  });
});

describe('the README table', () => {
  it('one row per component, one column per rate, then the total and the cost per million', () => {
    const estimate = (api: number, lambda: number) => ({
      requestsPerMonth: 2_628_000,
      lines: [
        { component: 'API Gateway requests', quantity: 1, unit: 'requests', monthly: api },
        { component: 'Lambda requests', quantity: 1, unit: 'requests', monthly: lambda },
      ],
      total: api + lambda,
      perMillionRequests: (api + lambda) / 2.628,
    });
    expect(
      formatMatrix('dev', [
        { rps: 1, estimate: estimate(9.2, 0.53) },
        { rps: 10, estimate: estimate(92, 5.3) },
      ]),
    ).toBe(
      [
        '| dev | 1 rps | 10 rps |',
        '| --- | ---: | ---: |',
        '| API Gateway requests | $9.20 | $92 |',
        '| Lambda requests | $0.53 | $5.30 |',
        '| **total a month** | **$9.73** | **$97** |',
        '| per million requests | $3.70 | $37 |',
      ].join('\n'),
    );
  });
});
