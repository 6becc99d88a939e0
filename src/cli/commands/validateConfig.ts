import { validateConfig } from '../../api/validateConfig.js';
import type { CommandIO } from '../run.js';

export async function run({ out }: CommandIO): Promise<number | void> {
  const r = await validateConfig();
  out.result(r);
  out.say(`Configuration is valid.`);
  out.say(`  project     ${r.project.name} (${r.project.configFile})`);
  out.say(`  repository  ${r.repository.type} at ${r.repository.location} (${r.repository.transport})`);
  out.say(`  data_dirs   ${r.project.data_dirs.join(', ')}`);
  out.say(`  user        ${r.user.user_name} <${r.user.user_id}> (from ${r.user.sources.join(', ')})`);
  if (r.user.default_project_path) out.say(`  repos       ${r.user.default_host ?? 'localhost'}:${r.user.default_project_path}`);
}
