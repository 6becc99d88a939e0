/**
 * `.dsg/client.lock` and the repository lock `.dsg/lock.json` (issue 7 §3): a pid reused by an
 * unrelated process, a lock being written at that moment, a holder on another host whose
 * clock runs far ahead, breaking a lock; and lock holders/messages printed without escapes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';

const TEN_YEARS_MS = 10 * 365 * 24 * 3600 * 1000;

function startTimeOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function lockRecord(over: Record<string, unknown>): string {
  return JSON.stringify({
    user: 'zoe@example.org',
    host: 'otherhost',
    pid: 999_999,
    tx_id: 'tx-other',
    token: 'feedfacefeedfacefeedface',
    started_at: '2025-01-01T00:00:00-08:00',
    expires_at: Date.now() + TEN_YEARS_MS,
    ...over,
  });
}

function age(file: string, seconds: number): void {
  const t = Date.now() / 1000 - seconds;
  utimesSync(file, t, t);
}

describe('locks', () => {
  const box = new Sandbox('dsg-locks');
  const env = box.userEnv('Ana', 'ana@example.org');
  const children: ChildProcess[] = [];
  after(() => {
    children.forEach((c) => c.kill('SIGKILL'));
    box.cleanup();
  });
  let n = 0;
  /** A fresh project with one snapshot; returns its folder and its repository's lock file. */
  const project = () => {
    const name = `p${++n}`;
    const P = box.project(name, name);
    put(P, 'input/a.csv', 'a');
    assert.equal(dsg(P, env, 'init').code, 0);
    return { P, clientLock: join(P, '.dsg', 'client.lock'), repoLock: join(box.repos, name, '.dsg', 'lock.json') };
  };
  const sleeper = () => {
    const c = spawn('sleep', ['60'], { stdio: 'ignore' });
    children.push(c);
    return c.pid!;
  };

  it('client.lock: a live pid that belongs to an unrelated process (other start time) does not block', () => {
    const { P, clientLock } = project();
    writeFileSync(clientLock, JSON.stringify({ pid: sleeper(), host: hostname(), start: '1' }));
    const r = dsg(P, env, 'status');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(clientLock), false);
  });

  it('client.lock: a live holder (same pid and start time) blocks with exit 4, naming the lock file and how to break it', () => {
    const { P, clientLock } = project();
    const pid = sleeper();
    writeFileSync(clientLock, JSON.stringify({ pid, host: hostname(), start: startTimeOf(pid) }));
    const r = dsg(P, env, 'status');
    assert.equal(r.code, 4);
    assert.ok(r.stderr.includes(clientLock), r.stderr);
    assert.match(r.stderr, /If no dsg command is running on that working copy, remove/);
  });

  it('client.lock being written (empty, fresh) is not deleted as torn: the command waits, then refuses naming it', () => {
    const { P, clientLock } = project();
    writeFileSync(clientLock, '');
    const t0 = Date.now();
    const r = dsg(P, env, 'status');
    assert.equal(r.code, 4, r.stderr);
    assert.ok(Date.now() - t0 >= 1500, 'waited for the writer to finish');
    assert.ok(r.stderr.includes(clientLock), r.stderr);
    assert.match(r.stderr, /being written/);
    assert.equal(existsSync(clientLock), true, 'not removed');
    // Left incomplete long ago (a crash of an older version): taken over.
    age(clientLock, 3600);
    assert.equal(dsg(P, env, 'status').code, 0);
  });

  it('repository lock: another host, clock years ahead, not renewed for longer than any lease → taken over with a message', () => {
    const { P, repoLock } = project();
    writeFileSync(repoLock, lockRecord({}));
    age(repoLock, 3600);
    put(P, 'input/b.csv', 'b');
    const r = dsg(P, env, 'sync', '--wait', '1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /lock .*\.dsg\/lock\.json of zoe@example\.org on otherhost .* is stale \(it was last renewed at/);
  });

  it('repository lock: another host with a dead pid but a fresh lock file is held (exit 4), naming lock.json and how to break it', () => {
    const { P, repoLock } = project();
    writeFileSync(repoLock, lockRecord({ pid: 999_999 }));
    put(P, 'input/b.csv', 'b');
    const r = dsg(P, env, 'sync', '--wait', '1');
    assert.equal(r.code, 4, r.stderr);
    assert.ok(r.stderr.includes(repoLock), r.stderr);
    assert.match(r.stderr, /dsg recover --break-lock/);
    // The way out the message gives works.
    const br = dsg(P, env, 'recover', '--break-lock');
    assert.equal(br.code, 0, br.stderr);
    assert.match(br.stderr, /removed the repository lock .*lock\.json held by zoe@example\.org on otherhost/);
    assert.equal(existsSync(repoLock), false);
    assert.equal(dsg(P, env, 'sync', '--wait', '1').code, 0);
  });

  it('repository lock: a pid on this host reused by an unrelated process is stale', () => {
    const { P, repoLock } = project();
    writeFileSync(repoLock, lockRecord({ host: hostname(), pid: sleeper(), pid_start: '1' }));
    put(P, 'input/b.csv', 'b');
    const r = dsg(P, env, 'sync', '--wait', '1');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /is stale \(its process is no longer running\)/);
  });

  it('repository lock being written (unparsable, fresh) is held, not torn; once older than any lease it is taken over', () => {
    const { P, repoLock } = project();
    writeFileSync(repoLock, '{"user": "half');
    put(P, 'input/b.csv', 'b');
    const r = dsg(P, env, 'sync', '--wait', '1');
    assert.equal(r.code, 4, r.stderr);
    assert.ok(r.stderr.includes(repoLock), r.stderr);
    assert.equal(readFileSync(repoLock, 'utf8'), '{"user": "half');
    age(repoLock, 3600);
    const r2 = dsg(P, env, 'sync', '--wait', '1');
    assert.equal(r2.code, 0, r2.stderr);
    assert.match(r2.stderr, /unreadable and older than the longest lease/);
  });

  it('messages, users and lock holders from the repository are printed with control characters escaped', () => {
    const { P, repoLock } = project();
    const evil = '\x1b[31mRED\x1b]0;title\x07';
    put(P, 'input/b.csv', 'b');
    assert.equal(dsg(P, env, 'sync', '-m', evil).code, 0);
    const log = dsg(P, env, 'log');
    assert.equal(log.code, 0, log.stderr);
    assert.doesNotMatch(log.stdout, /[\x1b\x07]/);
    assert.ok(log.stdout.includes('\\x1b[31mRED\\x1b]0;title\\x07'), log.stdout);
    const json = dsg(P, env, 'log', '--json');
    assert.equal(json.json.snapshots[0].message, evil, '--json stays exact');

    writeFileSync(repoLock, lockRecord({ user: `zoe\x1b]0;owned\x07\u202e@example.org` }));
    put(P, 'input/c.csv', 'c');
    const r = dsg(P, env, 'sync', '--wait', '1');
    assert.equal(r.code, 4);
    assert.doesNotMatch(r.stderr, /[\x1b\x07\u202e]/);
    assert.ok(r.stderr.includes('zoe\\x1b]0;owned\\x07\\u202e@example.org'), r.stderr);
  });
});
