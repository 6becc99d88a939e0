import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureText } from '../helpers/fixtures.js';
import { findCaseCollisions, normalizePath, validatePath } from '../../src/scan/pathRules.js';

interface GoldenVerdict {
  path: string;
  valid: boolean;
  message: string;
}

const golden: GoldenVerdict[] = JSON.parse(
  fixtureText('path-validation.json'),
) as GoldenVerdict[];

/** Assert the path is invalid, that the problem names `component`, and the reason matches `pattern`. */
function assertInvalid(path: string, component: string, pattern: RegExp): void {
  const problem = validatePath(path);
  assert.ok(problem !== null, `expected ${JSON.stringify(path)} to be invalid`);
  assert.equal(problem.path, path);
  assert.equal(problem.component, component);
  assert.match(problem.reason, pattern);
}

function assertValid(path: string): void {
  assert.equal(validatePath(path), null, `expected ${JSON.stringify(path)} to be valid`);
}

describe('validatePath: golden verdicts of python dsg 0.4.4', () => {
  assert.ok(golden.length > 0);
  for (const entry of golden) {
    it(`${JSON.stringify(entry.path).slice(0, 60)} -> ${entry.valid ? 'valid' : 'invalid'}`, () => {
      const problem = validatePath(entry.path);
      assert.equal(problem === null, entry.valid, `old tool said: ${entry.message}; we said: ${problem?.reason}`);
      if (problem !== null && entry.path !== '') {
        // The reason names the offending component (invisible characters shown escaped).
        assert.ok(entry.path.split('/').includes(problem.component));
        assert.ok(problem.reason.length > 0);
      }
    });
  }
});

