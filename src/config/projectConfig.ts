/**
 * Project configuration: the `.dsgconfig.yml` file at a project's root.
 *
 * Two forms are read. The new form has a `repository:` mapping whose `type` selects the backend
 * (xfs, zfs, rclone, ipfs, s3). The legacy form has `transport: ssh|rclone|ipfs` plus one section
 * named after the transport; it is converted to the new form on load. Only the new form is
 * written (serializeProjectConfig).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/ConfigError.js';
import type { JsonValue } from '../manifest/types.js';
import {
  closestKey,
  describeValue,
  isMapping,
  parseYamlText,
  suggestionHint,
  unknownKeyMessages,
  validateWith,
} from './suggest.js';

/** Where a project's repository lives; `type` selects the backend. */
export type RepositoryConfig =
  | { type: 'xfs'; host: string; mountpoint: string }
  | { type: 'zfs'; host: string; pool: string; mountpoint: string }
  | { type: 'rclone'; remote: string; path: string }
  | { type: 'ipfs'; did: string; encrypted: boolean; blockstore?: string; api?: string }
  | { type: 's3'; bucket: string; prefix: string; endpoint?: string; region?: string };

/** Files left out of sync: exact relative paths, base names, and file-name suffixes. */
export interface IgnoreConfig {
  paths: string[];
  names: string[];
  suffixes: string[];
}

/** A validated project configuration (always in the new form). */
export interface ProjectConfig {
  name: string;
  repository: RepositoryConfig;
  /** Top-level directories that are synced; `['*']` means everything. */
  data_dirs: string[];
  ignore: IgnoreConfig;
}

/** Directories synced when `data_dirs` is not given. */
export const DEFAULT_DATA_DIRS: readonly string[] = Object.freeze(['input', 'output', 'frozen']);

/** Ignore rules used for each `ignore` key that is not given. */
export const DEFAULT_IGNORE: Readonly<IgnoreConfig> = Object.freeze({
  paths: Object.freeze([] as string[]) as string[],
  names: Object.freeze(['.DS_Store', '__pycache__', '.Rdata', '.rdata', '.RData', '.Rproj.user']) as string[],
  suffixes: Object.freeze(['.tmp', '.pyc']) as string[],
});

/** File name of the project config, at the project root. */
export const PROJECT_CONFIG_FILE = '.dsgconfig.yml';

type RepositoryType = RepositoryConfig['type'];
const REPOSITORY_TYPES: readonly RepositoryType[] = ['xfs', 'zfs', 'rclone', 'ipfs', 's3'];
const REPOSITORY_KEYS: Record<RepositoryType, readonly string[]> = {
  xfs: ['type', 'host', 'mountpoint'],
  zfs: ['type', 'host', 'pool', 'mountpoint'],
  rclone: ['type', 'remote', 'path'],
  ipfs: ['type', 'did', 'encrypted', 'blockstore', 'api'],
  s3: ['type', 'bucket', 'prefix', 'endpoint', 'region'],
};
const REPOSITORY_EXAMPLE = 'repository: {type: xfs, host: localhost, mountpoint: /srv/repos}';

type LegacyTransport = 'ssh' | 'rclone' | 'ipfs';
const LEGACY_TRANSPORTS: readonly LegacyTransport[] = ['ssh', 'rclone', 'ipfs'];
const LEGACY_KEYS: Record<LegacyTransport, readonly string[]> = {
  ssh: ['name', 'host', 'path', 'type', 'pool'],
  rclone: ['name', 'remote', 'path'],
  ipfs: ['name', 'did', 'encrypted', 'blockstore', 'api'],
};
const LEGACY_EXAMPLES: Record<LegacyTransport, string> = {
  ssh: 'ssh: {host: server1, path: /srv/repos, type: xfs}',
  rclone: 'rclone: {remote: "myremote:bucket", path: /repos}',
  ipfs: 'ipfs: {did: "did:key:...", encrypted: true}',
};

