/**
 * The repository write lock (SPEC §6 step 1): one writer at a time, with a lease.
 *
 * - Acquire: atomic create of the lock record; a second writer polls up to `waitSeconds`,
 *   saying once who holds the lock, then fails with LockBusyError (exit code 4).
 * - Lease: the holder renews it every lease/4 while it runs. A lock whose lease has expired
 *   may be taken over by another writer.
 * - Fencing: the holder checks, just before its commit point, that the lock still carries its
 *   token; a holder that was paused past its lease and lost the lock fails there and
 *   publishes nothing.
 *
 * - Stale: a lock may also be taken over when its holder is a process on this machine that is
 *   gone (or whose pid now belongs to another process), or when its file has not been renewed
 *   for longer than this version ever grants (lease + margin, by the file's mtime): a holder
 *   whose clock runs ahead cannot hold the repository for years. An unparsable lock is one
 *   being written until that same age, never "torn" at once.
 *
 * DSG_LOCK_LEASE_SECONDS shortens the lease (tests); the default is 120 s.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { DsgError } from '../errors/DsgError.js';
import type { LockRecord, LockStore, StoredLock } from '../remote/lockRecord.js';
import { nowLosAngeles } from '../manifest/time.js';
import { processIsRunning, processStartTime } from '../platform/processIdentity.js';
import { InterruptedError, interruptRequested } from '../protocol/steps.js';

export const EXIT_LOCKED = 4;

export class LockBusyError extends DsgError {
  constructor(message: string) {
    super('LOCKED', message, { exitCode: EXIT_LOCKED });
  }
}

export class LockLostError extends DsgError {
  constructor(message: string) {
    super('LOCK_LOST', message);
  }
}

export function leaseMs(): number {
  const s = Number(process.env.DSG_LOCK_LEASE_SECONDS ?? '120');
  return (Number.isFinite(s) && s > 0 ? s : 120) * 1000;
}

/** Slack on top of the lease for renewals that are late (slow I/O, a busy machine). */
const LEASE_MARGIN_MS = 30_000;

/**
 * A holder on this machine whose process is gone (killed, crashed), or whose pid now belongs
 * to another process, cannot renew: stale now. Processes on other hosts cannot be checked.
 */
export function holderIsDead(l: LockRecord): boolean {
  if (l.host !== hostname() || l.pid <= 0) return false;
  return !processIsRunning(l.pid, l.pid_start);
}

export function describeHolder(l: LockRecord): string {
  return `${l.user} on ${l.host} (pid ${l.pid}, since ${l.started_at || 'unknown'})`;
}

function describeStored(lock: StoredLock): string {
  return lock.record ? describeHolder(lock.record) : `an unreadable lock (written ${new Date(lock.mtimeMs).toISOString()})`;
}

/** Why `lock` may be taken over now, or null while it is held. */
export function staleReason(lock: StoredLock, now = Date.now()): string | null {
  // Never longer than this version grants, counted from the last write the repository saw.
  const cap = lock.mtimeMs + leaseMs() + LEASE_MARGIN_MS;
  const r = lock.record;
  if (r === null) return now > cap ? 'it is unreadable and older than the longest lease' : null;
  if (holderIsDead(r)) return 'its process is no longer running';
  if (r.expires_at < now) return 'its lease expired';
  if (now > cap) return `it was last renewed at ${new Date(lock.mtimeMs).toISOString()}, longer ago than any lease`;
  return null;
}

export function breakLockHint(store: LockStore): string {
  return `If its holder is really gone, run "dsg recover --break-lock" (or remove ${store.lockLocation}).`;
}

export interface HeldLock {
  record: LockRecord;
  /** Throws LockLostError when the lock is no longer ours. */
  fence(): Promise<void>;
  release(): Promise<void>;
}

export async function acquireLock(
  store: LockStore,
  who: { user: string; txId: string; location: string },
  waitSeconds: number,
  onWait: (message: string) => void,
): Promise<HeldLock> {
  const lease = leaseMs();
  const record: LockRecord = {
    user: who.user,
    host: hostname(),
    pid: process.pid,
    tx_id: who.txId,
    token: randomBytes(12).toString('hex'),
    started_at: nowLosAngeles(),
    expires_at: Date.now() + lease,
    pid_start: processStartTime(process.pid),
  };
  const deadline = Date.now() + waitSeconds * 1000;
  let announced: string | null = null;
  for (;;) {
    record.expires_at = Date.now() + lease;
    if (await store.createLock(record)) break;
    const holder = await store.inspectLock();
    const unsafe = holder ? await store.concurrencyProblem() : null;
    if (holder && unsafe !== null) {
      throw new LockBusyError(`The repository at ${who.location} is locked by ${describeStored(holder)} (lock file ${store.lockLocation}). ${unsafe} ${breakLockHint(store)}`);
    }
    const stale = holder ? staleReason(holder) : null;
    if (holder && stale) {
      onWait(`the repository lock ${store.lockLocation} of ${describeStored(holder)} is stale (${stale}); taking it over`);
      await store.breakLock(holder.token);
      continue;
    }
    if (holder && announced !== holder.token) {
      announced = holder.token;
      onWait(`waiting for the repository lock held by ${describeStored(holder)} (up to ${waitSeconds} s; lock file ${store.lockLocation})`);
    }
    if (Date.now() >= deadline) {
      throw new LockBusyError(
        `The repository at ${who.location} is locked by ${holder ? describeStored(holder) : 'another writer'} (lock file ${store.lockLocation}). Try again later, or wait longer with --wait SECONDS. ${breakLockHint(store)}`,
      );
    }
    await new Promise((r) => setTimeout(r, 200 + Math.random() * 300));
    const signal = interruptRequested();
    if (signal !== null) throw new InterruptedError(signal, 'while waiting for the repository lock: nothing was changed');
  }

  let lost = false;
  const timer = setInterval(() => {
    record.expires_at = Date.now() + lease;
    store.renewLock(record).then(
      (ok) => {
        if (!ok) lost = true;
      },
      () => undefined,
    );
  }, Math.max(250, lease / 4));
  timer.unref();

  return {
    record,
    async fence() {
      // Renewing proves the lock is still ours and leaves a whole lease for the commit itself.
      record.expires_at = Date.now() + lease;
      const ok = !lost && (await store.renewLock(record));
      const current = ok ? record : await store.readLock();
      if (!ok) {
        throw new LockLostError(
          `This sync lost the repository lock at ${who.location} (its lease expired${current ? `; now held by ${describeHolder(current)}` : ''}); nothing was published. Run "dsg sync" again.`,
        );
      }
    },
    async release() {
      clearInterval(timer);
      await store.releaseLock(record.token).catch(() => undefined);
    },
  };
}
