/**
 * Hostile-repository acceptance suite (issue 7 §2), run against the built CLI. Someone who can
 * write the shared repository forges manifests with valid hashes, plants symlinks, FIFOs and
 * devices in its `.dsg/`; a teammate's dsg must not write, delete or read outside the working
 * copy and the repository, must not hang (every command runs under a timeout), and must keep
 * memory and disk bounded (every command runs under ulimit -v / -f; the bomb cases also under a
 * 200 MB heap). After every case a sentinel folder next to the sandbox's working copy and
 * repository is byte-for-byte unchanged, and the working copy holds only paths its rules track.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, describe, it } from 'node:test';
import { DEFAULT_DATA_DIRS, DEFAULT_IGNORE } from '../../src/config/projectConfig.js';
import { compressArchive } from '../../src/manifest/archive.js';
import { buildManifest, parseManifest, serializeManifest } from '../../src/manifest/codec.js';
import { xxh3Hex } from '../../src/manifest/hash.js';
import { parseSyncMessages, serializeSyncMessages, withSnapshot } from '../../src/manifest/syncMessages.js';
import type { Entry, FileEntry, Manifest } from '../../src/manifest/types.js';
import { validatePath } from '../../src/scan/pathRules.js';
import { isTrackedPath, makeRules } from '../../src/scan/rules.js';
import { CLI, put, Sandbox } from '../helpers/cli.js';
import { fullState } from '../helpers/trees.js';

/** A command on a tiny repository takes well under a second; more than this is a hang. */
const TIMEOUT_MS = 20_000;
/** Disk and address-space caps for every command, so a runaway read cannot fill the machine. */
const MAX_FILE_KB = 200 * 1024;
const MAX_VIRTUAL_KB = 4 * 1024 * 1024;

/**
 * The address space this Node reserves before running any code (V8's heap cage, code range,
 * threads' stacks): ~0.7 GB on Node 20, ~1.2 GB on Node 24. Reserved is not used: a cap on the
 * address space measures memory only above this.
 */
function baselineVirtualKb(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(/VmSize:\\s+(\\d+)/.exec(require("fs").readFileSync("/proc/self/status","utf8"))[1])'], { encoding: 'utf8' });
  const kb = Number(r.stdout);
  assert.ok(kb > 0, `VmSize of a bare node: ${r.stdout}${r.stderr}`);
  return kb;
}
const CASE = { timeout: 120_000 };
const RULES = makeRules(DEFAULT_DATA_DIRS, DEFAULT_IGNORE);

interface Run {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  what: string;
}

