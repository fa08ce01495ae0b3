/**
 * Runs a construction or a synth with Node's default stack depth (10 frames). CDK records a
 * stack trace with every acknowledged rule (construct metadata, never in a template); jest's node
 * environment raises the depth to 100 frames (jest-environment-node: `Error.stackTraceLimit = 100`)
 * and maps each frame through the tests' source maps, which costs a tenth of a synth's CPU or
 * more (measured here). A test's own failures keep jest's depth.
 */
export function atNodeStackDepth<T>(run: () => T): T {
  const jestDepth = Error.stackTraceLimit;
  Error.stackTraceLimit = 10;
  try {
    return run();
  } finally {
    Error.stackTraceLimit = jestDepth;
  }
}
