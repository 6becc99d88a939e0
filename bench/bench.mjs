#!/usr/bin/env node
// dsg benchmark suite: each dsg figure beside the tool a user would otherwise use, measured in
// the same run, reported as a ratio (see shared TESTING.md, "Benchmarks").
//
//   node bench/bench.mjs [--quick] [--runs N] [--timeout SECONDS] [--setup-timeout SECONDS]
//                        [--no-big] [--keep] [--only LIST]
//                        [--workdir DIR] [--out FILE]
//
// Order: 3 and 4 (init, bounded) first, then 5 and 6 (sync on a ZFS vs a POSIX repository), then
// 7 and 8 (uploads over SSH: dsg vs rsync -e ssh and scp), 12 and 13 (uploads to S3: dsg vs rclone), 14 and
// 15 (init into an IPFS blockstore vs into a POSIX repository), then the status tree (its one-off 100,000-file dsg init is the longest step). If that init fails or
// passes --setup-timeout, measurements 1–2 are recorded as not run and repeated on a fallback tree
// of the init size (rows 1b, 2b), so the run still says something about status.
//
// Measurements 5–6 need a ZFS pool: bench/run.sh starts a throwaway zfs-fuse pool
// (scripts/zfs-pool.sh) and passes it in DSG_TEST_ZFS_POOL / DSG_TEST_ZFS_MOUNT. Without one (not
// root, no zfs-fuse) the ZFS half is recorded as not run, with the reason; the POSIX half still runs.
// The datasets the bench creates (<pool>/<name>) are destroyed at the end; the pool is not touched.
//
// Measurements 7–8 need an SSH server: bench/run.sh starts the throwaway sshd of the tests
// (scripts/sshd.sh, 127.0.0.1) and passes it in DSG_TEST_SSH_DIR / DSG_TEST_SSH_HOST. dsg runs with
// HOME=<work>/ssh-home, whose ~/.ssh/ holds copies of that client setup; rsync and scp use
// `ssh -F $DSG_TEST_SSH_DIR/config`. Without a server, rows 7–8 say "not run" with the reason.
//
// Measurements 12–13 need an S3 server: bench/run.sh starts the throwaway Ceph RADOS Gateway of the
// tests (scripts/s3.sh, 127.0.0.1, memstore) and passes it in DSG_TEST_S3_ENDPOINT /
// DSG_TEST_S3_ACCESS_KEY / DSG_TEST_S3_SECRET_KEY (and DSG_TEST_S3_DIR, its folder). dsg gets the keys
// as AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY; rclone gets an S3 remote `dsgbench:` by
// RCLONE_CONFIG_DSGBENCH_* and `--config /dev/null`, without AWS_CA_BUNDLE (it breaks rclone's S3
// backend). The gateway keeps everything in RAM: every run's upload is purged right after it.
// Without a server, rows 12–13 say "not run" with the reason.
//
// Measurements 14–15 need no service: `dsg init` of the same tree into a fresh encrypted IPFS
// blockstore (`repository: {type: ipfs, did: …, encrypted: true, blockstore: <work>/…}`, a folder in
// the work dir, passphrase in DSG_IPFS_PASSPHRASE) vs into a fresh POSIX repository, alternating.
//
// Needs a built dsg (dist/), git, rsync, xxhsum, ssh, scp, rclone and GNU time (/usr/bin/time); bench/run.sh
// installs the missing ones. Writes bench/RESULTS.md (rewritten after every measurement, so a
// crash still leaves what was measured). Generated trees live in bench/work/<run>/ (or under
// --workdir) and are removed at the end unless --keep.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, scryptSync } from 'node:crypto';
import {
  chmodSync, closeSync, cpSync, existsSync, fdatasyncSync, linkSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statfsSync,
  statSync, writeFileSync, writeSync,
} from 'node:fs';
import { cpus, loadavg, totalmem, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(BENCH_DIR, '..');
const BUILT_DSG = join(ROOT, 'dist', 'bin', 'dsg.js');
// The run uses a frozen copy of dist/src (others may rebuild dist/ while the bench runs); it lives
// under bench/work/ so node still finds the project's package.json and node_modules.
let DSG = BUILT_DSG;
let distSnapshot = null;
const TIME = '/usr/bin/time';

// ---------------------------------------------------------------- options

function parseArgs(argv) {
  const o = { quick: false, runs: 3, timeout: 1200, setupTimeout: null, big: true, keep: false, workdir: null, out: join(BENCH_DIR, 'RESULTS.md'), only: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--quick') o.quick = true;
    else if (a === '--runs') o.runs = Number(val());
    else if (a === '--timeout') o.timeout = Number(val());
    else if (a === '--setup-timeout') o.setupTimeout = Number(val());
    else if (a === '--no-big') o.big = false;
    else if (a === '--keep') o.keep = true;
    else if (a === '--workdir') o.workdir = resolve(val());
    else if (a === '--out') o.out = resolve(val());
    else if (a === '--only') {
      const list = val().split(',').map((x) => x.trim()).filter(Boolean);
      if (!list.length || list.some((x) => !/^([1-9]|1[0-5])$/.test(x))) usage('--only takes measurement numbers 1–15 separated by commas, e.g. --only 5,6');
      o.only = new Set(list.map(Number));
    }
    else if (a === '-h' || a === '--help') usage();
    else usage(`unknown option ${a}`);
  }
  if (!(Number.isInteger(o.runs) && o.runs >= 1)) usage('--runs must be a positive integer');
  if (!(o.timeout > 0)) usage('--timeout must be a positive number of seconds');
  o.setupTimeout ??= 3 * o.timeout;
  if (!(o.setupTimeout > 0)) usage('--setup-timeout must be a positive number of seconds');
  return o;
}

function usage(err) {
  const text = 'usage: node bench/bench.mjs [--quick] [--runs N] [--timeout SECONDS] [--setup-timeout SECONDS] [--no-big] [--keep] [--only LIST] [--workdir DIR] [--out FILE]\n' +
    '  --quick     small trees (10,000 / 2,000 / 400 / 2,000 files: status / init / sync / SSH, S3 and IPFS rows; 100 MiB) for a fast try\n' +
    '  --runs N    timed runs per measurement after one warm-up (default 3; the median is reported)\n' +
    '  --timeout S per-command limit in seconds (default 1200); a command past it is killed and recorded\n' +
    '  --setup-timeout S  limit for the one-off dsg init of the status tree (default 3 × --timeout)\n' +
    '  --no-big    skip the single-big-file measurements (4, 6, 7, 13 and 15)\n' +
    '  --only L    run only these measurements (1–15), e.g. --only 5,6 or --only 14,15 (1, 2 and 9 share one tree and run together)\n' +
    '  --keep      keep the generated trees\n' +
    '  --workdir D where to generate trees (default bench/work/)\n' +
    '  --out F     results file (default bench/RESULTS.md)\n';
  if (err) {
    process.stderr.write(`bench: ${err}\n${text}`);
    process.exit(2);
  }
  process.stdout.write(text);
  process.exit(0);
}

const opts = parseArgs(process.argv.slice(2));
const MODE = opts.quick ? 'quick' : 'full';
const SIZES = opts.quick
  ? { statusFiles: 10_000, statusDirs: 100, initFiles: 2_000, initDirs: 20, bigBytes: 100 * 2 ** 20, syncFiles: 400, syncDirs: 4, syncChanged: 200, sshFiles: 2_000, sshDirs: 20, s3Files: 2_000, s3Dirs: 20, scaleFiles: 100_000, scaleDirs: 1_000 }
  : { statusFiles: 100_000, statusDirs: 1_000, initFiles: 20_000, initDirs: 200, bigBytes: 2 ** 30, syncFiles: 2_000, syncDirs: 20, syncChanged: 1_000, sshFiles: 10_000, sshDirs: 100, s3Files: 10_000, s3Dirs: 100, scaleFiles: 1_000_000, scaleDirs: 10_000 };
/** Issue 10's memory targets: status and sync ≤ 80 MB + 1 KB per file; a 1 GiB sync < 200 MB (decimal MB/KB, the stricter reading). */
const rssTargetKB = (files) => (80e6 + 1e3 * files) / 1024;
const BIG_SYNC_RSS_TARGET_KB = 200e6 / 1024;
/** Sizes of the small files of measurements 5, 8, 12 and 14 (in 5 written at setup and rewritten before every run). */
const SYNC_MIN_SIZE = 1024;
const SYNC_MAX_SIZE = 4096;
const wanted = (n) => !opts.only || opts.only.has(n);
const MIN_SIZE = 100;
const MAX_SIZE = 4096;
const TIMEOUT_MS = opts.timeout * 1000;

// ---------------------------------------------------------------- small helpers

const log = (msg) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const fmtS = (s) => (s == null ? 'n/a' : s < 10 ? s.toFixed(3) : s < 100 ? s.toFixed(2) : s.toFixed(1));
const fmtMiB = (kb) => (kb == null ? 'n/a' : (kb / 1024).toFixed(0));
const fmtBytes = (b) => {
  const u = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) { b /= 1024; i++; }
  return `${b.toFixed(i ? 1 : 0)} ${u[i]}`;
};
const fmtInt = (n) => n.toLocaleString('en-US');
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const tail = (text, n = 1500) => (text.length > n ? `…${text.slice(-n)}` : text).trim();

function sh(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 * 2 ** 20, ...options });
  if (r.error || r.status !== 0) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`${cmd} ${args.join(' ')} failed: ${why}\n${tail(`${r.stdout ?? ''}${r.stderr ?? ''}`)}`);
  }
  return r.stdout;
}
const firstLine = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return 'n/a';
  return `${r.stdout ?? ''}\n${r.stderr ?? ''}`.trim().split('\n')[0].replace(/\s+/g, ' ').trim() || 'n/a';
};

// Deterministic sizes and offsets (mulberry32), so two runs build trees of the same shape.
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- measuring one command

let currentChild = null;

/**
 * Run one command under GNU time, in its own process group, killed (the whole group) after the
 * timeout. Wall time by hrtime around the spawn; peak RSS is GNU time's %M (the largest of the
 * process and its waited-for descendants, in KiB).
 */
