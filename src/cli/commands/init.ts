import type { Command } from 'commander';
import { init } from '../../api/init.js';
import { DsgError } from '../../errors/DsgError.js';
import { action, examples } from '../run.js';
import { printTransaction } from './sync.js';

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

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description('create the repository from the working copy as snapshot s1')
    .option('-m, --message <text>', 'snapshot message', 'Initial snapshot')
    .option('--name <name>', 'project name (writes .dsgconfig.yml when none exists)')
    .option('--repo-type <type>', 'repository type: xfs (a POSIX directory) or zfs (a dataset <pool>/<name>)', 'xfs')
    .option('--pool <pool>', 'with --repo-type zfs: the pool or parent dataset holding the projects\' datasets')
    .option('--host <host>', 'repository host', 'localhost')
    .option('--mountpoint <dir>', 'directory that holds repositories (the repository is <dir>/<name>)')
    .option('--data-dirs <list>', 'comma-separated data directory names', 'input,output,frozen')
    .option('--normalize', 'rename invalid paths to a valid form (reported) instead of refusing')
    .option('--force', 'override the safety rails')
    .option('--dry-run', 'show what would be uploaded; write nothing at all')
    .action(
      action(async ({ out, progress }, o: InitFlags) => {
        let writeConfig;
        if (o.name !== undefined || o.mountpoint !== undefined) {
          if (!o.name || !o.mountpoint) throw new DsgError('USAGE', 'init: --name and --mountpoint go together (they describe the repository to create).', { exitCode: 2 });
          if (o.repoType !== 'xfs' && o.repoType !== 'zfs') throw new DsgError('NOT_IMPLEMENTED', `init: --repo-type ${o.repoType} is not supported by this version yet; use xfs (a POSIX directory) or zfs.`);
          if ((o.repoType === 'zfs') !== (o.pool !== undefined)) throw new DsgError('USAGE', 'init: --pool goes with --repo-type zfs (the dataset is <pool>/<name>, mounted at <mountpoint>/<name>).', { exitCode: 2 });
          writeConfig = { name: o.name, host: o.host ?? 'localhost', mountpoint: o.mountpoint, pool: o.pool, dataDirs: (o.dataDirs ?? '').split(',').map((s) => s.trim()).filter(Boolean) };
        }
        const r = await init({ message: o.message, dryRun: o.dryRun, force: o.force, normalize: o.normalize, writeConfig, progress });
        out.result(r);
        if (r.configWritten) out.say(`wrote ${r.configWritten}`);
        printTransaction(out, r);
        if (!r.dryRun) out.say(`Repository: ${r.repository}`);
      }),
    );
  examples(cmd, [
    'dsg init                      # uses the .dsgconfig.yml in this folder',
    'dsg init --name survey --mountpoint /srv/repos -m "first import"',
    'dsg init --name survey --repo-type zfs --pool tank/repos --mountpoint /tank/repos',
    'dsg init --dry-run --json',
  ]);
}
