/**
 * One SSH connection per dsg command, opened on first use: the TCP connect, key exchange,
 * host key check and login cost tens of milliseconds each, so everything after shares them.
 * Files go through one SFTP session (requests pipelined on it); commands through `exec`
 * channels, at most MAX_EXEC_CHANNELS at once because a stock sshd allows 10 sessions per
 * connection (MaxSessions) and one of them is the SFTP session.
 *
 * A connection that drops is not reopened: the command fails with SSH_CONNECTION_LOST and the
 * next run's recovery finds what the server holds. Keepalives detect a silent peer in ~45 s.
 *
 * Authentication order (first accepted wins), like `ssh`: the agent (SSH_AUTH_SOCK), then
 * dsg.yml's `ssh.key_path`, then the ssh config's IdentityFile(s), then ~/.ssh/id_ed25519,
 * id_ecdsa, id_rsa. Keys needing a passphrase are skipped (dsg never prompts): load them into
 * the agent. A failure lists everything tried.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Socket } from 'node:net';
import type { Client as ClientType, ClientChannel, ConnectConfig, SFTPWrapper, AnyAuthMethod, ServerHostKeyAlgorithm } from 'ssh2';
import { entriesFor, preferredHostKeyAlgorithms, verifyHostKey } from './knownHosts.js';
import { SshError } from './SshError.js';
import { BoundedOutput } from '../Transport.js';
import type { SshTarget } from './sshConfig.js';

// ssh2 (and its native crypto) loads on the first connection, not with every dsg command
// (start-up time: design/performance.md P4).
let ssh2Module: typeof import('ssh2') | undefined;
function ssh2(): typeof import('ssh2') {
  return (ssh2Module ??= createRequire(import.meta.url)('ssh2') as typeof import('ssh2'));
}

/** ssh2 1.17's default host key algorithms, in its order (known kinds get moved to the front). */
const DEFAULT_HOST_KEY_ALGORITHMS = ['ssh-ed25519', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'];
/** Stock sshd's MaxSessions is 10; one channel is the SFTP session. */
export const MAX_EXEC_CHANNELS = 8;
const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];

export interface SshConnectionOptions {
  target: SshTarget;
  /** dsg.yml `ssh.key_path`. */
  keyPath?: string;
  /** The agent socket; default: SSH_AUTH_SOCK. `null`: no agent. */
  agentSocket?: string | null;
  readyTimeoutMs?: number;
}

/** "user@host:port", or "user@host" on port 22. */
export function destinationOf(t: { user: string; host: string; port: number }): string {
  const host = t.host.includes(':') ? `[${t.host}]` : t.host;
  return t.port === 22 ? `${t.user}@${host}` : `${t.user}@${host}:${t.port}`;
}

type KeyCandidate = { label: string; file: string };

