/**
 * Progress as users see it (docs/cli.md, "Progress"): a bar on a terminal (run through a
 * pseudo-terminal with util-linux `script`) with sizes, rate and ETA fitted to 80 columns, an
 * ASCII bar on TERM=dumb, Ctrl-C that gives the cursor back; periodic lines when stderr is a
 * pipe, JSON lines with --json --progress, nothing with --no-progress or -q; and `sync -v`
 * listing each path as it is done, not after.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, rmSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, dsg, dsgAsync, put, sandboxes, type Sandbox } from '../helpers/cli.js';
import { isStopped, until } from '../helpers/processes.js';
import { shellQuote } from '../../src/transport/ssh/shellQuote.js';

const MiB = 1 << 20;

interface PtyRun {
  code: number | null;
  /** Everything the terminal received (stdout and stderr together, as on a screen). */
  screen: string;
}

/**
 * Run `dsg args` on a pseudo-terminal of `cols` columns. `onOutput` sees the screen so far
 * and may type into the terminal (`type('\x03')` is Ctrl-C).
 */
function onPty(cwd: string, env: NodeJS.ProcessEnv, args: string[], cols = 80, onOutput?: (screen: string, type: (s: string) => void) => void): Promise<PtyRun> {
  // exec: dsg itself is the terminal's foreground process (Ctrl-C reaches it, not a shell).
  const command = `stty cols ${cols} rows 24; exec ${shellQuote([process.execPath, CLI, ...args])}`;
  const child = spawn('script', ['-qefc', command, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let screen = '';
  const type = (s: string): void => void child.stdin!.write(s);
  child.stdout!.on('data', (d: Buffer) => {
    screen += d.toString('utf8');
    onOutput?.(screen, type);
  });
  child.stderr!.resume();
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, screen })));
}

/** What a terminal shows on each line the bar was drawn on: the texts between carriage returns. */
function drawnLines(screen: string): string[] {
  return screen
    .split(/\r|\n/)
    .map((l) => l.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, ''))
    .filter((l) => l.length > 0);
}

/** A file of `mib` MiB (its content differs per `seed`: distinct contents). */
function big(root: string, rel: string, mib: number, seed: number): void {
  put(root, rel, Buffer.alloc(mib * MiB, seed));
}

