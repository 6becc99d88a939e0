/**
 * `status` against a repository whose snapshot did not change reads only the end of the
 * repository's manifest (issue 10, P1), observed from outside: a preload counts the bytes the
 * CLI reads from `<repo>/.dsg/last-sync.json`. Any rewrite of that file (a new snapshot, an
 * edit in place) makes the next status read and verify it in full again.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { dsg, put, Sandbox } from '../helpers/cli.js';

const preload = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 'countReads.js')).href;

describe('status reads only the tail of an unchanged repository manifest', () => {
  const box = new Sandbox('dsg-status-head');
  const ana = box.userEnv('Ana', 'ana@example.org');
  const bob = box.userEnv('Bob', 'bob@example.org');
  let W = '';
  let repo = '';
  const manifestFile = () => join(repo, '.dsg', 'last-sync.json');
  const countFile = () => join(box.base, 'reads.json');

  /** status --json, and how many bytes it read from the repository's manifest. */
  function status(cwd: string): { code: number; json: any; stderr: string; bytes: number } {
    rmSync(countFile(), { force: true });
    const env = { ...ana, NODE_OPTIONS: `--import=${preload}`, DSG_TEST_COUNT_READS_OF: join('repos', 'proj', '.dsg', 'last-sync.json'), DSG_TEST_COUNT_READS_TO: countFile() };
    const r = dsg(cwd, env, 'status', '--json');
    const counted = JSON.parse(readFileSync(countFile(), 'utf8')) as { bytes: number };
    return { code: r.code, json: r.json, stderr: r.stderr, bytes: counted.bytes };
  }

  /** Older than the racy window: a manifest written just now is never trusted by its stamp. */
  function age(file: string): void {
    const t = new Date(Date.now() - 60_000);
    utimesSync(file, t, t);
  }

  before(() => {
    W = box.project('w');
    for (let i = 0; i < 700; i++) put(W, `input/file-${String(i).padStart(4, '0')}.csv`, `row ${i}\n`);
    assert.equal(dsg(W, ana, 'init').code, 0);
    repo = box.repo();
  });
  after(() => box.cleanup());

  it('the first status verifies the manifest in full, the next ones read only its tail', () => {
    age(manifestFile());
    const size = statSync(manifestFile()).size;
    assert.ok(size > 150_000, `a manifest well above the 64 KiB tail (${size})`);
    const first = status(W);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.json.upToDate, true);
    assert.ok(first.bytes >= size, `first status reads it all (${first.bytes} of ${size})`);
    for (let i = 0; i < 2; i++) {
      const again = status(W);
      assert.equal(again.code, 0, again.stderr);
      assert.equal(again.json.upToDate, true);
      assert.ok(again.bytes <= 64 << 10, `status ${i + 2} reads only the tail (${again.bytes} of ${size} bytes)`);
    }
  });

  it('a manifest edited in place (same length, metadata intact) is read in full again and refused', () => {
    const original = readFileSync(manifestFile(), 'utf8');
    const before = statSync(manifestFile());
    assert.ok(status(W).bytes <= 64 << 10);
    // "input/file-0001.csv" → "/etc/passwd-000.csv": 19 characters each, the tail unchanged.
    writeFileSync(manifestFile(), original.replace(/"input\/file-0001\.csv"/g, '"/etc/passwd-000.csv"'));
    assert.equal(statSync(manifestFile()).size, before.size);
    const r = status(W);
    assert.equal(r.code, 1, 'status fails');
    assert.match(r.stderr, /absolute/);
    writeFileSync(manifestFile(), original);
    age(manifestFile());
  });

  it('a new snapshot from a teammate is read in full and shown', () => {
    const B = box.project('b');
    assert.equal(dsg(B, bob, 'clone').code, 0);
    put(B, 'input/new.csv', 'new\n');
    assert.equal(dsg(B, bob, 'sync').code, 0);
    const r = status(W);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.upToDate, false);
    assert.deepEqual(r.json.remoteChanges.map((x: { path: string }) => x.path), ['input/new.csv']);
    assert.ok(r.bytes >= statSync(manifestFile()).size);
  });
});
