/** clean, list-repos and validate-config as a user runs them. */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';

describe('clean', () => {
  const box = new Sandbox('dsg-clean');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const P = box.project('p');
  before(() => {
    put(P, 'input/a.csv', 'a');
    assert.equal(dsg(P, ana, 'init', '-m', 'one').code, 0);
  });
  after(() => box.cleanup());

  it('lists planted leftovers with sizes (dry run), then --apply removes them; backups only with --backups', () => {
    const live = '20250101T000000000Z-live0001';
    put(P, '.dsg/tmp/20250101T000000000Z-dead0001-abcdef', '12345');
    put(P, '.dsg/staging/20250101T000000000Z-dead0001/0123456789abcdef', 'staged!');
    put(P, `.dsg/staging/${live}/0123456789abcdef`, 'in use');
    put(P, `.dsg/transactions/${live}.json`, '{}');
    put(P, '.dsg/.last-sync.json.4242.1700000000000.tmp', 'torn');
    put(P, '.dsg/client.lock.4242-deadbeef.tmp', 'lk');
    put(P, 'input/a.csv.dsg-20250101T000000000Z-dead0001.tmp', 'half');
    put(P, `input/sub/b.csv.dsg-${live}.tmp`, 'half of a live one');
    put(P, 'input/a.csv~20250613T101919-0700~', 'backup');
    put(P, '.git/objects/x.dsg-20250101T000000000Z-dead0001.tmp', 'not ours: hidden folders are not walked');

    const dry = dsg(P, ana, 'clean', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.json.applied, false);
    const listed = dry.json.items.map((i: any) => [i.kind, i.path, i.bytes]).sort();
    assert.deepEqual(listed, [
      ['atomic-write-tmp', '.dsg/.last-sync.json.4242.1700000000000.tmp', 4],
      ['atomic-write-tmp', '.dsg/client.lock.4242-deadbeef.tmp', 2],
      ['partial-file', 'input/a.csv.dsg-20250101T000000000Z-dead0001.tmp', 4],
      ['staging', '.dsg/staging/20250101T000000000Z-dead0001', 7],
      ['tmp', '.dsg/tmp/20250101T000000000Z-dead0001-abcdef', 5],
    ]);
    assert.equal(dry.json.bytes, 22);
    assert.deepEqual(dry.json.kept.map((k: any) => k.path).sort(), [`.dsg/staging/${live}`, `input/sub/b.csv.dsg-${live}.tmp`]);
    assert.ok(existsSync(join(P, '.dsg/tmp/20250101T000000000Z-dead0001-abcdef')), 'a dry run removes nothing');
    const human = dsg(P, ana, 'clean');
    assert.match(human.stdout, /5 B\s+tmp\s+\.dsg\/tmp\/20250101T000000000Z-dead0001-abcdef/);
    assert.match(human.stdout, /5 items \(22 B\) would be removed; run "dsg clean --apply"/);

    const withBackups = dsg(P, ana, 'clean', '--backups', '--json');
    assert.ok(withBackups.json.items.some((i: any) => i.kind === 'conflict-backup' && i.path === 'input/a.csv~20250613T101919-0700~'));

    const apply = dsg(P, ana, 'clean', '--apply', '--json');
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(apply.json.applied, true);
    for (const i of dry.json.items) assert.equal(existsSync(join(P, i.path)), false, i.path);
    assert.ok(existsSync(join(P, 'input/a.csv~20250613T101919-0700~')), 'backups stay without --backups');
    assert.ok(existsSync(join(P, `.dsg/staging/${live}`)), 'a transaction with a journal keeps its staging');
    assert.ok(existsSync(join(P, '.git/objects/x.dsg-20250101T000000000Z-dead0001.tmp')));
    assert.ok(existsSync(join(P, 'input/a.csv')));

    assert.equal(dsg(P, ana, 'clean', '--backups', '--apply').code, 0);
    assert.equal(existsSync(join(P, 'input/a.csv~20250613T101919-0700~')), false);
    assert.match(dsg(P, ana, 'clean').stdout, /Nothing to clean\./);
    // Once its journal is gone, the live transaction's leftovers are orphans too.
    rmSync(join(P, '.dsg/transactions', `${live}.json`));
    const orphans = dsg(P, ana, 'clean', '--apply', '--json');
    assert.deepEqual(orphans.json.items.map((i: any) => i.path).sort(), [`.dsg/staging/${live}`, `input/sub/b.csv.dsg-${live}.tmp`]);
    assert.equal(dsg(P, ana, 'status').code, 0);
  });
});

