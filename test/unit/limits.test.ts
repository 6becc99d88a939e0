/**
 * Bounded reads (issue 7 §2, §3): the transport reads only regular files, never through a
 * link, never blocking, never past the bound; archives decompress to a bounded size; deep
 * JSON is refused without exhausting the stack; the scanner's hashing treats a file that
 * vanished as absent and one that became a FIFO as skipped.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { FileReadError } from '../../src/errors/FileReadError.js';
import { ManifestError } from '../../src/errors/ManifestError.js';
import { compressArchive, decompressArchive } from '../../src/manifest/archive.js';
import { buildManifest, parseManifest, serializeManifest } from '../../src/manifest/codec.js';
import { hashFile, hashLocalFile, xxh3Hex } from '../../src/manifest/hash.js';
import { JSON_MAX_DEPTH } from '../../src/manifest/limits.js';
import { parseSyncMessages } from '../../src/manifest/syncMessages.js';
import { LocalTransport } from '../../src/transport/local/LocalTransport.js';

const dir = mkdtempSync(join(tmpdir(), 'dsg-limits-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const t = new LocalTransport();

function fifo(name: string): string {
  const p = join(dir, name);
  execFileSync('mkfifo', [p]);
  return p;
}

async function drain(stream: AsyncIterable<unknown>): Promise<number> {
  let n = 0;
  for await (const c of stream) n += (c as Buffer).length;
  return n;
}

function rejectsWith(code: string, path: string, what: RegExp) {
  return (err: unknown) => {
    assert.ok(err instanceof FileReadError, `expected a FileReadError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.ok(err.message.includes(path), `the message names ${path}: ${err.message}`);
    assert.match(err.message, what);
    return true;
  };
}

describe('transport reads: regular files only, bounded', () => {
  it('a FIFO is refused at once, naming it (readFile and createReadStream)', async () => {
    const p = fifo('obj-fifo');
    await assert.rejects(t.readFile(p, 100), rejectsWith('NOT_REGULAR_FILE', p, /is a FIFO, not a regular file; the repository may have been tampered with/));
    await assert.rejects(drain(t.createReadStream(p, 10)), rejectsWith('NOT_REGULAR_FILE', p, /FIFO/));
  });

  it('a symbolic link (even to a regular file) is refused; a link to /dev/zero is never read', async () => {
    const target = join(dir, 'real');
    writeFileSync(target, 'x');
    const link = join(dir, 'link-real');
    symlinkSync(target, link);
    await assert.rejects(t.readFile(link, 100), rejectsWith('NOT_REGULAR_FILE', link, /symbolic link/));
    const zero = join(dir, 'link-zero');
    symlinkSync('/dev/zero', zero);
    await assert.rejects(drain(t.createReadStream(zero, 10)), rejectsWith('NOT_REGULAR_FILE', zero, /symbolic link/));
  });

  it('a file larger than the bound fails naming it; one of exactly the bound is read', async () => {
    const p = join(dir, 'ten');
    writeFileSync(p, '0123456789');
    assert.equal((await t.readFile(p, 10))?.toString(), '0123456789');
    await assert.rejects(t.readFile(p, 9), rejectsWith('FILE_TOO_LARGE', p, /larger than 9 bytes/));
    assert.equal(await drain(t.createReadStream(p, 10)), 10);
    await assert.rejects(drain(t.createReadStream(p, 4)), rejectsWith('FILE_TOO_LARGE', p, /more than the 4 bytes expected/));
  });

  it('"does not exist" stays null / ENOENT on the stream', async () => {
    assert.equal(await t.readFile(join(dir, 'absent'), 10), null);
    await assert.rejects(drain(t.createReadStream(join(dir, 'absent'), 10)), (e: NodeJS.ErrnoException) => e.code === 'ENOENT');
  });
});

describe('scanner hashing of a file that changed after the walk', () => {
  it('a FIFO is skipped with the reason, without blocking', async () => {
    const r = await hashLocalFile(fifo('scan-fifo'));
    assert.deepEqual(r, { kind: 'skipped', reason: 'a FIFO (it replaced a regular file during the scan)' });
  });
  it('a link to /dev/zero is skipped, never followed', async () => {
    const p = join(dir, 'scan-zero');
    symlinkSync('/dev/zero', p);
    assert.equal((await hashLocalFile(p)).kind, 'skipped');
  });
  it('a vanished file is absent, not an error', async () => {
    assert.deepEqual(await hashLocalFile(join(dir, 'vanished')), { kind: 'absent' });
  });
  it('a regular file is hashed', async () => {
    const p = join(dir, 'plain');
    writeFileSync(p, 'hello');
    assert.deepEqual(await hashLocalFile(p), { kind: 'hashed', hash: xxh3Hex('hello'), size: 5 });
  });
  it('a large file (read ahead on the thread pool) hashes to the one-shot value, every byte counted once', async () => {
    // Over the one-shot size (8 MiB) and not a whole number of 1 MiB reads.
    const data = randomBytes((11 << 20) + 12345);
    const p = join(dir, 'large');
    writeFileSync(p, data);
    const expected = { hash: xxh3Hex(data), size: data.length };
    let counted = 0;
    assert.deepEqual(await hashLocalFile(p, (n) => (counted += n)), { kind: 'hashed', ...expected });
    assert.equal(counted, data.length);
    assert.deepEqual(await hashFile(p), expected);
  });
});

describe('archive decompression is bounded', () => {
  const manifest = buildManifest(
    Array.from({ length: 2000 }, (_, i) => ({ type: 'file' as const, path: `input/f${i}.csv`, user: 'a@b.c', filesize: i, mtime: '2024-01-01T00:00:00.000000+00:00', hash: xxh3Hex(String(i)) })),
    { manifest_version: '0.1.0', snapshot_id: 's1', created_at: '2024-01-01T00:00:00.000000+00:00', created_by: 'a', snapshot_message: '', snapshot_previous: null, snapshot_notes: '', project_config: null },
    null,
  );
  const json = serializeManifest(manifest);

  it('an LZ4 archive round-trips, and fails with a size error past the bound', () => {
    const lz4 = compressArchive(json);
    assert.equal(decompressArchive(lz4, 'a'), json);
    assert.throws(() => decompressArchive(lz4, 'archive of s1', 1000), (e: Error) => e instanceof ManifestError && /archive of s1: decompresses to more than 1000 bytes/.test(e.message));
  });

  it('an LZ4 frame whose blocks decompress past the bound fails block by block (no content size)', () => {
    const lz4 = Buffer.from(compressArchive(json));
    if (lz4[4] & 0x08) {
      // Drop the content-size field so only the block-by-block bound can stop it.
      const noSize = Buffer.concat([lz4.subarray(0, 4), Buffer.from([lz4[4] & ~0x08, lz4[5], 0]), lz4.subarray(15)]);
      assert.throws(() => decompressArchive(noSize, 'x', 5000), /decompresses to more than 5000 bytes/);
    } else assert.throws(() => decompressArchive(lz4, 'x', 5000), /decompresses to more than 5000 bytes/);
  });

  it('a gzip bomb stops at the bound', () => {
    const bomb = gzipSync(Buffer.alloc(8 << 20));
    assert.throws(() => decompressArchive(bomb, 'archive of s2', 1 << 20), (e: Error) => e instanceof ManifestError && /archive of s2: decompresses to more than 1048576 bytes/.test(e.message));
  });
});

describe('deeply nested JSON', () => {
  const deep = (n: number, key: string) => `{"${key}": `.repeat(n) + '1' + '}'.repeat(n);
  const manifestWith = (projectConfig: string) =>
    `{"entries": {}, "metadata": {"manifest_version": "0.1.0", "snapshot_id": "s1", "created_at": "x", "entry_count": 0, "entries_hash": "${xxh3Hex('')}", "created_by": null, "snapshot_message": "", "snapshot_previous": null, "snapshot_hash": "0000000000000000", "snapshot_notes": "", "project_config": ${projectConfig}}}`;

  for (const key of ['a', '1']) {
    it(`a manifest nested 100,000 levels (key "${key}") is a ManifestError naming the file, not a stack overflow`, () => {
      assert.throws(
        () => parseManifest(manifestWith(deep(100_000, key)), '/repo/.dsg/last-sync.json'),
        (e: Error) => e instanceof ManifestError && e.message.startsWith('/repo/.dsg/last-sync.json: JSON nested deeper than'),
      );
    });
  }

  it(`nesting up to ${JSON_MAX_DEPTH} levels is accepted`, () => {
    const m = parseManifest(manifestWith(deep(JSON_MAX_DEPTH - 3, 'a')), 'm');
    assert.ok(m.metadata.project_config);
  });

  it('sync-messages nested 100,000 levels is a ManifestError naming the file', () => {
    assert.throws(
      () => parseSyncMessages(`{"metadata_version": "0.1.0", "snapshots": {}, "messages": [${'['.repeat(100_000)}${']'.repeat(100_000)}]}`, '/repo/.dsg/sync-messages.json'),
      (e: Error) => e instanceof ManifestError && /sync-messages\.json: JSON nested deeper than/.test(e.message),
    );
  });
});
