/**
 * The working-copy index `.dsg/index` and the fast path of `status` (issue 10, P2): when
 * nothing changed, status answers from the index without reading the cache manifest C; its
 * answer is always the one a status without an index gives, whatever changed (content, mtime,
 * added or removed files, rules, links, a teammate's snapshot, a damaged index); a JSON stat
 * cache of an earlier dsg is read once and replaced.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dsg, put, Sandbox } from '../helpers/cli.js';

const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'countReads.js')).href;

describe('status with the working-copy index', () => {
  const box = new Sandbox('dsg-status-index');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const bob = box.userEnv('Bob', 'bob@example.org');
  let W = '';
  const countFile = () => join(box.base, 'reads.json');

  /** status --json and the bytes it read from the working copy's cache manifest C. */
  function status(): { code: number; json: any; stderr: string; cacheBytes: number } {
    rmSync(countFile(), { force: true });
    const env = { ...ana, NODE_OPTIONS: `--import=${preload}`, DSG_TEST_COUNT_READS_OF: join('w', '.dsg', 'last-sync.json'), DSG_TEST_COUNT_READS_TO: countFile() };
    const r = dsg(W, env, 'status', '--json');
    const counted = JSON.parse(readFileSync(countFile(), 'utf8')) as { bytes: number };
    return { code: r.code, json: r.json, stderr: r.stderr, cacheBytes: counted.bytes };
  }

  /** Everything older than the racy window (files, C, R): as after a pause. */
  function ageAll(): void {
    const t = new Date(Date.now() - 60_000);
    const walk = (d: string): void => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile()) utimesSync(p, t, t);
      }
    };
    walk(join(W, 'input'));
    utimesSync(join(W, '.dsg', 'last-sync.json'), t, t);
    utimesSync(join(box.repo(), '.dsg', 'last-sync.json'), t, t);
  }

  /** The answer of a status that has no index (computed from C, R and every file hashed). */
  function withoutIndex(): any {
    rmSync(join(W, '.dsg', 'index'), { force: true });
    const r = status();
    assert.equal(r.code, 0, r.stderr);
    return r.json;
  }

  /** A status whose answer must equal the one without an index; returns it. */
  function checked(): ReturnType<typeof status> {
    const r = status();
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json, withoutIndex());
    return r;
  }

  before(() => {
    W = box.project('w');
    for (let i = 0; i < 50; i++) put(W, `input/f${i}.csv`, `row ${i}\n`);
    symlinkSync('f1.csv', join(W, 'input', 'link'));
    put(W, 'other/x.csv', 'outside the data dirs');
    assert.equal(dsg(W, ana, 'init').code, 0);
  });
  after(() => box.cleanup());

  it('a clean state first recorded within 2 s of the sync is recorded again later, so the fast path comes back', async () => {
    // Right after init: C is new, so the first status's clean state is racy and cannot serve
    // the fast path. The files and R are aged so that only C's age is in play.
    const t = new Date(Date.now() - 60_000);
    for (const n of readdirSync(join(W, 'input'))) if (n.endsWith('.csv')) utimesSync(join(W, 'input', n), t, t);
    utimesSync(join(box.repo(), '.dsg', 'last-sync.json'), t, t);
    const first = status();
    assert.equal(first.code, 0, first.stderr);
    assert.ok(first.cacheBytes > 0, 'the first status reads C');
    await new Promise((r) => setTimeout(r, 2_200));
    const second = status();
    assert.equal(second.code, 0, second.stderr);
    const third = status();
    assert.equal(third.code, 0, third.stderr);
    assert.equal(third.cacheBytes, 0, 'once C is older than the racy window, the fast path is taken');
    assert.deepEqual(third.json, first.json);
  });

  it('nothing changed: the second status answers from the index without reading C', () => {
    ageAll();
    const first = status();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json.upToDate, true);
    assert.ok(first.cacheBytes > 0, 'the first status reads C');
    assert.ok(existsSync(join(W, '.dsg', 'index')));
    assert.ok(!existsSync(join(W, '.dsg', 'stat-cache.json')), 'no JSON stat cache any more');
    const fast = status();
    assert.equal(fast.code, 0, fast.stderr);
    assert.equal(fast.cacheBytes, 0, 'the fast path does not read C');
    assert.deepEqual(fast.json, first.json);
    assert.equal(fast.json.unchanged, 51);
  });

  it('a file touched (same content): hashed again, still up to date, answer unchanged', () => {
    const t = new Date(Date.now() - 30_000);
    utimesSync(join(W, 'input', 'f3.csv'), t, t);
    const r = checked();
    assert.equal(r.json.upToDate, true);
    assert.ok(r.cacheBytes > 0, 'not the fast path');
  });

  it('a file changed, one added, one removed, a link retargeted: all shown as without an index', () => {
    ageAll();
    status();
    writeFileSync(join(W, 'input', 'f4.csv'), 'row 4 changed\n');
    put(W, 'input/new.csv', 'new\n');
    rmSync(join(W, 'input', 'f5.csv'));
    rmSync(join(W, 'input', 'link'));
    symlinkSync('f2.csv', join(W, 'input', 'link'));
    const r = checked();
    assert.deepEqual(r.json.localChanges.map((x: { path: string }) => x.path).sort(), ['input/f4.csv', 'input/f5.csv', 'input/link', 'input/new.csv']);
    assert.equal(dsg(W, ana, 'sync').code, 0);
  });

  it('changed rules (data_dirs) are not answered from the index', () => {
    ageAll();
    status();
    assert.equal(status().cacheBytes, 0);
    const cfg = join(W, '.dsgconfig.yml');
    const original = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, `${original}data_dirs: [input, other]\n`);
    const r = checked();
    assert.deepEqual(r.json.localChanges.map((x: { path: string }) => x.path), ['other/x.csv']);
    writeFileSync(cfg, original);
  });

  it('a teammate\'s new snapshot is shown', () => {
    ageAll();
    status();
    const B = box.project('b');
    assert.equal(dsg(B, bob, 'clone').code, 0);
    put(B, 'input/bob.csv', 'bob\n');
    assert.equal(dsg(B, bob, 'sync').code, 0);
    const r = checked();
    assert.deepEqual(r.json.remoteChanges.map((x: { path: string }) => x.path), ['input/bob.csv']);
    assert.equal(dsg(W, ana, 'sync').code, 0);
  });

  it('a damaged index: every file is hashed, the answer is right, the index is rewritten', () => {
    ageAll();
    status();
    const ix = join(W, '.dsg', 'index');
    const bytes = readFileSync(ix);
    bytes[bytes.length - 3] ^= 0xff;
    writeFileSync(ix, bytes);
    const r = checked();
    assert.equal(r.json.upToDate, true);
  });

  it('a JSON stat cache of an earlier dsg is read once, then replaced by the index', () => {
    ageAll();
    rmSync(join(W, '.dsg', 'index'));
    const rows = readdirSync(join(W, 'input')).filter((n) => n.endsWith('.csv')).map((n) => {
      const st = statSync(join(W, 'input', n), { bigint: true });
      return [`input/${n}`, Number(st.size), st.mtimeNs.toString(), st.ino.toString(), 'ffffffffffffffff'];
    });
    // Hashes in it are wrong on purpose: a row whose stat matches is trusted, as before.
    writeFileSync(join(W, '.dsg', 'stat-cache.json'), JSON.stringify({ version: 1, written_at_ns: (BigInt(Date.now()) * 1_000_000n).toString(), rows }));
    const r = status();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.localChanges.length, rows.length, 'the old cache was used');
    assert.ok(existsSync(join(W, '.dsg', 'index')));
    assert.ok(!existsSync(join(W, '.dsg', 'stat-cache.json')));
  });
});
