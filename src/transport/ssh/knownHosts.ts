/**
 * Host key verification against known_hosts, as OpenSSH's StrictHostKeyChecking=yes does: no
 * trust on first use, because dsg runs unattended in scripts where nobody would read a prompt,
 * and a repository server is set up once. Entries may be plain or hashed (`|1|salt|hmac`,
 * HMAC-SHA1 of the name keyed by the salt), list several comma-separated names or patterns
 * (`*`, `?`, `!negation`), and use `[host]:port` for ports other than 22. `@revoked` keys are
 * refused; `@cert-authority` lines are skipped (host certificates are not supported).
 * Messages show the key's SHA256 fingerprint the way `ssh` prints it and the exact commands
 * that trust it, so the user can check and fix it without knowing the file format.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { quoteArg } from './shellQuote.js';
import { SshError } from './SshError.js';

export interface KnownHostEntry {
  file: string;
  line: number;
  marker: '' | '@revoked';
  hostField: string;
  keyType: string;
  key: Buffer;
}

/** The name known_hosts stores for a host: `host` on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:` + unpadded base64 of the key blob's SHA-256, as `ssh-keygen -lf` prints it. */
export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The algorithm name at the start of an SSH public key blob ("ssh-ed25519", …). */
export function keyTypeOf(key: Buffer): string {
  if (key.length < 4) return 'unknown';
  const len = key.readUInt32BE(0);
  return key.length >= 4 + len ? key.subarray(4, 4 + len).toString('latin1') : 'unknown';
}

/** The name `ssh-keyscan -t` takes for a key type. */
function scanType(keyType: string): string {
  if (keyType === 'ssh-ed25519') return 'ed25519';
  if (keyType.startsWith('ecdsa-')) return 'ecdsa';
  if (keyType === 'ssh-rsa') return 'rsa';
  return keyType;
}

/** "ED25519", "ECDSA", "RSA": how ssh names a key kind in its messages. */
function kindName(keyType: string): string {
  return scanType(keyType).toUpperCase();
}

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'] = '';
    if (fields[0].startsWith('@')) {
      if (fields[0] !== '@revoked') return; // @cert-authority: host certificates are not supported
      marker = '@revoked';
      fields.shift();
    }
    if (fields.length < 3) return;
    const [hostField, keyType, b64] = fields;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0 || keyTypeOf(key) !== keyType) return; // a damaged line matches nothing, like ssh
    out.push({ file, line: i + 1, marker, hostField, keyType, key });
  });
  return out;
}

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'i');
}

function hashedMatches(entry: string, name: string): boolean {
  const parts = entry.split('|'); // ['', '1', salt, hmac]
  if (parts.length !== 4 || parts[1] !== '1') return false;
  const salt = Buffer.from(parts[2], 'base64');
  const want = Buffer.from(parts[3], 'base64');
  const got = createHmac('sha1', salt).update(name).digest();
  return want.length === got.length && timingSafeEqual(want, got);
}

/** Whether a known_hosts host field names `name` (a negated pattern that matches excludes the line). */
export function hostFieldMatches(hostField: string, name: string): boolean {
  if (hostField.startsWith('|')) return hashedMatches(hostField, name);
  let matched = false;
  for (const pat of hostField.split(',')) {
    if (pat === '') continue;
    if (pat.startsWith('!')) {
      if (globToRegExp(pat.slice(1)).test(name)) return false;
    } else if (globToRegExp(pat).test(name)) matched = true;
  }
  return matched;
}

function readEntries(files: readonly string[]): KnownHostEntry[] {
  const all: KnownHostEntry[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') continue;
      throw new Error(`cannot read the known hosts file ${file}: ${(err as Error).message}`, { cause: err });
    }
    all.push(...parseKnownHosts(text, file));
  }
  return all;
}

/** Entries that name this host, in file order. */
export function entriesFor(files: readonly string[], host: string, port: number): KnownHostEntry[] {
  const name = knownHostsName(host, port);
  return readEntries(files).filter((e) => hostFieldMatches(e.hostField, name));
}

