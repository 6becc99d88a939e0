/**
 * The ObjectStore of a path under any rclone remote (S3, SFTP, Google Drive, a local path, …),
 * driven through one long-running `rclone rcd` per store: its HTTP API on 127.0.0.1 (random
 * port, random credentials per process) serves every request, so many small objects cost
 * requests, not processes. This module owns that process: started on first use, stopped by
 * `close()`, and killed when Node exits, even when Node itself is killed.
 *
 * Choices that come from rclone 1.60 as we tested it:
 * - every write goes to `.dsg/tmp/<random>` and is moved into place (`operations/movefile`: a
 *   rename on local/SFTP, a server-side copy on S3) only once rclone answered that the upload
 *   is whole: the local backend writes in place, and an upload whose connection is cut (Node
 *   killed) is stored by rclone, truncated, as if complete (Rcat takes the cut for the end);
 * - no put-if-absent exists (`createIsAtomic = false`): `putIfAbsent` checks, then writes;
 * - existence is only ever decided by stat/list: `rclone cat` of a missing S3 object succeeds
 *   with no output, and a suffix `Range` longer than the object answers 404;
 * - `--use-server-modtime`: listings report the store's clock without one HEAD per S3 object.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http, { type IncomingMessage } from 'node:http';
import { posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FileReadError } from '../../../errors/FileReadError.js';
import { boundedBody, checkKey, ObjectStoreError, type ObjectInfo, type ObjectStore, type ObjectTail, type PutStreamOptions } from '../ObjectStore.js';

export interface RcloneStoreOptions {
  /** An rclone remote ("myremote:bucket", ":s3,provider=Ceph:bucket") or, without a colon, a local path. */
  remote: string;
  /** The repository's root under that remote, e.g. "/repos/proj". */
  path: string;
  /** rclone's config file (dsg.yml `rclone.config_path`); rclone's default when absent. */
  configPath?: string;
}

/** Where uploads are written before they are moved into place (ObjectRemote empties it in recovery). */
const TMP_DIR = '.dsg/tmp';
/** Bound of an rc API answer other than a listing (they are a few hundred bytes). */
const ANSWER_MAX = 1 << 20;
/** Time allowed for `rclone rcd` to start listening (it reads its config and nothing else). */
const START_TIMEOUT_MS = 30_000;
/** Lines of rclone's log kept for messages when it fails. */
const LOG_LINES = 20;
/** Tries of a tail read when the object changes between its stat and its read. */
const TAIL_TRIES = 3;
/**
 * Every call's statistics go to one group: rclone otherwise keeps the last 1,000 per-call
 * groups, each holding its upload's buffer (rclone grew to 700 MiB over 4,000 small puts).
 */
const STATS_GROUP = 'dsg';
/**
 * Uploads smaller than this are read whole by rclone and sent with their size (one PUT on S3);
 * larger ones stream. A stream gets the smaller bound: 32 streams in flight hold 32 MiB in rclone.
 */
const SIZED_PUT_MAX = 8 << 20;
const SIZED_STREAM_MAX = 1 << 20;
/** rclone's tries of each request (each part) of a streamed upload. */
const UPLOAD_RETRIES = 4;

// rclone's own grammar of "name:path" (fs/fspath): a remote name, or ":backend", with ",opt=…".
const REMOTE_NAME = /^(:?[\w. -]+(?:,[^:]*)?):(.*)$/s;

/** `remote` + `path` joined as rclone joins them ("r:bucket" + "/a/b" → "r:bucket/a/b"; no colon: a local path). */
export function rcloneRoot(remote: string, path: string): string {
  const join = (a: string, b: string) => {
    const j = posix.join(a, '/', b);
    return j.length > 1 ? j.replace(/\/+$/, '') : j;
  };
  if (path === '') return remote;
  const m = REMOTE_NAME.exec(remote);
  if (!m) return join(remote, path);
  const joined = join(m[2], path);
  return `${m[1]}:${joined === '.' ? '' : joined}`;
}

