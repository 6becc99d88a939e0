/**
 * The crash suite (SPEC §6): for every named step of the sync protocol, a `dsg sync` is
 * killed with SIGKILL at that step, then another dsg command runs (recovery), and the working
 * copy, its cache and the repository must be exactly the before state or exactly the after
 * state; no staging, temp, journal or lock file may remain; a rerun of sync converges.
 * Recovery itself is killed too, and an I/O error is injected at every step (errors must roll
 * back before the commit point and roll forward after it). A backend runs this with a
 * ten-line test file.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, copyFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SYNC_STEPS, type SyncStep } from '../../src/protocol/steps.js';
import { CLI, dsgAsync, put, runAsync, Sandbox, type RepoInspector, type TestBackend } from '../helpers/cli.js';
import { treeState } from '../helpers/trees.js';

export interface BackendFixture {
  backend: TestBackend;
  /** Steps of the backend's own roll-forward (BACKEND_STEPS) it reaches, after remote-rollforward-file. */
  extraSteps?: readonly SyncStep[];
  /**
   * Which cases run. 'all' (the reference backend): a kill and an I/O error at every step, and
   * recovery killed at each of its steps. 'repository': the cases where the repository side
   * differs between backends. Kills run at every step up to `journal-committed`; after it the
   * repository's part is over (published, rolled forward; only the lock is left, and a kill at
   * `journal-committed` covers its recovery), and the later steps run the same client code
   * whatever the backend. Errors are injected only where the repository is being written
   * (remote staging up to the end of the backend's roll-forward): errors at client-side steps
   * run the same client code too. Recovery is killed in its repository part, and once in its
   * client part.
   */
  coverage?: 'all' | 'repository';
  /**
   * Tests run at once (each has its own sandbox). Backends whose time goes to waiting on a
   * server (object stores) use several; POSIX and ZFS keep one (zfs-fuse is fragile under load).
   */
  concurrency?: number;
}

/** The steps where the repository side works (see BackendFixture.coverage). */
const REPOSITORY_SIDE = /^(remote-|upload|uploads-done|metadata-staged|before-commit-point)/;
/** Steps after `journal-committed`: only the working copy changes (see BackendFixture.coverage). */
const CLIENT_ONLY = /^(client-|staging-cleaned)/;

interface Scenario {
  box: Sandbox;
  A: string;
  envA: NodeJS.ProcessEnv;
  repo: RepoInspector;
  afterTree: Record<string, string>;
}

/** Two copies; B has published s2; A has local changes of every kind, unsynced. */
async function setUp(fx: BackendFixture): Promise<Scenario> {
  const box = new Sandbox(`dsg-crash`, fx.backend);
  const envA = box.userEnv('Ana', 'ana@example.org');
  const envB = box.userEnv('Ben', 'ben@example.org');
  const A = box.project('a');
  const B = box.project('b');
  for (let i = 0; i < 6; i++) put(A, `input/keep${i}.csv`, `keep ${i}\n`);
  for (const f of ['up', 'del_remote', 'dl', 'del_local', 'tolink']) put(A, `input/${f}.csv`, `${f} v1\n`);
  let r = await dsgAsync(A, envA, 'init', '-m', 'one');
  assert.equal(r.code, 0, r.stderr);
  copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
  r = await dsgAsync(B, envB, 'clone');
  assert.equal(r.code, 0, r.stderr);
  put(B, 'input/dl.csv', 'dl v2 from ben\n');
  unlinkSync(join(B, 'input/del_local.csv'));
  put(B, 'newdir/sub/input/fromB.csv', 'from ben\n');
  r = await dsgAsync(B, envB, 'sync', '-m', 'two');
  assert.equal(r.code, 0, r.stderr);

  put(A, 'input/up.csv', 'up v2 from ana\n');
  unlinkSync(join(A, 'input/del_remote.csv'));
  rmSync(join(A, 'input/tolink.csv'));
  symlinkSync('keep0.csv', join(A, 'input/tolink.csv'));
  put(A, 'new/deep/input/fromA.csv', 'from ana\n');

  const afterTree = { ...treeState(A), ...pick(treeState(B), ['input/dl.csv', 'newdir/sub/input/fromB.csv']) };
  delete afterTree['input/del_local.csv'];
  return { box, A, envA, repo: box.inspect(), afterTree };
}

/**
 * The manifest that decides what is published: last-sync.json where renaming it into place is
 * the commit point (POSIX, ZFS); the highest `.dsg/snapshots/sN.json` on object stores (their
 * last-sync.json is refreshed after the commit point).
 */