/** Host key algorithms to ask for first: the kinds known_hosts holds for this host (as ssh does). */
export function preferredHostKeyAlgorithms(entries: readonly KnownHostEntry[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (e.marker !== '') continue;
    const algs = e.keyType === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [e.keyType];
    for (const a of algs) if (!out.includes(a)) out.push(a);
  }
  return out;
}

/** `~/.ssh/known_hosts` for a file under the home folder (left for the shell to expand), else quoted. */
function shellPath(file: string, homeDir: string): string {
  const rel = path.relative(homeDir, file);
  if (rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) && /^[A-Za-z0-9_./-]+$/.test(rel)) return `~/${rel}`;
  return quoteArg(file);
}

function bareOrQuoted(s: string): string {
  return /^[A-Za-z0-9_.:@%+=,-]+$/.test(s) ? s : quoteArg(s);
}

/** The command that appends the server's current key of this kind to `file`. */
function keyscanCommand(host: string, port: number, keyType: string, file: string, homeDir: string): string {
  const p = port === 22 ? '' : `-p ${port} `;
  return `ssh-keyscan ${p}-t ${scanType(keyType)} ${bareOrQuoted(host)} >> ${shellPath(file, homeDir)}`;
}

/**
 * Accept `key` for host:port or throw SshError (SSH_HOST_UNKNOWN, SSH_HOST_KEY_CHANGED,
 * SSH_HOST_KEY_REVOKED) with the fingerprint and the commands to fix it.
 */
export function verifyHostKey(
  key: Buffer,
  t: { host: string; port: number; user: string; knownHostsFiles: readonly string[]; homeDir: string },
): void {
  const name = knownHostsName(t.host, t.port);
  const entries = entriesFor(t.knownHostsFiles, t.host, t.port);
  const dest = `${t.user}@${t.host}:${t.port}`;
  const keyType = keyTypeOf(key);
  const fp = fingerprint(key);
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) {
    throw new SshError(
      'SSH_HOST_KEY_REVOKED',
      `The SSH host key of ${name} (${kindName(keyType)} ${fp}) is marked @revoked in ${revoked.file}:${revoked.line}; dsg refused to connect. Ask whoever runs the server which key it should present.`,
      dest,
    );
  }
  const valid = entries.filter((e) => e.marker === '');
  if (valid.some((e) => e.key.equals(key))) return;
  const file = t.knownHostsFiles[0];
  const scan = keyscanCommand(t.host, t.port, keyType, file, t.homeDir);
  if (valid.length === 0) {
    throw new SshError(
      'SSH_HOST_UNKNOWN',
      `The SSH host key of ${name} is not known: no entry for it in ${t.knownHostsFiles.join(', ')}, so dsg refused to connect. ` +
        `The server presents the ${kindName(keyType)} key ${fp}. If that is the server's key (check with whoever runs it: ` +
        `"ssh-keygen -lf /etc/ssh/ssh_host_${scanType(keyType)}_key.pub" on the server), trust it with:\n  ${scan}\nand run the command again.`,
      dest,
    );
  }
  const where = valid.map((e) => `${e.file}:${e.line} (${kindName(e.keyType)} ${fingerprint(e.key)})`).join(', ');
  // -f always: without it ssh-keygen edits the passwd entry's home, which may not be $HOME.
  const fileOpt = ` -f ${shellPath(file, t.homeDir)}`;
  throw new SshError(
    'SSH_HOST_KEY_CHANGED',
    `WARNING: the SSH host key of ${name} has changed, so dsg refused to connect: the server now presents the ${kindName(keyType)} key ${fp}, ` +
      `but known_hosts holds a different key for it (${where}). Someone may be intercepting the connection, or the server was reinstalled. ` +
      `If whoever runs the server confirms the new key, replace the old one with:\n  ssh-keygen -R ${quoteArg(name)}${fileOpt}\n  ${scan}\nand run the command again.`,
    dest,
  );
}
