/**
 * Longest suites first, so the two workers finish together instead of one waiting on a long
 * suite that started last. Jest does this itself from the timings of earlier runs; a fresh
 * clone (CI) has none, and jest then orders by file size, which puts the short static-check
 * suites (which run tsc, ESLint and Prettier) last. The suites below start first, in this
 * order; the rest follow in jest's own order. A suite missing from the tree is skipped.
 */
const Sequencer = require('@jest/test-sequencer').default;

const LONGEST_FIRST = [
  'test/checks/typecheck.test.ts',
  'test/tools/local/dashboard/alarms-live.test.ts',
  'test/checks/update-paths.test.ts',
  'test/checks/cloudformation-validate.test.ts',
  'test/checks/lint.test.ts',
  'test/tools/local/sigv4.test.ts',
  'test/tools/runbook/notebook.test.ts',
  'test/tools/local/lifecycle.test.ts',
  'test/checks/guard/control-tower.test.ts',
  'test/tools/local/dashboard/analysis-page.test.ts',
  'test/tools/cli/commands.test.ts',
  'test/checks/synth-determinism.test.ts',
];

class LongestFirstSequencer extends Sequencer {
  async sort(tests) {
    const ordered = await super.sort(tests);
    const rank = (test) => {
      const i = LONGEST_FIRST.findIndex((suffix) => test.path.endsWith(suffix));
      return i < 0 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: suites of equal rank keep jest's order.
    return [...ordered].sort((a, b) => rank(a) - rank(b));
  }
}

module.exports = LongestFirstSequencer;
