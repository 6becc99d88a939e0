/**
 * `dsg clone <location> [DIR]` through the built CLI: from a local path and from `host:/path`
 * over the test sshd, the new folder gets a `.dsgconfig.yml` written from the config the
 * repository records (location rewritten to the one typed), the current snapshot's files, and
 * is a working copy that syncs. Refused without writing anything: a DIR that is not empty, an
 * old repository that records no config, a hostile recorded config, unsupported locations.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { buildManifest, parseManifest, serializeManifest } from '../../src/manifest/codec.js';
import { dsg, put, sandboxes, type Sandbox } from '../helpers/cli.js';
import { makePythonRepository } from '../helpers/pythonRepo.js';
import { installSshConfig } from '../helpers/ssh.js';
import { fullState } from '../helpers/trees.js';

const box = sandboxes();

/** Ana's project with its own data_dirs and ignore rules, published as s1 (and s2). */
function published(b: Sandbox) {
  const env = b.userEnv('Ana', 'ana@example.org');
  const A = b.project('a', 'survey', 'data_dirs: [input, raw]\nignore: {names: [scratch]}\n');
  put(A, 'input/wave1.csv', 'id,score\n1,10\n');
  put(A, 'raw/r.bin', 'raw bytes');
  put(A, 'input/scratch/tmp.csv', 'ignored');
  assert.equal(dsg(A, env, 'init').code, 0);
  put(A, 'input/wave2.csv', 'id,score\n2,20\n');
  assert.equal(dsg(A, env, 'sync', '-m', 'wave 2').code, 0);
  const work = join(b.base, 'work');
  mkdirSync(work);
  return { A, env, work, repo: b.repo('survey') };
}

const dataOf = (root: string): Record<string, string> =>
  Object.fromEntries(['input/wave1.csv', 'input/wave2.csv', 'raw/r.bin'].map((p) => [p, readFileSync(join(root, p), 'utf8')]));

