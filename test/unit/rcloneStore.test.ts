/**
 * RcloneStore against the ObjectStore contract (src/remote/objects/ObjectStore.ts), through a
 * real `rclone rcd`: on a local path in a temp folder, and on an S3 remote configured by
 * environment on the test Ceph RGW (DSG_TEST_S3_ENDPOINT, set by scripts/test.sh; without it
 * the S3 tests fail, never skip). Also: rclone's way of joining remote and path, and that the
 * daemon never outlives its store or its Node process.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { FileReadError } from '../../src/errors/FileReadError.js';
import { StreamingHash } from '../../src/manifest/hash.js';
import { ObjectStoreError, type ObjectStore } from '../../src/remote/objects/ObjectStore.js';
import { rcloneRoot, RcloneStore } from '../../src/remote/objects/rclone/RcloneStore.js';

const scratch = mkdtempSync(join(tmpdir(), 'dsg-rclone-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** An empty rclone config: remotes come from the environment, and the daemon is findable by its path. */
function emptyConfig(): string {
  const file = join(scratch, `rclone-${randomBytes(6).toString('hex')}.conf`);
  writeFileSync(file, '');
  return file;
}

/** Live rclone processes whose command line mentions `needle` (the daemons of one store: its config path). */
function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      const state = /^State:\s+(\S)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
      if (/(^|\/)rclone$/.test(argv[0]) && argv.some((a) => a.includes(needle)) && state !== 'Z') out.push(Number(pid));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

