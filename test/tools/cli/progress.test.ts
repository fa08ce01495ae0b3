import { createProgress } from '../../../tools/cli';

/** Long work reports a line per step on stderr, with the time since it began; quiet off a terminal or when asked. */
function terminal(isTTY: boolean) {
  const lines: string[] = [];
  return { lines, stream: { isTTY, write: (text: string) => lines.push(text) } };
}

test('a line per step with the elapsed seconds, and the end', () => {
  const t = terminal(true);
  let now = 1_000;
  const progress = createProgress('bench', { stream: t.stream, now: () => now });
  progress.step('synthesizing the stacks');
  now += 12_340;
  progress.step('cold init');
  now += 500;
  progress.done();
  expect(t.lines).toEqual(['bench [0.0 s] synthesizing the stacks\n', 'bench [12.3 s] cold init\n', 'bench [12.8 s] done\n']);
  expect(progress.elapsedSeconds()).toBeCloseTo(12.84);
});

test.each([
  ['not a terminal', false, {}],
  ['--quiet', true, { quiet: true }],
  ['--quiet even when forced', false, { quiet: true, force: true }],
])('quiet: %s', (_, isTTY, options) => {
  const t = terminal(isTTY);
  createProgress('bench', { ...options, stream: t.stream }).step('work');
  expect(t.lines).toEqual([]);
});

test('force writes off a terminal too', () => {
  const t = terminal(false);
  createProgress('bench', { force: true, stream: t.stream, now: () => 0 }).step('work');
  expect(t.lines).toEqual(['bench [0.0 s] work\n']);
});
