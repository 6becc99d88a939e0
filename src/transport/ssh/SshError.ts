/**
 * Why an SSH connection could not be used. A DsgError with a stable code so the CLI (and
 * tests) tell a refused host key from a failed login or a dropped connection without reading
 * the message, which is written for the user: what happened, to which user@host, what to do.
 * Lives beside the transport because only the SSH transport raises it.
 */
import { DsgError } from '../../errors/DsgError.js';

export type SshErrorCode =
  /** No known_hosts entry for the host: refused (no trust on first use). */
  | 'SSH_HOST_UNKNOWN'
  /** known_hosts holds keys for the host, none of them the one the server shows. */
  | 'SSH_HOST_KEY_CHANGED'
  /** The server's key is marked @revoked in known_hosts. */
  | 'SSH_HOST_KEY_REVOKED'
  /** Every key (agent, dsg.yml, ssh config, defaults) was refused. */
  | 'SSH_AUTH_FAILED'
  /** TCP or handshake failure before login (refused, unreachable, timeout, no host name). */
  | 'SSH_CONNECT_FAILED'
  /** The connection dropped after it was up. */
  | 'SSH_CONNECTION_LOST';

export class SshError extends DsgError {
  declare readonly code: SshErrorCode;
  constructor(
    code: SshErrorCode,
    message: string,
    /** "user@host:port" (or "host:port" before the user is known). */
    readonly destination: string,
    options: { cause?: unknown } = {},
  ) {
    super(code, message, options);
  }
}
