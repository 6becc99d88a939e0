import { recover } from '../../api/recover.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO, o: { wait: string; breakLock?: boolean }): Promise<number | void> {
  const r = await recover({ wait: Number(o.wait) || 0, breakLock: o.breakLock, onNotice: (m) => out.warn(m) });
  if (o.breakLock && r.brokenLock === null) out.say('There was no repository lock to remove.');
  out.result(r);
  const rf = [...(r.remote?.rolledForward ?? []), ...r.client.rolledForward];
  const rb = [...(r.remote?.rolledBack ?? []), ...r.client.rolledBack];
  if (rf.length + rb.length === 0) out.say('Nothing to recover.');
  for (const t of rf) out.say(`finished interrupted sync ${t}`);
  for (const t of rb) out.say(`rolled back interrupted sync ${t}`);
  for (const p of r.client.kept) out.warn(`${p} was edited during the interrupted sync; your version was kept`);
  if (r.remoteSkipped) out.warn(`repository not checked: ${r.remoteSkipped}`);
}