function measure(cmd, args, { cwd, env, stdoutLimit = 1 << 20, timeoutMs = TIMEOUT_MS } = {}) {
  const tfile = join(state.runDir, `.time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  return new Promise((done) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(TIME, ['-f', '%e %M', '-o', tfile, cmd, ...args], {
      cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
    });
    currentChild = child;
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => { if (stdout.length < stdoutLimit) stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d) => { if (stderr.length < stdoutLimit) stderr += d; });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
    }, timeoutMs);
    child.on('error', (e) => { stderr += `\nspawn error: ${e.message}`; });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      currentChild = null;
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      let rssKB = null;
      let exit = code;
      try {
        const lines = readFileSync(tfile, 'utf8').trim().split('\n');
        const m = /^([\d.]+) (\d+)$/.exec(lines[lines.length - 1]);
        if (m) rssKB = Number(m[2]);
        const e = /exited with non-zero status (\d+)/.exec(lines.join('\n'));
        if (e) exit = Number(e[1]);
        const s = /terminated by signal (\d+)/.exec(lines.join('\n'));
        if (s) exit = 128 + Number(s[1]);
        rmSync(tfile, { force: true });
      } catch { /* time was killed before writing */ }
      done({ wall, rssKB, exit, signal, timedOut, stdout, stderr });
    });
  });
}

/**
 * Move a finished run's output out of the way instead of deleting it: on this kind of disk
 * (ext4 mounted with online discard) removing 10,000 files makes the next few seconds of file
 * creation several times slower, which landed in the next tool's timed run (rsync measured
 * 2-24 s for the same copy). Everything set aside is removed with the measurement's folder.
 */
let asideCount = 0;
function setAside(dir, base) {
  if (!existsSync(dir)) return;
  const trash = join(base, 'set-aside');
  mkdirSync(trash, { recursive: true });
  renameSync(dir, join(trash, String(++asideCount)));
}

/**
 * The work disk's durable write speed (512 MiB of fresh random bytes, write + fdatasync, median
 * of 3), for reference beside the rows that write a big file there (4, 6 and 7).
 */
function diskWriteLine(dir) {
  const file = join(dir, 'disk-probe.bin');
  const speeds = [];
  // Fresh random bytes each time: a virtual disk may deduplicate repeated blocks (the same
  // 64 MiB written 8 times measured 940 MB/s where fresh bytes gave 244-798 MB/s).
  for (let i = 0; i < 3; i++) {
    const data = randomBytes(512 << 20);
    settle();
    const t0 = performance.now();
    const fd = openSync(file, 'w');
    for (let off = 0; off < data.length; off += 1 << 20) writeSync(fd, data, off, 1 << 20);
    fdatasyncSync(fd);
    closeSync(fd);
    speeds.push((512 << 20) / ((performance.now() - t0) / 1000) / 1e6);
    rmSync(file);
  }
  return `Disk: durable writes into the work dir (512 MiB of fresh random bytes, write + fdatasync, median of 3): ${median(speeds).toFixed(0)} MB/s (runs: ${speeds.map((x) => x.toFixed(0)).join(', ')}), for reference beside rows 4, 6 and 7`;
}

/** Flush dirty pages before a timed run so one run's write-back does not land in the next. */
function settle() {
  spawnSync('sync', [], { timeout: TIMEOUT_MS });
}

// ---------------------------------------------------------------- tree generation

const POOL = randomBytes(64 * 2 ** 20);

/**
 * nFiles files of MIN_SIZE..MAX_SIZE (or minSize..maxSize) random bytes in nDirs folders
 * `dNNN/input/`. Unique contents. If `paths` is given, the files' paths are pushed onto it.
 */
function genSmallTree(root, nFiles, nDirs, seed, { minSize = MIN_SIZE, maxSize = MAX_SIZE, paths = null } = {}) {
  const r = rng(seed);
  const perDir = Math.ceil(nFiles / nDirs);
  const dw = String(nDirs - 1).length;
  const fw = String(nFiles - 1).length;
  let bytes = 0;
  let made = 0;
  for (let d = 0; d < nDirs && made < nFiles; d++) {
    const dir = join(root, `d${String(d).padStart(dw, '0')}`, 'input');
    mkdirSync(dir, { recursive: true });
    for (let k = 0; k < perDir && made < nFiles; k++, made++) {
      const size = minSize + Math.floor(r() * (maxSize - minSize + 1));
      const off = Math.floor(r() * (POOL.length - size));
      const buf = Buffer.allocUnsafe(size);
      POOL.copy(buf, 0, off, off + size);
      buf.writeUInt32LE(made, 0); // two files never share content (no dedup shortcut)
      buf.writeUInt32LE(seed, 4);
      const file = join(dir, `f${String(made).padStart(fw, '0')}.bin`);
      writeFileSync(file, buf);
      paths?.push(file);
      bytes += size;
    }
  }
  return { files: made, dirs: nDirs, bytes };
}

function genBigFile(file, bytes) {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  try {
    const chunk = 64 * 2 ** 20;
    for (let done = 0; done < bytes; done += chunk) {
      writeSync(fd, randomBytes(Math.min(chunk, bytes - done))); // fresh bytes: nothing repeats
    }
  } finally {
    closeSync(fd);
  }
  return { files: 1, dirs: 1, bytes };
}

/**
 * `.dsgconfig.yml` for a local POSIX repository, or (zfsPool given) a ZFS repository `<zfsPool>/<name>`;
 * `host` (an SSH host alias) puts the repository on that host instead of localhost.
 */
function writeProjectConfig(project, mountpoint, { name = 'bench', zfsPool = null, host = 'localhost' } = {}) {
  const repo = zfsPool
    ? `{type: zfs, host: ${host}, pool: ${JSON.stringify(zfsPool)}, mountpoint: ${JSON.stringify(mountpoint)}}`
    : `{type: xfs, host: ${host}, mountpoint: ${JSON.stringify(mountpoint)}}`;
  writeFileSync(join(project, '.dsgconfig.yml'), `name: ${name}\nrepository: ${repo}\ndata_dirs: [input]\n`);
}

// ---------------------------------------------------------------- results

const state = {
  started: new Date(),
  runDir: null,
  trees: [],        // { name, files, dirs, bytes, genS }
  rows: [],         // measurement rows (see runPair)
  setup: [],        // { what, s, rssKB, note }
  problems: [],     // free text (markdown)
  ref: {},          // figures other tables refer to: init of the status tree ({ s, rssKB, files })
  scale: null,      // measurement 11: { files, init: { s, rssKB } | null, initFailure, status: row, sync: row }
  finished: false,
  totalS: null,
};

function writeResults() {
  const L = [];
  const now = new Date();
  L.push('# dsg benchmark results', '');
  L.push(`Written by \`npm run bench\` (\`bench/run.sh\` → \`bench/bench.mjs\`)${state.finished ? '' : ' — **run incomplete** (interrupted or still running)'}.`, '');
  L.push(`- Date: ${state.started.toISOString()} (finished ${state.finished ? now.toISOString() : '—'}; whole run ${state.totalS == null ? '—' : `${fmtS(state.totalS)} s`})`);
  L.push(`- Mode: **${MODE}** (${opts.runs} timed run${opts.runs > 1 ? 's' : ''} per command after 1 warm-up; median reported; per-command timeout ${opts.timeout} s, ${opts.setupTimeout} s for the one-off init of the status tree)${opts.only ? `; **only measurements ${[...opts.only].sort((a, b) => a - b).join(', ')}** (\`--only\`)` : ''}${opts.big ? '' : '; `--no-big`: rows 4, 6, 7, 13 and 15 skipped'}`);
  L.push(`- Machine: ${cpus()[0]?.model ?? 'unknown CPU'}; nproc ${env.nproc}; ${fmtBytes(totalmem())} RAM; Linux ${release()}; file system of the work dir: ${env.fstype}`);
  if (env.diskLine) L.push(`- ${env.diskLine}`);
  L.push(`- Load average (1/5/15 min) at start: ${env.loadStart}; at end: ${env.loadEnd ?? '—'}. Other processes on the machine (e.g. test runs) add noise; the per-measurement load is in the notes column.`);
  L.push(`- node ${process.version}; dsg ${env.dsgVersion} (git ${env.gitRev}; ${env.dsgBuild}); ${env.gitVersion}; ${env.rsyncVersion}; ${env.xxhsumVersion}`);
  if (env.zfsLine) L.push(`- ${env.zfsLine}`);
  if (env.sshLine) L.push(`- ${env.sshLine}`);
  if (env.s3Line) L.push(`- ${env.s3Line}`);
  if (env.ipfsLine) L.push(`- ${env.ipfsLine}`);
  L.push('- Trees (random bytes, every file distinct; small files 100 B–4 KiB uniform, 1–4 KiB in the trees of measurements 5, 8, 12 and 14):');
  for (const t of state.trees) {
    L.push(`  - ${t.name}: ${fmtInt(t.files)} file${t.files > 1 ? 's' : ''} in ${fmtInt(t.dirs)} \`input/\` folder${t.dirs > 1 ? 's' : ''}, ${fmtBytes(t.bytes)} (${fmtInt(t.bytes)} B); generated in ${fmtS(t.genS)} s`);
  }
  L.push('');
  L.push('## Results', '');
  const sorted = [...state.rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));
  const rows = sorted.filter((r) => r.table === 'tools' || r.table === undefined);
  const memRows = sorted.filter((r) => r.table === 'memory');
  const sshRows = sorted.filter((r) => r.table === 'ssh');
  const backendRows = sorted.filter((r) => r.table === 'backends');
  const s3Rows = sorted.filter((r) => r.table === 's3');
  const ipfsRows = sorted.filter((r) => r.table === 'ipfs');
  const otherTables = backendRows.length || sshRows.length || s3Rows.length || ipfsRows.length;
  // In a backends row, the `dsg` side is the ZFS repository and the `other` side the POSIX one.
  const ratioOf = (d, o) => (d.median != null && o.median != null && o.median > 0 ? `${(d.median / o.median).toFixed(2)}×` : 'n/a');
  const cellOf = (x) => (x.median != null ? fmtS(x.median) : `**${x.failure ?? 'failed'}**`);
  L.push('Times are wall-clock seconds (median). Peak RSS is GNU time\'s `%M` (max over the process and its children), in MiB.', '');
  if (rows.length || !otherTables) {
    L.push('Ratio = dsg / other: above 1 means dsg is slower.', '');
    L.push('| # | Measurement | dsg (s) | Compared with | other (s) | Ratio dsg/other | dsg peak RSS (MiB) | other peak RSS (MiB) | Notes |');
    L.push('|---|---|---:|---|---:|---:|---:|---:|---|');
  }
  for (const r of rows) {
    L.push(`| ${r.id} | ${r.title} | ${cellOf(r.dsg)} | \`${r.other.label}\` | ${cellOf(r.other)} | ${ratioOf(r.dsg, r.other)} | ${fmtMiB(r.dsg.rssKB)} | ${fmtMiB(r.other.rssKB)} | ${r.notes.join('; ')} |`);
  }
  if (rows.length || !otherTables) L.push('');
  if (backendRows.length) {
    if (rows.length || sshRows.length || s3Rows.length || ipfsRows.length) L.push('### dsg on a ZFS repository vs on a POSIX repository', '');
    L.push('Both columns are `dsg sync`; only the repository differs (ZFS through zfs-fuse, see Method). Ratio = ZFS / POSIX: above 1 means the ZFS repository is slower.', '');
    L.push('| # | Measurement | ZFS (s) | POSIX (s) | Ratio ZFS/POSIX | ZFS peak RSS (MiB) | POSIX peak RSS (MiB) | Notes |');
    L.push('|---|---|---:|---:|---:|---:|---:|---|');
    for (const r of backendRows) {
      L.push(`| ${r.id} | ${r.title} | ${cellOf(r.dsg)} | ${cellOf(r.other)} | ${ratioOf(r.dsg, r.other)} | ${fmtMiB(r.dsg.rssKB)} | ${fmtMiB(r.other.rssKB)} | ${r.notes.join('; ')} |`);
    }
    L.push('');
  }
  if (sshRows.length) {
    if (rows.length || backendRows.length || s3Rows.length || ipfsRows.length) L.push('### Uploads over SSH: dsg vs rsync and scp', '');
    L.push('To the test sshd on 127.0.0.1 (see Method). Each cell: median seconds, and MB/s (MB = 10^6 B) for the one-file row. Target ratios from issue 9: row 7 **dsg throughput / rsync throughput ≥ 1.5×** (above 1 = dsg faster; higher is better); row 8 **dsg time / rsync time ≤ 1.0×** (below 1 = dsg faster; lower is better).', '');
    L.push('The floor column is no dsg: it is the least server-side work an upload keeping dsg\'s promises must do, with OpenSSH and stock tools and none of the client\'s work (Method, rows 7–8). Its ratio is the same ratio for the floor, so the best any implementation of dsg\'s design could reach here.', '');
    L.push('| # | Measurement | dsg init | `rsync -a -e ssh` | `scp -O` | `scp` (SFTP) | floor | Ratio | Target | Met | Floor\'s ratio | Peak RSS (MiB) dsg / rsync / scp -O / scp / floor | Notes |');
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---|');
    for (const r of sshRows) {
      const [d, rs, , , floor] = r.sides;
      const cell = (x) => (x.median == null ? `**${x.failure ?? 'failed'}**` : r.small ? `${fmtS(x.median)} s` : `${fmtS(x.median)} s (${(r.bytes / x.median / 1e6).toFixed(0)} MB/s)`);
      // Against rsync, in the target's sense: time ratio for many files, throughput ratio for one.
      const ratioOfSide = (x) => (x.median != null && rs.median != null ? (r.small ? x.median / rs.median : rs.median / x.median) : null);
      const v = ratioOfSide(d);
      const ratio = v == null ? 'n/a' : `${v.toFixed(2)}× ${r.small ? '(time dsg/rsync)' : '(throughput dsg/rsync)'}`;
      const met = v == null ? '—' : (r.small ? v <= 1.0 : v >= 1.5) ? 'yes' : '**no**';
      const fv = ratioOfSide(floor);
      const target = r.small ? '≤ 1.0×' : '≥ 1.5×';
      L.push(`| ${r.id} | ${r.title} | ${r.sides.map(cell).join(' | ')} | ${ratio} | ${target} | ${met} | ${fv == null ? 'n/a' : `${fv.toFixed(2)}×`} | ${r.sides.map((x) => fmtMiB(x.rssKB)).join(' / ')} | ${r.notes.join('; ')} |`);
    }
    L.push('');
  }
  if (s3Rows.length) {
    if (rows.length || backendRows.length || sshRows.length || ipfsRows.length) L.push('### Uploads to S3: dsg vs rclone', '');
    L.push(`To the test Ceph RADOS Gateway on 127.0.0.1 (memstore; see Method). Each cell: median seconds, and MB/s (MB = 10^6 B) for the one-file row. Ratio = dsg time / rclone time: above 1 means dsg is slower. \`rclone copy\` runs with rclone's defaults (\`--transfers ${s3.defaults.transfers}\`); the third column raises \`--transfers\` to ${S3_RCLONE_MANY}, the PutObjects dsg keeps in flight per batch of small files (one file: not run, see Method).`, '');
    L.push(`| # | Measurement | dsg init | \`rclone copy\` | \`rclone copy --transfers ${S3_RCLONE_MANY}\` | Ratio dsg/rclone | Ratio dsg/rclone (${S3_RCLONE_MANY}) | Peak RSS (MiB) dsg / rclone / rclone (${S3_RCLONE_MANY}) | Notes |`);
    L.push('|---|---|---:|---:|---:|---:|---:|---:|---|');
    for (const r of s3Rows) {
      const cell = (x) => (x == null ? '—' : x.median == null ? `**${x.failure ?? 'failed'}**` : r.small ? `${fmtS(x.median)} s` : `${fmtS(x.median)} s (${(r.bytes / x.median / 1e6).toFixed(0)} MB/s)`);
      const [d, rc, rc16] = [r.sides[0], r.sides[1], r.sides[2] ?? null];
      const ratio = (o) => (o == null ? '—' : ratioOf(d, o));
      L.push(`| ${r.id} | ${r.title} | ${cell(d)} | ${cell(rc)} | ${cell(rc16)} | ${ratio(rc)} | ${ratio(rc16)} | ${[d, rc, rc16].map((x) => (x == null ? '—' : fmtMiB(x.rssKB))).join(' / ')} | ${r.notes.join('; ')} |`);
    }
    L.push('');
  }
  if (ipfsRows.length) {
    // In an ipfs row, the `dsg` side is the IPFS blockstore and the `other` side the POSIX repository.
    L.push('### IPFS blockstore vs POSIX repository', '');
    L.push('Both columns are `dsg init` of the same tree; only the repository differs: a fresh encrypted IPFS blockstore (a folder in the work dir, no daemon) or a fresh POSIX repository on the same disk (see Method). Each cell: median seconds, and MB/s (MB = 10^6 B) for the one-file row. Ratio = IPFS time / POSIX time: above 1 means the IPFS blockstore is slower.', '');
    L.push('| # | Measurement | dsg → IPFS | dsg → POSIX | Ratio IPFS/POSIX | IPFS peak RSS (MiB) | POSIX peak RSS (MiB) | Notes |');
    L.push('|---|---|---:|---:|---:|---:|---:|---|');
    for (const r of ipfsRows) {
      const cell = (x) => (x.median == null ? `**${x.failure ?? 'failed'}**` : r.small ? `${fmtS(x.median)} s` : `${fmtS(x.median)} s (${(r.bytes / x.median / 1e6).toFixed(0)} MB/s)`);
      L.push(`| ${r.id} | ${r.title} | ${cell(r.dsg)} | ${cell(r.other)} | ${ratioOf(r.dsg, r.other)} | ${fmtMiB(r.dsg.rssKB)} | ${fmtMiB(r.other.rssKB)} | ${r.notes.join('; ')} |`);
    }
    L.push('');
  }
  renderMemoryAndScale(L, sorted, memRows);
  const f = (x) => `${x.warm == null ? '—' : fmtS(x.warm)} → ${x.runs.length ? x.runs.map(fmtS).join(', ') : '—'}`;
  L.push('### Every timed run (s)', '');
  const solo = sorted.filter((r) => r.table === 'memory' || r.table === 'scale');
  if (solo.length) {
    L.push('| # | dsg: warm-up → runs |');
    L.push('|---|---|');
    for (const r of solo) L.push(`| ${r.id} | ${f(r.dsg)} |`);
    L.push('');
  }
  if (rows.length || !otherTables) {
    L.push('| # | dsg: warm-up → runs | other: warm-up → runs |');
    L.push('|---|---|---|');
    for (const r of rows) L.push(`| ${r.id} | ${f(r.dsg)} | ${f(r.other)} |`);
    if (otherTables) L.push('');
  }
  if (backendRows.length) {
    L.push('| # | ZFS: warm-up → runs | POSIX: warm-up → runs |');
    L.push('|---|---|---|');
    for (const r of backendRows) L.push(`| ${r.id} | ${f(r.dsg)} | ${f(r.other)} |`);
    if (sshRows.length || s3Rows.length || ipfsRows.length) L.push('');
  }
  if (sshRows.length) {
    L.push('| # | dsg init: warm-up → runs | rsync -a -e ssh | scp -O | scp | floor |');
    L.push('|---|---|---|---|---|---|');
    for (const r of sshRows) L.push(`| ${r.id} | ${r.sides.map(f).join(' | ')} |`);
    if (s3Rows.length || ipfsRows.length) L.push('');
  }
  if (s3Rows.length) {
    L.push(`| # | dsg init: warm-up → runs | rclone copy | rclone copy --transfers ${S3_RCLONE_MANY} |`);
    L.push('|---|---|---|---|');
    for (const r of s3Rows) L.push(`| ${r.id} | ${f(r.sides[0])} | ${f(r.sides[1])} | ${r.sides[2] ? f(r.sides[2]) : '—'} |`);
    if (ipfsRows.length) L.push('');
  }
  if (ipfsRows.length) {
    L.push('| # | dsg → IPFS: warm-up → runs | dsg → POSIX: warm-up → runs |');
    L.push('|---|---|---|');
    for (const r of ipfsRows) L.push(`| ${r.id} | ${f(r.dsg)} | ${f(r.other)} |`);
  }
  L.push('');
  L.push('### Setup steps (timed once, for information)', '');
  L.push('| Step | Time (s) | Peak RSS (MiB) | Notes |');
  L.push('|---|---:|---:|---|');
  for (const s of state.setup) L.push(`| ${s.what} | ${fmtS(s.s)} | ${fmtMiB(s.rssKB)} | ${s.note ?? ''} |`);
  L.push('');
  L.push('## Method', '');
  L.push('1. **status, nothing changed**: `dsg status` in a project after `dsg init` and one warm `dsg status`, vs `git status` on the same files (a git repository with everything committed; its `.git` lies outside the project folder, `GIT_DIR`/`GIT_WORK_TREE`, so neither tool walks the other\'s metadata; `.dsg/` and `.dsgconfig.yml` are in git\'s exclude file).');
  L.push('2. **full re-hash**: `dsg status` after deleting the working-copy index `.dsg/index` (and any older `.dsg/stat-cache.json`) before every run (also before the warm-up), vs `find . -type f -path \'*/input/*\' -print0 | xargs -0 xxhsum -H3 > /dev/null` (XXH3-64, the hash dsg uses; one xxhsum process at a time, as xargs runs it).');
  L.push('3. **init of many small files**: `dsg init` into an empty local repository (`type: xfs` on the same disk; the project\'s `.dsg/` removed and the repository folder moved aside before every run), vs `rsync -a project/ dest/` into a folder that does not exist yet followed by `sync -f dest` (so both copies are durable when the command ends, as issue 10 asks).');
  L.push('4. **init of one big file**: as 3, with a single file; throughput = file size / median time (MB = 10^6 B).');
  L.push(`5. **sync of many changed small files, ZFS vs POSIX repository**: two projects of ${fmtInt(SIZES.syncFiles)} small files (1–4 KiB), each already in its repository (\`dsg init\`, untimed, in the setup table): one with \`repository: {type: zfs, host: localhost, pool: …, mountpoint: …}\` (dsg creates the dataset \`<pool>/<name>\`), one with \`{type: xfs, host: localhost, …}\` on the work disk. Before every run (untimed) ${fmtInt(SIZES.syncChanged)} of the files (every second one) get new random content and a new size; the timed command is \`dsg sync -m …\`, checked to report \`Snapshot sN created: ${SIZES.syncChanged} uploaded\`. The two repositories alternate run by run. Afterwards \`dsg status --json\` must report every file unchanged.`);
  L.push('6. **sync of one changed big file, ZFS vs POSIX repository**: as 5, with a project holding one file already in its repository; before every run (untimed) the file is rewritten with fresh random bytes (so every run uploads a new content of the full size); throughput = file size / median time.');
  L.push(`7. **upload of one big file over SSH**: \`dsg init\` of a project holding one ${fmtBytes(SIZES.bigBytes)} random file into a POSIX repository on the SSH host (\`repository: {type: xfs, host: <alias>, mountpoint: <dir>}\`), vs \`rsync -a -e "ssh -F <config> -o BatchMode=yes" big.bin <alias>:<dir>/\`, \`scp -O -p …\` (the legacy SCP protocol) and plain \`scp -p …\` (the SFTP protocol, OpenSSH's default since 9.0) of the file. The server is the throwaway OpenSSH sshd of the tests (\`scripts/sshd.sh\`, started by \`bench/run.sh\`) on 127.0.0.1 of this machine, so client and server share its CPUs; every destination is on the work disk. Every run starts from an empty repository / destination folder and moves it aside afterwards (both untimed), and the dsg side deletes the project's \`.dsg/\` first. dsg reads \`~/.ssh/config\` of HOME=<work>/ssh-home (copies of the test client setup; no SSH agent); rsync and scp use the same config with \`-F\`. Throughput = file size / median time; ratio = dsg throughput / rsync throughput (above 1 = dsg faster), target ≥ 1.5×.`);
  L.push(`8. **upload of many small files over SSH**: as 7, with a project of ${fmtInt(SIZES.sshFiles)} files of 1–4 KiB in ${fmtInt(SIZES.sshDirs)} folders; \`rsync -a -e ssh project/ <alias>:<dir>/\`, \`scp -O -r -p project <alias>:<dir>/\`, \`scp -r -p project <alias>:<dir>/\`. Ratio = dsg time / rsync time (below 1 = dsg faster), target ≤ 1.0×.`);
  L.push('');
  L.push('Rows 7–8, **floor** column: a lower bound, not a tool. OpenSSH (`ssh -c aes128-gcm@openssh.com`, the cipher ssh2 picks here) runs only the server-side work an upload that keeps dsg\'s promises must do, and none of the client\'s (no scan, no hashing, no manifest, no commit step, no Node start). Row 7: the file through `cat` into its place, then `sync -f` on it (dsg makes uploads durable before its commit point). Row 8: one tar stream, built beforehand and untimed, of the layout dsg\'s POSIX repository keeps, with each file under its content name `objects/<h2>/<32 hex digits>` and its place in the tree as a hard link to it; `tar -x -m` extracts it into an empty folder, then `sync -f`. Its ratio is the best any implementation of that design could reach against rsync on this machine. Its check: the same as rsync\'s, on the tree.');
  L.push('Rows 7–8: every copy is checked afterwards (untimed): dsg must print `Snapshot s1 created: N uploaded` and `dsg status --json` must report every file unchanged; the rsync/scp destinations must hold every file with the same total size. Peak RSS is the client side only (for rsync and scp, the larger of the tool and its `ssh` child); the server-side processes (sshd, `sftp-server`, the remote rsync/scp) are not counted for any tool. The SSH cipher is each client\'s default choice (see the SSH line at the top): dsg uses the ssh2 library, which prefers AES-GCM on a CPU with AES instructions, while the OpenSSH client prefers chacha20-poly1305, so on one big file the cipher is part of the difference. Client, server and disk share this machine\'s CPUs, so the figures are CPU-bound rather than network-bound.');
  L.push('');
  L.push('On ZFS, dsg keeps the POSIX repository layout on the dataset and each sync also takes one `zfs snapshot <pool>/<name>@sN` after its commit, so rows 5–6 include that call. ZFS here is **zfs-fuse** (a FUSE implementation, single user-space daemon, file-backed throwaway pool on the work disk, created by `bench/run.sh` via `scripts/zfs-pool.sh`): its absolute numbers and the ZFS/POSIX ratio say little about kernel OpenZFS; they show what this build costs on this machine. Every old version stays in the repository (in `objects/`, and on ZFS in the @sN snapshots), so rows 5–6 grow both repositories by one version per run. Without a pool (not root, zfs-fuse missing) the ZFS column says \`not run\` with the reason and the POSIX column is still measured.');
  L.push('');
  L.push('Order of the run: 3, 4, 5, 6, 7, 8, 12, 13, 14, 15, 10, then the status tree (rows 1, 2, 9; its one-off `dsg init` is a long step), then the scale tree (row 11, the longest). If the status tree\'s init fails or passes its limit, rows 1–2 say so and rows 1b–2b repeat the status measurements on a fallback tree the size of the init tree.');
  L.push('');
  L.push('Outputs of earlier runs (repositories, rsync/scp destinations) are moved aside, not deleted, between runs and removed when the measurement ends: this disk (ext4 with online discard) slows file creation for seconds after a large delete, which would land in whichever tool runs next. All commands run with a warm page cache (the tree was just written or read by the warm-up); `sync` is run (untimed) before every timed command so earlier write-back does not land in it. dsg and the other tool alternate run by run, so drifting machine load hits both. Wall time is measured around the process with `process.hrtime`; peak RSS comes from `/usr/bin/time -f \'%e %M\'`. dsg makes uploaded data durable before it commits a snapshot (fsync/syncfs; over SSH on the server); in rows 3–4 rsync is followed by `sync -f`, while rows 7–8 compare with plain `rsync -a` and `scp`, which do not flush.');
  L.push('');
  L.push(`9. **one-file sync in the status tree**: after rows 1–2, \`dsg sync -m …\` after one file got new random bytes (untimed, before every run); checked to report \`1 uploaded\`. Its peak RSS is compared with issue 10's target for status and sync: 80 MB + 1 KB per file (decimal units, the stricter reading).`);
  L.push(`10. **sync of one changed big file in a project of many small ones**: a project of ${fmtInt(SIZES.initFiles)} small files and one ${fmtBytes(SIZES.bigBytes)} file, already in a local POSIX repository; before every run (untimed) the big file gets fresh random bytes; target peak RSS < 200 MB.`);
  L.push(`11. **scale**: the steps of the status tree on ${fmtInt(SIZES.scaleFiles)} files in ${fmtInt(SIZES.scaleDirs)} folders (same generator): \`dsg init\` once, then \`dsg status\` (nothing changed) and the one-file \`dsg sync\` of row 9, compared with the ${fmtInt(SIZES.statusFiles)}-file figures of this run (the status tree's init in the setup table, rows 1 and 9). Target: time and peak RSS ≤ 11× those.`);
  const d = s3.defaults;
  const dq = s3.dsg;
  L.push(`12. **upload of many small files to S3**: \`dsg init\` of a project of ${fmtInt(SIZES.s3Files)} files of 1–4 KiB in ${fmtInt(SIZES.s3Dirs)} folders (row 8's generator and sizes, so rows 8 and 12 upload trees of the same shape) into an empty prefix of the bucket (\`repository: {type: s3, bucket: ${S3_BUCKET}, prefix: <fresh prefix>, endpoint: "http://127.0.0.1:<port>"}\`, keys in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), vs \`rclone copy project dsgbench:${S3_BUCKET}/<fresh prefix>\` with rclone's defaults (\`--transfers ${d.transfers}\`: that many files in flight, \`--checkers ${d.checkers}\`), and the same with \`--transfers ${S3_RCLONE_MANY}\`: dsg sends each small file with one PutObject, ${dq.putsInFlight ?? '16'} at a time per batch of files with two batches at once (so up to 32 requests, its limit per store), and the third column shows how much of the gap is only the number of requests in flight (\`--transfers 32\` was no faster than 16 in a separate trial on this machine). rclone's source is the data alone: the project's \`.dsg/\` is deleted before every run of every side and \`--exclude /.dsgconfig.yml\` leaves out dsg's config file. Ratio = dsg time / rclone time.`);
  L.push(`13. **upload of one big file to S3**: \`dsg init\` of a project holding one ${fmtBytes(SIZES.bigBytes)} random file, vs \`rclone copy project/input/big.bin dsgbench:${S3_BUCKET}/<fresh prefix>\`. dsg sends a file above ${dq.singlePutMaxMiB ?? '?'} MiB as a multipart upload in ${dq.minPartMiB ?? '?'} MiB parts, ${dq.partsInFlight ?? '?'} in flight, hashing it (XXH3) as it reads; rclone sends a file above \`--s3-upload-cutoff ${d['s3-upload-cutoff']}\` as a multipart upload in \`--s3-chunk-size ${d['s3-chunk-size']}\` parts, \`--s3-upload-concurrency ${d['s3-upload-concurrency']}\` in flight, after reading the file once for the MD5 it stores in the object's metadata (its default; \`--s3-disable-checksum\` would skip that), and a smaller one with one PutObject. \`--transfers\` only sets how many files go at once, so the \`--transfers ${S3_RCLONE_MANY}\` column is not run for one file. Throughput = file size / median time.`);
  L.push('');
  L.push(`Rows 12–13: the server is the throwaway single-node Ceph cluster of the tests (\`scripts/s3.sh\`, started by \`bench/run.sh\`): one monitor, one OSD on **memstore** (all data in RAM, no disk), one radosgw, all on 127.0.0.1 of this machine, so client and server share its ${env.nproc} CPUs and the loopback: the figures measure client and gateway together, CPU-bound, with no network and no disk on the server side. The bucket \`${S3_BUCKET}\` is created (untimed) before the first run, so no timed run creates it. Every run writes below a prefix no run used before; after every run (untimed) that prefix is deleted (\`rclone purge\`), radosgw's garbage collector is run (\`radosgw-admin gc process --include-all\`), and the bench waits until the OSD's used bytes (\`stat_bytes_used\` from its admin socket) are back to what they were before the measurement, so memstore (about 2 bytes of RAM per stored byte) never holds more than one run's upload. Each copy is checked after timing (untimed): dsg must print \`Snapshot s1 created: N uploaded\` and its \`objects/\` prefix must hold N objects with the tree's total size; rclone's destination must hold N objects with the tree's total size (both by \`rclone size --json\`). dsg's time includes its repository bookkeeping (the put-if-absent probe, lock, journal, snapshot manifest and archive). Peak RSS is the client process alone (node for dsg, rclone); the Ceph daemons are not counted. rclone runs with \`--config /dev/null\`, its remote \`dsgbench:\` defined by \`RCLONE_CONFIG_DSGBENCH_TYPE=s3\`, \`…_PROVIDER=Ceph\`, \`…_ENDPOINT\`, \`…_ACCESS_KEY_ID\`, \`…_SECRET_ACCESS_KEY\`, and without \`AWS_CA_BUNDLE\` (set on this machine; rclone's S3 backend then fails every call) or any other \`RCLONE_*\` variable.`);
  L.push('');
  const ic = ipfsConsts;
  const sealedBig = SIZES.bigBytes + Math.ceil(SIZES.bigBytes / ((ic.sealChunkMiB ?? 1) * 2 ** 20)) * (ic.sealOverhead ?? 28);
  L.push(`14. **init of many small files, IPFS blockstore vs POSIX repository**: \`dsg init\` of a project of ${fmtInt(SIZES.s3Files)} files of 1–4 KiB in ${fmtInt(SIZES.s3Dirs)} folders (the generator and sizes of rows 8 and 12) into an encrypted IPFS repository in a blockstore folder that does not exist yet (\`repository: {type: ipfs, did: "${IPFS_DID}", encrypted: true, blockstore: <work>/ipfs-small/blockstore}\`, the passphrase in DSG_IPFS_PASSPHRASE; dsg creates the folder), vs \`dsg init\` of the same project folder into an empty POSIX repository on the same disk (\`{type: xfs, host: localhost, mountpoint: <work>/ipfs-small/repos}\`, as row 3). Ratio = IPFS time / POSIX time (above 1: the blockstore is slower).`);
  L.push(`15. **init of one big file, IPFS blockstore vs POSIX repository**: as 14, with a project holding one ${fmtBytes(SIZES.bigBytes)} random file; throughput = file size / median time.`);
  L.push('');
  L.push(`Rows 14–15: one project folder serves both sides. Before every run (untimed) its \`.dsg/\` is deleted, its \`.dsgconfig.yml\` is rewritten to name that side's repository, and that side's earlier blockstore / repository is moved aside (removed when the measurement ends), so every run starts from nothing; the two sides alternate run by run. What the IPFS side does, in this build: every object it stores (each file's content, and the snapshot manifest, journal, lock and archive) is sealed with AES-256-GCM in ${ic.sealChunkMiB ?? '?'} MiB chunks (${ic.sealOverhead ?? '?'} B more per chunk: a 12 B IV derived by HMAC-SHA256 from the chunk, so equal content seals equally, and a 16 B tag), then imported as UnixFS blocks (ipfs-unixfs-importer ${ic.importerVersion}, \`${ic.importOptions ?? '?'}\`, fixed-size chunks of ${ic.unixfsChunkKiB ?? '?'} KiB: a small file is one raw block, the big file, ${fmtBytes(SIZES.bigBytes)} sealed into ${fmtInt(sealedBig)} B, ${fmtInt(Math.ceil(sealedBig / ((ic.unixfsChunkKiB ?? 256) * 1024)))} leaf blocks plus the nodes linking them) into \`blocks/\` (one file per block, flatfs layout, each written to a temporary file and renamed, not fsynced one by one), and named by one name record per object under \`repos/<did>/names/\` (the key's components sealed too). The keys come from the passphrase by scrypt (${ic.scrypt ? `N = 2^${ic.scrypt.logN}, r = ${ic.scrypt.r}, p = ${ic.scrypt.p}` : 'parameters not found in the build'}; ${ic.scryptS == null ? 'not timed here' : `${fmtS(ic.scryptS)} s on this machine at the start of the run, median of 3`}), once per command, inside the timed run. Every put-if-absent (init's probe of conditional writes, the lock, the snapshot's commit point) flushes the file system with \`sync -f\` (syncfs) before writing its record and again after creating it: 7 syncfs per \`dsg init\` (counted with strace on a 5-file init, outside the bench, at git 78b29dc and 15b9b8d), where the POSIX repository calls syncfs once, before its commit point. A syncfs flushes everything dirty on the work disk, including other processes' writes (a test run on the machine), so a busy disk costs the side that calls it more often more. Each run is checked after timing (untimed): dsg must print \`Snapshot s1 created: N uploaded\`; the IPFS side's \`blocks/\` must exist and its files must hold at least the tree's bytes (sealed data is larger), and \`names/\` at least one record per file; the POSIX repository must hold every file of the tree with the tree's total size. Peak RSS is the dsg process and its children (the \`sync\` calls). No service is involved: the blockstore is a folder in the work dir, on the same ext4 disk as the POSIX repository and the tree.`);
  L.push('');
  L.push('## Problems seen', '');
  if (state.problems.length) for (const p of state.problems) L.push(`- ${p}`);
  else L.push('None: every command exited 0 and every check passed.');
  L.push('');
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, scrub(L.join('\n')));
}

