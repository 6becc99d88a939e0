/**
 * The Transport contract (src/transport/Transport.ts) as one suite that every Transport runs
 * with a few-line test file (restic's backend test suite is the model). `make` gives a
 * transport and a root folder on its host; the host is always this machine in tests (the SSH
 * server is on 127.0.0.1), so the suite prepares what a transport cannot make itself (FIFOs)
 * and checks results directly on disk too.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { EXEC_STDERR_MAX, EXEC_STDOUT_MAX, type Transport } from '../../src/transport/Transport.js';

export interface TransportUnderTest {
  transport: Transport;
  /** An empty folder on the transport's host (this machine), absolute. */
  root: string;
  cleanup(): Promise<void>;
}

/** Names that break naive quoting: each must round-trip exactly and execute nothing. */
export const HOSTILE_NAMES = [
  'with space',
  "it's",
  'say "hi"',
  '$(touch PWNED)',
  '`touch PWNED`',
  'a;touch PWNED',
  'a&b',
  'back\\slash',
  'new\nline',
  'ünïcødé-名前',
  '-leading-dash',
  '*',
];

/** Fail instead of hanging: every hostile-file case is bounded in time. */
async function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function collect(stream: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of stream) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

async function rejectsWithCode(p: Promise<unknown>, code: string, mentions?: string): Promise<Error> {
  let err: unknown;
  try {
    await p;
  } catch (e) {
    err = e;
  }
  assert.ok(err instanceof Error, `expected an error with code ${code}`);
  assert.equal((err as NodeJS.ErrnoException).code, code, (err as Error).message);
  if (mentions !== undefined) assert.ok((err as Error).message.includes(mentions), `message names ${mentions}: ${(err as Error).message}`);
  return err as Error;
}

