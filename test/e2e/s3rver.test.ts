/**
 * s3rver 3.7.1 (an npm S3 emulator) accepts a second `If-None-Match: *` PUT of one key: it does
 * not enforce put-if-absent. dsg must detect that at init, say so, and refuse concurrent use
 * (a second writer fails at once instead of waiting for or racing the first), never be
 * silently unsafe.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { CLI, dsg, put, Sandbox, type TestBackend } from '../helpers/cli.js';
import { isStopped, until } from '../helpers/processes.js';

const SERVER = join(dirname(fileURLToPath(import.meta.url)), '..', 'helpers', 's3rverServer.js');

describe('a store that ignores put-if-absent (s3rver 3.7.1)', () => {
  let server: ChildProcess;
  let endpoint = '';
  const data = mkdtempSync(join(tmpdir(), 'dsg-s3rver-'));
  let box: Sandbox;

  before(async () => {
    server = spawn(process.execPath, [SERVER, data], { stdio: ['ignore', 'pipe', 'inherit'] });
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()).port));
      server.once('exit', (code) => reject(new Error(`s3rver exited (${code})`)));
    });
    endpoint = `http://127.0.0.1:${port}`;
    process.env.AWS_ACCESS_KEY_ID = 'S3RVER';
    process.env.AWS_SECRET_ACCESS_KEY = 'S3RVER';
    const backend: TestBackend = {
      name: 's3rver',
      projectName: () => 'proj',
      repositoryYaml: () => `{type: s3, bucket: unsafe, prefix: repos, endpoint: ${JSON.stringify(endpoint)}}`,
      repositoryRoot: () => {
        throw new Error('no folder');
      },
      dispose: () => undefined,
    };
    box = new Sandbox('dsg-s3rver', backend);
  });
  after(async () => {
    box?.cleanup();
    server?.kill('SIGKILL');
    rmSync(data, { recursive: true, force: true });
  });

  it('init detects it and says that concurrent writers are not safe', () => {
    const A = box.project('a');
    put(A, 'input/x.csv', 'x\n');
    const r = dsg(A, box.userEnv('Ana', 'ana@example.org'), 'init', '-m', 'first');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /created the container/);
    assert.match(r.stderr, /does not enforce conditional writes \(put-if-absent\)/);
  });

  it('a second writer is refused at once while the first holds the lock, and nothing is lost', async () => {
    const A = join(box.base, 'a');
    const B = box.project('b');
    const envA = box.userEnv('Ana', 'ana@example.org');
    const envB = box.userEnv('Ben', 'ben@example.org');
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    assert.equal(dsg(B, envB, 'clone').code, 0);
    put(A, 'input/a.csv', 'from ana\n');
    put(B, 'input/b.csv', 'from ben\n');
    const first = spawn(process.execPath, [CLI, 'sync', '-m', 'ana'], { cwd: A, env: { ...envA, DSG_TEST_STOP_AT: 'plan-made' }, stdio: 'ignore' });
    const firstDone = new Promise<number | null>((r) => first.on('exit', (code) => r(code)));
    await until('the first writer to pause holding the lock', () => isStopped(first.pid!));
    const t0 = Date.now();
    const second = dsg(B, envB, 'sync', '-m', 'ben', '--wait', '60');
    assert.equal(second.code, 4, second.stderr);
    assert.ok(Date.now() - t0 < 30_000, 'refused at once, not after waiting');
    assert.match(second.stderr, /locked by Ana|locked by ana@example\.org/);
    assert.match(second.stderr, /does not enforce conditional writes/);
    first.kill('SIGCONT');
    assert.equal(await firstDone, 0);
    // Taking turns still works; both changes are kept.
    const again = dsg(B, envB, 'sync', '-m', 'ben', '--json');
    assert.equal(again.code, 0, again.stderr);
    const files = dsg(B, envB, 'list-files', '--json').json.files.map((f: { path: string }) => f.path).sort();
    assert.deepEqual(files, ['input/a.csv', 'input/b.csv', 'input/x.csv']);
  });
});
