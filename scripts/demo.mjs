#!/usr/bin/env node
// The embedded default, end to end: a sample project, a local POSIX repository and two
// working copies in a temporary directory. Prints every command and its output.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, writeFileSync, readFileSync, rmSync, copyFileSync, symlinkSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An argument as a POSIX shell would need it, so a printed command can be pasted as it is. */
function shellQuote(arg) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'dist', 'bin', 'dsg.js');
const base = mkdtempSync(join(tmpdir(), 'dsg-demo-'));
const repos = join(base, 'repos');
const alice = join(base, 'alice', 'survey');
const bob = join(base, 'bob', 'survey');
mkdirSync(repos);

function userEnv(name, email) {
  const dir = join(base, 'config', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'dsg.yml'), `user_name: ${name}\nuser_id: ${email}\n`);
  return { ...process.env, DSG_CONFIG_HOME: dir };
}
const envAlice = userEnv('Alice', 'alice@example.org');
const envBob = userEnv('Bob', 'bob@example.org');

function dsg(who, cwd, env, ...args) {
  console.log(`\n[${who}] $ dsg ${args.map(shellQuote).join(' ')}`);
  try {
    const out = execFileSync(process.execPath, [cli, ...args], { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    process.stdout.write(out.replace(/^/gm, '    '));
  } catch (e) {
    process.stdout.write(`${e.stdout ?? ''}${e.stderr ?? ''}`.replace(/^/gm, '    '));
    throw new Error(`dsg ${args[0]} failed (exit ${e.status})`);
  }
}
function write(root, rel, text) {
  mkdirSync(dirname(join(root, rel)), { recursive: true });
  writeFileSync(join(root, rel), text);
  console.log(`\n[edit] ${rel}`);
}

console.log(`Demo directory: ${base}`);
console.log('A sample project: two tasks with input/ and output/ data directories.');
write(alice, 'task1/input/wave1.csv', 'id,score\n1,10\n2,20\n');
write(alice, 'task1/input/wave2.csv', 'id,score\n3,30\n');
write(alice, 'task1/output/summary.csv', 'wave,mean\n1,15\n');
write(alice, 'task1/src/clean.R', '# code is not data: not tracked\n');
mkdirSync(join(alice, 'task2/input'), { recursive: true });
symlinkSync('../../task1/output/summary.csv', join(alice, 'task2/input/summary.csv'));
console.log('\n[link] task2/input/summary.csv -> ../../task1/output/summary.csv');

dsg('alice', alice, envAlice, 'init', '--name', 'survey', '--mountpoint', repos, '-m', 'first import');
dsg('alice', alice, envAlice, 'status');

console.log('\nBob gets the project code (here: just its .dsgconfig.yml) and clones the data.');
mkdirSync(bob, { recursive: true });
copyFileSync(join(alice, '.dsgconfig.yml'), join(bob, '.dsgconfig.yml'));
dsg('bob', bob, envBob, 'clone');

appendFileSync(join(alice, 'task1/input/wave2.csv'), '4,40\n');
console.log('\n[edit] task1/input/wave2.csv (alice adds a row)');
write(alice, 'task1/output/model.txt', 'score ~ wave\n');
dsg('alice', alice, envAlice, 'sync', '-m', 'wave 2 complete, first model');

dsg('bob', bob, envBob, 'status');
dsg('bob', bob, envBob, 'sync');
console.log(`\n[bob] wave2.csv now reads:\n${readFileSync(join(bob, 'task1/input/wave2.csv'), 'utf8').replace(/^/gm, '    ')}`);

write(bob, 'task1/output/summary.csv', 'wave,mean\n1,15\n2,35\n');
rmSync(join(bob, 'task1/output/model.txt'));
console.log('\n[edit] bob deletes task1/output/model.txt');
dsg('bob', bob, envBob, 'sync', '-m', 'summary for wave 2; model dropped');

dsg('alice', alice, envAlice, 'sync');
dsg('alice', alice, envAlice, 'status');
dsg('alice', alice, envAlice, 'log');
dsg('alice', alice, envAlice, 'list-files');
console.log(`\nDone. Everything is in ${base} (remove it when you are finished).`);
