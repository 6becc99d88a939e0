import { init } from '../../api/init.js';
import { DsgError } from '../../errors/DsgError.js';
import type { CommandIO } from '../run.js';
import { fileLister, printTransaction } from './sync.js';

interface InitFlags {
  message?: string;
  dryRun?: boolean;
  force?: boolean;
  normalize?: boolean;
  name?: string;
  host?: string;
  mountpoint?: string;
  repoType?: string;
  pool?: string;
  dataDirs?: string;
}

export async function run({ out, progress }: CommandIO, o: InitFlags): Promise<number | void> {
  let writeConfig;
  if (o.name !== undefined || o.mountpoint !== undefined) {
    if (!o.name || !o.mountpoint) throw new DsgError('USAGE', 'init: --name and --mountpoint go together (they describe the repository to create).', { exitCode: 2 });
    if (o.repoType !== 'xfs' && o.repoType !== 'zfs') throw new DsgError('NOT_IMPLEMENTED', `init: --repo-type ${o.repoType} is not supported by this version yet; use xfs (a POSIX directory) or zfs.`);
    if ((o.repoType === 'zfs') !== (o.pool !== undefined)) throw new DsgError('USAGE', 'init: --pool goes with --repo-type zfs (the dataset is <pool>/<name>, mounted at <mountpoint>/<name>).', { exitCode: 2 });
    writeConfig = { name: o.name, host: o.host ?? 'localhost', mountpoint: o.mountpoint, pool: o.pool, dataDirs: (o.dataDirs ?? '').split(',').map((s) => s.trim()).filter(Boolean) };
  }
  const r = await init({ message: o.message, dryRun: o.dryRun, force: o.force, normalize: o.normalize, writeConfig, progress, onNotice: (m) => out.warn(m), onFile: fileLister(out) });
  out.result(r);
  if (r.configWritten) out.say(`wrote ${r.configWritten}`);
  printTransaction(out, r);
  if (!r.dryRun) out.say(`Repository: ${r.repository}`);
}