/** Issue 10's memory targets (rows 1, 9, 10, 11) and the 1,000,000-file scale table (row 11). */
function renderMemoryAndScale(L, sorted, memRows) {
  const byId = (id) => sorted.find((r) => r.id === id);
  const row1 = byId('1');
  const mem = [];
  const met = (x, limitKB) => (x.rssKB == null ? 'n/a' : x.rssKB <= limitKB ? 'yes' : '**no**');
  if (row1 && row1.dsg.median != null) mem.push({ id: '1', title: row1.title, x: row1.dsg, limitKB: rssTargetKB(SIZES.statusFiles), notes: 'row 1 above' });
  for (const r of memRows) mem.push({ id: r.id, title: r.title, x: r.dsg, limitKB: r.id.startsWith('10') ? BIG_SYNC_RSS_TARGET_KB : rssTargetKB(SIZES.statusFiles), notes: r.notes.join('; ') });
  const sc = state.scale;
  for (const r of [sc?.status, sc?.sync]) if (r) mem.push({ id: r.id, title: r.title, x: r.dsg, limitKB: rssTargetKB(sc.files), notes: 'row 11 below' });
  mem.sort((a, b) => parseInt(a.id, 10) - parseInt(b.id, 10));
  if (mem.length) {
    L.push('### Memory: peak RSS against issue 10\'s targets', '');
    L.push('Targets: status and sync ≤ 80 MB + 1 KB per file (decimal units); sync of one 1 GiB file < 200 MB.', '');
    L.push('| # | Measurement | dsg (s) | dsg peak RSS (MiB) | Target (MiB) | Met | Notes |');
    L.push('|---|---|---:|---:|---:|---|---|');
    for (const m of mem) L.push(`| ${m.id} | ${m.title} | ${m.x.median != null ? fmtS(m.x.median) : `**${m.x.failure ?? 'failed'}**`} | ${fmtMiB(m.x.rssKB)} | ≤ ${fmtMiB(m.limitKB)} | ${met(m.x, m.limitKB)} | ${m.notes} |`);
    L.push('');
  }
  if (!sc) return;
  const small = { init: state.ref.init ?? null, status: row1?.dsg ?? null, sync: byId('9')?.dsg ?? null };
  const big = { init: sc.init, status: sc.status?.dsg ?? null, sync: sc.sync?.dsg ?? null };
  const secs = (x) => (x == null ? null : x.s ?? x.median ?? null);
  const cell = (x) => (secs(x) == null ? 'n/a' : `${fmtS(secs(x))} s, ${fmtMiB(x.rssKB)} MiB`);
  const ratio = (a, b) => (a == null || b == null || !(b > 0) ? null : a / b);
  L.push(`### Scale: ${fmtInt(sc.files)} files vs ${fmtInt(SIZES.statusFiles)} (same run)`, '');
  L.push(`Target (issue 10): time and memory grow linearly, ≤ ${sc.files / SIZES.statusFiles + 1}× the ${fmtInt(SIZES.statusFiles)}-file figures.${sc.initFailure ? ` The ${fmtInt(sc.files)}-file init failed: ${sc.initFailure} (see Problems).` : ''}`, '');
  L.push(`| Step | ${fmtInt(SIZES.statusFiles)} files | ${fmtInt(sc.files)} files | Time ratio | RSS ratio | Met |`);
  L.push('|---|---:|---:|---:|---:|---|');
  const limit = sc.files / SIZES.statusFiles + 1;
  for (const [name, a, b] of [['init', small.init, big.init], ['status, nothing changed', small.status, big.status], ['sync of one changed file', small.sync, big.sync]]) {
    const rt = ratio(secs(b), secs(a));
    const rm = ratio(b?.rssKB, a?.rssKB);
    const ok = rt == null || rm == null ? 'n/a' : rt <= limit && rm <= limit ? 'yes' : '**no**';
    L.push(`| ${name} | ${cell(a)} | ${cell(b)} | ${rt == null ? 'n/a' : `${rt.toFixed(1)}×`} | ${rm == null ? 'n/a' : `${rm.toFixed(1)}×`} | ${ok} |`);
  }
  L.push('');
}

