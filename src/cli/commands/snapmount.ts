import { snapmount, snapunmount } from '../../api/snapmount.js';
import { DsgError } from '../../errors/DsgError.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';

export async function run({ out, progress }: CommandIO, dir: string | undefined, o: { snapshot: string; mountpoint?: string }): Promise<number | void> {
  // --mountpoint is the old spelling of the [dir] argument (docs/cli.md).
  if (dir !== undefined && o.mountpoint !== undefined && dir !== o.mountpoint) throw new DsgError('USAGE', `snapmount: two folders given (${dir} and --mountpoint ${o.mountpoint}); give one.`, { exitCode: 2 });
  const r = await snapmount({ snapshot: o.snapshot, mountpoint: dir ?? o.mountpoint, progress });
  out.result(r);
  if (r.method === 'mounted') {
    out.say(`Snapshot ${r.snapshot} is mounted read-only at ${r.mountpoint}: ${r.files} files (${formatBytes(r.bytes)}), ${r.links} links.`);
    out.say(`To unmount it: dsg snapunmount ${r.mountpoint}`);
  } else {
    out.say(`Snapshot ${r.snapshot} is in ${r.mountpoint}: ${r.files} files (${formatBytes(r.bytes)}), ${r.links} links, all verified, read-only.`);
    out.say(`To remove it: chmod -R u+w ${r.mountpoint} && rm -rf ${r.mountpoint}`);
  }
}

export async function runUnmount({ out }: CommandIO, dir: string): Promise<number | void> {
  const r = await snapunmount({ mountpoint: dir });
  out.result(r);
  out.say(`Unmounted ${r.mountpoint}.`);
}
