/**
 * A preload for the CLI under test (`NODE_OPTIONS=--import <this file's URL>`): counts the
 * bytes dsg reads, through `fs.promises` file handles and `readFileSync`, from files whose
 * path ends with DSG_TEST_COUNT_READS_OF, and writes the total to DSG_TEST_COUNT_READS_TO at exit. Test-only
 * instrumentation from outside: dsg itself has no hook for it.
 */
import fs, { promises as fsp, writeFileSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

const suffix = process.env.DSG_TEST_COUNT_READS_OF;
const out = process.env.DSG_TEST_COUNT_READS_TO;
if (suffix && out) {
  let bytes = 0;
  let opens = 0;
  const open = fsp.open.bind(fsp);
  (fsp as { open: typeof fsp.open }).open = async (...args: Parameters<typeof fsp.open>) => {
    const fh = await open(...args);
    if (String(args[0]).endsWith(suffix)) {
      opens++;
      const read = fh.read.bind(fh) as (...a: unknown[]) => Promise<{ bytesRead: number }>;
      (fh as unknown as { read: (...a: unknown[]) => Promise<unknown> }).read = async (...a: unknown[]) => {
        const r = await read(...a);
        bytes += r.bytesRead;
        return r;
      };
    }
    return fh;
  };
  const readFileSync = fs.readFileSync;
  fs.readFileSync = ((...args: Parameters<typeof fs.readFileSync>) => {
    const data = readFileSync(...args);
    if (String(args[0]).endsWith(suffix)) {
      opens++;
      bytes += typeof data === 'string' ? Buffer.byteLength(data) : data.length;
    }
    return data;
  }) as typeof fs.readFileSync;
  syncBuiltinESMExports(); // `import { readFileSync } from 'node:fs'` in dsg's modules sees it
  process.on('exit', () => writeFileSync(out, JSON.stringify({ opens, bytes })));
}
