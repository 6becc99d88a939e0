/**
 * The ZFS repository (`type: zfs`): the dataset `<pool>/<name>`, mounted at
 * `<mountpoint>/<name>`, on any Transport (this machine, or a file server over SSH).
 *
 * Publish scheme, and why (measured on zfs-fuse, docs/design/zfs.md): the dataset holds
 * exactly the POSIX layout (this class extends PosixRemote and reuses all of it), the commit
 * point is the same manifest rename, and the roll-forward ends with
 * `zfs snapshot -o dsg:snapshot_hash=<hash> <pool>/<name>@sN`. The design's other pattern —
 * clone the current snapshot, write into the clone, promote and rename it at commit — was
 * measured too and rejected: a rename needs both datasets unmounted, so the repository vanishes
 * for readers for ~160 ms at every commit, no commit is possible while anyone has a file open or
 * a shell in the repository, and the five dataset operations have no single commit point.
 * `zfs rollback` is never used either (it aborts Node readers and gives writers EIO on zfs-fuse,
 * would bring back an old writer's lock, and discards what others wrote since). Rolling back a
 * transaction before the commit point is the POSIX one (remove its staging), so no clone,
 * temporary dataset or temporary snapshot exists to leak.
 *
 * Exactly one @sN per snapshot: the snapshot is taken before the staging and its journal are
 * removed, so a crash before or during `zfs snapshot` is finished by recovery, and a rerun that
 * finds @sN already there with the same dsg:snapshot_hash does nothing. An @sN with no such
 * property (made by an administrator or an older tool) or another hash is never destroyed or
 * adopted: the command fails and names it. @sN therefore also holds `.dsg/lock.json` and the
 * journal of the transaction that made it; dsg reads only the data tree from a snapshot.
 *
 * zfs-fuse renames are not atomic for readers (ENOENT for a few ms while a file is replaced), so
 * metadata reads that find nothing retry briefly before concluding that the file is absent.
 *
 * History: every snapshot's manifest is in `.dsg/archive/` and every content in `.dsg/objects/`
 * (sharing blocks with @sN, so they cost no extra space); @sN is each snapshot's browsable tree:
 * `snapmount` mounts a read-only clone of it, `validate-snapshot --deep` compares it with the
 * snapshot's manifest, and content missing from objects/ is read from it.
 */
import { createHash, randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { DsgError } from '../../errors/DsgError.js';
import { RemoteError } from '../../errors/RemoteError.js';
import type { FileEntry, Manifest } from '../../manifest/types.js';
import { processIsRunning } from '../../platform/processIdentity.js';
import { reachStep } from '../../protocol/steps.js';
import type { Transport } from '../../transport/Transport.js';
import { PosixRemote } from '../posix/PosixRemote.js';
import type { RemoteJournal } from '../journal.js';
import type { RemoteRecovery, TreeDifference } from '../RemoteFilesystem.js';
import { parseZfsList, runZfs, ZfsCommandError, zfsName } from './zfsCommand.js';

export interface ZfsLocation {
  /** Pool or parent dataset, e.g. "tank" or "tank/repos". */
  pool: string;
  /** Project name: the dataset is `<pool>/<name>`. */
  name: string;
  /** Where the pool's project datasets are mounted: the repository is `<mountpoint>/<name>`. */
  mountpoint: string;
}

/** The ZFS user property that ties @sN to the dsg snapshot it holds. */
export const SNAPSHOT_HASH_PROPERTY = 'dsg:snapshot_hash';

/**
 * Name prefixes of read-only clones of @sN, siblings of the project datasets (a child would
 * mount inside the browsable tree): `dsg-view-<name>-<sN>-<host tag>-<pid>-<random>` lives only
 * while one command reads it (recovery destroys those whose dsg process, on this machine, is gone);
 * `dsg-mount-<name>-<sN>-<random>` is a user's `snapmount`, kept until `snapmount --unmount`.
 */
const VIEW_PREFIX = 'dsg-view-';
/** This machine in view names (views of a repository on a server may come from many clients). */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8);
const MOUNT_PREFIX = 'dsg-mount-';

