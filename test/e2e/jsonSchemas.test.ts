/**
 * Every --json document validates against its schema in docs/json: each command with --json is
 * run through the built CLI (successes, failures, usage errors), and every schema there is
 * exercised by some test and every command with --json has one.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, dsg, put, Sandbox } from '../helpers/cli.js';
import { makeWritable } from '../helpers/trees.js';
import { ipfsBackend } from '../helpers/ipfs.js';
import { assertSchema, projectRoot, schemaNames, exercisedSchemas } from '../helpers/jsonSchemas.js';

/** Schemas whose success no local repository can produce: validated by the ZFS suite (test/e2e/zfs.test.ts). */
const ZFS_ONLY = ['dsg.snapunmount.v1'];


/** Commands (subcommands joined by "-") whose --help offers --json, read from the built CLI's help. */
function commandsWithJson(path: string[] = []): string[] {
  const help = spawnSync(process.execPath, [CLI, ...path, '--help'], { encoding: 'utf8' }).stdout;
  const section = /\nCommands:\n([\s\S]*?)(\n\n|$)/.exec(help);
  if (section === null) return help.includes('--json') ? [path.join('-')] : [];
  const names = section[1]
    .split('\n')
    .map((l) => /^ {2}(\S+)/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined && n !== 'help');
  return names.flatMap((n) => commandsWithJson([...path, n]));
}

