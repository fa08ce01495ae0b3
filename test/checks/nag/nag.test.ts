import { NAG_CONFIGURATIONS, acknowledgementsOf, isWholeScope, nagFindings, synthApp } from '../../harness/nag-stages';

/**
 * cdk-nag 3 (AwsSolutions and Serverless packs) over every stack of every configuration, after
 * synthesis, as `cdk synth` runs policy-validation plugins. What the rules flag is fixed in the
 * stacks; what remains is acknowledged on the one resource it concerns (lib/constructs/acknowledge.ts),
 * and these tests keep it that way: no finding left, no acknowledgement without a finding, none
 * on a whole stack, none without a reason.
 */
describe.each(Object.entries(NAG_CONFIGURATIONS))('cdk-nag, %s', (_name, configuration) => {
  const { app } = synthApp(configuration);
  const acknowledgements = acknowledgementsOf(app);

  test('AwsSolutions and Serverless report no unacknowledged finding', () => {
    expect(nagFindings(app)).toEqual([]);
  });

  test('every acknowledgement matches a finding of its own resource: none is stale', () => {
    const raw = nagFindings(app, { ignoreAcknowledgements: true });
    const stale = acknowledgements
      .filter((ack) => !raw.some((f) => f.rule === ack.id && (f.path === ack.path || f.path.startsWith(`${ack.path}/`))))
      .map((ack) => `${ack.path}: ${ack.id}`);
    expect(stale).toEqual([]);
  });

  test('acknowledgements sit on resources, never on a stack or the app, and give a specific reason', () => {
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const ack of acknowledgements) {
      expect({ path: ack.path, wholeScope: isWholeScope(ack.construct) }).toEqual({ path: ack.path, wholeScope: false });
      expect(ack.reason.length).toBeGreaterThanOrEqual(60);
      expect(ack.reason).not.toMatch(/not needed|not required|n\/a|false positive|todo/i);
    }
  });

  test('IAM5 wildcards are acknowledged one finding at a time, never as a whole rule', () => {
    const wholeRule = acknowledgements.filter((ack) => /^AwsSolutions-IAM[45]$/.test(ack.id));
    expect(wholeRule).toEqual([]);
  });
});

test('a stage with X-Ray tracing off is clean too: the tracing rules are acknowledged with the configuration as the reason', () => {
  const { app } = synthApp({ stage: 'dev', overrides: { 'monitoring.tracing': 'false' } });
  expect(nagFindings(app)).toEqual([]);
  const tracing = acknowledgementsOf(app).filter((ack) => /Tracing|Xray/.test(ack.id));
  expect(tracing.map((ack) => ack.id).sort()).toEqual([
    'Serverless-APIGWXrayEnabled',
    'Serverless-LambdaTracing',
    'Serverless-LambdaTracing',
    'Serverless-LambdaTracing',
  ]);
  for (const ack of tracing) expect(ack.reason).toContain('monitoring.tracing=false');
});