describe('dsg clone <location> [DIR]', () => {
  it('from a local path: DIR defaults to the repository name; .dsgconfig.yml comes from the repository; the copy syncs', () => {
    const b = box('dsg-cloneloc');
    const { A, env, work, repo } = published(b);
    const r = dsg(work, env, 'clone', repo);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /^Cloned s2 into survey\/: 3 files downloaded \(\d+ B\)\.$/m);
    const C = join(work, 'survey');
    const cfg = parse(readFileSync(join(C, '.dsgconfig.yml'), 'utf8'));
    assert.deepEqual(cfg.name, 'survey');
    assert.deepEqual(cfg.repository, { type: 'xfs', host: 'localhost', mountpoint: b.repos });
    assert.deepEqual(cfg.data_dirs, ['input', 'raw']);
    assert.deepEqual(cfg.ignore.names, ['scratch']);
    assert.deepEqual(dataOf(C), dataOf(A));
    assert.equal(existsSync(join(C, 'input/scratch')), false);
    assert.equal(dsg(C, env, 'status', '--json').json.upToDate, true);
    // A working copy like any other: its sync reaches Ana.
    put(C, 'raw/new.bin', 'from the clone');
    assert.equal(dsg(C, env, 'sync', '-m', 'from clone').code, 0);
    assert.equal(dsg(A, env, 'sync').code, 0);
    assert.equal(readFileSync(join(A, 'raw/new.bin'), 'utf8'), 'from the clone');
  });

  it('into a named DIR (relative, or an empty folder); --json names the snapshot checked out', () => {
    const b = box('dsg-clonedir');
    const { env, work, repo } = published(b);
    const r = dsg(work, env, 'clone', repo, 'copies/mine', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.snapshot, 's2');
    assert.equal(r.json.directory, join(work, 'copies/mine'));
    assert.equal(readFileSync(join(work, 'copies/mine/input/wave1.csv'), 'utf8'), 'id,score\n1,10\n');
    mkdirSync(join(work, 'empty'));
    assert.equal(dsg(work, env, 'clone', repo, 'empty').code, 0);
    assert.ok(existsSync(join(work, 'empty/raw/r.bin')));
    // The form without a location keeps working (a folder that holds .dsgconfig.yml).
    const D = join(work, 'by-config');
    mkdirSync(D);
    writeFileSync(join(D, '.dsgconfig.yml'), readFileSync(join(work, 'empty/.dsgconfig.yml')));
    const old = dsg(work, env, 'clone', '--dest-path', D, '--json');
    assert.equal(old.code, 0, old.stderr);
    assert.equal(old.json.snapshot, 's2');
  });

  it('refuses a DIR that is not empty, and writes nothing', () => {
    const b = box('dsg-clonebusy');
    const { env, work, repo } = published(b);
    put(work, 'survey/notes.txt', 'mine');
    const before = fullState(work);
    const r = dsg(work, env, 'clone', repo);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^dsg: .*survey exists and is not empty; choose another destination/m);
    assert.deepEqual(fullState(work), before);
    const file = dsg(work, env, 'clone', repo, 'survey/notes.txt');
    assert.equal(file.code, 2);
    assert.match(file.stderr, /is not a folder/);
    assert.deepEqual(fullState(work), before);
    const repoBefore = fullState(repo);
    const inside = dsg(repo, env, 'clone', '.', 'copy');
    assert.equal(inside.code, 2);
    assert.match(inside.stderr, /^dsg: clone: .*copy is inside the repository/m);
    assert.deepEqual(fullState(repo), repoBefore);
  });

  it('an old repository (no recorded config) is refused with the fields to write by hand; nothing is created', () => {
    const b = box('dsg-cloneold');
    const env = b.userEnv('Bo', 'bo@example.org');
    makePythonRepository(join(b.repos, 'pyproj'));
    const r = dsg(b.base, env, 'clone', join(b.repos, 'pyproj'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dsg: .*records no project config/m);
    assert.match(r.stderr, /write \.dsgconfig\.yml in it by hand with the fields name \(pyproj\), repository \(\{type: xfs, host: localhost, mountpoint: /);
    assert.match(r.stderr, /data_dirs and ignore/);
    assert.equal(existsSync(join(b.base, 'pyproj')), false);
  });

  it('a hostile recorded config (a data dir reaching out of the project, or huge) is refused; nothing is created', () => {
    const b = box('dsg-clonehostile');
    const { env, work, repo } = published(b);
    const file = join(repo, '.dsg', 'last-sync.json');
    const current = parseManifest(readFileSync(file, 'utf8'), 'repository');
    const rewrite = (config: Record<string, unknown>): void => {
      const m = buildManifest(current.entries.values(), { ...current.metadata, project_config: config as never }, null);
      writeFileSync(file, serializeManifest(m));
    };
    const good = current.metadata.project_config as Record<string, unknown>;
    rewrite({ ...good, data_dirs: ['../../outside'] });
    let r = dsg(work, env, 'clone', repo);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^dsg: .*the project config recorded in .*data_dirs\[0\] must be a single directory name/m);
    assert.deepEqual(readdirSync(work), []);
    rewrite({ ...good, ignore: { names: Array.from({ length: 20000 }, (_, i) => `name${i}`) } });
    r = dsg(work, env, 'clone', repo);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /larger than 65536 bytes/);
    rewrite({ ...good, extra: 1 });
    r = dsg(work, env, 'clone', repo);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /unknown key "extra"|extra/);
    assert.deepEqual(readdirSync(work), []);
  });

  it('locations it cannot clone from yet say so and exit non-zero', () => {
    const b = box('dsg-clonebad');
    const env = b.userEnv('Ana', 'ana@example.org');
    for (const [loc, code, re] of [
      ['s3://bucket/prefix/survey', 1, /not supported yet: write \.dsgconfig\.yml .* and run "dsg clone" there/],
      ['ana@fileserver:/srv/repos/survey', 2, /user name or port in the location is not supported yet/],
      ['ssh://fileserver:2222/srv/repos/survey', 2, /not supported yet.*~\/\.ssh\/config/],
      ['fileserver:repos/survey', 2, /absolute path on fileserver/],
      [join(b.repos, 'nothing-here'), 1, /No dsg repository at .*nothing-here/],
    ] as const) {
      const r = dsg(b.base, env, 'clone', loc);
      assert.equal(r.code, code, `${loc}: ${r.stderr}`);
      assert.match(r.stderr, re);
      assert.match(r.stderr, /^dsg: /);
    }
    assert.deepEqual(readdirSync(b.base).sort(), ['config', 'repos']);
  });

  it('from host:/path and ssh://host/path over SSH: the config names the host alias as typed', () => {
    const b = box('dsg-clonessh');
    const { A, env, work, repo } = published(b);
    const server = installSshConfig(b.home);
    const r = dsg(work, env, 'clone', `${server.host}:${repo}`, 'over-ssh');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /^Cloned s2 into over-ssh\/: 3 files downloaded/m);
    const C = join(work, 'over-ssh');
    assert.deepEqual(parse(readFileSync(join(C, '.dsgconfig.yml'), 'utf8')).repository, { type: 'xfs', host: server.host, mountpoint: b.repos });
    assert.deepEqual(dataOf(C), dataOf(A));
    put(C, 'input/wave3.csv', 'over ssh');
    assert.equal(dsg(C, env, 'sync', '-m', 'over ssh').code, 0);
    assert.equal(readFileSync(join(repo, 'input/wave3.csv'), 'utf8'), 'over ssh');
    const u = dsg(work, env, 'clone', `ssh://${server.host}${repo}`, 'by-url', '--json');
    assert.equal(u.code, 0, u.stderr);
    assert.equal(u.json.snapshot, 's3');
    assert.equal(readFileSync(join(work, 'by-url/input/wave3.csv'), 'utf8'), 'over ssh');
  });
});