const TOP_KEYS = ['name', 'repository', 'data_dirs', 'ignore', 'transport', 'ssh', 'rclone', 'ipfs', 'project'] as const;
const PROJECT_WRAPPER_KEYS = ['data_dirs', 'ignore'] as const;
const IGNORE_KEYS = ['paths', 'names', 'suffixes'] as const;

// ----------------------------------------------------------------------------- zod pieces

const text = () => z.string().refine((s) => s.trim() !== '', { message: 'must not be empty' });
const absolutePath = () =>
  text().refine((s) => s.startsWith('/'), { message: 'must be an absolute path (starting with "/")' });
const poolName = () =>
  text().refine((s) => !s.startsWith('/') && !s.endsWith('/'), {
    message: 'must be a ZFS pool or dataset name such as "tank" or "tank/repos" (no leading or trailing "/")',
  });
const did = () => text().refine((s) => s.startsWith('did:'), { message: 'must be a DID (starting with "did:")' });
const url = () =>
  text().refine((s) => /^https?:\/\/[^\s/]+/.test(s), { message: 'must be an http:// or https:// URL' });

const REPOSITORY_SCHEMAS = {
  xfs: z.object({ type: z.literal('xfs'), host: text(), mountpoint: absolutePath() }),
  zfs: z.object({ type: z.literal('zfs'), host: text(), pool: poolName(), mountpoint: absolutePath() }),
  rclone: z.object({ type: z.literal('rclone'), remote: text(), path: text() }),
  ipfs: z.object({ type: z.literal('ipfs'), did: did(), encrypted: z.boolean().default(true), blockstore: absolutePath().optional(), api: url().optional() }),
  s3: z.object({
    type: z.literal('s3'),
    bucket: text(),
    prefix: z.string(),
    endpoint: url().optional(),
    region: text().optional(),
  }),
} as const;

const LEGACY_SCHEMAS = {
  ssh: z.object({
    name: z.unknown().optional(),
    host: text(),
    path: absolutePath(),
    type: z.enum(['zfs', 'xfs']),
    pool: poolName().optional(),
  }),
  rclone: z.object({ name: z.unknown().optional(), remote: text(), path: text() }),
  ipfs: z.object({ name: z.unknown().optional(), did: did(), encrypted: z.boolean().default(true), blockstore: absolutePath().optional(), api: url().optional() }),
} as const;

const stringList = () => z.array(z.string().refine((s) => s !== '', { message: 'must not be empty' }));

// ----------------------------------------------------------------------------- helpers

function invalid(message: string): ConfigError {
  return new ConfigError('CONFIG_INVALID', message);
}

