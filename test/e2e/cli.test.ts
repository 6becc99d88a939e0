/** The CLI as a user meets it: --json everywhere, exit codes, init options, clear errors. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { fullState } from '../helpers/trees.js';

describe('command line', () => {
  const box = new Sandbox('dsg-cli');
  const env = box.userEnv('Ana', 'ana@example.org');
  after(() => box.cleanup());

  it('--json output of every command parses and holds the result', () => {
    const A = box.project('json-a', 'jsonproj');
    put(A, 'x/input/a.csv', 'a');
    put(A, 'x/input/skip.tmp', 'ignored');
    const init = dsg(A, env, 'init', '--json', '-m', 'start');
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.json.snapshot, 's1');
    assert.deepEqual(init.json.uploaded, ['x/input/a.csv']);
    assert.equal(init.stdout.trim().startsWith('{'), true, 'stdout is only the JSON document');

    const B = box.project('json-b', 'jsonproj');
    const clone = dsg(B, env, 'clone', '--json');
    assert.deepEqual(clone.json.downloaded, ['x/input/a.csv']);

    put(A, 'x/input/b.csv', 'b');
    const status = dsg(A, env, 'status', '--json');
    assert.equal(status.code, 0);
    assert.deepEqual(status.json.localChanges.map((r: any) => [r.path, r.state]), [['x/input/b.csv', 'local_added']]);
    assert.equal(status.json.snapshot, 's1');

    const dry = dsg(A, env, 'sync', '--dry-run', '--json');
    assert.equal(dry.json.dryRun, true);
    assert.deepEqual(dry.json.rows.map((r: any) => [r.path, r.action]), [['x/input/b.csv', 'upload']]);
    assert.equal(dsg(A, env, 'log', '--json').json.snapshots.length, 1, 'dry run made no snapshot');

    const sync = dsg(A, env, 'sync', '--json', '-m', 'b');
    assert.equal(sync.json.snapshot, 's2');
    const files = dsg(A, env, 'list-files', '--json', '--all');
    assert.deepEqual(files.json.files.map((f: any) => f.path), ['x/input/a.csv', 'x/input/b.csv']);
    assert.equal(files.json.files[0].hash.length, 16);
    assert.deepEqual(files.json.ignored, ['x/input/skip.tmp']);
    const sub = dsg(A, env, 'list-files', '--json', '--path', 'x/input/b.csv');
    assert.deepEqual(sub.json.files.map((f: any) => f.path), ['x/input/b.csv']);
    const log = dsg(A, env, 'log', '--json');
    assert.deepEqual(log.json.snapshots.map((e: any) => e.message), ['b', 'start']);

    const cont = dsg(A, env, 'sync', '--continue', '--json');
    assert.equal(cont.code, 1, 'no conflicts.txt to continue from');
    assert.equal(typeof cont.json.error.code, 'string');
  });

  it('exit codes: 2 for usage errors, 0 for --help', () => {
    const A = box.project('codes');
    assert.equal(dsg(A, env, 'no-such-command').code, 2);
    assert.equal(dsg(A, env, 'sync', '--no-such-flag').code, 2);
    // Usage errors in dsg's voice: the dsg: prefix, the closest command, a pointer to --help;
    // with --json, the error document on stdout too.
    const typo = dsg(A, env, 'stauts');
    assert.match(typo.stderr, /^dsg: unknown command 'stauts' \(did you mean status\?\)\. Run "dsg --help"/);
    const flag = dsg(A, env, '--json', 'sync', '--no-such-flag');
    assert.equal(flag.code, 2);
    assert.equal(flag.json.error.code, 'USAGE');
    assert.match(flag.json.error.message, /unknown option '--no-such-flag'/);
    // -v says which user config files were read.
    const verbose = dsg(A, env, '-v', 'status');
    assert.ok(verbose.stderr.includes(`${join(env.DSG_CONFIG_HOME!, 'dsg.yml')} (read)`), verbose.stderr);
    const help = dsg(A, env, 'sync', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Examples:/);
  });

  it('init --dry-run writes nothing at all', () => {
    const dir = join(box.base, 'dry');
    mkdirSync(dir);
    put(dir, 'input/a.csv', 'a');
    const before = fullState(dir);
    const r = dsg(dir, env, 'init', '--dry-run', '--json', '--name', 'dryproj', '--mountpoint', box.repos);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.rows.map((x: any) => x.path), ['input/a.csv']);
    assert.deepEqual(fullState(dir), before);
    assert.equal(existsSync(join(box.repos, 'dryproj')), false);
  });

  it('init writes .dsgconfig.yml from options; a second init is refused', () => {
    const dir = join(box.base, 'opts');
    mkdirSync(dir);
    put(dir, 'data/input/a.csv', 'a');
    // A failed init (here: no user config) takes back the .dsgconfig.yml it wrote, so the same
    // command works once the problem is fixed.
    const noUser = { ...env, DSG_CONFIG_HOME: join(box.base, 'no-such-config'), HOME: join(box.base, 'no-home') };
    const failed = dsg(dir, noUser, 'init', '--name', 'optproj', '--mountpoint', box.repos);
    assert.equal(failed.code, 1, failed.stderr);
    assert.equal(existsSync(join(dir, '.dsgconfig.yml')), false);
    const r = dsg(dir, env, 'init', '--name', 'optproj', '--mountpoint', box.repos);
    assert.equal(r.code, 0, r.stderr);
    assert.match(readFileSync(join(dir, '.dsgconfig.yml'), 'utf8'), /name: optproj/);
    assert.ok(existsSync(join(box.repos, 'optproj', 'data/input/a.csv')));
    const again = dsg(dir, env, 'init');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already a working copy/);
    const other = box.project('opts2', 'optproj');
    put(other, 'input/z', 'z');
    const clash = dsg(other, env, 'init');
    assert.equal(clash.code, 1);
    assert.match(clash.stderr, /already exists.*dsg clone/);
  });

  it('invalid paths block init with the list; --normalize renames and reports', () => {
    const dir = box.project('norm', 'normproj');
    put(dir, 'input/ok.csv', 'ok');
    put(dir, 'input/bad|name.csv', 'bad');
    put(dir, 'input/con', 'reserved');
    const blocked = dsg(dir, env, 'init');
    assert.equal(blocked.code, 1);
    assert.match(blocked.stderr, /input\/bad\|name\.csv/);
    assert.match(blocked.stderr, /input\/con/);
    assert.match(blocked.stderr, /--normalize/);
    assert.equal(existsSync(join(box.repos, 'normproj', '.dsg', 'last-sync.json')), false);
    const fixed = dsg(dir, env, 'init', '--normalize', '--json');
    assert.equal(fixed.code, 0, fixed.stderr);
    assert.deepEqual(fixed.json.renamed, [
      { from: 'input/bad|name.csv', to: 'input/bad_name.csv' },
      { from: 'input/con', to: 'input/con_renamed' },
    ]);
    assert.ok(existsSync(join(dir, 'input/bad_name.csv')));
  });

  it('reading commands need no user identity; writing ones do', () => {
    const A = box.project('readers', 'readproj');
    put(A, 'input/a.csv', 'a\n');
    assert.equal(dsg(A, env, 'init').code, 0);
    put(A, 'input/b.csv', 'b\n');
    const nobody = { ...env, DSG_CONFIG_HOME: join(box.base, 'nobody-config'), HOME: join(box.base, 'nobody-home') };
    for (const args of [['status'], ['log'], ['list-files'], ['blame', 'input/a.csv'], ['validate-chain'], ['validate-snapshot', '-n', 'latest']]) {
      const r = dsg(A, nobody, ...args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    }
    const sync = dsg(A, nobody, 'sync', '-m', 'x');
    assert.equal(sync.code, 1);
    assert.match(sync.stderr, /No dsg user configuration found/);
  });

  it('list-files --porcelain and -0 give one record per entry, sizes as one field', () => {
    const A = box.project('porcelain', 'porcproj');
    put(A, 'input/a b.csv', 'hello\n');
    put(A, 'input/c.txt', 'q');
    assert.equal(dsg(A, env, 'init').code, 0);
    const p = dsg(A, env, 'list-files', '--porcelain');
    assert.equal(p.code, 0, p.stderr);
    const rows = p.stdout.split('\n').filter(Boolean).map((l) => l.split('\t'));
    assert.deepEqual(rows.map((r) => [r[0], r[1], r[5]]), [['file', '6', 'input/a b.csv'], ['file', '1', 'input/c.txt']]);
    const z = dsg(A, env, 'list-files', '-0');
    assert.deepEqual(z.stdout.split('\0').filter(Boolean).map((r) => r.split('\t')[5]), ['input/a b.csv', 'input/c.txt']);
    const human = dsg(A, env, 'list-files');
    assert.match(human.stdout, /^\s*6B\s+\S+\s+\S+\s+\S+\s+input\/a b\.csv$/m);
    assert.equal(dsg(A, env, 'list-files', '--porcelain', '--json').code, 2);
  });

  it('config errors name the file and the fix', () => {
    const dir = box.project('badcfg', 'badcfg', 'data_dir: [input]\n');
    const r = dsg(dir, env, 'status');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\.dsgconfig\.yml/);
    assert.match(r.stderr, /data_dir/);
    assert.match(r.stderr, /data_dirs/);
    const noUser = { ...env, DSG_CONFIG_HOME: join(box.base, 'nowhere') };
    const good = box.project('nouser', 'nouser');
    const r2 = dsg(good, noUser, 'sync'); // a writer: reading commands run without an identity
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /user_id/);
    const outside = dsg(box.base, env, 'status');
    assert.equal(outside.code, 1);
    assert.match(outside.stderr, /\.dsgconfig\.yml/);
  });

  it('safety rails: deleting most files is refused without --force; an empty scan too', () => {
    const dir = box.project('rails', 'railsproj');
    for (let i = 0; i < 6; i++) put(dir, `input/f${i}`, `${i}`);
    assert.equal(dsg(dir, env, 'init').code, 0);
    for (let i = 0; i < 4; i++) rmSync(join(dir, `input/f${i}`));
    const refused = dsg(dir, env, 'sync');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /delete 4 of the 6/);
    assert.match(refused.stderr, /--force/);
    const forced = dsg(dir, env, 'sync', '--force', '--json');
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(forced.json.deletedRemote.length, 4);
    rmSync(join(dir, 'input'), { recursive: true });
    const empty = dsg(dir, env, 'sync');
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /no tracked files/);
  });

  it('commands work from a subdirectory of the project', () => {
    const A = box.project('subdir', 'subproj');
    put(A, 'deep/input/a', 'a');
    assert.equal(dsg(A, env, 'init').code, 0);
    const s = dsg(join(A, 'deep', 'input'), env, 'status', '--json');
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.json.upToDate, true);
  });
});