function run(cwd: string, env: NodeJS.ProcessEnv, args: string[], limits: { virtualKb?: number } = {}): Run {
  const ulimits = `ulimit -f ${MAX_FILE_KB}; ulimit -v ${limits.virtualKb ?? MAX_VIRTUAL_KB}; exec "$0" "$@"`;
  const r = spawnSync('/bin/sh', ['-c', ulimits, process.execPath, CLI, ...args], {
    cwd,
    env,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 1 << 26,
  });
  const timedOut = (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT';
  return { code: r.status, signal: r.signal, timedOut, stdout: r.stdout ?? '', stderr: r.stderr ?? '', what: `dsg ${args.join(' ')}` };
}

/** Finished on its own, as dsg: no hang, no signal, no crash; a failure is a "dsg:" message. */
function assertFinished(r: Run): void {
  assert.ok(!r.timedOut, `${r.what} hung: killed after ${TIMEOUT_MS} ms\n${r.stderr}`);
  assert.equal(r.signal, null, `${r.what} was killed by ${r.signal} (disk or memory cap hit?)\n${r.stderr.slice(0, 2000)}`);
  assert.doesNotMatch(r.stderr, /Maximum call stack|heap out of memory|internal error|FATAL ERROR|\n\s+at .*\.js:\d+/i, `${r.what} crashed:\n${r.stderr.slice(0, 2000)}`);
  if (r.code !== 0) assert.match(r.stderr, /^dsg: /m, `${r.what} failed without a dsg message:\n${r.stderr.slice(0, 2000)}`);
}

/** A sandbox with a working copy `w` (input/a.csv, input/sub/x.csv synced) and an outside folder. */
class World {
  readonly box = new Sandbox('dsg-hostile-repo');
  readonly env = this.box.userEnv('Ana', 'ana@example.org');
  readonly W = this.box.project('w');
  readonly repo = join(this.box.repos, 'proj');
  readonly outside = join(this.box.base, 'outside');
  private copies = 0;
  private before: Record<string, string> = {};

  /** From scratch (init), or as a copy of `template` (cheaper than one more init per case). */
  constructor(template?: World) {
    if (template) {
      const copy = { recursive: true, verbatimSymlinks: true, preserveTimestamps: true };
      cpSync(template.repo, this.repo, copy);
      cpSync(template.W, this.W, { ...copy, filter: (src: string) => src !== join(template.W, '.dsgconfig.yml') });
      cpSync(template.outside, this.outside, copy);
    } else {
      put(this.W, 'input/a.csv', 'a,b\n1,2\n');
      put(this.W, 'input/sub/x.csv', 'x\n');
      const r = run(this.W, this.env, ['init']);
      assert.equal(r.code, 0, r.stderr);
      for (const d of ['sub', 'rtmp', 'rstaging', 'wtmp', 'wstaging']) {
        put(this.outside, `${d}/precious.txt`, `precious ${d}`);
        put(this.outside, `${d}/folder/deeper.txt`, `deeper ${d}`);
      }
      put(this.outside, 'sub/x.csv', 'x\n'); // the same content as the tracked file it stands in for
    }
    this.before = this.outsideState();
  }

  /** Everything in the sandbox that is neither a working copy nor the repository. */
  outsideState(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of readdirSync(this.box.base).sort()) {
      if (name === 'repos' || name === 'w' || name.startsWith('wc-')) continue;
      const abs = join(this.box.base, name);
      const st = lstatSync(abs);
      if (!st.isDirectory()) out[name] = st.isSymbolicLink() ? 'link' : `file:${xxh3Hex(readFileSync(abs))}`;
      else for (const [p, v] of Object.entries(fullState(abs))) out[`${name}/${p}`] = v;
    }
    return out;
  }

  /** A fresh working copy folder with the project's config, for clone. */
  newCopy(): string {
    const dir = join(this.box.base, `wc-${++this.copies}`);
    mkdirSync(dir);
    copyFileSync(join(this.W, '.dsgconfig.yml'), join(dir, '.dsgconfig.yml'));
    return dir;
  }

  run(cwd: string, ...args: string[]): Run {
    const r = run(cwd, this.env, args);
    assertFinished(r);
    return r;
  }

  /** Nothing outside the working copies and the repository changed. */
  assertOutsideUnchanged(): void {
    assert.deepEqual(this.outsideState(), this.before, 'something outside the working copy and the repository changed');
  }

  cleanup(): void {
    this.box.cleanup();
  }
}

/** Every path in a working copy (outside .dsg/) is one its rules track, and every folder leads to one. */
function assertOnlyTracked(root: string): void {
  const files: string[] = [];
  const dirs: string[] = [];
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const r = rel ? `${rel}/${name}` : name;
      if (r === '.dsg' || r === '.dsgconfig.yml') continue;
      const st = lstatSync(join(dir, name));
      if (st.isDirectory()) {
        dirs.push(r);
        walk(join(dir, name), r);
      } else files.push(r);
    }
  };
  walk(root, '');
  const untracked = files.filter((p) => !isTrackedPath(RULES, p) || validatePath(p) !== null);
  assert.deepEqual(untracked, [], `the working copy holds paths its rules do not track: ${JSON.stringify(untracked)}`);
  const strayDirs = dirs.filter((d) => !isTrackedPath(RULES, `${d}/probe.csv`) && !files.some((f) => f.startsWith(`${d}/`)));
  assert.deepEqual(strayDirs, [], `the working copy holds folders outside its data dirs: ${JSON.stringify(strayDirs)}`);
}