/** An rc answer other than 200: rclone's own message and status. */
class RcError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

// Messages of rclone (and the Go SDKs under it) for failures that may pass: network, throttling, 5xx.
const TRANSIENT =
  /connection (refused|reset)|broken pipe|timeout|timed out|deadline exceeded|unexpected EOF|TLS handshake|no such host|temporar|server misbehaving|status code:? ?(5\d\d|429)|HTTP (error )?(5\d\d|429)\b|Service Unavailable|Bad Gateway|SlowDown|ServiceUnavailable|InternalError|RequestTimeout|Too ?Many ?Requests|rate ?limit/i;
const DENIED = /AccessDenied|access denied|permission denied|InvalidAccessKeyId|SignatureDoesNotMatch|status code: 403|Forbidden|NoCredentialProviders|unauthori[sz]ed/i;
const NO_CONTAINER = /NoSuchBucket|bucket .*(not exist|not found)/i;
const NO_REMOTE = /didn't find section in config file|config file not found|couldn't find type of fs/i;

/**
 * rclone's global flags taken from the environment that would change what the store sees or
 * does (dry runs, filters hiding keys, limits, logs sent elsewhere than the pipe read here) and
 * every rc setting (RCLONE_RC_NO_AUTH, …). Remotes (RCLONE_CONFIG_*) and backend options stay.
 */
const UNSAFE_ENV =
  /^RCLONE_(RC_|DRY_RUN$|INTERACTIVE$|IMMUTABLE$|QUIET$|VERBOSE$|LOG_|SYSLOG|USE_JSON_LOG$|STATS|PROGRESS$|FILTER|INCLUDE|EXCLUDE|FILES_FROM|M(IN|AX)_(SIZE|AGE|DEPTH|TRANSFER|DURATION|DELETE)$|IGNORE_(CASE|EXISTING)$|BACKUP_DIR$|SUFFIX)/;

/** Every rcd this process started, killed when Node exits (an orphan would hold credentials and a port). */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    // The child leads its own process group: the watchdog shell and rclone go together.
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    /* gone already */
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of live) killGroup(child, 'SIGKILL');
  });
}

/**
 * Runs `rclone rcd` behind a watchdog shell that kills rclone when its stdin (a pipe from Node)
 * closes: that happens when Node exits in any way, even SIGKILL, where no 'exit' hook runs.
 */
const WATCHDOG = `exec 3<&0 </dev/null
"$@" 3<&- &
p=$!
{ read -r _ <&3; kill "$p" 2>/dev/null; } &
w=$!
exec 3<&-
wait "$p"; s=$?
kill "$w" 2>/dev/null
exit "$s"`;