async function waitUntil(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

async function readStream(s: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of s) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

/** `n` bytes of a pseudo-random pattern, in fresh 1 MiB chunks (as a file read would give them). */
async function* pattern(n: number, seed: number): AsyncIterable<Uint8Array> {
  const block = randomBytes(1 << 16);
  for (let off = 0; off < n; off += 1 << 20) {
    const c = Buffer.allocUnsafe(Math.min(1 << 20, n - off));
    for (let i = 0; i < c.length; i += block.length) block.copy(c, i, 0, Math.min(block.length, c.length - i));
    c.writeUInt32BE(seed ^ off, 0);
    yield c;
  }
}

const AWKWARD = [
  'with space',
  `quote " and ' both`,
  '$(touch PWNED)',
  '`touch PWNED`',
  'semi;colon & amp | pipe > gt',
  'back\\slash\\',
  'non-ASCII é ü 日本語 🎉',
  '%41 percent [brackets] ?query #hash',
  '-leading-dash',
  'star * tilde ~ paren (x)',
];

interface Target {
  /** A fresh store (its own root) and, for a local root, the folder it maps to. */
  open(): { store: RcloneStore; folder: string | null };
}

/** The contract, for one kind of remote. */
function contractSuite(name: string, target: () => Target): void {
  describe(`RcloneStore on ${name}`, () => {
    const stores: ObjectStore[] = [];
    after(async () => {
      for (const s of stores) await s.close();
    });
    const open = () => {
      const o = target().open();
      stores.push(o.store);
      return o;
    };

    it('ensureContainer creates a missing root, then finds it', async () => {
      const { store } = open();
      assert.equal(await store.ensureContainer(), 'created');
      assert.equal(await store.ensureContainer(), 'existed');
    });

    it('put / stat / get / getTail / getStream / list / delete round-trip', async () => {
      const { store } = open();
      await store.ensureContainer();
      const data = Buffer.from('hello, rclone');
      const t0 = Date.now();
      await store.put('objects/ab/abcdef', data);
      const info = await store.stat('objects/ab/abcdef');
      assert.equal(info?.key, 'objects/ab/abcdef');
      assert.equal(info?.size, data.length);
      assert.ok(Math.abs(info!.modifiedMs - t0) < 120_000, `modification time ${info!.modifiedMs} is near ${t0}`);
      assert.deepEqual(await store.get('objects/ab/abcdef', 1024), data);
      assert.deepEqual(await store.get('objects/ab/abcdef', data.length), data, 'exactly maxBytes is allowed');
      const tail = await store.getTail('objects/ab/abcdef', 6);
      assert.deepEqual(tail?.bytes, Buffer.from('rclone'));
      assert.equal(tail?.size, data.length);
      assert.equal(tail?.modifiedMs, info?.modifiedMs);
      assert.deepEqual((await store.getTail('objects/ab/abcdef', 1 << 20))?.bytes, data, 'a tail longer than the object is the object');
      assert.deepEqual(await readStream((await store.getStream('objects/ab/abcdef', data.length))!), data);

      await store.put('objects/ab/abcdef', Buffer.from('replaced'));
      assert.deepEqual(await store.get('objects/ab/abcdef', 1024), Buffer.from('replaced'), 'put overwrites');

      await store.put('empty', Buffer.alloc(0));
      assert.deepEqual(await store.get('empty', 10), Buffer.alloc(0));
      assert.deepEqual(await store.getTail('empty', 10), { bytes: Buffer.alloc(0), size: 0, modifiedMs: (await store.stat('empty'))!.modifiedMs });
      assert.deepEqual(await readStream((await store.getStream('empty', 0))!), Buffer.alloc(0));

      await store.put('objects/cd/cdef', Buffer.from('2'));
      await store.put('.dsg/snapshots/s1.json', Buffer.from('{}'));
      const keys = async (prefix: string) => (await store.list(prefix)).map((o) => o.key).sort();
      assert.deepEqual(await keys(''), ['.dsg/snapshots/s1.json', 'empty', 'objects/ab/abcdef', 'objects/cd/cdef']);
      assert.deepEqual(await keys('objects/'), ['objects/ab/abcdef', 'objects/cd/cdef']);
      assert.deepEqual(await keys('objects/a'), ['objects/ab/abcdef'], 'a prefix need not end at a folder');
      assert.deepEqual(await keys('.dsg/snapshots/'), ['.dsg/snapshots/s1.json']);
      assert.deepEqual(await keys('nothing/here/'), []);
      const listed = (await store.list('objects/ab/'))[0];
      assert.equal(listed.size, 'replaced'.length);
      assert.ok(listed.modifiedMs > 0);

      await store.delete('objects/ab/abcdef');
      assert.equal(await store.stat('objects/ab/abcdef'), null);
      await store.delete('objects/ab/abcdef'); // absent: no error
      assert.deepEqual(await keys('objects/'), ['objects/cd/cdef']);
      assert.deepEqual(await keys('.dsg/tmp/'), [], 'no upload is left behind');
    });

    it('a missing key is null (or ignored), never an error', async () => {
      const { store } = open();
      await store.ensureContainer();
      await store.put('present', Buffer.from('x'));
      for (const key of ['missing', 'deep/missing/key']) {
        assert.equal(await store.stat(key), null);
        assert.equal(await store.get(key, 10), null);
        assert.equal(await store.getTail(key, 10), null);
        assert.equal(await store.getStream(key, 10), null);
        await store.delete(key);
        await store.abandonUpload(key);
      }
      assert.deepEqual(await store.list('missing/'), []);
    });

    it('putIfAbsent creates only when nothing is at the key', async () => {
      const { store } = open();
      await store.ensureContainer();
      assert.equal(store.createIsAtomic, false, 'rclone has no conditional create');
      assert.equal(await store.putIfAbsent('.dsg/lock.json', Buffer.from('first')), true);
      assert.equal(await store.putIfAbsent('.dsg/lock.json', Buffer.from('second')), false);
      assert.deepEqual(await store.get('.dsg/lock.json', 100), Buffer.from('first'));
      await store.delete('.dsg/lock.json');
      assert.equal(await store.putIfAbsent('.dsg/lock.json', Buffer.from('third')), true);
      assert.deepEqual(await store.get('.dsg/lock.json', 100), Buffer.from('third'));
    });

    it('bounded reads: more than maxBytes / size is FILE_TOO_LARGE naming the key', async () => {
      const { store } = open();
      await store.ensureContainer();
      const big = randomBytes(300_000);
      await store.put('objects/ff/big', big);
      for (const read of [() => store.get('objects/ff/big', 299_999), async () => readStream((await store.getStream('objects/ff/big', 1000))!)]) {
        const err = await rejection(read());
        assert.ok(err instanceof FileReadError, String(err));
        assert.equal((err as FileReadError).code, 'FILE_TOO_LARGE');
        assert.match(err.message, /objects\/ff\/big/);
      }
      const tail = await store.getTail('objects/ff/big', 1000);
      assert.equal(tail?.bytes.length, 1000, 'a tail is never more than asked for');
      assert.deepEqual(tail?.bytes, big.subarray(big.length - 1000));
      assert.equal(tail?.size, big.length);
      // An object shorter than the size it must hold fails at its end.
      const short = await rejection(readStream((await store.getStream('objects/ff/big', big.length + 1))!));
      assert.ok(short instanceof ObjectStoreError, String(short));
      assert.match(short.message, /ended after 300000 of 300001 bytes/);
    });

    it('putStream: 100 MiB in constant memory, whole at the key, nothing left in .dsg/tmp', async () => {
      const { store } = open();
      await store.ensureContainer();
      const size = 100 << 20;
      const sent = new StreamingHash();
      let verified = 0;
      let sentBytes = 0;
      const base = process.memoryUsage().rss;
      let peak = base;
      async function* source(): AsyncIterable<Uint8Array> {
        for await (const c of pattern(size, 7)) {
          sent.update(c);
          peak = Math.max(peak, process.memoryUsage().rss);
          yield c;
        }
      }
      await store.putStream('objects/aa/large', source(), size, { verify: () => verified++, onBytes: (n) => (sentBytes += n) });
      assert.equal(verified, 1);
      assert.equal(sentBytes, size);
      assert.ok(peak - base < 64 << 20, `RSS grew by ${Math.round((peak - base) / 2 ** 20)} MiB while streaming 100 MiB`);
      assert.equal((await store.stat('objects/aa/large'))?.size, size);
      const got = new StreamingHash();
      let n = 0;
      for await (const c of (await store.getStream('objects/aa/large', size))!) {
        got.update(c);
        n += c.length;
      }
      assert.equal(n, size);
      assert.equal(got.digest(), sent.digest());
      assert.deepEqual(await store.list('.dsg/tmp/'), []);
    });

    it('putStream: a throwing verify() leaves nothing at the key and nothing in .dsg/tmp', async () => {
      const { store } = open();
      await store.ensureContainer();
      await store.put('objects/bb/kept', Buffer.from('old'));
      for (const [key, size] of [
        ['objects/bb/new', 3 << 20],
        ['objects/bb/kept', 1000],
      ] as const) {
        let consumed = 0;
        async function* source(): AsyncIterable<Uint8Array> {
          for await (const c of pattern(size, 1)) {
            consumed += c.length;
            yield c;
          }
        }
        const err = await rejection(
          store.putStream(key, source(), size, {
            verify: () => {
              assert.equal(consumed, size, 'verify() runs after the whole source was read');
              throw new Error('content changed while it was read');
            },
          }),
        );
        assert.equal(err.message, 'content changed while it was read');
      }
      assert.equal(await store.stat('objects/bb/new'), null);
      assert.deepEqual(await store.get('objects/bb/kept', 10), Buffer.from('old'), 'the old object is untouched');
      assert.deepEqual(await store.list('.dsg/tmp/'), []);
    });

    it('putStream: a source that fails midway creates nothing', async () => {
      const { store } = open();
      await store.ensureContainer();
      async function* failing(): AsyncIterable<Uint8Array> {
        yield Buffer.alloc(1 << 20, 1);
        yield Buffer.alloc(1 << 20, 2);
        throw new Error('disk read error');
      }
      const err = await rejection(store.putStream('objects/cc/cut', failing(), 4 << 20, { verify: () => undefined }));
      assert.equal(err.message, 'disk read error', 'the source\'s own error');
      assert.equal(await store.stat('objects/cc/cut'), null);
      assert.deepEqual(await store.list('.dsg/tmp/'), []);
    });

    it('many small objects in parallel', async () => {
      const { store } = open();
      await store.ensureContainer();
      const keys = Array.from({ length: 200 }, (_, i) => `objects/${(i % 16).toString(16).padStart(2, '0')}/k${i}`);
      await Promise.all(keys.map((k, i) => store.put(k, Buffer.from(`v${i}`))));
      const got = await Promise.all(keys.map((k) => store.get(k, 100)));
      assert.deepEqual(
        got.map((b) => b?.toString()),
        keys.map((_, i) => `v${i}`),
      );
      assert.equal((await store.list('objects/')).length, keys.length);
    });

    it('awkward key names round-trip exactly and nothing is executed', async () => {
      const { store, folder } = open();
      await store.ensureContainer();
      const cwd = process.cwd();
      process.chdir(scratch);
      try {
        for (const [i, name] of AWKWARD.entries()) {
          const key = `dir ${name}/${name}`;
          const data = Buffer.from(`content ${i}`);
          await store.put(key, data);
          assert.deepEqual(await store.get(key, 100), data, key);
          assert.equal((await store.stat(key))?.size, data.length, key);
          assert.deepEqual((await store.getTail(key, 3))?.bytes, data.subarray(-3), key);
          if (folder !== null) assert.ok(existsSync(join(folder, key)), `${key} is stored under its own name`);
          await store.putStream(`s/${name}`, pattern(200_000, i), 200_000, { verify: () => undefined });
          assert.equal((await store.stat(`s/${name}`))?.size, 200_000, name);
        }
        const listed = (await store.list('')).map((o) => o.key).sort();
        const expected = AWKWARD.flatMap((n) => [`dir ${n}/${n}`, `s/${n}`]).sort();
        assert.deepEqual(listed, expected);
        for (const key of expected) await store.delete(key);
        assert.deepEqual(await store.list(''), []);
      } finally {
        process.chdir(cwd);
      }
      assert.equal(existsSync(join(scratch, 'PWNED')), false, 'no shell ran a key');
    });

    it('refuses keys that are not clean relative keys', async () => {
      const { store } = open();
      for (const key of ['/abs', 'a/../b', 'a//b', './a', 'a/']) {
        await assert.rejects(store.stat(key), /not a clean relative key/);
        await assert.rejects(store.put(key, Buffer.from('x')), /not a clean relative key/);
      }
      await assert.rejects(store.put('lone \uD800 surrogate', Buffer.from('x')), /not valid Unicode/);
    });
  });
}

// ---- local path ----

contractSuite('a local path', () => ({
  open() {
    const base = mkdtempSync(join(scratch, 'local-'));
    const store = new RcloneStore({ remote: base, path: '/repos/proj', configPath: emptyConfig() });
    return { store, folder: join(base, 'repos', 'proj') };
  },
}));

// ---- S3 (Ceph RGW) through an rclone remote configured by environment ----

const S3_MISSING =
  'The rclone S3 tests need the test S3 server: run them through "npm test" (scripts/test.sh starts Ceph RGW and sets DSG_TEST_S3_ENDPOINT, DSG_TEST_S3_ACCESS_KEY, DSG_TEST_S3_SECRET_KEY), or source scripts/s3.sh and run s3_start first.';
const buckets: string[] = [];

/** Sets the DSGS3 remote in this process's environment (the daemons inherit it). */
function s3Remote(): string {
  const endpoint = process.env.DSG_TEST_S3_ENDPOINT;
  const key = process.env.DSG_TEST_S3_ACCESS_KEY;
  const secret = process.env.DSG_TEST_S3_SECRET_KEY;
  if (!endpoint || !key || !secret) throw new Error(S3_MISSING);
  Object.assign(process.env, {
    RCLONE_CONFIG_DSGS3_TYPE: 's3',
    RCLONE_CONFIG_DSGS3_PROVIDER: 'Ceph',
    RCLONE_CONFIG_DSGS3_ENDPOINT: endpoint,
    RCLONE_CONFIG_DSGS3_ACCESS_KEY_ID: key,
    RCLONE_CONFIG_DSGS3_SECRET_ACCESS_KEY: secret,
  });
  return 'dsgs3';
}

after(() => {
  // The test RGW keeps objects in memory: remove the buckets these tests created.
  if (buckets.length === 0) return;
  const env = { ...process.env };
  delete env.AWS_CA_BUNDLE;
  for (const b of buckets) {
    const r = spawnSync('rclone', ['purge', `dsgs3:${b}`], { env, encoding: 'utf8', timeout: 120_000 });
    if (r.status !== 0 && !/directory not found/i.test(r.stderr)) throw new Error(`removing bucket ${b} failed: ${r.stderr}`);
  }
});

contractSuite('S3 (Ceph RGW, remote configured by environment)', () => ({
  open() {
    const remote = s3Remote();
    const bucket = `dsg-rclone-${randomBytes(5).toString('hex')}`;
    buckets.push(bucket);
    return { store: new RcloneStore({ remote: `${remote}:${bucket}`, path: '/repos/proj', configPath: emptyConfig() }), folder: null };
  },
}));

describe('RcloneStore on S3: environment', () => {
  it('AWS_CA_BUNDLE in the environment does not break rclone', async () => {
    const remote = s3Remote();
    const bundle = join(scratch, 'ca-bundle.pem');
    writeFileSync(bundle, '');
    const before = process.env.AWS_CA_BUNDLE;
    process.env.AWS_CA_BUNDLE = bundle;
    const bucket = `dsg-rclone-${randomBytes(5).toString('hex')}`;
    buckets.push(bucket);
    const store = new RcloneStore({ remote: `${remote}:${bucket}`, path: '/p', configPath: emptyConfig() });
    try {
      await store.ensureContainer();
      await store.put('k', Buffer.from('v'));
      assert.deepEqual(await store.get('k', 10), Buffer.from('v'));
    } finally {
      await store.close();
      if (before === undefined) delete process.env.AWS_CA_BUNDLE;
      else process.env.AWS_CA_BUNDLE = before;
    }
  });
});

// ---- configuration, errors, the daemon's life ----

describe('RcloneStore: roots, errors, the daemon', () => {
  it('joins remote and path the rclone way', () => {
    assert.equal(rcloneRoot('myremote:bucket', '/repos/proj'), 'myremote:bucket/repos/proj');
    assert.equal(rcloneRoot('myremote:bucket/', 'repos/proj/'), 'myremote:bucket/repos/proj');
    assert.equal(rcloneRoot('myremote:', '/repos/proj'), 'myremote:/repos/proj');
    assert.equal(rcloneRoot('myremote:', ''), 'myremote:');
    assert.equal(rcloneRoot(':s3,provider=Ceph:bucket', '/p'), ':s3,provider=Ceph:bucket/p');
    assert.equal(rcloneRoot('/srv/data', '/repos/proj'), '/srv/data/repos/proj');
    assert.equal(rcloneRoot('relative/dir', 'p'), 'relative/dir/p');
  });

  it('a root with "]" is refused up front (rclone could not serve its objects)', () => {
    assert.throws(() => new RcloneStore({ remote: '/data/[x]', path: '/p' }), /contains "\]"/);
  });

  it('an unknown remote is an error naming it, not "absent"', async () => {
    const store = new RcloneStore({ remote: 'nosuchremote:bucket', path: '/p', configPath: emptyConfig() });
    try {
      const err = await rejection(store.stat('k'));
      assert.ok(err instanceof ObjectStoreError, String(err));
      assert.equal((err as ObjectStoreError).code, 'REMOTE_NOT_FOUND');
      assert.match(err.message, /nosuchremote/);
      assert.match(err.message, /k in rclone nosuchremote:bucket\/p|rclone cannot open rclone nosuchremote:bucket\/p/);
    } finally {
      await store.close();
    }
  });

  it('starts the daemon on first use and stops it in close(); a closed store refuses work', async () => {
    const config = emptyConfig();
    const store = new RcloneStore({ remote: mkdtempSync(join(scratch, 'life-')), path: '/r', configPath: config });
    assert.deepEqual(processesWith(config), [], 'nothing runs before the first request');
    await store.put('k', Buffer.from('v'));
    const running = processesWith(config);
    assert.equal(running.length, 1, 'one rclone daemon');
    const cmd = readFileSync(`/proc/${running[0]}/cmdline`, 'utf8').split('\0');
    assert.ok(cmd.includes('rcd') && !cmd.includes('--rc-no-auth'), cmd.join(' '));
    assert.ok(cmd.some((a) => a.startsWith('--rc-addr=127.0.0.1:')), 'listens on loopback only');
    assert.ok(!cmd.some((a) => /rc-pass|rc-user/.test(a)), 'no credentials on the command line');
    const env = readFileSync(`/proc/${running[0]}/environ`, 'utf8').split('\0');
    assert.ok(env.some((e) => /^RCLONE_RC_PASS=[0-9a-f]{48}$/.test(e)), 'a random password');
    assert.ok(!env.some((e) => e.startsWith('AWS_CA_BUNDLE=')), 'AWS_CA_BUNDLE removed');
    await store.close();
    assert.ok(await waitUntil(() => processesWith(config).length === 0, 5000), 'the daemon stopped');
    await assert.rejects(store.stat('k'), /closed/);
  });

  it('rclone settings in the environment cannot weaken or change the store (dry run, filters, log level, no auth)', async () => {
    const hostile = { RCLONE_DRY_RUN: 'true', RCLONE_EXCLUDE: '*.json', RCLONE_LOG_LEVEL: 'ERROR', RCLONE_RC_NO_AUTH: 'true', RCLONE_RC_ADDR: '0.0.0.0:5572' };
    const saved = Object.fromEntries(Object.keys(hostile).map((k) => [k, process.env[k]]));
    Object.assign(process.env, hostile);
    const config = emptyConfig();
    const store = new RcloneStore({ remote: mkdtempSync(join(scratch, 'env-')), path: '/r', configPath: config });
    try {
      await store.put('.dsg/snapshots/s1.json', Buffer.from('{}'));
      assert.deepEqual(await store.get('.dsg/snapshots/s1.json', 10), Buffer.from('{}'), 'written for real');
      assert.deepEqual(
        (await store.list('.dsg/')).map((o) => o.key),
        ['.dsg/snapshots/s1.json'],
        'not filtered out',
      );
      const env = readFileSync(`/proc/${processesWith(config)[0]}/environ`, 'utf8').split('\0');
      assert.deepEqual(env.filter((e) => /^RCLONE_(DRY_RUN|EXCLUDE|LOG_LEVEL|RC_NO_AUTH|RC_ADDR)=/.test(e)), []);
    } finally {
      await store.close();
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  });

  it('a daemon killed from outside is replaced on the next request', async () => {
    const config = emptyConfig();
    const store = new RcloneStore({ remote: mkdtempSync(join(scratch, 'kill-')), path: '/r', configPath: config });
    try {
      await store.put('k', Buffer.from('v'));
      for (const pid of processesWith(config)) process.kill(pid, 'SIGKILL');
      await waitUntil(() => processesWith(config).length === 0, 5000);
      // The request that meets the dead daemon may fail (retryable); the next one works.
      const first = await store.get('k', 10).catch((err: unknown) => err);
      if (first instanceof Error) assert.ok(first instanceof ObjectStoreError && first.retryable, String(first));
      assert.deepEqual(await store.get('k', 10), Buffer.from('v'));
    } finally {
      await store.close();
    }
  });

  it('the daemon dies with its Node process, even one killed with SIGKILL', async () => {
    const config = emptyConfig();
    const module = fileURLToPath(new URL('../../src/remote/objects/rclone/RcloneStore.js', import.meta.url));
    const script = `import { RcloneStore } from ${JSON.stringify(module)};
const s = new RcloneStore({ remote: ${JSON.stringify(mkdtempSync(join(scratch, 'orphan-')))}, path: '/r', configPath: ${JSON.stringify(config)} });
await s.stat('k');
process.stdout.write('ready\\n');
setInterval(() => {}, 1000);`;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.on('exit', (code) => reject(new Error(`the child exited (${code}) before it was ready`)));
    });
    assert.equal(processesWith(config).length, 1);
    child.kill('SIGKILL');
    assert.ok(await waitUntil(() => processesWith(config).length === 0, 5000), 'the daemon outlived its Node process');
  });
});
