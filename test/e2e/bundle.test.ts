/**
 * The installed command is a bundle (scripts/bundle.mjs). What a bundler can silently break:
 * files the code finds next to itself at run time (the scan's worker thread falls back to one
 * thread when its file is missing, so nothing else would notice), and the packages left
 * outside the bundle, which must still resolve from it.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CLI } from '../helpers/cli.js';

const BIN = dirname(CLI);

describe('the bundled command', () => {
  it('every file the bundle opens relative to itself exists (new URL("./x.js", import.meta.url))', () => {
    const refs = new Set<string>();
    for (const f of readdirSync(BIN).filter((n) => n.endsWith('.js'))) {
      for (const m of readFileSync(join(BIN, f), 'utf8').matchAll(/new URL\(\s*["'](\.\/[^"']+)["']\s*,\s*import\.meta\.url\s*\)/g)) refs.add(m[1]);
    }
    assert.ok(refs.has('./scanWorker.js'), `the scan starts its worker by URL: ${[...refs].join(', ')}`);
    for (const r of refs) assert.ok(existsSync(join(BIN, r)), `${r} is next to the bundle`);
  });

  it("the scan's worker thread starts from the bundle and says it is ready", async () => {
    const w = new Worker(new URL('scanWorker.js', pathToFileURL(`${BIN}/`)));
    try {
      const first = await new Promise((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
      });
      assert.deepEqual(first, { ready: true });
    } finally {
      await w.terminate();
    }
  });
});
