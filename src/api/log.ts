/**
 * log: the repository's snapshots, newest first, from the remote's history.
 *
 * @example
 *   import { log } from 'dsg';
 *   for (const s of await log({ cwd: '/data/myproject', limit: 5 })) console.log(s.id, s.message);
 */
import { parseManifestTime } from '../manifest/time.js';
import { recoverProject } from './recover.js';
import { withProject, type CommonOptions } from './project.js';

export interface LogEntry {
  id: string;
  created_at: string;
  user: string | null;
  message: string;
  files: number;
  notes: string;
  hash: string;
}

export interface LogOptions extends CommonOptions {
  limit?: number;
  /** Only snapshots at or after this date (anything Date.parse reads, e.g. 2025-06-01). */
  since?: string;
  /** Only snapshots whose user contains this text (case-insensitive). */
  author?: string;
}

export async function log(opts: LogOptions = {}): Promise<LogEntry[]> {
  return withProject({ ...opts, identity: 'optional' }, async (project) => {
    await recoverProject(project);
    const history = await project.remote().readSyncMessages();
    const since = opts.since ? parseSince(opts.since) / 1000 : null;
    let out: LogEntry[] = [...history.snapshots.values()]
      .map((m) => ({
        id: m.snapshot_id,
        created_at: m.created_at,
        user: m.created_by,
        message: m.snapshot_message,
        files: m.entry_count,
        notes: m.snapshot_notes,
        hash: m.snapshot_hash,
      }))
      .sort((a, b) => Number(b.id.slice(1)) - Number(a.id.slice(1)));
    if (since !== null) out = out.filter((e) => parseManifestTime(e.created_at) >= since);
    if (opts.author) {
      const a = opts.author.toLowerCase();
      out = out.filter((e) => (e.user ?? '').toLowerCase().includes(a));
    }
    if (opts.limit !== undefined) out = out.slice(0, opts.limit);
    return out;
  });
}

/**
 * A --since date in the user's time zone: "2025-06-01" is local midnight (Date.parse would take
 * a bare date as UTC), "2025-06-01 14:00" local time; a time with an offset or Z is taken as it
 * says. Epoch milliseconds.
 */
export function parseSince(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (m) return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)).getTime();
  return Date.parse(text);
}