/** Reads of a metadata file that is being replaced: tries and pause (the longest window seen was 22 ms). */
const ABSENT_RETRIES = 10;
const ABSENT_RETRY_MS = 10;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ZfsRemote extends PosixRemote {
  readonly dataset: string;
  readonly pool: string;

  constructor(
    transport: Transport,
    readonly zfs: ZfsLocation,
  ) {
    super(transport, posix.join(zfs.mountpoint, zfs.name));
    this.pool = zfsName(zfs.pool.replace(/\/+$/, ''), 'The pool');
    this.dataset = zfsName(`${this.pool}/${zfs.name}`, 'The dataset');
  }

  private run(argv: readonly ['zfs' | 'zpool', ...string[]], retryBusy = false): Promise<string> {
    return runZfs(this.transport, argv, { retryBusy });
  }

  /** `zfs get` of one property of one dataset or snapshot; null when it does not exist. */
  private async getProperty(name: string, property: string): Promise<string | null> {
    try {
      return (await this.run(['zfs', 'get', '-H', '-o', 'value', property, name])).trim();
    } catch (err) {
      if (err instanceof ZfsCommandError && err.code === 'ZFS_NOT_FOUND') return null;
      throw err;
    }
  }

  /** The dataset's @sN snapshots made by anyone, oldest first, with their dsg:snapshot_hash ("-" when unset). */
  async listSnapshots(): Promise<{ id: string; hash: string }[]> {
    let out: string;
    try {
      out = await this.run(['zfs', 'list', '-H', '-o', `name,${SNAPSHOT_HASH_PROPERTY}`, '-t', 'snapshot', '-s', 'createtxg', '-r', this.dataset]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.code === 'ZFS_NOT_FOUND') return [];
      throw err;
    }
    const prefix = `${this.dataset}@`;
    return parseZfsList(out, 2)
      .filter(([name]) => name.startsWith(prefix))
      .map(([name, hash]) => ({ id: name.slice(prefix.length), hash }));
  }

  // ---- existence and creation ----

  override async create(opts: { force?: boolean } = {}): Promise<void> {
    const mounted = await this.getProperty(this.dataset, 'mountpoint');
    if (mounted === null) {
      // The dataset mounts where the config says even when the parent's mountpoint differs.
      const parentMount = await this.getProperty(this.pool, 'mountpoint');
      if (parentMount === null) {
        throw new RemoteError(`The pool or parent dataset ${this.pool} does not exist on ${this.transport.description}. Create it first (as the server's administrator), or fix "pool" in .dsgconfig.yml.`, { code: 'ZFS_NO_PARENT' });
      }
      // zfs create makes a missing mountpoint path itself: the same rule as a POSIX repository first.
      await this.requireMountpoint(this.zfs.mountpoint);
      const inherits = posix.join(parentMount, this.zfs.name) === this.root;
      await this.run(inherits ? ['zfs', 'create', this.dataset] : ['zfs', 'create', '-o', `mountpoint=${this.root}`, this.dataset]);
    } else {
      if (await this.transport.stat(this.p('last-sync.json'))) {
        throw new RemoteError(`A repository with snapshots already exists at ${this.location}. Use "dsg clone" to get it, or choose another name.`, { code: 'REMOTE_EXISTS' });
      }
      const inside = (await this.transport.readdir(this.root).catch(() => [])).filter((d) => d.name !== '.dsg');
      if (!opts.force || inside.length > 0 || (await this.listSnapshots()).length > 0) {
        throw new RemoteError(
          `The dataset ${this.dataset} exists already on ${this.transport.description}` +
            (inside.length > 0 || !opts.force ? ` (${inside.length} item${inside.length === 1 ? '' : 's'} in ${this.root})` : ' (it has snapshots)') +
            `. dsg never reuses or destroys a dataset that holds data. Choose another project name, or, if the dataset is empty and meant for this project, run "dsg init --force".`,
          { code: 'REMOTE_EXISTS' },
        );
      }
    }
    await this.requireMountedAtRoot();
    await super.create();
  }

  /** The dataset is mounted where the config says the repository is. */
  private async requireMountedAtRoot(): Promise<void> {
    const mountpoint = await this.getProperty(this.dataset, 'mountpoint');
    const mounted = await this.getProperty(this.dataset, 'mounted');
    if (mountpoint !== this.root) {
      throw new RemoteError(`The dataset ${this.dataset} is mounted at ${mountpoint}, but .dsgconfig.yml says the repository is ${this.root} (<mountpoint>/<name>). Fix "mountpoint" in .dsgconfig.yml, or set the dataset's mountpoint (zfs set mountpoint=${this.root} ${this.dataset}).`, {
        code: 'ZFS_MOUNTPOINT_MISMATCH',
      });
    }
    if (mounted !== 'yes') await this.run(['zfs', 'mount', this.dataset]);
  }

  // ---- reads that tolerate zfs-fuse's non-atomic rename ----

  protected override async readText(file: string, maxBytes: number): Promise<string | null> {
    for (let i = 0; ; i++) {
      const text = await super.readText(file, maxBytes);
      if (text !== null || i >= ABSENT_RETRIES || !(await super.exists())) return text;
      await sleep(ABSENT_RETRY_MS);
    }
  }

  override async readManifest(): Promise<Manifest | null> {
    const manifest = await super.readManifest();
    if (manifest === null && (await this.listSnapshots()).some((s) => /^s[1-9]\d*$/.test(s.id))) {
      throw new RemoteError(
        `${this.location}/.dsg/last-sync.json is missing, but the dataset ${this.dataset} has @sN snapshots: the repository was damaged. ` +
          `Restore .dsg/ from the newest @sN (as the server's administrator), then run "dsg validate-chain".`,
        { code: 'REMOTE_MANIFEST_MISSING' },
      );
    }
    return manifest;
  }

  // ---- the @sN snapshot, the last step of the roll-forward ----

  protected override async afterRollForward(journal: RemoteJournal): Promise<void> {
    reachStep('remote-zfs-snapshot');
    await this.ensureSnapshot(journal.new_snapshot_id, journal.new_snapshot_hash);
  }

  protected override get afterRollForwardLabel(): string {
    return `, then the ZFS snapshot ${this.dataset}@sN`;
  }

  /** Take `<dataset>@<id>` holding `hash`, or find it already taken by dsg for the same snapshot. */
  async ensureSnapshot(id: string, hash: string): Promise<void> {
    const snap = `${this.dataset}@${zfsName(id, 'The snapshot id')}`;
    if (!/^[0-9a-f]{16}$/.test(hash)) throw new RemoteError(`Invalid snapshot hash ${JSON.stringify(hash)} for ${snap}.`, { code: 'JOURNAL_INVALID' });
    try {
      await this.run(['zfs', 'snapshot', '-o', `${SNAPSHOT_HASH_PROPERTY}=${hash}`, snap]);
      return;
    } catch (err) {
      if (!(err instanceof ZfsCommandError && err.code === 'ZFS_EXISTS')) throw err;
    }
    const have = await this.getProperty(snap, SNAPSHOT_HASH_PROPERTY);
    if (have === hash) return; // a rerun after a crash: done already
    if (have === '-' || have === null) {
      throw new RemoteError(
        `The ZFS snapshot ${snap} exists but was not made by dsg (no ${SNAPSHOT_HASH_PROPERTY} property), so it cannot stand for dsg's snapshot ${id}. dsg never destroys or adopts it: ` +
          `rename or destroy it (as the server's administrator, after checking what it holds), then run "dsg recover".`,
        { code: 'ZFS_SNAPSHOT_FOREIGN' },
      );
    }
    throw new RemoteError(
      `The ZFS snapshot ${snap} holds dsg snapshot hash ${have}, but the repository's ${id} has hash ${hash}: the dataset's snapshots and its history disagree. ` +
        `Run "dsg validate-chain"; dsg never destroys a snapshot, so an administrator must decide which one is right.`,
      { code: 'ZFS_SNAPSHOT_MISMATCH' },
    );
  }

  override async hasLeftovers(): Promise<boolean> {
    return (await super.hasLeftovers()) || (await this.staleViews()).length > 0;
  }

  override async recover(): Promise<RemoteRecovery> {
    const result = await super.recover();
    for (const view of await this.staleViews()) await this.destroyView(view);
    return result;
  }

  // ---- read-only views of @sN (zfs-fuse has no .zfs/snapshot) ----

  /** Where internal views mount: a hidden folder beside the project datasets, never inside one. */
  private viewMountpoint(view: string): string {
    return posix.join(this.zfs.mountpoint, '.dsg-views', view.slice(view.lastIndexOf('/') + 1));
  }

  /**
   * A read-only clone of @<id>: a short-lived view under a hidden folder beside the datasets,
   * or, with `mountpoint`, a user's snapmount there. Its dataset name and where it is mounted.
   */
  async createView(id: string, mountpoint?: string): Promise<{ dataset: string; mountpoint: string }> {
    const snap = `${this.dataset}@${zfsName(id, 'The snapshot id')}`;
    const rand = randomBytes(4).toString('hex');
    const dataset = mountpoint === undefined ? `${this.pool}/${VIEW_PREFIX}${this.zfs.name}-${id}-${HOST_TAG}-${process.pid}-${rand}` : `${this.pool}/${MOUNT_PREFIX}${this.zfs.name}-${id}-${rand}`;
    const at = mountpoint ?? this.viewMountpoint(dataset);
    try {
      await this.run(['zfs', 'clone', '-o', 'readonly=on', '-o', `mountpoint=${at}`, snap, dataset]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.code === 'ZFS_NOT_FOUND') {
        throw new RemoteError(`The ZFS snapshot ${snap} does not exist, so the tree of ${id} cannot be opened from it. Run "dsg validate-chain".`, { code: 'ZFS_SNAPSHOT_MISSING', cause: err });
      }
      throw err;
    }
    return { dataset, mountpoint: at };
  }

  /** Unmount and destroy a view (never forced: a forced unmount hangs zfs-fuse). */
  async destroyView(dataset: string): Promise<void> {
    if (!dataset.startsWith(`${this.pool}/${VIEW_PREFIX}`) && !dataset.startsWith(`${this.pool}/${MOUNT_PREFIX}`)) throw new DsgError('ZFS_NOT_A_VIEW', `${dataset} is not a dsg view of ${this.dataset}; dsg destroys only its own views.`);
    const mountpoint = await this.getProperty(dataset, 'mountpoint');
    if (mountpoint === null) return;
    if ((await this.getProperty(dataset, 'mounted')) === 'yes') await runZfs(this.transport, ['zfs', 'umount', dataset], { retryBusy: true, attempts: 3, delayMs: 200 });
    await this.run(['zfs', 'destroy', dataset], true);
    if (mountpoint.startsWith(posix.join(this.zfs.mountpoint, '.dsg-views') + '/')) await this.transport.rmdirIfEmpty(mountpoint);
  }

  /** Views of this project whose process is gone (killed while reading history); only this host's. */
  private async staleViews(): Promise<string[]> {
    let out: string;
    try {
      out = await this.run(['zfs', 'list', '-H', '-o', 'name', '-t', 'filesystem', '-r', this.pool]);
    } catch (err) {
      if (err instanceof ZfsCommandError && err.code === 'ZFS_NOT_FOUND') return [];
      throw err;
    }
    const mine = new RegExp(`^${escapeRegExp(`${this.pool}/${VIEW_PREFIX}${this.zfs.name}-`)}s\\d+-${HOST_TAG}-(\\d+)-[0-9a-f]{8}$`);
    const stale: string[] = [];
    for (const [name] of parseZfsList(out, 1)) {
      const m = mine.exec(name);
      if (!m) continue;
      // Only views a dsg process of this machine made (the tag): the pid is checked here, where it ran.
      if (!processIsRunning(Number(m[1]))) stale.push(name);
    }
    return stale;
  }

  /** The snapmount view mounted at `mountpoint` (a folder on the repository's host), or null. */
  async findMount(mountpoint: string): Promise<string | null> {
    const out = await this.run(['zfs', 'list', '-H', '-o', 'name,mountpoint', '-t', 'filesystem', '-r', this.pool]);
    const prefix = `${this.pool}/${MOUNT_PREFIX}${this.zfs.name}-`;
    return parseZfsList(out, 2).find(([name, at]) => name.startsWith(prefix) && at === mountpoint)?.[0] ?? null;
  }

  override async mountSnapshot(snapshotId: string, dir: string): Promise<boolean> {
    // Over SSH a mount would appear on the server, not where the user asked: materialise instead.
    if (this.transport.description !== 'localhost') return false;
    await this.createView(snapshotId, dir);
    return true;
  }

  override async unmountSnapshot(dir: string): Promise<boolean> {
    const view = await this.findMount(dir);
    if (view === null) return false;
    await this.destroyView(view);
    return true;
  }

  /** Run `use` on the tree of @<id>, then destroy the view whatever happens. */
  async withView<T>(id: string, use: (root: string) => Promise<T>): Promise<T> {
    const view = await this.createView(id);
    try {
      return await use(view.mountpoint);
    } finally {
      await this.destroyView(view.dataset);
    }
  }

  override async checkSnapshotTree(snapshot: Manifest, onBytes?: (n: number) => void): Promise<TreeDifference[] | null> {
    const id = snapshot.metadata.snapshot_id;
    const snaps = await this.listSnapshots();
    const found = snaps.find((s) => s.id === id);
    if (!found) return [{ path: `@${id}`, problem: `the ZFS snapshot ${this.dataset}@${id} does not exist` }];
    if (found.hash !== snapshot.metadata.snapshot_hash) {
      return [{ path: `@${id}`, problem: `the ZFS snapshot ${this.dataset}@${id} has ${SNAPSHOT_HASH_PROPERTY} ${found.hash}, the snapshot's hash is ${snapshot.metadata.snapshot_hash}` }];
    }
    return this.withView(id, (root) => this.compareTree(root, snapshot, onBytes));
  }

  /**
   * Content missing from objects/ comes from the @sN that holds it (the live tree may hold a
   * later version of the path); without such a snapshot, the POSIX rules apply.
   */
  override async openContent(entry: FileEntry, snapshotId?: string): Promise<Readable> {
    if (snapshotId === undefined || (await this.hasStoredContent(entry.hash)) || !(await this.listSnapshots()).some((s) => s.id === snapshotId)) {
      return super.openContent(entry);
    }
    const view = await this.createView(snapshotId);
    const source = this.transport.createReadStream(posix.join(view.mountpoint, entry.path), entry.filesize);
    const destroyView = () => this.destroyView(view.dataset);
    // The view is destroyed before the stream ends (or when the reader stops early), so no
    // command exits with a clone left behind.
    async function* content(): AsyncGenerator<Buffer> {
      try {
        yield* source;
      } finally {
        source.destroy();
        await destroyView();
      }
    }
    return Readable.from(content(), { objectMode: false });
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

