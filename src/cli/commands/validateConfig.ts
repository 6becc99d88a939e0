import type { Command } from 'commander';
import { validateConfig } from '../../api/validateConfig.js';
import { action, examples } from '../run.js';

export function registerValidateConfig(program: Command): void {
  const cmd = program
    .command('validate-config')
    .description('check .dsgconfig.yml and dsg.yml and show what they say')
    .action(
      action(async ({ out }) => {
        const r = await validateConfig();
        out.result(r);
        out.say(`Configuration is valid.`);
        out.say(`  project     ${r.project.name} (${r.project.configFile})`);
        out.say(`  repository  ${r.repository.type} at ${r.repository.location} (${r.repository.transport})`);
        out.say(`  data_dirs   ${r.project.data_dirs.join(', ')}`);
        out.say(`  user        ${r.user.user_name} <${r.user.user_id}> (from ${r.user.sources.join(', ')})`);
        if (r.user.default_project_path) out.say(`  repos       ${r.user.default_host ?? 'localhost'}:${r.user.default_project_path}`);
      }),
    );
  examples(cmd, ['dsg validate-config', 'dsg validate-config --json']);
}
