import { validateFile, type Comparison, type LocalState } from '../../api/validateFile.js';
import { printable } from '../printable.js';
import type { CommandIO } from '../run.js';

function local(l: LocalState): string {
  if (l.type === 'file') return `hash ${l.hash}, ${l.filesize} bytes`;
  if (l.type === 'link') return `link -> ${l.reference}`;
  return 'not in the working copy';
}

function line(label: string, c: Comparison): string {
  const where = c.snapshot ? ` (${c.snapshot})` : '';
  const what: Record<Comparison['status'], string> = {
    match: 'matches',
    differs: `DIFFERS: ${c.entry?.type === 'file' ? `recorded hash ${c.entry.hash}, ${c.entry.filesize} bytes` : c.entry?.type === 'link' ? `recorded link -> ${c.entry.reference}` : ''}`,
    'not-in-manifest': 'NOT RECORDED there',
    'missing-locally': 'recorded there but MISSING locally',
    unavailable: `cannot compare: ${c.error ?? ''}`,
  };
  return `  ${label}${where}: ${what[c.status]}`;
}

export async function run({ out }: CommandIO, file: string): Promise<number | void> {
  const r = await validateFile({ file });
  out.result(r);
  out.say(`${r.path}: ${local(r.local)}${r.tracked ? '' : ' (not a tracked path)'}`);
  out.say(line('last sync   ', r.cache));
  out.say(line('repository  ', r.remote));
  if (r.ok) {
    out.say('OK');
    return 0;
  }
  const bad = [r.cache.status !== 'match' ? `the last sync (${r.cache.status})` : '', r.remote.status !== 'match' ? `the repository (${r.remote.status})` : ''].filter(Boolean).join(' and ');
  process.stderr.write(`dsg: ${printable(r.path)} does not match ${bad}. "dsg status" shows what sync would do about it; "dsg snapfetch ${printable(r.path)} -n <sN>" gets a recorded version.\n`);
  return 1;
}
