/**
 * Test harness for running the built CLI as a user would: temporary project folders, a
 * local repository, per-user config, and `dsg` invocations with parsed --json output.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** dist/src/cli/main.js, whether the tests run compiled (dist/test/helpers) or from source. */
export const CLI = here.includes(`${join('dist', 'test')}`)
  ? resolve(here, '..', '..', 'src', 'cli', 'main.js')
  : resolve(here, '..', '..', 'dist', 'src', 'cli', 'main.js');

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON (when --json was passed and stdout is JSON), else undefined. */
  json: any;
}

export class Sandbox {
  readonly base: string;
  readonly repos: string;

  constructor(label = 'dsg-test') {
    this.base = mkdtempSync(join(tmpdir(), `${label}-`));
    this.repos = join(this.base, 'repos');
    mkdirSync(this.repos);
  }

  /** A user config folder; returns the environment to run dsg as that user. */
  userEnv(name: string, email: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    const dir = join(this.base, 'config', email);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dsg.yml'), `user_name: ${name}\nuser_id: ${email}\n`);
    const env: NodeJS.ProcessEnv = { ...process.env, DSG_CONFIG_HOME: dir, HOME: join(this.base, 'home'), ...extra };
    delete env.XDG_CONFIG_HOME;
    delete env.DSG_TEST_CRASH_AT;
    return env;
  }

  /** A project folder with a .dsgconfig.yml pointing at this sandbox's repository folder. */
  project(dirName: string, name = 'proj', extraConfig = ''): string {
    const dir = join(this.base, dirName);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, '.dsgconfig.yml'), `name: ${name}\nrepository: {type: xfs, host: localhost, mountpoint: ${JSON.stringify(this.repos)}}\n${extraConfig}`);
    return dir;
  }

  cleanup(): void {
    rmSync(this.base, { recursive: true, force: true });
  }
}

/** Sandboxes for one test file (or describe block), all removed after it. */
export function sandboxes(): (label: string) => Sandbox {
  const made: Sandbox[] = [];
  after(() => made.forEach((b) => b.cleanup()));
  return (label) => {
    const b = new Sandbox(label);
    made.push(b);
    return b;
  };
}

export function dsg(cwd: string, env: NodeJS.ProcessEnv, ...args: string[]): RunResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: 'utf8', maxBuffer: 1 << 28 });
  let json: any;
  if (args.includes('--json')) {
    try {
      json = JSON.parse(r.stdout);
    } catch {
      json = undefined;
    }
  }
  return { code: r.status ?? (r.signal ? 128 : 1), stdout: r.stdout, stderr: r.stderr, json };
}

/** Write a file (creating folders) relative to a root. */
export function put(root: string, rel: string, content: string | Buffer): void {
  const file = join(root, rel);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}
