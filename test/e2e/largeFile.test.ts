/**
 * A 2 GiB file (sparse on the working copy's disk) goes up with init and down with clone in
 * constant memory: the peak resident size of each dsg process stays under 200 MB.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, copyFileSync, openSync, readFileSync, writeSync, ftruncateSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, Sandbox } from '../helpers/cli.js';

const SIZE = 2 * 1024 ** 3;

/** Run dsg, sampling VmHWM (the kernel's own peak RSS) until it exits. */
function runMeasured(cwd: string, env: NodeJS.ProcessEnv, args: string[]): Promise<{ code: number; peakKiB: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let peak = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const sample = (): void => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(sample, 20);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? 1, peakKiB: peak, stderr });
    });
  });
}

describe('large files stream in constant memory', () => {
  const box = new Sandbox('dsg-large');
  after(() => box.cleanup());

  it('a 2 GiB file syncs up and down with peak memory under 200 MB', async (t) => {
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    const file = join(A, 'input', 'big.bin');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(A, 'input'));
    const fd = openSync(file, 'w');
    ftruncateSync(fd, SIZE);
    // A few non-zero bytes so a truncated or shifted copy cannot pass the hash check.
    for (const at of [0, 1 << 20, SIZE / 2, SIZE - 64]) writeSync(fd, Buffer.from(`marker@${at}`), 0, undefined, at);
    closeSync(fd);

    const up = await runMeasured(A, env, ['init', '-q']);
    assert.equal(up.code, 0, up.stderr);
    assert.ok(up.peakKiB > 0, 'peak memory was sampled');
    assert.ok(up.peakKiB < 200 * 1000, `init peak RSS ${up.peakKiB} KiB`);
    assert.equal(statSync(join(box.repos, 'proj', 'input', 'big.bin')).size, SIZE);

    const B = box.project('b');
    copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
    const down = await runMeasured(B, box.userEnv('Ben', 'ben@example.org'), ['clone', '-q']);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(down.peakKiB < 200 * 1000, `clone peak RSS ${down.peakKiB} KiB`);
    assert.equal(statSync(join(B, 'input', 'big.bin')).size, SIZE);
    t.diagnostic(`peak RSS: init ${Math.round(up.peakKiB / 1024)} MiB, clone ${Math.round(down.peakKiB / 1024)} MiB`);
  });
});
