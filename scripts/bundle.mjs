#!/usr/bin/env node
/**
 * Bundle the command line (run by `npm run build` after tsc): dist/bin/dsg.js and a few chunks.
 *
 * Why: every dsg command paid ~0.3 s of CPU to load ~250 module files one by one (zod alone is
 * 95 ESM files, yaml 72 CommonJS ones); the same code in a handful of files starts in about
 * half the time (docs/performance.md, "Start-up"). Input is tsc's output (dist/src), so the
 * bundle runs exactly the code the type checker saw and the unit tests import. Code splitting
 * keeps each command's lazy import lazy: `dsg --version` still loads no backend.
 *
 * Left outside the bundle: native addons (xxhash, lz4) and packages that load native or
 * optional parts by path at run time (ssh2), and the AWS SDK (large, loaded only for S3);
 * they are resolved from node_modules as before.
 */
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'bin');
rmSync(out, { recursive: true, force: true });

await build({
  absWorkingDir: root,
  // The scan's worker is a second entry: src/scan/parallel.ts starts it as ./scanWorker.js next
  // to the code that imports it, and every output file lands in the same folder.
  entryPoints: { dsg: 'dist/src/cli/main.js', scanWorker: 'dist/src/scan/scanWorker.js' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: true,
  external: ['ssh2', '@aws-sdk/*', '@node-rs/xxhash', 'lz4-napi'],
  // CommonJS dependencies inside an ES module bundle call require(): give them Node's.
  banner: { js: "import { createRequire as __dsgCreateRequire } from 'node:module'; const require = __dsgCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
