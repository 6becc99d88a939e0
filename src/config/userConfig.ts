/**
 * User configuration: `dsg.yml`, read from several places and merged.
 *
 * Order (later files override earlier ones, per top-level key; `ssh`, `rclone` and `ipfs` are merged per
 * nested key): `/etc/dsg/dsg.yml`, `~/.config/dsg/dsg.yml`, `$XDG_CONFIG_HOME/dsg/dsg.yml` (when
 * set), `$DSG_CONFIG_HOME/dsg.yml` (when set). The system-wide file may not set the identity
 * (`user_name`, `user_id`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors/ConfigError.js';
import { describeValue, isMapping, parseYamlText, unknownKeyMessages, validateWith } from './suggest.js';

/** The merged user configuration. */
export interface UserConfig {
  user_name: string;
  user_id: string;
  default_host?: string;
  default_project_path?: string;
  local_log?: string;
  backup_on_conflict: boolean;
  ssh?: { key_path?: string };
  rclone?: { config_path?: string };
  /** IPFS repositories: the file holding the passphrase of encrypted repositories (never in the project). */
  ipfs?: { passphrase_file?: string };
}

/** Default directory of the system-wide config. */
export const DEFAULT_ETC_DIR = '/etc/dsg';
/** File name of the user config in each config directory. */
export const USER_CONFIG_FILE = 'dsg.yml';

const TOP_KEYS = [
  'user_name',
  'user_id',
  'default_host',
  'default_project_path',
  'local_log',
  'backup_on_conflict',
  'ssh',
  'rclone',
  'ipfs',
] as const;
const NESTED_KEYS = { ssh: ['key_path'], rclone: ['config_path'], ipfs: ['passphrase_file'] } as const;
const IDENTITY_KEYS = ['user_name', 'user_id'] as const;
const EXAMPLE = '  user_name: Ana Example\n  user_id: ana@example.org';

/** Loose email shape: something@domain.tld, no whitespace. */
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@.]+$/;

const text = () => z.string().refine((s) => s.trim() !== '', { message: 'must not be empty' });

const FILE_SCHEMA = z.object({
  user_name: text().optional(),
  user_id: z
    .string()
    .superRefine((s, ctx) => {
      if (!EMAIL_RE.test(s.trim())) {
        ctx.addIssue({
          code: 'custom',
          message: `must be an email address such as ana@example.org, got ${describeValue(s)}`,
        });
      }
    })
    .optional(),
  default_host: text().optional(),
  default_project_path: text().optional(),
  local_log: text().optional(),
  backup_on_conflict: z.boolean().optional(),
  ssh: z.object({ key_path: text().optional() }).optional(),
  rclone: z.object({ config_path: text().optional() }).optional(),
  ipfs: z.object({ passphrase_file: text().optional() }).optional(),
});
type FileConfig = z.output<typeof FILE_SCHEMA>;

function homeDir(env: NodeJS.ProcessEnv, home: string | undefined): string {
  return home ?? (env.HOME || os.homedir());
}

