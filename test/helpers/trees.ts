/** Snapshots of folders for byte-for-byte comparisons in tests. */
import { chmodSync, existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { xxh3Hex } from '../../src/manifest/hash.js';

/** path → "file:<hash>" or "link:<target>", skipping .dsg, .dsgconfig.yml and anything hidden. */
export function treeState(root: string, opts: { includeHidden?: boolean } = {}): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      if (!opts.includeHidden && name.startsWith('.')) continue;
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs, r);
      else if (st.isSymbolicLink()) out[r] = `link:${readlinkSync(abs)}`;
      else out[r] = `file:${xxh3Hex(readFileSync(abs))}`;
    }
  };
  walk(root, '');
  return out;
}

/** Every file under a folder, hidden ones included, with content: for "nothing changed" checks. */
export function fullState(root: string): Record<string, string> {
  return treeState(root, { includeHidden: true });
}

/** Make a read-only tree (a snapmount copy, a materialised snapshot) removable again. */
export function makeWritable(dir: string): void {
  if (!existsSync(dir)) return;
  chmodSync(dir, 0o755);
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    if (d.isDirectory()) makeWritable(join(dir, d.name));
    else if (d.isFile()) chmodSync(join(dir, d.name), 0o644);
  }
}
