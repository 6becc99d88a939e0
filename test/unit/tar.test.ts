/** The ustar writer behind SshTransport.writeFiles, read back by the system's tar. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tarChunks, tarHeader } from '../../src/transport/ssh/tar.js';

describe('tar writer', () => {
  it('what it writes, tar extracts exactly: sizes around block and chunk boundaries, non-ASCII names', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsg-tar-'));
    try {
      const sizes = [0, 1, 511, 512, 513, 1024, 131_071, 131_072, 131_073, 400_000];
      const files = sizes.map((n, i) => ({ name: `f${i}-${n}-ünï 名前`, data: Buffer.from(Array.from({ length: n }, (_, k) => (k * 7 + i) & 0xff)) }));
      const archive = Buffer.concat([...tarChunks(files, 1_700_000_000)].map((c) => Buffer.from(c)));
      assert.equal(archive.length % 512, 0);
      writeFileSync(join(dir, 'a.tar'), archive);
      const out = join(dir, 'out');
      execFileSync('mkdir', [out]);
      execFileSync('tar', ['-x', '-f', join(dir, 'a.tar'), '-C', out]);
      assert.deepEqual(readdirSync(out).sort(), files.map((f) => f.name).sort());
      for (const f of files) assert.ok(readFileSync(join(out, f.name)).equals(f.data), f.name);
      // The listing agrees on names and sizes (the checksum is right, or tar would complain).
      const listing = execFileSync('tar', ['-tvf', join(dir, 'a.tar')], { encoding: 'utf8' });
      for (const f of files) assert.match(listing, new RegExp(`\\s${f.data.length}\\s`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a header is one 512-byte block with a valid checksum; names over 100 bytes are refused', () => {
    const h = tarHeader('abc', 5, 0);
    assert.equal(h.length, 512);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
    assert.equal(parseInt(h.subarray(148, 154).toString('latin1'), 8), sum);
    assert.throws(() => tarHeader('x'.repeat(101), 1, 0), /longer than 100 bytes/);
  });
});
