import { snapfetch } from '../../api/snapfetch.js';
import { DsgError } from '../../errors/DsgError.js';
import { formatBytes } from '../output.js';
import { printable } from '../printable.js';
import type { CommandIO } from '../run.js';

export async function run({ out, flags }: CommandIO, file: string, o: { snapshot: string; output?: string; overwrite?: boolean; force?: boolean }): Promise<number | void> {
  const toStdout = o.output === '-';
  if (toStdout && flags.json) throw new DsgError('USAGE', 'snapfetch: -o - writes the file to standard output, where --json would print too; use one of them.', { exitCode: 2 });
  const r = await snapfetch({ file, snapshot: o.snapshot, out: toStdout ? process.stdout : o.output, force: o.overwrite || o.force });
  if (toStdout) {
    if (!flags.quiet) process.stderr.write(`${printable(r.path)} as of ${r.snapshot}: ${formatBytes(r.bytes)} written to standard output (hash ${r.hash} verified).\n`);
    return;
  }
  out.result(r);
  out.say(`Wrote ${r.path} as of ${r.snapshot} to ${r.out} (${formatBytes(r.bytes)}, hash ${r.hash} verified).`);
  if (r.tracked) out.warn(`${r.out} lies in a data folder of this project: the next "dsg sync" would add it. Move it elsewhere if it should not be shared.`);
}
