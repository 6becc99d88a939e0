/**
 * Test harness for running the built CLI as a user would: temporary project folders, a
 * local repository, per-user config, and `dsg` invocations with parsed --json output.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { fullState, treeState } from './trees.js';

const here = dirname(fileURLToPath(import.meta.url));
/** The command users run (package.json "bin": the bundle scripts/bundle.mjs builds), whether the tests run compiled (dist/test/helpers) or from source. */
export const CLI = here.includes(`${join('dist', 'test')}`)
  ? resolve(here, '..', '..', 'bin', 'dsg.js')
  : resolve(here, '..', '..', 'dist', 'bin', 'dsg.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (when --json was passed and stdout is JSON), else undefined. */
  json: any;
}

/**
 * Where a sandbox's repositories live: a POSIX folder in the sandbox (the default), or a ZFS
 * dataset per project in the test pool (test/helpers/zfs.ts). Suites that every backend runs
 * take one of these.
 */
export interface TestBackend {
  name: string;
  /** A project name for a new sandbox (unique where sandboxes share a namespace, like a pool). */
  projectName(): string;
  /** The `repository:` mapping of a project's .dsgconfig.yml. */
  repositoryYaml(box: Sandbox): string;
  /** The folder holding the repository of project `name` (its data tree and .dsg/). */
  repositoryRoot(box: Sandbox, name: string): string;
  /** Set up what the sandbox's users need to reach the repository (SSH: ~/.ssh in the sandbox home). */
  prepare?(box: Sandbox): void;
  /** Remove what the sandbox's repositories left outside its folder. */
  dispose(box: Sandbox, names: readonly string[]): void;
  /** The same without blocking (object stores: in this process instead of a child process). */
  disposeAsync?(box: Sandbox, names: readonly string[]): Promise<void>;
  /** Backend invariants that must hold after any crash and recovery (ZFS: only the dataset and its @sN). */
  assertClean?(box: Sandbox, name: string): void;
  /** Backends with native snapshots (ZFS @sN): their ids, oldest first. */
  nativeSnapshots?(box: Sandbox, name: string): string[];
  /**
   * What the suites read of a repository. Absent: the folder `repositoryRoot` is read
   * (POSIX, ZFS); object stores read their store (test/helpers/objects.ts).
   */
  inspect?(box: Sandbox, name: string): RepoInspector;
}

/** A repository as the suites see it, whatever its backend (async: object stores answer over the network). */
export interface RepoInspector {
  /**
   * path → "file:<hash>" | "link:<target>" of the current data tree: POSIX and ZFS read their
   * browsable tree; object stores take the current snapshot's entries and hash each stored object.
   */
  tree(): Promise<Record<string, string>>;
  /** A file under the repository root (".dsg/last-sync.json") as text; null when absent. */
  read(rel: string): Promise<string | null>;
  /** Names directly under a folder (".dsg/archive"), sorted; [] when absent. */
  list(rel: string): Promise<string[]>;
  exists(rel: string): Promise<boolean>;
  /** Every stored file or object, hidden ones included, with its content hash: for "nothing changed" checks. */
  full(): Promise<Record<string, string>>;
}

/** The inspector of a repository kept as a folder. */
export function folderInspector(root: string): RepoInspector {
  return {
    tree: async () => treeState(root),
    read: async (rel) => (existsSync(join(root, rel)) ? readFileSync(join(root, rel), 'utf8') : null),
    list: async (rel) => (existsSync(join(root, rel)) ? readdirSync(join(root, rel)).sort() : []),
    exists: async (rel) => existsSync(join(root, rel)),
    full: async () => fullState(root),
  };
}

export const posixBackend: TestBackend = {
  name: 'posix directory, localhost',
  projectName: () => 'proj',
  repositoryYaml: (box) => `{type: xfs, host: localhost, mountpoint: ${JSON.stringify(box.repos)}}`,
  repositoryRoot: (box, name) => join(box.repos, name),
  dispose: () => undefined,
};

export class Sandbox {
  readonly base: string;
  readonly repos: string;
  /** The default project name of this sandbox's projects. */
  readonly name: string;
  /** Project names whose repositories `cleanup` removes (added by `project`; tests may add more). */
  readonly names = new Set<string>();

