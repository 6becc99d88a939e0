/**
 * `dsg init` never creates the folder that holds repositories (the mountpoint): a typo in
 * --mountpoint or .dsgconfig.yml is an error naming the folder and suggesting mkdir -p, on this
 * machine and on an SSH host; nothing is created and the .dsgconfig.yml init wrote is taken back.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dsg, put, sandboxes } from '../helpers/cli.js';
import { installSshConfig } from '../helpers/ssh.js';
import { fullState } from '../helpers/trees.js';

const box = sandboxes();

describe('init requires the mountpoint to exist', () => {
  it('init --mountpoint with a missing folder fails, names it, suggests mkdir -p, and creates nothing', () => {
    const b = box('dsg-initmnt');
    const env = b.userEnv('Ana', 'ana@example.org');
    const W = join(b.base, 'w');
    put(W, 'input/a.csv', 'a');
    const before = fullState(b.base);
    const typo = join(b.base, 'reops', 'lab');
    const r = dsg(W, env, 'init', '--name', 'survey', '--mountpoint', typo);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^dsg: The mountpoint ${typo} does not exist; .*mkdir -p '${typo}'`, 'm'));
    assert.deepEqual(fullState(b.base), before, 'no folder, no .dsgconfig.yml, no .dsg/');
    // A file is not a mountpoint either.
    writeFileSync(join(b.base, 'afile'), 'x');
    const file = dsg(W, env, 'init', '--name', 'survey', '--mountpoint', join(b.base, 'afile'));
    assert.equal(file.code, 1);
    assert.match(file.stderr, /is not a folder/);
    // Once created, the same command works.
    mkdirSync(typo, { recursive: true });
    const ok = dsg(W, env, 'init', '--name', 'survey', '--mountpoint', typo);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(existsSync(join(typo, 'survey', 'input', 'a.csv')));
  });

  it('the same rule on an SSH host (repository in .dsgconfig.yml)', () => {
    const b = box('dsg-initmntssh');
    const env = b.userEnv('Ana', 'ana@example.org');
    const server = installSshConfig(b.home);
    const W = join(b.base, 'w');
    const missing = join(b.base, 'no-such', 'repos');
    put(W, '.dsgconfig.yml', `name: survey\nrepository: {type: xfs, host: ${server.host}, mountpoint: ${JSON.stringify(missing)}}\n`);
    put(W, 'input/a.csv', 'a');
    const r = dsg(W, env, 'init');
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^dsg: The mountpoint ${missing} on ssh://.* does not exist; .*mkdir -p '${missing}' there`, 'm'));
    assert.equal(existsSync(join(b.base, 'no-such')), false);
    assert.equal(existsSync(join(W, '.dsg', 'last-sync.json')), false);
  });
});