// ---------------------------------------------------------------- running a comparison

/**
 * One side of a measurement.
 * @typedef {{ label: string, cmd: string, args: string[], cwd: string, env?: object,
 *   before?: () => void, check?: (r) => string|null, after?: () => void, notRun?: string }} Side
 */

async function runOnce(side, tag) {
  side.before?.();
  settle();
  const r = await measure(side.cmd, side.args, { cwd: side.cwd, env: side.env ?? process.env });
  let failure = null;
  if (r.timedOut) failure = `timed out (limit ${opts.timeout} s, killed)`;
  else if (r.exit !== 0) failure = `exit ${r.exit}${r.signal ? ` (${r.signal})` : ''}`;
  else failure = side.check?.(r) ?? null;
  side.after?.();
  log(`  ${tag} ${side.label}: ${fmtS(r.wall)} s, ${fmtMiB(r.rssKB)} MiB${failure ? ` — FAILED: ${failure}` : ''}`);
  return { ...r, failure };
}

/** Text for RESULTS.md without this machine's paths (work dir, ZFS pool mount, checkout). */
function scrub(text) {
  let t = String(text);
  if (state.runDir) t = t.replaceAll(state.runDir, '<work>');
  if (zfs.mount) t = t.replaceAll(zfs.mount, '<pool mount>');
  if (distSnapshot) t = t.replaceAll(distSnapshot, '<dist>');
  t = t.replaceAll(/\/tmp\/dsg-zfs\.[A-Za-z0-9]+/g, '<pool dir>'); // scripts/zfs-pool.sh's folder
  if (ssh.dir) t = t.replaceAll(ssh.dir, '<sshd dir>/ssh');
  t = t.replaceAll(/\/tmp\/dsg-sshd\.[A-Za-z0-9]+/g, '<sshd dir>'); // scripts/sshd.sh's folder
  t = t.replaceAll(/\/tmp\/dsg-s3\.[A-Za-z0-9]+/g, '<s3 dir>'); // scripts/s3.sh's folder
  return t.replaceAll(ROOT, '<checkout>');
}

function describeFailure(id, side, r, tag) {
  const cmdline = `${side.cmd === process.execPath ? 'node' : side.cmd} ${side.args.map((a) => (a === DSG ? 'dist/bin/dsg.js' : scrub(a))).join(' ')}`;
  const out = scrub(tail(`${r.stdout}\n${r.stderr}`.trim())) || '(no output)';
  return `Measurement ${id}, ${tag}: \`${cmdline}\` (in \`${scrub(side.cwd)}\`) ${r.failure} after ${fmtS(r.wall)} s, peak RSS ${fmtMiB(r.rssKB)} MiB. Output:\n\n  \`\`\`\n${out.split('\n').map((l) => `  ${l}`).join('\n')}\n  \`\`\`\n`;
}

/**
 * Warm-up both sides, then opts.runs rounds alternating dsg / other. A side that fails stops.
 * A side with `notRun` (the reason) is recorded as not run and never started; `table` puts the row
 * in another results table ('backends': dsg on ZFS vs dsg on POSIX).
 */
async function runPair(id, title, dsgSide, otherSide, notes = [], table = 'tools') {
  return runGroup(id, title, [dsgSide, otherSide], notes, table);
}

/**
 * As runPair for any number of sides (the first is dsg): warm-up of each, then opts.runs rounds
 * in which the sides take turns. `row.sides` holds one result per side; `row.dsg` / `row.other`
 * are the first two.
 */
async function runGroup(id, title, sideList, notes = [], table = 'tools') {
  const accs = sideList.map((side) => ({
    label: side.label, warm: null, runs: [], rss: [], median: null, rssKB: null, failure: side.notRun ? 'not run' : null,
  }));
  const row = { id, title, notes, table, sides: accs, dsg: accs[0], other: accs[1] };
  for (const side of sideList) if (side.notRun) notes.push(`${side.label} not run: ${side.notRun}`);
  state.rows.push(row);
  const loadBefore = loadavg()[0];
  log(`measurement ${id}: ${title}`);
  const sides = sideList.map((side, k) => [side, accs[k]]);
  for (let round = 0; round <= opts.runs; round++) {
    const tag = round === 0 ? 'warm-up' : `run ${round}/${opts.runs}`;
    for (const [side, acc] of sides) {
      if (acc.failure) continue;
      const r = await runOnce(side, tag);
      if (r.failure) {
        acc.failure = r.failure.startsWith('timed out') ? 'timeout' : r.failure.startsWith('exit') ? r.failure : 'wrong result';
        state.problems.push(describeFailure(id, side, r, tag));
        continue;
      }
      if (round === 0) acc.warm = r.wall;
      else {
        acc.runs.push(r.wall);
        if (r.rssKB != null) acc.rss.push(r.rssKB);
      }
    }
    writeResults();
  }
  row.notes.push(`load avg ${loadBefore.toFixed(1)} → ${loadavg()[0].toFixed(1)}`);
  for (const [, acc] of sides) {
    if (!acc.failure && acc.runs.length) {
      acc.median = median(acc.runs);
      acc.rssKB = acc.rss.length ? Math.max(...acc.rss) : null;
    }
  }
  writeResults();
  return row;
}

const dsgArgs = (...a) => [DSG, ...a];

/** Version of one of the project's installed dependencies (node_modules), or n/a. */
function depVersion(name) {
  try { return JSON.parse(readFileSync(join(ROOT, 'node_modules', ...name.split('/'), 'package.json'), 'utf8')).version; } catch { return 'n/a'; }
}

/** A setup step that must work; timed and recorded, with a failure recorded before rethrow. */
async function setupStep(what, cmd, args, options, note) {
  settle();
  const r = await measure(cmd, args, options);
  const limit = (options.timeoutMs ?? TIMEOUT_MS) / 1000;
  state.setup.push({ what, s: r.wall, rssKB: r.rssKB, note: r.timedOut || r.exit !== 0 ? `**failed** ${note ?? ''}` : note });
  log(`setup ${what}: ${fmtS(r.wall)} s, ${fmtMiB(r.rssKB)} MiB${r.exit !== 0 ? ` exit ${r.exit}` : ''}${r.timedOut ? ' TIMEOUT' : ''}`);
  if (r.timedOut || r.exit !== 0) {
    const failure = r.timedOut ? `timed out (limit ${limit} s, killed)` : `exit ${r.exit}`;
    state.problems.push(`Setup step "${what}": \`${[cmd === process.execPath ? 'node' : cmd, ...args.map((a) => (a === DSG ? 'dist/bin/dsg.js' : scrub(a)))].join(' ')}\` ${failure} after ${fmtS(r.wall)} s. Output:\n\n  \`\`\`\n${(scrub(tail(`${r.stdout}\n${r.stderr}`.trim())) || '(no output)').split('\n').map((l) => `  ${l}`).join('\n')}\n  \`\`\`\n`);
    writeResults();
    throw new Error(`setup step "${what}" failed (${failure})`);
  }
  writeResults();
  return r;
}

/** Record a whole measurement as not done (its setup failed). */
function skipped(id, title, otherLabel, why) {
  state.rows.push({
    id, title, notes: [`not measured: ${why}`],
    dsg: { label: 'dsg', warm: null, runs: [], median: null, rssKB: null, failure: 'not run' },
    other: { label: otherLabel, warm: null, runs: [], median: null, rssKB: null, failure: 'not run' },
  });
  writeResults();
}

// ---------------------------------------------------------------- the measurements

const env = {};

function upToDateCheck(r) {
  return r.stdout.includes('Everything up to date.') ? null : `expected "Everything up to date.", got: ${tail(r.stdout, 300)}`;
}
function initCheck(n) {
  return (r) => (new RegExp(`Snapshot s1 created: ${n} uploaded`).test(r.stdout) ? null : `expected "Snapshot s1 created: ${n} uploaded", got: ${tail(r.stdout, 300)}`);
}

/** After a status measurement: check dsg sees every file unchanged (untimed). */
async function verifyStatusCounts(project, dsgEnv, n, id) {
  const r = await measure(process.execPath, dsgArgs('status', '--json'), { cwd: project, env: dsgEnv, stdoutLimit: 64 << 20 });
  try {
    const j = JSON.parse(r.stdout);
    if (j.upToDate !== true || j.unchanged !== n) {
      state.problems.push(`Measurement ${id}: \`dsg status --json\` afterwards reports upToDate=${j.upToDate}, unchanged=${j.unchanged} (expected true, ${n}).`);
    }
  } catch (e) {
    state.problems.push(`Measurement ${id}: \`dsg status --json\` afterwards did not print JSON (exit ${r.exit}): ${tail(`${r.stdout}${r.stderr}`, 300)}`);
  }
}

async function statusMeasurements(cfgHome, nFiles, nDirs, suffix = '', why = null) {
  const base = join(state.runDir, `status${suffix}`);
  const project = join(base, 'project');
  const repos = join(base, 'repos');
  const gitDir = join(base, 'git.git');
  mkdirSync(project, { recursive: true });
  mkdirSync(repos, { recursive: true });
  log(`generating ${fmtInt(nFiles)} files in ${nDirs} folders`);
  const t0 = performance.now();
  const tree = genSmallTree(project, nFiles, nDirs, suffix ? 2 : 1);
  state.trees.push({ name: `status tree (measurements 1${suffix}–2${suffix})${why ? ', fallback' : ''}`, ...tree, genS: (performance.now() - t0) / 1000 });
  writeProjectConfig(project, repos);
  const dsgEnv = { ...process.env, DSG_CONFIG_HOME: cfgHome };

  const gitEnv = {
    ...process.env, GIT_DIR: gitDir, GIT_WORK_TREE: project,
    GIT_AUTHOR_NAME: 'Bench', GIT_AUTHOR_EMAIL: 'bench@example.org', GIT_COMMITTER_NAME: 'Bench', GIT_COMMITTER_EMAIL: 'bench@example.org',
    GIT_CONFIG_NOSYSTEM: '1', HOME: base, LC_ALL: 'C',
  };
  const N = tree.files;
  const fb = why ? ` — fallback: ${why}` : '';
  const title1 = `status, nothing changed (${fmtInt(N)} files)${fb}`;
  const title2 = `full re-hash: status without its index (${fmtInt(N)} files, ${fmtBytes(tree.bytes)})${fb}`;
  const id1 = `1${suffix}`;
  const id2 = `2${suffix}`;
  try {
    const init = await setupStep(`dsg init, ${fmtInt(N)} files (status tree${why ? ', fallback' : ''})`, process.execPath, dsgArgs('init'),
      { cwd: project, env: dsgEnv, timeoutMs: opts.setupTimeout * 1000 },
      `${fmtBytes(tree.bytes)}; for information (limit ${opts.setupTimeout} s)`);
    state.ref.init = { s: init.wall, rssKB: init.rssKB, files: N };
  } catch (e) {
    skipped(id1, title1, 'git status', e.message);
    skipped(id2, title2, 'xxhsum -H3', e.message);
    log('removing the status tree');
    rmSync(base, { recursive: true, force: true });
    return false;
  }
  // git: repository outside the project folder, everything committed.
  let gitOk = true;
  try {
    sh('git', ['init', '-q'], { cwd: project, env: gitEnv });
    sh('git', ['config', 'gc.auto', '0'], { cwd: project, env: gitEnv });
    writeFileSync(join(gitDir, 'info', 'exclude'), '/.dsg/\n/.dsgconfig.yml\n');
    await setupStep(`git add -A, ${fmtInt(N)} files`, 'git', ['add', '-A'], { cwd: project, env: gitEnv }, 'for information');
    await setupStep('git commit', 'git', ['commit', '-q', '-m', 'bench'], { cwd: project, env: gitEnv }, 'for information');
  } catch (e) {
    gitOk = false;
    state.problems.push(`git setup failed: ${e.message}`);
  }

  // 1. status with nothing changed
  await runPair(id1, title1,
    { label: 'dsg status', cmd: process.execPath, args: dsgArgs('status'), cwd: project, env: dsgEnv, check: upToDateCheck },
    gitOk
      ? { label: 'git status', cmd: 'git', args: ['status'], cwd: project, env: gitEnv, check: (r) => (r.stdout.includes('nothing to commit') ? null : `unexpected git status output: ${tail(r.stdout, 300)}`) }
      : { label: 'git status', cmd: 'false', args: [], cwd: project },
    ['the warm-up run is the first status after init (stat cache written by init)']);
  await verifyStatusCounts(project, dsgEnv, N, id1);

  // 2. re-hash everything
  // The working-copy index (.dsg/index; stat-cache.json before it) is what lets status skip hashing.
  const caches = [join(project, '.dsg', 'index'), join(project, '.dsg', 'stat-cache.json')];
  const row2 = await runPair(id2, title2,
    {
      label: 'dsg status', cmd: process.execPath, args: dsgArgs('status'), cwd: project, env: dsgEnv, check: upToDateCheck,
      before: () => caches.forEach((c) => rmSync(c, { force: true })),
    },
    { label: 'xxhsum -H3', cmd: 'bash', args: ['-c', "set -o pipefail; find . -type f -path '*/input/*' -print0 | xargs -0 xxhsum -H3 > /dev/null"], cwd: project },
    ['`.dsg/index` (and any `.dsg/stat-cache.json`) deleted before each dsg run']);
  if (row2.dsg.median) row2.notes.push(`dsg ${(tree.bytes / row2.dsg.median / 1e6).toFixed(0)} MB/s, ${fmtInt(Math.round(N / row2.dsg.median))} files/s`);
  if (row2.other.median) row2.notes.push(`xxhsum ${(tree.bytes / row2.other.median / 1e6).toFixed(0)} MB/s`);
  await verifyStatusCounts(project, dsgEnv, N, id2);
  if (wanted(9)) {
    await runGroup(`9${suffix}`, `sync of one changed file in a project of ${fmtInt(N)} files${fb}`,
      [oneFileSyncSide(project, dsgEnv, firstFile(project, N, nDirs), `9${suffix}`)], ['the file gets new random bytes (100 B–3 KiB) before each run'], 'memory');
    await verifyStatusCounts(project, dsgEnv, N, `9${suffix}`);
  }
  writeResults();
  log('removing the status tree');
  rmSync(base, { recursive: true, force: true });
  return true;
}

/** The first file genSmallTree writes (d0…0/input/f0…0.bin): the one the one-file syncs change. */
function firstFile(root, nFiles, nDirs) {
  return join(root, `d${'0'.repeat(String(nDirs - 1).length)}`, 'input', `f${'0'.repeat(String(nFiles - 1).length)}.bin`);
}

/** A sync that uploaded exactly one file. */
function oneUploadCheck(r) {
  return /Snapshot s\d+ created: 1 uploaded/.test(r.stdout) ? null : `expected "Snapshot sN created: 1 uploaded", got: ${tail(r.stdout, 300)}`;
}

/** `dsg sync` after `file` got new random content (before every run, untimed); exactly one upload expected. */
function oneFileSyncSide(project, dsgEnv, file, id) {
  let k = 0;
  return {
    label: 'dsg sync', cmd: process.execPath, args: dsgArgs('sync', '-m', `bench ${id}`), cwd: project, env: dsgEnv,
    before: () => writeFileSync(file, randomBytes(100 + ((k++ * 977) % 3000))),
    check: oneUploadCheck,
  };
}

/**
 * Measurement 10: the memory of a sync that uploads one changed big file in a project of many
 * small ones (issue 10: peak RSS < 200 MB). The file gets fresh random bytes before every run.
 */
