// Cold-init probe: a fresh Node process that imports one bundle (argv[2]) and exits, or,
// without an argument, the same process doing nothing: the bare start it is compared with.
// Prints the in-process time of the import and the CPU time (user + system, all of the
// process's threads: V8 compiles and collects garbage on threads of its own) it took.
// Plain JavaScript: no loader in between. Both figures are taken before the probe first
// touches process.stdout, whose set-up is the probe's cost, not the bundle's.
import { pathToFileURL } from 'node:url';

const cpuBefore = process.cpuUsage();
const started = performance.now();
const file = process.argv[2];
let mod;
if (file) mod = await import(pathToFileURL(file).href);
const importMs = performance.now() - started;
const cpu = process.cpuUsage(cpuBefore);
if (file && typeof mod.handler !== 'function') {
  process.stderr.write(`no handler exported by ${file}\n`);
  process.exit(3);
}
process.stdout.write(JSON.stringify({ importMs, importCpuMs: (cpu.user + cpu.system) / 1000 }));
