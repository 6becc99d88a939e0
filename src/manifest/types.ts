/**
 * The manifest data model of SPEC §2.3. Field order in these interfaces is the order fields
 * are written and hashed in; it is part of the on-disk format.
 */

export interface FileEntry {
  type: 'file';
  /** Relative, `/`-separated, NFC. Equals the entry's key in the manifest. */
  path: string;
  /** Email of who last changed the content. */
  user: string;
  filesize: number;
  /** Los Angeles time to the second (see manifest/time.ts). */
  mtime: string;
  /** xxh3-64 of the content, 16 lowercase hex digits. */
  hash: string;
}

export interface LinkEntry {
  type: 'link';
  path: string;
  user: string;
  /** The raw, relative symlink target. */
  reference: string;
}

export type Entry = FileEntry | LinkEntry;

/** Plain JSON value, for `project_config`. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface ManifestMetadata {
  manifest_version: string;
  snapshot_id: string;
  created_at: string;
  entry_count: number;
  entries_hash: string;
  created_by: string | null;
  snapshot_message: string;
  snapshot_previous: string | null;
  snapshot_hash: string;
  snapshot_notes: string;
  project_config: { [key: string]: JsonValue } | null;
}

/**
 * Entries are kept in a Map so insertion order is file order: a plain object would move
 * integer-like keys (a top-level file named `2023`) to the front and change `entries_hash`.
 */
export interface Manifest {
  entries: Map<string, Entry>;
  metadata: ManifestMetadata;
}

/** Two entries describe the same content (SPEC §4: files by hash, links by target; user ignored). */
export function sameContent(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.type === 'file') return b.type === 'file' && a.hash === b.hash;
  return b.type === 'link' && a.reference === b.reference;
}

/** Version string this implementation writes into manifests and sync-messages. */
export const WRITER_VERSION = '0.5.0';