function hasKey(obj: Record<string, unknown>, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

function throwUnknownKeys(
  obj: Record<string, unknown>,
  valid: readonly string[],
  file: string,
  where: string | null,
): void {
  const messages = unknownKeyMessages(obj, valid, file, where);
  if (messages.length > 0) throw invalid(messages.join('\n'));
}

/** Why `name` is not a safe single path component, or null when it is fine. */
function nameProblem(name: string): string | null {
  if (name === '') return 'must not be empty';
  if (name === '.' || name === '..') return `must not be "${name}"`;
  if (name.includes('/') || name.includes('\\')) return 'must be a single directory name (no "/" or "\\")';
  if (name.trim() !== name) return 'must not start or end with whitespace';
  if (name.startsWith('-')) return 'must not start with "-"';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return 'must not contain control characters';
  return null;
}

function validateName(value: unknown, file: string, key: string): string {
  if (value === undefined || value === null) {
    throw invalid(`${file}: ${key} is required (the project name, a single directory name such as "myproject")`);
  }
  if (typeof value !== 'string') {
    const hint = typeof value === 'number' || typeof value === 'boolean' ? ` (quote it: ${key}: "${String(value)}")` : '';
    throw invalid(`${file}: ${key} must be a string, got ${describeValue(value)}${hint}`);
  }
  const problem = nameProblem(value);
  if (problem !== null) throw invalid(`${file}: ${key} ${problem}, got ${describeValue(value)}`);
  return value;
}

function parseDataDirs(value: unknown, file: string): string[] {
  if (value === undefined || value === null) return [...DEFAULT_DATA_DIRS];
  if (value === '*') return ['*'];
  const list = validateWith(stringList(), value, file, ['data_dirs']);
  if (list.length === 0) {
    throw invalid(`${file}: data_dirs must list at least one directory (or "*" for everything); remove the key to use ${DEFAULT_DATA_DIRS.join(', ')}`);
  }
  const out: string[] = [];
  for (const [i, raw] of list.entries()) {
    const dir = raw.length > 1 && raw.endsWith('/') ? raw.slice(0, -1) : raw;
    if (dir === '*') return ['*'];
    const problem = nameProblem(dir);
    if (problem !== null) {
      throw invalid(`${file}: data_dirs[${i}] ${problem}, got ${describeValue(raw)} (each entry is a top-level directory of the project)`);
    }
    if (!out.includes(dir)) out.push(dir);
  }
  return out;
}

function parseIgnore(value: unknown, file: string): IgnoreConfig {
  const result: IgnoreConfig = {
    paths: [...DEFAULT_IGNORE.paths],
    names: [...DEFAULT_IGNORE.names],
    suffixes: [...DEFAULT_IGNORE.suffixes],
  };
  if (value === undefined || value === null) return result;
  if (!isMapping(value)) {
    throw invalid(`${file}: ignore must be a mapping with any of paths, names, suffixes, got ${describeValue(value)}`);
  }
  throwUnknownKeys(value, IGNORE_KEYS, file, 'ignore');
  for (const key of IGNORE_KEYS) {
    if (!hasKey(value, key)) continue;
    const given = value[key];
    // An empty value (`names:`) is taken as an empty list: the key was given, so it replaces the default.
    result[key] = given === null ? [] : [...new Set(validateWith(stringList(), given, file, ['ignore', key]))];
  }
  return result;
}

function parseRepository(value: unknown, file: string): RepositoryConfig {
  if (!isMapping(value)) {
    throw invalid(`${file}: repository must be a mapping, got ${describeValue(value)}; e.g. ${REPOSITORY_EXAMPLE}`);
  }
  const type = value.type;
  if (type === undefined || type === null) {
    throw invalid(`${file}: repository.type is required (one of ${REPOSITORY_TYPES.join(', ')})`);
  }
  if (typeof type !== 'string' || !(REPOSITORY_TYPES as readonly string[]).includes(type)) {
    const close = typeof type === 'string' ? closestKey(type, REPOSITORY_TYPES) : null;
    throw invalid(
      `${file}: repository.type ${describeValue(type)} is not supported; use one of ${REPOSITORY_TYPES.join(', ')}` +
        (close ? ` (did you mean "${close}"?)` : ''),
    );
  }
  const repoType = type as RepositoryType;
  const valid = REPOSITORY_KEYS[repoType];
  const messages: string[] = [];
  for (const key of Object.keys(value)) {
    if (valid.includes(key)) continue;
    const owners = REPOSITORY_TYPES.filter((t) => REPOSITORY_KEYS[t].includes(key));
    if (owners.length > 0) {
      messages.push(
        `${file}: unknown key "${key}" in repository: it is only used with type ${owners.join(' or ')}, ` +
          `not ${repoType} (valid keys for ${repoType}: ${valid.join(', ')})`,
      );
    } else {
      messages.push(`${file}: unknown key "${key}" in repository ${suggestionHint(key, valid)}`);
    }
  }
  if (messages.length > 0) throw invalid(messages.join('\n'));
  const parsed = validateWith(REPOSITORY_SCHEMAS[repoType], value, file, ['repository'], ` for type ${repoType}`);
  if (parsed.type === 's3') {
    const s3: RepositoryConfig = { type: 's3', bucket: parsed.bucket, prefix: parsed.prefix };
    if (parsed.endpoint !== undefined) s3.endpoint = parsed.endpoint;
    if (parsed.region !== undefined) s3.region = parsed.region;
    return s3;
  }
  return parsed;
}

/** Converts the legacy `transport:` form; returns the repository and the name found in the section (if any). */
function parseLegacy(
  top: Record<string, unknown>,
  file: string,
): { repository: RepositoryConfig; sectionName: unknown; transport: LegacyTransport } {
  const transport = top.transport;
  if (typeof transport !== 'string' || !(LEGACY_TRANSPORTS as readonly string[]).includes(transport)) {
    const close = typeof transport === 'string' ? closestKey(transport, LEGACY_TRANSPORTS) : null;
    throw invalid(
      `${file}: transport must be one of ${LEGACY_TRANSPORTS.join(', ')}, got ${describeValue(transport)}` +
        (close ? ` (did you mean "${close}"?)` : '') +
        ` (or replace the legacy transport form with ${REPOSITORY_EXAMPLE})`,
    );
  }
  const kind = transport as LegacyTransport;
  for (const other of LEGACY_TRANSPORTS) {
    if (other !== kind && hasKey(top, other)) {
      throw invalid(`${file}: transport is "${kind}" but an "${other}" section is also present; remove the ${other} section`);
    }
  }
  const section = top[kind];
  if (section === undefined || section === null) {
    throw invalid(`${file}: transport is "${kind}" but the ${kind} section is missing; add e.g. ${LEGACY_EXAMPLES[kind]}`);
  }
  if (!isMapping(section)) {
    throw invalid(`${file}: ${kind} must be a mapping, got ${describeValue(section)}; e.g. ${LEGACY_EXAMPLES[kind]}`);
  }
  throwUnknownKeys(section, LEGACY_KEYS[kind], file, kind);

  if (kind === 'ssh') {
    const s = validateWith(LEGACY_SCHEMAS.ssh, section, file, ['ssh']);
    if (s.type === 'zfs') {
      if (s.pool === undefined) {
        throw invalid(`${file}: ssh.pool is required for type zfs (the ZFS pool holding the repositories, e.g. pool: tank)`);
      }
      return {
        repository: { type: 'zfs', host: s.host, pool: s.pool, mountpoint: s.path },
        sectionName: s.name,
        transport: kind,
      };
    }
    if (s.pool !== undefined) throw invalid(`${file}: ssh.pool is only used with type zfs; remove it for type xfs`);
    return { repository: { type: 'xfs', host: s.host, mountpoint: s.path }, sectionName: s.name, transport: kind };
  }
  if (kind === 'rclone') {
    const r = validateWith(LEGACY_SCHEMAS.rclone, section, file, ['rclone']);
    return { repository: { type: 'rclone', remote: r.remote, path: r.path }, sectionName: r.name, transport: kind };
  }
  const p = validateWith(LEGACY_SCHEMAS.ipfs, section, file, ['ipfs']);
  const repository: RepositoryConfig = { type: 'ipfs', did: p.did, encrypted: p.encrypted };
  if (p.blockstore !== undefined) repository.blockstore = p.blockstore;
  if (p.api !== undefined) repository.api = p.api;
  return { repository, sectionName: p.name, transport: kind };
}

// ----------------------------------------------------------------------------- public API

/** Parses and validates the text of a config file; `fileLabel` is used in error messages. */
export function parseProjectConfig(text: string, fileLabel: string = PROJECT_CONFIG_FILE): ProjectConfig {
  return projectConfigFromValue(parseYamlText(text, fileLabel), fileLabel);
}

/**
 * Validates an already parsed config document (e.g. the `project_config` a repository's
 * manifest records) by exactly the rules of a `.dsgconfig.yml` file.
 */
export function projectConfigFromValue(raw: unknown, fileLabel: string): ProjectConfig {
  const file = fileLabel;
  if (raw === null || raw === undefined) {
    throw invalid(`${file}: the file is empty; it needs at least name and repository, e.g.\nname: myproject\n${REPOSITORY_EXAMPLE}`);
  }
  if (!isMapping(raw)) {
    throw invalid(`${file}: expected a mapping of settings (name, repository, ...) at the top level, got ${describeValue(raw)}`);
  }
  const top: Record<string, unknown> = { ...raw };
  throwUnknownKeys(top, TOP_KEYS, file, null);

  // Legacy `project:` wrapper around data_dirs / ignore.
  if (hasKey(top, 'project')) {
    const wrapper = top.project;
    delete top.project;
    if (wrapper !== null && wrapper !== undefined) {
      if (!isMapping(wrapper)) {
        throw invalid(`${file}: project must be a mapping holding data_dirs and/or ignore, got ${describeValue(wrapper)}`);
      }
      throwUnknownKeys(wrapper, PROJECT_WRAPPER_KEYS, file, 'project');
      for (const key of PROJECT_WRAPPER_KEYS) {
        if (!hasKey(wrapper, key)) continue;
        if (hasKey(top, key)) {
          throw invalid(`${file}: ${key} is given both at the top level and under project:; keep only the top-level one`);
        }
        top[key] = wrapper[key];
      }
    }
  }

  const hasRepository = hasKey(top, 'repository');
  const hasTransport = hasKey(top, 'transport');
  if (hasRepository && hasTransport) {
    throw invalid(
      `${file}: both repository and transport are present; exactly one is allowed. ` +
        `Keep repository (the current form) and remove transport and its ${LEGACY_TRANSPORTS.join('/')} section`,
    );
  }
  if (!hasRepository && !hasTransport) {
    throw invalid(`${file}: neither repository nor transport is present; exactly one is required, e.g. ${REPOSITORY_EXAMPLE}`);
  }

  let repository: RepositoryConfig;
  let name: string;
  if (hasRepository) {
    for (const section of LEGACY_TRANSPORTS) {
      if (hasKey(top, section)) {
        throw invalid(
          `${file}: the "${section}" section belongs to the legacy transport form; with repository: ` +
            `move its settings into repository and remove the ${section} section`,
        );
      }
    }
    repository = parseRepository(top.repository, file);
    name = validateName(top.name, file, 'name');
  } else {
    const legacy = parseLegacy(top, file);
    repository = legacy.repository;
    const topName = top.name;
    const hasTop = topName !== undefined && topName !== null;
    const hasSection = legacy.sectionName !== undefined && legacy.sectionName !== null;
    if (hasTop) {
      name = validateName(topName, file, 'name');
      if (hasSection) {
        const sectionName = validateName(legacy.sectionName, file, `${legacy.transport}.name`);
        if (sectionName !== name) {
          throw invalid(
            `${file}: name "${name}" and ${legacy.transport}.name "${sectionName}" differ; keep only the top-level name`,
          );
        }
      }
    } else if (hasSection) {
      name = validateName(legacy.sectionName, file, `${legacy.transport}.name`);
    } else {
      name = validateName(undefined, file, 'name');
    }
  }

  return {
    name,
    repository,
    data_dirs: parseDataDirs(top.data_dirs, file),
    ignore: parseIgnore(top.ignore, file),
  };
}

/** Walks up from startDir; returns the directory holding .dsgconfig.yml, or null. */
export function findProjectRoot(startDir: string): string | null {
  let dir = path.resolve(startDir);
  for (;;) {
    const candidate = path.join(dir, PROJECT_CONFIG_FILE);
    const stat = fs.statSync(candidate, { throwIfNoEntry: false });
    if (stat?.isFile()) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * findProjectRoot + read + parse; throws ConfigError (CONFIG_NOT_FOUND) naming startDir when
 * none is found, telling the user to run `dsg init` or cd into a project.
 */
export function loadProjectConfig(startDir: string): { root: string; file: string; config: ProjectConfig } {
  const root = findProjectRoot(startDir);
  if (root === null) {
    throw new ConfigError(
      'CONFIG_NOT_FOUND',
      `No ${PROJECT_CONFIG_FILE} found in ${path.resolve(startDir)} or any of its parent directories. ` +
        'Run `dsg init` to create a project here, or cd into a dsg project directory.',
    );
  }
  const file = path.join(root, PROJECT_CONFIG_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError('CONFIG_INVALID', `${file}: cannot read the project config: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { root, file, config: parseProjectConfig(text, file) };
}

/** New-form YAML text for a config (round-trips through parseProjectConfig). */
export function serializeProjectConfig(config: ProjectConfig): string {
  const text = stringify(projectConfigDocument(config), { lineWidth: 0 });
  // Never hand back text that would not load again.
  parseProjectConfig(text, `${PROJECT_CONFIG_FILE} (being written)`);
  return text;
}

/** A config as the plain new-form document `.dsgconfig.yml` holds (and manifests record as `project_config`). */
export function projectConfigDocument(config: ProjectConfig): { [key: string]: JsonValue } {
  const r = config.repository;
  let repository: Record<string, unknown>;
  switch (r.type) {
    case 'xfs':
      repository = { type: r.type, host: r.host, mountpoint: r.mountpoint };
      break;
    case 'zfs':
      repository = { type: r.type, host: r.host, pool: r.pool, mountpoint: r.mountpoint };
      break;
    case 'rclone':
      repository = { type: r.type, remote: r.remote, path: r.path };
      break;
    case 'ipfs':
      repository = { type: r.type, did: r.did, encrypted: r.encrypted };
      if (r.blockstore !== undefined) repository.blockstore = r.blockstore;
      if (r.api !== undefined) repository.api = r.api;
      break;
    case 's3':
      repository = { type: r.type, bucket: r.bucket, prefix: r.prefix };
      if (r.endpoint !== undefined) repository.endpoint = r.endpoint;
      if (r.region !== undefined) repository.region = r.region;
      break;
  }
  return {
    name: config.name,
    repository: repository as { [key: string]: JsonValue },
    data_dirs: [...config.data_dirs],
    ignore: {
      paths: [...config.ignore.paths],
      names: [...config.ignore.names],
      suffixes: [...config.ignore.suffixes],
    },
  };
}

/** How dsg reaches a repository. */
export type TransportKind = 'local' | 'ssh' | 'rclone' | 'ipfs' | 's3';

/** Resolved location of a project's repository. */
export interface RepositoryLocation {
  transport: TransportKind;
  /** xfs/zfs: the host; rclone: the remote (e.g. "s3remote:bucket"); s3: the endpoint if any; otherwise null. */
  host: string | null;
  /** absolute repository path for xfs/zfs (`<mountpoint>/<name>`), remote path for rclone, prefix for s3 */
  path: string;
  /** ZFS dataset of the repository, `<pool>/<name>` (zfs only). */
  dataset?: string;
}

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1']);

/**
 * True when `host` names this machine: localhost, 127.0.0.1, ::1, or this machine's hostname
 * (compared case-insensitively; the short form of a fully-qualified hostname also matches).
 */
export function isLocalHost(host: string, hostname: string = os.hostname()): boolean {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (LOOPBACK_HOSTS.has(h)) return true;
  const self = hostname.trim().toLowerCase();
  if (self === '') return false;
  return h === self || h === self.split('.')[0];
}

/**
 * Where the repository of `config.name` lives and how to reach it. `opts.hostname` overrides
 * `os.hostname()` for the local-host check (tests).
 */
export function repositoryLocation(config: ProjectConfig, opts: { hostname?: string } = {}): RepositoryLocation {
  const r = config.repository;
  switch (r.type) {
    case 'xfs':
      return {
        transport: isLocalHost(r.host, opts.hostname) ? 'local' : 'ssh',
        host: r.host,
        path: path.posix.join(r.mountpoint, config.name),
      };
    case 'zfs':
      return {
        transport: isLocalHost(r.host, opts.hostname) ? 'local' : 'ssh',
        host: r.host,
        path: path.posix.join(r.mountpoint, config.name),
        dataset: `${r.pool.replace(/\/+$/, '')}/${config.name}`,
      };
    case 'rclone':
      return { transport: 'rclone', host: r.remote, path: path.posix.join(r.path, config.name) };
    case 'ipfs':
      return { transport: 'ipfs', host: null, path: config.name };
    case 's3':
      return { transport: 's3', host: r.endpoint ?? null, path: r.prefix.replace(/\/+$/, '') };
  }
}