async function bigInManyMeasurement(cfgHome) {
  const base = join(state.runDir, 'big-in-many');
  const project = join(base, 'project');
  const repos = join(base, 'repos');
  mkdirSync(repos, { recursive: true });
  const t0 = performance.now();
  log(`generating ${fmtInt(SIZES.initFiles)} small files and one of ${fmtBytes(SIZES.bigBytes)}`);
  const tree = genSmallTree(project, SIZES.initFiles, SIZES.initDirs, 5);
  const big = join(project, 'big', 'input', 'big.bin');
  genBigFile(big, SIZES.bigBytes);
  state.trees.push({ name: 'project of measurement 10', files: tree.files + 1, dirs: tree.dirs + 1, bytes: tree.bytes + SIZES.bigBytes, genS: (performance.now() - t0) / 1000 });
  writeProjectConfig(project, repos);
  const dsgEnv = { ...process.env, DSG_CONFIG_HOME: cfgHome };
  const title = `sync of one changed ${fmtBytes(SIZES.bigBytes)} file in a project of ${fmtInt(SIZES.initFiles + 1)} files`;
  try {
    await setupStep(`dsg init, ${fmtInt(SIZES.initFiles + 1)} files (measurement 10)`, process.execPath, dsgArgs('init'), { cwd: project, env: dsgEnv, timeoutMs: opts.setupTimeout * 1000 }, 'for information');
  } catch (e) {
    state.rows.push({ id: '10', title, notes: [`not measured: ${e.message}`], table: 'memory', sides: [], dsg: { label: 'dsg sync', warm: null, runs: [], median: null, rssKB: null, failure: 'not run' } });
    rmSync(base, { recursive: true, force: true });
    return;
  }
  await runGroup('10', title, [{
    label: 'dsg sync', cmd: process.execPath, args: dsgArgs('sync', '-m', 'bench 10'), cwd: project, env: dsgEnv,
    before: () => genBigFile(big, SIZES.bigBytes),
    check: oneUploadCheck,
  }], ['the big file gets fresh random bytes before each run'], 'memory');
  writeResults();
  log('removing the tree of measurement 10');
  rmSync(base, { recursive: true, force: true });
}

/**
 * Measurement 11: the status tree's three steps at ten times its size (issue 10: time and memory
 * grow linearly, ≤ 11× the 100,000-file figures of this run). Generated once; init once (it is
 * the setup of the rest), then status (nothing changed) and one-file sync like rows 1 and 9.
 */
async function scaleMeasurement(cfgHome) {
  const N = SIZES.scaleFiles;
  const base = join(state.runDir, 'scale');
  const project = join(base, 'project');
  const repos = join(base, 'repos');
  mkdirSync(repos, { recursive: true });
  log(`generating ${fmtInt(N)} files in ${fmtInt(SIZES.scaleDirs)} folders`);
  const t0 = performance.now();
  const tree = genSmallTree(project, N, SIZES.scaleDirs, 11);
  state.trees.push({ name: 'scale tree (measurement 11)', ...tree, genS: (performance.now() - t0) / 1000 });
  writeProjectConfig(project, repos);
  const dsgEnv = { ...process.env, DSG_CONFIG_HOME: cfgHome };
  const sc = { files: N, init: null, initFailure: null, status: null, sync: null };
  state.scale = sc;
  const limit = 10 * opts.setupTimeout;
  log(`measurement 11: dsg init of ${fmtInt(N)} files (limit ${limit} s)`);
  settle();
  const r = await measure(process.execPath, dsgArgs('init'), { cwd: project, env: dsgEnv, timeoutMs: limit * 1000 });
  const bad = r.timedOut ? `timed out (limit ${limit} s, killed)` : r.exit !== 0 ? `exit ${r.exit}` : initCheck(N)(r);
  log(`  init: ${fmtS(r.wall)} s, ${fmtMiB(r.rssKB)} MiB${bad ? ` — FAILED: ${bad}` : ''}`);
  if (bad) {
    sc.initFailure = bad;
    state.problems.push(describeFailure('11', { cmd: process.execPath, args: dsgArgs('init'), cwd: project }, { ...r, failure: bad }, 'init'));
  } else {
    sc.init = { s: r.wall, rssKB: r.rssKB };
    sc.status = await runGroup('11s', `status, nothing changed (${fmtInt(N)} files)`,
      [{ label: 'dsg status', cmd: process.execPath, args: dsgArgs('status'), cwd: project, env: dsgEnv, check: upToDateCheck }], [], 'scale');
    sc.sync = await runGroup('11y', `sync of one changed file (${fmtInt(N)} files)`,
      [oneFileSyncSide(project, dsgEnv, firstFile(project, N, SIZES.scaleDirs), '11')], [], 'scale');
    await verifyStatusCounts(project, dsgEnv, N, '11');
  }
  writeResults();
  log('removing the scale tree');
  rmSync(base, { recursive: true, force: true });
}

