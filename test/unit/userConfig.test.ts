import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadUserConfig, userConfigPaths } from '../../src/config/userConfig.js';
import { ConfigError } from '../../src/errors/ConfigError.js';

const made: string[] = [];
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

/** A sandbox: temp home, etc dir, and helpers to write config files into them. */
function sandbox() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'dsg-usercfg-'));
  made.push(base);
  const home = path.join(base, 'home');
  const etcDir = path.join(base, 'etc', 'dsg');
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(etcDir, { recursive: true });
  const write = (file: string, text: string): string => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    return file;
  };
  return {
    base,
    home,
    etcDir,
    etcFile: path.join(etcDir, 'dsg.yml'),
    homeFile: path.join(home, '.config', 'dsg', 'dsg.yml'),
    write,
  };
}

function throwsConfig(fn: () => unknown, patterns: string[], code = 'CONFIG_INVALID'): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  assert.equal(caught.code, code);
  assert.equal(caught.exitCode, 1);
  for (const p of patterns) {
    assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(p)}`);
  }
  return caught;
}

const IDENTITY = 'user_name: Ana Example\nuser_id: ana@example.org\n';

describe('userConfigPaths', () => {
  test('base order without variables', () => {
    assert.deepEqual(userConfigPaths({}, '/h', '/e'), ['/e/dsg.yml', '/h/.config/dsg/dsg.yml']);
  });

  test('XDG_CONFIG_HOME and DSG_CONFIG_HOME are appended only when set', () => {
    assert.deepEqual(userConfigPaths({ XDG_CONFIG_HOME: '/x', DSG_CONFIG_HOME: '/d' }, '/h', '/e'), [
      '/e/dsg.yml',
      '/h/.config/dsg/dsg.yml',
      '/x/dsg/dsg.yml',
      '/d/dsg.yml',
    ]);
    assert.deepEqual(userConfigPaths({ DSG_CONFIG_HOME: '/d' }, '/h', '/e'), ['/e/dsg.yml', '/h/.config/dsg/dsg.yml', '/d/dsg.yml']);
    assert.deepEqual(userConfigPaths({ XDG_CONFIG_HOME: '' }, '/h', '/e'), ['/e/dsg.yml', '/h/.config/dsg/dsg.yml']);
  });

  test('etcDir defaults to /etc/dsg; a file reached twice is listed once', () => {
    assert.equal(userConfigPaths({}, '/h')[0], '/etc/dsg/dsg.yml');
    assert.deepEqual(userConfigPaths({ XDG_CONFIG_HOME: '/h/.config' }, '/h', '/e'), ['/e/dsg.yml', '/h/.config/dsg/dsg.yml']);
  });
});

describe('loadUserConfig', () => {
  test('minimal config, backup_on_conflict defaults to true', () => {
    const s = sandbox();
    s.write(s.homeFile, IDENTITY);
    const c = loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir });
    assert.deepEqual(c, {
      user_name: 'Ana Example',
      user_id: 'ana@example.org',
      backup_on_conflict: true,
      sources: [s.homeFile],
    });
  });

  test('layering: later files override earlier ones; ssh/rclone merged per key', () => {
    const s = sandbox();
    const xdg = path.join(s.base, 'xdg');
    const dsgHome = path.join(s.base, 'dsghome');
    s.write(
      s.etcFile,
      'default_host: etc-host\ndefault_project_path: /etc/path\nlocal_log: /var/log/dsg\nbackup_on_conflict: false\n' +
        'ssh: {key_path: /etc/key}\nrclone: {config_path: /etc/rclone.conf}\n',
    );
    s.write(s.homeFile, `${IDENTITY}default_host: home-host\nssh: {key_path: /home/key}\n`);
    const xdgFile = s.write(path.join(xdg, 'dsg', 'dsg.yml'), 'default_project_path: /xdg/path\nuser_name: Xdg Name\n');
    const dsgFile = s.write(path.join(dsgHome, 'dsg.yml'), 'user_name: Final Name\nbackup_on_conflict: true\n');
    const c = loadUserConfig({ env: { XDG_CONFIG_HOME: xdg, DSG_CONFIG_HOME: dsgHome }, home: s.home, etcDir: s.etcDir });
    assert.deepEqual(c, {
      user_name: 'Final Name',
      user_id: 'ana@example.org',
      default_host: 'home-host',
      default_project_path: '/xdg/path',
      local_log: '/var/log/dsg',
      backup_on_conflict: true,
      ssh: { key_path: '/home/key' },
      rclone: { config_path: '/etc/rclone.conf' },
      sources: [s.etcFile, s.homeFile, xdgFile, dsgFile],
    });
  });

  test('nested sections keep keys from earlier files', () => {
    const s = sandbox();
    s.write(s.etcFile, 'rclone: {config_path: /etc/rclone.conf}\n');
    s.write(s.homeFile, `${IDENTITY}rclone: {}\nbackup_on_conflict: false\n`);
    const c = loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir });
    assert.deepEqual(c.rclone, { config_path: '/etc/rclone.conf' });
    assert.equal(c.backup_on_conflict, false);
  });

  test('XDG/DSG files are ignored when the variables are unset', () => {
    const s = sandbox();
    s.write(s.homeFile, IDENTITY);
    s.write(path.join(s.base, 'dsghome', 'dsg.yml'), 'user_name: Not Used\n');
    const c = loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir });
    assert.equal(c.user_name, 'Ana Example');
  });

  test('~ in local paths is expanded to the home directory', () => {
    const s = sandbox();
    s.write(s.homeFile, `${IDENTITY}ssh: {key_path: ~/.ssh/id_ed25519}\nlocal_log: ~/dsg-logs\n`);
    const c = loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir });
    assert.equal(c.ssh?.key_path, path.join(s.home, '.ssh', 'id_ed25519'));
    assert.equal(c.local_log, path.join(s.home, 'dsg-logs'));
  });

  test('/etc must not hold user_name or user_id', () => {
    const s = sandbox();
    s.write(s.etcFile, 'user_id: ana@example.org\n');
    s.write(s.homeFile, IDENTITY);
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [
      `${s.etcFile}: user_id must not be set in the system-wide config`,
    ]);
  });

  test('no config at all: lists the paths tried and shows an example', () => {
    const s = sandbox();
    const dsgHome = path.join(s.base, 'dsghome');
    const err = throwsConfig(
      () => loadUserConfig({ env: { DSG_CONFIG_HOME: dsgHome }, home: s.home, etcDir: s.etcDir }),
      [s.etcFile, s.homeFile, path.join(dsgHome, 'dsg.yml'), 'user_name: Ana Example\n  user_id: ana@example.org'],
      'CONFIG_NOT_FOUND',
    );
    assert.match(err.message, /No dsg user configuration found/);
  });

  test('identity missing after merge: lists the paths and shows an example', () => {
    const s = sandbox();
    s.write(s.homeFile, 'user_name: Ana Example\n');
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [
      'does not set user_id',
      `${s.etcFile} (not found)`,
      `${s.homeFile} (read)`,
      'user_name: Ana Example',
      'user_id: ana@example.org',
    ]);
  });

  test('an empty file counts as found but sets nothing', () => {
    const s = sandbox();
    s.write(s.homeFile, '');
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), ['does not set user_name or user_id']);
  });

  test('invalid email', () => {
    const s = sandbox();
    s.write(s.homeFile, 'user_name: Ana\nuser_id: ana.example.org\n');
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [
      `${s.homeFile}: user_id must be an email address`,
      '"ana.example.org"',
    ]);
    s.write(s.homeFile, 'user_name: Ana\nuser_id: ana @example.org\n');
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), ['user_id must be an email address']);
  });

  test('unknown keys name the file, the key and the closest valid key', () => {
    const s = sandbox();
    s.write(s.homeFile, `${IDENTITY}backup_on_conflcit: false\n`);
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [
      `${s.homeFile}: unknown key "backup_on_conflcit" (did you mean "backup_on_conflict"?)`,
    ]);
    s.write(s.homeFile, `${IDENTITY}ssh: {keypath: /k}\n`);
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [
      'unknown key "keypath" in ssh (did you mean "key_path"?)',
    ]);
    s.write(s.homeFile, `${IDENTITY}usr_name: x\n`);
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), ['did you mean "user_name"?']);
  });

  test('wrong value types and YAML errors name the file', () => {
    const s = sandbox();
    s.write(s.homeFile, `${IDENTITY}backup_on_conflict: "yes"\n`);
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [
      `${s.homeFile}: backup_on_conflict must be true or false`,
    ]);
    s.write(s.homeFile, 'user_name: [oops\n');
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [`${s.homeFile}: YAML syntax error at line`]);
    s.write(s.homeFile, '- a\n');
    throwsConfig(() => loadUserConfig({ env: {}, home: s.home, etcDir: s.etcDir }), [`${s.homeFile}: expected a mapping`]);
  });
});