function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

// --- forging the repository, with valid hashes --------------------------------------------

const dsgFile = (repo: string, ...p: string[]): string => join(repo, '.dsg', ...p);
const objectPath = (repo: string, hash: string): string => dsgFile(repo, 'objects', hash.slice(0, 2), hash);

function currentManifest(repo: string): Manifest {
  return parseManifest(readFileSync(dsgFile(repo, 'last-sync.json'), 'utf8'), 'last-sync.json');
}

/** The repository's current entries as raw JSON (the client's parser may reject forged ones). */
function rawEntries(repo: string): Record<string, { hash?: string; reference?: string }> {
  return JSON.parse(readFileSync(dsgFile(repo, 'last-sync.json'), 'utf8')).entries;
}

/** A file entry whose content is stored as the object and at its path in the tree. */
function storeFile(repo: string, path: string, content: string, template: FileEntry): FileEntry {
  const hash = xxh3Hex(content);
  put(repo, `.dsg/objects/${hash.slice(0, 2)}/${hash}`, content);
  put(repo, path, content);
  return { ...template, path, user: 'mallory@example.org', filesize: Buffer.byteLength(content), hash };
}

function storeLink(repo: string, path: string, reference: string): Entry {
  mkdirSync(dirname(join(repo, path)), { recursive: true });
  symlinkSync(reference, join(repo, path));
  return { type: 'link', path, user: 'mallory@example.org', reference };
}

/**
 * Publish the next snapshot as a teammate's dsg would: last-sync.json, its archive and its
 * sync-messages entry, all hashes valid. `configText` replaces project_config with raw JSON.
 */
function forgeSnapshot(repo: string, edit: (entries: Map<string, Entry>, template: FileEntry) => void, configText?: { json: string; compact: string }): Manifest {
  const cur = currentManifest(repo);
  const entries = new Map(cur.entries);
  const template = [...cur.entries.values()].find((e): e is FileEntry => e.type === 'file')!;
  edit(entries, template);
  const id = `s${Number(cur.metadata.snapshot_id.slice(1)) + 1}`;
  const m = buildManifest(
    entries.values(),
    {
      manifest_version: cur.metadata.manifest_version,
      snapshot_id: id,
      created_at: cur.metadata.created_at,
      created_by: 'mallory@example.org',
      snapshot_message: 'forged',
      snapshot_previous: cur.metadata.snapshot_id,
      snapshot_notes: 'sync',
      project_config: null,
    },
    cur.metadata.snapshot_hash,
  );
  let messages = serializeSyncMessages(withSnapshot(parseSyncMessages(readFileSync(dsgFile(repo, 'sync-messages.json'), 'utf8'), 'sync-messages.json'), m.metadata));
  let text = serializeManifest(m);
  if (configText) {
    // The snapshot hash covers the config's sorted compact JSON (computed here without recursion).
    m.metadata.snapshot_hash = xxh3Hex(m.metadata.entries_hash + m.metadata.snapshot_message + configText.compact + cur.metadata.snapshot_hash);
    const withConfig = (t: string): string => {
      const at = t.lastIndexOf('"project_config": null');
      return `${t.slice(0, at)}"project_config": ${configText.json}${t.slice(at + '"project_config": null'.length)}`;
    };
    text = withConfig(serializeManifest(m));
    messages = withConfig(serializeSyncMessages(withSnapshot(parseSyncMessages(readFileSync(dsgFile(repo, 'sync-messages.json'), 'utf8'), 'sync-messages.json'), m.metadata)));
  }
  writeFileSync(dsgFile(repo, 'archive', `${id}-sync.json.lz4`), compressArchive(text));
  writeFileSync(dsgFile(repo, 'sync-messages.json'), messages);
  writeFileSync(dsgFile(repo, 'last-sync.json'), text);
  return m;
}

function mkfifo(path: string): void {
  rmSync(path, { recursive: true, force: true });
  const r = spawnSync('mkfifo', [path]);
  assert.equal(r.status, 0, `mkfifo ${path}: ${r.stderr}`);
}