async function initMeasurement(id, title, kind, cfgHome) {
  const base = join(state.runDir, `init-${kind}`);
  const project = join(base, 'project');
  const repos = join(base, 'repos');
  const dest = join(base, 'rsync-dest');
  mkdirSync(project, { recursive: true });
  const t0 = performance.now();
  let tree;
  if (kind === 'small') {
    log(`generating ${fmtInt(SIZES.initFiles)} files in ${SIZES.initDirs} folders`);
    tree = genSmallTree(project, SIZES.initFiles, SIZES.initDirs, 3);
    state.trees.push({ name: `init tree (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  } else {
    log(`generating one file of ${fmtBytes(SIZES.bigBytes)}`);
    tree = genBigFile(join(project, 'input', 'big.bin'), SIZES.bigBytes);
    state.trees.push({ name: `big file (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  }
  writeProjectConfig(project, repos);
  const dsgEnv = { ...process.env, DSG_CONFIG_HOME: cfgHome };
  const fresh = () => {
    setAside(join(repos, 'bench'), base);
    rmSync(join(project, '.dsg'), { recursive: true, force: true });
    mkdirSync(repos, { recursive: true });
  };
  const row = await runPair(id, title,
    { label: 'dsg init', cmd: process.execPath, args: dsgArgs('init'), cwd: project, env: dsgEnv, before: fresh, check: initCheck(tree.files) },
    {
      // Both durable: dsg makes the repository durable before its commit point, so rsync's copy is flushed too.
      label: 'rsync -a + sync -f', cmd: 'sh', args: ['-c', 'rsync -a "$1/" "$2/" && sync -f "$2"', 'sh', project, dest], cwd: base,
      before: () => { fresh(); setAside(dest, base); },
    },
    ['fresh repository / destination each run (earlier ones moved aside, removed after the measurement)']);
  if (row.dsg.median) row.notes.push(`dsg ${(tree.bytes / row.dsg.median / 1e6).toFixed(0)} MB/s${kind === 'small' ? `, ${fmtInt(Math.round(tree.files / row.dsg.median))} files/s` : ''}`);
  if (row.other.median) row.notes.push(`rsync ${(tree.bytes / row.other.median / 1e6).toFixed(0)} MB/s${kind === 'small' ? `, ${fmtInt(Math.round(tree.files / row.other.median))} files/s` : ''}`);
  writeResults();
  log('removing the init tree');
  rmSync(base, { recursive: true, force: true });
}

// ---------------------------------------------------------------- ZFS pool (measurements 5–6)

/** The pool bench/run.sh started (scripts/zfs-pool.sh), or why there is none; datasets we created. */
const zfs = { pool: null, mount: null, unavailable: null, version: 'n/a', datasets: new Set() };

const sleepMs = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** One zfs call under `timeout` (zfs-fuse can hang; docs/design/zfs.md). */
function zfsCall(args, timeoutS = 60) {
  const r = spawnSync('timeout', [String(timeoutS), 'zfs', ...args], { encoding: 'utf8', timeout: (timeoutS + 10) * 1000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? r.error.message : ''}`.trim();
  return { ok: !r.error && r.status === 0, status: r.status, stdout: r.stdout ?? '', out };
}

function probeZfs() {
  const pool = process.env.DSG_TEST_ZFS_POOL;
  const mount = process.env.DSG_TEST_ZFS_MOUNT;
  if (!pool || !mount) {
    zfs.unavailable = process.env.DSG_BENCH_ZFS_UNAVAILABLE
      || 'no ZFS pool (DSG_TEST_ZFS_POOL / DSG_TEST_ZFS_MOUNT not set; bench/run.sh starts a throwaway zfs-fuse pool when it runs as root)';
    return;
  }
  zfs.mount = resolve(mount);
  zfs.version = firstLine('dpkg-query', ['-W', '-f', 'zfs-fuse ${Version}', 'zfs-fuse']);
  const r = zfsCall(['list', '-H', '-o', 'name,mountpoint', pool], 30);
  if (!r.ok) {
    zfs.unavailable = `\`zfs list ${pool}\` failed (exit ${r.status}): ${tail(r.out, 300)}`;
    return;
  }
  const mp = r.stdout.trim().split('\t')[1];
  if (!mp || resolve(mp) !== zfs.mount) {
    zfs.unavailable = `the pool ${pool} is mounted at ${mp}, not at DSG_TEST_ZFS_MOUNT`;
    return;
  }
  zfs.pool = pool;
}

/** Destroy a dataset this bench created: `zfs destroy -r`, retried on "dataset is busy"; never -f. */
function destroyDataset(ds) {
  zfsCall(['umount', ds]); // best effort: a mounted dataset often answers busy to the first destroy
  for (let attempt = 1; ; attempt++) {
    const r = zfsCall(['destroy', '-r', ds]);
    if (r.ok || /dataset does not exist/.test(r.out)) {
      zfs.datasets.delete(ds);
      return true;
    }
    if (!/dataset is busy/.test(r.out) || attempt >= 20) {
      state.problems.push(`Cleanup: \`zfs destroy -r ${ds}\` failed after ${attempt} attempt(s) (exit ${r.status}): ${tail(r.out, 300)}`);
      log(`could not destroy ${ds}: ${r.out}`);
      return false;
    }
    sleepMs(100);
  }
}

// ---------------------------------------------------------------- sync on ZFS vs on POSIX

let syncVersion = 0;

/** Rewrite every `step`-th small file with new random content and a new size (untimed). */
function rewriteSmall(paths, nChanged) {
  const version = ++syncVersion;
  const r = rng(0x5eed0000 + version);
  const step = Math.floor(paths.length / nChanged);
  for (let k = 0; k < nChanged; k++) {
    const size = SYNC_MIN_SIZE + Math.floor(r() * (SYNC_MAX_SIZE - SYNC_MIN_SIZE + 1));
    const off = Math.floor(r() * (POOL.length - size));
    const buf = Buffer.allocUnsafe(size);
    POOL.copy(buf, 0, off, off + size);
    buf.writeUInt32LE(k * step, 0); // (file, version) is unique: no content repeats
    buf.writeUInt32LE(version, 4);
    buf.writeUInt32LE(0xb5b5b5b5, 8);
    writeFileSync(paths[k * step], buf);
  }
}

/**
 * Measurements 5 (kind 'small') and 6 ('big'): `dsg sync` of fresh changes, one project on a ZFS
 * repository and one on a POSIX repository, alternating run by run. A ZFS half that cannot run
 * (no pool, init failed, pool too small) is recorded as not run; the POSIX half still runs.
 */
async function syncMeasurement(id, kind, cfgHome) {
  const small = kind === 'small';
  const base = join(state.runDir, `sync-${kind}`);
  const dsgEnv = { ...process.env, DSG_CONFIG_HOME: cfgHome };
  const title = small
    ? `sync of ${fmtInt(SIZES.syncChanged)} changed small files (of ${fmtInt(SIZES.syncFiles)}, 1–4 KiB)`
    : `sync of one changed ${fmtBytes(SIZES.bigBytes)} file`;
  const nChanged = small ? SIZES.syncChanged : 1;
  const unique = `${process.pid}-${randomBytes(3).toString('hex')}`;
  const sides = [];
  for (const backend of ['zfs', 'posix']) {
    const what = backend === 'zfs' ? 'ZFS' : 'POSIX';
    const project = join(base, backend, 'project');
    const name = `bench${id}-${unique}-${backend}`;
    const side = {
      label: `dsg sync, ${what}`, what, cmd: process.execPath, cwd: project, env: dsgEnv, paths: [], files: 0, dataset: null, notRun: null,
    };
    sides.push(side);
    if (backend === 'zfs') {
      if (!zfs.pool) {
        side.notRun = zfs.unavailable;
        continue;
      }
      if (!small) {
        // Every version stays (objects/ and the @sN snapshots): init + warm-up + runs.
        const needBytes = Math.ceil((opts.runs + 2) * SIZES.bigBytes * 1.05);
        try {
          const st = statfsSync(zfs.mount);
          const free = st.bavail * st.bsize;
          if (free < needBytes) {
            side.notRun = `the pool has ${fmtBytes(free)} free; ${opts.runs + 2} versions of the file need about ${fmtBytes(needBytes)} (every @sN snapshot keeps its version): give zfs_pool_start in bench/run.sh a bigger size, or lower --runs`;
            continue;
          }
        } catch { /* no statfs: try anyway */ }
      }
      side.dataset = `${zfs.pool}/${name}`;
      if (zfsCall(['list', '-H', '-o', 'name', side.dataset], 30).ok) {
        side.notRun = `the dataset ${side.dataset} exists already (not made by this run; left alone)`;
        continue;
      }
    }
    mkdirSync(project, { recursive: true });
    const t0 = performance.now();
    let tree;
    if (small) {
      log(`generating ${fmtInt(SIZES.syncFiles)} files in ${SIZES.syncDirs} folders (${what})`);
      tree = genSmallTree(project, SIZES.syncFiles, SIZES.syncDirs, 5, { minSize: SYNC_MIN_SIZE, maxSize: SYNC_MAX_SIZE, paths: side.paths });
    } else {
      log(`generating one file of ${fmtBytes(SIZES.bigBytes)} (${what})`);
      side.paths.push(join(project, 'input', 'big.bin'));
      tree = genBigFile(side.paths[0], SIZES.bigBytes);
    }
    side.files = tree.files;
    state.trees.push({ name: `sync ${kind === 'small' ? 'tree' : 'file'}, ${what} repository (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
    if (backend === 'zfs') {
      writeProjectConfig(project, zfs.mount, { name, zfsPool: zfs.pool });
      zfs.datasets.add(side.dataset); // dsg init creates it; destroyed after the measurement
    } else {
      const repos = join(base, backend, 'repos');
      mkdirSync(repos, { recursive: true });
      writeProjectConfig(project, repos, { name });
    }
    try {
      await setupStep(`dsg init, ${small ? `${fmtInt(tree.files)} files` : fmtBytes(tree.bytes)} (measurement ${id}, ${what} repository)`, process.execPath, dsgArgs('init'),
        { cwd: project, env: dsgEnv }, 'for information');
    } catch (e) {
      side.notRun = `${e.message}; see Problems`;
    }
  }

  for (const side of sides) {
    side.args = dsgArgs('sync', '-m', `bench ${id}`);
    side.before = small
      ? () => rewriteSmall(side.paths, nChanged)
      : () => { syncVersion++; genBigFile(side.paths[0], SIZES.bigBytes); }; // fresh random bytes
    const want = new RegExp(`Snapshot s\\d+ created: ${nChanged} uploaded`);
    side.check = (r) => (want.test(r.stdout) ? null : `expected "Snapshot sN created: ${nChanged} uploaded", got: ${tail(r.stdout, 300)}`);
  }
  const [zfsSide, posixSide] = sides;
  if (zfsSide.notRun && !zfsSide.files) state.problems.push(`Measurement ${id}: the ZFS half was not run: ${zfsSide.notRun}.`);
  const notes = [small ? `${fmtInt(nChanged)} files rewritten before each run` : 'the file rewritten with fresh random bytes before each run'];
  if (!zfsSide.notRun) notes.push('each ZFS sync includes its `zfs snapshot`; zfs-fuse');
  const row = await runPair(id, title, zfsSide, posixSide, notes, 'backends');

  const bytesPerRun = small ? nChanged * (SYNC_MIN_SIZE + SYNC_MAX_SIZE) / 2 : SIZES.bigBytes;
  for (const [side, acc] of [[zfsSide, row.dsg], [posixSide, row.other]]) {
    if (!acc.median) continue;
    row.notes.push(small
      ? `${side.what} ${fmtInt(Math.round(nChanged / acc.median))} files/s`
      : `${side.what} ${(bytesPerRun / acc.median / 1e6).toFixed(0)} MB/s`);
  }
  for (const [side, acc] of [[zfsSide, row.dsg], [posixSide, row.other]]) {
    if (side.notRun || acc.failure) continue;
    await verifyStatusCounts(side.cwd, dsgEnv, side.files, id);
  }
  if (zfsSide.dataset && !zfsSide.notRun && !row.dsg.failure) {
    const snaps = zfsCall(['list', '-H', '-o', 'name', '-t', 'snapshot', '-r', zfsSide.dataset], 30);
    const n = snaps.ok ? snaps.stdout.split('\n').filter((l) => l.includes('@')).length : null;
    const expected = opts.runs + 2; // init + warm-up + runs
    if (n !== expected) {
      state.problems.push(`Measurement ${id}: the ZFS dataset has ${n ?? `(zfs list failed: ${tail(snaps.out, 200)})`} snapshots afterwards; expected ${expected} (one per dsg snapshot: init, warm-up, ${opts.runs} run${opts.runs > 1 ? 's' : ''}).`);
    }
  }
  writeResults();
  log('removing the sync trees');
  rmSync(base, { recursive: true, force: true });
  if (zfsSide.dataset && zfs.datasets.has(zfsSide.dataset)) destroyDataset(zfsSide.dataset);
  writeResults();
}

// ---------------------------------------------------------------- uploads over SSH (measurements 7–8)

/** The sshd bench/run.sh started (scripts/sshd.sh), or why there is none; the client setup for dsg. */
const ssh = { dir: null, host: null, port: null, unavailable: null, home: null, cipher: 'n/a' };

/**
 * Check the test sshd (untimed): DSG_TEST_SSH_DIR / DSG_TEST_SSH_HOST set, `ssh -F … host true`
 * works. Then make the bench home for dsg: ~/.ssh/ with copies of config (IdentityFile and
 * UserKnownHostsFile pointed at the copies, as test/helpers/ssh.ts installSshConfig does),
 * known_hosts and the user key.
 */
function probeSsh() {
  const dir = process.env.DSG_TEST_SSH_DIR;
  const host = process.env.DSG_TEST_SSH_HOST;
  if (!dir || !host) {
    ssh.unavailable = process.env.DSG_BENCH_SSH_UNAVAILABLE
      || 'no test SSH server (DSG_TEST_SSH_DIR / DSG_TEST_SSH_HOST not set; bench/run.sh starts one with scripts/sshd.sh when rows 7–8 are selected)';
    return;
  }
  ssh.dir = resolve(dir);
  ssh.host = host;
  ssh.port = process.env.DSG_TEST_SSH_PORT ?? null;
  const r = spawnSync('ssh', ['-v', ...sshOpts(), host, 'true'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error || r.status !== 0) {
    ssh.unavailable = `\`ssh -F <sshd dir>/ssh/config ${host} true\` failed (${r.error ? r.error.message : `exit ${r.status}`}): ${scrub(tail(`${r.stderr ?? ''}`.split('\n').filter((l) => !l.startsWith('debug1:')).join('\n'), 300)) || '(no output)'}`;
    return;
  }
  const m = /kex: client->server cipher: (\S+) MAC: (\S+)/.exec(r.stderr ?? '');
  if (m) ssh.cipher = m[2] === '<implicit>' ? m[1] : `${m[1]} + ${m[2]}`;
  const home = join(state.runDir, 'ssh-home');
  const sshDir = join(home, '.ssh');
  mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  chmodSync(home, 0o700);
  chmodSync(sshDir, 0o700);
  const config = readFileSync(join(ssh.dir, 'config'), 'utf8')
    .replace(/^(\s*IdentityFile\s+).*$/m, `$1${join(sshDir, 'id_ed25519')}`)
    .replace(/^(\s*UserKnownHostsFile\s+).*$/m, `$1${join(sshDir, 'known_hosts')}`);
  writeFileSync(join(sshDir, 'config'), config, { mode: 0o600 });
  writeFileSync(join(sshDir, 'known_hosts'), readFileSync(join(ssh.dir, 'known_hosts')), { mode: 0o600 });
  writeFileSync(join(sshDir, 'id_ed25519'), readFileSync(join(ssh.dir, 'id_ed25519')), { mode: 0o600 });
  writeFileSync(join(sshDir, 'id_ed25519.pub'), readFileSync(join(ssh.dir, 'id_ed25519.pub')), { mode: 0o644 });
  ssh.home = home;
}

/** Options of every OpenSSH client call (ssh, and through it rsync; scp): the test server's config, never a prompt. */
const sshOpts = () => ['-F', join(ssh.dir, 'config'), '-o', 'BatchMode=yes'];

/** dsg's environment for an SSH repository: the bench home (its ~/.ssh/config names the alias), no agent. */
function sshDsgEnv(cfgHome) {
  const e = { ...process.env, HOME: ssh.home, DSG_CONFIG_HOME: cfgHome };
  delete e.SSH_AUTH_SOCK;
  return e;
}

/** After a dsg run (untimed, part of its check): `dsg status --json` must see every file unchanged. */
function statusCheckSync(project, dsgEnv, n) {
  const r = spawnSync(process.execPath, dsgArgs('status', '--json'), { cwd: project, env: dsgEnv, encoding: 'utf8', timeout: TIMEOUT_MS, maxBuffer: 64 << 20 });
  try {
    const j = JSON.parse(r.stdout);
    return j.upToDate === true && j.unchanged === n ? null : `\`dsg status --json\` afterwards reports upToDate=${j.upToDate}, unchanged=${j.unchanged} (expected true, ${n})`;
  } catch {
    return `\`dsg status --json\` afterwards did not print JSON (exit ${r.status}): ${tail(`${r.stdout ?? ''}${r.stderr ?? ''}`, 300)}`;
  }
}

/** Number of the tree's files (`*.bin`) below `dir`, and their bytes (to check a copy). */
function countTreeFiles(dir) {
  let files = 0;
  let bytes = 0;
  for (const ent of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!ent.isFile()) continue;
    const p = join(ent.parentPath ?? ent.path, ent.name);
    if (!ent.name.endsWith('.bin')) continue;
    files++;
    bytes += statSync(p).size;
  }
  return { files, bytes };
}

/**
 * The fifth column of rows 7–8: a lower bound for any upload that keeps dsg's promises, made with
 * OpenSSH and stock tools only (no dsg, no Node), to show how close to the targets dsg's design can
 * get on this machine. It does only the server-side work dsg must do, and skips all the client's:
 * - big: the file through `cat` into its place, then `sync -f` (dsg makes uploads durable before
 *   its commit point; rsync and scp do not flush). AES-GCM, the cipher ssh2 picks here.
 * - small: one tar stream, built beforehand (untimed), of the repository layout dsg must leave on
 *   the server: each file under its content name `objects/<h2>/<hash>` plus its place in the
 *   tree as a hard link to it (two names per file, as dsg's POSIX repository keeps), extracted
 *   by `tar -x`, then `sync -f`. No scan, no hashing, no manifest, no commit step.
 */
async function sshFloor(small, base, project, src, dest) {
  // dsg's own quoting of remote commands (the frozen build's), not a second one.
  const { shellQuote } = await import(pathToFileURL(join(dirname(DSG), '..', 'src', 'transport', 'ssh', 'shellQuote.js')).href);
  const file = join(dest, 'big.bin');
  const remoteCmd = small
    ? `${shellQuote(['mkdir', '-p', dest])} && ${shellQuote(['tar', '-x', '-m', '-f', '-', '-C', dest])} && ${shellQuote(['sync', '-f', dest])}`
    : `cat > ${shellQuote([file])} && ${shellQuote(['sync', '-f', file])}`;
  let input = src;
  if (small) {
    const layout = join(base, 'floor-layout');
    for (const ent of readdirSync(project, { recursive: true, withFileTypes: true })) {
      if (!ent.isFile()) continue;
      const p = join(ent.parentPath ?? ent.path, ent.name);
      const h = createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 32); // dsg's names are 32 hex digits
      const obj = join(layout, 'objects', h.slice(0, 2), h);
      const placed = join(layout, 'tree', p.slice(project.length + 1));
      mkdirSync(dirname(obj), { recursive: true });
      mkdirSync(dirname(placed), { recursive: true });
      if (!existsSync(obj)) linkSync(p, obj);
      linkSync(obj, placed);
    }
    input = join(base, 'floor.tar');
    execFileSync('tar', ['-c', '-f', input, '-C', layout, 'objects', 'tree']); // tree/ names become hard-link members
    rmSync(layout, { recursive: true, force: true });
  }
  return {
    cmd: 'sh', args: ['-c', 'f=$1; shift; exec "$@" < "$f"', 'sh', input, 'ssh', ...sshOpts(), '-c', 'aes128-gcm@openssh.com', ssh.host, remoteCmd], cwd: base,
  };
}

/**
 * Measurements 7 (kind 'big') and 8 ('small'): upload of a project over SSH to the test sshd on
 * 127.0.0.1. dsg init into a POSIX repository on the SSH host alias, vs rsync -a -e ssh, scp -O (the
 * legacy SCP protocol) and plain scp (the SFTP protocol, OpenSSH's default since 9.0) into fresh folders.
 * Each side's destination is made empty before its run and removed after it (untimed).
 */
async function sshMeasurement(id, kind, cfgHome) {
  const small = kind === 'small';
  const title = small
    ? `upload of ${fmtInt(SIZES.sshFiles)} small files (1–4 KiB) over SSH`
    : `upload of one ${fmtBytes(SIZES.bigBytes)} file over SSH`;
  const labels = ['dsg init', 'rsync -a -e ssh', 'scp -O', 'scp', small ? 'floor: OpenSSH tar -x of the repository layout + sync -f' : 'floor: OpenSSH cat + sync -f'];
  if (!ssh.host) {
    const row = {
      id, title, table: 'ssh', small, notes: [`not run: ${ssh.unavailable}`],
      sides: labels.map((label) => ({ label, warm: null, runs: [], median: null, rssKB: null, failure: 'not run' })),
    };
    row.dsg = row.sides[0];
    row.other = row.sides[1];
    state.rows.push(row);
    state.problems.push(`Measurement ${id} not run: ${ssh.unavailable}.`);
    writeResults();
    return;
  }
  const base = join(state.runDir, `ssh-${kind}`);
  const project = join(base, 'project');
  // The "remote" folders: on the SSH host, which is this machine (127.0.0.1), so the bench can
  // empty them and check what arrived without a connection.
  const remote = join(base, 'remote');
  const repos = join(remote, 'repos');
  mkdirSync(project, { recursive: true });
  const t0 = performance.now();
  let tree;
  if (small) {
    log(`generating ${fmtInt(SIZES.sshFiles)} files in ${SIZES.sshDirs} folders`);
    tree = genSmallTree(project, SIZES.sshFiles, SIZES.sshDirs, 8, { minSize: SYNC_MIN_SIZE, maxSize: SYNC_MAX_SIZE });
    state.trees.push({ name: `SSH upload tree (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  } else {
    log(`generating one file of ${fmtBytes(SIZES.bigBytes)}`);
    tree = genBigFile(join(project, 'input', 'big.bin'), SIZES.bigBytes);
    state.trees.push({ name: `SSH upload file (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  }
  writeProjectConfig(project, repos, { host: ssh.host });
  const dsgEnv = sshDsgEnv(cfgHome);
  const sshCmd = ['ssh', ...sshOpts()].join(' ');
  const fresh = (dir) => () => {
    setAside(dir, base);
    rmSync(join(project, '.dsg'), { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
  };
  const gone = (dir) => () => setAside(dir, base);
  /** What a copy must hold: every file of the tree, same bytes in total (and, for one file, its size). */
  const copyCheck = (dir) => () => {
    const got = countTreeFiles(dir);
    return got.files === tree.files && got.bytes === tree.bytes
      ? null
      : `the destination holds ${got.files} *.bin file(s), ${got.bytes} B; expected ${tree.files}, ${tree.bytes} B`;
  };
  // Small: the project folder (as row 3's rsync); big: the file itself, into <dest>/.
  const src = small ? `${project}/` : join(project, 'input', 'big.bin');
  const dests = { rsync: join(remote, 'rsync'), scpO: join(remote, 'scp-O'), scp: join(remote, 'scp-sftp'), floor: join(remote, 'floor') };
  const repoDir = join(repos, 'bench');
  const sides = [
    {
      label: labels[0], cmd: process.execPath, args: dsgArgs('init'), cwd: project, env: dsgEnv,
      before: fresh(repos), after: gone(repoDir), check: (r) => initCheck(tree.files)(r) ?? statusCheckSync(project, dsgEnv, tree.files),
    },
    {
      label: labels[1], cmd: 'rsync', args: ['-a', '-e', sshCmd, src, `${ssh.host}:${dests.rsync}/`], cwd: base,
      before: fresh(dests.rsync), check: copyCheck(dests.rsync), after: gone(dests.rsync),
    },
    {
      label: labels[2], cmd: 'scp', args: ['-O', ...sshOpts(), ...(small ? ['-r', '-p'] : ['-p']), small ? project : src, `${ssh.host}:${dests.scpO}/`], cwd: base,
      before: fresh(dests.scpO), check: copyCheck(dests.scpO), after: gone(dests.scpO),
    },
    {
      label: labels[3], cmd: 'scp', args: [...sshOpts(), ...(small ? ['-r', '-p'] : ['-p']), small ? project : src, `${ssh.host}:${dests.scp}/`], cwd: base,
      before: fresh(dests.scp), check: copyCheck(dests.scp), after: gone(dests.scp),
    },
    { label: labels[4], ...(await sshFloor(small, base, project, src, dests.floor)), before: fresh(dests.floor), check: copyCheck(dests.floor), after: gone(dests.floor) },
  ];
  const notes = ['fresh repository / destination each run (earlier ones moved aside, removed after the measurement)'];
  const row = await runGroup(id, title, sides, notes, 'ssh');
  for (const acc of row.sides) {
    if (!acc.median) continue;
    const name = acc.label.replace(/ .*/, '');
    const variant = acc.label === labels[2] ? ' -O' : '';
    row.notes.push(`${name}${variant} ${small ? `${fmtInt(Math.round(tree.files / acc.median))} files/s` : `${(tree.bytes / acc.median / 1e6).toFixed(0)} MB/s`}`);
  }
  row.small = small;
  row.bytes = tree.bytes;
  writeResults();
  log('removing the SSH upload tree');
  rmSync(base, { recursive: true, force: true });
}

// ---------------------------------------------------------------- uploads to S3 (measurements 12–13)

/** The bucket of rows 12–13 on the test gateway (made once, untimed, before the first run). */
const S3_BUCKET = 'dsg-bench';
/**
 * rclone's --transfers of the third column of row 12: dsg's PutObjects in flight per batch of small
 * files (ObjectTransaction's PUTS_IN_FLIGHT). dsg runs two such batches at once (up to 32 requests),
 * but rclone gained nothing from 16 to 32 here (a separate trial: 46 s vs 50–53 s), so 16 it is.
 */
const S3_RCLONE_MANY = 16;

/**
 * The RGW bench/run.sh started (scripts/s3.sh), or why there is none; the environments of dsg and
 * rclone; rclone's defaults as the installed rclone states them.
 */
const s3 = {
  endpoint: null, dir: null, unavailable: null, dsgEnv: null, rcloneEnv: null, baseline: null,
  // rclone 1.60's; replaced by what `rclone help flags` says when rows 12–13 run.
  defaults: { transfers: '4', checkers: '8', 's3-upload-cutoff': '200Mi', 's3-chunk-size': '5Mi', 's3-upload-concurrency': '4' },
  // dsg's upload constants as the measured build has them (read by dsgUploadConstants; null: not found).
  dsg: { putsInFlight: null, minPartMiB: null, partsInFlight: null, singlePutMaxMiB: null },
};

/**
 * A compiled module of the frozen build (`<snapshot>/src/<rel>`, tsc's output beside the bundle in
 * `<snapshot>/bin/`), for the constants the Method text quotes; '' when it is not there (the text
 * then says "?").
 */
function builtSource(rel) {
  try {
    return readFileSync(join(dirname(DSG), '..', 'src', ...rel.split('/')), 'utf8');
  } catch {
    return '';
  }
}

/** dsg's S3 upload constants, read from the frozen build (they change with dsg; the Method text quotes them). */
function dsgUploadConstants() {
  const num = (text, re) => { const m = re.exec(text); return m ? Number(m[1]) : null; };
  const tx = builtSource('remote/objects/ObjectTransaction.js');
  const st = builtSource('remote/objects/s3/S3Store.js');
  s3.dsg = {
    putsInFlight: num(tx, /const PUTS_IN_FLIGHT = (\d+);/),
    minPartMiB: num(st, /const MIN_PART = (\d+) << 20;/),
    partsInFlight: num(st, /const PARTS_IN_FLIGHT = (\d+);/),
    singlePutMaxMiB: num(st, /SINGLE_PUT_MAX = (\d+) << 20;/),
  };
}

/** One rclone call against the bench remote (untimed): `--config /dev/null`, the remote from the environment. */
function rclone(args, timeoutMs = TIMEOUT_MS) {
  return spawnSync('rclone', ['--config', '/dev/null', ...args], { env: s3.rcloneEnv, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20 });
}
const rcloneOut = (r) => `${r.error ? `${r.error.message} ` : ''}${r.stdout ?? ''}${r.stderr ?? ''}`.trim();

function probeS3() {
  const endpoint = process.env.DSG_TEST_S3_ENDPOINT;
  const key = process.env.DSG_TEST_S3_ACCESS_KEY;
  const secret = process.env.DSG_TEST_S3_SECRET_KEY;
  if (!endpoint || !key || !secret) {
    s3.unavailable = process.env.DSG_BENCH_S3_UNAVAILABLE
      || 'no test S3 server (DSG_TEST_S3_ENDPOINT / DSG_TEST_S3_ACCESS_KEY / DSG_TEST_S3_SECRET_KEY not set; bench/run.sh starts one with scripts/s3.sh when rows 12–13 are selected)';
    return;
  }
  s3.dir = process.env.DSG_TEST_S3_DIR ? resolve(process.env.DSG_TEST_S3_DIR) : null;
  s3.dsgEnv = { ...process.env, AWS_ACCESS_KEY_ID: key, AWS_SECRET_ACCESS_KEY: secret };
  delete s3.dsgEnv.AWS_SESSION_TOKEN;
  delete s3.dsgEnv.AWS_PROFILE;
  // rclone: its defaults, so no inherited RCLONE_* setting; AWS_CA_BUNDLE makes its S3 backend fail every call.
  const e = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('RCLONE_')));
  delete e.AWS_CA_BUNDLE;
  s3.rcloneEnv = {
    ...e,
    RCLONE_CONFIG_DSGBENCH_TYPE: 's3',
    RCLONE_CONFIG_DSGBENCH_PROVIDER: 'Ceph',
    RCLONE_CONFIG_DSGBENCH_ENDPOINT: endpoint,
    RCLONE_CONFIG_DSGBENCH_ACCESS_KEY_ID: key,
    RCLONE_CONFIG_DSGBENCH_SECRET_ACCESS_KEY: secret,
  };
  const help = spawnSync('rclone', ['help', 'flags'], { encoding: 'utf8', timeout: 30_000 });
  for (const flag of ['transfers', 'checkers', 's3-chunk-size', 's3-upload-concurrency', 's3-upload-cutoff']) {
    const m = new RegExp(`--${flag} \\S+\\s.*\\(default ([^)]+)\\)`).exec(help.stdout ?? '');
    if (m) s3.defaults[flag] = m[1];
  }
  // The bucket, made once here so that no timed run creates it (dsg init and rclone would both do it).
  const mk = rclone(['mkdir', `dsgbench:${S3_BUCKET}`], 60_000);
  if (mk.error || mk.status !== 0) {
    s3.unavailable = `\`rclone mkdir dsgbench:${S3_BUCKET}\` on ${endpoint} failed (${mk.error ? mk.error.message : `exit ${mk.status}`}): ${scrub(tail(rcloneOut(mk), 300)) || '(no output)'}`;
    return;
  }
  s3.endpoint = endpoint;
}

/** The OSD's used bytes (memstore: what it holds in RAM), from its admin socket; null if unknown. */
function s3UsedBytes() {
  if (!s3.dir) return null;
  let sock;
  try { sock = readdirSync(s3.dir).find((n) => /^osd\.\d+\.asok$/.test(n)); } catch { return null; }
  if (!sock) return null;
  const r = spawnSync('ceph', ['--admin-daemon', join(s3.dir, sock), 'perf', 'dump'], { encoding: 'utf8', timeout: 30_000, maxBuffer: 16 << 20 });
  try {
    const used = JSON.parse(r.stdout).osd?.stat_bytes_used;
    return typeof used === 'number' ? used : null;
  } catch {
    return null;
  }
}

/**
 * After a run (untimed): delete everything under `prefix` in the bench bucket, have radosgw free
 * the deleted objects' data now (its garbage collector; multipart parts and tails go through it),
 * and wait until the OSD holds no more than before the measurement, so memstore (RAM) never keeps
 * more than one run's upload. Returns a problem (text) or null.
 */
function s3Purge(prefix) {
  const t0 = performance.now();
  const held = s3UsedBytes();
  const p = rclone(['purge', `dsgbench:${S3_BUCKET}/${prefix}`]);
  // A prefix nothing was written to (a run that failed early) is "directory not found": nothing to do.
  if ((p.error || p.status !== 0) && !/directory not found/i.test(rcloneOut(p))) {
    return `\`rclone purge dsgbench:${S3_BUCKET}/${prefix}\` failed (${p.error ? p.error.message : `exit ${p.status}`}): ${tail(rcloneOut(p), 300)}`;
  }
  if (!s3.dir || s3.baseline == null) return null;
  spawnSync('radosgw-admin', ['-c', join(s3.dir, 'ceph.conf'), 'gc', 'process', '--include-all'], { encoding: 'utf8', timeout: 120_000 });
  const slack = 64 * 2 ** 20;
  for (;;) {
    const used = s3UsedBytes();
    if (used == null || used <= s3.baseline + slack) {
      log(`  cleanup: the OSD held ${held == null ? '?' : fmtBytes(held)}; ${prefix} purged, back to ${used == null ? '?' : fmtBytes(used)} in ${fmtS((performance.now() - t0) / 1000)} s`);
      return null;
    }
    if (performance.now() - t0 > 180_000) {
      return `after \`rclone purge\` of ${prefix} and \`radosgw-admin gc process\`, the OSD still holds ${fmtBytes(used)} (${fmtBytes(s3.baseline)} before the measurement) after 180 s`;
    }
    sleepMs(500);
  }
}

/** `rclone size --json` of a prefix of the bench bucket: { count, bytes } or an error text. */
function s3Size(prefix) {
  const r = rclone(['size', '--json', `dsgbench:${S3_BUCKET}/${prefix}`]);
  if (r.error || r.status !== 0) return { error: `\`rclone size\` failed (${r.error ? r.error.message : `exit ${r.status}`}): ${tail(rcloneOut(r), 300)}` };
  try {
    const j = JSON.parse(r.stdout);
    return { count: j.count, bytes: j.bytes };
  } catch {
    return { error: `\`rclone size --json\` did not print JSON: ${tail(r.stdout ?? '', 300)}` };
  }
}

/**
 * Measurements 12 (kind 'small') and 13 ('big'): upload of a project to the test RGW. `dsg init`
 * into an empty prefix, vs `rclone copy` with its defaults (and, for many files, with
 * --transfers 16) into an empty prefix. Every run gets a prefix of its own, purged after the run.
 */
async function s3Measurement(id, kind, cfgHome) {
  const small = kind === 'small';
  const title = small
    ? `upload of ${fmtInt(SIZES.s3Files)} small files (1–4 KiB) to S3`
    : `upload of one ${fmtBytes(SIZES.bigBytes)} file to S3`;
  const labels = small ? ['dsg init', 'rclone copy', `rclone copy --transfers ${S3_RCLONE_MANY}`] : ['dsg init', 'rclone copy'];
  if (!s3.endpoint) {
    const row = {
      id, title, table: 's3', small, notes: [`not run: ${s3.unavailable}`],
      sides: labels.map((label) => ({ label, warm: null, runs: [], median: null, rssKB: null, failure: 'not run' })),
    };
    row.dsg = row.sides[0];
    row.other = row.sides[1];
    state.rows.push(row);
    state.problems.push(`Measurement ${id} not run: ${s3.unavailable}.`);
    writeResults();
    return;
  }
  const base = join(state.runDir, `s3-${kind}`);
  const project = join(base, 'project');
  mkdirSync(project, { recursive: true });
  const t0 = performance.now();
  let tree;
  if (small) {
    log(`generating ${fmtInt(SIZES.s3Files)} files in ${SIZES.s3Dirs} folders`);
    tree = genSmallTree(project, SIZES.s3Files, SIZES.s3Dirs, 12, { minSize: SYNC_MIN_SIZE, maxSize: SYNC_MAX_SIZE });
    state.trees.push({ name: `S3 upload tree (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  } else {
    log(`generating one file of ${fmtBytes(SIZES.bigBytes)}`);
    tree = genBigFile(join(project, 'input', 'big.bin'), SIZES.bigBytes);
    state.trees.push({ name: `S3 upload file (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  }
  const dsgEnv = { ...s3.dsgEnv, DSG_CONFIG_HOME: cfgHome };
  // Every run (of every side) writes below a prefix of its own: `<top>/<n>-<side>`.
  const top = `bench${id}-${process.pid}-${randomBytes(3).toString('hex')}`;
  let runNo = 0;
  const current = {}; // side key -> prefix of its run in progress
  s3.baseline = s3UsedBytes();
  const purgeAfter = (key) => () => {
    const problem = s3Purge(current[key]);
    if (problem) {
      state.problems.push(`Measurement ${id}, cleanup after ${key}: ${problem}.`);
      log(`  cleanup: ${problem}`);
    }
  };
  /** A destination must hold every file of the tree, with the tree's bytes in total. */
  const sizeCheck = (prefix, what) => {
    const got = s3Size(prefix);
    if (got.error) return `${what}: ${got.error}`;
    return got.count === tree.files && got.bytes === tree.bytes
      ? null
      : `${what} holds ${got.count} object(s), ${got.bytes} B; expected ${tree.files}, ${tree.bytes} B`;
  };
  const dsgSide = {
    label: labels[0], cmd: process.execPath, args: dsgArgs('init'), cwd: project, env: dsgEnv,
    before: () => {
      current.dsg = `${top}/${++runNo}-dsg`;
      rmSync(join(project, '.dsg'), { recursive: true, force: true });
      writeFileSync(join(project, '.dsgconfig.yml'),
        `name: bench\nrepository: {type: s3, bucket: ${S3_BUCKET}, prefix: ${JSON.stringify(current.dsg)}, endpoint: ${JSON.stringify(s3.endpoint)}}\ndata_dirs: [input]\n`);
    },
    // Content is stored by hash under <prefix>/<name>/objects/; every file of the tree is distinct.
    check: (r) => initCheck(tree.files)(r) ?? sizeCheck(`${current.dsg}/bench/objects`, `the repository's objects/ (s3://${S3_BUCKET}/${current.dsg}/bench/objects)`),
    after: purgeAfter('dsg'),
  };
  const rcloneSide = (key, label, extra) => ({
    label, cmd: 'rclone', cwd: base, env: s3.rcloneEnv,
    // The source is the data only: the project's .dsg/ (from dsg's runs) is removed, its .dsgconfig.yml excluded.
    get args() {
      return small
        ? ['--config', '/dev/null', 'copy', ...extra, '--exclude', '/.dsgconfig.yml', project, `dsgbench:${S3_BUCKET}/${current[key]}`]
        : ['--config', '/dev/null', 'copy', ...extra, join(project, 'input', 'big.bin'), `dsgbench:${S3_BUCKET}/${current[key]}`];
    },
    before: () => {
      current[key] = `${top}/${++runNo}-${key}`;
      rmSync(join(project, '.dsg'), { recursive: true, force: true });
    },
    check: () => sizeCheck(current[key], `the destination s3://${S3_BUCKET}/${current[key]}`),
    after: purgeAfter(key),
  });
  const sides = [dsgSide, rcloneSide('rclone', labels[1], [])];
  if (small) sides.push(rcloneSide(`rclone${S3_RCLONE_MANY}`, labels[2], ['--transfers', String(S3_RCLONE_MANY)]));
  const notes = ['fresh prefix each run, purged after it (untimed)'];
  const row = await runGroup(id, title, sides, notes, 's3');
  for (const acc of row.sides) {
    if (!acc.median) continue;
    const name = acc.label === labels[0] ? 'dsg' : acc.label.replace(/^rclone copy/, 'rclone').trim();
    row.notes.push(`${name} ${small ? `${fmtInt(Math.round(tree.files / acc.median))} files/s` : `${(tree.bytes / acc.median / 1e6).toFixed(0)} MB/s`}`);
  }
  row.small = small;
  row.bytes = tree.bytes;
  // Whatever a failed run left (normally nothing: each run's prefix is purged after it).
  const left = s3Purge(top);
  if (left) state.problems.push(`Measurement ${id}, final cleanup: ${left}.`);
  writeResults();
  log('removing the S3 upload tree');
  rmSync(base, { recursive: true, force: true });
}

// ---------------------------------------------------------------- IPFS blockstore vs POSIX (measurements 14–15)

/** The repository key and passphrase of rows 14–15 (a throwaway repository in the work dir). */
const IPFS_DID = 'did:key:z6MkBench';
const IPFS_PASSPHRASE = 'dsg bench passphrase (throwaway)';

/** dsg's IPFS constants as the measured build has them (the Method text of rows 14–15 quotes them; null: not found). */
const ipfsConsts = { sealChunkMiB: null, sealOverhead: null, unixfsChunkKiB: null, importOptions: null, importerVersion: 'n/a', scrypt: null, scryptS: null };

function dsgIpfsConstants() {
  const num = (text, re) => { const m = re.exec(text); return m ? Number(m[1].replaceAll('_', '')) : null; };
  const crypto = builtSource('remote/objects/ipfs/crypto.js');
  const imp = /const IMPORT = (\{[^}]*\});/.exec(builtSource('remote/objects/ipfs/IpfsStore.js'))?.[1] ?? null;
  let importer = '';
  try { importer = readFileSync(join(ROOT, 'node_modules', 'ipfs-unixfs-importer', 'dist', 'src', 'constants.js'), 'utf8'); } catch { /* not installed */ }
  const shift = num(crypto, /export const CHUNK = 1 << (\d+);/);
  const iv = num(crypto, /const IV = (\d+);/);
  const tag = num(crypto, /const TAG = (\d+);/);
  const chunk = num(importer, /DEFAULT_CHUNK_SIZE_256KIB = ([\d_]+);/);
  ipfsConsts.sealChunkMiB = shift == null ? null : 2 ** (shift - 20);
  ipfsConsts.sealOverhead = iv != null && tag != null ? iv + tag : null;
  ipfsConsts.importOptions = imp;
  // The importer's fixed-size chunker keeps its default only when dsg sets no chunker, chunkSize or profile.
  ipfsConsts.unixfsChunkKiB = imp && chunk != null && !/chunk|profile/i.test(imp) ? chunk / 1024 : null;
  ipfsConsts.importerVersion = depVersion('ipfs-unixfs-importer');
  const sc = /const SCRYPT = \{ N: 1 << (\d+), r: (\d+), p: (\d+)/.exec(crypto);
  ipfsConsts.scrypt = sc ? { logN: Number(sc[1]), r: Number(sc[2]), p: Number(sc[3]) } : null;
}

/** What deriving the repository keys costs here (scrypt with crypto.ts's parameters, median of 3), for the Method text. */
function scryptCost() {
  const c = ipfsConsts.scrypt;
  if (!c) return;
  const s = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    scryptSync('bench', `dsg-ipfs-v1\0${IPFS_DID}`, 32, { N: 2 ** c.logN, r: c.r, p: c.p, maxmem: 256 << 20 });
    s.push((performance.now() - t0) / 1000);
  }
  ipfsConsts.scryptS = median(s);
}

/** Sum of the sizes of the regular files below `dir` and their number (untimed checks). */
function folderBytes(dir) {
  let files = 0;
  let bytes = 0;
  for (const ent of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!ent.isFile()) continue;
    files++;
    bytes += statSync(join(ent.parentPath ?? ent.path, ent.name)).size;
  }
  return { files, bytes };
}

/**
 * Measurements 14 (kind 'small') and 15 ('big'): `dsg init` of one tree into a fresh encrypted
 * IPFS blockstore vs into a fresh POSIX repository, alternating run by run. One project folder;
 * before every run (untimed) its `.dsg/` is deleted, its `.dsgconfig.yml` names the side's
 * repository, and the side's earlier repository / blockstore is moved aside.
 */
async function ipfsMeasurement(id, kind, cfgHome) {
  const small = kind === 'small';
  const title = small
    ? `init of ${fmtInt(SIZES.s3Files)} small files (1–4 KiB)`
    : `init of one ${fmtBytes(SIZES.bigBytes)} file`;
  const base = join(state.runDir, `ipfs-${kind}`);
  const project = join(base, 'project');
  const blockstore = join(base, 'blockstore'); // made by dsg init (its parent must exist)
  const repos = join(base, 'repos');
  const repoDir = join(repos, 'bench');
  mkdirSync(project, { recursive: true });
  const t0 = performance.now();
  let tree;
  if (small) {
    log(`generating ${fmtInt(SIZES.s3Files)} files in ${SIZES.s3Dirs} folders`);
    tree = genSmallTree(project, SIZES.s3Files, SIZES.s3Dirs, 14, { minSize: SYNC_MIN_SIZE, maxSize: SYNC_MAX_SIZE });
    state.trees.push({ name: `IPFS/POSIX init tree (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  } else {
    log(`generating one file of ${fmtBytes(SIZES.bigBytes)}`);
    tree = genBigFile(join(project, 'input', 'big.bin'), SIZES.bigBytes);
    state.trees.push({ name: `IPFS/POSIX init file (measurement ${id})`, ...tree, genS: (performance.now() - t0) / 1000 });
  }
  const posixEnv = { ...process.env, DSG_CONFIG_HOME: cfgHome };
  delete posixEnv.DSG_IPFS_PASSPHRASE;
  const ipfsEnv = { ...posixEnv, DSG_IPFS_PASSPHRASE: IPFS_PASSPHRASE };
  const config = (repository) => writeFileSync(join(project, '.dsgconfig.yml'), `name: bench\nrepository: ${repository}\ndata_dirs: [input]\n`);
  const fresh = (dir, repository) => () => {
    setAside(dir, base);
    rmSync(join(project, '.dsg'), { recursive: true, force: true });
    mkdirSync(repos, { recursive: true });
    config(repository);
  };
  const seen = { blocks: null, blockBytes: null, records: null };
  /** The blockstore holds at least the data's bytes in blocks/ (sealed: more) and a name record per file. */
  const blockstoreCheck = () => {
    const blocksDir = join(blockstore, 'blocks');
    if (!existsSync(blocksDir)) return `the blockstore ${blocksDir} does not exist`;
    const b = folderBytes(blocksDir);
    const namesDir = join(blockstore, 'repos', encodeURIComponent(IPFS_DID), 'names');
    const n = existsSync(namesDir) ? folderBytes(namesDir) : { files: 0, bytes: 0 };
    Object.assign(seen, { blocks: b.files, blockBytes: b.bytes, records: n.files });
    if (b.bytes < tree.bytes) return `blocks/ holds ${b.files} block(s), ${b.bytes} B: less than the tree's ${tree.bytes} B`;
    if (n.files < tree.files) return `names/ holds ${n.files} record(s); expected at least one per file (${tree.files})`;
    return null;
  };
  /** The POSIX repository holds every file of the tree, with the tree's bytes in total. */
  const posixCheck = () => {
    if (!existsSync(repoDir)) return `the repository ${repoDir} does not exist`;
    const got = countTreeFiles(repoDir);
    return got.files === tree.files && got.bytes === tree.bytes
      ? null
      : `the repository holds ${got.files} *.bin file(s), ${got.bytes} B; expected ${tree.files}, ${tree.bytes} B`;
  };
  const ipfsSide = {
    label: 'dsg init → IPFS', cmd: process.execPath, args: dsgArgs('init'), cwd: project, env: ipfsEnv,
    before: fresh(blockstore, `{type: ipfs, did: ${JSON.stringify(IPFS_DID)}, encrypted: true, blockstore: ${JSON.stringify(blockstore)}}`),
    check: (r) => initCheck(tree.files)(r) ?? blockstoreCheck(),
    after: () => setAside(blockstore, base),
  };
  const posixSide = {
    label: 'dsg init → POSIX', cmd: process.execPath, args: dsgArgs('init'), cwd: project, env: posixEnv,
    before: fresh(repoDir, `{type: xfs, host: localhost, mountpoint: ${JSON.stringify(repos)}}`),
    check: (r) => initCheck(tree.files)(r) ?? posixCheck(),
    after: () => setAside(repoDir, base),
  };
  const notes = ['fresh blockstore / repository each run (earlier ones moved aside, removed after the measurement)'];
  const row = await runPair(id, title, ipfsSide, posixSide, notes, 'ipfs');
  row.small = small;
  row.bytes = tree.bytes;
  for (const [what, acc] of [['IPFS', row.dsg], ['POSIX', row.other]]) {
    if (!acc.median) continue;
    row.notes.push(`${what} ${small ? `${fmtInt(Math.round(tree.files / acc.median))} files/s` : `${(tree.bytes / acc.median / 1e6).toFixed(0)} MB/s`}`);
  }
  if (seen.blocks != null) {
    row.notes.push(`blockstore after a run: ${fmtInt(seen.blocks)} blocks, ${fmtBytes(seen.blockBytes)} (${(seen.blockBytes / tree.bytes).toFixed(3)}× the data), ${fmtInt(seen.records)} name records`);
  }
  writeResults();
  log('removing the IPFS/POSIX init tree');
  rmSync(base, { recursive: true, force: true });
}

// ---------------------------------------------------------------- main

function cleanup() {
  if (currentChild) {
    try { process.kill(-currentChild.pid, 'SIGKILL'); } catch { /* gone */ }
  }
  for (const ds of [...zfs.datasets]) destroyDataset(ds);
  if (state.runDir && !opts.keep) rmSync(state.runDir, { recursive: true, force: true });
  if (distSnapshot) rmSync(distSnapshot, { recursive: true, force: true });
}

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => {
    log(`${sig}: stopping, cleaning up`);
    state.problems.push(`Run interrupted by ${sig}.`);
    try { writeResults(); } catch { /* best effort */ }
    cleanup();
    process.exit(130);
  });
}

async function main() {
  for (const [what, path] of [['dsg build', BUILT_DSG], ['GNU time', TIME]]) {
    if (!existsSync(path)) {
      process.stderr.write(`bench: ${what} not found at ${path} (run bench/run.sh, or npm run build)\n`);
      process.exit(1);
    }
  }
  const workRoot = opts.workdir ?? join(BENCH_DIR, 'work');
  mkdirSync(workRoot, { recursive: true });
  state.runDir = mkdtempSync(join(workRoot, `run-${MODE}-`));
  distSnapshot = mkdtempSync(join(BENCH_DIR, 'work', 'dist-'));
  cpSync(join(ROOT, 'dist', 'src'), join(distSnapshot, 'src'), { recursive: true });
  cpSync(join(ROOT, 'dist', 'bin'), join(distSnapshot, 'bin'), { recursive: true });
  DSG = join(distSnapshot, 'bin', 'dsg.js');
  const probe = spawnSync(process.execPath, [DSG, '--version'], { encoding: 'utf8', timeout: 60_000 });
  if (probe.status !== 0) {
    process.stderr.write(`bench: the dsg build does not start (node dist/bin/dsg.js --version): ${probe.error?.message ?? ''}${probe.stderr ?? ''}\n`);
    cleanup();
    process.exit(1);
  }
  env.dsgBuild = `--version ${probe.stdout.trim()}, dist/ built ${statSync(BUILT_DSG).mtime.toISOString()}`;
  dsgUploadConstants(); // quoted in the Method text of rows 12–13
  dsgIpfsConstants(); // quoted in the Method text of rows 14–15
  env.nproc = firstLine('nproc', []);
  env.loadStart = loadavg().map((x) => x.toFixed(2)).join(' ');
  env.fstype = firstLine('findmnt', ['-n', '-o', 'FSTYPE', '-T', state.runDir]);
  if (env.fstype === 'n/a') env.fstype = firstLine('stat', ['-f', '-c', '%T', state.runDir]);
  env.diskLine = diskWriteLine(state.runDir);
  log(env.diskLine);
  env.dsgVersion = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version;
  env.gitRev = (() => {
    const rev = firstLine('git', ['-C', ROOT, 'rev-parse', '--short', 'HEAD']);
    const dirty = spawnSync('git', ['-C', ROOT, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).stdout?.trim();
    return dirty ? `${rev}, src/ modified` : rev;
  })();
  env.gitVersion = firstLine('git', ['--version']);
  env.rsyncVersion = firstLine('rsync', ['--version']).replace(/\s+protocol.*/, '');
  env.xxhsumVersion = firstLine('xxhsum', ['--version']).replace(/ by .*/, '');
  if (wanted(5) || (wanted(6) && opts.big)) {
    probeZfs();
    env.zfsLine = zfs.pool
      ? `ZFS for rows 5–6: ${zfs.version}; a throwaway file-backed pool (${fmtBytes(statfsSync(zfs.mount).blocks * statfsSync(zfs.mount).bsize)} file system) from \`scripts/zfs-pool.sh\``
      : `ZFS for rows 5–6: not available (${zfs.unavailable})`;
    log(env.zfsLine);
  }
  if (wanted(8) || (wanted(7) && opts.big)) {
    probeSsh();
    let ssh2Version = 'n/a';
    let ssh2Cipher = 'n/a';
    try { ssh2Version = JSON.parse(readFileSync(join(ROOT, 'node_modules', 'ssh2', 'package.json'), 'utf8')).version; } catch { /* not installed */ }
    try {
      // dsg leaves ssh2's algorithm list alone: its first cipher (chosen by ssh2 from the CPU's AES support) is what a stock sshd agrees to.
      ssh2Cipher = createRequire(join(ROOT, 'package.json'))('ssh2/lib/protocol/constants.js').DEFAULT_CIPHER[0] ?? 'n/a';
    } catch { /* layout changed */ }
    env.sshLine = ssh.host
      ? `SSH for rows 7–8: dsg through ssh2 ${ssh2Version} (its preferred cipher here: ${ssh2Cipher}); ${firstLine('ssh', ['-V'])} for rsync and scp (negotiated cipher: ${ssh.cipher}); client and sshd both on 127.0.0.1 of this machine`
      : `SSH for rows 7–8: not available (${ssh.unavailable})`;
    log(env.sshLine);
  }
  if (wanted(12) || (wanted(13) && opts.big)) {
    probeS3();
    const d = s3.defaults;
    env.s3Line = s3.endpoint
      ? `S3 for rows 12–13: Ceph ${(/ceph version (\S+)/.exec(firstLine('radosgw', ['--version'])) ?? [0, '?'])[1]} RADOS Gateway (beast) with one OSD on memstore and one monitor, from \`scripts/s3.sh\`, on 127.0.0.1 of this machine (${scrub(s3.endpoint)}); dsg through @aws-sdk/client-s3 ${depVersion('@aws-sdk/client-s3')}; ${firstLine('rclone', ['--version'])} with its defaults (\`--transfers ${d.transfers}\`, \`--checkers ${d.checkers}\`, \`--s3-upload-cutoff ${d['s3-upload-cutoff']}\`, \`--s3-chunk-size ${d['s3-chunk-size']}\`, \`--s3-upload-concurrency ${d['s3-upload-concurrency']}\`)`
      : `S3 for rows 12–13: not available (${s3.unavailable})`;
    log(env.s3Line);
  }

  if (wanted(14) || (wanted(15) && opts.big)) {
    scryptCost();
    const c = ipfsConsts;
    env.ipfsLine = `IPFS for rows 14–15: dsg's embedded blockstore (no daemon), through ipfs-unixfs-importer ${c.importerVersion} (import options ${c.importOptions ?? 'n/a'}; UnixFS chunks of ${c.unixfsChunkKiB ?? '?'} KiB), encrypted (AES-256-GCM, ${c.sealChunkMiB ?? '?'} MiB sealed chunks); blockstore and POSIX repository both in the work dir`;
    log(env.ipfsLine);
  }

  // Rough disk-space guard. Every measurement removes its folder when it ends, so what the run
  // needs at its peak is the largest single measurement, not the sum of all of them (the sum,
  // ~84 GiB for a full run, refused to start on a disk with 76 GiB free), plus the ZFS pool's
  // image for rows 5-6. Per measurement: its tree about three times (tree, repository, copy),
  // the sync rows every version (init, warm-up, runs) of their repository, and the outputs moved
  // aside (setAside), which stay until their measurement ends. Small files count 6,000 B each.
  const smallTree = (files) => files * 6000;
  const big = SIZES.bigBytes;
  const runs = opts.runs;
  const perMeasurement = [
    wanted(3) ? 3 * smallTree(SIZES.initFiles) + (runs + 1) * 2 * smallTree(SIZES.initFiles) : 0,
    wanted(4) && opts.big ? 3 * big + (runs + 1) * 2 * big : 0,
    wanted(5) ? 3 * smallTree(SIZES.syncFiles) * (runs + 2) : 0,
    wanted(6) && opts.big ? 2 * (runs + 3) * big : 0,
    wanted(7) && opts.big ? 3 * big + (runs + 1) * 5 * big : 0, // five sides: dsg, rsync, scp -O, scp, floor
    wanted(8) ? 4 * smallTree(SIZES.sshFiles) + (runs + 1) * 5 * smallTree(SIZES.sshFiles) : 0, // and the floor's tar
    wanted(12) ? 3 * smallTree(SIZES.s3Files) : 0,
    wanted(13) && opts.big ? 3 * big : 0,
    wanted(14) ? 3 * smallTree(SIZES.s3Files) + (runs + 1) * 2 * smallTree(SIZES.s3Files) : 0,
    wanted(15) && opts.big ? 3 * big + (runs + 1) * 2 * big : 0,
    // Row 10 keeps every version of its big file in the repository.
    wanted(10) && opts.big ? 3 * smallTree(SIZES.initFiles) + (runs + 3) * big : 0,
    wanted(1) || wanted(2) || wanted(9) ? 3 * smallTree(SIZES.statusFiles) : 0,
    wanted(11) ? 3 * smallTree(SIZES.scaleFiles) : 0,
  ];
  const zfsPoolImage = wanted(5) || wanted(6) ? 6 * 2 ** 30 : 0; // bench/run.sh: zfs_pool_start 6G
  const need = Math.max(...perMeasurement) + zfsPoolImage;
  const fsInfo = statfsSync(state.runDir);
  const free = fsInfo.bavail * fsInfo.bsize;
  if (free < need) {
    process.stderr.write(`bench: only ${fmtBytes(free)} free under ${state.runDir}, need about ${fmtBytes(need)}\n`);
    cleanup();
    process.exit(1);
  }
  log(`mode ${MODE}; work dir ${state.runDir}; results → ${opts.out}`);

  const cfgHome = join(state.runDir, 'config');
  mkdirSync(cfgHome, { recursive: true });
  writeFileSync(join(cfgHome, 'dsg.yml'), 'user_name: Bench\nuser_id: bench@example.org\n');

  writeResults();
  const t0 = performance.now();
  const steps = [];
  if (wanted(3)) steps.push(() => initMeasurement(3, `init of ${fmtInt(SIZES.initFiles)} small files into an empty repository`, 'small', cfgHome));
  if (wanted(4) && opts.big) steps.push(() => initMeasurement(4, `init of one ${fmtBytes(SIZES.bigBytes)} file into an empty repository`, 'big', cfgHome));
  if (wanted(5)) steps.push(() => syncMeasurement(5, 'small', cfgHome));
  if (wanted(6) && opts.big) steps.push(() => syncMeasurement(6, 'big', cfgHome));
  if (wanted(7) && opts.big) steps.push(() => sshMeasurement(7, 'big', cfgHome));
  if (wanted(8)) steps.push(() => sshMeasurement(8, 'small', cfgHome));
  if (wanted(12)) steps.push(() => s3Measurement(12, 'small', cfgHome));
  if (wanted(13) && opts.big) steps.push(() => s3Measurement(13, 'big', cfgHome));
  if (wanted(14)) steps.push(() => ipfsMeasurement(14, 'small', cfgHome));
  if (wanted(15) && opts.big) steps.push(() => ipfsMeasurement(15, 'big', cfgHome));
  if (wanted(10) && opts.big) steps.push(() => bigInManyMeasurement(cfgHome));
  if (wanted(1) || wanted(2) || wanted(9)) steps.push(async () => {
    let ok = false;
    try {
      ok = await statusMeasurements(cfgHome, SIZES.statusFiles, SIZES.statusDirs);
    } finally {
      if (!ok) {
        const why = `the ${fmtInt(SIZES.statusFiles)}-file dsg init did not finish (see Problems)`;
        await statusMeasurements(cfgHome, SIZES.initFiles, SIZES.initDirs, 'b', why);
      }
    }
  });
  if (wanted(11)) steps.push(() => scaleMeasurement(cfgHome));
  for (const step of steps) {
    try {
      await step();
    } catch (e) {
      state.problems.push(`Bench error: ${e.message}`);
      log(`error: ${e.stack ?? e.message}`);
    }
  }
  state.totalS = (performance.now() - t0) / 1000;
  env.loadEnd = loadavg().map((x) => x.toFixed(2)).join(' ');
  state.finished = true;
  writeResults();
  cleanup();
  log(`done in ${fmtS(state.totalS)} s; results in ${opts.out}`);
  for (const r of [...state.rows].sort((a, b) => String(a.id).localeCompare(String(b.id)))) {
    if (r.table === 'ssh') {
      log(`  ${r.id}. ${r.title}: ${r.sides.map((x) => `${x.label} ${fmtS(x.median)} s`).join(', ')}` +
        (r.dsg.median && r.other.median ? ` (time dsg/rsync ${(r.dsg.median / r.other.median).toFixed(2)}×)` : ''));
      continue;
    }
    if (r.table === 's3') {
      log(`  ${r.id}. ${r.title}: ${r.sides.map((x) => `${x.label} ${fmtS(x.median)} s`).join(', ')}` +
        (r.dsg.median && r.other.median ? ` (time dsg/rclone ${(r.dsg.median / r.other.median).toFixed(2)}×)` : ''));
      continue;
    }
    if (r.table === 'ipfs') {
      log(`  ${r.id}. ${r.title}: IPFS ${fmtS(r.dsg.median)} s vs POSIX ${fmtS(r.other.median)} s` +
        (r.dsg.median && r.other.median ? ` (time IPFS/POSIX ${(r.dsg.median / r.other.median).toFixed(2)}×)` : ''));
      continue;
    }
    if (r.table === 'memory' || r.table === 'scale') {
      log(`  ${r.id}. ${r.title}: ${fmtS(r.dsg.median)} s, ${fmtMiB(r.dsg.rssKB)} MiB`);
      continue;
    }
    log(`  ${r.id}. ${r.title}: ${r.table === 'backends' ? 'ZFS' : 'dsg'} ${fmtS(r.dsg.median)} s vs ${r.table === 'backends' ? 'POSIX' : r.other.label} ${fmtS(r.other.median)} s` +
      (r.dsg.median && r.other.median ? ` (${(r.dsg.median / r.other.median).toFixed(2)}×)` : ''));
  }
  if (state.problems.length) log(`${state.problems.length} problem(s) recorded in ${opts.out}`);
}

main().catch((e) => {
  log(`fatal: ${e.stack ?? e.message}`);
  state.problems.push(`Fatal bench error: ${e.message}`);
  try { writeResults(); } catch { /* best effort */ }
  cleanup();
  process.exit(1);
});
