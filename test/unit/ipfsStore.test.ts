/**
 * IpfsStore against the object-store contract (ObjectStore.ts), encrypted and not: bounded and
 * ranged reads across sealed chunks, put-if-absent, listing by prefix, deletes that prune, and
 * a hostile folder (symlinked or FIFO records, swapped or damaged blocks, lying records).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CHUNK, deriveKeys, sealStream, unsealStream } from '../../src/remote/objects/ipfs/crypto.js';
import { IpfsStore } from '../../src/remote/objects/ipfs/IpfsStore.js';

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function newStore(encrypted: boolean, passphrase = 'pw'): { store: IpfsStore; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dsg-ipfs-unit-'));
  dirs.push(dir);
  return { store: new IpfsStore({ blockstore: join(dir, 'bs'), did: 'did:key:z6MkUnit', encrypted, passphrase: () => passphrase }), dir };
}

async function* from(...bufs: Buffer[]): AsyncIterable<Buffer> {
  yield* bufs;
}

async function gather(src: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of src) parts.push(c);
  return Buffer.concat(parts);
}

async function readAll(s: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of s) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

/** The record files under names/ (whatever their sealed names). */
function records(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) (e.isDirectory() ? walk : (p: string) => out.push(p))(join(d, e.name));
  };
  walk(join(dir, 'bs', 'repos', encodeURIComponent('did:key:z6MkUnit'), 'names'));
  return out;
}

describe('sealed chunks', () => {
  it('round-trip any size, any range of chunks, and refuse reordered or truncated chunks', async () => {
    const keys = await deriveKeys('pw', 'did:key:x');
    for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5]) {
      const plain = randomBytes(size);
      const sealed = await gather(sealStream(keys, from(plain.subarray(0, 7), plain.subarray(7))));
      const again = await gather(sealStream(keys, from(plain)));
      assert.ok(sealed.equals(again), 'sealing is deterministic whatever the pieces');
      const total = Math.max(1, Math.ceil(size / CHUNK));
      assert.ok((await gather(unsealStream(keys, from(sealed), 0, total))).equals(plain));
      if (total > 1) {
        const dropLast = sealed.subarray(0, (total - 1) * (CHUNK + 28));
        await assert.rejects(gather(unsealStream(keys, from(dropLast), 0, total - 1)), /authentication failed/);
      }
    }
  });
});

