/**
 * From a project config to the RemoteFilesystem that serves it: picks the backend by
 * repository type and the transport by host (this machine: direct file system calls; any
 * other host: SSH, resolved like `ssh <host>` through ~/.ssh/config). The backend code is the
 * same over both transports. Backends not built yet say so and fail.
 */
import { repositoryLocation, type ProjectConfig } from '../config/projectConfig.js';
import type { UserConfig } from '../config/userConfig.js';
import { DsgError } from '../errors/DsgError.js';
import { LocalTransport } from '../transport/local/LocalTransport.js';
import { openSshTransport } from '../transport/ssh/SshTransport.js';
import type { Transport } from '../transport/Transport.js';
import { PosixRemote } from './posix/PosixRemote.js';
import { ZfsRemote } from './zfs/ZfsRemote.js';
import type { RemoteFilesystem } from './RemoteFilesystem.js';

export function openRemote(config: ProjectConfig, user?: Pick<UserConfig, 'ssh'>): RemoteFilesystem {
  const loc = repositoryLocation(config);
  const r = config.repository;
  if ((r.type === 'xfs' || r.type === 'zfs') && (loc.transport === 'local' || loc.transport === 'ssh')) {
    const transport: Transport = loc.transport === 'local' ? new LocalTransport() : openSshTransport(loc.host!, { keyPath: user?.ssh?.key_path });
    if (r.type === 'xfs') return new PosixRemote(transport, loc.path);
    return new ZfsRemote(transport, { pool: r.pool, name: config.name, mountpoint: r.mountpoint });
  }
  throw new DsgError(
    'NOT_IMPLEMENTED',
    `Repositories of type ${r.type} are not supported by this version of dsg yet; POSIX directories (type xfs) and ZFS datasets (type zfs) are, on this machine or over SSH. Check "repository" in .dsgconfig.yml.`,
  );
}
