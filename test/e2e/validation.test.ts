/**
 * validate-chain and validate-snapshot find each kind of damage to a repository (an edited
 * byte in an archived manifest, a removed archive, a broken snapshot_previous link, an edited
 * byte in stored content, a removed old version) and pass on an intact one, including a
 * repository written by the Python dsg 0.4.4.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { buildFixtureTree, FIXTURES } from '../helpers/fixtures.js';
import { compressArchive, decompressArchive } from '../../src/manifest/archive.js';
import { xxh3Hex } from '../../src/manifest/hash.js';

describe('validate-chain and validate-snapshot', () => {
  const box = new Sandbox('dsg-validate');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const P = box.project('p');
  const repo = join(box.repos, 'proj');
  const dsgDir = join(repo, '.dsg');
  const objectOf = (content: string): string => {
    const h = xxh3Hex(content);
    return join(dsgDir, 'objects', h.slice(0, 2), h);
  };

  const run = (...args: string[]) => dsg(P, ana, ...args, '--json');
  const kinds = (r: ReturnType<typeof dsg>): string[][] => r.json.problems.map((p: any) => [p.snapshot, p.kind]);

  /** Damage the repository, run `check`, and always put the original bytes back. */
  function withDamage(file: string, damage: (bytes: Buffer) => Buffer | null, check: () => void): void {
    const original = readFileSync(file);
    const changed = damage(original);
    if (changed === null) renameSync(file, `${file}.away`);
    else writeFileSync(file, changed);
    try {
      check();
    } finally {
      if (changed === null) renameSync(`${file}.away`, file);
      else writeFileSync(file, original);
    }
  }

  function assertIntact(): void {
    const chain = run('validate-chain', '--deep');
    assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    assert.equal(chain.json.ok, true);
    assert.deepEqual(chain.json.snapshots, ['s1', 's2', 's3']);
    assert.equal(chain.json.contentsChecked, 4); // alpha, alpha 2, beta, gamma
    for (const id of ['s1', 's2', 's3']) {
      const r = run('validate-snapshot', '-n', id, '--deep');
      assert.equal(r.code, 0, `${id}: ${r.stdout}${r.stderr}`);
      assert.equal(r.json.ok, true);
    }
  }

  before(() => {
    put(P, 'input/a.txt', 'alpha');
    put(P, 'input/b.txt', 'beta');
    assert.equal(dsg(P, ana, 'init', '-m', 'one').code, 0);
    put(P, 'input/a.txt', 'alpha 2');
    assert.equal(dsg(P, ana, 'sync', '-m', 'two').code, 0);
    put(P, 'input/c.txt', 'gamma');
    assert.equal(dsg(P, ana, 'sync', '-m', 'three').code, 0);
  });
  after(() => box.cleanup());

  it('an intact repository passes both, deep and shallow', () => {
    assertIntact();
    const human = dsg(P, ana, 'validate-chain');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /History intact: s1…s3/);
  });

  it('one changed byte in an entry of an archived manifest', () => {
    const file = join(dsgDir, 'archive', 's1-sync.json.lz4');
    withDamage(
      file,
      (bytes) => {
        const json = decompressArchive(bytes, 's1');
        const at = json.indexOf('ana@example.org');
        assert.ok(at > 0);
        return compressArchive(`${json.slice(0, at)}anb${json.slice(at + 3)}`);
      },
      () => {
        const chain = run('validate-chain');
        assert.equal(chain.code, 1);
        assert.deepEqual(kinds(chain), [['s1', 'archive-corrupt']]);
        assert.match(chain.json.problems[0].message, /entries_hash/);
        const snap = run('validate-snapshot', '-n', 's1', '--deep');
        assert.equal(snap.code, 1);
        assert.deepEqual(kinds(snap), [['s1', 'archive-corrupt']]);
        assert.equal(run('validate-snapshot', '-n', 's2').code, 0);
        const human = dsg(P, ana, 'validate-chain');
        assert.match(human.stdout, /archive-corrupt.*s1/);
        assert.match(human.stdout, /What to do:/);
        assert.match(human.stderr, /dsg: validate-chain: 1 problem; first: s1: /);
      },
    );
    assertIntact();
  });

  it('a removed archive (an old one, and the newest)', () => {
    withDamage(join(dsgDir, 'archive', 's2-sync.json.lz4'), () => null, () => {
      const chain = run('validate-chain', '--deep');
      assert.equal(chain.code, 1);
      assert.deepEqual(kinds(chain), [['s2', 'archive-missing']]);
      const snap = run('validate-snapshot', '-n', 's2', '--deep');
      assert.equal(snap.code, 1);
      assert.deepEqual(kinds(snap), [['s2', 'archive-missing']]);
      assert.equal(snap.json.entries, null);
    });
    withDamage(join(dsgDir, 'archive', 's3-sync.json.lz4'), () => null, () => {
      const chain = run('validate-chain');
      assert.equal(chain.code, 1);
      assert.deepEqual(kinds(chain), [['s3', 'archive-missing']]);
      const snap = run('validate-snapshot', '-n', 's3', '--deep');
      assert.equal(snap.code, 1);
      assert.deepEqual(kinds(snap), [['s3', 'archive-missing']]);
      // The current manifest still lets the deep check read every file of s3.
      assert.equal(snap.json.contentsChecked, 3);
    });
    assertIntact();
  });

  it('a broken snapshot_previous in sync-messages.json', () => {
    withDamage(
      join(dsgDir, 'sync-messages.json'),
      (bytes) => {
        const sm = JSON.parse(bytes.toString('utf8'));
        sm.snapshots.s2.snapshot_previous = 's3';
        return Buffer.from(JSON.stringify(sm, null, 2));
      },
      () => {
        const chain = run('validate-chain');
        assert.equal(chain.code, 1);
        assert.deepEqual(kinds(chain), [['s2', 'previous-link'], ['s2', 'metadata-mismatch']]);
        assert.match(chain.json.problems[0].message, /snapshot_previous is "s3" in sync-messages\.json, expected "s1"/);
        const snap = run('validate-snapshot', '-n', 's2', '--deep');
        assert.equal(snap.code, 1);
        assert.deepEqual(kinds(snap), [['s2', 'previous-link'], ['s2', 'metadata-mismatch']]);
      },
    );
    assertIntact();
  });

  it('a rewritten message breaks the hash chain', () => {
    withDamage(
      join(dsgDir, 'sync-messages.json'),
      (bytes) => {
        const sm = JSON.parse(bytes.toString('utf8'));
        sm.snapshots.s1.snapshot_message = 'history rewritten';
        return Buffer.from(JSON.stringify(sm, null, 2));
      },
      () => {
        const chain = run('validate-chain');
        assert.equal(chain.code, 1);
        assert.deepEqual(kinds(chain), [['s1', 'snapshot-hash'], ['s1', 'metadata-mismatch']]);
      },
    );
  });

  it('one changed byte in a data file stored on the remote (current and old versions)', () => {
    // Tree files are hard links to objects: this changes both.
    withDamage(objectOf('gamma'), (b) => Buffer.from(b.toString('utf8').replace('g', 'G')), () => {
      assert.equal(readFileSync(join(repo, 'input/c.txt'), 'utf8'), 'Gamma');
      const snap = run('validate-snapshot', '-n', 's3', '--deep');
      assert.equal(snap.code, 1);
      assert.deepEqual(kinds(snap), [['s3', 'content-mismatch']]);
      assert.deepEqual(snap.json.problems[0].paths, ['input/c.txt']);
      assert.match(snap.json.problems[0].message, new RegExp(`input/c\\.txt .*content stored for hash ${xxh3Hex('gamma')}`));
      const chain = run('validate-chain', '--deep');
      assert.equal(chain.code, 1);
      assert.deepEqual(kinds(chain), [['s3', 'content-mismatch']]);
      // Shallow checks do not read content.
      assert.equal(run('validate-snapshot', '-n', 's3').code, 0);
      assert.equal(run('validate-chain').code, 0);
      // snapfetch refuses to hand out damaged bytes.
      const fetch = dsg(P, ana, 'snapfetch', 'input/c.txt', '-n', 's3', '-o', join(box.base, 'c.out'));
      assert.equal(fetch.code, 1);
      assert.match(fetch.stderr, /content of input\/c\.txt in s3 is damaged/);
      assert.throws(() => readFileSync(join(box.base, 'c.out')));
    });
    // The s1 version of a.txt exists only as an object: changed, then removed.
    withDamage(objectOf('alpha'), () => Buffer.from('alphA'), () => {
      const chain = run('validate-chain', '--deep');
      assert.deepEqual(kinds(chain), [['s1', 'content-mismatch']]);
      assert.equal(run('validate-snapshot', '-n', 's3', '--deep').code, 0);
      assert.equal(run('validate-snapshot', '-n', 's1', '--deep').code, 1);
    });
    withDamage(objectOf('alpha'), () => null, () => {
      const chain = run('validate-chain', '--deep');
      assert.equal(chain.code, 1);
      assert.deepEqual(kinds(chain), [['s1', 'content-missing']]);
    });
    assertIntact();
  });

  it('several kinds of damage at once are all listed', () => {
    withDamage(join(dsgDir, 'archive', 's1-sync.json.lz4'), () => null, () => {
      withDamage(objectOf('beta'), () => Buffer.from('BETA'), () => {
        const chain = run('validate-chain', '--deep');
        assert.equal(chain.code, 1);
        assert.deepEqual(kinds(chain), [['s1', 'archive-missing'], ['s3', 'content-mismatch']]);
      });
    });
  });

  it('an unknown snapshot is an error naming the range; a bad id a usage error', () => {
    const r = run('validate-snapshot', '-n', 's7');
    assert.equal(r.code, 1);
    assert.match(r.json.error.message, /s7 does not exist .*s1…s3/);
    assert.equal(dsg(P, ana, 'validate-snapshot', '-n', 'x').code, 2);
  });

  it('a repository written by the Python dsg 0.4.4 passes, and blame reads its history', () => {
    const L = box.project('legacy', 'legacyproj', 'data_dirs: ["*"]\n');
    const lrepo = join(box.repos, 'legacyproj');
    buildFixtureTree(lrepo, 3);
    mkdirSync(join(lrepo, '.dsg', 'archive'), { recursive: true });
    copyFileSync(join(FIXTURES, 's3-last-sync.json'), join(lrepo, '.dsg', 'last-sync.json'));
    copyFileSync(join(FIXTURES, 'sync-messages.json'), join(lrepo, '.dsg', 'sync-messages.json'));
    for (const n of [1, 2, 3]) copyFileSync(join(FIXTURES, 'archive', `s${n}-sync.json.lz4`), join(lrepo, '.dsg', 'archive', `s${n}-sync.json.lz4`));
    const chain = dsg(L, ana, 'validate-chain', '--json');
    assert.equal(chain.code, 0, chain.stdout + chain.stderr);
    assert.deepEqual(chain.json.snapshots, ['s1', 's2', 's3']);
    const snap = dsg(L, ana, 'validate-snapshot', '-n', 's3', '--deep', '--json');
    assert.equal(snap.code, 0, snap.stdout + snap.stderr);
    const m = JSON.parse(readFileSync(join(FIXTURES, 's3-last-sync.json'), 'utf8'));
    const first = Object.keys(m.entries)[0];
    const b = dsg(L, ana, 'blame', first, '--json');
    assert.equal(b.code, 0, b.stderr);
    assert.equal(b.json.events[0].user, 'ana@example.org');
    rmSync(lrepo, { recursive: true, force: true });
  });
});