function keyCandidates(opts: SshConnectionOptions): KeyCandidate[] {
  const t = opts.target;
  const list: KeyCandidate[] = [];
  if (opts.keyPath) list.push({ label: 'ssh.key_path in dsg.yml', file: opts.keyPath });
  for (const f of t.identityFiles) list.push({ label: 'IdentityFile in ~/.ssh/config', file: f });
  for (const k of DEFAULT_KEYS) list.push({ label: 'default key', file: path.join(t.homeDir, '.ssh', k) });
  const seen = new Set<string>();
  return list.filter((c) => {
    const key = path.resolve(c.file);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

class Semaphore {
  private waiting: (() => void)[] = [];
  constructor(private free: number) {}
  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }
  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

export interface ExecOutput {
  code: number;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/**
 * Hand the socket every packet ssh2 produces in one turn of the event loop as one write: ssh2
 * writes each SSH packet on its own (a 254 KiB SFTP write is eight 32 KiB channel packets, and
 * pipelined small requests are one packet each), and on loopback or a fast link the system
 * call per packet, not the bytes, is what costs. Corked writes go out together in the check
 * phase of the same turn (setImmediate), so nothing waits longer than the turn.
 * Uses ssh2's socket (`_sock`, set by connect()); without one it changes nothing.
 */
function coalesceWrites(client: ClientType): void {
  const sock = (client as unknown as { _sock?: Socket })._sock;
  if (!sock || typeof sock.cork !== 'function') return;
  const write = sock.write.bind(sock) as (...args: unknown[]) => boolean;
  let corked = false;
  (sock as unknown as { write: (...args: unknown[]) => boolean }).write = (...args: unknown[]) => {
    if (!corked) {
      corked = true;
      sock.cork();
      setImmediate(() => {
        corked = false;
        sock.uncork();
      });
    }
    return write(...args);
  };
}

export class SshConnection {
  readonly destination: string;
  private client: ClientType | null = null;
  private ready: Promise<ClientType> | null = null;
  private sftpSession: Promise<SFTPWrapper> | null = null;
  private lost: SshError | null = null;
  private closing = false;
  private readonly channels = new Semaphore(MAX_EXEC_CHANNELS);
  private readonly pendingExecs = new Set<(err: Error) => void>();
  private ended = false;

  constructor(private readonly opts: SshConnectionOptions) {
    this.destination = destinationOf(opts.target);
  }

  /** Set once the connection dropped (not by close()); every later call fails with it. */
  get lostError(): SshError | null {
    return this.lost;
  }

  private connect(): Promise<ClientType> {
    const t = this.opts.target;
    const known = entriesFor(t.knownHostsFiles, t.host, t.port);
    const preferred = preferredHostKeyAlgorithms(known).filter((a) => DEFAULT_HOST_KEY_ALGORITHMS.includes(a));
    const hostKeyAlgorithms = [...preferred, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))];
    const tried: string[] = [];
    const notes: string[] = [];
    const methods = this.authMethods(notes);
    let hostKeyError: SshError | null = null;
    const client = new (ssh2().Client)();
    this.client = client;
    const config: ConnectConfig = {
      host: t.host,
      port: t.port,
      username: t.user,
      readyTimeout: this.opts.readyTimeoutMs ?? 20_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      algorithms: { serverHostKey: hostKeyAlgorithms as ServerHostKeyAlgorithm[] },
      hostVerifier: (key: Buffer) => {
        try {
          verifyHostKey(key, t);
          return true;
        } catch (err) {
          hostKeyError = err as SshError;
          return false;
        }
      },
      authHandler: (_left, _partial, next) => {
        const m = methods.shift();
        if (m) tried.push(m.label);
        next(m ? m.method : (false as unknown as AnyAuthMethod));
      },
    };
    return new Promise<ClientType>((resolve, reject) => {
      let up = false;
      client.on('ready', () => {
        up = true;
        resolve(client);
      });
      client.on('error', (err: Error & { level?: string }) => {
        if (up) {
          this.markLost(err.message);
          return;
        }
        if (hostKeyError) reject(hostKeyError);
        else if (err.level === 'client-authentication') {
          reject(
            new SshError(
              'SSH_AUTH_FAILED',
              `SSH login as ${this.destination} failed: the server accepted none of the keys dsg tried (${[...tried, ...notes].join('; ') || 'no agent and no key file found'}). ` +
                `Add your public key to ~/.ssh/authorized_keys of ${t.user} on ${t.host}, set ssh.key_path in dsg.yml, or load the key into ssh-agent.`,
              this.destination,
              { cause: err },
            ),
          );
        } else {
          reject(new SshError('SSH_CONNECT_FAILED', `cannot connect to ${this.destination} over SSH: ${err.message}. Check the host name and port (~/.ssh/config) and that the server runs sshd.`, this.destination, { cause: err }));
        }
      });
      client.on('close', () => {
        this.ended = true;
        if (!up) {
          if (hostKeyError) reject(hostKeyError);
          else reject(new SshError('SSH_CONNECT_FAILED', `cannot connect to ${this.destination} over SSH: the server closed the connection during login.`, this.destination));
          return;
        }
        if (!this.closing) this.markLost('the server or the network closed it');
      });
      client.connect(config);
      coalesceWrites(client);
    });
  }

  /** Auth methods in order, each with how to name it; `notes` gets keys that could not be offered. */
  private authMethods(notes: string[]): { method: AnyAuthMethod; label: string }[] {
    const t = this.opts.target;
    const username = t.user;
    const out: { method: AnyAuthMethod; label: string }[] = [];
    const agent = this.opts.agentSocket === undefined ? process.env.SSH_AUTH_SOCK : this.opts.agentSocket;
    if (agent) out.push({ method: { type: 'agent', username, agent }, label: `the SSH agent (${agent})` });
    for (const c of keyCandidates(this.opts)) {
      let data: Buffer;
      try {
        data = fs.readFileSync(c.file);
      } catch (err) {
        // Missing default keys are normal; a configured key that is missing is worth saying.
        if (c.label !== 'default key') notes.push(`${c.file} (${c.label}): cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
        continue;
      }
      const parsed = ssh2().utils.parseKey(data);
      if (parsed instanceof Error) {
        const encrypted = /passphrase/i.test(parsed.message);
        notes.push(`${c.file} (${c.label}): ${encrypted ? 'needs a passphrase, which dsg never asks for: add it to ssh-agent (ssh-add)' : `not a usable private key (${parsed.message})`}`);
        continue;
      }
      out.push({ method: { type: 'publickey', username, key: data }, label: `${c.file} (${c.label})` });
    }
    return out;
  }

  private markLost(reason: string): void {
    if (this.lost || this.closing) return;
    this.lost = new SshError(
      'SSH_CONNECTION_LOST',
      `The SSH connection to ${this.destination} was lost (${reason}).`,
      this.destination,
    );
    // Commands still waiting for their channel to close would wait forever.
    for (const reject of this.pendingExecs) reject(this.lost);
    this.pendingExecs.clear();
  }

  /** The connected client (connecting on first use). */
  async open(): Promise<ClientType> {
    if (this.lost) throw this.lost;
    if (this.closing) throw new Error(`the SSH connection to ${this.destination} is closed`);
    this.ready ??= this.connect();
    try {
      return await this.ready;
    } catch (err) {
      this.ready = null; // a later call may retry the connect (e.g. after the user fixed known_hosts)
      throw err;
    }
  }

  /** The SFTP session, opened on first use (and again after `resetSftp`). */
  async sftp(): Promise<SFTPWrapper> {
    if (this.lost) throw this.lost;
    this.sftpSession ??= this.open().then(
      (client) =>
        new Promise<SFTPWrapper>((resolve, reject) => {
          client.sftp((err, sftp) => {
            if (err) reject(this.lost ?? new SshError('SSH_CONNECT_FAILED', `${this.destination} refused an SFTP session (${err.message}); the server needs "Subsystem sftp" in its sshd_config.`, this.destination, { cause: err }));
            else {
              sftp.on('close', () => {
                if (this.sftpSession && !this.closing) this.sftpSession = null;
              });
              resolve(sftp);
            }
          });
        }),
    );
    try {
      return await this.sftpSession;
    } catch (err) {
      this.sftpSession = null;
      throw err;
    }
  }

  /**
   * Abandon the SFTP session (a request on it will never be answered, e.g. an open blocked on
   * a FIFO: sftp-server handles one request at a time). The next call gets a fresh one.
   */
  resetSftp(): void {
    const old = this.sftpSession;
    this.sftpSession = null;
    old?.then((s) => s.end(), () => undefined);
  }

  /**
   * Run one command line (already quoted) and collect its output. `stdin`: bytes fed to the
   * command with the channel's flow control (constant memory), then EOF; without it stdin is
   * closed at once. A failure of `stdin` itself ends the command and is what the call rejects with.
   */
  async exec(command: string, stdin?: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<ExecOutput> {
    const client = await this.open();
    await this.channels.acquire();
    try {
      return await new Promise<ExecOutput>((resolve, reject) => {
        if (this.lost) {
          reject(this.lost);
          return;
        }
        this.pendingExecs.add(reject);
        client.exec(command, (err, ch: ClientChannel) => {
          if (err) {
            this.pendingExecs.delete(reject);
            reject(this.lost ?? new Error(`cannot run a command on ${this.destination}: ${err.message}`, { cause: err }));
            return;
          }
          const output = new BoundedOutput();
          let code: number | null = null;
          let signal: string | null = null;
          let closed = false;
          let feedError: { err: unknown } | null = null;
          ch.on('data', (d: Buffer) => {
            if (output.stdout(d)) ch.close(); // past the bound: stop the command
          });
          ch.stderr.on('data', (d: Buffer) => output.stderr(d));
          ch.on('exit', (c: number | null, s?: string) => {
            code = c;
            signal = s ?? null;
          });
          ch.on('close', () => {
            closed = true;
            this.pendingExecs.delete(reject);
            if (output.overflowed) {
              reject(output.overflowError(command, this.destination));
              return;
            }
            if (feedError) {
              reject(feedError.err);
              return;
            }
            if (code === null && signal === null && this.lost) {
              reject(this.lost);
              return;
            }
            resolve({ code: code ?? 1, signal, stdout: output.stdoutText(), stderr: output.stderrText() });
          });
          if (stdin === undefined) {
            ch.end();
            return;
          }
          const feed = async (): Promise<void> => {
            for await (const chunk of stdin) {
              if (closed) return; // the command ended early (it failed): its exit status tells
              if (!ch.write(chunk)) {
                await new Promise<void>((go) => {
                  const done = (): void => {
                    ch.off('drain', done);
                    ch.off('close', done);
                    go();
                  };
                  ch.on('drain', done);
                  ch.on('close', done);
                });
              }
            }
            if (!closed) ch.end();
          };
          feed().catch((e: unknown) => {
            feedError = { err: e };
            ch.close();
          });
        });
      });
    } finally {
      this.channels.release();
    }
  }

  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const client = this.client;
    if (!client || !this.ready) return;
    const wasUp = await this.ready.then(() => true, () => false);
    if (!wasUp || this.ended) return;
    await new Promise<void>((resolve) => {
      client.once('close', () => resolve());
      client.end();
    });
  }
}
