/** ~/.ssh/config resolution (HostName, Port, User, IdentityFile, UserKnownHostsFile) and known_hosts matching. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fingerprint, hostFieldMatches, knownHostsName, parseKnownHosts } from '../../src/transport/ssh/knownHosts.js';
import { resolveSshTarget } from '../../src/transport/ssh/sshConfig.js';

const home = mkdtempSync(join(tmpdir(), 'dsg-sshconfig-'));
after(() => rmSync(home, { recursive: true, force: true }));
mkdirSync(join(home, '.ssh'));
writeFileSync(
  join(home, '.ssh', 'config'),
  `# team servers
Host files
  HostName files.example.org
  Port 2222
  User ana
  IdentityFile ~/.ssh/team_key
  UserKnownHostsFile ~/.ssh/team_known_hosts /etc/shared_known_hosts

Host *.lab !gate.lab
  user labuser
  port 2200

Host f?les
  User second-match-ignored
  IdentityFile %d/.ssh/%r_at_%h

Host *
  IdentityFile ~/.ssh/everywhere
`,
);

describe('resolveSshTarget', () => {
  it('applies the first matching value of each keyword, collects every IdentityFile, expands ~ and %tokens', () => {
    const t = resolveSshTarget('files', { homeDir: home });
    assert.equal(t.host, 'files.example.org');
    assert.equal(t.port, 2222);
    assert.equal(t.user, 'ana');
    assert.deepEqual(t.identityFiles, [join(home, '.ssh/team_key'), join(home, '.ssh/ana_at_files.example.org'), join(home, '.ssh/everywhere')]);
    assert.deepEqual(t.knownHostsFiles, [join(home, '.ssh/team_known_hosts'), '/etc/shared_known_hosts']);
  });

  it('patterns with * and !negation; keywords are case-insensitive', () => {
    const a = resolveSshTarget('node1.lab', { homeDir: home });
    assert.equal(a.user, 'labuser');
    assert.equal(a.port, 2200);
    assert.equal(a.host, 'node1.lab');
    const gate = resolveSshTarget('gate.lab', { homeDir: home });
    assert.equal(gate.port, 22);
    assert.equal(gate.user, userInfo().username);
  });

  it('no config entry: the alias is the host, port 22, the local user, ~/.ssh/known_hosts', () => {
    const t = resolveSshTarget('server9', { homeDir: home });
    assert.deepEqual(
      { host: t.host, port: t.port, user: t.user, known: t.knownHostsFiles },
      { host: 'server9', port: 22, user: userInfo().username, known: [join(home, '.ssh/known_hosts')] },
    );
    const empty = mkdtempSync(join(tmpdir(), 'dsg-sshconfig-empty-'));
    try {
      assert.equal(resolveSshTarget('x', { homeDir: empty }).port, 22);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('known_hosts matching', () => {
  const key = Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from('ssh-ed25519'), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 9)]);
  const b64 = key.toString('base64');

  it('names: host on 22, [host]:port otherwise', () => {
    assert.equal(knownHostsName('h', 22), 'h');
    assert.equal(knownHostsName('127.0.0.1', 2222), '[127.0.0.1]:2222');
  });

  it('plain names, comma lists, wildcards, negation; a port entry matches only that port', () => {
    assert.ok(hostFieldMatches('a,b.example.org,10.0.0.1', 'b.example.org'));
    assert.ok(!hostFieldMatches('a,b', 'c'));
    assert.ok(hostFieldMatches('*.example.org', 'X.EXAMPLE.org'));
    assert.ok(hostFieldMatches('node?', 'node7'));
    assert.ok(!hostFieldMatches('*.example.org,!bad.example.org', 'bad.example.org'));
    assert.ok(hostFieldMatches('[127.0.0.1]:2222', '[127.0.0.1]:2222'));
    assert.ok(!hostFieldMatches('127.0.0.1', '[127.0.0.1]:2222'));
    assert.ok(!hostFieldMatches('[127.0.0.1]:2222', '127.0.0.1'));
  });

  it('hashed entries written by ssh-keygen -H match their name only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsg-knownhosts-'));
    try {
      const file = join(dir, 'kh');
      writeFileSync(file, `[127.0.0.1]:2222 ssh-ed25519 ${b64}\nserver.example.org ssh-ed25519 ${b64}\n`);
      execFileSync('ssh-keygen', ['-H', '-f', file], { stdio: 'ignore' });
      const entries = parseKnownHosts(readFileSync(file, 'utf8'), file);
      assert.equal(entries.length, 2);
      assert.ok(entries.every((e) => e.hostField.startsWith('|1|')));
      assert.ok(hostFieldMatches(entries[0].hostField, '[127.0.0.1]:2222'));
      assert.ok(!hostFieldMatches(entries[0].hostField, '127.0.0.1'));
      assert.ok(hostFieldMatches(entries[1].hostField, 'server.example.org'));
      assert.ok(entries[0].key.equals(key));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses markers, skips comments, @cert-authority and damaged lines', () => {
    const text = `# comment\n\n@revoked h ssh-ed25519 ${b64}\n@cert-authority *.x ssh-ed25519 ${b64}\nh ssh-rsa ${b64}\nh ssh-ed25519 ${b64} comment here\n`;
    const e = parseKnownHosts(text, 'f');
    assert.deepEqual(e.map((x) => [x.marker, x.line]), [['@revoked', 3], ['', 6]]);
  });

  it('fingerprint is what ssh-keygen -l prints', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dsg-fp-'));
    try {
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'k')]);
      const pub = readFileSync(join(dir, 'k.pub'), 'utf8').split(' ');
      const printed = execFileSync('ssh-keygen', ['-lf', join(dir, 'k.pub')], { encoding: 'utf8' }).split(' ')[1];
      assert.equal(fingerprint(Buffer.from(pub[1], 'base64')), printed);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
