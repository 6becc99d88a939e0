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
}

/** Storage operations for the lock; each backend implements them atomically in its own way. */
export interface LockStore {
  readLock(): Promise<LockRecord | null>;
  /** Atomic create: false when a lock exists already. */
  createLock(record: LockRecord): Promise<boolean>;
  /** Atomically replace the lock when it still carries `record.token` (renewal); false otherwise. */
  renewLock(record: LockRecord): Promise<boolean>;
  /** Remove an expired lock whose token is `staleToken`; false when it changed meanwhile. */
  breakLock(staleToken: string): Promise<boolean>;
  /** Remove the lock if it still carries `token`. */
  releaseLock(token: string): Promise<void>;
}