describe('validatePath: each rule', () => {
  it('component length: 255 UTF-8 bytes ok, 256 not (multi-byte counted as bytes)', () => {
    assertValid(`d/${'a'.repeat(255)}`);
    assertInvalid(`d/${'a'.repeat(256)}`, 'a'.repeat(256), /256 UTF-8 bytes/);
    assertValid(`d/${'é'.repeat(127)}`); // 254 bytes
    assertInvalid(`d/${'é'.repeat(128)}`, 'é'.repeat(128), /256 UTF-8 bytes.*255/);
    assertValid(`d/${'😀'.repeat(63)}`); // 252 bytes
    assertInvalid(`d/${'😀'.repeat(64)}`, '😀'.repeat(64), /256 UTF-8 bytes/);
    // The limit is per component, not per path.
    assertValid(`${'a'.repeat(200)}/${'b'.repeat(200)}`);
  });

  it('reserved Windows names, case-insensitive, base name before the first dot', () => {
    for (const name of ['con', 'PRN', 'Aux', 'nul', 'com1', 'COM9', 'lpt1', 'LPT9', 'CON.txt', 'nul.tar.gz', 'con.']) {
      assertInvalid(`x/${name}`, name, /reserved/);
    }
    for (const name of ['console', 'con_', 'com0', 'com10', 'lpt', 'icon.txt', 'my.con', 'auxiliary.csv', '.con', 'connect.txt']) {
      assertValid(`x/${name}`);
    }
    assertInvalid('CON/x.csv', 'CON', /reserved/); // directories too
  });

  it('leading and trailing ~', () => {
    assertInvalid('a/~lead', '~lead', /starts with '~'/);
    assertInvalid('a/trailing~', 'trailing~', /ends with '~'/);
    assertInvalid('~/x', '~', /'~'/);
    assertValid('a/mid~dle.txt');
    assertValid('a/x.txt');
  });

  it('leading and trailing whitespace', () => {
    assertInvalid('a/ space.csv', ' space.csv', /whitespace/);
    assertInvalid('a/space.csv ', 'space.csv ', /whitespace/);
    assertInvalid('a/nbsp\u00a0', 'nbsp\u00a0', /whitespace/);
    assertInvalid('a/\u3000ideo', '\u3000ideo', /whitespace/);
    assertInvalid(' a/b', ' a', /whitespace/);
    assertValid('a/inner space.csv');
    assertValid('a/inner\u00a0nbsp.csv');
  });

  it('illegal punctuation < > " | ? *; backslash and colon are ordinary', () => {
    for (const ch of ['<', '>', '"', '|', '?', '*']) {
      assertInvalid(`a/x${ch}y.csv`, `x${ch}y.csv`, new RegExp(`illegal character '\\${ch}'`));
    }
    assertValid('input\\win\\path.csv');
    assertValid('input/bad:name.txt');
    assertValid("a/it's (1) [final] {v2} #3 & more!.csv");
  });

  it('control, format, surrogate, private-use and unassigned characters', () => {
    assertInvalid('a/tab\tname', 'tab\tname', /U\+0009/);
    assertInvalid('a/nl\nname', 'nl\nname', /U\+000A/);
    assertInvalid('a/nul\u0000', 'nul\u0000', /U\+0000/);
    assertInvalid('a/del\u007f', 'del\u007f', /U\+007F/);
    assertInvalid('a/c1\u0085x', 'c1\u0085x', /U\+0085/);
    assertInvalid('a/soft\u00adhyphen', 'soft\u00adhyphen', /U\+00AD/); // Cf
    assertInvalid('a/lone\ud800x', 'lone\ud800x', /U\+D800/); // Cs
    assertInvalid('a/lone\udc00x', 'lone\udc00x', /U\+DC00/);
    assertInvalid('a/pua\ue000', 'pua\ue000', /U\+E000/); // Co
    assertInvalid('a/pua\u{F0000}', 'pua\u{F0000}', /U\+F0000/); // Co, supplementary
    assertInvalid('a/unassigned\u0378', 'unassigned\u0378', /U\+0378/); // Cn
    assertInvalid('a/nonchar\uffff', 'nonchar\uffff', /U\+FFFF/); // Cn (noncharacter)
    // Printable non-ASCII is fine, including a valid surrogate pair.
    assertValid('a/日本語/données/😀.csv');
    assertValid('a/Ελληνικά.txt');
  });

  it('bidi and zero-width marks', () => {
    const marks = [
      '\u200b', '\u200c', '\u200d', '\u200e', '\u200f',
      '\u202a', '\u202b', '\u202c', '\u202d', '\u202e',
      '\u2066', '\u2067', '\u2068', '\u2069',
      '\ufeff', '\u061c', '\u180e',
    ];
    for (const m of marks) {
      const problem = validatePath(`a/x${m}y`);
      assert.ok(problem !== null, `U+${m.codePointAt(0)?.toString(16)} must be rejected`);
      assert.equal(problem.component, `x${m}y`);
      // The invisible character is shown escaped, so the message is readable.
      assert.ok(!problem.reason.includes(m));
    }
    assertValid('a/xy');
  });

  it('. and .. components, empty components, empty path', () => {
    assertInvalid('a/../x', '..', /relative component '\.\.'/);
    assertInvalid('./a/x', '.', /relative component '\.'/);
    assertInvalid('a/x/.', '.', /relative/);
    assertInvalid('..', '..', /relative/);
    assertInvalid('a//b', '', /empty component/);
    assertInvalid('a/b/', '', /empty component/);
    assertInvalid('/', '', /empty component/);
    assertInvalid('//a', '', /empty component/);
    assertInvalid('', '', /empty/);
    assertValid('a/.hidden/x');
    assertValid('a/.../x');
    assertValid('a/..b');
    assertValid('/abs/path'); // a single leading '/' is tolerated (as in 0.4.4)
  });

  it('NFC', () => {
    const nfd = 'cafe\u0301.txt';
    assertInvalid(`input/${nfd}`, nfd, /NFC/);
    assertValid('input/caf\u00e9.txt');
    assertInvalid(`${nfd}/x`, nfd, /NFC/);
    // Hangul jamo sequence composes under NFC.
    assertInvalid('a/\u1100\u1161', '\u1100\u1161', /NFC/);
    assertValid('a/\uac00');
  });

  it('reports the first problem in path order', () => {
    const problem = validatePath('a<b/~c/d');
    assert.equal(problem?.component, 'a<b');
  });
});

