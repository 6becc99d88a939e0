/**
 * Reading only a manifest's metadata (issue 10, P1): `parseManifestTail` gives the metadata
 * `parseManifest` gives, or null (never other metadata); `Transport.readTail` obeys the rules
 * of `readFile` (regular file only, no link, no hang, never more than the bound);
 * `PosixRemote.readManifestHead` reads the tail only, and falls back to the full read when the
 * tail does not parse.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileReadError } from '../../src/errors/FileReadError.js';
import { buildManifest, parseManifest, parseManifestTail, serializeManifest } from '../../src/manifest/codec.js';
import type { Entry, Manifest } from '../../src/manifest/types.js';
import { PosixRemote } from '../../src/remote/posix/PosixRemote.js';
import { LocalTransport } from '../../src/transport/local/LocalTransport.js';

const dir = mkdtempSync(join(tmpdir(), 'dsg-head-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function manifest(n: number, projectConfig: Manifest['metadata']['project_config'] = null, message = 'm'): Manifest {
  const entries: Entry[] = [];
  for (let i = 0; i < n; i++) entries.push({ type: 'file', path: `input/f${i}.bin`, user: 'a@example.org', filesize: i, mtime: '2025-06-13T10:19:19-07:00', hash: '0123456789abcdef' });
  entries.push({ type: 'link', path: 'input/link', user: 'a@example.org', reference: 'f0.bin' });
  return buildManifest(
    entries,
    { manifest_version: '0.4.4', snapshot_id: 's3', created_at: '2025-06-13T10:19:19-07:00', created_by: 'a@example.org', snapshot_message: message, snapshot_previous: 's2', snapshot_notes: 'sync', project_config: projectConfig },
    'fedcba9876543210',
  );
}

describe('parseManifestTail', () => {
  const cases: [string, Manifest][] = [
    ['plain', manifest(50)],
    ['no entries', manifest(0)],
    ['project_config holding a "metadata" key and braces in strings', manifest(5, { name: 'p', metadata: { entries: '}', x: [1, { metadata: '"metadata": {' }] } })],
    ['a message that quotes the layout', manifest(5, null, '"metadata": {"snapshot_id": "s9"}\n}')],
    ['non-ASCII everywhere', manifest(5, { name: 'Ökologie ✓ 𝄞' }, 'Grüße 𝄞')],
  ];
  for (const [what, m] of cases) {
    it(`${what}: every tail gives the full parse's metadata or null, never other metadata`, () => {
      const text = serializeManifest(m);
      const full = parseManifest(text, 'full').metadata;
      assert.deepEqual(parseManifestTail(text, 'tail'), full);
      const bytes = Buffer.from(text, 'utf8');
      for (let cut = 0; cut < bytes.length; cut += 7) {
        const got = parseManifestTail(bytes.subarray(cut).toString('utf8'), 'tail');
        if (got !== null) assert.deepEqual(got, full, `tail from byte ${cut}`);
      }
    });
  }

  it('hostile or damaged tails give null (the full read then says what is wrong)', () => {
    const text = serializeManifest(manifest(3));
    assert.equal(parseManifestTail(text.slice(0, -1), 'tail'), null, 'truncated');
    assert.equal(parseManifestTail(`${text}\n{}`, 'tail'), null, 'garbage after it');
    assert.equal(parseManifestTail(text.replace('"entry_count": 4', '"entry_count": "4"'), 'tail'), null, 'a count that is a string');
    assert.equal(parseManifestTail(text.replace('"snapshot_id": "s3"', '"snapshot_id": "../x"'), 'tail'), null, 'an id that is not sN');
    assert.equal(parseManifestTail(text.replace(/"metadata": \{[^]*$/, '"metadata": 5\n}'), 'tail'), null, 'metadata not an object');
    assert.equal(parseManifestTail('{"entries": {}}', 'tail'), null, 'no metadata');
    const deep = text.replace('"project_config": null', `"project_config": ${'{"k": '.repeat(100)}1${'}'.repeat(100)}`);
    assert.equal(parseManifestTail(deep, 'tail'), null, 'nested too deep');
    const many = `{"entries": {}, ${Array.from({ length: 50 }, (_, i) => `"metadata${i}": {"metadata": 1}`).join(', ')}}`;
    assert.equal(parseManifestTail(many, 'tail'), null, 'many decoy keys: bounded attempts');
  });
});

describe('LocalTransport.readTail', () => {
  const t = new LocalTransport();

  it('returns the last bytes and what fstat said of the file opened, never more than the bound', async () => {
    const f = join(dir, 'tail.bin');
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));
    writeFileSync(f, data);
    const r = (await t.readTail(f, 100))!;
    assert.deepEqual(r.bytes, data.subarray(900));
    assert.equal(r.size, 1000);
    assert.equal(typeof r.mtimeNs, 'bigint');
    assert.ok(r.ino > 0n);
    assert.deepEqual((await t.readTail(f, 5000))!.bytes, data, 'smaller than the bound: all of it');
    assert.equal((await t.readTail(f, 0))!.bytes.length, 0);
    assert.equal(await t.readTail(join(dir, 'absent'), 100), null);
  });

  it('refuses a FIFO (without hanging), a symbolic link and a folder, naming the path', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const link = join(dir, 'link');
    writeFileSync(join(dir, 'target'), 'x');
    symlinkSync(join(dir, 'target'), link);
    const folder = join(dir, 'folder');
    mkdirSync(folder);
    for (const [p, what] of [[fifo, /a FIFO/], [link, /a symbolic link/], [folder, /a folder/]] as [string, RegExp][]) {
      await assert.rejects(t.readTail(p, 100), (err: unknown) => err instanceof FileReadError && err.code === 'NOT_REGULAR_FILE' && err.message.includes(p) && what.test(err.message));
    }
  });
});

describe('PosixRemote.readManifestHead', () => {
  function repoWith(text: string): { remote: PosixRemote; calls: { readFile: number; readTail: number } } {
    const root = mkdtempSync(join(dir, 'repo-'));
    mkdirSync(join(root, '.dsg'));
    writeFileSync(join(root, '.dsg', 'last-sync.json'), text);
    const calls = { readFile: 0, readTail: 0 };
    const t = new LocalTransport();
    const counting = Object.assign(Object.create(t) as LocalTransport, {
      readFile: (p: string, max: number) => (calls.readFile++, t.readFile(p, max)),
      readTail: (p: string, max: number) => (calls.readTail++, t.readTail(p, max)),
    });
    return { remote: new PosixRemote(counting, root), calls };
  }

  it('reads the tail only, and gives readManifest\'s metadata with a stamp of the file', async () => {
    const m = manifest(3000); // ~700 KB: far more than the tail
    const { remote, calls } = repoWith(serializeManifest(m));
    const head = (await remote.readManifestHead())!;
    assert.deepEqual(calls, { readFile: 0, readTail: 1 });
    assert.deepEqual(head.metadata, (await remote.readManifest())!.metadata);
    assert.ok(head.stamp !== null && head.stamp.size === Buffer.byteLength(serializeManifest(m)));
  });

  it('falls back to the full read when the tail does not parse (metadata larger than the tail), and fails as it does', async () => {
    const big = manifest(3, { notes: 'x'.repeat(100_000) });
    const { remote, calls } = repoWith(serializeManifest(big));
    const head = (await remote.readManifestHead())!;
    assert.equal(calls.readFile, 1);
    assert.deepEqual(head.metadata, big.metadata);
    assert.equal(head.stamp, null);
    const truncated = repoWith(serializeManifest(manifest(3)).slice(0, -1)).remote;
    await assert.rejects(truncated.readManifestHead(), /not valid JSON/);
  });

  it('null without a snapshot, an error without a repository, as readManifest', async () => {
    const root = mkdtempSync(join(dir, 'empty-'));
    mkdirSync(join(root, '.dsg'));
    assert.equal(await new PosixRemote(new LocalTransport(), root).readManifestHead(), null);
    await assert.rejects(new PosixRemote(new LocalTransport(), join(root, 'nothing')).readManifestHead(), /No dsg repository/);
  });
});
