/**
 * The named steps of the sync protocol (SPEC §6), in order: reached by the transaction and by
 * every backend (which is why this sits below both). Tests kill the process at each one; the
 * list is exported so a new step is covered automatically.
 *
 * Test hook: when the environment variable DSG_TEST_CRASH_AT names a step, the process kills
 * itself with SIGKILL on reaching it (after `DSG_TEST_CRASH_SKIP` earlier hits of that step,
 * default 0). DSG_TEST_STOP_AT pauses the process (SIGSTOP) at a step instead. When the
 * variables are unset this does nothing.
 */
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

/** Steps inside recovery itself (recovery may be killed too and must converge when rerun). */
export const RECOVERY_STEPS = ['recover-remote-tx-done', 'recover-client-done'] as const;

export type SyncStep = (typeof SYNC_STEPS)[number] | (typeof RECOVERY_STEPS)[number];

const hits = new Map<string, number>();

export function reachStep(step: SyncStep): void {
  if (process.env.DSG_TEST_STOP_AT === step) {
    // Test hook: pause here (SIGSTOP) until the test sends SIGCONT; used for lease takeover.
    process.kill(process.pid, 'SIGSTOP');
  }
  const target = process.env.DSG_TEST_CRASH_AT;
  if (target === undefined || target !== step) return;
  const n = (hits.get(step) ?? 0) + 1;
  hits.set(step, n);
  if (n > Number(process.env.DSG_TEST_CRASH_SKIP ?? '0')) process.kill(process.pid, 'SIGKILL');
}
