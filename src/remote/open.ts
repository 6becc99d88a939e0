/**
 * From a project config to the RemoteFilesystem that serves it: picks the backend by
 * repository type and the transport by host. Backends not built yet say so and fail.
 */
import { repositoryLocation, type ProjectConfig } from '../config/projectConfig.js';
import { DsgError } from '../errors/DsgError.js';
import { LocalTransport } from '../transport/local/LocalTransport.js';
import { PosixRemote } from './posix/PosixRemote.js';
import { ZfsRemote } from './zfs/ZfsRemote.js';
import type { RemoteFilesystem } from './RemoteFilesystem.js';

export function openRemote(config: ProjectConfig): RemoteFilesystem {
  const loc = repositoryLocation(config);
  const r = config.repository;
  if (r.type === 'xfs' && loc.transport === 'local') return new PosixRemote(new LocalTransport(), loc.path);
  if (r.type === 'zfs' && loc.transport === 'local') return new ZfsRemote(new LocalTransport(), { pool: r.pool, name: config.name, mountpoint: r.mountpoint });
  const what = loc.transport === 'ssh' ? `type ${config.repository.type} over SSH (host ${loc.host})` : `type ${config.repository.type}`;
  throw new DsgError(
    'NOT_IMPLEMENTED',
    `Repositories of ${what} are not supported by this version of dsg yet; only repositories on this machine are: {type: xfs, host: localhost, mountpoint} and {type: zfs, host: localhost, pool, mountpoint}. Check "repository" in .dsgconfig.yml.`,
  );
}
