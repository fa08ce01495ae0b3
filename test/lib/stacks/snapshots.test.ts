import { synthStage } from '../../harness/synth';

/**
 * Whole-template snapshots of every stack of both built-in stages. Asset hashes are
 * normalised (test/harness/asset-hash-serializer.js), so only a change to a template's
 * structure rewrites a snapshot, not a change to a handler's code.
 */
describe.each(['dev', 'prod'])('%s stacks', (stage) => {
  const synthesized = synthStage(stage);
  test.each(['data', 'endpoint', 'api', 'monitoring', 'audit'] as const)('%s stack', (name) => {
    expect(synthesized[name]!.toJSON()).toMatchSnapshot();
  });
});
