/**
 * validate-config: load `.dsgconfig.yml` (found from `cwd`) and the user's `dsg.yml` with the
 * same loaders every command uses, and summarise what they say. Both are checked, and when
 * either is wrong the error carries every problem found.
 *
 * @example
 *   import { validateConfig } from 'dsg';
 *   const c = await validateConfig({ cwd: '/data/myproject' });
 *   console.log(c.project.name, c.repository.location);
 */
import { loadProjectConfig, repositoryLocation, type IgnoreConfig, type RepositoryConfig, type TransportKind } from '../config/projectConfig.js';
import { loadUserConfig } from '../config/userConfig.js';
import { ConfigError } from '../errors/ConfigError.js';
import { DsgError } from '../errors/DsgError.js';
import type { CommonOptions } from './project.js';

export interface ValidateConfigResult {
  project: { name: string; root: string; configFile: string; data_dirs: string[]; ignore: IgnoreConfig };
  repository: RepositoryConfig & { transport: TransportKind; location: string };
  user: {
    user_name: string;
    user_id: string;
    /** The dsg.yml files that were read, in order. */
    sources: string[];
    default_host: string | null;
    default_project_path: string | null;
    backup_on_conflict: boolean;
  };
}

function problem(err: unknown): DsgError {
  if (err instanceof DsgError) return err;
  throw err;
}

export async function validateConfig(opts: CommonOptions = {}): Promise<ValidateConfigResult> {
  let project: ReturnType<typeof loadProjectConfig> | null = null;
  let user: ReturnType<typeof loadUserConfig> | null = null;
  const problems: DsgError[] = [];
  try {
    project = loadProjectConfig(opts.cwd ?? process.cwd());
  } catch (err) {
    problems.push(problem(err));
  }
  try {
    user = loadUserConfig({ env: opts.env ?? process.env });
  } catch (err) {
    problems.push(problem(err));
  }
  if (project === null || user === null) {
    if (problems.length === 1) throw problems[0];
    throw new ConfigError('CONFIG_INVALID', `Both configurations have problems:\n${problems.map((p) => `- ${p.message.replace(/\n/g, '\n  ')}`).join('\n')}`);
  }
  const loc = repositoryLocation(project.config);
  const location = loc.transport === 'local' ? loc.path : loc.host ? `${loc.host}:${loc.path}` : loc.path;
  return {
    project: {
      name: project.config.name,
      root: project.root,
      configFile: project.file,
      data_dirs: [...project.config.data_dirs],
      ignore: project.config.ignore,
    },
    repository: { ...project.config.repository, transport: loc.transport, location },
    user: {
      user_name: user.user_name,
      user_id: user.user_id,
      sources: user.sources,
      default_host: user.default_host ?? null,
      default_project_path: user.default_project_path ?? null,
      backup_on_conflict: user.backup_on_conflict,
    },
  };
}
