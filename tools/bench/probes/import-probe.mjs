// Cold-init probe: a fresh Node process that imports one bundle (argv[2]) and exits, or,
// without an argument, the same process doing nothing: the bare start it is compared with.
// Prints the in-process time of the import. Plain JavaScript: no loader in between.
import { pathToFileURL } from 'node:url';

const started = performance.now();
const file = process.argv[2];
if (file) {
  const mod = await import(pathToFileURL(file).href);
  if (typeof mod.handler !== 'function') {
    process.stderr.write(`no handler exported by ${file}\n`);
    process.exit(3);
  }
}
process.stdout.write(JSON.stringify({ importMs: performance.now() - started }));
