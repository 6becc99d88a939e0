/**
 * Two working copies in conflict, one row of each conflict kind (the conflict and --prefer
 * suites share it): Ana and Ben change the same files; Ben synced first.
 *   input/all         changed on both sides        input/add         added on both sides
 *   input/del_local   Ana deleted it, Ben changed  input/del_remote  Ben deleted it, Ana changed
 */
import assert from 'node:assert/strict';
import { copyFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { dsg, put, type Sandbox } from './cli.js';

export function conflictScene(box: Sandbox) {
  const envA = box.userEnv('Ana', 'ana@example.org');
  const envB = box.userEnv('Ben', 'ben@example.org');
  const A = box.project('a');
  const B = box.project('b');
  for (let i = 0; i < 6; i++) put(A, `input/keep${i}`, `keep ${i}`);
  for (const f of ['all', 'del_local', 'del_remote']) put(A, `input/${f}`, `${f} v1`);
  assert.equal(dsg(A, envA, 'init').code, 0);
  copyFileSync(join(A, '.dsgconfig.yml'), join(B, '.dsgconfig.yml'));
  assert.equal(dsg(B, envB, 'clone').code, 0);
  put(B, 'input/all', 'all from ben');
  put(B, 'input/del_local', 'del_local from ben');
  put(B, 'input/add', 'add from ben');
  unlinkSync(join(B, 'input/del_remote'));
  assert.equal(dsg(B, envB, 'sync', '-m', 'ben').code, 0);
  put(A, 'input/all', 'all from ana');
  unlinkSync(join(A, 'input/del_local'));
  put(A, 'input/add', 'add from ana');
  put(A, 'input/del_remote', 'del_remote from ana');
  return { A, B, envA, envB, repo: box.repo() };
}