describe('progress', () => {
  const boxes: Sandbox[] = [];
  const newBox = sandboxes();
  after(() => boxes.forEach((b) => b.cleanup()));

  function setup(extra: Record<string, string> = {}) {
    const box = newBox('dsg-progress');
    boxes.push(box);
    const env = box.userEnv('Ana', 'ana@example.org', { LANG: 'C.UTF-8', TERM: 'xterm', ...extra });
    delete env.LC_ALL;
    delete env.LC_CTYPE;
    delete env.DSG_PROGRESS_INTERVAL;
    const A = box.project('a');
    put(A, 'input/small.csv', 'one\n');
    // Older than the index's racy window however fast the next commands run: only the files a
    // test changes are hashed again.
    const past = new Date(Date.now() - 60_000);
    utimesSync(join(A, 'input', 'small.csv'), past, past);
    return { box, env, A };
  }

  it('on an 80-column terminal the bar shows sizes in MiB, a rate and an ETA, all on screen; -v lines are printed above it', async () => {
    const { env, A } = setup();
    big(A, 'input/big.bin', 150, 1);
    big(A, 'input/copy.bin', 150, 1); // same content: one transfer, two files
    // A pause after the small file: the phase lasts long enough for a rate on any machine.
    const r = await onPty(A, { ...env, DSG_TEST_PAUSE_AT: 'upload-file-done', DSG_TEST_PAUSE_MS: '700' }, ['init', '-v', '-m', 'first']);
    assert.equal(r.code, 0, r.screen);
    const lines = drawnLines(r.screen);
    const bars = lines.filter((l) => /^upload /.test(l));
    assert.ok(bars.length > 0, r.screen);
    for (const l of bars) {
      assert.ok(l.length <= 79, `wider than the terminal: ${JSON.stringify(l)}`);
      assert.match(l, /\/s/, `no rate: ${l}`);
      assert.match(l, /ETA (--|\d)/, `no ETA: ${l}`);
      assert.doesNotMatch(l, /\d{6,}/, `a raw byte count: ${l}`);
    }
    assert.ok(bars.some((l) => /\[█+░*\]/.test(l)), 'a Unicode bar');
    assert.ok(bars.some((l) => /\/150\.0 MiB/.test(l)), 'total size formatted (bytes per distinct content)');
    assert.ok(bars.some((l) => /\d+(\.\d)? MiB\/s +ETA \d+s/.test(l)), `a rate and a real ETA: ${bars.join('\n')}`);
    assert.ok(bars.every((l) => !/^upload .* 0% .*ETA 0s/.test(l)), 'no ETA 0s at 0%');
    assert.ok(bars.some((l) => / 3\/3 files/.test(l)), 'files are counted as paths (3), not contents (2)');
    // The bar line is cleared before each -v line, which is printed whole.
    assert.match(r.screen, /\r\x1b\[K {2}upload {3}input\/big\.bin\r\n/);
    assert.ok(r.screen.lastIndexOf('\x1b[?25h') > r.screen.lastIndexOf('\x1b[?25l'), 'the cursor is shown again');
    assert.match(lines[lines.length - 2], /^Snapshot s1 created: 3 uploaded/);
  });

  it('on a 45-column terminal the bar is dropped, and rate and ETA stay on screen', async () => {
    const { env, A } = setup();
    big(A, 'input/big.bin', 60, 12);
    // A pause after each file: the bar is drawn again with bytes sent, on any machine.
    const r = await onPty(A, { ...env, DSG_TEST_PAUSE_AT: 'upload-file-done', DSG_TEST_PAUSE_MS: '700' }, ['init', '-m', 'first'], 45);
    assert.equal(r.code, 0, r.screen);
    const bars = drawnLines(r.screen).filter((l) => /^upload .*\/60\.0 MiB/.test(l));
    assert.ok(bars.some((l) => /\d [KMG]?i?B\/s ETA \d/.test(l)), `a line with a rate and an ETA: ${r.screen}`);
    for (const l of bars) {
      assert.ok(l.length <= 44, `wider than the terminal: ${JSON.stringify(l)}`);
      assert.match(l, /\/s ETA (--|\d)/, l);
      assert.doesNotMatch(l, /\[/, 'no room for a bar');
    }
  });

  it('status shows the hashing of changed files (files and bytes hashed)', async () => {
    const { env, A } = setup();
    big(A, 'input/big.bin', 100, 2);
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    big(A, 'input/big.bin', 100, 3); // same size, new content and mtime: hashed again
    const r = await onPty(A, env, ['status']);
    assert.equal(r.code, 0, r.screen);
    const hashing = drawnLines(r.screen).filter((l) => /^hash /.test(l));
    assert.ok(hashing.length > 0, r.screen);
    assert.ok(hashing.every((l) => /\d+\/1 files/.test(l) && /\/100\.0 MiB/.test(l) && /ETA/.test(l)), hashing.join('\n'));
  });

  it('TERM=dumb gets an ASCII bar and no escape sequences; so does a non-UTF-8 locale', async () => {
    for (const extra of [{ TERM: 'dumb' }, { LANG: 'C' }] as Record<string, string>[]) {
      const { env, A } = setup(extra);
      big(A, 'input/big.bin', 40, 4);
      const r = await onPty(A, env, ['init', '-m', 'first']);
      assert.equal(r.code, 0, r.screen);
      assert.ok(!r.screen.includes('\x1b'), `${JSON.stringify(extra)}: escape sequences in ${JSON.stringify(r.screen.slice(0, 300))}`);
      assert.match(r.screen, /upload +\[[#-]+\] +\d+% /, JSON.stringify(extra));
      assert.doesNotMatch(r.screen, /[█░…]/);
    }
  });

  it('--no-progress and -q show no progress on a terminal; -q --progress does', async () => {
    const { env, A } = setup();
    big(A, 'input/big.bin', 20, 5);
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    for (const [args, shown] of [[['--no-progress'], false], [['-q'], false], [['-q', '--progress'], true]] as const) {
      big(A, 'input/big.bin', 20, args.length + 10 + Number(shown));
      const r = await onPty(A, env, ['sync', ...args, '-m', `with ${args.join(' ')}`]);
      assert.equal(r.code, 0, r.screen);
      assert.equal(/upload +\[/.test(r.screen), shown, `${args.join(' ')}: ${JSON.stringify(r.screen)}`);
      assert.equal(r.screen.includes('\x1b[?25l'), shown, args.join(' '));
    }
  });

  it('Ctrl-C during an upload gives the cursor back, ends the line, says so, exits 130 and leaves no lock', async () => {
    const { box, env, A } = setup();
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    big(A, 'input/big.bin', 150, 6);
    let typed = false;
    // Paused once the bar is up: Ctrl-C lands before the upload is over on any machine.
    const r = await onPty(A, { ...env, DSG_TEST_PAUSE_AT: 'upload-started', DSG_TEST_PAUSE_MS: '1500' }, ['sync', '-m', 'second'], 80, (screen, type) => {
      if (!typed && /upload +\[.*\/s/.test(screen)) {
        typed = true;
        type('\x03');
      }
    });
    assert.ok(typed, r.screen);
    assert.equal(r.code, 130, r.screen);
    const lastHide = r.screen.lastIndexOf('\x1b[?25l');
    assert.ok(r.screen.lastIndexOf('\x1b[?25h') > lastHide, 'the cursor is shown after the last hide');
    assert.match(r.screen, /\r\ndsg: SIGINT: stopping at the next safe point/);
    assert.match(r.screen, /(\r\n|\r\x1b\[K\x1b\[\?25h)(\x1b\[[0-9;]*m)*dsg:(\x1b\[[0-9;]*m)* Interrupted \(SIGINT\) before the commit point: rolled back/);
    // Nothing of the bar is left after the message: the screen ends on a fresh line.
    assert.match(r.screen, /\r\n(\x1b\[\?25h)?$/);
    assert.equal(existsSync(join(box.repo(), '.dsg', 'lock.json')), false);
  });

  it('with stderr not a terminal: a line every DSG_PROGRESS_INTERVAL seconds, none for short operations', async () => {
    const { env, A } = setup();
    big(A, 'input/big.bin', 60, 7);
    // Paused in the upload phase: it lasts longer than the interval on any machine.
    const slow = await dsgAsync(A, { ...env, DSG_PROGRESS_INTERVAL: '0.2', DSG_TEST_PAUSE_AT: 'upload-started', DSG_TEST_PAUSE_MS: '700' }, 'init', '-m', 'first');
    assert.equal(slow.code, 0, slow.stderr);
    const lines = slow.stderr.split('\n').filter((l) => l.startsWith('dsg: upload: '));
    assert.ok(lines.length >= 2, slow.stderr);
    assert.match(lines[0], /^dsg: upload: \d+%, [0-2]\/2 files, [\d.]+ [KMG]?i?B\/60\.0 MiB, ([\d.]+ [KMG]?i?B|--)\/s, ETA (--|\d+s)$/);
    assert.match(lines[lines.length - 1], /^dsg: upload: 2\/2 files, 60\.0 MiB\/60\.0 MiB, done in \d+s$/);
    assert.ok(!slow.stderr.includes('\x1b') && !slow.stderr.includes('\r'), 'plain lines');
    // The default interval (5 s) is longer than this small sync: nothing but the result.
    put(A, 'input/small.csv', 'two\n');
    const quick = await dsgAsync(A, env, 'sync', '-m', 'second');
    assert.equal(quick.code, 0, quick.stderr);
    assert.equal(quick.stderr, '');
  });

  it('--json --progress: progress as JSON lines on stderr, the result one document on stdout; --json alone: none', async () => {
    const { env, A } = setup();
    big(A, 'input/big.bin', 60, 8);
    const slowEnv = { ...env, DSG_PROGRESS_INTERVAL: '0.2' };
    // Paused in the upload phase: it lasts longer than the interval on any machine.
    const r = await dsgAsync(A, { ...slowEnv, DSG_TEST_PAUSE_AT: 'upload-started', DSG_TEST_PAUSE_MS: '700' }, 'init', '--json', '--progress', '-m', 'first');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.snapshot, 's1');
    const records = r.stderr.trim().split('\n').map((l) => JSON.parse(l));
    const uploads = records.filter((x) => x.phase === 'upload');
    assert.ok(uploads.length >= 2, r.stderr);
    for (const x of records) {
      assert.equal(x.type, 'progress');
      assert.deepEqual(Object.keys(x), ['type', 'phase', 'files', 'totalFiles', 'bytes', 'totalBytes', 'rate', 'eta', 'done']);
    }
    assert.deepEqual({ ...uploads[uploads.length - 1], rate: 0, eta: 0 }, { type: 'progress', phase: 'upload', files: 2, totalFiles: 2, bytes: 60 * MiB + 4, totalBytes: 60 * MiB + 4, rate: 0, eta: 0, done: true });
    big(A, 'input/big.bin', 60, 9);
    const quiet = await dsgAsync(A, slowEnv, 'sync', '--json', '-m', 'second');
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(quiet.json.snapshot, 's2');
    assert.equal(quiet.stderr, '');
  });

  it('a resumed clone counts the files it had already verified towards files and bytes; no infinite ETA', async () => {
    const { box, env, A } = setup();
    for (let i = 0; i < 30; i++) put(A, `input/f${i}.csv`, `file ${i}\n`.repeat(1000));
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    const B = box.project('b');
    const killed = spawnSync(process.execPath, [CLI, 'clone'], { cwd: B, env: { ...env, DSG_TEST_CRASH_AT: 'download-file-done', DSG_TEST_CRASH_SKIP: '12' }, encoding: 'utf8' });
    assert.equal(killed.signal, 'SIGKILL');
    // DSG_PROGRESS_INTERVAL=0: a record on every change, so the last one is the phase's end.
    const r = await dsgAsync(B, { ...env, DSG_PROGRESS_INTERVAL: '0' }, 'clone', '--json', '--progress');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.json.resumed >= 13, `resumed: ${r.json.resumed}`);
    const downloads = r.stderr.trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.phase === 'download');
    const last = downloads[downloads.length - 1];
    assert.deepEqual([last.files, last.totalFiles, last.bytes === last.totalBytes, last.done], [31, 31, true, true]);
    for (const x of downloads) assert.ok(x.eta === null || (Number.isFinite(x.eta) && x.eta >= 0), JSON.stringify(x));
  });

  it('sync -v prints each path as it is done: the uploads before the commit, not after it', async () => {
    const { env, A } = setup();
    put(A, 'input/gone.csv', 'old\n');
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    put(A, 'input/a.csv', 'a\n');
    put(A, 'input/b.csv', 'b\n');
    rmSync(join(A, 'input', 'gone.csv'));
    // Paused once every upload is done, before the commit point.
    const child = spawn(process.execPath, [CLI, 'sync', '-v', '-m', 'second'], { cwd: A, env: { ...env, DSG_TEST_STOP_AT: 'downloads-done' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.resume();
    const done = new Promise<number | null>((r) => child.on('close', r));
    await until('the sync to pause after its uploads', () => isStopped(child.pid!));
    assert.match(stdout, /^ {2}upload {3}input\/a\.csv$/m);
    assert.match(stdout, /^ {2}upload {3}input\/b\.csv$/m);
    assert.doesNotMatch(stdout, /delete on remote|Snapshot/);
    child.kill('SIGCONT');
    assert.equal(await done, 0, stdout);
    const order = stdout.trim().split('\n');
    assert.deepEqual(order.slice(-2), ['  delete on remote input/gone.csv', 'Snapshot s2 created: 2 uploaded (4 B), 0 downloaded (0 B), 1 deleted on remote, 0 deleted locally.']);
  });
});
