/**
 * Hostile repository files and swapped local files, against the built CLI (issue 7 §2 "reads
 * have no limits", §3 "a file that becomes a FIFO"): objects, manifests and archives that are
 * FIFOs, links to /dev/zero, longer than stated, decompression bombs or deeply nested; local
 * files swapped for a FIFO or a link after the scan. Every command is bounded in time, fails
 * naming the file, and nothing outside the working copy and the repository changes.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { CLI, put, Sandbox } from '../helpers/cli.js';
import { isStopped } from '../helpers/processes.js';
import { xxh3Hex } from '../../src/manifest/hash.js';

const LIMIT_MS = 30_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Run the CLI bounded in time; a run that had to be killed fails the test. */
function run(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Run {
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', timeout: LIMIT_MS, maxBuffer: 1 << 24 });
  assert.equal(r.error, undefined, `dsg ${args.join(' ')} did not finish within ${LIMIT_MS} ms (it hung)`);
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - t0 };
}

/** Like trees.fullState, but never opens a FIFO or follows a link (that is what is being tested). */
function safeState(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string, rel: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const abs = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isDirectory()) walk(abs, r);
      else if (st.isSymbolicLink()) out[r] = `link:${readlinkSync(abs)}`;
      else if (st.isFile()) out[r] = `file:${st.size}:${st.size < 64 << 20 ? xxh3Hex(readFileSync(abs)) : 'big'}`;
      else out[r] = 'special';
    }
  };
  walk(root, '');
  return out;
}

function bytesUnder(root: string): number {
  let n = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const st = lstatSync(join(dir, name));
      if (st.isDirectory()) walk(join(dir, name));
      else n += st.blocks * 512;
    }
  };
  walk(root);
  return n;
}

