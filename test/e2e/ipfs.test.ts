/**
 * The IPFS repository beyond the shared suites: nothing readable without the passphrase (no
 * plaintext byte, file path or content hash in the blockstore folder), a wrong or missing
 * passphrase refused clearly with nothing changed, the passphrase from a file named in dsg.yml,
 * deduplication on ciphertext, and CAR export/import into a fresh blockstore giving identical
 * bytes through snapfetch (a damaged CAR refused).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CarBlockIterator } from '@ipld/car';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { ipfsBackend, ipfsBlockstore } from '../helpers/ipfs.js';

const backend = ipfsBackend();

function allFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...allFiles(p));
    else out.push(p);
  }
  return out;
}

/** Every file of the blockstore (paths and bytes) as one buffer to search. */
function blockstoreBytes(box: Sandbox): Buffer {
  const files = allFiles(ipfsBlockstore(box));
  return Buffer.concat(files.flatMap((f) => [Buffer.from(f), readFileSync(f)]));
}

function snapshotOf(box: Sandbox): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of allFiles(ipfsBlockstore(box))) out[f] = readFileSync(f).toString('base64');
  return out;
}

describe('IPFS repository (embedded, encrypted)', () => {
  const boxes: Sandbox[] = [];
  const newBox = () => {
    const b = new Sandbox('dsg-ipfs', backend);
    boxes.push(b);
    return b;
  };
  after(() => boxes.forEach((b) => b.cleanup()));

  const marker = `DSGMARKER-${randomBytes(6).toString('hex')}`;
  const box = newBox();
  const env = box.userEnv('Ana', 'ana@example.org');
  const A = box.project('a');
  // The marker in a small file, and at the start, middle and end of a file of several chunks.
  const big = Buffer.concat([Buffer.from(marker), randomBytes(1 << 20), Buffer.from(marker), randomBytes(1 << 20), Buffer.from(marker)]);

  it('stores no plaintext byte, file name or content hash in the blockstore folder', () => {
    put(A, `input/${marker}-name.csv`, `id,value\n1,${marker}\n`);
    put(A, 'input/big.bin', big);
    const r = dsg(A, env, 'init', '-m', `message ${marker}`);
    assert.equal(r.code, 0, r.stderr);
    const all = blockstoreBytes(box);
    assert.ok(all.length > big.length, 'the blockstore holds the data');
    assert.equal(all.indexOf(marker), -1, 'a plaintext byte of the data, a path or the message is in the blockstore');
    const hash = JSON.parse(dsg(A, env, 'list-files', '--json').stdout);
    for (const h of JSON.stringify(hash).match(/\b[0-9a-f]{16}\b/g) ?? []) assert.equal(all.indexOf(h), -1, `the content hash ${h} appears in the blockstore`);
  });

  it('refuses a wrong passphrase and a missing one clearly, and changes nothing', () => {
    const before = snapshotOf(box);
    const wrong = dsg(A, { ...env, DSG_IPFS_PASSPHRASE: 'not the passphrase' }, 'sync', '-m', 'x');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /passphrase does not open the IPFS repository/);
    const none = dsg(A, { ...env, DSG_IPFS_PASSPHRASE: '' }, 'status');
    assert.notEqual(none.code, 0);
    assert.match(none.stderr, /DSG_IPFS_PASSPHRASE/);
    assert.match(none.stderr, /passphrase_file/);
    assert.deepEqual(snapshotOf(box), before);
  });

  it('takes the passphrase from the file named by ipfs.passphrase_file in dsg.yml', () => {
    const file = join(box.base, 'passphrase');
    writeFileSync(file, `${process.env.DSG_IPFS_PASSPHRASE}\n`, { mode: 0o600 });
    const cfg = join(env.DSG_CONFIG_HOME!, 'dsg.yml');
    writeFileSync(cfg, `${readFileSync(cfg, 'utf8')}ipfs: {passphrase_file: ${JSON.stringify(file)}}\n`);
    const withFile = { ...env, DSG_IPFS_PASSPHRASE: '' };
    const r = dsg(A, withFile, 'status');
    assert.equal(r.code, 0, r.stderr);
  });

  it('stores the same content once (deduplication on ciphertext)', () => {
    const blocks = () => allFiles(join(ipfsBlockstore(box), 'blocks')).filter((f) => statSync(f).size > 100_000).length;
    const n = blocks();
    put(A, 'input/copy-of-big.bin', big);
    const r = dsg(A, env, 'sync', '-m', 'a copy');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(blocks(), n, 'a second copy of the same content added data blocks');
  });

  it('exports a snapshot as a CAR file that a fresh blockstore imports, giving identical bytes through snapfetch', async () => {
    put(A, 'input/big.bin', randomBytes(1000)); // s3 changes it: s2 must still give the old bytes
    assert.equal(dsg(A, env, 'sync', '-m', 'changed').code, 0);
    const car = join(box.base, 's2.car');
    const ex = dsg(A, env, '--json', 'car', 'export', '-n', 's2', car);
    assert.equal(ex.code, 0, ex.stderr);
    const exported = JSON.parse(ex.stdout);
    assert.equal(exported.snapshot, 's2');

    // A standard CAR: one root, every block's bytes match its CID (checked by the reader).
    const it = await CarBlockIterator.fromIterable(createReadStream(car));
    assert.deepEqual((await it.getRoots()).map(String), [exported.root]);
    let n = 0;
    for await (const _ of it) n++;
    assert.equal(n, exported.blocks);

    const fresh = newBox();
    const B = fresh.project('b');
    const envB = fresh.userEnv('Bo', 'bo@example.org');
    const im = dsg(B, envB, '--json', 'car', 'import', car);
    assert.equal(im.code, 0, im.stderr);
    assert.deepEqual(JSON.parse(im.stdout).snapshots, ['s1', 's2']);
    const out = join(fresh.base, 'big.s2');
    const f = dsg(B, envB, 'snapfetch', 'input/big.bin', '-n', 's2', '-o', out);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(readFileSync(out).equals(big), 'snapfetch from the imported blockstore gave other bytes');
    // Importing again names nothing new; a clone of the imported repository has s2's files.
    assert.equal(JSON.parse(dsg(B, envB, '--json', 'car', 'import', car).stdout).named, 0);
    const C = fresh.project('c');
    const cl = dsg(C, envB, 'clone');
    assert.equal(cl.code, 0, cl.stderr);
    assert.ok(readFileSync(join(C, 'input/copy-of-big.bin')).equals(big));
  });

  it('refuses a damaged CAR file and a wrong passphrase on import, naming nothing', () => {
    const car = join(box.base, 's2.car');
    const bytes = readFileSync(car);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 100] ^= 0xff; // inside the last block's data
    const bad = join(box.base, 'damaged.car');
    writeFileSync(bad, damaged);
    const fresh = newBox();
    const B = fresh.project('b');
    const envB = fresh.userEnv('Bo', 'bo@example.org');
    const r = dsg(B, envB, 'car', 'import', bad);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /does not match its CID/);
    const w = dsg(B, { ...envB, DSG_IPFS_PASSPHRASE: 'wrong' }, 'car', 'import', car);
    assert.notEqual(w.code, 0);
    assert.match(w.stderr, /passphrase does not open/);
    assert.equal(existsSync(join(ipfsBlockstore(fresh), 'repos')), false, 'a failed import created the repository');
  });

  it('says that a Kubo RPC address (repository.api) is not supported, and fails', () => {
    const b = newBox();
    const P = b.project('p', 'proj', '');
    const cfg = join(P, '.dsgconfig.yml');
    writeFileSync(cfg, readFileSync(cfg, 'utf8').replace('encrypted: true,', 'encrypted: true, api: "http://127.0.0.1:5001",'));
    put(P, 'input/x', 'x');
    const r = dsg(P, b.userEnv('Ana', 'ana@example.org'), 'init');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /repository\.api .* not supported/);
  });
});
