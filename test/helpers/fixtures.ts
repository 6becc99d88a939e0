/** Access to the golden files written by the Python dsg 0.4.4 (test/fixtures/python-dsg-0.4.4). */
import { mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
// From test/helpers or dist/test/helpers to the repository's test/fixtures.
const repoRoot = here.includes(join('dist', 'test')) ? resolve(here, '..', '..', '..') : resolve(here, '..', '..');
export const FIXTURES = join(repoRoot, 'test', 'fixtures', 'python-dsg-0.4.4');

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function fixtureBytes(name: string): Buffer {
  return readFileSync(join(FIXTURES, name));
}

export interface TreeFile {
  path: string;
  type: 'file' | 'link';
  content_b64?: string;
  mtime_ns?: number;
  target?: string;
}

export interface FixtureTree {
  data_dirs: string[];
  files: TreeFile[];
}

export function fixtureTree(n: number): FixtureTree {
  return JSON.parse(fixtureText(`s${n}-tree.json`)) as FixtureTree;
}

/** Build snapshot n's tree on disk under root, with exact mtimes (as far as JSON numbers allow). */
export function buildFixtureTree(root: string, n: number): FixtureTree {
  const tree = fixtureTree(n);
  for (const f of tree.files) {
    const abs = join(root, ...f.path.split('/'));
    mkdirSync(dirname(abs), { recursive: true });
    if (f.type === 'link') symlinkSync(f.target!, abs);
    else {
      writeFileSync(abs, Buffer.from(f.content_b64 ?? '', 'base64'));
      // Seconds matter for the manifest; utimes takes fractional seconds.
      const s = (f.mtime_ns ?? 0) / 1e9;
      utimesSync(abs, s, s);
    }
  }
  return tree;
}
