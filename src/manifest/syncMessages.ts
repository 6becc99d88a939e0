/**
 * `.dsg/sync-messages.json` (SPEC §2.4): every snapshot's metadata, keyed by id.
 * Old files with a `messages` array are converted, keeping it under `legacy_messages`.
 */
import { ManifestError } from '../errors/ManifestError.js';
import { indentJson, orderedMetadata, parseJsonKeepingOrder, readMetadata } from './codec.js';
import { toPlain, type OrderedJson } from './orderedJson.js';
import { WRITER_VERSION, type ManifestMetadata } from './types.js';

export interface SyncMessages {
  metadata_version: string;
  /** In file order (s1, s2, …). */
  snapshots: Map<string, ManifestMetadata>;
  legacy_messages?: unknown[];
}

export function emptySyncMessages(): SyncMessages {
  return { metadata_version: WRITER_VERSION, snapshots: new Map() };
}

export function parseSyncMessages(text: string, label: string): SyncMessages {
  const root = parseJsonKeepingOrder(text, label);
  if (!(root instanceof Map)) throw new ManifestError(`${label}: expected a JSON object.`);
  const version = root.get('metadata_version');
  const out: SyncMessages = {
    metadata_version: typeof version === 'string' ? version : WRITER_VERSION,
    snapshots: new Map(),
  };
  const snaps = root.get('snapshots');
  const legacy = root.get('messages') ?? root.get('legacy_messages');
  if (Array.isArray(legacy)) out.legacy_messages = toPlain(legacy) as unknown[];
  if (snaps === undefined && !Array.isArray(legacy)) throw new ManifestError(`${label}: has neither "snapshots" nor "messages".`);
  if (snaps !== undefined) {
    if (!(snaps instanceof Map)) throw new ManifestError(`${label}: "snapshots" is not an object.`);
    for (const [id, meta] of snaps as Map<string, OrderedJson>) {
      const m = readMetadata(meta, `${label} (snapshot ${id})`);
      if (m.snapshot_id !== id) throw new ManifestError(`${label}: snapshot ${id} holds metadata of ${m.snapshot_id}.`);
      out.snapshots.set(id, m);
    }
  }
  return out;
}

export function serializeSyncMessages(sm: SyncMessages): string {
  const parts: string[] = [`{\n  "metadata_version": ${JSON.stringify(sm.metadata_version)},\n  "snapshots": `];
  if (sm.snapshots.size === 0) parts.push('{}');
  else {
    const items = [...sm.snapshots].map(
      ([id, m]) => `    ${JSON.stringify(id)}: ${indentJson(JSON.stringify(orderedMetadata(m), null, 2), '    ')}`,
    );
    parts.push(`{\n${items.join(',\n')}\n  }`);
  }
  if (sm.legacy_messages) parts.push(`,\n  "legacy_messages": ${indentJson(JSON.stringify(sm.legacy_messages, null, 2), '  ')}`);
  parts.push('\n}');
  return parts.join('');
}

/** A copy with one more snapshot appended. */
export function withSnapshot(sm: SyncMessages, meta: ManifestMetadata): SyncMessages {
  const snapshots = new Map(sm.snapshots);
  snapshots.set(meta.snapshot_id, meta);
  return { ...sm, snapshots };
}
