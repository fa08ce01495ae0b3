/**
 * `node -r test/harness/swc-register.js tools/x/main.ts`: runs a tool's TypeScript transpiled by
 * SWC alone, for the tests that start the tools as processes. `tsx` (what the npm scripts use)
 * costs about a second more per start; the tests start the tools dozens of times.
 */
const fs = require('fs');
const { transformSync } = require('@swc/core');

require.extensions['.ts'] = function compileTypeScript(module, filename) {
  const { code } = transformSync(fs.readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};
