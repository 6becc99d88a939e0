/**
 * From a project config to the RemoteFilesystem that serves it: picks the backend by
 * repository type and the transport by host (this machine: direct file system calls; any
 * other host: SSH, resolved like `ssh <host>` through ~/.ssh/config). The backend code is the
 * same over both transports. Backends not built yet say so and fail.
 */
import { posix } from 'node:path';
import { repositoryLocation, type ProjectConfig } from '../config/projectConfig.js';
import type { UserConfig } from '../config/userConfig.js';
import { DsgError } from '../errors/DsgError.js';
import { LocalTransport } from '../transport/local/LocalTransport.js';
import { openSshTransport } from '../transport/ssh/SshTransport.js';
import type { Transport } from '../transport/Transport.js';
import { ObjectRemote } from './objects/ObjectRemote.js';
import { RcloneStore, rcloneRoot } from './objects/rclone/RcloneStore.js';
import { ResilientStore } from './objects/resilient.js';
import { S3Store } from './objects/s3/S3Store.js';
import { PosixRemote } from './posix/PosixRemote.js';
import { ZfsRemote } from './zfs/ZfsRemote.js';
import type { RemoteFilesystem } from './RemoteFilesystem.js';

export function openRemote(config: ProjectConfig, user?: Pick<UserConfig, 'ssh' | 'rclone'>): RemoteFilesystem {
  const loc = repositoryLocation(config);
  const r = config.repository;
  if ((r.type === 'xfs' || r.type === 'zfs') && (loc.transport === 'local' || loc.transport === 'ssh')) {
    const transport: Transport = loc.transport === 'local' ? new LocalTransport() : openSshTransport(loc.host!, { keyPath: user?.ssh?.key_path });
    if (r.type === 'xfs') return new PosixRemote(transport, loc.path);
    return new ZfsRemote(transport, { pool: r.pool, name: config.name, mountpoint: r.mountpoint });
  }
  if (r.type === 's3') {
    // The repository of project <name> lives under <prefix>/<name>/ in the bucket.
    const prefix = [r.prefix.replace(/^\/+|\/+$/g, ''), config.name].filter(Boolean).join('/');
    const store = new S3Store({ bucket: r.bucket, prefix, endpoint: r.endpoint, region: r.region });
    return new ObjectRemote(new ResilientStore(store), `s3://${r.bucket}/${prefix}`);
  }
  if (r.type === 'rclone') {
    // The repository of project <name> lives at <path>/<name> under the remote.
    const path = posix.join(r.path, config.name);
    const store = new RcloneStore({ remote: r.remote, path, configPath: user?.rclone?.config_path });
    return new ObjectRemote(new ResilientStore(store), rcloneRoot(r.remote, path));
  }
  throw new DsgError(
    'NOT_IMPLEMENTED',
    `Repositories of type ${r.type} are not supported by this version of dsg yet; POSIX directories (type xfs) and ZFS datasets (type zfs) are, on this machine or over SSH, S3 buckets (type s3) and rclone remotes (type rclone). Check "repository" in .dsgconfig.yml.`,
  );
}
