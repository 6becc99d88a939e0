/**
 * A 2 GiB file to S3 (the test Ceph RGW): a multipart upload killed at about half way is
 * resumed by the next sync, which sends at most 55% of the bytes again (the parts the store
 * holds are read and compared, not sent); both runs stay under 200 MB of peak memory, and the
 * stored object is the file. Many mid-size files sent at once (8 transfers, each read whole up to
 * 32 MiB or in 5 MiB parts) stay bounded too: the process's upload buffers share one budget
 * (S3Store's UPLOAD_MEMORY).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { hashFile } from '../../src/manifest/hash.js';
import { S3Store } from '../../src/remote/objects/s3/S3Store.js';
import { CLI, dsg, put, Sandbox } from '../helpers/cli.js';
import { s3Backend, s3StoreOptions, testS3 } from '../helpers/objects.js';

const SIZE = 2 * 1024 ** 3;
const MB = 1e6;

/** A file of `size` bytes whose every MiB differs (so parts differ; `seed` makes files differ), written in constant memory. */
function writeBigFile(file: string, size: number, seed = 0): void {
  const fd = openSync(file, 'w');
  const block = Buffer.alloc(1 << 20);
  for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((i * 2654435761) >>> 0, i);
  try {
    for (let off = 0, n = 0; off < size; off += block.length, n++) {
      block.writeUInt32LE(n, 0);
      block.writeUInt32LE(seed, 4);
      writeSync(fd, block, 0, Math.min(block.length, size - off));
    }
  } finally {
    closeSync(fd);
  }
}

/** Bytes of the upload-part lines in a DSG_LOG_STORE=1 request log. */
function partBytes(log: string): number {
  let sum = 0;
  for (const m of log.matchAll(/^store: upload-part .* (\d+) bytes$/gm)) sum += Number(m[1]);
  return sum;
}

function peakKb(pid: number): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

describe('a 2 GiB file to S3: killed half way, resumed', () => {
  const { endpoint } = testS3();
  const box = new Sandbox('dsg-s3big', s3Backend());
  after(() => box.cleanup());

  it('the rerun sends at most 55% again; peak RSS stays under 200 MB', async () => {
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    put(A, 'input/small.csv', 'x\n');
    assert.equal(dsg(A, env, 'init', '-m', 'first').code, 0);
    const big = join(A, 'input/big.bin');
    writeBigFile(big, SIZE);
    const logEnv = { ...env, DSG_LOG_STORE: '1' };

    // First run: killed once the store holds about half of the parts.
    const child = spawn(process.execPath, [CLI, 'sync', '-m', 'big'], { cwd: A, env: logEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    let killedAt = 0;
    let firstPeak = 0;
    child.stderr!.on('data', (d: Buffer) => {
      log += d.toString();
      if (killedAt === 0 && partBytes(log) >= SIZE / 2) {
        killedAt = partBytes(log);
        firstPeak = peakKb(child.pid!);
        child.kill('SIGKILL');
      }
    });
    const signal = await new Promise<string | null>((r) => child.on('exit', (_c, s) => r(s)));
    assert.equal(signal, 'SIGKILL', `the first sync was killed half way (log: ${log.slice(-500)})`);
    assert.ok(killedAt < SIZE * 0.6, `killed at ${killedAt} bytes`);

    // The rerun resumes: the parts the store holds are not sent again.
    const r = spawnSync('/usr/bin/time', ['-f', 'peak_kb=%M', process.execPath, CLI, 'sync', '-m', 'big'], { cwd: A, env: logEnv, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const sent = partBytes(r.stderr);
    const rerunPeak = Number(/peak_kb=(\d+)/.exec(r.stderr)![1]);
    console.log(`killed after ${(killedAt / MB).toFixed(0)} MB sent; rerun sent ${(sent / MB).toFixed(0)} MB of ${(SIZE / MB).toFixed(0)} MB (${((100 * sent) / SIZE).toFixed(1)}%); peak RSS ${(firstPeak / 1024).toFixed(0)} MiB, ${(rerunPeak / 1024).toFixed(0)} MiB`);
    assert.ok(sent <= SIZE * 0.55, `the rerun sent ${sent} bytes, more than 55% of ${SIZE}`);
    assert.ok(sent >= SIZE * 0.3, `the rerun sent ${sent} bytes: the parts the first run did not send must go now`);
    assert.ok(firstPeak > 0 && firstPeak < 200 * 1024, `first run peak RSS ${firstPeak} kB`);
    assert.ok(rerunPeak < 200 * 1024, `rerun peak RSS ${rerunPeak} kB`);

    // What is stored under the file's hash is the file, and no upload record is left.
    const { hash } = await hashFile(big);
    const store = new S3Store(s3StoreOptions(box, box.name, endpoint));
    try {
      assert.equal((await store.stat(`objects/${hash.slice(0, 2)}/${hash}`))?.size, SIZE);
      assert.deepEqual(await store.list('.dsg/uploads/'), []);
    } finally {
      await store.close();
    }
    const entry = dsg(A, env, 'list-files', '--json').json.files.find((f: { path: string }) => f.path === 'input/big.bin');
    assert.equal(entry.hash, hash);
  });
});

describe('many mid-size files to S3 at once', () => {
  const { endpoint } = testS3();
  const box = new Sandbox('dsg-s3many', s3Backend());
  after(() => box.cleanup());

  // With each transfer's buffers unbounded this init peaked at 541 MiB; within the budget at
  // 224 MiB on Node 20 and 247 MiB on Node 24 (the rest is the runtime, the SDK and read
  // chunks waiting for the garbage collector).
  it('peak RSS stays under 300 MB, and every file is stored', async () => {
    const env = box.userEnv('Ana', 'ana@example.org');
    const A = box.project('a');
    // 16 files sent with one put each (24 MiB) and 4 in parts (40 MiB): 544 MiB, 8 at a time.
    const sizes = [...Array(16).fill(24 << 20), ...Array(4).fill(40 << 20)] as number[];
    put(A, 'input/small.csv', 'x\n');
    sizes.forEach((size, i) => writeBigFile(join(A, 'input', `f${String(i).padStart(2, '0')}.bin`), size, i + 1));
    const r = spawnSync('/usr/bin/time', ['-f', 'peak_kb=%M', process.execPath, CLI, 'init', '-m', 'many'], { cwd: A, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    assert.equal(r.status, 0, r.stderr.slice(-2000));
    const peak = Number(/peak_kb=(\d+)/.exec(r.stderr)![1]);
    console.log(`init of ${sizes.length} files (${(sizes.reduce((a, b) => a + b, 0) / MB).toFixed(0)} MB): peak RSS ${(peak / 1024).toFixed(0)} MiB`);
    assert.ok(peak < 300 * 1024, `peak RSS ${peak} kB`);
    const store = new S3Store(s3StoreOptions(box, box.name, endpoint));
    try {
      const files = dsg(A, env, 'list-files', '--json').json.files as { path: string; hash: string; filesize: number }[];
      assert.equal(files.length, sizes.length + 1);
      for (const f of files) assert.equal((await store.stat(`objects/${f.hash.slice(0, 2)}/${f.hash}`))?.size, f.filesize, f.path);
    } finally {
      await store.close();
    }
    assert.equal(dsg(A, env, 'status', '--json').json.upToDate, true);
  });
});
