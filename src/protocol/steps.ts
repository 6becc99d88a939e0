/**
 * The named steps of the sync protocol (SPEC §6), in order: reached by the transaction and by
 * every backend (which is why this sits below both). Tests kill the process at each one; the
 * list is exported so a new step is covered automatically.
 *
 * Test hook: when the environment variable DSG_TEST_CRASH_AT names a step, the process kills
 * itself with SIGKILL on reaching it (after `DSG_TEST_CRASH_SKIP` earlier hits of that step,
 * default 0). DSG_TEST_STOP_AT pauses the process (SIGSTOP) at the first hit of a step instead
 * (once: a step reached per file would stop it again after the test's SIGCONT). When the
 * variables are unset this does nothing. DSG_TEST_FAIL_AT makes the first hit of a step throw an
 * I/O error instead (its code from DSG_TEST_FAIL_ERRNO, default EIO): errors, not only kills,
 * must roll back before the commit point and roll forward after it. DSG_TEST_PAUSE_AT with
 * DSG_TEST_PAUSE_MS blocks the process that long at every hit of a step: time passes in a
 * phase whatever the machine's speed (the progress tests need a rate to show).
 */
import { DsgError } from '../errors/DsgError.js';

export const SYNC_STEPS = [
  'lock-acquired',
  'plan-made',
  'journal-begun',
  'remote-staging-begun',
  'upload-started',
  'upload-file-done',
  'uploads-done',
  'download-file-done',
  'downloads-done',
  'metadata-staged',
  'before-commit-point',
  'remote-rollforward-metadata',
  'remote-rollforward-file',
  'after-commit-point',
  'journal-committed',
  'client-deleted',
  'client-file-applied',
  'client-placed',
  'client-metadata-written',
  'staging-cleaned',
] as const;

/**
 * Steps only some backends reach, each in the roll-forward after `remote-rollforward-file`
 * (so after the commit point). A backend's crash suite lists the ones it reaches.
 */
export const BACKEND_STEPS = ['remote-zfs-snapshot'] as const;

/** Steps inside recovery itself (recovery may be killed too and must converge when rerun). */
export const RECOVERY_STEPS = ['recover-remote-tx-done', 'recover-client-done'] as const;

export type SyncStep = (typeof SYNC_STEPS)[number] | (typeof BACKEND_STEPS)[number] | (typeof RECOVERY_STEPS)[number];

const hits = new Map<string, number>();
let stopped = false;

// ---------------------------------------------------------------- interruption (Ctrl-C, SIGTERM)
// A signal asks the running transaction to stop at its next named step. Before the commit
// point that step throws InterruptedError, and the transaction's error path rolls back and
// releases the lock as for any failure; after it, nothing throws: the transaction finishes
// (there is only roll-forward) and the command then exits 130 saying so.

/** Steps at which an interrupted transaction stops (everything up to the commit point). */
const BEFORE_COMMIT: ReadonlySet<string> = new Set(SYNC_STEPS.slice(0, SYNC_STEPS.indexOf('before-commit-point') + 1));
let interrupt: NodeJS.Signals | null = null;
let transactions = 0;

/** The transaction stopped at a step before its commit point because of a signal. */
export class InterruptedError extends DsgError {
  constructor(
    readonly signal: NodeJS.Signals,
    what = 'before the commit point: rolled back; nothing was published or changed, and the repository lock was released',
  ) {
    super('INTERRUPTED', `Interrupted (${signal}) ${what}.`, { exitCode: 130 });
  }
}

/** A transaction runs from `begin` until the returned function is called. */
export function transactionBegins(): () => void {
  transactions++;
  return () => void transactions--;
}

/**
 * A signal arrived: true when a transaction will stop at its next step (the caller lets it),
 * false when none runs (the caller may exit at once).
 */
export function requestInterrupt(signal: NodeJS.Signals): boolean {
  interrupt = signal;
  return transactions > 0;
}

/** The signal that asked this process to stop, if any. */
export function interruptRequested(): NodeJS.Signals | null {
  return interrupt;
}

export function reachStep(step: SyncStep): void {
  if (interrupt !== null && BEFORE_COMMIT.has(step)) throw new InterruptedError(interrupt);
  if (process.env.DSG_TEST_STOP_AT === step && !stopped) {
    // Test hook: pause here (SIGSTOP) until the test sends SIGCONT; used for lease takeover.
    stopped = true;
    process.kill(process.pid, 'SIGSTOP');
  }
  if (process.env.DSG_TEST_PAUSE_AT === step) {
    // Test hook: a blocking pause (nothing else runs meanwhile, as on a very slow machine).
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(process.env.DSG_TEST_PAUSE_MS ?? '500'));
  }
  if (process.env.DSG_TEST_FAIL_AT === step) {
    // Test hook: an I/O error here, once per process (the error suite).
    const n = (failures.get(step) ?? 0) + 1;
    failures.set(step, n);
    if (n === 1) throw injectedError(step, process.env.DSG_TEST_FAIL_ERRNO ?? 'EIO');
  }
  const target = process.env.DSG_TEST_CRASH_AT;
  if (target === undefined || target !== step) return;
  const n = (hits.get(step) ?? 0) + 1;
  hits.set(step, n);
  if (n > Number(process.env.DSG_TEST_CRASH_SKIP ?? '0')) process.kill(process.pid, 'SIGKILL');
}

const failures = new Map<string, number>();

function injectedError(step: string, code: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: injected by DSG_TEST_FAIL_AT at step ${step}`);
  err.code = code;
  err.syscall = 'write';
  err.path = `(test hook at ${step})`;
  return err;
}