/** The files tried, in order, for this environment. */
export function userConfigPaths(
  env: NodeJS.ProcessEnv = process.env,
  home?: string,
  etcDir: string = DEFAULT_ETC_DIR,
): string[] {
  const candidates = [
    path.join(etcDir, USER_CONFIG_FILE),
    path.join(homeDir(env, home), '.config', 'dsg', USER_CONFIG_FILE),
  ];
  // XDG Base Directory spec: an empty or relative XDG_CONFIG_HOME is ignored.
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && path.isAbsolute(xdg)) candidates.push(path.join(xdg, 'dsg', USER_CONFIG_FILE));
  const dsgHome = env.DSG_CONFIG_HOME;
  if (dsgHome) candidates.push(path.join(path.resolve(dsgHome), USER_CONFIG_FILE));
  // The same file reached twice (e.g. XDG_CONFIG_HOME=~/.config) is read once, at its first place.
  const seen = new Set<string>();
  return candidates.filter((p) => {
    const key = path.resolve(p);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Expands a leading `~` / `~/` to the home directory (YAML does not). */
function expandHome(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return path.join(home, p.slice(2));
  return p;
}

/** Reads one file; null when it does not exist. */
function readIfExists(file: string): string | null {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw new ConfigError('CONFIG_INVALID', `${file}: cannot read the user config: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/** Parses and validates one dsg.yml (unmerged). */
function parseUserFile(textContent: string, file: string, isSystemFile: boolean): FileConfig {
  const raw = parseYamlText(textContent, file);
  if (raw === null || raw === undefined) return {};
  if (!isMapping(raw)) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `${file}: expected a mapping of settings (user_name, user_id, ...), got ${describeValue(raw)}`,
    );
  }
  const messages = unknownKeyMessages(raw, TOP_KEYS, file, null);
  for (const section of ['ssh', 'rclone', 'ipfs'] as const) {
    const value = raw[section];
    if (isMapping(value)) messages.push(...unknownKeyMessages(value, NESTED_KEYS[section], file, section));
  }
  if (messages.length > 0) throw new ConfigError('CONFIG_INVALID', messages.join('\n'));

  if (isSystemFile) {
    const identity = IDENTITY_KEYS.filter((k) => Object.prototype.hasOwnProperty.call(raw, k));
    if (identity.length > 0) {
      throw new ConfigError(
        'CONFIG_INVALID',
        `${file}: ${identity.join(' and ')} must not be set in the system-wide config (it is shared by all users); ` +
          `remove ${identity.length > 1 ? 'them' : 'it'} there and set ${identity.length > 1 ? 'them' : 'it'} in ~/.config/dsg/${USER_CONFIG_FILE}`,
      );
    }
  }

  // A key left empty (`default_host:`) counts as not set.
  const cleaned: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null) continue;
    if (isMapping(value)) {
      cleaned[key] = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null));
    } else {
      cleaned[key] = value;
    }
  }
  return validateWith(FILE_SCHEMA, cleaned, file, []);
}

function listTried(paths: readonly string[], found: ReadonlySet<string>): string {
  return paths.map((p) => `  ${p} (${found.has(p) ? 'read' : 'not found'})`).join('\n');
}

/** Loads and merges; `etcDir` defaults to /etc/dsg (tests pass a temp dir). Throws ConfigError. */
export function loadUserConfig(
  opts: {
    env?: NodeJS.ProcessEnv;
    home?: string;
    etcDir?: string;
    /** 'optional' (commands that only read): no config or no identity gives an anonymous user (user_id ''). */
    identity?: 'required' | 'optional';
  } = {},
): UserConfig & { sources: string[] } {
  const env = opts.env ?? process.env;
  const home = homeDir(env, opts.home);
  const etcFile = path.join(opts.etcDir ?? DEFAULT_ETC_DIR, USER_CONFIG_FILE);
  const paths = userConfigPaths(env, opts.home, opts.etcDir);
  const personalFile = paths[paths.length - 1];

  const merged: FileConfig = {};
  const sources: string[] = [];
  for (const file of paths) {
    const content = readIfExists(file);
    if (content === null) continue;
    sources.push(file);
    const layer = parseUserFile(content, file, file === etcFile);
    for (const key of Object.keys(layer) as (keyof FileConfig)[]) {
      if (key === 'ssh' || key === 'rclone' || key === 'ipfs') {
        merged[key] = { ...merged[key], ...layer[key] } as never;
      } else {
        (merged as Record<string, unknown>)[key] = layer[key];
      }
    }
  }

  const found = new Set(sources);
  const anonymous = opts.identity === 'optional' && IDENTITY_KEYS.some((k) => merged[k] === undefined);
  if (anonymous) {
    merged.user_name = '';
    merged.user_id = '';
  }
  if (sources.length === 0 && !anonymous) {
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      `No dsg user configuration found. dsg looked for (in order):\n${listTried(paths, found)}\n` +
        `Create ${personalFile} containing at least:\n${EXAMPLE}`,
    );
  }
  const missing = IDENTITY_KEYS.filter((k) => merged[k] === undefined);
  if (missing.length > 0 && !anonymous) {
    throw new ConfigError(
      'CONFIG_INVALID',
      `The dsg user configuration does not set ${missing.join(' or ')}. Files tried (in order):\n` +
        `${listTried(paths, found)}\nAdd to ${personalFile}:\n${EXAMPLE}`,
    );
  }

  const result: UserConfig & { sources: string[] } = {
    user_name: merged.user_name as string,
    user_id: (merged.user_id as string).trim(),
    backup_on_conflict: merged.backup_on_conflict ?? true,
    sources,
  };
  if (merged.default_host !== undefined) result.default_host = merged.default_host;
  if (merged.default_project_path !== undefined) result.default_project_path = merged.default_project_path;
  if (merged.local_log !== undefined) result.local_log = expandHome(merged.local_log, home);
  if (merged.ssh !== undefined) {
    result.ssh = {};
    if (merged.ssh.key_path !== undefined) result.ssh.key_path = expandHome(merged.ssh.key_path, home);
  }
  if (merged.rclone !== undefined) {
    result.rclone = {};
    if (merged.rclone.config_path !== undefined) {
      result.rclone.config_path = expandHome(merged.rclone.config_path, home);
    }
  }
  if (merged.ipfs !== undefined) {
    result.ipfs = {};
    if (merged.ipfs.passphrase_file !== undefined) result.ipfs.passphrase_file = expandHome(merged.ipfs.passphrase_file, home);
  }
  return result;
}