/** One running `rclone rcd`: where it listens, how to authenticate, its log tail. */
class Daemon {
  exited = false;
  /** A request lost its connection: the next one first checks that rclone still answers. */
  suspect = false;
  readonly agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly auth: string,
    /** The last lines rclone logged (its errors, for messages). */
    readonly log: string[],
  ) {}

  static start(configPath: string | undefined, description: string): Promise<Daemon> {
    const user = randomBytes(12).toString('hex');
    const pass = randomBytes(24).toString('hex');
    const env: NodeJS.ProcessEnv = { ...process.env };
    // rclone's S3 SDK (aws-sdk-go v1) refuses a CA bundle with rclone's own HTTP transport and
    // then fails every call; rclone has --ca-cert for that.
    delete env.AWS_CA_BUNDLE;
    for (const k of Object.keys(env)) if (UNSAFE_ENV.test(k)) delete env[k];
    // In the environment, other users cannot read the credentials, unlike on the command line.
    env.RCLONE_RC_USER = user;
    env.RCLONE_RC_PASS = pass;
    const args = [
      'rcd',
      '--rc-addr=127.0.0.1:0',
      '--rc-serve',
      // Defaults of 1 h would cut a long upload or download of a large object.
      '--rc-server-read-timeout=8760h',
      '--rc-server-write-timeout=8760h',
      '--use-server-modtime',
      // ResilientStore retries: rclone's own 10 tries (each with the SDK's 10) took 170 s to
      // report an S3 endpoint that refuses connections.
      '--low-level-retries=1',
      '--ask-password=false',
      ...(configPath ? [`--config=${configPath}`] : []),
    ];
    return new Promise<Daemon>((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn('sh', ['-c', WATCHDOG, 'sh', 'rclone', ...args], { env, detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
      } catch (err) {
        reject(new ObjectStoreError(`Cannot start rclone for ${description}: ${(err as Error).message}.`, { cause: err }));
        return;
      }
      const log: string[] = [];
      let daemon: Daemon | null = null;
      let pending = '';
      const timer = setTimeout(() => {
        killGroup(child, 'SIGKILL');
        reject(new ObjectStoreError(`rclone did not start serving ${description} within ${START_TIMEOUT_MS / 1000} s.${tail(log)}`, { retryable: true }));
      }, START_TIMEOUT_MS);
      // rclone blocks when its log pipe is full: always read it, keep the last lines.
      child.stderr!.setEncoding('utf8');
      child.stderr!.on('data', (text: string) => {
        const lines = (pending + text).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) {
          log.push(line);
          if (log.length > LOG_LINES) log.shift();
          const m = /Serving remote control on http:\/\/127\.0\.0\.1:(\d+)\//.exec(line);
          if (m && daemon === null) {
            clearTimeout(timer);
            daemon = new Daemon(child, Number(m[1]), `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`, log);
            resolve(daemon);
          }
        }
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
        reject(new ObjectStoreError(missing ? `Cannot run "sh" to start rclone for ${description}.` : `Cannot start rclone for ${description}: ${err.message}.`, { cause: err }));
      });
      child.on('exit', (code) => {
        live.delete(child);
        if (daemon) {
          daemon.exited = true;
          daemon.agent.destroy();
          return;
        }
        clearTimeout(timer);
        const text = tail(log);
        const message =
          code === 127
            ? `rclone is not installed (or not on PATH); it is needed for ${description}. Install it (e.g. "apt-get install rclone").`
            : `rclone failed to start for ${description} (exit status ${code}).${text}`;
        reject(new ObjectStoreError(message, { code: NO_REMOTE.test(text) ? 'REMOTE_NOT_FOUND' : undefined }));
      });
      installExitHook();
      live.add(child);
      // Node's event loop must not wait for the daemon: close() or the exit hook ends it.
      child.unref();
      (child.stdin as unknown as { unref?: () => void }).unref?.();
      (child.stderr as unknown as { unref?: () => void }).unref?.();
      child.stdin!.on('error', () => undefined);
    });
  }

  /** Whether rclone answers at all (`rc/noop`), within a few seconds. */
  ping(): Promise<boolean> {
    return new Promise((resolve) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method: 'POST', path: '/rc/noop', agent: this.agent, headers: { Authorization: this.auth }, timeout: 5_000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end();
    });
  }

  /** Give up on this daemon (it stopped answering): kill what is left of it. */
  abandon(): void {
    if (this.exited) return;
    this.exited = true;
    this.agent.destroy();
    killGroup(this.child, 'SIGKILL');
  }

  /** Stop rclone (the watchdog kills it when its stdin closes) and wait for it, briefly. */
  async stop(): Promise<void> {
    this.agent.destroy();
    if (this.exited) return;
    const gone = new Promise<void>((r) => this.child.once('exit', () => r()));
    this.child.stdin?.end();
    const timer = setTimeout(() => killGroup(this.child, 'SIGKILL'), 5_000);
    await gone;
    clearTimeout(timer);
  }
}

function tail(log: string[]): string {
  const text = log.filter((l) => l.trim() !== '').join('\n');
  return text ? ` rclone said:\n${text}` : '';
}