describe('list-repos', () => {
  const box = new Sandbox('dsg-repos');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const P = box.project('p', 'survey');
  const Q = box.project('q', 'climate');
  before(() => {
    put(P, 'input/a.csv', 'a');
    put(P, 'input/b.csv', 'bb');
    assert.equal(dsg(P, ana, 'init', '-m', 'survey one').code, 0);
    put(Q, 'output/x', 'x');
    assert.equal(dsg(Q, ana, 'init', '-m', 'climate one').code, 0);
    mkdirSync(join(box.repos, 'not-a-repo'));
    mkdirSync(join(box.repos, 'broken', '.dsg'), { recursive: true });
    writeFileSync(join(box.repos, 'broken', '.dsg', 'last-sync.json'), '{"entries": {');
  });
  after(() => box.cleanup());

  it('inside a project without defaults: the repositories beside its own', () => {
    const r = dsg(P, ana, 'list-repos', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.source, 'project');
    assert.equal(r.json.path, box.repos);
    const good = r.json.repos.filter((x: any) => !x.error);
    assert.deepEqual(
      good.map((x: any) => [x.name, x.snapshot, x.entries, x.bytes, x.changedBy, x.message]),
      [
        ['climate', 's1', 1, 1, 'ana@example.org', 'climate one'],
        ['survey', 's1', 2, 3, 'ana@example.org', 'survey one'],
      ],
    );
    const broken = r.json.repos.find((x: any) => x.name === 'broken');
    assert.match(broken.error, /not valid JSON/);
    assert.ok(!r.json.repos.some((x: any) => x.name === 'not-a-repo'));
    assert.match(r.stderr, /broken: manifest unreadable/);
  });

  it('default_host/default_project_path from dsg.yml, from anywhere; a remote host is not supported yet', () => {
    const cfg = join(box.base, 'cfg-defaults');
    mkdirSync(cfg);
    writeFileSync(join(cfg, 'dsg.yml'), `user_name: Ana\nuser_id: ana@example.org\ndefault_host: localhost\ndefault_project_path: ${box.repos}\n`);
    const env = { ...ana, DSG_CONFIG_HOME: cfg };
    const r = dsg(box.base, env, 'list-repos', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.source, 'user-config');
    assert.deepEqual(r.json.repos.map((x: any) => x.name), ['broken', 'climate', 'survey']);
    const human = dsg(box.base, env, 'list-repos');
    assert.match(human.stdout, /survey\s+s1\s+2 files/);

    const remote = join(box.base, 'cfg-remote');
    mkdirSync(remote);
    writeFileSync(join(remote, 'dsg.yml'), 'user_name: Ana\nuser_id: ana@example.org\ndefault_host: server9.example.org\ndefault_project_path: /srv/repos\n');
    const ssh = dsg(box.base, { ...ana, DSG_CONFIG_HOME: remote }, 'list-repos', '--json');
    assert.equal(ssh.code, 1);
    assert.equal(ssh.json.error.code, 'NOT_IMPLEMENTED');
    assert.match(ssh.json.error.message, /server9\.example\.org/);

    const nowhere = dsg(box.base, ana, 'list-repos');
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /default_project_path/);
  });
});

describe('validate-config', () => {
  const box = new Sandbox('dsg-vconfig');
  const ana = box.userEnv('Ana', 'ana@example.org');
  after(() => box.cleanup());

  it('summarises a valid configuration, in text and --json', () => {
    const P = box.project('p', 'survey', 'data_dirs: [input, raw]\n');
    const r = dsg(join(P), ana, 'validate-config', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.project.name, 'survey');
    assert.deepEqual(r.json.project.dataDirs, ['input', 'raw']);
    assert.equal(r.json.repository.type, 'xfs');
    assert.equal(r.json.repository.transport, 'local');
    assert.equal(r.json.repository.location, join(box.repos, 'survey'));
    assert.equal(r.json.user.userId, 'ana@example.org');
    mkdirSync(join(P, 'raw', 'deep'), { recursive: true });
    const human = dsg(join(P, 'raw', 'deep'), ana, 'validate-config');
    assert.equal(human.code, 0);
    assert.match(human.stdout, /project\s+survey/);
    assert.match(human.stdout, /user\s+Ana <ana@example\.org>/);
  });

  it('names the file and the problem; reports both files when both are wrong', () => {
    const P = box.project('bad', 'survey', 'data_dir: [input]\n');
    const r = dsg(P, ana, 'validate-config');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /\.dsgconfig\.yml/);
    assert.match(r.stderr, /data_dir/);
    assert.match(r.stderr, /data_dirs/);
    const cfg = join(box.base, 'cfg-bad');
    mkdirSync(cfg);
    writeFileSync(join(cfg, 'dsg.yml'), 'user_name: Ana\n');
    const both = dsg(P, { ...ana, DSG_CONFIG_HOME: cfg }, 'validate-config', '--json');
    assert.equal(both.code, 1);
    assert.match(both.json.error.message, /Both configurations have problems/);
    assert.match(both.json.error.message, /user_id/);
    assert.match(both.json.error.message, /data_dir/);
  });
});
