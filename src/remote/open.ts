/**
 * From a project config to the RemoteFilesystem that serves it: picks the backend by
 * repository type and the transport by host (this machine: direct file system calls; any
 * other host: SSH, resolved like `ssh <host>` through ~/.ssh/config). The backend code is the
 * same over both transports. Backends not built yet say so and fail.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';
import { repositoryLocation, type ProjectConfig } from '../config/projectConfig.js';
import type { UserConfig } from '../config/userConfig.js';
import { ConfigError } from '../errors/ConfigError.js';
import { DsgError } from '../errors/DsgError.js';
import { LocalTransport } from '../transport/local/LocalTransport.js';
import { openSshTransport } from '../transport/ssh/SshTransport.js';
import type { Transport } from '../transport/Transport.js';
import { IpfsStore } from './objects/ipfs/IpfsStore.js';
import { ObjectRemote } from './objects/ObjectRemote.js';
import { RcloneStore, rcloneRoot } from './objects/rclone/RcloneStore.js';
import { ResilientStore } from './objects/resilient.js';
import { S3Store } from './objects/s3/S3Store.js';
import { PosixRemote } from './posix/PosixRemote.js';
import { ZfsRemote } from './zfs/ZfsRemote.js';
import type { RemoteFilesystem } from './RemoteFilesystem.js';

export function openRemote(config: ProjectConfig, user?: Pick<UserConfig, 'ssh' | 'rclone' | 'ipfs'>): RemoteFilesystem {
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
  if (r.type === 'ipfs') {
    return new ObjectRemote(new ResilientStore(openIpfsStore(config, user)), `ipfs ${r.did} (blockstore ${r.blockstore})`);
  }
  throw new DsgError(
    'NOT_IMPLEMENTED',
    `Repositories of type ${r.type} are not supported by this version of dsg yet; POSIX directories (type xfs) and ZFS datasets (type zfs) are, on this machine or over SSH, S3 buckets (type s3), rclone remotes (type rclone) and IPFS blockstores (type ipfs). Check "repository" in .dsgconfig.yml.`,
  );
}

/** An encrypted IPFS repository's passphrase: DSG_IPFS_PASSPHRASE, else the file dsg.yml names (one trailing newline dropped). */
function ipfsPassphrase(file: string | undefined): string | null {
  const env = process.env.DSG_IPFS_PASSPHRASE;
  if (env !== undefined && env !== '') return env;
  if (file === undefined) return null;
  try {
    const text = readFileSync(file, 'utf8');
    if (text.length > 4096) throw new Error('longer than 4096 characters');
    return text.replace(/\r?\n$/, '');
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `ipfs.passphrase_file in your dsg.yml names ${file}, which cannot be read: ${(err as Error).message}`);
  }
}

/** The blockstore of a project whose repository is of type ipfs (see IpfsStore). */
export function openIpfsStore(config: ProjectConfig, user?: Pick<UserConfig, 'ipfs'>): IpfsStore {
  const r = config.repository;
  if (r.type !== 'ipfs') throw new DsgError('USAGE', `this works on IPFS repositories (repository.type ipfs); this project's repository is of type ${r.type}.`, { exitCode: 2 });
  if (r.api !== undefined) {
    throw new DsgError('NOT_IMPLEMENTED', `repository.api (${r.api}): reaching a Kubo node over its RPC is not supported by this version of dsg; remove "api" and use the embedded blockstore (repository.blockstore). A snapshot can be handed to any IPFS node as a CAR file: dsg car export.`);
  }
  if (r.blockstore === undefined) {
    throw new ConfigError('CONFIG_INVALID', `.dsgconfig.yml: repository.blockstore is required for type ipfs: the folder holding the team's blockstore, e.g. repository: {type: ipfs, did: "${r.did}", blockstore: /shared/dsg-blockstore}`);
  }
  return new IpfsStore({ blockstore: r.blockstore, did: r.did, encrypted: r.encrypted, passphrase: () => ipfsPassphrase(user?.ipfs?.passphrase_file) });
}
