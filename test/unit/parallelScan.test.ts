import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_IGNORE } from '../../src/config/projectConfig.js';
import { makeRules } from '../../src/scan/rules.js';
import { scanWorkingCopy } from '../../src/scan/scanner.js';
import { emptyStats, hashInto, statInto, type FileHashes } from '../../src/scan/fileWork.js';
import * as parallel from '../../src/scan/parallel.js';
import { hashFiles, helperReady, PARALLEL_HASH_MIN_FILES, PARALLEL_STAT_MIN, statFiles } from '../../src/scan/parallel.js';

const rules = makeRules(['input'], { paths: [...DEFAULT_IGNORE.paths], names: [...DEFAULT_IGNORE.names], suffixes: [...DEFAULT_IGNORE.suffixes] });

/** Run `fn` with the helper thread switched off (DSG_SCAN_THREADS=1). */
async function singleThreaded<T>(fn: () => Promise<T>): Promise<T> {
  process.env.DSG_SCAN_THREADS = '1';
  try {
    return await fn();
  } finally {
    delete process.env.DSG_SCAN_THREADS;
  }
}

describe('scanning on both cores (scan/parallel.ts)', () => {
  let root: string;
  const rels: string[] = [];
  before(async () => {
    // A warm helper thread, so it surely claims some chunks of these small jobs.
    assert.equal(await helperReady(), true);
    root = mkdtempSync(join(tmpdir(), 'dsg-parscan-'));
    // More files than the hashing threshold, a few folders, sizes 0 B to 20 kB, and names that
    // stress the listing: a real U+FFFD (valid UTF-8: listed again as bytes, still tracked).
    const n = PARALLEL_HASH_MIN_FILES + 600;
    for (let i = 0; i < n; i++) {
      const rel = `d${i % 7}/input/${i === 5 ? 'odd\uFFFDname' : `f${i}`}.bin`;
      mkdirSync(join(root, rel, '..'), { recursive: true });
      writeFileSync(join(root, rel), Buffer.alloc((i * 7919) % 20_000, i % 251));
      rels.push(rel);
    }
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('a scan with the helper thread gives exactly the entries of a single-threaded one, in the same order', async () => {
    const chunks = parallel.helperChunks;
    const two = await scanWorkingCopy({ root, rules, user: 'ana@example.org' });
    assert.ok(parallel.helperChunks > chunks, 'the helper thread hashed a share');
    const one = await singleThreaded(() => scanWorkingCopy({ root, rules, user: 'ana@example.org' }));
    assert.equal(two.entries.size, rels.length);
    assert.equal(two.hashedFiles, rels.length);
    assert.deepEqual([...two.entries.values()], [...one.entries.values()]);
    assert.deepEqual([...two.statRows], [...one.statRows]);
    assert.ok(two.entries.has('d5/input/odd\uFFFDname.bin'));
    assert.deepEqual(two.invalid, []);
  });

  it('stat: the helper`s half matches lstat on the main thread, vanished files included', async () => {
    // Enough paths to use the helper: the real files many times over, and some that do not exist.
    const many: string[] = [];
    for (let i = 0; many.length < PARALLEL_STAT_MIN + 10; i++) many.push(i % 97 === 0 ? `d1/input/missing-${i}` : rels[i % rels.length]);
    const chunks = parallel.helperChunks;
    const got = await statFiles(root, many);
    assert.ok(parallel.helperChunks > chunks, 'the helper thread did a share');
    const want = emptyStats(many.length);
    statInto(root, many, 0, many.length, want);
    // Shared arrays on one side, plain ones on the other: compare the values.
    assert.deepEqual([...got.sizes], [...want.sizes]);
    assert.deepEqual([...got.mtimeNs], [...want.mtimeNs]);
    assert.deepEqual([...got.inos], [...want.inos]);
    assert.deepEqual([...got.present], [...want.present]);
    assert.equal(got.present[0], 0);
    assert.equal(got.present[many.length - 1], many.length % 97 === 1 ? 0 : 1);
  });

  it('hash: results match a single-threaded pass; an error in either thread`s share is the same error', async () => {
    const sizes = rels.map((r) => (r.startsWith('d0/') ? 0 : 1000));
    const chunks = parallel.helperChunks;
    const got = await hashFiles(root, rels, sizes);
    assert.ok(parallel.helperChunks > chunks, 'the helper thread did a share');
    const want: FileHashes = { hashes: new BigUint64Array(rels.length), sizes: new Float64Array(rels.length), kinds: new Uint8Array(rels.length), reasons: new Map() };
    hashInto(root, rels, 0, rels.length, want);
    assert.deepEqual([...got.hashes], [...want.hashes]);
    assert.deepEqual([...got.sizes], [...want.sizes]);
    assert.deepEqual([...got.kinds], [...want.kinds]);
    // A name longer than the system allows fails the open (ENAMETOOLONG): whichever thread meets
    // it, the chunk ends unfinished or throws here, and the caller gets the real error.
    const bad = [...rels, `d1/input/${'x'.repeat(300)}`];
    await assert.rejects(hashFiles(root, bad, [...sizes, 10]), { code: 'ENAMETOOLONG' });
    const many = Array.from({ length: PARALLEL_STAT_MIN + 1 }, (_, i) => (i === PARALLEL_STAT_MIN ? `d1/input/${'x'.repeat(300)}` : rels[i % rels.length]));
    await assert.rejects(statFiles(root, many), { code: 'ENAMETOOLONG' });
    // The helper survives a failed job and still works.
    const again = await hashFiles(root, rels, sizes);
    assert.deepEqual([...again.hashes], [...want.hashes]);
  });
});