/** Read a whole answer, at most `max` bytes (an rc answer, never an object: those are streamed). */
async function readAll(res: IncomingMessage, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of res) {
    n += (c as Buffer).length;
    if (n > max) {
      res.destroy();
      throw new Error(`rclone answered more than ${max} bytes`);
    }
    chunks.push(c as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The error an rc answer carries: `{error, status}` as JSON, else its text. */
async function answerError(res: IncomingMessage): Promise<RcError> {
  const status = res.statusCode ?? 0;
  let text = '';
  try {
    text = (await readAll(res, ANSWER_MAX)).toString('utf8');
    const j = JSON.parse(text) as { error?: unknown };
    if (typeof j.error === 'string') return new RcError(status, j.error);
  } catch {
    /* not JSON: the text itself */
  }
  return new RcError(status, text.trim() || `HTTP ${status}`);
}

function encodeKey(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}

interface Features {
  isLocal: boolean;
}

/** One lsjson item, as rclone's rc answers it. */
interface Item {
  Path?: unknown;
  Size?: unknown;
  ModTime?: unknown;
  IsDir?: unknown;
}

function modTime(v: unknown): number {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  return Number.isFinite(ms) ? ms : 0;
}

export class RcloneStore implements ObjectStore {
  readonly description: string;
  readonly createIsAtomic = false;
  /** The rclone fs string of the repository's root ("remote:bucket/repos/proj"). */
  readonly root: string;
  private readonly configPath: string | undefined;
  private daemon: Promise<Daemon> | null = null;
  private closed = false;
  /** What rclone says of the remote's backend, asked once. */
  private features: Promise<Features> | null = null;

  constructor(opts: RcloneStoreOptions) {
    this.root = rcloneRoot(opts.remote, opts.path);
    this.configPath = opts.configPath;
    this.description = `rclone ${this.root}`;
    // rclone serves objects at /[root]/key and ends the root at its first "]".
    if (this.root.includes(']')) throw new ObjectStoreError(`rclone cannot serve the objects of ${this.description}: its remote or path contains "]". Choose another path in .dsgconfig.yml.`);
  }

  /** A key to send to rclone: clean, and valid Unicode (a lone surrogate cannot cross JSON or a URL intact). */
  private k(key: string): string {
    checkKey(key);
    if (/\p{Cs}/u.test(key)) throw new Error(`object key ${JSON.stringify(key)} is not valid Unicode`);
    return key;
  }

  // ---- the daemon and its API ----

  /** The daemon, started when there is none; one that died or stopped answering is replaced. */
  private async running(): Promise<Daemon> {
    for (;;) {
      if (this.closed) throw new ObjectStoreError(`${this.description} is closed.`);
      const current = this.daemon;
      if (current === null) {
        const started = Daemon.start(this.configPath, this.description);
        this.daemon = started;
        return started;
      }
      let daemon: Daemon;
      try {
        daemon = await current;
      } catch (err) {
        // It did not start: say why, and try again on the next request.
        if (this.daemon === current) this.daemon = null;
        throw err;
      }
      if (daemon.suspect && !daemon.exited) {
        daemon.suspect = false;
        if (!(await daemon.ping())) daemon.abandon();
      }
      if (this.daemon !== current) continue; // replaced meanwhile by another request
      if (!daemon.exited) return daemon;
      this.daemon = null;
    }
  }

  /** Send one HTTP request to the daemon; resolves with the answer once its head arrived. */
  private async request(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: Uint8Array | AsyncIterable<Uint8Array>,
  ): Promise<IncomingMessage> {
    const d = await this.running();
    return new Promise<IncomingMessage>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: d.port, method, path, agent: d.agent, headers: { ...headers, Authorization: d.auth } });
      let aborted = false;
      req.on('response', resolve);
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (!aborted) {
          // Nobody listens any more: rclone died. A cut connection: ask it before the next request.
          if (err.code === 'ECONNREFUSED') d.abandon();
          else d.suspect = true;
        }
        reject(d.exited ? new Error(`rclone stopped (${err.message}).${tail(d.log)}`, { cause: err }) : err);
      });
      if (body === undefined) req.end();
      else if (body instanceof Uint8Array) req.end(body);
      else {
        const source = body;
        async function* watched(): AsyncIterable<Uint8Array> {
          try {
            yield* source;
          } catch (err) {
            aborted = true; // the source failed, not rclone
            throw err;
          }
        }
        // When the source fails, rclone sees a cut body and stores nothing whole.
        pipeline(Readable.from(watched(), { objectMode: false }), req).catch((err: unknown) => {
          req.destroy();
          reject(err);
        });
      }
    });
  }

  /** Call an rc method with JSON parameters; the answer's JSON, or an RcError. */
  private async rc(method: string, params: Record<string, unknown>, max = ANSWER_MAX): Promise<Record<string, unknown>> {
    const res = await this.request('POST', `/${method}`, { 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify({ ...params, _group: STATS_GROUP })));
    if (res.statusCode !== 200) throw await answerError(res);
    return JSON.parse((await readAll(res, max)).toString('utf8')) as Record<string, unknown>;
  }

  /**
   * Upload `body` (`size` bytes) as `.dsg/tmp/<name>` (`operations/uploadfile`: a multipart
   * form, streamed by rclone into the store); resolves once rclone answered it stored it whole.
   */
  private async upload(name: string, body: Uint8Array | AsyncIterable<Uint8Array>, size: number): Promise<void> {
    const boundary = `dsg-${randomBytes(16).toString('hex')}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const end = Buffer.from(`\r\n--${boundary}--\r\n`);
    // rclone reads an upload up to its "streaming cutoff" into memory (100 KiB allocated per
    // upload by default): a cutoff just above a small size wastes nothing and sends it with its size.
    const config: Record<string, unknown> = {};
    if (size < (body instanceof Uint8Array ? SIZED_PUT_MAX : SIZED_STREAM_MAX)) config.StreamingUploadCutoff = size + 1;
    // On a local path rclone's check hashes the file it just wrote, read back from the page
    // cache: it proves nothing and costs most of the time (1 GiB: 87 MiB/s with it, 240 without).
    if ((await this.backend()).isLocal) config.IgnoreChecksum = true;
    // A stream cannot be sent again by ResilientStore: rclone retries its parts itself.
    if (!(body instanceof Uint8Array)) config.LowLevelRetries = UPLOAD_RETRIES;
    const query = `fs=${encodeURIComponent(this.root)}&remote=${encodeURIComponent(TMP_DIR)}&_group=${STATS_GROUP}&_config=${encodeURIComponent(JSON.stringify(config))}`;
    const headers: Record<string, string> = { 'Content-Type': `multipart/form-data; boundary=${boundary}` };
    let res: IncomingMessage;
    if (body instanceof Uint8Array) {
      res = await this.request('POST', `/operations/uploadfile?${query}`, headers, Buffer.concat([head, body, end]));
    } else {
      async function* framed(): AsyncIterable<Uint8Array> {
        yield head;
        yield* body as AsyncIterable<Uint8Array>;
        yield end;
      }
      res = await this.request('POST', `/operations/uploadfile?${query}`, headers, framed());
    }
    if (res.statusCode !== 200) throw await answerError(res);
    await readAll(res, ANSWER_MAX);
  }

  /** An object's URL under `--rc-serve`: `/[root]/key`. */
  private objectPath(key: string): string {
    return `/${encodeURIComponent(`[${this.root}]`)}/${encodeKey(key)}`;
  }

  private backend(): Promise<Features> {
    this.features ??= this.rc('operations/fsinfo', { fs: this.root }).then(
      (r) => {
        const f = (r.Features ?? {}) as Record<string, unknown>;
        return { isLocal: f.IsLocal === true };
      },
      (err: unknown) => {
        this.features = null;
        throw err;
      },
    );
    return this.features;
  }

  /** A failure as an ObjectStoreError naming the key, the store, and rclone's own message. */
  private fail(op: string, key: string, err: unknown): Error {
    if (err instanceof ObjectStoreError || err instanceof FileReadError) return err;
    const detail = (err as Error).message || String(err);
    const where = `${key} in ${this.description}`;
    if (!(err instanceof RcError)) {
      // Node could not talk to rclone (it exited or was killed): a new one is started next time.
      return new ObjectStoreError(`rclone ${op} of ${where} failed: ${detail}`, { retryable: true, cause: err });
    }
    if (NO_REMOTE.test(detail)) {
      return new ObjectStoreError(`rclone cannot open ${this.description}: ${detail}. Check the remote's name in .dsgconfig.yml and rclone's config ("rclone config", or rclone.config_path in dsg.yml).`, {
        code: 'REMOTE_NOT_FOUND',
        cause: err,
      });
    }
    if (NO_CONTAINER.test(detail)) {
      return new ObjectStoreError(`The bucket of ${this.description} does not exist (${detail}). Check "repository" in .dsgconfig.yml, or run "dsg init" to create it.`, {
        code: 'REMOTE_NOT_FOUND',
        cause: err,
      });
    }
    if (DENIED.test(detail)) {
      return new ObjectStoreError(`Access denied to ${where} (rclone ${op}: ${detail}). Check the remote's credentials in rclone's config.`, { code: 'REMOTE_ACCESS_DENIED', cause: err });
    }
    return new ObjectStoreError(`rclone ${op} of ${where} failed: ${detail}`, { retryable: TRANSIENT.test(detail), cause: err });
  }

  private async removeQuietly(key: string): Promise<void> {
    await this.delete(key).catch(() => undefined);
  }

  /**
   * Wait (a few seconds at most) until rclone is done with a cut upload: it may still store
   * what it received after the request failed here, and that must not outlive the delete.
   */
  private async settled(tmpKey: string): Promise<void> {
    const deadline = Date.now() + 5_000;
    let absent = 0;
    while (absent < 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      try {
        const stats = await this.rc('core/stats', { group: STATS_GROUP });
        const busy = Array.isArray(stats.transferring) && stats.transferring.some((t: { name?: unknown }) => t?.name === tmpKey);
        absent = busy ? 0 : absent + 1;
      } catch {
        return;
      }
    }
  }

  private tmpName(): string {
    return `${process.pid}-${randomBytes(12).toString('hex')}`;
  }

  /** Move a finished upload into place, overwriting; no check of the destination (one request less). */
  private async moveIntoPlace(tmpKey: string, key: string): Promise<void> {
    await this.rc('operations/movefile', { srcFs: this.root, srcRemote: tmpKey, dstFs: this.root, dstRemote: key, _config: { NoCheckDest: true } });
  }

  // ---- reading ----

  async stat(key: string): Promise<ObjectInfo | null> {
    this.k(key);
    let r;
    try {
      r = await this.rc('operations/stat', { fs: this.root, remote: key, opt: { filesOnly: true, noMimeType: true } });
    } catch (err) {
      if (err instanceof RcError && err.status === 404) return null;
      throw this.fail('stat', key, err);
    }
    const item = r.item as Item | null | undefined;
    if (!item || item.IsDir === true) return null;
    return { key, size: Number(item.Size ?? 0), modifiedMs: modTime(item.ModTime) };
  }

  /** GET an object; null when absent (a folder at the key is no object either). */
  private async open(op: string, key: string, range?: string): Promise<IncomingMessage | null> {
    this.k(key);
    let res: IncomingMessage;
    try {
      res = await this.request('GET', this.objectPath(key), range ? { Range: range } : {});
    } catch (err) {
      throw this.fail(op, key, err);
    }
    if (res.statusCode === 200 || res.statusCode === 206) return res;
    const err = await answerError(res);
    if (err.status === 404 || /is a directory not a file/.test(err.message)) return null;
    throw this.fail(op, key, err);
  }

  private tooLarge(key: string, bound: number): FileReadError {
    return new FileReadError('FILE_TOO_LARGE', key, `${key} in ${this.description} holds more than the ${bound} bytes expected; the repository may have been tampered with. Run "dsg validate-snapshot --deep".`);
  }

  /** An answer's body, failing once it holds more than `bound` bytes. */
  private async body(key: string, res: IncomingMessage, bound: number): Promise<Buffer> {
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > bound) {
      res.destroy();
      throw this.tooLarge(key, bound);
    }
    const chunks: Buffer[] = [];
    let n = 0;
    try {
      for await (const c of res) {
        n += (c as Buffer).length;
        if (n > bound) throw this.tooLarge(key, bound);
        chunks.push(c as Buffer);
      }
    } catch (err) {
      throw this.fail('get', key, err);
    } finally {
      res.destroy();
    }
    return Buffer.concat(chunks);
  }

  async get(key: string, maxBytes: number): Promise<Buffer | null> {
    const res = await this.open('get', key);
    return res === null ? null : this.body(key, res, maxBytes);
  }

  async getTail(key: string, maxBytes: number): Promise<ObjectTail | null> {
    // rclone 1.60 answers a suffix range longer than the object with 404 ("bytes=-N"): the
    // range is computed from a stat, and checked against the size the answer reports.
    for (let attempt = 1; ; attempt++) {
      const info = await this.stat(key);
      if (info === null) return null;
      const start = Math.max(0, info.size - Math.max(0, maxBytes));
      if (start >= info.size) return { bytes: Buffer.alloc(0), size: info.size, modifiedMs: info.modifiedMs };
      const res = await this.open('get', key, `bytes=${start}-${info.size - 1}`);
      const total = res?.statusCode === 206 ? Number(/\/(\d+)$/.exec(String(res.headers['content-range'] ?? ''))?.[1]) : res?.statusCode === 200 ? Number(res.headers['content-length']) : NaN;
      if (res !== null && total === info.size) {
        if (res.statusCode === 200 && start > 0) {
          res.destroy();
          throw new ObjectStoreError(`rclone ignored the range asked for the end of ${key} in ${this.description}.`);
        }
        return { bytes: await this.body(key, res, maxBytes), size: info.size, modifiedMs: info.modifiedMs };
      }
      // Replaced or removed between the stat and the read: ask again.
      res?.destroy();
      if (attempt >= TAIL_TRIES) throw new ObjectStoreError(`${key} in ${this.description} kept changing while its end was read.`, { retryable: true });
    }
  }

  async getStream(key: string, size: number): Promise<Readable | null> {
    const res = await this.open('get', key);
    if (res === null) return null;
    const declared = Number(res.headers['content-length']);
    if (Number.isFinite(declared) && declared > size) {
      res.destroy();
      throw this.tooLarge(key, size);
    }
    return boundedBody(res, {
      bound: size,
      exact: { size, short: (got) => new ObjectStoreError(`${key} in ${this.description} ended after ${got} of ${size} bytes.`, { retryable: true }) },
      tooLarge: () => this.tooLarge(key, size),
      fail: (err) => this.fail('get', key, err),
    });
  }

  async list(prefix: string): Promise<ObjectInfo[]> {
    // rclone lists folders: list the one the prefix ends in, recursively, and filter.
    const slash = prefix.lastIndexOf('/');
    const dir = slash < 0 ? '' : prefix.slice(0, slash);
    if (dir !== '') this.k(dir);
    let r;
    try {
      r = await this.rc('operations/list', { fs: this.root, remote: dir, opt: { recurse: true, filesOnly: true, noMimeType: true } }, Number.MAX_SAFE_INTEGER);
    } catch (err) {
      if (err instanceof RcError && err.status === 404) return [];
      throw this.fail('list', prefix || '(root)', err);
    }
    const out: ObjectInfo[] = [];
    for (const item of (Array.isArray(r.list) ? r.list : []) as Item[]) {
      // A listing is hostile input too: only clean keys under the prefix.
      if (typeof item.Path !== 'string' || item.IsDir === true || !item.Path.startsWith(prefix)) continue;
      try {
        checkKey(item.Path);
      } catch {
        continue;
      }
      out.push({ key: item.Path, size: Number(item.Size ?? 0), modifiedMs: modTime(item.ModTime) });
    }
    return out;
  }

  // ---- writing ----

  async put(key: string, data: Uint8Array): Promise<void> {
    this.k(key);
    const name = this.tmpName();
    const tmpKey = `${TMP_DIR}/${name}`;
    try {
      await this.upload(name, data, data.length);
      await this.moveIntoPlace(tmpKey, key);
    } catch (err) {
      await this.removeQuietly(tmpKey);
      throw this.fail('put', key, err);
    }
  }

  async putIfAbsent(key: string, data: Uint8Array): Promise<boolean> {
    // rclone has no conditional create: check, then write (createIsAtomic = false says so).
    if ((await this.stat(key)) !== null) return false;
    await this.put(key, data);
    return true;
  }

  /**
   * `resumeKey` is not used: rclone exposes no resumable upload, so an interrupted upload
   * starts again (its temporary object is removed here or by recovery's sweep of .dsg/tmp).
   */
  async putStream(key: string, source: AsyncIterable<Uint8Array>, size: number, opts: PutStreamOptions): Promise<void> {
    this.k(key);
    const name = this.tmpName();
    const tmpKey = `${TMP_DIR}/${name}`;
    let sourceError: { err: unknown } | null = null;
    async function* counted(): AsyncIterable<Uint8Array> {
      let n = 0;
      try {
        for await (const c of source) {
          const take = Math.min(c.length, size - n);
          if (take > 0) {
            yield take === c.length ? c : c.subarray(0, take);
            opts.onBytes?.(take);
          }
          n += c.length;
          if (n > size) break; // more than stated: verify() names the file and what changed
        }
      } catch (err) {
        sourceError = { err };
        throw err;
      }
    }
    try {
      await this.upload(name, counted(), size);
    } catch (err) {
      await this.settled(tmpKey);
      await this.removeQuietly(tmpKey);
      // A failure of the source (a file that cannot be read) is the caller's, as it was thrown.
      if (sourceError !== null) throw (sourceError as { err: unknown }).err;
      throw this.fail('put', key, err);
    }
    try {
      opts.verify();
    } catch (err) {
      // Content that is not what the caller expects must never appear at the key.
      await this.removeQuietly(tmpKey);
      throw err;
    }
    try {
      await this.moveIntoPlace(tmpKey, key);
    } catch (err) {
      await this.removeQuietly(tmpKey);
      throw this.fail('put', key, err);
    }
  }

  async abandonUpload(resumeKey: string): Promise<void> {
    await this.delete(resumeKey);
  }

  async delete(key: string): Promise<void> {
    this.k(key);
    try {
      await this.rc('operations/deletefile', { fs: this.root, remote: key });
    } catch (err) {
      if (err instanceof RcError && err.status === 404) return;
      throw this.fail('delete', key, err);
    }
  }

  async ensureContainer(): Promise<'created' | 'existed'> {
    try {
      await this.rc('operations/list', { fs: this.root, remote: '', opt: { dirsOnly: true, noModTime: true, noMimeType: true } }, Number.MAX_SAFE_INTEGER);
      return 'existed';
    } catch (err) {
      if (!(err instanceof RcError && err.status === 404)) throw this.fail('list', '(root)', err);
    }
    try {
      await this.rc('operations/mkdir', { fs: this.root, remote: '' });
      return 'created';
    } catch (err) {
      throw this.fail('mkdir', '(root)', err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const d = await this.daemon?.catch(() => null);
    this.daemon = null;
    await d?.stop();
  }
}