async function publishedManifest(s: Scenario): Promise<string> {
  const snapshots = (await s.repo.list('.dsg/snapshots')).filter((n) => /^s\d+\.json$/.test(n));
  if (snapshots.length === 0) return (await s.repo.read('.dsg/last-sync.json')) ?? '';
  const top = snapshots.sort((a, b) => Number(a.slice(1, -5)) - Number(b.slice(1, -5))).at(-1)!;
  return (await s.repo.read(`.dsg/snapshots/${top}`)) ?? '';
}

function pick(o: Record<string, string>, keys: string[]): Record<string, string> {
  return Object.fromEntries(keys.map((k) => [k, o[k]]));
}

function readOr(file: string): string | null {
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
}

function listOr(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).sort() : [];
}

/** Everything the invariant is about, byte for byte. */
async function stateOf(s: Scenario) {
  return {
    local: treeState(s.A),
    cache: readOr(join(s.A, '.dsg/last-sync.json')),
    localMessages: readOr(join(s.A, '.dsg/sync-messages.json')),
    localArchives: listOr(join(s.A, '.dsg/archive')),
    remoteTree: await s.repo.tree(),
    remoteManifest: await s.repo.read('.dsg/last-sync.json'),
    remoteMessages: await s.repo.read('.dsg/sync-messages.json'),
    remoteArchives: await s.repo.list('.dsg/archive'),
    native: s.box.backend.nativeSnapshots?.(s.box, s.box.name) ?? null,
  };
}

async function assertNoLeftovers(s: Scenario): Promise<void> {
  for (const dir of ['.dsg/staging', '.dsg/tmp', '.dsg/transactions']) assert.deepEqual(listOr(join(s.A, dir)), [], `client ${dir} is empty`);
  for (const dir of ['.dsg/staging', '.dsg/tmp']) assert.deepEqual(await s.repo.list(dir), [], `remote ${dir} is empty`);
  assert.equal(await s.repo.exists('.dsg/lock.json'), false, 'no remote lock left');
  assert.equal(existsSync(join(s.A, '.dsg/client.lock')), false, 'no working-copy lock left');
  for (const tree of [treeState(s.A), await s.repo.tree()]) {
    assert.deepEqual(Object.keys(tree).filter((p) => /\.dsg-.*\.tmp$/.test(p)), [], 'no placement temp files');
  }
  s.box.backend.assertClean?.(s.box, s.box.name);
}

async function assertAfter(s: Scenario): Promise<void> {
  const st = await stateOf(s);
  assert.deepEqual(st.local, s.afterTree, 'working copy is the after state');
  assert.deepEqual(st.remoteTree, s.afterTree, 'remote data tree is the after state');
  const m = JSON.parse(st.remoteManifest!);
  assert.equal(m.metadata.snapshot_id, 's3');
  const fromManifest = Object.fromEntries(
    Object.values(m.entries).map((e: any) => [e.path, e.type === 'link' ? `link:${e.reference}` : `file:${e.hash}`]),
  );
  assert.deepEqual(fromManifest, s.afterTree, 'remote manifest describes the after tree');
  assert.equal(st.cache, st.remoteManifest, 'C equals R byte for byte');
  assert.equal(st.localMessages, st.remoteMessages);
  assert.deepEqual(Object.keys(JSON.parse(st.remoteMessages!).snapshots), ['s1', 's2', 's3']);
  assert.deepEqual(st.remoteArchives, ['s1-sync.json.lz4', 's2-sync.json.lz4', 's3-sync.json.lz4']);
  assert.deepEqual(st.localArchives, st.remoteArchives);
  if (st.native !== null) assert.deepEqual(st.native, ['s1', 's2', 's3'], "the backend's own snapshots");
}

async function syncKilledAt(s: Scenario, step: string, skip = 0): Promise<void> {
  const env = { ...s.envA, DSG_TEST_CRASH_AT: step, DSG_TEST_CRASH_SKIP: String(skip) };
  const r = await runAsync([process.execPath, CLI, 'sync', '-m', 'three'], { cwd: s.A, env });
  assert.equal(r.signal, 'SIGKILL', `sync was killed at ${step} (exit ${r.code}: ${r.stderr})`);
}

async function converges(s: Scenario): Promise<void> {
  const again = await dsgAsync(s.A, s.envA, 'sync', '-m', 'three');
  assert.equal(again.code, 0, again.stderr);
  const st = await dsgAsync(s.A, s.envA, 'status', '--json');
  assert.equal(st.json.upToDate, true);
  await assertAfter(s);
  await assertNoLeftovers(s);
}

function syncFailingAt(s: Scenario, step: string, errno: string) {
  const env = { ...s.envA, DSG_TEST_FAIL_AT: step, DSG_TEST_FAIL_ERRNO: errno };
  return runAsync([process.execPath, CLI, 'sync', '-m', 'three', '--json'], { cwd: s.A, env });
}

