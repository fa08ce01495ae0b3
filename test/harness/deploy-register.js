/**
 * Loads the bin/ commands' TypeScript with SWC alone. `ts-node` (what the npm scripts use)
 * loads the TypeScript compiler on every start, which costs about a second per command run;
 * the tests run the commands dozens of times, so they transpile the same sources this way.
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
