/** Waiting on dsg processes the tests pause (DSG_TEST_STOP_AT) and resume. */
import { readFileSync } from 'node:fs';

/** Poll `cond` every 50 ms; fail naming `what` after `ms`. */
export async function until(what: string, cond: () => boolean | Promise<boolean>, ms = 20000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True while the process is stopped (SIGSTOP), from /proc/<pid>/stat (the state follows the last ")": the name may hold one). */
export function isStopped(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').startsWith('T');
  } catch {
    return false;
  }
}
