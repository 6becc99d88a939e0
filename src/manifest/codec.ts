/**
 * Byte-compatible manifest JSON codec and its hashes (SPEC §2.3).
 *
 * Writing: 2-space indentation, UTF-8, non-ASCII unescaped, no trailing newline, entry fields
 * in fixed order. Reading: verifies entry_count and entries_hash (in file order) and rejects
 * hostile entries; a manifest that fails is an error, never "empty".
 */
import { createHash } from 'node:crypto';
import { ManifestError } from '../errors/ManifestError.js';
import { StreamingHash, xxh3Hex } from './hash.js';
import { isIntegerLikeKey, JsonSyntaxError, JsonTooDeepError, parseOrderedJson, toPlain, type OrderedJson } from './orderedJson.js';
import { JSON_MAX_DEPTH } from './limits.js';
import type { Entry, FileEntry, JsonValue, LinkEntry, Manifest, ManifestMetadata } from './types.js';

const q = JSON.stringify;

/** Compact JSON of one entry, fields in format order: the unit `entries_hash` is built from. */
export function entryCompactJson(e: Entry): string {
  return e.type === 'file'
    ? `{"type":"file","path":${q(e.path)},"user":${q(e.user)},"filesize":${e.filesize},"mtime":${q(e.mtime)},"hash":${q(e.hash)}}`
    : `{"type":"link","path":${q(e.path)},"user":${q(e.user)},"reference":${q(e.reference)}}`;
}

/** Characters of entry JSON joined at a time (computeEntriesHash, serializeManifest). */
const BATCH_CHARS = 1 << 20;

/**
 * XXH3 of the entries' compact JSON, concatenated. Fed to a streaming hasher about 1 MB at a
 * time (the same value as hashing the whole text at once): for 100,000 entries the whole text
 * was a 20 MB string, built twice per sync, that only a full garbage collection frees.
 */
export function computeEntriesHash(entries: Iterable<Entry>): string {
  const hash = new StreamingHash();
  let parts: string[] = [];
  let chars = 0;
  for (const e of entries) {
    const json = entryCompactJson(e);
    parts.push(json);
    chars += json.length;
    if (chars >= BATCH_CHARS) {
      hash.update(Buffer.from(parts.join('')));
      parts = [];
      chars = 0;
    }
  }
  if (parts.length > 0) hash.update(Buffer.from(parts.join('')));
  return hash.digest();
}