for (const encrypted of [true, false]) {
  describe(`IpfsStore (${encrypted ? 'encrypted' : 'not encrypted'})`, () => {
    const { store, dir } = newStore(encrypted);

    it('puts and reads whole objects, tails and exact streams across chunk boundaries', async () => {
      assert.equal(await store.ensureContainer(), 'created');
      assert.equal(await store.ensureContainer(), 'existed');
      const data = randomBytes(2 * CHUNK + 1234);
      await store.putStream('objects/ab/abcdef0123456789', from(data.subarray(0, 5000), data.subarray(5000)), data.length, { verify: () => undefined });
      assert.equal((await store.stat('objects/ab/abcdef0123456789'))?.size, data.length);
      assert.ok((await store.get('objects/ab/abcdef0123456789', data.length))!.equals(data));
      await assert.rejects(store.get('objects/ab/abcdef0123456789', 100), /FILE_TOO_LARGE|more than/);
      for (const n of [1, 1234, 1235, CHUNK + 1234, data.length]) {
        const t = await store.getTail('objects/ab/abcdef0123456789', n);
        assert.ok(t!.bytes.equals(data.subarray(data.length - n)), `tail of ${n}`);
      }
      assert.ok((await readAll((await store.getStream('objects/ab/abcdef0123456789', data.length))!)).equals(data));
      await assert.rejects(store.getStream('objects/ab/abcdef0123456789', data.length - 1), /damaged/);
      assert.equal(await store.get('objects/ab/missing', 10), null);
      assert.equal(await store.stat('objects/ab/missing'), null);
      await store.put('.dsg/empty', new Uint8Array(0));
      assert.equal((await store.get('.dsg/empty', 0))!.length, 0);
    });

    it('a failed verify leaves nothing at the key', async () => {
      await assert.rejects(store.putStream('objects/cd/x', from(Buffer.from('abc')), 3, { verify: () => { throw new Error('changed during upload'); } }), /changed/);
      assert.equal(await store.stat('objects/cd/x'), null);
    });

    it('creates only where absent, lists by prefix, and prunes emptied folders on delete', async () => {
      assert.equal(await store.putIfAbsent('.dsg/snapshots/s1.json', Buffer.from('one')), true);
      assert.equal(await store.putIfAbsent('.dsg/snapshots/s1.json', Buffer.from('two')), false);
      assert.equal((await store.get('.dsg/snapshots/s1.json', 10))!.toString(), 'one');
      await store.put('.dsg/staging/tx1/journal.json', Buffer.from('{}'));
      await store.put('.dsg/staging/tx1/b', Buffer.from('b'));
      assert.deepEqual((await store.list('.dsg/staging/')).map((o) => o.key).sort(), ['.dsg/staging/tx1/b', '.dsg/staging/tx1/journal.json']);
      assert.deepEqual((await store.list('.dsg/snap')).map((o) => o.key), ['.dsg/snapshots/s1.json']);
      const before = records(dir).length;
      await store.delete('.dsg/staging/tx1/journal.json');
      await store.delete('.dsg/staging/tx1/b');
      await store.delete('.dsg/staging/tx1/b'); // absent: ignored
      assert.deepEqual(await store.list('.dsg/staging/'), []);
      assert.equal(records(dir).length, before - 2);
    });

    it('never follows a symlinked record, never blocks on a FIFO, and refuses lying records and damaged blocks', async () => {
      await store.put('.dsg/victim', Buffer.from('victim'));
      const rec = records(dir).find((f) => readFileSync(f, 'utf8').includes(' 6\n'))!;
      const saved = readFileSync(rec, 'utf8');
      unlinkSync(rec);
      symlinkSync('/etc/passwd', rec);
      await assert.rejects(store.get('.dsg/victim', 100), /symbolic link/);
      unlinkSync(rec);
      execFileSync('mkfifo', [rec]);
      await assert.rejects(store.get('.dsg/victim', 100), /not a regular file/);
      unlinkSync(rec);
      writeFileSync(rec, saved.replace(' 6\n', ' 7\n'));
      await assert.rejects(store.get('.dsg/victim', 100), /damaged/);
      writeFileSync(rec, 'garbage');
      await assert.rejects(store.get('.dsg/victim', 100), /damaged/);
      writeFileSync(rec, saved);
      // Damage the block the record names: detected by its CID.
      const cid = saved.split(' ')[1]!;
      const { blocks } = store;
      const { CID } = await import('multiformats/cid');
      const file = blocks.pathOf(CID.parse(cid));
      const bytes = readFileSync(file);
      bytes[0] ^= 1;
      writeFileSync(file, bytes);
      await assert.rejects(store.get('.dsg/victim', 100), /does not match its CID/);
      // Writing the same content again repairs the block.
      await store.put('.dsg/victim', Buffer.from('victim'));
      assert.equal((await store.get('.dsg/victim', 100))!.toString(), 'victim');
    });

    it('never writes through a folder that was replaced by a symbolic link', async () => {
      await store.put('.dsg/staging/t9/a', Buffer.from('a'));
      const rec = records(dir).find((f) => readFileSync(f, 'utf8').endsWith(' 1\n'))!;
      const folder = join(rec, '..');
      const elsewhere = mkdtempSync(join(tmpdir(), 'dsg-ipfs-elsewhere-'));
      dirs.push(elsewhere);
      rmSync(folder, { recursive: true });
      symlinkSync(elsewhere, folder);
      // The next command (a new store: folders are checked once per folder and command).
      const next = new IpfsStore({ blockstore: join(dir, 'bs'), did: 'did:key:z6MkUnit', encrypted, passphrase: () => 'pw' });
      await assert.rejects(next.put('.dsg/staging/t9/b', Buffer.from('b')), /symbolic link/);
      await assert.rejects(next.delete('.dsg/staging/t9/a'), /symbolic link/);
      await assert.rejects(store.delete('.dsg/staging/t9/a'), /symbolic link/);
      assert.deepEqual(readdirSync(elsewhere), []);
    });
  });
}

describe('IpfsStore passphrases', () => {
  it('a wrong passphrase is refused before anything is read or written', async () => {
    const { store, dir } = newStore(true, 'right');
    await store.ensureContainer();
    await store.put('.dsg/x', Buffer.from('x'));
    const other = new IpfsStore({ blockstore: join(dir, 'bs'), did: 'did:key:z6MkUnit', encrypted: true, passphrase: () => 'wrong' });
    await assert.rejects(other.get('.dsg/x', 10), /passphrase does not open/);
    await assert.rejects(other.put('.dsg/y', Buffer.from('y')), /passphrase does not open/);
    const plain = new IpfsStore({ blockstore: join(dir, 'bs'), did: 'did:key:z6MkUnit', encrypted: false, passphrase: () => null });
    await assert.rejects(plain.get('.dsg/x', 10), /encrypted: true/);
  });
});
