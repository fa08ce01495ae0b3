#!/usr/bin/env node
/**
 * Restores the lock entries of platform-specific optional packages (native bindings for
 * other operating systems and CPUs) that npm leaves out of package-lock.json when it cannot
 * fetch them for this machine (npm/cli#4828; the registry mirror here serves only some
 * platforms). `npm ci` refuses a lock without them, on every platform.
 *
 * Each restored entry carries its version (from the parent's optionalDependencies) and the
 * os/cpu/libc read from its name, so npm skips it on other platforms without fetching it.
 * Run after any `npm install` that changed the lock: `npm run lockfile:restore`.
 */
const fs = require('fs');
const path = require('path');

const LOCK = path.join(__dirname, '..', '..', 'package-lock.json');
const OS = ['darwin', 'linux', 'win32', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'ppc64', 'riscv64', 's390x', 'loong64', 'mips64el', 'wasm32'];

/** os, cpu and libc from a binding's name such as `core-linux-arm64-musl` or `binding-win32-x64-msvc`. */
function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!cpu) return undefined;
  const libc = os === 'linux' ? (parts.includes('musl') || parts.includes('musleabihf') ? 'musl' : 'glibc') : undefined;
  return { ...(os ? { os: [os] } : {}), cpu: [cpu], ...(libc ? { libc: [libc] } : {}) };
}

const lock = JSON.parse(fs.readFileSync(LOCK, 'utf8'));
const packages = lock.packages;
const restored = [];
for (const [location, entry] of Object.entries(packages)) {
  for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
    const target = `node_modules/${name}`;
    if (packages[target]) continue;
    const platform = platformOf(name);
    if (!platform) continue; // not a platform binding: leave npm's decision alone
    packages[target] = { version, dev: entry.dev || undefined, optional: true, ...platform };
    restored.push(`${name}@${version} (for ${location || 'root'})`);
  }
}
const sorted = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
lock.packages = sorted;
fs.writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
console.log(
  restored.length
    ? `restored ${restored.length} platform entries:\n  ${restored.join('\n  ')}`
    : 'lock already lists every platform binding',
);