export function runTransportSuite(name: string, make: () => Promise<TransportUnderTest>): void {
  describe(`Transport contract: ${name}`, () => {
    let t: Transport;
    let root: string;
    let cleanup: () => Promise<void>;
    let n = 0;
    /** A fresh folder per test (created locally: the host is this machine). */
    const dir = (): string => {
      const d = join(root, `case${++n}`);
      mkdirSync(d);
      return d;
    };

    before(async () => {
      ({ transport: t, root, cleanup } = await make());
    });
    after(async () => {
      await t.close();
      await cleanup();
    });

    it('stat: file, folder, symbolic link (not followed), absent → null', async () => {
      const d = dir();
      writeFileSync(join(d, 'f'), 'abc');
      mkdirSync(join(d, 'sub'));
      symlinkSync('f', join(d, 'ln'));
      const f = await t.stat(join(d, 'f'));
      assert.equal(f?.type, 'file');
      assert.equal(f?.size, 3);
      assert.ok(Math.abs(f!.mtimeMs - lstatSync(join(d, 'f')).mtimeMs) < 2000);
      assert.ok(f!.nlink >= 1);
      assert.equal((await t.stat(join(d, 'sub')))?.type, 'directory');
      assert.equal((await t.stat(join(d, 'ln')))?.type, 'symlink');
      assert.equal(await t.stat(join(d, 'absent')), null);
      assert.equal(await t.stat(join(d, 'f', 'under-a-file')), null);
    });

    it('writeFile / readFile round trip; writeFile replaces; absent → null', async () => {
      const d = dir();
      await t.writeFile(join(d, 'x'), 'first version, longer');
      await t.writeFile(join(d, 'x'), new Uint8Array([1, 2, 3]));
      assert.deepEqual(readFileSync(join(d, 'x')), Buffer.from([1, 2, 3]));
      assert.deepEqual(await t.readFile(join(d, 'x'), 3), Buffer.from([1, 2, 3]));
      await t.writeFile(join(d, 'empty'), '');
      assert.deepEqual(await t.readFile(join(d, 'empty'), 0), Buffer.alloc(0));
      assert.equal(await t.readFile(join(d, 'absent'), 10), null);
    });

    it('readFile: a 3 MiB file comes back exactly', async () => {
      const d = dir();
      const data = Buffer.alloc(3 << 20);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
      writeFileSync(join(d, 'big'), data);
      assert.ok((await t.readFile(join(d, 'big'), data.length))!.equals(data));
    });

    it('readTail: the last bytes and the stamp of what was opened; absent → null; a link refused', async () => {
      const d = dir();
      const data = Buffer.alloc(300 << 10);
      for (let i = 0; i < data.length; i += 4) data.writeUInt32LE(i, i);
      writeFileSync(join(d, 'big'), data);
      const tail = (await t.readTail(join(d, 'big'), 70_000))!;
      assert.ok(tail.bytes.equals(data.subarray(data.length - 70_000)));
      assert.equal(tail.size, data.length);
      assert.ok(Math.abs(Number(tail.mtimeNs / 1_000_000n) - lstatSync(join(d, 'big')).mtimeMs) < 2000);
      writeFileSync(join(d, 'small'), 'abc');
      assert.deepEqual((await t.readTail(join(d, 'small'), 100))!.bytes, Buffer.from('abc'));
      assert.equal(await t.readTail(join(d, 'absent'), 10), null);
      symlinkSync(join(d, 'small'), join(d, 'ln'));
      await rejectsWithCode(t.readTail(join(d, 'ln'), 10), 'NOT_REGULAR_FILE', join(d, 'ln'));
    });

    it('readFile refuses a symbolic link, a FIFO and a folder (NOT_REGULAR_FILE), in bounded time', async () => {
      const d = dir();
      writeFileSync(join(d, 'target'), 'secret');
      symlinkSync(join(d, 'target'), join(d, 'ln'));
      execFileSync('mkfifo', [join(d, 'fifo')]);
      mkdirSync(join(d, 'folder'));
      for (const [p, what] of [['ln', 'symbolic link'], ['fifo', 'FIFO'], ['folder', 'folder']] as const) {
        const err = await rejectsWithCode(within(8000, `readFile(${p})`, t.readFile(join(d, p), 100)), 'NOT_REGULAR_FILE', join(d, p));
        assert.match(err.message, new RegExp(what));
      }
    });

    it('readFile: exactly maxBytes is fine, maxBytes + 1 is FILE_TOO_LARGE', async () => {
      const d = dir();
      writeFileSync(join(d, 'ten'), '0123456789');
      assert.equal((await t.readFile(join(d, 'ten'), 10))!.toString(), '0123456789');
      await rejectsWithCode(t.readFile(join(d, 'ten'), 9), 'FILE_TOO_LARGE', join(d, 'ten'));
    });

    it('createReadStream: content with and without expectedSize; absent → ENOENT on the stream', async () => {
      const d = dir();
      const data = Buffer.alloc((5 << 20) + 123, 7);
      data.write('start');
      data.write('end', data.length - 3);
      writeFileSync(join(d, 'f'), data);
      assert.ok((await collect(t.createReadStream(join(d, 'f'), data.length))).equals(data));
      assert.ok((await collect(t.createReadStream(join(d, 'f')))).equals(data));
      writeFileSync(join(d, 'small'), 'tiny');
      assert.equal((await collect(t.createReadStream(join(d, 'small'), 4))).toString(), 'tiny');
      await rejectsWithCode(collect(t.createReadStream(join(d, 'absent'), 3)), 'ENOENT');
    });

    it('createReadStream fails FILE_TOO_LARGE once more than expectedSize arrives, and refuses FIFOs and links', async () => {
      const d = dir();
      writeFileSync(join(d, 'f'), Buffer.alloc(1 << 20, 1));
      await rejectsWithCode(collect(t.createReadStream(join(d, 'f'), 1000)), 'FILE_TOO_LARGE', join(d, 'f'));
      await rejectsWithCode(collect(t.createReadStream(join(d, 'f'), (1 << 20) - 1)), 'FILE_TOO_LARGE');
      execFileSync('mkfifo', [join(d, 'fifo')]);
      symlinkSync(join(d, 'f'), join(d, 'ln'));
      await rejectsWithCode(within(8000, 'stream of a FIFO', collect(t.createReadStream(join(d, 'fifo'), 10))), 'NOT_REGULAR_FILE');
      await rejectsWithCode(within(8000, 'stream of a link', collect(t.createReadStream(join(d, 'ln'), 1 << 20))), 'NOT_REGULAR_FILE');
    });

    it('createReadStream: a stream read only later fails on the read, not before (no error with no listener)', async () => {
      // Callers make the stream, then open their destination, then read: an open that failed
      // in between must not surface as an uncaught 'error' event (it ended a sync, lock held).
      const d = dir();
      writeFileSync(join(d, 'f'), 'data');
      symlinkSync(join(d, 'f'), join(d, 'ln'));
      const absent = t.createReadStream(join(d, 'absent'), 3);
      const link = t.createReadStream(join(d, 'ln'), 4);
      await new Promise((r) => setTimeout(r, 300));
      await rejectsWithCode(collect(absent), 'ENOENT');
      await rejectsWithCode(collect(link), 'NOT_REGULAR_FILE');
    });

    it('writeStream: 64 MiB from a generator in constant memory, bytes exact', async () => {
      const d = dir();
      const CHUNK = 1 << 20;
      const COUNT = 64;
      const buf = Buffer.alloc(CHUNK);
      const want = createHash('sha256');
      const rss0 = process.memoryUsage().rss;
      let peak = rss0;
      async function* source(): AsyncGenerator<Uint8Array> {
        for (let i = 0; i < COUNT; i++) {
          buf.fill(i % 251); // the same buffer each time: the transport must not keep it
          buf.writeUInt32LE(i, 0);
          want.update(buf);
          peak = Math.max(peak, process.memoryUsage().rss);
          yield buf;
        }
      }
      await t.writeStream(join(d, 'big'), source());
      peak = Math.max(peak, process.memoryUsage().rss);
      const got = createHash('sha256').update(readFileSync(join(d, 'big'))).digest('hex');
      assert.equal(got, want.digest('hex'));
      const growth = peak - rss0;
      assert.ok(growth < 32 * CHUNK, `RSS grew by ${(growth / CHUNK).toFixed(1)} MiB while writing 64 MiB`);
    });

    it('writeStream with durable: false, then flush', async () => {
      const d = dir();
      await t.writeStream(join(d, 'a'), (async function* () {
        yield Buffer.from('hello ');
        yield new Uint8Array(Buffer.from('world'));
      })(), { durable: false });
      await t.flush(join(d, 'a'));
      assert.equal(readFileSync(join(d, 'a'), 'utf8'), 'hello world');
    });

    it('createExclusive: true then false; the first content stays', async () => {
      const d = dir();
      assert.equal(await t.createExclusive(join(d, 'lock'), 'one'), true);
      assert.equal(await t.createExclusive(join(d, 'lock'), 'two'), false);
      assert.equal(readFileSync(join(d, 'lock'), 'utf8'), 'one');
    });

    it('rename replaces an existing file in one step', async () => {
      const d = dir();
      writeFileSync(join(d, 'new'), 'new');
      writeFileSync(join(d, 'old'), 'old');
      await t.rename(join(d, 'new'), join(d, 'old'));
      assert.equal(readFileSync(join(d, 'old'), 'utf8'), 'new');
      assert.equal(existsSync(join(d, 'new')), false);
      mkdirSync(join(d, 'dirA'));
      await t.rename(join(d, 'dirA'), join(d, 'dirB'));
      assert.ok(lstatSync(join(d, 'dirB')).isDirectory());
      await rejectsWithCode(t.rename(join(d, 'absent'), join(d, 'x')), 'ENOENT');
    });

    it('link: a hard link; EEXIST when newPath exists', async () => {
      const d = dir();
      writeFileSync(join(d, 'a'), 'content');
      await t.link(join(d, 'a'), join(d, 'b'));
      assert.equal(lstatSync(join(d, 'a')).ino, lstatSync(join(d, 'b')).ino);
      writeFileSync(join(d, 'c'), 'other');
      await rejectsWithCode(t.link(join(d, 'a'), join(d, 'c')), 'EEXIST');
      assert.equal(readFileSync(join(d, 'c'), 'utf8'), 'other');
    });

    it('symlink / readlink', async () => {
      const d = dir();
      await t.symlink('../some/target', join(d, 'ln'));
      assert.equal(lstatSync(join(d, 'ln')).isSymbolicLink(), true);
      assert.equal(await t.readlink(join(d, 'ln')), '../some/target');
      assert.equal((await t.stat(join(d, 'ln')))?.type, 'symlink');
    });

    it('unlink removes a file (or a link, not its target); absent is ignored', async () => {
      const d = dir();
      writeFileSync(join(d, 'f'), 'x');
      symlinkSync(join(d, 'f'), join(d, 'ln'));
      await t.unlink(join(d, 'ln'));
      assert.equal(existsSync(join(d, 'f')), true);
      await t.unlink(join(d, 'f'));
      assert.equal(existsSync(join(d, 'f')), false);
      await t.unlink(join(d, 'f'));
      await t.unlink(join(d, 'no', 'such', 'folder'));
    });

    it('mkdirp: nested folders; existing is fine; a file in the way is an error', async () => {
      const d = dir();
      await t.mkdirp(join(d, 'a', 'b', 'c'));
      assert.ok(lstatSync(join(d, 'a', 'b', 'c')).isDirectory());
      await t.mkdirp(join(d, 'a', 'b', 'c'));
      await t.mkdirp(join(d, 'a'));
      writeFileSync(join(d, 'file'), '');
      await assert.rejects(t.mkdirp(join(d, 'file')));
    });

    it('rmdirIfEmpty: true when empty, false when not empty or absent', async () => {
      const d = dir();
      mkdirSync(join(d, 'empty'));
      mkdirSync(join(d, 'full'));
      writeFileSync(join(d, 'full', 'x'), '');
      assert.equal(await t.rmdirIfEmpty(join(d, 'empty')), true);
      assert.equal(existsSync(join(d, 'empty')), false);
      assert.equal(await t.rmdirIfEmpty(join(d, 'full')), false);
      assert.equal(existsSync(join(d, 'full', 'x')), true);
      assert.equal(await t.rmdirIfEmpty(join(d, 'absent')), false);
    });

    it('rmrf: a whole tree (links not followed); absent is fine', async () => {
      const d = dir();
      mkdirSync(join(d, 'keep'));
      writeFileSync(join(d, 'keep', 'precious'), 'x');
      mkdirSync(join(d, 'tree', 'a', 'b'), { recursive: true });
      writeFileSync(join(d, 'tree', 'a', 'b', 'f'), 'x');
      symlinkSync(join(d, 'keep'), join(d, 'tree', 'link-out'));
      await t.rmrf(join(d, 'tree'));
      assert.equal(existsSync(join(d, 'tree')), false);
      assert.equal(existsSync(join(d, 'keep', 'precious')), true);
      await t.rmrf(join(d, 'tree'));
      await t.rmrf(join(d, '-rf'));
    });

    it('readdir: names and types; absent → []', async () => {
      const d = dir();
      writeFileSync(join(d, 'f'), '');
      mkdirSync(join(d, 'sub'));
      symlinkSync('f', join(d, 'ln'));
      execFileSync('mkfifo', [join(d, 'fifo')]);
      const got = (await t.readdir(d)).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(got, [
        { name: 'f', type: 'file' },
        { name: 'fifo', type: 'other' },
        { name: 'ln', type: 'symlink' },
        { name: 'sub', type: 'directory' },
      ]);
      assert.deepEqual(await t.readdir(join(d, 'absent')), []);
    });

    it('readdir of 500 entries', async () => {
      const d = dir();
      for (let i = 0; i < 500; i++) writeFileSync(join(d, `f${i}`), '');
      assert.equal((await t.readdir(d)).length, 500);
    });

    it('exec: hostile arguments round-trip exactly and execute nothing', async () => {
      const d = dir();
      const pwned = join(d, 'pwned');
      const args = [
        `$(touch ${pwned})`,
        `\`touch ${pwned}\``,
        `; touch ${pwned}`,
        `& touch ${pwned} &`,
        `| touch ${pwned}`,
        `it's`,
        `'`,
        `''`,
        `"double" "`,
        'back\\slash\\',
        'new\nline',
        'tab\there',
        'ünïcødé 名前 🎉',
        '$HOME ${PATH} ~',
        '*',
        '',
        ' ',
        '-n',
      ];
      for (const arg of args) {
        const r = await t.exec(['printf', '%s', arg]);
        assert.equal(r.code, 0, r.stderr);
        assert.equal(r.stdout, arg);
      }
      const all = await t.exec(['printf', '%s|', ...args]);
      assert.equal(all.stdout, args.map((a) => `${a}|`).join(''));
      assert.equal(existsSync(pwned), false, 'nothing was executed');
    });

    it('exec: exit code, stderr; a missing command rejects with ENOENT', async () => {
      const r = await t.exec(['sh', '-c', 'echo out; echo err >&2; exit 3']);
      assert.deepEqual(r, { code: 3, stdout: 'out\n', stderr: 'err\n' });
      await rejectsWithCode(t.exec(['dsg-no-such-command-xyz', 'a']), 'ENOENT');
    });

    it('exec: output past its bounds: stdout over 16 MiB rejects (EIO, the command stopped), stderr is cut and says so', async () => {
      // `yes` never ends on its own: only the bound stops it.
      await assert.rejects(t.exec(['yes', 'dsg']), (e: NodeJS.ErrnoException) => e.code === 'EIO' && /more than 16 MiB to its standard output/.test(e.message) && /yes'? '?dsg/.test(e.message));
      const exactly = await t.exec(['head', '-c', String(EXEC_STDOUT_MAX), '/dev/zero']);
      assert.equal(exactly.stdout.length, EXEC_STDOUT_MAX);
      const r = await t.exec(['sh', '-c', 'head -c 1000000 /dev/zero | tr "\\0" e >&2; echo done; exit 4']);
      assert.equal(r.code, 4);
      assert.equal(r.stdout, 'done\n');
      assert.ok(r.stderr.startsWith('e'.repeat(EXEC_STDERR_MAX)));
      assert.match(r.stderr.slice(EXEC_STDERR_MAX), /^\n\[dsg: standard error cut at 64 KiB\]$/);
    });

    it('exec: 20 commands at once', async () => {
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => t.exec(['echo', String(i)])));
      assert.deepEqual(results.map((r) => r.stdout), Array.from({ length: 20 }, (_, i) => `${i}\n`));
    });

    it('hostile file names round-trip through writeFile, readdir, readFile, rename, mkdirp', async () => {
      const d = dir();
      for (const name of HOSTILE_NAMES) await t.writeFile(join(d, name), `content of ${name}`);
      const listed = (await t.readdir(d)).map((e) => e.name).sort();
      assert.deepEqual(listed, [...HOSTILE_NAMES].sort());
      for (const name of HOSTILE_NAMES) {
        assert.equal((await t.readFile(join(d, name), 1000))!.toString(), `content of ${name}`);
        assert.equal(readFileSync(join(d, name), 'utf8'), `content of ${name}`);
      }
      await t.mkdirp(join(d, "sub dir $(x) 'q'", 'ünï'));
      await t.rename(join(d, "it's"), join(d, "sub dir $(x) 'q'", 'ünï', 'moved "here"'));
      assert.equal(readFileSync(join(d, "sub dir $(x) 'q'", 'ünï', 'moved "here"'), 'utf8'), "content of it's");
      await t.rmrf(join(d, "sub dir $(x) 'q'"));
      await t.flush(join(d, 'a&b'));
      assert.equal(existsSync(join(d, 'PWNED')), false);
      assert.equal(existsSync(join(root, 'PWNED')), false);
    });

    it('writeFiles: 3,000 small files and an empty one land exactly; existing files are replaced', async () => {
      const d = dir();
      writeFileSync(join(d, 'f7'), 'old content that is longer than the new one');
      const files = Array.from({ length: 3000 }, (_, i) => ({ name: `f${i}`, data: Buffer.from(`${i}:`.repeat(1 + (i % 700))) }));
      files.push({ name: 'empty', data: Buffer.alloc(0) });
      files.push({ name: 'big', data: Buffer.alloc(300_000, 7) }); // spans several tar chunks
      await t.writeFiles(d, files);
      for (const f of files) assert.ok(readFileSync(join(d, f.name)).equals(f.data), f.name);
      assert.equal((await t.readdir(d)).length, files.length);
      await t.writeFiles(d, []);
    });

    it('writeFiles: hostile names round-trip exactly and execute nothing', async () => {
      const d = dir();
      await t.writeFiles(d, HOSTILE_NAMES.map((name) => ({ name, data: Buffer.from(`content of ${name}`) })));
      assert.deepEqual((await t.readdir(d)).map((e) => e.name).sort(), [...HOSTILE_NAMES].sort());
      for (const name of HOSTILE_NAMES) assert.equal(readFileSync(join(d, name), 'utf8'), `content of ${name}`);
      assert.equal(existsSync(join(d, 'PWNED')), false);
      assert.equal(existsSync(join(root, 'PWNED')), false);
    });

    it('writeFiles refuses a name that is not one plain component, before writing anything', async () => {
      const d = dir();
      for (const bad of ['../escape', 'a/b', '..', '.', '']) {
        await assert.rejects(t.writeFiles(d, [{ name: 'ok', data: Buffer.from('x') }, { name: bad, data: Buffer.from('x') }]), /not a plain file name/);
      }
      assert.deepEqual(await t.readdir(d), []);
      assert.equal(existsSync(join(root, 'escape')), false);
    });

    it('errors name the path: writing into a missing folder is ENOENT', async () => {
      const d = dir();
      await rejectsWithCode(t.writeFile(join(d, 'no', 'f'), 'x'), 'ENOENT', join(d, 'no', 'f'));
    });
  });
}