  constructor(
    label = 'dsg-test',
    readonly backend: TestBackend = posixBackend,
  ) {
    this.base = mkdtempSync(join(tmpdir(), `${label}-`));
    this.repos = join(this.base, 'repos');
    mkdirSync(this.repos);
    this.name = backend.projectName();
    backend.prepare?.(this);
  }

  /** The HOME of every user of this sandbox (see userEnv). */
  get home(): string {
    return join(this.base, 'home');
  }

  /** The folder of project `name`'s repository (data tree and .dsg/); POSIX and ZFS only. */
  repo(name = this.name): string {
    return this.backend.repositoryRoot(this, name);
  }

  /** Project `name`'s repository as the suites see it, on any backend. */
  inspect(name = this.name): RepoInspector {
    return this.backend.inspect?.(this, name) ?? folderInspector(this.repo(name));
  }

  /** A user config folder; returns the environment to run dsg as that user. */
  userEnv(name: string, email: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const dir = join(this.base, 'config', email);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dsg.yml'), `user_name: ${name}\nuser_id: ${email}\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, DSG_CONFIG_HOME: dir, HOME: this.home, ...extra };
    delete env.SSH_AUTH_SOCK; // the sandbox's keys only
    delete env.XDG_CONFIG_HOME;
    delete env.DSG_TEST_CRASH_AT;
    return env;
  }

  /** A project folder with a .dsgconfig.yml pointing at this sandbox's repository folder. */
  project(dirName: string, name = this.name, extraConfig = ''): string {
    const dir = join(this.base, dirName);
    mkdirSync(dir, { recursive: true });
    this.names.add(name);
    writeFileSync(join(dir, '.dsgconfig.yml'), `name: ${name}\nrepository: ${this.backend.repositoryYaml(this)}\n${extraConfig}`);
    return dir;
  }

  cleanup(): void {
    try {
      this.backend.dispose(this, [...this.names]);
    } finally {
      rmSync(this.base, { recursive: true, force: true });
    }
  }

  /** `cleanup` for tests that run concurrently. */
  async cleanupAsync(): Promise<void> {
    try {
      if (this.backend.disposeAsync) await this.backend.disposeAsync(this, [...this.names]);
      else this.backend.dispose(this, [...this.names]);
    } finally {
      rmSync(this.base, { recursive: true, force: true });
    }
  }
}

/**
 * Clean up every sandbox even when one fails (a repository that cannot be removed must not
 * leave the others' folders behind); the first failure is rethrown at the end.
 */
export function cleanupAll(boxes: readonly Sandbox[]): void {
  let first: { err: unknown } | null = null;
  for (const b of boxes) {
    try {
      b.cleanup();
    } catch (err) {
      first ??= { err };
    }
  }
  if (first) throw first.err;
}

/** Sandboxes for one test file (or describe block), all removed after it. */
export function sandboxes(backend: TestBackend = posixBackend): (label: string) => Sandbox {
  const made: Sandbox[] = [];
  after(() => cleanupAll(made));
  return (label) => {
    const b = new Sandbox(label, backend);
    made.push(b);
    return b;
  };
}

export function dsg(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  return runResult(r.status, r.signal, r.stdout, r.stderr, args);
}

/** The process's result as `dsg` returns it (exit code 128 when killed by a signal). */
function runResult(status: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string, args: readonly string[]): RunResult {
  let json: any;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(stdout);
    } catch {
      json = undefined;
    }
  }
  return { code: status ?? (signal ? 128 : 1), stdout, stderr, json };
}

/**
 * Run any command without blocking this process (for suites whose tests run concurrently,
 * which spawnSync would serialise); the signal that ended it, if any, comes with the result.
 */
export function runAsync(argv: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<RunResult & { signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (d: Buffer) => out.push(d));
    child.stderr!.on('data', (d: Buffer) => err.push(d));
    child.on('error', reject);
    child.on('close', (status, signal) => {
      resolve({ ...runResult(status, signal, Buffer.concat(out).toString('utf8'), Buffer.concat(err).toString('utf8'), argv), signal });
    });
  });
}

/** `dsg` without blocking this process. */
export function dsgAsync(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): Promise<RunResult> {
  return runAsync([process.execPath, CLI, ...args], { cwd, env });
}

/** Write a file (creating folders) relative to a root. */
export function put(root: string, rel: string, content: string | Buffer): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
