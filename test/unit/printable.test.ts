/** Escaping control characters in human output (issue 7 §2: repository text printed raw). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { printable, printableLines } from '../../src/cli/printable.js';

describe('printable', () => {
  it('escapes C0, DEL, C1 and bidi controls, and nothing else', () => {
    assert.equal(printable('a\x1b[31mb\x07'), 'a\\x1b[31mb\\x07');
    assert.equal(printable('\x7f\x85\x9b'), '\\x7f\\x85\\x9b');
    assert.equal(printable('x\u202ey\u2066z\u2069'), 'x\\u202ey\\u2066z\\u2069');
    assert.equal(printable('line\nbreak\ttab'), 'line\\x0abreak\\x09tab');
    assert.equal(printable('café – 日本 😀'), 'café – 日本 😀');
  });

  it('printableLines keeps line breaks and tabs of a message', () => {
    assert.equal(printableLines('2 paths:\n  a\x1b\n\tb'), '2 paths:\n  a\\x1b\n\tb');
  });
});
