/**
 * From a host alias to where and how to connect, as OpenSSH's `ssh <alias>` would: the user's
 * `~/.ssh/config` (HostName, Port, User, IdentityFile, UserKnownHostsFile; first match wins,
 * `Host` patterns with `*`, `?`, `!`), parsed by the `ssh-config` package. Only the user's
 * file is read, not /etc/ssh/ssh_config: dsg must behave the same on every machine a team uses,
 * and tests point `homeDir` at a sandbox. The login user is the SSH user (config `User`, else
 * the local account name), never dsg.yml's display name.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import SSHConfig from 'ssh-config';

export interface SshTarget {
  /** What the user wrote (.dsgconfig.yml `host`). */
  alias: string;
  /** Host name or address to connect to (config HostName, else the alias). */
  host: string;
  port: number;
  /** Login user on the server. */
  user: string;
  /** IdentityFile entries from the ssh config, expanded, in order. */
  identityFiles: string[];
  /** known_hosts files to check, in order (UserKnownHostsFile, else ~/.ssh/known_hosts). */
  knownHostsFiles: string[];
  homeDir: string;
}

function localUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return process.env.USER ?? process.env.LOGNAME ?? 'root';
  }
}

/** Case-insensitive read of a computed directive (ssh_config keywords are case-insensitive). */
function directive(computed: Record<string, string | string[]>, name: string): string[] {
  const key = Object.keys(computed).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key === undefined) return [];
  const v = computed[key];
  return Array.isArray(v) ? v : [v];
}

/** `~` and the `%` tokens OpenSSH expands in file names (%d home, %u local user, %h host, %r remote user, %p port, %%). */
export function expandSshPath(p: string, t: { homeDir: string; host: string; user: string; port: number }): string {
  let out = p;
  if (out === '~') out = t.homeDir;
  else if (out.startsWith('~/')) out = path.join(t.homeDir, out.slice(2));
  out = out.replace(/%([%dhurp])/g, (_m, c: string) => {
    switch (c) {
      case '%':
        return '%';
      case 'd':
        return t.homeDir;
      case 'h':
        return t.host;
      case 'u':
        return localUser();
      case 'r':
        return t.user;
      default:
        return String(t.port);
    }
  });
  return out;
}

/** Resolve `alias` through `<homeDir>/.ssh/config` (absent file: the alias is the host name). */
export function resolveSshTarget(alias: string, opts: { homeDir?: string } = {}): SshTarget {
  const homeDir = opts.homeDir ?? os.homedir();
  const file = path.join(homeDir, '.ssh', 'config');
  let computed: Record<string, string | string[]> = {};
  let text: string | null = null;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (text !== null) {
    try {
      computed = SSHConfig.parse(text).compute(alias) as Record<string, string | string[]>;
    } catch (err) {
      throw new Error(`cannot parse ${file}: ${(err as Error).message}`, { cause: err });
    }
  }
  const host = directive(computed, 'HostName')[0]?.replace(/%h/g, alias) ?? alias;
  const portText = directive(computed, 'Port')[0];
  const port = portText === undefined ? 22 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${file}: Port ${JSON.stringify(portText)} for host ${alias} is not a port number`);
  const user = directive(computed, 'User')[0] ?? localUser();
  const t = { homeDir, host, user, port };
  const identityFiles = directive(computed, 'IdentityFile').filter((f) => f.toLowerCase() !== 'none').map((f) => expandSshPath(f, t));
  const known = directive(computed, 'UserKnownHostsFile')
    .flatMap((f) => f.split(/\s+/))
    .filter((f) => f !== '' && f.toLowerCase() !== 'none')
    .map((f) => expandSshPath(f, t));
  return {
    alias,
    host,
    port,
    user,
    identityFiles,
    knownHostsFiles: known.length > 0 ? known : [path.join(homeDir, '.ssh', 'known_hosts')],
    homeDir,
  };
}
