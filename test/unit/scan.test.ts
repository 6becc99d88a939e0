import assert from 'node:assert/strict';
import { renameSync, mkdtempSync, mkdirSync, symlinkSync, writeFileSync, utimesSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { execFileSync } from 'node:child_process';
import { parseManifest } from '../../src/manifest/codec.js';
import { makeRules, isTrackedPath } from '../../src/scan/rules.js';
import { scanWorkingCopy } from '../../src/scan/scanner.js';
import { StatCache } from '../../src/scan/statCache.js';
import { DEFAULT_IGNORE } from '../../src/config/projectConfig.js';
import { buildFixtureTree, fixtureText } from '../helpers/fixtures.js';

const defaults = () => ({ paths: [...DEFAULT_IGNORE.paths], names: [...DEFAULT_IGNORE.names], suffixes: [...DEFAULT_IGNORE.suffixes] });

describe('scanning the fixture trees', () => {
  for (const n of [1, 2, 3]) {
    it(`s${n}: the scan of the tree gives exactly the manifest's entries and ignored list`, async () => {
      const root = mkdtempSync(join(tmpdir(), 'dsg-scan-'));
      try {
        const tree = buildFixtureTree(root, n);
        const expected = parseManifest(fixtureText(`s${n}-last-sync.json`), 'fixture');
        const scan = await scanWorkingCopy({ root, rules: makeRules(tree.data_dirs, defaults()), user: 'ana@example.org' });
        const got = [...scan.entries.values()].sort((a, b) => (a.path < b.path ? -1 : 1));
        assert.deepEqual(got, [...expected.entries.values()]);
        assert.deepEqual(scan.ignored.sort(), JSON.parse(fixtureText(`s${n}-ignored.json`)));
        assert.deepEqual(scan.invalid, []);
        assert.deepEqual(scan.skipped, []);
      } finally {
        rmSync(root, { recursive: true, force: true });
      }
    });
  }
});

describe('tracking rules', () => {
  const rules = makeRules(['input', 'output'], { paths: ['a/input/skipme', 'b/input/one.csv'], names: ['__pycache__', '.DS_Store'], suffixes: ['.tmp'] });
  it('tracks files under a data dir at any depth, not elsewhere', () => {
    assert.equal(isTrackedPath(rules, 'x/y/input/z.csv'), true);
    assert.equal(isTrackedPath(rules, 'x/src/z.csv'), false);
  });
  it('hides hidden components, ignored names as folders, suffixes, backups and ignored directories', () => {
    assert.equal(isTrackedPath(rules, 'input/.hidden/x'), false);
    assert.equal(isTrackedPath(rules, 'input/__pycache__/x.py'), false);
    assert.equal(isTrackedPath(rules, 'input/x.tmp'), false);
    assert.equal(isTrackedPath(rules, 'input/data.csv~20250613T101919-0700~'), false);
    assert.equal(isTrackedPath(rules, 'a/input/skipme/deep/file.csv'), false);
    assert.equal(isTrackedPath(rules, 'a/input/skipme'), false);
    assert.equal(isTrackedPath(rules, 'b/input/one.csv'), false);
    assert.equal(isTrackedPath(rules, 'b/input/two.csv'), true);
  });
  it('"*" tracks everything that is not hidden or ignored', () => {
    const all = makeRules(['*'], defaults());
    assert.equal(isTrackedPath(all, 'notes.txt'), true);
    assert.equal(isTrackedPath(all, '.git/config'), false);
  });
});

describe('scanner behaviour', () => {
  it('reports ignored directories, skipped links and FIFOs, invalid paths; never follows links', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dsg-scan-'));
    try {
      mkdirSync(join(root, 'input/__pycache__'), { recursive: true });
      writeFileSync(join(root, 'input/__pycache__/m.pyc'), 'x');
      writeFileSync(join(root, 'input/ok.csv'), 'ok');
      writeFileSync(join(root, 'input/bad|name.csv'), 'bad');
      symlinkSync('/etc/passwd', join(root, 'input/abs-link'));
      symlinkSync('../../outside', join(root, 'input/escaping-link'));
      symlinkSync('ok.csv', join(root, 'input/good-link'));
      mkdirSync(join(root, 'elsewhere'));
      symlinkSync('../elsewhere', join(root, 'input/dir-link'));
      execFileSync('mkfifo', [join(root, 'input/pipe')]);
      const scan = await scanWorkingCopy({ root, rules: makeRules(['input'], defaults()), user: 'u@x.org' });
      assert.deepEqual([...scan.entries.keys()].sort(), ['input/bad|name.csv', 'input/dir-link', 'input/good-link', 'input/ok.csv']);
      assert.equal(scan.entries.get('input/dir-link')!.type, 'link');
      assert.deepEqual(scan.ignored, ['input/__pycache__/']);
      assert.deepEqual(scan.skipped.map((s) => s.path).sort(), ['input/abs-link', 'input/escaping-link', 'input/pipe']);
      assert.match(scan.skipped.find((s) => s.path === 'input/abs-link')!.reason, /absolute/);
      assert.deepEqual(scan.invalid.map((p) => p.path), ['input/bad|name.csv']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('keeps the cache user for unchanged content and uses the scanning user for changes', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dsg-scan-'));
    try {
      mkdirSync(join(root, 'input'));
      writeFileSync(join(root, 'input/a'), 'same');
      writeFileSync(join(root, 'input/b'), 'changed');
      const rules = makeRules(['input'], defaults());
      const first = await scanWorkingCopy({ root, rules, user: 'old@x.org' });
      writeFileSync(join(root, 'input/b'), 'changed again');
      const second = await scanWorkingCopy({ root, rules, user: 'new@x.org', previous: first.entries });
      assert.equal(second.entries.get('input/a')!.user, 'old@x.org');
      assert.equal(second.entries.get('input/b')!.user, 'new@x.org');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('stat cache: reuses hashes of old unchanged files, re-hashes racy and changed ones', async () => {
    const root = mkdtempSync(join(tmpdir(), 'dsg-scan-'));
    try {
      mkdirSync(join(root, 'input'));
      const rules = makeRules(['input'], defaults());
      for (const name of ['old', 'fresh']) writeFileSync(join(root, 'input', name), name);
      const past = Date.now() / 1000 - 3600;
      utimesSync(join(root, 'input/old'), past, past);
      const cacheFile = join(root, 'stat-cache.json');
      const first = await scanWorkingCopy({ root, rules, user: 'u@x.org', statCache: StatCache.empty() });
      assert.equal(first.hashedFiles, 2);
      StatCache.save(cacheFile, first.statRows);
      const second = await scanWorkingCopy({ root, rules, user: 'u@x.org', statCache: StatCache.load(cacheFile) });
      // "fresh" was modified within 2 s of the cache write: racy, hashed again.
      assert.equal(second.hashedFiles, 1);
      // Same size, same mtime, different content, replaced by rename (as editors save): caught
      // only because the inode changed.
      writeFileSync(join(root, 'input/old.new'), 'OLD');
      utimesSync(join(root, 'input/old.new'), past, past);
      renameSync(join(root, 'input/old.new'), join(root, 'input/old'));
      const third = await scanWorkingCopy({ root, rules, user: 'u@x.org', statCache: StatCache.load(cacheFile) });
      assert.notEqual(third.entries.get('input/old'), undefined);
      assert.notEqual((third.entries.get('input/old') as any).hash, (first.entries.get('input/old') as any).hash);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
