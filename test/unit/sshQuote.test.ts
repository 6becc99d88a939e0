/** shellQuote: every hostile argument survives a real POSIX shell (dash and bash) unchanged. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { quoteArg, shellQuote } from '../../src/transport/ssh/shellQuote.js';

const HOSTILE = [
  'plain',
  'with space',
  "it's",
  "''",
  "'",
  '"double"',
  '$(touch /nonexistent/pwned)',
  '`id`',
  '${HOME}',
  'a;b',
  'a&b',
  'a|b',
  'a>b',
  'back\\slash\\',
  '\\\'',
  'new\nline',
  'tab\tx',
  'ünïcødé 名前 🎉',
  '*',
  '~',
  '',
  '-n',
  '#comment',
  '!bang',
];

describe('shellQuote', () => {
  it('single-quotes every argument and escapes quotes as \'\\\'\'', () => {
    assert.equal(quoteArg('abc'), "'abc'");
    assert.equal(quoteArg("it's"), "'it'\\''s'");
    assert.equal(quoteArg(''), "''");
    assert.equal(shellQuote(['rm', '-rf', '--', 'a b']), "'rm' '-rf' '--' 'a b'");
  });

  for (const sh of ['sh', 'bash']) {
    it(`round-trips through ${sh}: printf %s <arg> prints arg`, () => {
      for (const arg of HOSTILE) {
        const out = execFileSync(sh, ['-c', shellQuote(['printf', '%s', arg])], { encoding: 'utf8' });
        assert.equal(out, arg);
      }
      const all = execFileSync(sh, ['-c', shellQuote(['printf', '%s\\0', ...HOSTILE])], { encoding: 'utf8' });
      assert.deepEqual(all.split('\0').slice(0, -1), HOSTILE);
    });
  }

  it('refuses a NUL byte and an empty argv', () => {
    assert.throws(() => quoteArg('a\0b'), /NUL/);
    assert.throws(() => shellQuote([]), /empty/);
  });
});