describe('--json documents match their schemas (docs/json)', () => {
  const box = new Sandbox('dsg-jsonschema');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const ben = box.userEnv('Ben', 'ben@example.org');
  const A = box.project('a');
  const B = box.project('b');
  const mnt = join(box.base, 'mounted-s1');
  after(() => {
    makeWritable(mnt);
    box.cleanup();
  });

  it('init, clone', () => {
    put(A, 'input/survey.csv', 'id,value\n1,2\n');
    put(A, 'input/other.txt', 'other');
    const init = assertSchema(dsg(A, ana, 'init', '-m', 'first', '--json'), 'dsg.init.v1');
    assert.equal(init.snapshot, 's1');
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    const clone = assertSchema(dsg(B, ben, 'clone', '--json'), 'dsg.clone.v1');
    assert.equal(clone.snapshot, 's1', 'clone names the snapshot it checked out');
    assert.deepEqual(clone.downloaded.sort(), ['input/other.txt', 'input/survey.csv']);
    // A second clone is refused: the failure is an error document.
    const again = dsg(B, ben, 'clone', '--json');
    assert.equal(again.code, 1);
    assert.equal(assertSchema(again, 'dsg.error.v1').error.code, 'ALREADY_CLONED');
  });

  it('sync: a new snapshot; a conflict (exit 3, an error document with details); --continue reports what it resolved and backed up', () => {
    put(B, 'input/survey.csv', 'id,value\n1,3\n');
    const s2 = assertSchema(dsg(B, ben, 'sync', '-m', 'ben edits', '--json'), 'dsg.sync.v1');
    assert.deepEqual([s2.snapshot, s2.uploaded, s2.resolved, s2.backups], ['s2', ['input/survey.csv'], [], []]);
    put(A, 'input/survey.csv', 'id,value\n1,4\n');
    const blocked = dsg(A, ana, 'sync', '--json');
    assert.equal(blocked.code, 3);
    const err = assertSchema(blocked, 'dsg.error.v1');
    assert.deepEqual(err.error.details.map((d: { path: string }) => d.path), ['input/survey.csv']);
    // Take the remote version: keep only the _R line of conflicts.txt.
    const file = join(A, 'conflicts.txt');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^_[LC].*\n?/gm, ''));
    const dry = assertSchema(dsg(A, ana, 'sync', '--continue', '--dry-run', '--json'), 'dsg.sync.v1');
    assert.deepEqual([dry.dryRun, dry.resolved, dry.backups], [true, [{ path: 'input/survey.csv', action: 'remote' }], []]);
    const done = assertSchema(dsg(A, ana, 'sync', '--continue', '--json'), 'dsg.sync.v1');
    assert.deepEqual(done.resolved, [{ path: 'input/survey.csv', action: 'remote' }]);
    assert.equal(done.backups.length, 1);
    assert.equal(done.backups[0].path, 'input/survey.csv');
    assert.match(done.backups[0].backup, /^input\/survey\.csv~\d{8}T\d{6}[+-]\d{4}~$/);
    assert.equal(readFileSync(join(A, done.backups[0].backup), 'utf8'), 'id,value\n1,4\n', 'the backup holds the overwritten local version');
    const upToDate = assertSchema(dsg(A, ana, 'sync', '--json'), 'dsg.sync.v1');
    assert.equal(upToDate.upToDate, true);
  });

  it('status (with its summary of counts)', () => {
    put(A, 'input/new.txt', 'new');
    const s = assertSchema(dsg(A, ana, 'status', '--json'), 'dsg.status.v1');
    assert.deepEqual(s.localChanges.map((r: { path: string }) => r.path), ['input/new.txt']);
    assert.equal(s.upToDate, false);
    assert.deepEqual(s.summary, { localChanges: 1, remoteChanges: 0, conflicts: 0 });
  });

  it('list-files, log, blame, recover', () => {
    const files = assertSchema(dsg(A, ana, 'list-files', '--json'), 'dsg.list-files.v1');
    assert.ok(files.files.some((f: { path: string }) => f.path === 'input/survey.csv'));
    assertSchema(dsg(A, ana, 'list-files', '--all', '--json'), 'dsg.list-files.v1', 'list-files --all');
    const log = assertSchema(dsg(A, ana, 'log', '--json'), 'dsg.log.v1');
    assert.deepEqual(log.snapshots.map((e: { id: string }) => e.id), ['s2', 's1']);
    assert.equal(log.snapshots[1].createdAt.length > 0, true, 'snake_case keys become camelCase');
    const blame = assertSchema(dsg(A, ana, 'blame', 'input/survey.csv', '--json'), 'dsg.blame.v1');
    assert.deepEqual(blame.events.map((e: { change: string }) => e.change), ['added', 'modified']);
    assertSchema(dsg(A, ana, 'recover', '--json'), 'dsg.recover.v1');
    assertSchema(dsg(A, ana, 'recover', '--break-lock', '--json'), 'dsg.recover.v1', 'recover --break-lock');
  });

  it('snapfetch, snapmount; snapunmount of a copy fails with an error document', () => {
    const out = join(box.base, 'survey.s1');
    const f = assertSchema(dsg(A, ana, 'snapfetch', 'input/survey.csv', '-n', 's1', '-o', out, '--json'), 'dsg.snapfetch.v1');
    assert.equal(f.snapshot, 's1');
    const m = assertSchema(dsg(A, ana, 'snapmount', '-n', 's1', '--mountpoint', mnt, '--json'), 'dsg.snapmount.v1');
    assert.equal(m.method, 'copied');
    const u = dsg(A, ana, 'snapunmount', mnt, '--json');
    assert.equal(u.code, 1);
    assert.equal(assertSchema(u, 'dsg.error.v1', 'snapunmount').error.code, 'NOT_MOUNTED');
  });

  it('validate-config, validate-file (ok and differing), validate-snapshot, validate-chain', () => {
    const config = assertSchema(dsg(A, ana, 'validate-config', '--json'), 'dsg.validate-config.v1');
    assert.deepEqual(config.project.dataDirs, ['input', 'output', 'frozen']);
    assert.equal(config.user.userId, 'ana@example.org');
    const ok = assertSchema(dsg(A, ana, 'validate-file', 'input/other.txt', '--json'), 'dsg.validate-file.v1');
    assert.equal(ok.ok, true);
    put(A, 'input/other.txt', 'edited');
    const bad = dsg(A, ana, 'validate-file', 'input/other.txt', '--json');
    assert.equal(bad.code, 1);
    assert.equal(assertSchema(bad, 'dsg.validate-file.v1', 'validate-file, differing').ok, false);
    assert.equal(assertSchema(dsg(A, ana, 'validate-snapshot', '-n', 's1', '--deep', '--json'), 'dsg.validate-snapshot.v1').ok, true);
    assert.equal(assertSchema(dsg(A, ana, 'validate-chain', '--json'), 'dsg.validate-chain.v1').ok, true);
  });

  it('clean, list-repos', () => {
    const c = assertSchema(dsg(A, ana, 'clean', '--backups', '--json'), 'dsg.clean.v1');
    assert.deepEqual(c.items.map((i: { kind: string }) => i.kind), ['conflict-backup']);
    const repos = assertSchema(dsg(A, ana, 'list-repos', '--json'), 'dsg.list-repos.v1');
    assert.deepEqual(repos.repos.map((r: { name: string }) => r.name), ['proj']);
    assert.equal(repos.repos[0].changedBy, 'ben@example.org');
  });

  it('failures: no project, a bad option value, an unknown option and command (usage errors, exit 2)', () => {
    const none = dsg(box.base, ana, 'status', '--json');
    assert.equal(none.code, 1);
    assertSchema(none, 'dsg.error.v1', 'status outside a project');
    const badValue = dsg(A, ana, 'log', '-n', 'many', '--json');
    assert.equal(badValue.code, 2);
    assert.equal(assertSchema(badValue, 'dsg.error.v1', 'log -n many').error.code, 'USAGE');
    for (const args of [['log', '--bogus'], ['frobnicate'], ['snapfetch', 'input/survey.csv']]) {
      const r = dsg(A, ana, ...args, '--json');
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(assertSchema(r, 'dsg.error.v1', args.join(' ')).error.code, 'USAGE');
    }
  });
});

