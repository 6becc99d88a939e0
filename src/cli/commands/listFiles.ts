import { listFiles } from '../../api/listFiles.js';
import { DsgError } from '../../errors/DsgError.js';
import { formatBytes } from '../output.js';
import { porcelainField } from '../printable.js';
import type { CommandIO } from '../run.js';

/**
 * --porcelain: one record per entry, tab-separated, stable for scripts:
 *   file <TAB> size in bytes <TAB> xxh3 <TAB> mtime <TAB> user <TAB> path
 *   link <TAB> - <TAB> - <TAB> - <TAB> user <TAB> path <TAB> target
 * ending in a newline, or with -0 in a NUL (paths as they are). Without -0, a path or target
 * holding a tab, a line break, a backslash, a double quote or another invisible character is
 * written as a JSON string (quoted), like git's quoted paths (porcelainField).
 */
function field(text: string, nul: boolean): string {
  return nul ? text : porcelainField(text);
}

export async function run({ out, flags }: CommandIO, o: { path?: string; all?: boolean; porcelain?: boolean; null?: boolean }): Promise<number | void> {
  const porcelain = o.porcelain || o.null;
  if (porcelain && flags.json) throw new DsgError('USAGE', 'list-files: --porcelain/-0 and --json are two machine-readable forms; use one of them.', { exitCode: 2 });
  const r = await listFiles({ path: o.path, all: o.all });
  if (porcelain) {
    const end = o.null ? '\0' : '\n';
    const nul = o.null === true;
    const lines: string[] = [];
    for (const e of r.files) {
      if (e.type === 'file') lines.push(['file', String(e.filesize), e.hash, e.mtime, field(e.user, nul), field(e.path, nul)].join('\t') + end);
      else lines.push(['link', '-', '-', '-', field(e.user, nul), field(e.path, nul), field(e.reference, nul)].join('\t') + end);
    }
    process.stdout.write(lines.join(''));
    return;
  }
  out.result(r);
  for (const e of r.files) {
    // The size is one field ("1.2MiB"), so `awk '{print $1}'` and friends see it whole.
    if (e.type === 'file') out.say(`${formatBytes(e.filesize).replace(' ', '').padStart(9)}  ${e.hash}  ${e.mtime}  ${e.user.padEnd(22)} ${e.path}`);
    else out.say(`${'link'.padStart(9)}  ${''.padEnd(16)}  ${''.padEnd(25)}  ${e.user.padEnd(22)} ${e.path} -> ${e.reference}`);
  }
  for (const p of r.ignored ?? []) out.say(`  ignored  ${p}`);
  for (const s of r.skipped ?? []) out.say(`  skipped  ${s.path} (${s.reason})`);
}