export function runCrashSuite(fx: BackendFixture): void {
  const rollForwardEnd = SYNC_STEPS.indexOf('remote-rollforward-file') + 1;
  const steps: readonly string[] = [...SYNC_STEPS.slice(0, rollForwardEnd), ...(fx.extraSteps ?? []), ...SYNC_STEPS.slice(rollForwardEnd)];
  const commitIndex = steps.indexOf('remote-rollforward-metadata');

  describe(`crash suite (${fx.backend.name}): kill at every step, recover, check the invariant`, { concurrency: fx.concurrency ?? 1 }, () => {
    const everything = (fx.coverage ?? 'all') === 'all';
    for (const [i, step] of steps.entries()) {
      if (!everything && CLIENT_ONLY.test(step)) continue;
      it(`killed at ${step}: recovery leaves ${i < commitIndex ? 'the before' : 'the after'} state`, async () => {
        const s = await setUp(fx);
        try {
          const before = await stateOf(s);
          await syncKilledAt(s, step);
          const rec = await dsgAsync(s.A, s.envA, 'status');
          assert.ok(rec.code === 0, `status after the crash: ${rec.stderr}`);
          if (i < commitIndex) assert.deepEqual(await stateOf(s), before, 'everything is exactly as before');
          else await assertAfter(s);
          await assertNoLeftovers(s);
          await converges(s);
        } finally {
          await s.box.cleanupAsync();
        }
      });
    }

    // Errors, not only kills: before the commit point the sync rolls back at once; after it
    // the snapshot stays published, the command says so, and the next command finishes.
    const errnos = ['EACCES', 'ENOSPC', 'ENAMETOOLONG', 'EIO'];
    for (const [i, step] of steps.entries()) {
      if (!everything && !REPOSITORY_SIDE.test(step)) continue;
      const errno = errnos[i % errnos.length];
      const beforeCommit = i < commitIndex;
      it(`${errno} at ${step}: ${beforeCommit ? 'rolled back at once' : 'published, finished by the next command'}`, async () => {
        const s = await setUp(fx);
        try {
          const before = await stateOf(s);
          const r = await syncFailingAt(s, step, errno);
          assert.equal(r.signal, null, r.stderr);
          const error = r.code === 0 ? null : JSON.parse(r.stdout).error;
          if (beforeCommit) {
            assert.equal(r.code, 1, r.stderr);
            assert.notEqual(error.code, 'PUBLISHED_INCOMPLETE', error.message);
            assert.match(error.message, new RegExp(errno === 'ENOSPC' ? 'No space' : errno === 'EACCES' ? 'Permission denied' : errno));
            assert.deepEqual(await stateOf(s), before, 'everything is exactly as before');
            await assertNoLeftovers(s);
          } else {
            if (error !== null) {
              assert.equal(error.code, 'PUBLISHED_INCOMPLETE', error.message);
              assert.doesNotMatch(error.message, /rolled back|nothing was published/i);
            }
            assert.match(await publishedManifest(s), /"snapshot_id": "s3"/, 'the snapshot is published');
            const rec = await dsgAsync(s.A, s.envA, 'status');
            assert.equal(rec.code, 0, `status after the error: ${rec.stderr}`);
            await assertAfter(s);
            await assertNoLeftovers(s);
          }
          await converges(s);
        } finally {
          await s.box.cleanupAsync();
        }
      });
    }

    const recoveryKills: [string, string, number][] = [
      ['remote-rollforward-metadata', 'remote-rollforward-file', 1],
      ...(fx.extraSteps ?? []).map((step): [string, string, number] => [step, step, 0]),
      ['remote-rollforward-file', 'recover-remote-tx-done', 0],
      ...(everything
        ? ([
            ['journal-committed', 'client-file-applied', 2],
            ['journal-committed', 'client-metadata-written', 0],
          ] as [string, string, number][])
        : []),
      ['client-placed', 'recover-client-done', 0],
    ];
    for (const [syncStep, recoveryStep, skip] of recoveryKills) {
      it(`killed at ${syncStep}, then recovery killed at ${recoveryStep}: a second recovery finishes`, async () => {
        const s = await setUp(fx);
        try {
          await syncKilledAt(s, syncStep);
          const killed = await runAsync([process.execPath, CLI, 'recover'], {
            cwd: s.A,
            env: { ...s.envA, DSG_TEST_CRASH_AT: recoveryStep, DSG_TEST_CRASH_SKIP: String(skip) },
          });
          assert.equal(killed.signal, 'SIGKILL', `recovery was killed at ${recoveryStep}: ${killed.stderr}`);
          const rec = await dsgAsync(s.A, s.envA, 'recover', '--json');
          assert.equal(rec.code, 0, rec.stderr);
          await assertAfter(s);
          await assertNoLeftovers(s);
          await converges(s);
        } finally {
          await s.box.cleanupAsync();
        }
      });
    }
  });
}
