/**
 * The repository's write lock record, as stored by every backend (POSIX: `.dsg/lock.json`).
 * Only the transaction layer interprets it (src/transaction/lock.ts); backends store it.
 */
export interface LockRecord {
  user: string;
  host: string;
  pid: number;
  tx_id: string;
  /** Random per holder: a renewal or release touches only a lock that still carries it. */
  token: string;
  started_at: string;
  /** Epoch milliseconds after which another writer may take the lock over. */
  expires_at: number;
  /** Start time of `pid` on `host` (platform/processIdentity.ts): tells a reused pid apart. Absent in older locks. */
  pid_start?: string | null;
}

/** A lock as found in the repository. */
export interface StoredLock {
  /** null when the file does not parse as a lock: being written, torn, or not written by dsg. */
  record: LockRecord | null;
  /** Identifies this very lock for breakLock (the record's token, or one derived from the bytes). */
  token: string;
  /** Modification time of the lock file as the repository's file system records it (epoch ms). */
  mtimeMs: number;
}

/** Parse a stored lock; null when the text is not a well-formed lock record. */
export function parseLockRecord(text: string): LockRecord | null {
  let v: Partial<LockRecord> | null;
  try {
    v = JSON.parse(text) as Partial<LockRecord> | null;
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object') return null;
  const strings = [v.user, v.host, v.tx_id, v.token, v.started_at].every((s) => typeof s === 'string');
  if (!strings || !Number.isSafeInteger(v.pid) || typeof v.expires_at !== 'number' || Number.isNaN(v.expires_at)) return null;
  if (v.pid_start !== undefined && v.pid_start !== null && typeof v.pid_start !== 'string') return null;
  return v as LockRecord;
}

/** The token of a lock file's bytes: its record's token, or one naming an unparsable file. */
export function lockToken(text: string): string {
  return parseLockRecord(text)?.token ?? `unparsable:${text.length}`;
}

/** Storage operations for the lock; each backend implements them atomically in its own way. */
export interface LockStore {
  /** Where the lock lives, for messages (POSIX: `<repository>/.dsg/lock.json`). */
  readonly lockLocation: string;
  readLock(): Promise<LockRecord | null>;
  /** The lock with its file's modification time; null when there is none. */
  inspectLock(): Promise<StoredLock | null>;
  /** Atomic create: false when a lock exists already. */
  createLock(record: LockRecord): Promise<boolean>;
  /** Atomically replace the lock when it still carries `record.token` (renewal); false otherwise. */
  renewLock(record: LockRecord): Promise<boolean>;
  /** Remove a stale lock whose token (StoredLock.token) is `staleToken`; false when it changed meanwhile. */
  breakLock(staleToken: string): Promise<boolean>;
  /** Remove the lock if it still carries `token`. */
  releaseLock(token: string): Promise<void>;
  /**
   * Null when the store keeps concurrent writers safe (its lock and commit point are atomic
   * creates); otherwise a message saying why not and what to do. Writers then refuse to wait for
   * or take over another writer's lock instead of racing it (acquireLock).
   */
  concurrencyProblem(): Promise<string | null>;
}
