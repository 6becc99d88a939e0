/**
 * A missing, truncated or hostile remote manifest makes status and sync fail with a clear
 * message, and nothing changes on either side.
 */
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { dsg, put, Sandbox } from '../helpers/cli.js';
import { fullState } from '../helpers/trees.js';

describe('unreadable or hostile remote manifest', () => {
  const box = new Sandbox('dsg-hostile');
  const env = box.userEnv('Ana', 'ana@example.org');
  let W = '';
  let repo = '';
  let original = '';
  const manifestFile = () => join(repo, '.dsg/last-sync.json');

  before(() => {
    W = box.project('w');
    put(W, 'input/a.csv', 'a');
    put(W, 'input/b.csv', 'b');
    assert.equal(dsg(W, env, 'init').code, 0);
    repo = join(box.repos, 'proj');
    original = readFileSync(manifestFile(), 'utf8');
    // A local change that a wrongly-permissive sync would upload.
    put(W, 'input/c.csv', 'c');
  });
  after(() => box.cleanup());

  const tamperings: [string, () => void, RegExp][] = [
    ['missing', () => rmSync(manifestFile()), /no current snapshot.*last-sync\.json is missing/s],
    ['truncated', () => writeFileSync(manifestFile(), original.slice(0, 100)), /not valid JSON/],
    [
      'a path with ../x',
      () => writeFileSync(manifestFile(), original.replace(/"input\/a\.csv"/g, '"../x"')),
      /"\.\.\/x".*\.\./,
    ],
    [
      'an absolute path /etc/passwd',
      () => writeFileSync(manifestFile(), original.replace(/"input\/a\.csv"/g, '"/etc/passwd"')),
      /"\/etc\/passwd".*absolute/,
    ],
    [
      'a mismatched entries_hash',
      () => writeFileSync(manifestFile(), original.replace(/"entries_hash": "[0-9a-f]{16}"/, '"entries_hash": "0000000000000000"')),
      /entries_hash/,
    ],
    ['an empty file', () => writeFileSync(manifestFile(), ''), /not valid JSON/],
  ];

  for (const [what, tamper, message] of tamperings) {
    it(`${what}: status and sync fail clearly and change nothing`, () => {
      writeFileSync(manifestFile(), original);
      tamper();
      const beforeLocal = fullState(W);
      const beforeRemote = fullState(repo);
      for (const cmd of ['status', 'sync']) {
        const r = dsg(W, env, cmd);
        assert.equal(r.code, 1, `${cmd} should fail: ${r.stdout}`);
        assert.match(r.stderr, message);
        assert.match(r.stderr, /last-sync\.json/);
        assert.doesNotMatch(r.stderr, /at .*\.js:\d+/, 'no stack trace without --debug');
        const j = dsg(W, env, cmd, '--json');
        assert.equal(j.code, 1);
        assert.equal(typeof j.json.error.code, 'string');
      }
      assert.deepEqual(fullState(W), beforeLocal);
      assert.deepEqual(fullState(repo), beforeRemote);
    });
  }

  it('after the manifest is restored, sync works again', () => {
    writeFileSync(manifestFile(), original);
    const r = dsg(W, env, 'sync', '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.json.uploaded, ['input/c.csv']);
  });
});
