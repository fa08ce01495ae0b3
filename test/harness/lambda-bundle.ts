/**
 * Bundles the handlers with esbuild the way NodejsFunction does, in a child process
 * (esbuild's JS API trips over jest's separate VM realm), and reports sizes and the
 * metafile's import graph.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

export const ROOT = path.join(__dirname, '..', '..');

export interface BundleOptions {
  /** `esm` as lib/constructs/pipeline-function.ts bundles today; `cjs` to run the output in a plain `require`. */
  readonly format: 'esm' | 'cjs';
  /** Leave the AWS SDK out (the runtime's own copy) instead of bundling it. */
  readonly sdkExternal: boolean;
  /** Write the bundle here (otherwise only measured). */
  readonly outfile?: string;
}

export interface BundleReport {
  readonly bytes: number;
  /** esbuild's metafile inputs: for each input, what it imports and how (`import-statement`, `dynamic-import`, ...). */
  readonly inputs: Record<string, { bytes: number; imports: { path: string; kind: string; external?: boolean }[] }>;
  /** Bytes each input contributes to the output. */
  readonly bytesInOutput: Record<string, number>;
}

export function bundleHandler(entry: string, options: BundleOptions): BundleReport {
  const script = `
    const esbuild = require('esbuild');
    const [entry, format, sdkExternal, outfile] = process.argv.slice(1);
    const result = esbuild.buildSync({
      entryPoints: [entry],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format,
      mainFields: ['module', 'main'],
      external: sdkExternal === 'true' ? ['@aws-sdk/*'] : [],
      banner: format === 'esm' ? { js: "import{createRequire as __cr}from'module';const require=__cr(import.meta.url);" } : undefined,
      metafile: true,
      logLevel: 'error',
      write: Boolean(outfile),
      outfile: outfile || 'bundle.js',
    });
    const output = Object.values(result.metafile.outputs)[0];
    const bytesInOutput = Object.fromEntries(Object.entries(output.inputs).map(([k, v]) => [k, v.bytesInOutput]));
    process.stdout.write(JSON.stringify({ bytes: output.bytes, inputs: result.metafile.inputs, bytesInOutput }));
  `;
  const stdout = execFileSync(
    process.execPath,
    ['-e', script, path.join(ROOT, 'lambda', entry, 'index.ts'), options.format, String(options.sdkExternal), options.outfile ?? ''],
    {
      cwd: ROOT,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout) as BundleReport;
}
