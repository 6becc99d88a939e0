import { listRepos } from '../../api/listRepos.js';
import { formatBytes } from '../output.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO): Promise<number | void> {
  const r = await listRepos();
  out.result(r);
  out.say(`Repositories in ${r.host}:${r.path} (${r.source === 'user-config' ? 'default_project_path in dsg.yml' : "this project's repository mountpoint"}):`);
  for (const repo of r.repos) {
    if (repo.error) out.say(`  ${repo.name.padEnd(24)} UNREADABLE: ${repo.error}`);
    else if (repo.snapshot === null) out.say(`  ${repo.name.padEnd(24)} (no snapshot yet)`);
    else out.say(`  ${repo.name.padEnd(24)} ${repo.snapshot.padEnd(6)} ${String(repo.entries).padStart(7)} files ${formatBytes(repo.bytes ?? 0).padStart(10)}  ${repo.changed_at}  ${repo.changed_by ?? '-'}`);
  }
  if (r.repos.length === 0) out.say('  (none)');
  for (const repo of r.repos) if (repo.error) out.warn(`${repo.path}: manifest unreadable; run "dsg validate-chain" in a working copy of it.`);
}
