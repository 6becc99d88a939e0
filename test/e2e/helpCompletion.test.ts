/**
 * Finding one's way: help topics, shell completions and the man page generated from the
 * program definition (checked against every command's --help, so they cannot go stale),
 * -C DIR, options with one meaning everywhere, and unknown commands.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { CLI, dsg, put, Sandbox } from '../helpers/cli.js';

const TOPIC_NAMES = ['config', 'states', 'conflicts', 'recovery', 'backends'];
/** The project folder (the built command is <root>/dist/bin/dsg.js). */
const ROOT = resolve(dirname(CLI), '..', '..');

function hasProgram(name: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', name]).status === 0;
}

/** Command paths as `dsg --help` lists them ("car export" through "dsg car --help"). */
let pathsSeen: string[][] | undefined;
function commandPaths(cwd: string, env: NodeJS.ProcessEnv): string[][] {
  pathsSeen ??= listCommandPaths(cwd, env);
  return pathsSeen;
}

function listCommandPaths(cwd: string, env: NodeJS.ProcessEnv, parent: string[] = []): string[][] {
  const help = dsg(cwd, env, ...parent, '--help').stdout;
  const section = help.split(/\nCommands:\n/)[1]?.split(/\n\n/)[0] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]);
  return names.flatMap((n) => {
    const path = [...parent, n];
    const sub = listCommandPaths(cwd, env, path);
    return sub.length ? sub : [path];
  });
}

/** The long options a command's --help lists. */
const optionsSeen = new Map<string, string[]>();
function helpOptions(cwd: string, env: NodeJS.ProcessEnv, path: string[]): string[] {
  const key = path.join(' ');
  if (!optionsSeen.has(key)) optionsSeen.set(key, listHelpOptions(cwd, env, path));
  return optionsSeen.get(key)!;
}

function listHelpOptions(cwd: string, env: NodeJS.ProcessEnv, path: string[]): string[] {
  const help = dsg(cwd, env, ...path, '--help').stdout;
  const section = help.split(/\nOptions:\n/)[1]?.split(/\n\n/)[0] ?? '';
  return [...section.matchAll(/^ {2}(?:-\w, )?(--[a-z][a-z-]*)/gm)].map((m) => m[1]);
}