describe('hostile repository files are read with limits', () => {
  const box = new Sandbox('dsg-bounded');
  const env = box.userEnv('Ana', 'ana@example.org');
  const benv = box.userEnv('Ben', 'ben@example.org');
  let W = '';
  let repo = '';
  let objectFile = '';
  let objectBytes: Buffer;
  let manifestText = '';
  const outsideFile = () => join(box.base, 'outside', 'manifest-copy.json');

  before(() => {
    W = box.project('w');
    put(W, 'input/a.csv', 'alpha,beta\n1,2\n');
    assert.equal(run(W, env, 'init').code, 0);
    put(W, 'input/b.csv', 'second snapshot\n');
    assert.equal(run(W, env, 'sync').code, 0);
    repo = join(box.repos, 'proj');
    manifestText = readFileSync(join(repo, '.dsg/last-sync.json'), 'utf8');
    const hash = (JSON.parse(manifestText) as { entries: Record<string, { hash: string }> }).entries['input/a.csv'].hash;
    objectFile = join(repo, '.dsg/objects', hash.slice(0, 2), hash);
    objectBytes = readFileSync(objectFile);
    mkdirSync(join(box.base, 'outside'));
    writeFileSync(outsideFile(), manifestText);
  });
  after(() => box.cleanup());

  /** A fresh clone target; what lies outside it and the repository is compared after each case. */
  function freshClone(name: string): { dir: string; outside: () => Record<string, string> } {
    const dir = box.project(name);
    const outside = () => {
      const s = safeState(box.base);
      for (const k of Object.keys(s)) if (k.startsWith(`${name}/`) || k.startsWith('repos/')) delete s[k];
      return s;
    };
    return { dir, outside };
  }

  function restoreObject(): void {
    rmSync(objectFile, { force: true });
    writeFileSync(objectFile, objectBytes);
  }

  const objectCases: [string, () => void, RegExp][] = [
    ['a FIFO', () => execFileSync('mkfifo', [objectFile]), /is a FIFO, not a regular file/],
    ['a symbolic link to /dev/zero', () => symlinkSync('/dev/zero', objectFile), /is a symbolic link, not a regular file/],
    ['a regular file longer than stated', () => writeFileSync(objectFile, Buffer.concat([objectBytes, Buffer.alloc(1 << 20, 0x41)])), /larger than \d+ bytes|more than the \d+ bytes/],
  ];
  for (const [what, plant, message] of objectCases) {
    it(`an object that is ${what}: clone fails fast naming it, nothing placed, nothing outside changes`, () => {
      rmSync(objectFile);
      plant();
      try {
        const { dir, outside } = freshClone(`clone-${what.replace(/\W+/g, '-')}`);
        const beforeOutside = outside();
        const beforeRepo = safeState(repo);
        const r = run(dir, benv, 'clone');
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.ok(r.stderr.includes(objectFile), `names the object: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace');
        assert.equal(lstatSync(join(dir, 'input/a.csv'), { throwIfNoEntry: false }), undefined, 'nothing placed');
        assert.ok(bytesUnder(dir) < 4 << 20, `no gigabytes written (${bytesUnder(dir)} bytes)`);
        assert.deepEqual(safeState(repo), beforeRepo);
        assert.deepEqual(outside(), beforeOutside);
      } finally {
        restoreObject();
      }
    });
  }

  it('an object that is a FIFO: status then sync in a working copy that needs it fails fast naming it', () => {
    const { dir, outside } = freshClone('stale');
    writeFileSync(join(dir, '.dsgconfig.yml'), readFileSync(join(W, '.dsgconfig.yml')));
    assert.equal(run(dir, benv, 'clone').code, 0);
    put(W, 'input/a.csv', 'changed by Ana\n');
    assert.equal(run(W, env, 'sync').code, 0);
    const m = JSON.parse(readFileSync(join(repo, '.dsg/last-sync.json'), 'utf8')) as { entries: Record<string, { hash: string }> };
    const h = m.entries['input/a.csv'].hash;
    const obj = join(repo, '.dsg/objects', h.slice(0, 2), h);
    const saved = readFileSync(obj);
    rmSync(obj);
    execFileSync('mkfifo', [obj]);
    try {
      const beforeLocal = safeState(dir);
      const beforeRepo = safeState(repo);
      const beforeOutside = outside();
      assert.equal(run(dir, benv, 'status').code, 0);
      const r = run(dir, benv, 'sync');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.ok(r.stderr.includes(obj), r.stderr);
      assert.match(r.stderr, /FIFO/);
      const afterLocal = safeState(dir);
      // status refreshes its caches (the working-copy index, the verified-manifest stamp): nothing else may change.
      const isCache = (k: string) => k.startsWith('.dsg/stat-cache') || k === '.dsg/index' || k === '.dsg/remote-verified.json';
      for (const k of Object.keys(afterLocal)) if (isCache(k)) delete afterLocal[k];
      for (const k of Object.keys(beforeLocal)) if (isCache(k)) delete beforeLocal[k];
      assert.deepEqual(afterLocal, beforeLocal);
      assert.deepEqual(safeState(repo), beforeRepo);
      assert.deepEqual(outside(), beforeOutside);
    } finally {
      rmSync(obj);
      writeFileSync(obj, saved);
    }
  });

  const manifestCases: [string, (file: string) => void, RegExp][] = [
    ['a FIFO', (f) => execFileSync('mkfifo', [f]), /is a FIFO, not a regular file/],
    ['a symbolic link to /dev/zero', (f) => symlinkSync('/dev/zero', f), /is a symbolic link, not a regular file/],
    ['a symbolic link to a (valid) manifest outside the repository', (f) => symlinkSync(outsideFile(), f), /is a symbolic link, not a regular file/],
  ];
  for (const [what, plant, message] of manifestCases) {
    it(`.dsg/last-sync.json that is ${what}: status and sync fail naming it, no hang`, () => {
      const file = join(repo, '.dsg/last-sync.json');
      rmSync(file);
      plant(file);
      try {
        const beforeLocal = safeState(W);
        const beforeRepo = safeState(repo);
        const beforeOutside = safeState(join(box.base, 'outside'));
        for (const cmd of ['status', 'sync']) {
          const r = run(W, env, cmd);
          assert.equal(r.code, 1, `${cmd}: ${r.stdout}${r.stderr}`);
          assert.ok(r.stderr.includes(file), `${cmd} names the file: ${r.stderr}`);
          assert.match(r.stderr, message);
        }
        assert.deepEqual(safeState(W), beforeLocal);
        assert.deepEqual(safeState(repo), beforeRepo);
        assert.deepEqual(safeState(join(box.base, 'outside')), beforeOutside);
      } finally {
        rmSync(file);
        writeFileSync(file, manifestText);
      }
    });
  }

  it('a manifest nested 100,000 levels deep: a clear error naming the file, no stack overflow', () => {
    const file = join(repo, '.dsg/last-sync.json');
    const deep = '{"k": '.repeat(100_000) + '1' + '}'.repeat(100_000);
    const m = JSON.parse(manifestText) as { metadata: Record<string, unknown> };
    m.metadata.project_config = 'DEEP';
    writeFileSync(file, JSON.stringify(m, null, 2).replace('"DEEP"', deep)); // entries_hash still matches
    try {
      const beforeLocal = safeState(W);
      const r = run(W, env, 'status');
      assert.equal(r.code, 1, r.stdout + r.stderr);
      assert.match(r.stderr, /last-sync\.json: JSON nested deeper than 64 levels/);
      assert.doesNotMatch(r.stderr, /Maximum call stack|internal error/);
      assert.deepEqual(safeState(W), beforeLocal);
    } finally {
      writeFileSync(file, manifestText);
    }
  });

  it('an archive that is a gzip bomb: validate-chain and snapfetch fail with a size error, memory stays bounded', () => {
    // 64 MiB of zeros gzipped is ~64 KiB; 32 concatenated gzip members are one 2 GiB stream.
    const member = gzipSync(Buffer.alloc(64 << 20));
    const archive = join(repo, '.dsg/archive/s1-sync.json.lz4');
    const saved = readFileSync(archive);
    writeFileSync(archive, Buffer.concat(Array.from({ length: 32 }, () => member)));
    try {
      const lowHeap = { ...env, NODE_OPTIONS: '--max-old-space-size=256' };
      for (const args of [['validate-chain'], ['snapfetch', 'input/a.csv', '-n', 's1', '-o', join(box.base, 'outside', 'fetched')]]) {
        const t0 = Date.now();
        const r = spawnSync('/usr/bin/time', ['-f', 'maxrss=%M', process.execPath, CLI, ...args], { cwd: W, env: lowHeap, encoding: 'utf8', timeout: LIMIT_MS });
        assert.equal(r.error, undefined, `${args[0]} did not finish within ${LIMIT_MS} ms`);
        assert.notEqual(r.status, 0, `${args[0]}: ${r.stdout}${r.stderr}`);
        assert.match(r.stdout + r.stderr, /s1[^\n]*decompresses to more than \d+ bytes/, `${args[0]}: ${r.stdout}${r.stderr}`);
        assert.doesNotMatch(r.stderr, /heap out of memory|Cannot create a string/);
        const rss = Number(/maxrss=(\d+)/.exec(r.stderr)?.[1]) * 1024;
        assert.ok(rss < 1.2 * (1 << 30), `${args[0]} peak memory ${rss} bytes (a 2 GiB bomb fully decompressed would exceed it); ${Date.now() - t0} ms`);
      }
      assert.equal(lstatSync(join(box.base, 'outside', 'fetched'), { throwIfNoEntry: false }), undefined);
    } finally {
      writeFileSync(archive, saved);
    }
  });
});

describe('a local file swapped after the scan is not uploaded', () => {
  const box = new Sandbox('dsg-swap');
  const env = box.userEnv('Ana', 'ana@example.org');
  let W = '';
  let repo = '';

  before(() => {
    W = box.project('w');
    put(W, 'input/a.csv', 'a\n');
    assert.equal(run(W, env, 'init').code, 0);
    repo = join(box.repos, 'proj');
  });
  after(() => box.cleanup());

  /** Start `dsg sync` paused after its plan, swap the file, resume; returns the finished run. */
  async function syncWithSwap(swap: () => void): Promise<Run> {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, 'sync'], { cwd: W, env: { ...env, DSG_TEST_STOP_AT: 'plan-made' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    while (!isStopped(child.pid!)) {
      assert.ok(Date.now() - t0 < LIMIT_MS, `sync never reached plan-made: ${stderr}`);
      if (child.exitCode !== null) assert.fail(`sync exited before plan-made: ${stdout}${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
    swap();
    child.kill('SIGCONT');
    const timer = setTimeout(() => child.kill('SIGKILL'), LIMIT_MS);
    const code = await exited;
    clearTimeout(timer);
    assert.ok(Date.now() - t0 < LIMIT_MS, 'sync hung after the swap and was killed');
    return { code, stdout, stderr, ms: Date.now() - t0 };
  }

  const swaps: [string, (file: string) => void, RegExp][] = [
    ['a FIFO', (f) => execFileSync('mkfifo', [f]), /is a FIFO, not a regular file/],
    ['a symbolic link to /dev/zero', (f) => symlinkSync('/dev/zero', f), /is a symbolic link, not a regular file/],
  ];
  for (const [what, swap, message] of swaps) {
    for (const size of [10, 3 << 20]) {
      it(`a new ${size}-byte file replaced by ${what} between scan and upload: the sync fails fast naming it, repository unchanged`, async () => {
        const rel = `input/new-${size}-${what.length}.bin`;
        const file = join(W, rel);
        put(W, rel, Buffer.alloc(size, 0x61));
        const beforeRepo = safeState(repo);
        try {
          const r = await syncWithSwap(() => {
            rmSync(file);
            swap(file);
          });
          assert.equal(r.code, 1, r.stdout + r.stderr);
          assert.ok(r.stderr.includes(file), `names the file: ${r.stderr}`);
          assert.match(r.stderr, message);
          assert.deepEqual(safeState(repo), beforeRepo);
        } finally {
          rmSync(file, { force: true });
        }
      });
    }
  }
});