describe('--json of car export and import (IPFS repository)', () => {
  const box = new Sandbox('dsg-jsonschema-ipfs', ipfsBackend());
  const fresh = new Sandbox('dsg-jsonschema-ipfs2', box.backend);
  after(() => [box, fresh].forEach((b) => b.cleanup()));

  it('car export, car import', () => {
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/x.txt', 'x');
    assert.equal(dsg(A, env, 'init').code, 0);
    const car = join(box.base, 's1.car');
    const ex = assertSchema(dsg(A, env, 'car', 'export', '-n', 's1', car, '--json'), 'dsg.car-export.v1');
    assert.equal(ex.snapshot, 's1');
    const again = dsg(A, env, 'car', 'export', '-n', 's1', car, '--json');
    assert.notEqual(again.code, 0, 'the CAR file exists');
    assertSchema(again, 'dsg.error.v1', 'car export over an existing file');
    const im = assertSchema(dsg(fresh.project('b'), fresh.userEnv('Bo', 'bo@example.org'), 'car', 'import', car, '--json'), 'dsg.car-import.v1');
    assert.deepEqual(im.snapshots, ['s1']);
  });

  it('help, completion', () => {
    const here = box.base;
    const ana = box.userEnv('Ana', 'ana@example.org');
    assert.equal(assertSchema(dsg(here, ana, 'help', 'states', '--json'), 'dsg.help.v1').kind, 'topic');
    assert.equal(assertSchema(dsg(here, ana, '--json', 'help', 'car', 'export'), 'dsg.help.v1').name, 'car export');
    assert.equal(assertSchema(dsg(here, ana, '--json', 'help'), 'dsg.help.v1').kind, 'overview');
    assertSchema(dsg(here, ana, '--json', 'help', 'colours'), 'dsg.error.v1', 'an unknown topic');
    assert.match(assertSchema(dsg(here, ana, 'completion', 'fish', '--json'), 'dsg.completion.v1').script, /complete -c dsg/);
  });
});

describe('docs/json has exactly the schemas the commands need', () => {
  // node:test runs the describes of a file in order: the ones above have run.
  it('every schema file is used by a test: here, or (ZFS-only) in the ZFS suite', () => {
    const zfsSuite = readFileSync(join(projectRoot(), 'test', 'e2e', 'zfs.test.ts'), 'utf8');
    for (const name of schemaNames()) {
      if (ZFS_ONLY.includes(name)) assert.ok(zfsSuite.includes(`'${name}'`), `${name} is validated by no test`);
      else assert.ok(exercisedSchemas.has(name), `${name} is validated by no test (an orphan schema?)`);
    }
  });

  it('every command with a --json option has a schema', () => {
    const commands = commandsWithJson();
    assert.ok(commands.length >= 18, `found only ${commands.join(', ')}`);
    const names = new Set(schemaNames());
    for (const c of commands) assert.ok(names.has(`dsg.${c}.v1`), `${c} has a --json option but no schema docs/json/dsg.${c}.v1.schema.json`);
    assert.ok(names.has('dsg.error.v1'));
  });
});