/** Replace a path with a symlink to `target`. */
function plantLink(path: string, target: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(dirname(path), { recursive: true });
  symlinkSync(target, path);
}

describe('hostile repository', () => {
  const worlds: World[] = [];
  let template: World | undefined;
  after(() => worlds.forEach((w) => w.cleanup()));
  const world = (): World => {
    if (!template) worlds.push((template = new World()));
    const w = new World(template);
    worlds.push(w);
    return w;
  };

  describe('1. recovery never empties a folder that .dsg/tmp or .dsg/staging points to', () => {
    const plants: [string, (w: World) => void][] = [
      ['the repository\'s .dsg/tmp', (w) => plantLink(dsgFile(w.repo, 'tmp'), join(w.outside, 'rtmp'))],
      ['the repository\'s .dsg/staging', (w) => plantLink(dsgFile(w.repo, 'staging'), join(w.outside, 'rstaging'))],
      ['the working copy\'s .dsg/tmp', (w) => plantLink(join(w.W, '.dsg', 'tmp'), join(w.outside, 'wtmp'))],
      ['the working copy\'s .dsg/staging', (w) => plantLink(join(w.W, '.dsg', 'staging'), join(w.outside, 'wstaging'))],
    ];
    for (const [what, plant] of plants) {
      it(`${what} is a symlink to an outside folder: status and log leave its files alone`, CASE, () => {
        const w = world();
        plant(w);
        w.run(w.W, 'status');
        w.run(w.W, 'log');
        w.assertOutsideUnchanged();
      });
    }
  });

  it('2. a sync that deletes a file under a repository folder that is a symlink to outside leaves the outside file alone', CASE, () => {
    const w = world();
    // The repository's input/sub becomes a link to an outside folder holding the same x.csv.
    plantLink(join(w.repo, 'input', 'sub'), join(w.outside, 'sub'));
    rmSync(join(w.W, 'input', 'sub', 'x.csv'));
    w.run(w.W, 'sync', '-m', 'delete x');
    w.assertOutsideUnchanged();
    assertOnlyTracked(w.W);
  });

  describe('3. forged manifests never write outside the tracked paths, and untracked entries are carried', () => {
    const groups: [string, string[]][] = [
      ['files outside the data dirs and hidden files', ['.Rprofile', 'conftest.py', '.git/hooks/pre-commit', 'src/evil.py', 'input/.hidden']],
      ['case variants of .dsg/', ['.DSG/x', '.Dsg/last-sync.json']],
      ['paths that break the path rules (NFD, newline)', ['input/cafe\u0301.csv', 'input/new\nline.csv']],
    ];
    for (const [what, paths] of groups) {
      it(`${what}: clone and sync write none of them and the sync keeps them in the repository`, CASE, () => {
        const w = world();
        forgeSnapshot(w.repo, (entries, template) => {
          for (const p of paths) entries.set(p, storeFile(w.repo, p, `#!/bin/sh\necho pwned ${p}\n`, template));
        });
        const forged = rawEntries(w.repo);
        const absent = (root: string): void => {
          for (const p of paths) {
            assert.equal(lexists(join(root, p)), false, `${JSON.stringify(p)} was written into ${root}`);
            assert.equal(lexists(join(root, p.normalize('NFC'))), false, `${JSON.stringify(p)} was written (normalized) into ${root}`);
          }
          assertOnlyTracked(root);
        };
        const copy = w.newCopy();
        const clone = w.run(copy, 'clone');
        if (clone.code !== 0) assert.match(clone.stderr, /last-sync\.json/, 'a refused clone names the manifest');
        absent(copy);
        // A user in an existing working copy changes a file and syncs.
        put(w.W, 'input/b.csv', 'new\n');
        const sync = w.run(w.W, 'sync', '-m', 'mine');
        if (sync.code !== 0) assert.match(sync.stderr, /last-sync\.json/, 'a refused sync names the manifest');
        absent(w.W);
        const now = rawEntries(w.repo);
        for (const p of paths) {
          assert.deepEqual(now[p], forged[p], `${JSON.stringify(p)} was not carried unchanged into the repository's snapshot`);
          assert.equal(readFileSync(join(w.repo, p), 'utf8'), `#!/bin/sh\necho pwned ${p}\n`, `${JSON.stringify(p)} left the repository tree`);
        }
        w.assertOutsideUnchanged();
      });
    }
  });

  it('4. a chain of links that each look harmless but resolve outside: no link in the working copy resolves outside it', CASE, () => {
    const w = world();
    forgeSnapshot(w.repo, (entries) => {
      // input/a -> the project root; input/b -> a/.. looks like input/ but is the project's parent;
      // input/c -> b/outside looks like input/outside but is the sentinel folder.
      entries.set('input/a', storeLink(w.repo, 'input/a', '..'));
      entries.set('input/b', storeLink(w.repo, 'input/b', 'a/..'));
      entries.set('input/c', storeLink(w.repo, 'input/c', 'b/outside'));
    });
    const noEscape = (root: string): void => {
      const real = realpathSync.native(root);
      const walk = (dir: string): void => {
        for (const name of readdirSync(dir)) {
          const abs = join(dir, name);
          const st = lstatSync(abs);
          if (st.isDirectory()) walk(abs);
          else if (st.isSymbolicLink()) {
            let target: string;
            try {
              // The kernel's resolution: Node's JS realpath folds `a/..` by text, as a naive check would.
              target = realpathSync.native(abs);
            } catch {
              continue; // dangling: resolves nowhere
            }
            assert.ok(target === real || target.startsWith(real + sep), `${abs} resolves outside the working copy, to ${target}`);
          }
        }
      };
      walk(root);
    };
    const copy = w.newCopy();
    w.run(copy, 'clone');
    noEscape(copy);
    assertOnlyTracked(copy);
    w.run(w.W, 'sync', '-m', 'mine');
    noEscape(w.W);
    w.assertOutsideUnchanged();
  });

  describe('5. FIFOs and devices in the repository\'s .dsg/: every command finishes', () => {
    const objectOf = (w: World): string => {
      const e = currentManifest(w.repo).entries.get('input/a.csv') as FileEntry;
      return objectPath(w.repo, e.hash);
    };
    const plants: [string, (w: World) => string, RegExp][] = [
      ['last-sync.json is a FIFO', (w) => dsgFile(w.repo, 'last-sync.json'), /last-sync\.json/],
      ['sync-messages.json is a FIFO', (w) => dsgFile(w.repo, 'sync-messages.json'), /sync-messages\.json/],
      ['lock.json is a FIFO', (w) => dsgFile(w.repo, 'lock.json'), /lock\.json/],
      ['archive/s1-sync.json.lz4 is a FIFO', (w) => dsgFile(w.repo, 'archive', 's1-sync.json.lz4'), /s1-sync\.json\.lz4|archive/],
      ['an object file is a FIFO', objectOf, /input\/a\.csv|[0-9a-f]{16}/],
    ];
    const commands = (w: World): [string, string[]][] => [
      [w.W, ['status']],
      [w.W, ['log']],
      [w.W, ['validate-chain', '--deep']],
      [w.W, ['snapfetch', 'input/a.csv', '-n', 's1', '-o', join(w.W, 'input', 'fetched.csv'), '--force']],
      [w.newCopy(), ['clone']],
      [w.W, ['sync', '-m', 'mine']],
    ];
    for (const [what, target, names] of plants) {
      it(`${what}: status, log, validate-chain, snapfetch, clone and sync finish, and a failure names the file`, CASE, () => {
        const w = world();
        put(w.W, 'input/b.csv', 'local change\n');
        mkfifo(target(w));
        for (const [cwd, args] of commands(w)) {
          const r = w.run(cwd, ...args);
          if (r.code !== 0) assert.match(r.stderr, names, `dsg ${args.join(' ')} does not name the file:\n${r.stderr}`);
        }
        w.assertOutsideUnchanged();
      });
    }

    it('an object is a symlink to /dev/zero (and its tree file too): no huge file appears in any working copy', CASE, () => {
      const w = world();
      const object = objectOf(w);
      plantLink(object, '/dev/zero');
      plantLink(join(w.repo, 'input', 'a.csv'), '/dev/zero');
      rmSync(join(w.W, 'input', 'a.csv'));
      for (const [cwd, args] of commands(w)) {
        w.run(cwd, ...args);
        const big = Object.entries(sizes(cwd)).filter(([, size]) => size > 1 << 20);
        assert.deepEqual(big, [], `dsg ${args.join(' ')} wrote huge files`);
      }
      w.assertOutsideUnchanged();
    });
  });

  it('6. deeply nested JSON in project_config: a clear error naming the file, no stack overflow', CASE, () => {
    const w = world();
    const depth = 100_000;
    const nested = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    forgeSnapshot(w.repo, () => undefined, { json: `{"deep": ${nested}}`, compact: `{"deep":${nested}}` });
    put(w.W, 'input/b.csv', 'local change\n');
    for (const [cwd, args] of [[w.W, ['status']], [w.W, ['log']], [w.W, ['validate-chain']], [w.W, ['sync', '-m', 'mine']], [w.newCopy(), ['clone']]] as [string, string[]][]) {
      const r = w.run(cwd, ...args);
      assert.equal(r.code, 1, `dsg ${args.join(' ')} accepted a manifest nested ${depth} deep:\n${r.stdout}`);
      assert.match(r.stderr, /last-sync\.json|sync-messages\.json|s2-sync\.json\.lz4/, `dsg ${args.join(' ')} does not name the file:\n${r.stderr}`);
    }
    w.assertOutsideUnchanged();
  });

  describe('7. peak memory stays bounded (200 MB heap, 1.3 GB of address space above what node reserves at start)', () => {
    // 1.3 GB: the largest manifest dsg reads is 500 MB (limits.ts), decompressed once and read.
    const virtualKb = baselineVirtualKb() + 1.3 * 1024 * 1024;
    const bounded = (w: World, cwd: string, ...args: string[]): Run => {
      const env = { ...w.env, NODE_OPTIONS: '--max-old-space-size=200' };
      const r = run(cwd, env, args, { virtualKb });
      assertFinished(r);
      assert.equal(r.code, 1, `${r.what} should fail with a dsg error:\n${r.stdout}${r.stderr}`);
      assert.match(r.stderr, /^dsg: /m);
      return r;
    };

    it('clone of an object (and tree file) linked to /dev/zero exits with a dsg error, not killed', CASE, () => {
      const w = world();
      const e = currentManifest(w.repo).entries.get('input/a.csv') as FileEntry;
      plantLink(objectPath(w.repo, e.hash), '/dev/zero');
      plantLink(join(w.repo, 'input', 'a.csv'), '/dev/zero');
      const copy = w.newCopy();
      bounded(w, copy, 'clone');
      assert.deepEqual(Object.entries(sizes(copy)).filter(([, size]) => size > 1 << 20), []);
      w.assertOutsideUnchanged();
    });

    it('validate-chain on a gzip archive bomb (1 KB per MB, 1 GB in all) exits with a dsg error naming it', CASE, () => {
      const w = world();
      const member = gzipSync(Buffer.alloc(1 << 20, 0x20));
      writeFileSync(dsgFile(w.repo, 'archive', 's1-sync.json.lz4'), Buffer.concat(Array(1024).fill(member)));
      const r = bounded(w, w.W, 'validate-chain');
      assert.match(r.stderr, /s1-sync\.json\.lz4/);
      w.assertOutsideUnchanged();
    });
  });
});

/** Every regular file under a folder (hidden ones and .dsg/ included) with its size. */
function sizes(root: string): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir)) {
      const st = lstatSync(join(dir, name));
      const r = rel ? `${rel}/${name}` : name;
      if (st.isDirectory()) walk(join(dir, name), r);
      else if (st.isFile()) out[r] = st.size;
    }
  };
  walk(root, '');
  return out;
}
