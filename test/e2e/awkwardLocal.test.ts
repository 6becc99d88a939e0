/**
 * Awkward local files and states (issue 7 §3): names that are not UTF-8, unreadable folders,
 * a repository out of inodes, and output piped into a reader that exits early.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CLI, dsg, put, sandboxes } from '../helpers/cli.js';

/** A path whose last component holds raw bytes (Linux accepts any byte but '/' and NUL). */
function rawPath(dir: string, bytes: number[]): Buffer {
  return Buffer.concat([Buffer.from(`${dir}/`), Buffer.from(bytes)]);
}

const CAFE = [...Buffer.from('caf'), 0xe9, ...Buffer.from('.csv')]; // "café" in Latin-1

describe('awkward local files', () => {
  const box = sandboxes();

  it('names that are not UTF-8 are reported as invalid paths by status and sync, never ENOENT; such link targets are never stored mangled', () => {
    const b = box('dsg-utf8');
    const env = b.userEnv('Ana', 'ana@example.org');
    const P = b.project('p');
    put(P, 'input/ok.csv', 'ok');
    // A folder outside every data dir whose name is not UTF-8: not tracked, and must not break the walk.
    mkdirSync(rawPath(join(P, 'src'), CAFE), { recursive: true });
    writeFileSync(Buffer.concat([rawPath(join(P, 'src'), CAFE), Buffer.from('/notes.txt')]), 'x');
    const init = dsg(P, env, 'init', '--json');
    assert.equal(init.code, 0, init.stderr);
    assert.deepEqual(init.json.uploaded, ['input/ok.csv']);

    writeFileSync(rawPath(join(P, 'input'), CAFE), 'latin-1 name');
    symlinkSync(Buffer.from([...Buffer.from('ok'), 0xff]), join(P, 'input', 'odd-link'));
    const st = dsg(P, env, 'status', '--json');
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual(
      st.json.invalid.map((p: any) => p.path),
      ['input/caf\\xe9.csv'],
    );
    assert.match(st.json.invalid[0].reason, /not valid UTF-8/);
    const link = st.json.skipped.find((s: any) => s.path === 'input/odd-link');
    assert.ok(link, JSON.stringify(st.json.skipped));
    assert.match(link.reason, /not valid UTF-8/);

    const sync = dsg(P, env, 'sync');
    assert.equal(sync.code, 1);
    assert.match(sync.stderr, /input\/caf\\xe9\.csv/);
    assert.match(sync.stderr, /not valid UTF-8/);
    assert.doesNotMatch(sync.stderr, /ENOENT/);
    const norm = dsg(P, env, 'sync', '--normalize');
    assert.equal(norm.code, 1);
    assert.match(norm.stderr, /caf\\xe9\.csv cannot be renamed automatically/);

    // Without the file the sync goes through; the link stays out of the manifest.
    rmSync(rawPath(join(P, 'input'), CAFE));
    put(P, 'input/new.csv', 'new');
    const ok = dsg(P, env, 'sync', '--json');
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.json.uploaded, ['input/new.csv']);
    const files = dsg(P, env, 'list-files', '--json');
    assert.deepEqual(files.json.files.map((f: any) => f.path), ['input/new.csv', 'input/ok.csv']);
    assert.doesNotMatch(files.stdout, /\ufffd/);
  });

  it('init refuses a name that is not UTF-8, naming it', () => {
    const b = box('dsg-utf8-init');
    const env = b.userEnv('Ana', 'ana@example.org');
    const P = b.project('p');
    put(P, 'input/ok.csv', 'ok');
    mkdirSync(rawPath(join(P, 'input'), [0x64, 0x69, 0x72, 0xfe]));
    writeFileSync(Buffer.concat([rawPath(join(P, 'input'), [0x64, 0x69, 0x72, 0xfe]), Buffer.from('/a.csv')]), 'a');
    const r = dsg(P, env, 'init');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /input\/dir\\xfe\/a\.csv/);
    assert.match(r.stderr, /not valid UTF-8/);
    assert.doesNotMatch(r.stderr, /ENOENT/);
  });

  it('an unreadable folder is named in the error with "permission denied"', () => {
    const b = box('dsg-unreadable');
    const env = b.userEnv('Ana', 'ana@example.org', { HOME: b.base });
    const P = b.project('p');
    put(P, 'input/ok.csv', 'ok');
    put(P, 'input/secret/a.csv', 'a');
    // Tests run as root, which ignores mode bits: run dsg as an unprivileged user.
    assert.equal(spawnSync('chown', ['-R', 'nobody:nogroup', b.base]).status, 0);
    chmodSync(join(P, 'input', 'secret'), 0o000);
    const r = spawnSync('setpriv', ['--reuid=nobody', '--regid=nogroup', '--clear-groups', process.execPath, CLI, 'init'], { cwd: P, env, encoding: 'utf8' });
    chmodSync(join(P, 'input', 'secret'), 0o755);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /folder input\/secret/);
    assert.match(r.stderr, /permission denied/);
    assert.doesNotMatch(r.stderr, /EACCES/);
  });

  it('a repository out of inodes is reported as such, naming the path, not as a missing disk', (t) => {
    const b = box('dsg-inodes');
    const env = b.userEnv('Ana', 'ana@example.org');
    const P = b.project('p');
    for (let i = 0; i < 60; i++) put(P, `input/f${i}`, `file ${i}\n`);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=4m,nr_inodes=40', 'tmpfs', b.repos], { encoding: 'utf8' });
    assert.equal(m.status, 0, `mounting a tmpfs is needed for this test: ${m.stderr}`);
    t.after(() => spawnSync('umount', [b.repos]));
    const r = dsg(P, env, 'init');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no space left or no free inodes on the device holding \/\S+/i);
    assert.doesNotMatch(r.stderr, /disk mounted|ENOENT/);
  });

  it('output piped into a reader that exits early ends quietly with git\'s status (141), no EPIPE stack trace', () => {
    const b = box('dsg-epipe');
    const env = b.userEnv('Ana', 'ana@example.org');
    const P = b.project('p');
    for (let i = 0; i < 1500; i++) put(P, `input/some/longer/folder/name/file-${String(i).padStart(5, '0')}.csv`, `${i}`);
    // An older snapshot whose message is larger than a pipe's buffer, so `log` writes after `head` has gone.
    assert.equal(dsg(P, env, 'init', '-m', 'x'.repeat(100_000)).code, 0);
    put(P, 'input/last.csv', 'last');
    assert.equal(dsg(P, env, 'sync', '-m', 'short').code, 0);
    for (const cmd of ['log', 'list-files']) {
      const r = spawnSync('bash', ['-c', `"${process.execPath}" "${CLI}" ${cmd} | head -1; echo "status=\${PIPESTATUS[0]}" >&2`], { cwd: P, env, encoding: 'utf8' });
      assert.equal(r.stdout.split('\n').length, 2, `${cmd}: one line then the end: ${r.stdout.slice(0, 200)}`);
      assert.doesNotMatch(r.stderr, /EPIPE|Error|at /, cmd);
      assert.match(r.stderr, /status=141/, cmd);
    }
  });
});
