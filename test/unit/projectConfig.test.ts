import { after, test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  DEFAULT_DATA_DIRS,
  DEFAULT_IGNORE,
  PROJECT_CONFIG_FILE,
  findProjectRoot,
  loadProjectConfig,
  parseProjectConfig,
  repositoryLocation,
  serializeProjectConfig,
  type ProjectConfig,
} from '../../src/config/projectConfig.js';
import { closestKey } from '../../src/config/suggest.js';
import { ConfigError } from '../../src/errors/ConfigError.js';
import { DsgError } from '../../src/errors/DsgError.js';

/** Asserts that fn throws a ConfigError whose message matches every pattern. */
function throwsConfig(fn: () => unknown, patterns: (RegExp | string)[], code = 'CONFIG_INVALID'): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof ConfigError, `expected ConfigError, got ${String(caught)}`);
  assert.ok(caught instanceof DsgError);
  assert.equal(caught.code, code);
  assert.equal(caught.exitCode, 1);
  for (const p of patterns) {
    if (typeof p === 'string') assert.ok(caught.message.includes(p), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(p)}`);
    else assert.match(caught.message, p);
  }
  return caught;
}

const made: string[] = [];
after(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function tmpDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dsg-projcfg-'));
  made.push(dir);
  return dir;
}

const XFS = 'name: myproject\nrepository: {type: xfs, host: localhost, mountpoint: /srv/repos}\n';

describe('parseProjectConfig: new form', () => {
  test('xfs with defaults', () => {
    const c = parseProjectConfig(XFS);
    assert.deepEqual(c, {
      name: 'myproject',
      repository: { type: 'xfs', host: 'localhost', mountpoint: '/srv/repos' },
      data_dirs: ['input', 'output', 'frozen'],
      ignore: {
        paths: [],
        names: ['.DS_Store', '__pycache__', '.Rdata', '.rdata', '.RData', '.Rproj.user'],
        suffixes: ['.tmp', '.pyc'],
      },
    });
    assert.deepEqual([...DEFAULT_DATA_DIRS], ['input', 'output', 'frozen']);
    // defaults are copied, not shared
    c.ignore.names.push('x');
    c.data_dirs.push('y');
    assert.ok(!DEFAULT_IGNORE.names.includes('x'));
    assert.ok(!DEFAULT_DATA_DIRS.includes('y'));
  });

  test('zfs', () => {
    const c = parseProjectConfig('name: p\nrepository: {type: zfs, host: server1, pool: tank, mountpoint: /tank/repos}\n');
    assert.deepEqual(c.repository, { type: 'zfs', host: 'server1', pool: 'tank', mountpoint: '/tank/repos' });
  });

  test('rclone', () => {
    const c = parseProjectConfig('name: p\nrepository: {type: rclone, remote: "s3remote:bucket", path: /repos}\n');
    assert.deepEqual(c.repository, { type: 'rclone', remote: 's3remote:bucket', path: '/repos' });
  });

  test('ipfs (encrypted given, and defaulting to true)', () => {
    const c = parseProjectConfig('name: p\nrepository: {type: ipfs, did: "did:key:z6Mk", encrypted: false}\n');
    assert.deepEqual(c.repository, { type: 'ipfs', did: 'did:key:z6Mk', encrypted: false });
    const d = parseProjectConfig('name: p\nrepository: {type: ipfs, did: "did:key:z6Mk"}\n');
    assert.deepEqual(d.repository, { type: 'ipfs', did: 'did:key:z6Mk', encrypted: true });
  });

  test('s3 with and without optional endpoint/region', () => {
    const c = parseProjectConfig(
      'name: p\nrepository: {type: s3, bucket: b, prefix: p, endpoint: "http://127.0.0.1:9000", region: us-east-1}\n',
    );
    assert.deepEqual(c.repository, {
      type: 's3',
      bucket: 'b',
      prefix: 'p',
      endpoint: 'http://127.0.0.1:9000',
      region: 'us-east-1',
    });
    const d = parseProjectConfig('name: p\nrepository: {type: s3, bucket: b, prefix: p}\n');
    assert.deepEqual(d.repository, { type: 's3', bucket: 'b', prefix: 'p' });
    assert.ok(!('endpoint' in d.repository));
  });

  test('missing required repository field names the type', () => {
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfs, host: localhost}\n'), [
      '.dsgconfig.yml: repository.mountpoint is required for type xfs',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: zfs, host: h, mountpoint: /m}\n'), [
      'repository.pool is required for type zfs',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: s3, prefix: p}\n'), [
      'repository.bucket is required for type s3',
    ]);
  });

  test('bad repository values', () => {
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfs, host: h, mountpoint: srv/repos}\n'), [
      'repository.mountpoint must be an absolute path',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfs, host: 5, mountpoint: /m}\n'), [
      'repository.host must be a string, got the number 5',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: ipfs, did: "did:k", encrypted: "yes"}\n'), [
      'repository.encrypted must be true or false',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfz, host: h, mountpoint: /m}\n'), [
      'repository.type "xfz" is not supported',
      'did you mean "xfs"?',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {host: h, mountpoint: /m}\n'), [
      'repository.type is required (one of xfs, zfs, rclone, ipfs, s3)',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: /srv/repos\n'), ['repository must be a mapping']);
  });
});

describe('parseProjectConfig: legacy form', () => {
  test('ssh xfs maps to repository {type, host, mountpoint}', () => {
    const c = parseProjectConfig('name: p\ntransport: ssh\nssh: {host: server1, path: /srv/repos, type: xfs}\n');
    assert.deepEqual(c.repository, { type: 'xfs', host: 'server1', mountpoint: '/srv/repos' });
    assert.equal(c.name, 'p');
    assert.deepEqual(c.data_dirs, ['input', 'output', 'frozen']);
  });

  test('ssh zfs needs pool', () => {
    const c = parseProjectConfig('name: p\ntransport: ssh\nssh: {host: h, path: /tank/repos, type: zfs, pool: tank}\n');
    assert.deepEqual(c.repository, { type: 'zfs', host: 'h', pool: 'tank', mountpoint: '/tank/repos' });
    throwsConfig(() => parseProjectConfig('name: p\ntransport: ssh\nssh: {host: h, path: /tank/repos, type: zfs}\n'), [
      '.dsgconfig.yml: ssh.pool is required for type zfs',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\ntransport: ssh\nssh: {host: h, path: /r, type: xfs, pool: t}\n'), [
      'ssh.pool is only used with type zfs',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\ntransport: ssh\nssh: {host: h, path: /r, type: ext4}\n'), [
      'ssh.type must be one of zfs, xfs',
    ]);
  });

  test('rclone', () => {
    const c = parseProjectConfig('name: p\ntransport: rclone\nrclone: {remote: "r:bucket", path: /repos}\n');
    assert.deepEqual(c.repository, { type: 'rclone', remote: 'r:bucket', path: '/repos' });
  });

  test('ipfs', () => {
    const c = parseProjectConfig('name: p\ntransport: ipfs\nipfs: {did: "did:key:abc", encrypted: true}\n');
    assert.deepEqual(c.repository, { type: 'ipfs', did: 'did:key:abc', encrypted: true });
  });

  test('name taken from the transport section when there is no top-level name', () => {
    const c = parseProjectConfig('transport: ssh\nssh:\n  name: fromsection\n  host: h\n  path: /srv/repos\n  type: xfs\n');
    assert.equal(c.name, 'fromsection');
    const r = parseProjectConfig('transport: rclone\nrclone: {name: rc, remote: "r:", path: repos}\n');
    assert.equal(r.name, 'rc');
    // same name in both places is fine; different names are an error
    assert.equal(parseProjectConfig('name: a\ntransport: ipfs\nipfs: {name: a, did: "did:x"}\n').name, 'a');
    throwsConfig(() => parseProjectConfig('name: a\ntransport: ipfs\nipfs: {name: b, did: "did:x"}\n'), ['differ']);
    throwsConfig(() => parseProjectConfig('transport: ipfs\nipfs: {did: "did:x"}\n'), ['.dsgconfig.yml: name is required']);
  });

  test('project: wrapper is unwrapped', () => {
    const c = parseProjectConfig(
      'name: p\ntransport: ssh\nssh: {host: h, path: /r, type: xfs}\nproject:\n  data_dirs: [a, b]\n  ignore:\n    suffixes: [.bak]\n',
    );
    assert.deepEqual(c.data_dirs, ['a', 'b']);
    assert.deepEqual(c.ignore.suffixes, ['.bak']);
    assert.deepEqual(c.ignore.names, DEFAULT_IGNORE.names);
    const d = parseProjectConfig(`${XFS}project:\n  data_dirs: ["*"]\n`);
    assert.deepEqual(d.data_dirs, ['*']);
    throwsConfig(() => parseProjectConfig(`${XFS}data_dirs: [a]\nproject: {data_dirs: [b]}\n`), [
      'data_dirs is given both at the top level and under project:',
    ]);
  });

  test('transport section problems', () => {
    throwsConfig(() => parseProjectConfig('name: p\ntransport: ssh\n'), ['transport is "ssh" but the ssh section is missing']);
    throwsConfig(() => parseProjectConfig('name: p\ntransport: sssh\nssh: {host: h, path: /r, type: xfs}\n'), [
      'transport must be one of ssh, rclone, ipfs',
      'did you mean "ssh"?',
    ]);
    throwsConfig(
      () => parseProjectConfig('name: p\ntransport: ssh\nssh: {host: h, path: /r, type: xfs}\nrclone: {remote: "r:", path: x}\n'),
      ['an "rclone" section is also present'],
    );
    throwsConfig(() => parseProjectConfig(`${XFS}ssh: {host: h, path: /r, type: xfs}\n`), [
      'the "ssh" section belongs to the legacy transport form',
    ]);
  });
});

describe('parseProjectConfig: data_dirs and ignore', () => {
  test('data_dirs list replaces the default', () => {
    assert.deepEqual(parseProjectConfig(`${XFS}data_dirs: [raw, clean]\n`).data_dirs, ['raw', 'clean']);
    assert.deepEqual(parseProjectConfig(`${XFS}data_dirs: [raw, raw/, clean]\n`).data_dirs, ['raw', 'clean']);
  });

  test('"*" means everything (scalar or list)', () => {
    assert.deepEqual(parseProjectConfig(`${XFS}data_dirs: "*"\n`).data_dirs, ['*']);
    assert.deepEqual(parseProjectConfig(`${XFS}data_dirs: ["*"]\n`).data_dirs, ['*']);
  });

  test('bad data_dirs', () => {
    throwsConfig(() => parseProjectConfig(`${XFS}data_dirs: []\n`), ['data_dirs must list at least one directory']);
    throwsConfig(() => parseProjectConfig(`${XFS}data_dirs: [a, ../x]\n`), ['data_dirs[1]']);
    throwsConfig(() => parseProjectConfig(`${XFS}data_dirs: input\n`), ['data_dirs must be a list']);
  });

  test('each given ignore key replaces only that default', () => {
    const c = parseProjectConfig(`${XFS}ignore:\n  names: [Thumbs.db]\n`);
    assert.deepEqual(c.ignore, { paths: [], names: ['Thumbs.db'], suffixes: ['.tmp', '.pyc'] });
    const d = parseProjectConfig(`${XFS}ignore:\n  paths: [input/scratch]\n  suffixes: []\n`);
    assert.deepEqual(d.ignore, { paths: ['input/scratch'], names: [...DEFAULT_IGNORE.names], suffixes: [] });
    const e = parseProjectConfig(`${XFS}ignore: {}\n`);
    assert.deepEqual(e.ignore, { paths: [], names: [...DEFAULT_IGNORE.names], suffixes: ['.tmp', '.pyc'] });
    throwsConfig(() => parseProjectConfig(`${XFS}ignore: {names: .DS_Store}\n`), ['ignore.names must be a list']);
  });
});

describe('parseProjectConfig: unknown keys and structure', () => {
  test('top level', () => {
    throwsConfig(() => parseProjectConfig(`${XFS}data_dir: [a]\n`), [
      '.dsgconfig.yml: unknown key "data_dir" (did you mean "data_dirs"?)',
    ]);
  });

  test('names the given file label', () => {
    throwsConfig(() => parseProjectConfig(`${XFS}ignroe: {}\n`, '/p/.dsgconfig.yml'), [
      '/p/.dsgconfig.yml: unknown key "ignroe" (did you mean "ignore"?)',
    ]);
  });

  test('repository level', () => {
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfs, host: h, mountpiont: /m}\n'), [
      'unknown key "mountpiont" in repository (did you mean "mountpoint"?)',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfs, host: h, mountpoint: /m, pool: tank}\n'), [
      'unknown key "pool" in repository',
      'only used with type zfs',
    ]);
  });

  test('ignore level', () => {
    throwsConfig(() => parseProjectConfig(`${XFS}ignore: {suffix: [.x]}\n`), [
      'unknown key "suffix" in ignore (did you mean "suffixes"?)',
    ]);
  });

  test('legacy sections and project wrapper', () => {
    throwsConfig(() => parseProjectConfig('name: p\ntransport: ssh\nssh: {hots: h, path: /r, type: xfs}\n'), [
      'unknown key "hots" in ssh (did you mean "host"?)',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\ntransport: rclone\nrclone: {remote: "r:", pth: x}\n'), [
      'unknown key "pth" in rclone (did you mean "path"?)',
    ]);
    throwsConfig(() => parseProjectConfig('name: p\ntransport: ipfs\nipfs: {did: "did:x", encrypt: true}\n'), [
      'unknown key "encrypt" in ipfs (did you mean "encrypted"?)',
    ]);
    throwsConfig(() => parseProjectConfig(`${XFS}project: {data_dirz: [a]}\n`), [
      'unknown key "data_dirz" in project (did you mean "data_dirs"?)',
    ]);
  });

  test('an unrelated key lists the valid keys', () => {
    throwsConfig(() => parseProjectConfig(`${XFS}zzzzzzzz: 1\n`), ['unknown key "zzzzzzzz" (valid keys: name, repository']);
  });

  test('both or neither of repository/transport', () => {
    throwsConfig(
      () => parseProjectConfig(`${XFS}transport: ssh\nssh: {host: h, path: /r, type: xfs}\n`),
      ['both repository and transport are present; exactly one is allowed'],
    );
    throwsConfig(() => parseProjectConfig('name: p\ndata_dirs: [a]\n'), [
      'neither repository nor transport is present; exactly one is required',
    ]);
  });

  test('bad names', () => {
    const repo = 'repository: {type: xfs, host: h, mountpoint: /m}\n';
    throwsConfig(() => parseProjectConfig(`name: a/b\n${repo}`), ['.dsgconfig.yml: name must be a single directory name']);
    throwsConfig(() => parseProjectConfig(`name: ..\n${repo}`), ['name must not be ".."']);
    throwsConfig(() => parseProjectConfig(`name: .\n${repo}`), ['name must not be "."']);
    throwsConfig(() => parseProjectConfig(`name: ""\n${repo}`), ['name must not be empty']);
    throwsConfig(() => parseProjectConfig(`name: 42\n${repo}`), ['name must be a string', 'quote it']);
    throwsConfig(() => parseProjectConfig(repo), ['name is required']);
  });

  test('YAML syntax error names file and line', () => {
    throwsConfig(() => parseProjectConfig('name: p\nrepository: {type: xfs\ndata_dirs: [a\n', 'cfg.yml'), [
      /^cfg\.yml: YAML syntax error at line \d+/,
    ]);
    throwsConfig(() => parseProjectConfig('name: p\nname: q\n'), ['.dsgconfig.yml: YAML syntax error at line 2']);
  });

  test('empty file and non-mapping', () => {
    throwsConfig(() => parseProjectConfig(''), ['.dsgconfig.yml: the file is empty']);
    throwsConfig(() => parseProjectConfig('- a\n- b\n'), ['expected a mapping', 'got a list']);
  });
});

describe('serializeProjectConfig', () => {
  const configs: ProjectConfig[] = [
    {
      name: 'myproject',
      repository: { type: 'zfs', host: 'server1', pool: 'tank', mountpoint: '/tank/repos' },
      data_dirs: ['input', 'output'],
      ignore: { paths: ['input/tmp'], names: ['.DS_Store'], suffixes: [] },
    },
    {
      name: 'yes',
      repository: { type: 's3', bucket: 'b', prefix: '', endpoint: 'http://127.0.0.1:9000' },
      data_dirs: ['*'],
      ignore: { paths: [], names: [], suffixes: ['.tmp'] },
    },
    {
      name: '123',
      repository: { type: 'ipfs', did: 'did:key:z6Mk', encrypted: false },
      data_dirs: ['input'],
      ignore: { ...DEFAULT_IGNORE },
    },
    {
      name: 'r',
      repository: { type: 'rclone', remote: 's3remote:bucket', path: '/repos' },
      data_dirs: ['frozen'],
      ignore: { paths: [], names: ['#x', 'a: b'], suffixes: ['.pyc'] },
    },
  ];
  for (const config of configs) {
    test(`round-trips ${config.repository.type}`, () => {
      const text = serializeProjectConfig(config);
      assert.deepEqual(parseProjectConfig(text), config);
      assert.match(text, /^name: /);
      assert.ok(!text.includes('transport'));
    });
  }
  test('round-trips a legacy file into the new form', () => {
    const legacy = parseProjectConfig('transport: ssh\nssh: {name: p, host: h, path: /r, type: xfs}\n');
    const text = serializeProjectConfig(legacy);
    assert.match(text, /repository:/);
    assert.deepEqual(parseProjectConfig(text), legacy);
  });
  test('refuses to serialize an invalid config', () => {
    assert.throws(
      () => serializeProjectConfig({ ...configs[0], name: '../x' }),
      (err: unknown) => err instanceof ConfigError && /name/.test(err.message),
    );
  });
});

describe('findProjectRoot / loadProjectConfig', () => {
  test('finds the root from a nested directory', () => {
    const root = tmpDir();
    fs.writeFileSync(path.join(root, PROJECT_CONFIG_FILE), XFS);
    const nested = path.join(root, 'input', 'a', 'b');
    fs.mkdirSync(nested, { recursive: true });
    assert.equal(findProjectRoot(nested), root);
    assert.equal(findProjectRoot(root), root);
    const loaded = loadProjectConfig(nested);
    assert.equal(loaded.root, root);
    assert.equal(loaded.file, path.join(root, PROJECT_CONFIG_FILE));
    assert.equal(loaded.config.name, 'myproject');
  });

  test('returns null / throws CONFIG_NOT_FOUND when there is none', () => {
    const dir = tmpDir();
    // a directory named like the config file is not a config
    fs.mkdirSync(path.join(dir, PROJECT_CONFIG_FILE));
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    // guard: the temp dir must not sit under a real project
    if (findProjectRoot(path.dirname(dir)) !== null) return;
    assert.equal(findProjectRoot(sub), null);
    throwsConfig(() => loadProjectConfig(sub), [sub, 'dsg init', 'cd into'], 'CONFIG_NOT_FOUND');
  });

  test('errors from a loaded file name its full path', () => {
    const root = tmpDir();
    const file = path.join(root, PROJECT_CONFIG_FILE);
    fs.writeFileSync(file, `${XFS}data_dir: [a]\n`);
    throwsConfig(() => loadProjectConfig(root), [`${file}: unknown key "data_dir" (did you mean "data_dirs"?)`]);
  });
});

describe('repositoryLocation', () => {
  const base = (repository: ProjectConfig['repository']): ProjectConfig => ({
    name: 'proj',
    repository,
    data_dirs: ['input'],
    ignore: { paths: [], names: [], suffixes: [] },
  });

  test('localhost and 127.0.0.1 and ::1 are local', () => {
    for (const host of ['localhost', '127.0.0.1', '::1', 'LOCALHOST']) {
      const loc = repositoryLocation(base({ type: 'xfs', host, mountpoint: '/srv/repos' }), { hostname: 'box' });
      assert.deepEqual(loc, { transport: 'local', host, path: '/srv/repos/proj' });
    }
  });

  test("this machine's hostname is local", () => {
    const loc = repositoryLocation(base({ type: 'xfs', host: os.hostname(), mountpoint: '/srv/repos/' }));
    assert.equal(loc.transport, 'local');
    assert.equal(loc.path, '/srv/repos/proj');
    assert.equal(repositoryLocation(base({ type: 'xfs', host: 'box', mountpoint: '/r' }), { hostname: 'box.example.org' }).transport, 'local');
  });

  test('another host is ssh', () => {
    const loc = repositoryLocation(base({ type: 'xfs', host: 'server1', mountpoint: '/srv/repos' }), { hostname: 'box' });
    assert.deepEqual(loc, { transport: 'ssh', host: 'server1', path: '/srv/repos/proj' });
  });

  test('zfs has a dataset', () => {
    const loc = repositoryLocation(base({ type: 'zfs', host: 'server1', pool: 'tank', mountpoint: '/tank/repos' }), {
      hostname: 'box',
    });
    assert.deepEqual(loc, { transport: 'ssh', host: 'server1', path: '/tank/repos/proj', dataset: 'tank/proj' });
    const local = repositoryLocation(base({ type: 'zfs', host: '127.0.0.1', pool: 'tank', mountpoint: '/tank' }));
    assert.equal(local.transport, 'local');
    assert.equal(local.dataset, 'tank/proj');
  });

  test('rclone, ipfs, s3', () => {
    assert.deepEqual(repositoryLocation(base({ type: 'rclone', remote: 'r:bucket', path: '/repos' })), {
      transport: 'rclone',
      host: 'r:bucket',
      path: '/repos/proj',
    });
    assert.equal(repositoryLocation(base({ type: 'ipfs', did: 'did:x', encrypted: true })).transport, 'ipfs');
    assert.deepEqual(repositoryLocation(base({ type: 's3', bucket: 'b', prefix: 'p', endpoint: 'http://e:9000' })), {
      transport: 's3',
      host: 'http://e:9000',
      path: 'p',
    });
  });

  test('legacy ssh path: repository at <path>/<name>', () => {
    const c = parseProjectConfig('name: proj\ntransport: ssh\nssh: {host: localhost, path: /data/repos, type: xfs}\n');
    assert.deepEqual(repositoryLocation(c), { transport: 'local', host: 'localhost', path: '/data/repos/proj' });
  });
});

describe('closestKey', () => {
  test('suggests near misses only', () => {
    assert.equal(closestKey('data_dir', ['name', 'data_dirs', 'ignore']), 'data_dirs');
    assert.equal(closestKey('Data-Dirs', ['name', 'data_dirs']), 'data_dirs');
    assert.equal(closestKey('completely_unrelated', ['name', 'ignore']), null);
  });
});