describe('help, completion, man page, -C, option meanings', () => {
  const box = new Sandbox('dsg-help');
  const env = box.userEnv('Ana', 'ana@example.org');
  after(() => box.cleanup());
  const here = box.base;

  it('dsg help lists the commands and the topics; dsg help <command> is its --help', () => {
    const all = dsg(here, env, 'help');
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /Commands:\n {2}init/);
    for (const t of TOPICS_IN(all.stdout)) assert.ok(TOPIC_NAMES.includes(t), t);
    assert.deepEqual(TOPICS_IN(all.stdout), TOPIC_NAMES);
    assert.equal(dsg(here, env, '--help').stdout, all.stdout, 'dsg help is dsg --help');

    const sync = dsg(here, env, 'help', 'sync');
    assert.equal(sync.code, 0);
    assert.equal(sync.stdout, dsg(here, env, 'sync', '--help').stdout);
    assert.match(dsg(here, env, 'help', 'car', 'export').stdout, /Usage: dsg car export/);
  });

  it('each topic is a page wrapped to the width; an unknown topic is a usage error naming the topics', () => {
    for (const t of TOPIC_NAMES) {
      const r = dsg(here, env, 'help', t);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.length > 500, `${t} has a page`);
      const long = r.stdout.split('\n').filter((l) => l.length > 80);
      assert.deepEqual(long, [], `${t}: every line fits 80 columns`);
    }
    // What each page must tell, in the words a user searches for.
    const page = (t: string) => words(dsg(here, env, 'help', t).stdout);
    assert.match(page('config'), /\$DSG_CONFIG_HOME\/dsg\.yml/);
    assert.match(page('config'), /later file overrides/);
    assert.match(page('states'), /changed on remote +download/);
    assert.match(page('conflicts'), /dsg sync --continue/);
    assert.match(page('conflicts'), /_R use remote/);
    assert.match(page('recovery'), /dsg recover --break-lock/);
    for (const b of ['xfs', 'zfs', 's3', 'rclone', 'ipfs', 'known_hosts']) assert.match(page('backends'), new RegExp(`\\b${b}\\b`));

    // COLUMNS sets the width when the output is not a terminal; the words stay the same.
    const narrow = dsg(here, { ...env, COLUMNS: '50' }, 'help', 'recovery');
    assert.deepEqual(narrow.stdout.split('\n').filter((l) => l.length > 50), []);
    assert.equal(words(narrow.stdout), page('recovery'));

    const json = dsg(here, env, '--json', 'help', 'states');
    assert.equal(json.json.name, 'states');

    const bad = dsg(here, env, 'help', 'colours');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^dsg: help: no command or topic "colours"\. Topics: config, states, conflicts, recovery, backends\./);
  });

  it('an unknown command suggests the closest one and points to --help (exit 2)', () => {
    const r = dsg(here, env, 'stauts');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^dsg: unknown command 'stauts' \(did you mean status\?\)\. Run "dsg --help"/);
    assert.equal(r.stdout, '');
  });

  it('-C DIR runs as if dsg was started in DIR; a missing DIR is an error naming it', () => {
    const A = box.project('proj');
    put(A, 'input/a.csv', 'a');
    assert.equal(dsg(A, env, 'init', '-m', 'start').code, 0);
    put(A, 'input/b.csv', 'b');

    assert.notEqual(dsg(here, env, 'status').code, 0, 'not a project here');
    const status = dsg(here, env, '-C', 'proj', 'status', '--json');
    assert.equal(status.code, 0, status.stderr);
    assert.equal(status.json.snapshot, 's1');
    assert.deepEqual(status.json.localChanges.map((r: { path: string }) => r.path), ['input/b.csv']);
    // Relative -C folders add up (as git's), and subfolders of a project work.
    assert.equal(dsg(here, env, '-C', 'proj', '-C', 'input', 'status', '--json').json.snapshot, 's1');
    assert.equal(dsg(here, env, '--directory', join(A, 'input'), 'log', '--json').json.snapshots[0].message, 'start');

    const missing = dsg(here, env, '-C', 'no-such-folder', 'status');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^dsg: -C no-such-folder: no such folder\./);
    const file = dsg(here, env, '-C', join('proj', 'input', 'a.csv'), 'status', '--json');
    assert.equal(file.code, 2);
    assert.equal(file.json.error.code, 'USAGE');
  });

  it('bash completion, sourced in bash, completes commands, options, values and topics', () => {
    const script = dsg(here, env, 'completion', 'bash');
    assert.equal(script.code, 0, script.stderr);
    const file = join(box.base, 'dsg.bash');
    writeFileSync(file, script.stdout);
    put(box.base, 'compl/input/survey.csv', 'x');

    /**
     * COMPREPLY for each command line (its words after "dsg", the last one being completed),
     * all in one bash: each line is one argument, its words separated by US characters.
     */
    const completeAll = (lines: string[][]): string[][] => {
      const program = [
        'source "$1"; shift',
        'for line in "$@"; do',
        '  IFS=$\'\\x1f\' read -ra COMP_WORDS <<< "$line"',
        '  unset "COMP_WORDS[${#COMP_WORDS[@]}-1]"',
        '  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _dsg',
        '  printf "%s\\n" "${COMPREPLY[@]}" "--end--"',
        'done',
      ].join('\n');
      const args = lines.map((words) => ['dsg', ...words, 'END'].join('\x1f'));
      const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program, 'bash', file, ...args], { cwd: join(box.base, 'compl'), encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      const replies = r.stdout.split('--end--\n').slice(0, -1).map((block) => block.split('\n').filter(Boolean));
      assert.equal(replies.length, lines.length);
      return replies;
    };
    const complete = (...words: string[]): string[] => completeAll([words])[0];
    assert.deepEqual(complete('sy'), ['sync']);
    assert.deepEqual(complete('--json', 'st'), ['status']);
    const syncOptions = complete('sync', '-m', 'hello', '--');
    for (const o of ['--message', '--dry-run', '--continue', '--force', '--wait', '--json', '--quiet', '--help']) assert.ok(syncOptions.includes(o), o);
    assert.ok(!syncOptions.includes('--all'), 'only options of sync');
    assert.deepEqual(complete('car', ''), ['export', 'import']);
    assert.deepEqual(complete('car', 'export', '--ov'), ['--overwrite']);
    assert.deepEqual(complete('help', 'con'), ['config', 'conflicts']);
    assert.deepEqual(complete('completion', ''), ['bash', 'zsh', 'fish']);
    assert.deepEqual(complete('blame', 'inp'), ['input']);
    assert.deepEqual(complete('-C', 'in'), ['input'], 'folders after -C');
    assert.deepEqual(complete('sync', '--wait', ''), [], 'a number: nothing to offer');
    assert.deepEqual(complete('status', '--color', 'a'), ['auto', 'always'], 'the values an option accepts');
    assert.deepEqual(complete('status', 'inp'), ['input'], 'status [paths...]: files and folders');
    assert.deepEqual(complete('snapfetch', 'input/survey.csv', '-o', 'input/s'), ['input/survey.csv']);

    // Generated from the program: every command, and every option each --help lists.
    const paths = commandPaths(here, env);
    assert.ok(paths.length >= 20, `${paths.length} commands`);
    const [top, ...offered] = completeAll([[''], ...paths.map((p) => [...p, '--'])]);
    paths.forEach((p, i) => {
      assert.ok(top.includes(p[0]), `dsg ${p[0]} is offered`);
      for (const o of helpOptions(here, env, p)) assert.ok(offered[i].includes(o), `dsg ${p.join(' ')} ${o} is offered`);
    });
    assert.match(dsg(here, env, 'completion', '--help').stdout, /dsg completion bash > ~\/\.local\/share\/bash-completion\/completions\/dsg/);
    const wrong = dsg(here, env, 'completion', 'tcsh');
    assert.equal(wrong.code, 2);
    assert.match(wrong.stderr, /^dsg: .*tcsh.*bash, zsh, fish/);
  });

  it('zsh and fish completions: valid scripts naming every command (and working, where fish runs)', () => {
    const paths = commandPaths(here, env);
    for (const shell of ['zsh', 'fish']) {
      const r = dsg(here, env, 'completion', shell);
      assert.equal(r.code, 0, r.stderr);
      const file = join(box.base, `dsg.${shell}`);
      writeFileSync(file, r.stdout);
      for (const p of paths) assert.ok(r.stdout.includes(shell === 'zsh' ? `'${p[p.length - 1]}:` : `-a ${p[p.length - 1]} `), `${shell}: ${p.join(' ')}`);
      assert.ok(r.stdout.includes(shell === 'zsh' ? 'compdef _dsg dsg' : 'complete -c dsg -n'), shell);
      if (!hasProgram(shell)) continue;
      const syntax = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
      assert.equal(syntax.status, 0, `${shell} -n: ${syntax.stderr}`);
    }
    if (hasProgram('zsh')) {
      // An interactive zsh on a pseudo-terminal (zpty) types each line with a TAB in it and
      // runs it: dsg is a function there that prints the words it got, as completed.
      const driver = join(box.base, 'drive.zsh');
      writeFileSync(
        driver,
        [
          'zmodload zsh/zpty',
          'zpty z zsh -f -i',
          `zpty -w z "PS1='> '; autoload -U compinit; compinit -u -D; source \${(q)1}; dsg() { print -r -- \\\"ARGS[\\$*]\\\" }"`,
          'shift',
          'for line in "$@"; do zpty -w z "$line"; done',
          "zpty -w z 'exit'",
          "out=''",
          'while zpty -r z chunk; do out+=$chunk; done',
          'print -r -- "$out"',
        ].join('\n'),
      );
      const zsh = spawnSync('zsh', ['-f', driver, join(box.base, 'dsg.zsh'), 'dsg sy\t', 'dsg sync --wa\t5', 'dsg car ex\t', 'dsg help confl\t', 'dsg snapfetch -n s1 --ov\t'], {
        cwd: box.base,
        encoding: 'utf8',
        env: { ...process.env, HOME: box.home },
        timeout: 60_000,
      });
      assert.equal(zsh.error, undefined);
      const got = [...zsh.stdout.matchAll(/ARGS\[([^\]$]*)\]/g)].map((m) => m[1]);
      assert.deepEqual(got, ['sync', 'sync --wait 5', 'car export', 'help conflicts', 'snapfetch -n s1 --overwrite'], zsh.stdout);
    }
    if (hasProgram('fish')) {
      const fish = (line: string) =>
        spawnSync('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', join(box.base, 'dsg.fish'), line], { encoding: 'utf8', env: { ...process.env, HOME: box.home } })
          .stdout.split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]);
      assert.deepEqual(fish('dsg sy'), ['sync']);
      assert.ok(fish('dsg sync --w').includes('--wait'));
      assert.deepEqual(fish('dsg car '), ['export', 'import']);
    }
  });

  it('the man page names every command and option and renders without warnings', () => {
    const r = dsg(here, env, 'manpage');
    assert.equal(r.code, 0, r.stderr);
    const page = r.stdout;
    for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'GLOBAL OPTIONS', 'COMMANDS', 'HELP TOPICS', 'EXIT STATUS', 'ENVIRONMENT', 'FILES', 'EXAMPLES']) assert.match(page, new RegExp(`^\\.SH ${s}$`, 'm'), s);
    for (const v of ['DSG_IPFS_PASSPHRASE', 'NO_COLOR', 'DSG_CONFIG_HOME']) assert.ok(page.includes(v.replace(/-/g, '\\-')), v);
    const unescaped = (s: string) => s.replace(/\\-/g, '-').replace(/\\f[BIR]/g, '');
    for (const p of commandPaths(here, env)) {
      assert.ok(unescaped(page).includes(`.SS "dsg ${p.join(' ')} `), `command ${p.join(' ')}`);
      for (const o of helpOptions(here, env, p)) assert.ok(unescaped(page).includes(o), `${p.join(' ')} ${o}`);
    }
    for (const t of TOPIC_NAMES) assert.match(page, new RegExp(`^\\.SS ${t}$`, 'm'));

    // npm run build writes it to man/dsg.1, which package.json installs.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    assert.deepEqual(pkg.man, ['./man/dsg.1']);
    assert.ok(pkg.files.includes('man/'));
    const build = spawnSync(process.execPath, [join(ROOT, 'scripts', 'man.mjs')], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    assert.equal(readFileSync(join(ROOT, 'man', 'dsg.1'), 'utf8'), page);

    const file = join(box.base, 'dsg.1');
    writeFileSync(file, page);
    if (hasProgram('groff')) {
      const g = spawnSync('groff', ['-man', '-Tutf8', '-ww', file], { encoding: 'utf8' });
      assert.equal(g.status, 0);
      assert.equal(g.stderr, '', 'groff -ww: no warnings');
      assert.match(g.stdout.replace(/.\x08/g, ''), /EXIT STATUS/);
    }
    if (hasProgram('man')) {
      const m = spawnSync('man', ['-l', file], { encoding: 'utf8', env: { ...process.env, MANPAGER: 'cat', PAGER: 'cat', MANWIDTH: '80' } });
      assert.equal(m.status, 0, m.stderr);
      assert.equal(m.stderr, '');
      assert.match(m.stdout.replace(/.\x08/g, ''), /dsg help/);
    }
  });

  it('--wait means the same with the same default everywhere; a bad value is a usage error', () => {
    const waits = ['init', 'sync', 'recover'].map((c) => /--wait <seconds> [^()]*\(default: \d+\)/.exec(words(dsg(here, env, c, '--help').stdout))?.[0]);
    assert.match(waits[0]!, /\(default: 300\)/);
    assert.deepEqual(new Set(waits).size, 1, waits.join('\n'));
    for (const c of ['sync', 'recover', 'init']) {
      const r = dsg(here, env, c, '--wait', 'soon');
      assert.equal(r.code, 2, c);
      assert.match(r.stderr, /^dsg: option '--wait <seconds>' argument 'soon' is invalid\. give a number of seconds/);
    }
  });

  it('snapfetch and car export replace a file with --overwrite (--force still works); snapmount takes its folder as an argument', () => {
    const A = box.project('opts', 'optsproj');
    put(A, 'input/a.csv', 'one');
    assert.equal(dsg(A, env, 'init').code, 0);
    const fetchHelp = dsg(A, env, 'snapfetch', '--help').stdout;
    assert.match(fetchHelp, /--overwrite/);
    assert.doesNotMatch(fetchHelp, /--force/, 'the old spelling is not advertised');
    assert.equal(dsg(A, env, 'snapfetch', 'input/a.csv', '-n', 's1').code, 0);
    const again = dsg(A, env, 'snapfetch', 'input/a.csv', '-n', 's1');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /pass --overwrite to replace it/);
    assert.equal(dsg(A, env, 'snapfetch', 'input/a.csv', '-n', 's1', '--overwrite').code, 0);
    assert.equal(dsg(A, env, 'snapfetch', 'input/a.csv', '-n', 's1', '--force').code, 0, 'old spelling');
    assert.equal(readFileSync(join(A, 'a.csv.s1'), 'utf8'), 'one');

    const mnt = join(box.base, 'opts-s1');
    const mount = dsg(A, env, 'snapmount', '-n', 's1', mnt, '--json');
    assert.equal(mount.code, 0, mount.stderr);
    assert.equal(mount.json.mountpoint, mnt);
    assert.equal(readFileSync(join(mnt, 'input', 'a.csv'), 'utf8'), 'one');
    const old = join(box.base, 'opts-old');
    assert.equal(dsg(A, env, 'snapmount', '-n', 's1', '--mountpoint', old).code, 0, 'old spelling');
    assert.deepEqual(readdirSync(join(old, 'input')), ['a.csv']);
    const both = dsg(A, env, 'snapmount', '-n', 's1', join(box.base, 'x'), '--mountpoint', join(box.base, 'y'));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^dsg: snapmount: two folders given/);
    assert.equal(existsSync(join(box.base, 'x')) || existsSync(join(box.base, 'y')), false);
  });
});

/** Text with every run of white space made one space (wrapping undone). */
function words(text: string): string {
  return text.split(/\s+/).join(' ').trim();
}

/** Topic names in the "Help topics" block of dsg --help. */
function TOPICS_IN(help: string): string[] {
  const section = help.split(/\nHelp topics \(dsg help <topic>\):\n/)[1] ?? '';
  return [...section.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
}