/** Compact JSON with object keys sorted, as the old tool hashed project_config. */
function sortedCompactJson(v: JsonValue): string {
  if (Array.isArray(v)) return `[${v.map(sortedCompactJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v).sort();
    return `{${keys.map((k) => `${q(k)}:${sortedCompactJson(v[k])}`).join(',')}}`;
  }
  return q(v);
}

export function computeSnapshotHash(
  entriesHash: string,
  message: string,
  projectConfig: ManifestMetadata['project_config'],
  previousSnapshotHash: string | null,
): string {
  const cfg = projectConfig && Object.keys(projectConfig).length > 0 ? sortedCompactJson(projectConfig) : '';
  return xxh3Hex(entriesHash + message + cfg + (previousSnapshotHash ?? ''));
}

/** Metadata fields in format order (also the order of sync-messages snapshot objects). */
export const METADATA_FIELDS = [
  'manifest_version',
  'snapshot_id',
  'created_at',
  'entry_count',
  'entries_hash',
  'created_by',
  'snapshot_message',
  'snapshot_previous',
  'snapshot_hash',
  'snapshot_notes',
  'project_config',
] as const satisfies readonly (keyof ManifestMetadata)[];

export function orderedMetadata(m: ManifestMetadata): ManifestMetadata {
  const o = {} as Record<string, unknown>;
  for (const k of METADATA_FIELDS) o[k] = m[k];
  return o as unknown as ManifestMetadata;
}

/** Indent every line but the first of a JSON.stringify(…, null, 2) block. */
export function indentJson(block: string, by: string): string {
  return block.replace(/\n/g, `\n${by}`);
}

function entryPretty(e: Entry): string {
  const I = '      ';
  return e.type === 'file'
    ? `{\n${I}"type": "file",\n${I}"path": ${q(e.path)},\n${I}"user": ${q(e.user)},\n${I}"filesize": ${e.filesize},\n${I}"mtime": ${q(e.mtime)},\n${I}"hash": ${q(e.hash)}\n    }`
    : `{\n${I}"type": "link",\n${I}"path": ${q(e.path)},\n${I}"user": ${q(e.user)},\n${I}"reference": ${q(e.reference)}\n    }`;
}

/**
 * The last manifest serialized and its text. A sync serializes the manifest it stages twice
 * (the repository's copy, then the working copy's last-sync.json): the second time is this
 * text (22 MB for 100,000 entries). Manifests are not changed once built, so the same object
 * has the same text. One slot, so at most one text is kept alive.
 */
let lastSerialized: { manifest: Manifest; text: string } | null = null;

export function serializeManifest(m: Manifest): string {
  if (lastSerialized?.manifest === m) return lastSerialized.text;
  const text = serializeManifestText(m);
  lastSerialized = { manifest: m, text };
  return text;
}

function serializeManifestText(m: Manifest): string {
  const out: string[] = [];
  out.push('{\n  "entries": ');
  if (m.entries.size === 0) out.push('{}');
  else {
    out.push('{\n');
    // Entries are joined into flat strings about 1 MB at a time: kept until the end, each
    // entry's text is a tree of a dozen small strings (~700 B), 70 MB for 100,000 entries.
    let batch: string[] = [];
    let chars = 0;
    let first = true;
    for (const [k, e] of m.entries) {
      const text = `${first ? '' : ',\n'}    ${q(k)}: ${entryPretty(e)}`;
      first = false;
      batch.push(text);
      chars += text.length;
      if (chars >= BATCH_CHARS) {
        out.push(batch.join(''));
        batch = [];
        chars = 0;
      }
    }
    out.push(batch.join(''), '\n  }');
  }
  out.push(',\n  "metadata": ', indentJson(JSON.stringify(orderedMetadata(m.metadata), null, 2), '  '), '\n}');
  return out.join('');
}

/** Entries sorted by path in Unicode code point order (how writers order them). */
export function sortEntries(entries: Iterable<Entry>): Map<string, Entry> {
  const byPath = new Map<string, Entry>();
  for (const e of entries) byPath.set(e.path, e);
  return new Map(sortPaths([...byPath.keys()]).map((p) => [p, byPath.get(p)!]));
}

const SURROGATE = /[\uD800-\uDFFF]/;

/** Sort paths by code point, in place; the native sort is that order when no path leaves the BMP. */
export function sortPaths(paths: string[]): string[] {
  return paths.some((p) => SURROGATE.test(p)) ? paths.sort(comparePaths) : paths.sort();
}

/** Code-point order (JS `<` on strings compares UTF-16 units, which differs above U+FFFF). */
export function comparePaths(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      const xs = x >= 0xd800 && x <= 0xdfff;
      const ys = y >= 0xd800 && y <= 0xdfff;
      if (xs !== ys) return xs ? 1 : -1; // a surrogate (≥ U+10000) sorts after any BMP unit
      return x - y;
    }
  }
  return a.length - b.length;
}

// ---- reading ----

const HEX16 = /^[0-9a-f]{16}$/;
const SNAPSHOT_ID = /^s[1-9]\d*$/;

/** Why a manifest path is unsafe to use on a file system, or null. */
export function unsafePathReason(p: string): string | null {
  if (p.length === 0) return 'is empty';
  if (p.startsWith('/')) return 'is absolute';
  if (p.includes('\0')) return 'contains a NUL byte';
  for (const c of p.split('/')) {
    if (c === '') return 'has an empty component';
    if (c === '..') return 'contains ".."';
    if (c === '.') return 'contains "."';
  }
  if (isDsgDir(p.split('/', 1)[0])) return 'lies inside .dsg/';
  return null;
}

/** `.dsg` in any case: on macOS and Windows, which share these repositories, `.DSG` is the same folder. */
function isDsgDir(component: string | undefined): boolean {
  return component !== undefined && component.toLowerCase() === '.dsg';
}

/** How many links one resolution may pass through, as the kernel's ELOOP limit. */
const MAX_LINK_HOPS = 40;

/**
 * Links whose target, followed through the other links of the same tree, leaves the project
 * or enters .dsg/ (each link alone may look harmless: `l2 -> l1/..` with `l1 -> ..`).
 * `links` maps link path to target; returns path → reason for each bad link.
 */
export function escapingLinks(links: ReadonlyMap<string, string>): Map<string, string> {
  const bad = new Map<string, string>();
  for (const [path, target] of links) {
    const why = resolveThroughLinks(path, target, links);
    if (why) bad.set(path, why);
  }
  return bad;
}

function resolveThroughLinks(linkPath: string, target: string, links: ReadonlyMap<string, string>): string | null {
  let hops = 0;
  // Components still to walk, and where the walk stands (project-relative).
  const resolve = (from: string[], ref: string): string[] | string => {
    const stack = [...from];
    for (const c of ref.split('/')) {
      if (c === '' || c === '.') continue;
      if (c === '..') {
        if (stack.length === 0) return `resolves outside the project through other links ("${ref}")`;
        stack.pop();
        continue;
      }
      stack.push(c);
      const next = links.get(stack.join('/'));
      if (next !== undefined) {
        if (++hops > MAX_LINK_HOPS) return 'is part of a loop of links';
        const here = stack.slice(0, -1);
        const got = resolve(here, next);
        if (typeof got === 'string') return got;
        stack.length = 0;
        stack.push(...got);
      }
    }
    return stack;
  };
  const got = resolve(linkPath.split('/').slice(0, -1), target);
  if (typeof got === 'string') return got;
  return isDsgDir(got[0]) ? `points into .dsg/ through other links ("${target}")` : null;
}

/** A link target must stay relative and inside the project. */
export function unsafeLinkReason(linkPath: string, reference: string): string | null {
  if (reference.length === 0) return 'has an empty target';
  if (reference.startsWith('/')) return `has an absolute target "${reference}"`;
  const parts = linkPath.split('/').slice(0, -1);
  for (const c of reference.split('/')) {
    if (c === '..') {
      if (parts.length === 0) return `points outside the project ("${reference}")`;
      parts.pop();
    } else if (c !== '' && c !== '.') parts.push(c);
  }
  if (isDsgDir(parts[0])) return `points into .dsg/ ("${reference}")`;
  return null;
}

type Obj = Map<string, OrderedJson>;

function isObj(v: OrderedJson | undefined): v is Obj {
  return v instanceof Map;
}

const FILE_FIELDS = ['type', 'path', 'user', 'filesize', 'mtime', 'hash'];
const LINK_FIELDS = ['type', 'path', 'user', 'reference'];

/**
 * True when `v` is a plain object (from JSON.parse) whose keys are exactly `fields`, in that
 * order. Once those fields are checked, it can be the entry itself, the same as a copy (also
 * for anything that prints it): a copy per entry doubled the memory a parse needs (100,000
 * entries: ~20 MB more, and as much garbage).
 */
function hasExactly(v: object, fields: readonly string[]): boolean {
  if (v instanceof Map) return false;
  let i = 0;
  for (const k in v) if (k !== fields[i++]) return false;
  return i === fields.length;
}

/** One entry, from an ordered Map or (fast path) a plain object. */
function readEntry(key: string, v: unknown, label: string): Entry {
  const bad = (why: string): never => {
    throw new ManifestError(`${label}: entry ${q(key)} ${why}. The manifest is corrupt or was not written by dsg; restore it from a backup or re-sync.`);
  };
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return bad('is not an object');
  const get: (f: string) => unknown = v instanceof Map ? (f) => v.get(f) : (f) => (v as Record<string, unknown>)[f];
  const str = (f: string): string => {
    const x = get(f);
    if (typeof x !== 'string') return bad(`has no string field "${f}"`);
    return x;
  };
  const type = str('type');
  const path = str('path');
  if (path !== key) bad(`has path ${q(path)} that differs from its key`);
  const why = unsafePathReason(path);
  if (why) bad(`path ${why}`);
  const user = str('user');
  if (type === 'file') {
    const filesize = get('filesize');
    if (typeof filesize !== 'number' || !Number.isSafeInteger(filesize) || filesize < 0) bad('has an invalid filesize');
    const hash = str('hash');
    if (!HEX16.test(hash)) bad('has an invalid hash');
    const mtime = str('mtime');
    if (hasExactly(v, FILE_FIELDS)) return v as FileEntry;
    return { type: 'file', path, user, filesize: filesize as number, mtime, hash };
  }
  if (type === 'link') {
    const reference = str('reference');
    const lw = unsafeLinkReason(path, reference);
    if (lw) bad(lw);
    if (hasExactly(v, LINK_FIELDS)) return v as LinkEntry;
    return { type: 'link', path, user, reference };
  }
  return bad(`has unknown type ${q(type)}`);
}

/** Validate and type a metadata object (from a manifest or from sync-messages). */
export function readMetadata(v: OrderedJson | undefined, label: string): ManifestMetadata {
  const bad = (why: string): never => {
    throw new ManifestError(`${label}: metadata ${why}.`);
  };
  if (!isObj(v)) return bad('is missing or not an object');
  const str = (f: string): string => {
    const x = v.get(f);
    if (typeof x !== 'string') return bad(`field "${f}" is missing or not a string`);
    return x;
  };
  const strOrNull = (f: string): string | null => {
    const x = v.get(f);
    if (x !== null && typeof x !== 'string') return bad(`field "${f}" must be a string or null`);
    return x ?? null;
  };
  const count = v.get('entry_count');
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) bad('field "entry_count" is not a count');
  const id = str('snapshot_id');
  if (!SNAPSHOT_ID.test(id)) bad(`snapshot_id ${q(id)} is not of the form sN`);
  const prev = strOrNull('snapshot_previous');
  if (prev !== null && !SNAPSHOT_ID.test(prev)) bad(`snapshot_previous ${q(prev)} is not of the form sN`);
  const pc = v.get('project_config');
  if (pc !== undefined && pc !== null && !isObj(pc)) bad('field "project_config" must be an object or null');
  return {
    manifest_version: str('manifest_version'),
    snapshot_id: id,
    created_at: str('created_at'),
    entry_count: count as number,
    entries_hash: str('entries_hash'),
    created_by: strOrNull('created_by'),
    snapshot_message: typeof v.get('snapshot_message') === 'string' ? (v.get('snapshot_message') as string) : '',
    snapshot_previous: prev,
    snapshot_hash: str('snapshot_hash'),
    snapshot_notes: typeof v.get('snapshot_notes') === 'string' ? (v.get('snapshot_notes') as string) : '',
    project_config: isObj(pc) ? (toPlain(pc) as { [k: string]: JsonValue }) : null,
  };
}

/** Parse JSON keeping key order; the fast native parser when order cannot differ. */
export function parseJsonKeepingOrder(text: string, label: string): OrderedJson {
  try {
    if (!hasIntegerLikeKey(text)) return fromPlain(JSON.parse(text));
    return parseOrderedJson(text);
  } catch (err) {
    if (err instanceof JsonTooDeepError) throw tooDeep(label, err);
    const why = err instanceof JsonSyntaxError || err instanceof SyntaxError ? err.message : String(err);
    throw new ManifestError(`${label}: not valid JSON (${why}). The file is truncated or corrupt.`, { cause: err });
  }
}

// A key made of digits only can only appear as `"123":`; if none does, JSON.parse keeps order.
function hasIntegerLikeKey(text: string): boolean {
  const re = /"(\d{1,10})"\s*:/g;
  for (let m = re.exec(text); m; m = re.exec(text)) if (isIntegerLikeKey(m[1])) return true;
  return false;
}

function tooDeep(label: string, cause: unknown): ManifestError {
  return new ManifestError(`${label}: JSON nested deeper than ${JSON_MAX_DEPTH} levels; no dsg file is, so it is corrupt or was tampered with. Restore it from a backup.`, { cause });
}

/** JSON.parse itself does not recurse; this conversion does, so it stops at JSON_MAX_DEPTH. */
function fromPlain(v: unknown, depth = 0): OrderedJson {
  if (v === null || typeof v !== 'object') return v as OrderedJson;
  if (depth >= JSON_MAX_DEPTH) throw new JsonTooDeepError();
  if (Array.isArray(v)) return v.map((x) => fromPlain(x, depth + 1));
  const m = new Map<string, OrderedJson>();
  for (const [k, x] of Object.entries(v)) m.set(k, fromPlain(x, depth + 1));
  return m;
}

// The same manifest text is often parsed twice in a row (C and R when in sync): keep the last
// result, keyed by the text's length and SHA-256 (not the text itself: 22 MB for 100,000
// entries; and not XXH3, whose collisions can be made: a forged manifest must never pass as C).
let lastParsed: { length: number; hash: string; manifest: Manifest } | null = null;

/**
 * Parse and verify a manifest. `label` names the file in errors. Callers must treat the
 * result as immutable (identical texts share one result).
 */
export function parseManifest(text: string, label: string): Manifest {
  const textHash = createHash('sha256').update(text).digest('hex');
  if (lastParsed !== null && lastParsed.length === text.length && lastParsed.hash === textHash) return lastParsed.manifest;
  const notManifest = (): never => {
    throw new ManifestError(`${label}: not a manifest (expected an object with "entries" and "metadata").`);
  };
  let rawEntries: Iterable<[string, unknown]> | null = null;
  let plainEntries: Record<string, unknown> | null = null;
  let rawMetadata: OrderedJson | undefined;
  if (!hasIntegerLikeKey(text)) {
    // Fast path: no key can be reordered, so the native parser keeps file order.
    let plain: unknown;
    try {
      plain = JSON.parse(text);
    } catch (err) {
      throw new ManifestError(`${label}: not valid JSON (${(err as Error).message}). The file is truncated or corrupt.`, { cause: err });
    }
    if (plain === null || typeof plain !== 'object' || Array.isArray(plain)) return notManifest();
    const e = (plain as Record<string, unknown>).entries;
    if (e === null || typeof e !== 'object' || Array.isArray(e)) throw new ManifestError(`${label}: "entries" is missing or not an object.`);
    plainEntries = e as Record<string, unknown>;
    const m = (plain as Record<string, unknown>).metadata;
    try {
      rawMetadata = m === undefined ? undefined : fromPlain(m, 1);
    } catch (err) {
      throw err instanceof JsonTooDeepError ? tooDeep(label, err) : err;
    }
  } else {
    const root = parseJsonKeepingOrder(text, label);
    if (!isObj(root)) return notManifest();
    const e = root.get('entries');
    if (!isObj(e)) throw new ManifestError(`${label}: "entries" is missing or not an object.`);
    rawEntries = e;
    rawMetadata = root.get('metadata');
  }
  const metadata = readMetadata(rawMetadata, label);
  const entries = new Map<string, Entry>();
  // Keys, not Object.entries: that is an array per entry.
  if (plainEntries !== null) for (const k of Object.keys(plainEntries)) entries.set(k, readEntry(k, plainEntries[k], label));
  else for (const [k, v] of rawEntries!) entries.set(k, readEntry(k, v, label));
  const links = new Map<string, string>();
  for (const e of entries.values()) if (e.type === 'link') links.set(e.path, e.reference);
  for (const [path, why] of escapingLinks(links)) {
    throw new ManifestError(`${label}: link ${q(path)} ${why}. The manifest is corrupt or hostile; it was not written by dsg.`);
  }
  const nested = findNestedPath(entries.keys());
  if (nested) throw new ManifestError(`${label}: entry ${q(nested[1])} lies under entry ${q(nested[0])}, which is not a directory; the manifest is corrupt or hostile.`);
  if (metadata.entry_count !== entries.size) {
    throw new ManifestError(`${label}: entry_count says ${metadata.entry_count} but the file holds ${entries.size} entries; the manifest is corrupt.`);
  }
  const actual = computeEntriesHash(entries.values());
  if (actual !== metadata.entries_hash) {
    throw new ManifestError(`${label}: entries_hash ${metadata.entries_hash} does not match the entries (computed ${actual}); the manifest is corrupt or was edited by hand.`);
  }
  const manifest = { entries, metadata };
  lastParsed = { length: text.length, hash: textHash, manifest };
  return manifest;
}

/** At most this many `"metadata"` keys are tried from the end of a tail (a hostile tail may hold many). */
const TAIL_ATTEMPTS = 8;

/**
 * The metadata of a manifest from the last bytes of its text (`tail`; it may begin in the
 * middle of a character), without reading the entries. Writers put `"metadata"` last in the
 * root object, so `{` + the tail from that key is a JSON object of that one member. Returns
 * null when no such object parses or its metadata is not valid: the caller then reads the
 * whole manifest, which reports the problem. Nothing about the entries is checked here.
 */
export function parseManifestTail(tail: string, label: string): ManifestMetadata | null {
  if (!tail.trimEnd().endsWith('}')) return null;
  let at = tail.length;
  for (let attempt = 0; attempt < TAIL_ATTEMPTS && at > 0; attempt++) {
    const i = tail.lastIndexOf('"metadata"', at - 1);
    if (i < 0) return null;
    at = i;
    let root: OrderedJson;
    try {
      root = parseJsonKeepingOrder(`{${tail.slice(i)}`, label);
    } catch {
      continue; // a "metadata" key nested deeper (e.g. in project_config): try an earlier one
    }
    if (!isObj(root) || root.size !== 1 || !isObj(root.get('metadata'))) return null;
    try {
      return readMetadata(root.get('metadata'), label);
    } catch {
      return null;
    }
  }
  return null;
}

/** A pair [ancestor, descendant] when one path is a parent directory of another, else null. */
export function findNestedPath(paths: Iterable<string>): [string, string] | null {
  const all = new Set(paths);
  for (const p of all) {
    for (let i = p.indexOf('/'); i !== -1; i = p.indexOf('/', i + 1)) {
      const prefix = p.slice(0, i);
      if (all.has(prefix)) return [prefix, p];
    }
  }
  return null;
}

/** Build a manifest for a new snapshot; entries are sorted and hashes computed. */
export function buildManifest(
  entries: Iterable<Entry>,
  meta: Omit<ManifestMetadata, 'entry_count' | 'entries_hash' | 'snapshot_hash'>,
  previousSnapshotHash: string | null,
): Manifest {
  const sorted = sortEntries(entries);
  const entriesHash = computeEntriesHash(sorted.values());
  const metadata: ManifestMetadata = {
    manifest_version: meta.manifest_version,
    snapshot_id: meta.snapshot_id,
    created_at: meta.created_at,
    entry_count: sorted.size,
    entries_hash: entriesHash,
    created_by: meta.created_by,
    snapshot_message: meta.snapshot_message,
    snapshot_previous: meta.snapshot_previous,
    snapshot_hash: computeSnapshotHash(entriesHash, meta.snapshot_message, meta.project_config, previousSnapshotHash),
    snapshot_notes: meta.snapshot_notes,
    project_config: meta.project_config,
  };
  return { entries: sorted, metadata };
}
