/**
 * `dsg status` for people and scripts, through the built CLI (issue 13): the summary line and
 * its JSON twin, `--short` codes for every state status lists, path filters, paths relative to
 * the current folder, `-q` exit codes, rows that fit the width without cutting a path, and colour
 * (on a real terminal through `script`, never with NO_COLOR, TERM=dumb, --color never, a pipe
 * or --json).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CLI, dsg, put, Sandbox } from '../helpers/cli.js';

/** An SGR (colour) escape sequence. */
const SGR = /\x1b\[[0-9;]*m/;
const LONG = 'output/a-result-file-with-a-rather-long-name-from-the-model-run-2025.csv';

/** What `status -s` must print from the project root: every code of the table, sorted by path. */
const SHORT_FROM_ROOT = [
  'A  input/add-local.csv',
  ' A input/add-remote.csv',
  'A  "input/back\\\\slash.csv"',
  'A  input/bad?.csv',
  'AA input/conf-aa.csv',
  'DM input/conf-dm.csv',
  'MD input/conf-md.csv',
  'MM input/conf-mm.csv',
  'D  input/del-local.csv',
  ' D input/del-remote.csv',
  'M  input/mod-local.csv',
  ' M input/mod-remote.csv',
  `A  ${LONG}`,
];

/** A word for a POSIX shell, quoted. */
function shq(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

describe('status output for people and scripts', () => {
  const box = new Sandbox('dsg-status-output');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const bob = box.userEnv('Bob', 'bob@example.org');
  let W = '';

  before(() => {
    W = box.project('w');
    const B = box.project('b');
    for (const f of ['mod-local', 'del-local', 'mod-remote', 'del-remote', 'conf-mm', 'conf-md', 'conf-dm']) put(W, `input/${f}.csv`, `${f} v1\n`);
    put(W, 'output/keep.csv', 'keep\n');
    assert.equal(dsg(W, ana, 'init').code, 0);
    copyFileSync(join(W, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    assert.equal(dsg(B, bob, 'clone').code, 0);
    put(B, 'input/mod-remote.csv', 'from bob\n');
    unlinkSync(join(B, 'input/del-remote.csv'));
    put(B, 'input/add-remote.csv', 'from bob\n');
    put(B, 'input/conf-mm.csv', 'from bob\n');
    unlinkSync(join(B, 'input/conf-md.csv'));
    put(B, 'input/conf-dm.csv', 'from bob\n');
    put(B, 'input/conf-aa.csv', 'from bob\n');
    const s = dsg(B, bob, 'sync', '-m', 'bob');
    assert.equal(s.code, 0, s.stderr);
    put(W, 'input/mod-local.csv', 'from ana\n');
    unlinkSync(join(W, 'input/del-local.csv'));
    put(W, 'input/add-local.csv', 'from ana\n');
    put(W, 'input/back\\slash.csv', 'from ana\n');
    put(W, 'input/conf-mm.csv', 'from ana\n');
    put(W, 'input/conf-md.csv', 'from ana\n');
    unlinkSync(join(W, 'input/conf-dm.csv'));
    put(W, 'input/conf-aa.csv', 'from ana\n');
    put(W, LONG, 'from ana\n');
    put(W, 'input/bad?.csv', 'a name sync refuses\n');
  });
  after(() => box.cleanup());

  it('ends with a summary line counting each group; --json carries the same counts', () => {
    const r = dsg(W, ana, 'status');
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stdout, /\n6 local changes, 3 remote changes, 4 conflicts\n$/);
    const j = dsg(W, ana, 'status', '--json');
    assert.equal(j.code, 3);
    assert.deepEqual(j.json.summary, { localChanges: 6, remoteChanges: 3, conflicts: 4 });
    assert.equal(j.json.localChanges.length, 6);
    assert.match(dsg(W, ana, 'status', 'output').stdout, /\n1 local change\n$/);
    assert.match(dsg(W, ana, 'status', 'input/mod-remote.csv').stdout, /\n1 remote change\n$/);
    assert.match(dsg(W, ana, 'status', 'input/conf-mm.csv', 'input/mod-local.csv').stdout, /\n1 local change, 1 conflict\n$/);
  });

  it('-s prints one code and path per line for every state, and nothing else', () => {
    for (const flag of ['-s', '--short']) {
      const r = dsg(W, ana, 'status', flag);
      assert.equal(r.code, 3, r.stderr);
      assert.deepEqual(r.stdout.split('\n'), [...SHORT_FROM_ROOT, '']);
      assert.doesNotMatch(r.stdout, SGR);
    }
    const bad = dsg(W, ana, 'status', '-s', '--json');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^dsg: status: --short and --json/);
  });

  it('the codes are documented in status --help, exit code 5 in dsg --help', () => {
    const h = dsg(W, ana, 'status', '--help');
    assert.equal(h.code, 0);
    assert.match(h.stdout, /-s, --short/);
    assert.match(h.stdout, /A added, M modified, D deleted/);
    for (const code of ['AA', 'MM', 'MD', 'DM']) assert.match(h.stdout, new RegExp(`\\b${code}\\b`));
    assert.match(h.stdout, /5 sync has something to do/);
    assert.match(dsg(W, ana, '--help').stdout, /5 "status -q": sync has something to do/);
  });

  it('paths narrow the output to entries at or under them; a path outside the project is a usage error', () => {
    const folder = dsg(W, ana, 'status', '-s', 'output');
    assert.equal(folder.code, 0, folder.stderr);
    assert.deepEqual(folder.stdout.split('\n'), [`A  ${LONG}`, '']);
    const mixed = dsg(W, ana, 'status', '-s', 'input/conf-mm.csv', 'output/', 'input/mod');
    assert.deepEqual(mixed.stdout.split('\n'), ['MM input/conf-mm.csv', `A  ${LONG}`, ''], '"input/mod" is no prefix of input/mod-local.csv');
    const j = dsg(W, ana, 'status', '--json', 'input/conf-mm.csv');
    assert.deepEqual(j.json.summary, { localChanges: 0, remoteChanges: 0, conflicts: 1 });
    assert.equal(j.json.upToDate, false);
    const none = dsg(W, ana, 'status', 'output/keep.csv');
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /Nothing to sync under output\/keep\.csv\.\n$/);
    for (const outside of ['..', '../b/input', join(box.base, 'elsewhere')]) {
      const r = dsg(W, ana, 'status', outside);
      assert.equal(r.code, 2, outside);
      assert.equal(r.stdout, '');
      assert.ok(r.stderr.startsWith(`dsg: status: "${outside}" is not a path inside the project`), r.stderr);
    }
  });

  it('from a subfolder, paths are given and shown relative to it; --json keeps project paths', () => {
    const here = join(W, 'input');
    const short = dsg(here, ana, 'status', '-s');
    assert.deepEqual(
      short.stdout.split('\n'),
      [...SHORT_FROM_ROOT.map((l) => l.replace('input/', '').replace('output/', '../output/')), ''],
    );
    const filtered = dsg(here, ana, 'status', '-s', '../output', 'conf-aa.csv');
    assert.deepEqual(filtered.stdout.split('\n'), ['AA conf-aa.csv', `A  ../${LONG}`, '']);
    const human = dsg(here, ana, 'status', '--color', 'never', 'mod-local.csv', '.');
    assert.match(human.stdout, /^ {2}changed locally\s+mod-local\.csv$/m);
    assert.match(human.stdout, /^ {2}new locally\s+add-local\.csv$/m);
    assert.doesNotMatch(human.stdout, /output/);
    assert.match(short.stderr, /^warning: invalid path bad\?\.csv: /m);
    assert.match(dsg(W, ana, 'status', '-s').stderr, /^warning: invalid path input\/bad\?\.csv: /m);
    assert.doesNotMatch(filtered.stderr, /invalid path/, 'warnings are narrowed by the paths too');
    const j = dsg(here, ana, 'status', '--json', '../output');
    assert.deepEqual(j.json.localChanges.map((r: any) => r.path), [LONG]);
  });

  it('-q prints nothing and exits 0 (nothing to sync), 5 (something to sync) or 3 (conflicts)', () => {
    const cases: [string[], number][] = [
      [['output/keep.csv'], 0],
      [['output'], 5],
      [['input/mod-remote.csv'], 5],
      [[], 3],
      [['input/conf-dm.csv'], 3],
    ];
    for (const [paths, code] of cases) {
      const r = dsg(W, ana, 'status', '-q', ...paths);
      assert.equal(r.code, code, paths.join(' '));
      assert.equal(r.stdout + r.stderr, '');
    }
    // Without -q the codes are today's: 0, or 3 with conflicts.
    assert.equal(dsg(W, ana, 'status', 'output').code, 0);
    const bad = dsg(W, ana, 'status', '-q', '..');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^dsg: /);
  });

  it('rows fit the width without ever cutting a path', () => {
    for (const columns of [50, 80]) {
      const r = dsg(W, { ...ana, COLUMNS: String(columns) }, 'status');
      const lines = r.stdout.split('\n');
      for (const l of lines.filter((x) => x.startsWith('  '))) assert.ok(l.length <= columns || /^ {6}\S+$/.test(l), `${columns}: ${JSON.stringify(l)}`);
      assert.ok(lines.includes(`      ${LONG}`), `${columns}: the long path whole on its own line`);
      assert.ok(lines.includes('  new locally'));
    }
    // 80 columns: short paths stay beside their description, one column for all groups.
    const at80 = dsg(W, { ...ana, COLUMNS: '80' }, 'status').stdout;
    assert.match(at80, /^ {2}changed locally {28}input\/mod-local\.csv$/m);
    assert.match(at80, /^ {2}changed locally and on remote, differently input\/conf-mm\.csv$/m);
    // Wide enough, every row is one line, and the column is only as wide as the descriptions shown.
    const wide = dsg(W, { ...ana, COLUMNS: '200' }, 'status', 'output').stdout;
    assert.match(wide, new RegExp(`^ {2}new locally ${LONG.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('--color always paints states and the error prefix; NO_COLOR, --color never, a pipe and --json do not', () => {
    const always = dsg(W, ana, 'status', '--color', 'always');
    assert.match(always.stdout, /\x1b\[32m {2}changed locally/, 'local changes green');
    assert.match(always.stdout, /\x1b\[36m {2}changed on remote/, 'remote changes cyan');
    assert.match(always.stdout, /\x1b\[31m {2}changed locally and on remote/, 'conflicts red');
    assert.match(dsg(W, ana, '--color=always', 'status', '-s').stdout, /^\x1b\[31mMM\x1b\[39m input\/conf-mm\.csv$/m);
    assert.ok(dsg(W, ana, 'status', '--color', 'always', '..').stderr.startsWith('\x1b[31mdsg:\x1b[39m status: '));
    assert.ok(dsg(W, ana, '--color', 'always', 'nosuchcommand').stderr.startsWith('\x1b[31mdsg:\x1b[39m '), 'usage errors too');
    const json = dsg(W, ana, 'status', '--json', '--color', 'always');
    assert.doesNotMatch(json.stdout, SGR);
    assert.equal(json.json.summary.conflicts, 4);
    for (const r of [dsg(W, ana, 'status'), dsg(W, ana, 'status', '--color', 'never'), dsg(W, { ...ana, NO_COLOR: '1' }, 'status', '..')]) {
      assert.doesNotMatch(r.stdout + r.stderr, SGR);
    }
    const wrong = dsg(W, ana, 'status', '--color', 'sometimes');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /Allowed choices are auto, always, never/);
  });

  it('on a terminal colour is on by default, off with NO_COLOR, TERM=dumb or --color never', () => {
    /** `dsg args` on a pseudo-terminal (util-linux `script`): what the terminal showed. */
    const onTerminal = (env: NodeJS.ProcessEnv, ...args: string[]): string => {
      const command = [process.execPath, CLI, ...args].map(shq).join(' ');
      const r = spawnSync('script', ['-q', '-e', '-c', command, '/dev/null'], { cwd: W, env, encoding: 'utf8', input: '', timeout: 60_000 });
      assert.equal(r.error, undefined, 'this test needs util-linux script(1)');
      assert.equal(r.status, 3, r.stdout + r.stderr);
      assert.match(r.stdout, /conf-mm\.csv/);
      return r.stdout;
    };
    const tty: NodeJS.ProcessEnv = { ...ana, TERM: 'xterm' };
    delete tty.NO_COLOR;
    const coloured = onTerminal(tty, 'status', '-s');
    assert.match(coloured, /\x1b\[31mMM\x1b\[39m input\/conf-mm\.csv/);
    assert.match(coloured, /\x1b\[33mwarning:\x1b\[39m invalid path input\/bad\?\.csv/, 'warnings (stderr) yellow');
    assert.doesNotMatch(onTerminal({ ...tty, NO_COLOR: '1' }, 'status', '-s'), SGR);
    assert.match(onTerminal({ ...tty, NO_COLOR: '' }, 'status', '-s'), SGR, 'an empty NO_COLOR does not count');
    assert.doesNotMatch(onTerminal({ ...tty, TERM: 'dumb' }, 'status'), SGR);
    assert.doesNotMatch(onTerminal(tty, 'status', '--color', 'never'), SGR);
    // (Narrowed to paths without warnings: those go to stderr, which is human text even with --json.)
    assert.doesNotMatch(onTerminal(tty, 'status', '--json', 'output', 'input/conf-mm.csv'), SGR);
    assert.match(onTerminal({ ...tty, NO_COLOR: '1' }, 'status', '--color', 'always'), SGR, '--color always wins over NO_COLOR');
  });
});
