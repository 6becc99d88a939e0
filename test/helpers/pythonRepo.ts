/**
 * Repositories and working copies as the Python dsg 0.4.4 leaves them, assembled from its
 * golden files (test/fixtures/python-dsg-0.4.4): the repository holds the data tree,
 * `.dsg/last-sync.json` and `.dsg/sync-messages.json` only (no archive/, no objects/), and its
 * sync-messages may lag one snapshot behind; a working copy keeps archives of the snapshots
 * before its current one in `.dsg/archive/`.
 */
import { copyFileSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parseManifest } from '../../src/manifest/codec.js';
import { parseSyncMessages, serializeSyncMessages } from '../../src/manifest/syncMessages.js';
import { buildFixtureTree, FIXTURES, fixtureText, fixtureTree } from './fixtures.js';

export interface PythonRepoOptions {
  /** The current snapshot (1–3); default 3. */
  snapshot?: number;
  /** Leave the current snapshot out of sync-messages.json, as the Python tool can. */
  lag?: boolean;
}

/** The fixture's sync-messages.json holding s1…s`upTo`, in the Python tool's bytes. */
export function fixtureSyncMessages(upTo: number): string {
  const sm = parseSyncMessages(fixtureText('sync-messages.json'), 'fixture sync-messages.json');
  for (const id of [...sm.snapshots.keys()]) if (Number(id.slice(1)) > upTo) sm.snapshots.delete(id);
  return serializeSyncMessages(sm);
}

/** A repository at `repo` as the Python tool leaves it at snapshot sN. */
export function makePythonRepository(repo: string, opts: PythonRepoOptions = {}): void {
  const n = opts.snapshot ?? 3;
  const manifest = parseManifest(fixtureText(`s${n}-last-sync.json`), `s${n}`);
  // The repository tree holds exactly the manifest's entries.
  for (const f of fixtureTree(n).files) {
    if (!manifest.entries.has(f.path)) continue;
    const abs = join(repo, ...f.path.split('/'));
    mkdirSync(dirname(abs), { recursive: true });
    if (f.type === 'link') symlinkSync(f.target!, abs);
    else {
      writeFileSync(abs, Buffer.from(f.content_b64 ?? '', 'base64'));
      utimesSync(abs, (f.mtime_ns ?? 0) / 1e9, (f.mtime_ns ?? 0) / 1e9);
    }
  }
  mkdirSync(join(repo, '.dsg'), { recursive: true });
  copyFileSync(join(FIXTURES, `s${n}-last-sync.json`), join(repo, '.dsg', 'last-sync.json'));
  writeFileSync(join(repo, '.dsg', 'sync-messages.json'), fixtureSyncMessages(opts.lag ? n - 1 : n));
}

/**
 * A working copy at `dir` as the Python tool leaves it after syncing sN: the scanned tree
 * (with untracked and hidden files), its manifest, sync-messages, and archives of s1…s(N-1).
 */
export function makePythonWorkingCopy(dir: string, n = 3): void {
  buildFixtureTree(dir, n);
  mkdirSync(join(dir, '.dsg', 'archive'), { recursive: true });
  copyFileSync(join(FIXTURES, `s${n}-last-sync.json`), join(dir, '.dsg', 'last-sync.json'));
  writeFileSync(join(dir, '.dsg', 'sync-messages.json'), fixtureSyncMessages(n));
  for (let i = 1; i < n; i++) copyFileSync(join(FIXTURES, 'archive', `s${i}-sync.json.lz4`), join(dir, '.dsg', 'archive', `s${i}-sync.json.lz4`));
}