describe('normalizePath', () => {
  const examples: [string, string][] = [
    ['input/con', 'input/con_renamed'],
    ['input/CON.txt', 'input/CON_renamed.txt'],
    ['input/nul.tar.gz', 'input/nul_renamed.tar.gz'],
    ['input/a<b.csv', 'input/a_b.csv'],
    ['input/a<>"|?*b', 'input/a______b'],
    ['input/tab\tname', 'input/tab_name'],
    ['input/zero\u200bwidth', 'input/zero_width'],
    ['input/lone\ud800x', 'input/lone_x'],
    ['input/pua\u{F0000}x', 'input/pua_x'],
    ['input/trailing~', 'input/trailing'],
    ['input/~lead', 'input/lead'],
    ['input/~~both~~', 'input/both'],
    ['input/ space.csv', 'input/space.csv'],
    ['input/space.csv \u00a0', 'input/space.csv'],
    ['input/ ~ mixed ~ ', 'input/mixed'],
    ['input/cafe\u0301.txt', 'input/caf\u00e9.txt'],
    ['input/~', 'input/_'],
    ['input/   ', 'input/_'],
    ['input/ con ', 'input/con_renamed'], // trimming exposes a reserved name
    ['input/~..', 'input/__'], // stripping must not produce a '..' component
    ['input/~.', 'input/_'],
    ['/abs/a|b', '/abs/a_b'],
    ['x~/con/ y', 'x/con_renamed/y'],
  ];
  for (const [input, expected] of examples) {
    it(`${JSON.stringify(input)} -> ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizePath(input), expected);
    });
  }

  it('truncates long components at a UTF-8 boundary, keeping a short extension', () => {
    const long = `d/${'a'.repeat(300)}.csv`;
    const out = normalizePath(long);
    assert.equal(out, `d/${'a'.repeat(251)}.csv`);

    const multibyte = `d/${'é'.repeat(200)}`; // 400 bytes
    const outMb = normalizePath(multibyte);
    assert.equal(outMb, `d/${'é'.repeat(127)}`); // 254 bytes: the 128th would split

    const emoji = `d/${'😀'.repeat(70)}.txt`;
    const outEmoji = normalizePath(emoji);
    assert.equal(outEmoji, `d/${'😀'.repeat(62)}.txt`); // 248 + 4 bytes

    // A long "extension" is not kept whole.
    const longExt = `d/x.${'e'.repeat(300)}`;
    const outLongExt = normalizePath(longExt);
    assert.equal(outLongExt, `d/x.${'e'.repeat(253)}`);

    // Truncation that leaves a trailing space or '~' is cleaned up.
    const spaceAtCut = `d/${'a'.repeat(254)} ${'b'.repeat(10)}`;
    assert.equal(normalizePath(spaceAtCut), `d/${'a'.repeat(254)}`);
  });

  it('valid input is returned unchanged', () => {
    for (const entry of golden.filter((e) => e.valid)) {
      assert.equal(normalizePath(entry.path), entry.path);
    }
    for (const p of ['a/b.csv', 'données/日本語.txt', 'a/.hidden', 'a/mid~dle', 'a b/c d', `d/${'a'.repeat(255)}`]) {
      assert.equal(normalizePath(p), p);
    }
  });

  it('un-fixable paths give null', () => {
    for (const p of ['', 'a/../x', './a', 'a/x/.', '..', '.', 'a//b', 'a/b/', '/', '//a', 'a<b/../c']) {
      assert.equal(normalizePath(p), null, JSON.stringify(p));
    }
  });

  it('output validates and normalizing is idempotent', () => {
    const inputs = [
      ...golden.map((e) => e.path),
      ...examples.map(([i]) => i),
      `d/${'a'.repeat(300)}.csv`,
      `d/${'é'.repeat(200)}`,
      `d/${'a'.repeat(254)}~~~~${'b'.repeat(10)}`,
      `d/~${'\u200b'.repeat(300)}~`,
      'd/e\u200b\u0301',
      'd/\u0301',
      'd/AUX . txt',
      'd/lpt3.\u202e\u202e',
      `d/${' '.repeat(100)}x${'~'.repeat(300)}`,
      `d/${'\u{10FFFD}'.repeat(80)}`,
    ];
    for (const input of inputs) {
      const once = normalizePath(input);
      if (once === null) continue;
      assert.equal(validatePath(once), null, `${JSON.stringify(input)} -> ${JSON.stringify(once)} must validate`);
      assert.equal(normalizePath(once), once, `idempotent on ${JSON.stringify(input)}`);
    }
  });

  it('fuzz: output always validates, idempotent, valid input unchanged', () => {
    const alphabet = ['a', 'B', '.', '~', ' ', '/', '<', '\t', '\u200b', '\u0301', 'é', 'e', '\ud800', '\ue000', '😀', '\u00a0', 'c', 'o', 'n', 'C', 'O', 'N', '1', 'l', 'p', 't'];
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    for (let k = 0; k < 3000; k++) {
      const len = 1 + rand(k % 50 === 0 ? 400 : 12);
      let s = '';
      for (let j = 0; j < len; j++) s += alphabet[rand(alphabet.length)];
      const valid = validatePath(s) === null;
      const out = normalizePath(s);
      if (valid) assert.equal(out, s);
      if (out !== null) {
        assert.equal(validatePath(out), null, `${JSON.stringify(s)} -> ${JSON.stringify(out)}`);
        assert.equal(normalizePath(out), out);
        assert.equal(out.split('/').length, s.split('/').length, 'components are renamed, never added or removed');
      } else {
        // Only structural problems are un-fixable.
        const parts = s.split('/');
        assert.ok(parts.some((c, i) => c === '.' || c === '..' || (c === '' && i > 0)) || s === '', JSON.stringify(s));
      }
    }
  });
});

describe('findCaseCollisions', () => {
  it('groups paths equal when lower-cased, sorted', () => {
    const groups = findCaseCollisions([
      'data/b.csv',
      'Data/A.csv',
      'data/a.csv',
      'other/x',
      'DATA/a.CSV',
      'z/Y',
      'z/y',
    ]);
    assert.deepEqual(groups, [
      ['DATA/a.CSV', 'Data/A.csv', 'data/a.csv'],
      ['z/Y', 'z/y'],
    ]);
  });

  it('compares after NFC, so NFC and NFD spellings collide', () => {
    const groups = findCaseCollisions(['d/caf\u00e9.txt', 'd/CAFE\u0301.txt', 'd/other']);
    assert.deepEqual(groups, [['d/CAFE\u0301.txt', 'd/caf\u00e9.txt']]);
  });

  it('non-ASCII case pairs collide', () => {
    assert.deepEqual(findCaseCollisions(['ÉTÉ.txt', 'été.txt', 'Ωmega', 'ωmega']), [
      ['ÉTÉ.txt', 'été.txt'],
      ['Ωmega', 'ωmega'],
    ]);
  });

  it('no collisions, duplicates ignored, accepts any iterable', () => {
    assert.deepEqual(findCaseCollisions([]), []);
    assert.deepEqual(findCaseCollisions(['a', 'b', 'a']), []);
    assert.deepEqual(findCaseCollisions(new Set(['A', 'a'])), [['A', 'a']]);
    function* gen(): Generator<string> {
      yield 'x/Q';
      yield 'x/q';
    }
    assert.deepEqual(findCaseCollisions(gen()), [['x/Q', 'x/q']]);
  });

  // Speed is measured in the benchmarks, not asserted here; this checks a large input is handled.
  it('handles 100,000 paths in one call', () => {
    const paths: string[] = [];
    for (let i = 0; i < 100_000; i++) paths.push(`input/dir${i % 100}/file_${i}.csv`);
    paths.push('input/DIR1/FILE_1.csv');
    const groups = findCaseCollisions(paths);
    for (const p of paths) assert.equal(validatePath(p), null);
    assert.deepEqual(groups, [['input/DIR1/FILE_1.csv', 'input/dir1/file_1.csv']]);
  });
});
