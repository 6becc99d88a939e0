/**
 * Path rules (SPEC §3): which repository paths dsg accepts, how `--normalize` turns an
 * unacceptable path into an acceptable one, and which paths would collide on a case-insensitive
 * file system (macOS, Windows).
 *
 * Pure functions, no I/O. They run on every path of large trees, so the common case (a path made
 * only of printable ASCII) takes a fast path that skips the Unicode checks, and every regular
 * expression is compiled once at module load.
 *
 * A path is relative and `/`-separated; every component is checked on its own:
 * - at most 255 UTF-8 bytes;
 * - not a Windows reserved base name (con, prn, aux, nul, com1–com9, lpt1–lpt9; case-insensitive;
 *   the base name is the part before the first dot, so `CON.txt` is reserved);
 * - no leading or trailing `~`;
 * - no leading or trailing whitespace;
 * - none of `< > " | ? *`, no control (Cc), format (Cf), surrogate (Cs), private-use (Co) or
 *   unassigned (Cn) characters, no bidi / zero-width marks;
 * - not `.` or `..`, not empty (the empty path is invalid too). A single leading empty component,
 *   produced by a leading `/`, is tolerated, as the old (Python 0.4.4) validator did; absolute
 *   paths are rejected elsewhere (manifest checks);
 * - NFC-normalized.
 * Backslash and colon are ordinary characters.
 */

/** One reason a path is not acceptable. */
export interface PathProblem {
  /** The whole path that was checked. */
  path: string;
  /** The offending component, exactly as it appears in `path` ("" for an empty component). */
  component: string;
  /** Human-readable explanation that names the component and says what is wrong. */
  reason: string;
}

/** Longest allowed component, in UTF-8 bytes. */
const MAX_COMPONENT_BYTES = 255;

/** When truncating a long component, keep its extension if the extension is at most this long. */
const MAX_KEPT_EXTENSION_BYTES = 16;

/** Windows reserved device names, lower-case. */
const RESERVED_NAMES: ReadonlySet<string> = new Set([
  'con', 'prn', 'aux', 'nul',
  'com1', 'com2', 'com3', 'com4', 'com5', 'com6', 'com7', 'com8', 'com9',
  'lpt1', 'lpt2', 'lpt3', 'lpt4', 'lpt5', 'lpt6', 'lpt7', 'lpt8', 'lpt9',
]);

/** Whole string is printable ASCII (U+0020–U+007E): no NFC, control or multi-byte concerns. */
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Whole string is ASCII (used by the collision finder: NFC is the identity on ASCII). */
const ASCII = /^[\x00-\x7f]*$/;

/** Punctuation that Windows forbids and that dsg forbids everywhere. */
const ILLEGAL_PUNCTUATION = /[<>"|?*]/;

/** The invisible / unsafe character classes, plus the explicitly listed bidi and zero-width marks. */
const INVISIBLE_CLASS =
  '\\p{Cc}\\p{Cf}\\p{Cs}\\p{Co}\\p{Cn}' +
  '\\u200B-\\u200F\\u202A-\\u202E\\u2066-\\u2069\\uFEFF\\u061C\\u180E';

/** Finds one invisible / control / unassigned character. */
const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]`, 'u');

/** Every character that normalization replaces by `_`. */
const ILLEGAL_ALL_GLOBAL = new RegExp(`[<>"|?*${INVISIBLE_CLASS}]`, 'gu');

/** In a printable-ASCII path, the only characters that can make an edge (`~`, whitespace) problem. */
const MAY_HAVE_EDGE_PROBLEM = /[ ~]/;

/** Leading or trailing whitespace (same definition for validation and normalization). */
const EDGE_WHITESPACE = /^\s|\s$/u;

/** Runs of whitespace and `~` at either end of a component (what normalization strips). */
const EDGE_WHITESPACE_OR_TILDE_GLOBAL = /^[\s~]+|[\s~]+$/gu;

/** Characters shown as `\u{…}` escapes in messages so that invisible characters become visible. */
const SHOW_ESCAPE_GLOBAL = new RegExp(`[\\s${INVISIBLE_CLASS}]`, 'gu');

/** Format a code point as U+XXXX. */
function codePointLabel(ch: string): string {
  const cp = ch.codePointAt(0) ?? 0;
  return `U+${cp.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** Quote a component for a message, escaping whitespace other than a plain space and invisible characters. */
function show(component: string): string {
  const visible = component.replace(SHOW_ESCAPE_GLOBAL, (ch) =>
    ch === ' ' ? ch : `\\u{${(ch.codePointAt(0) ?? 0).toString(16).toUpperCase()}}`,
  );
  return `'${visible}'`;
}

/** UTF-8 length of a string, counting a lone surrogate as 3 bytes (as WTF-8 would). */
function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/** Longest prefix of `s` whose UTF-8 encoding fits in `maxBytes`, cut at a code-point boundary. */
function truncateUtf8(s: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const ch of s) {
    const n = utf8Length(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    end += ch.length;
  }
  return s.slice(0, end);
}

/** Length of the base name (the part before the first dot) when it is a reserved name, else -1. */
function reservedBaseLength(component: string): number {
  const dot = component.indexOf('.');
  const baseLength = dot < 0 ? component.length : dot;
  if (baseLength !== 3 && baseLength !== 4) return -1;
  return RESERVED_NAMES.has(component.slice(0, baseLength).toLowerCase()) ? baseLength : -1;
}

/*
 * Which checks a component needs (bit flags); whole-path pre-scans let plain paths skip most of
 * them. '.', '..', length and reserved names are always checked.
 */
/** Only the basic checks. */
const CHECK_BASIC = 0;
/** The path may contain `< > " | ? *`. */
const CHECK_PUNCTUATION = 1;
/** The path may contain `~` or whitespace. */
const CHECK_EDGES = 2;
/** The path is not printable ASCII: Unicode classes, NFC and UTF-8 length. */
const CHECK_UNICODE = 4;
/** Everything. */
const CHECK_ALL = CHECK_PUNCTUATION | CHECK_EDGES | CHECK_UNICODE;

/**
 * Check one non-empty component. `checks` says which rules can possibly fail, as found by a
 * pre-scan of the whole path (a printable-ASCII path never needs the Unicode checks).
 */
function checkComponent(c: string, checks: number): string | null {
  const asciiOnly = (checks & CHECK_UNICODE) === 0;
  if (c === '.' || c === '..') {
    return `Path contains the relative component '${c}'; '.' and '..' are not allowed`;
  }
  const bytes = asciiOnly ? c.length : utf8Length(c);
  if (bytes > MAX_COMPONENT_BYTES) {
    return `Component ${show(c)} is ${bytes} UTF-8 bytes long; the maximum is ${MAX_COMPONENT_BYTES}`;
  }
  const reserved = reservedBaseLength(c);
  if (reserved >= 0) {
    return `Component ${show(c)} uses the reserved Windows device name '${c.slice(0, reserved)}'`;
  }
  const punct = (checks & CHECK_PUNCTUATION) === 0 ? null : ILLEGAL_PUNCTUATION.exec(c);
  if (punct !== null) {
    return `Component ${show(c)} contains the illegal character '${punct[0]}' (none of < > " | ? * are allowed)`;
  }
  if (!asciiOnly) {
    const invisible = INVISIBLE.exec(c);
    if (invisible !== null) {
      return `Component ${show(c)} contains the control, format, invisible or unassigned character ${codePointLabel(invisible[0])}`;
    }
  }
  if ((checks & CHECK_EDGES) !== 0) {
    if (c.startsWith('~')) {
      return `Component ${show(c)} starts with '~', which is not allowed`;
    }
    if (c.endsWith('~')) {
      return `Component ${show(c)} ends with '~' (looks like a temporary/backup file), which is not allowed`;
    }
    if (EDGE_WHITESPACE.test(c)) {
      return `Component ${show(c)} has leading or trailing whitespace`;
    }
  }
  if (!asciiOnly && c.normalize('NFC') !== c) {
    return `Component ${show(c)} is not NFC-normalized (e.g. an accent stored as a separate combining mark); rename it or use --normalize`;
  }
  return null;
}

/** null when valid; otherwise the first problem found. */
export function validatePath(path: string): PathProblem | null {
  if (path.length === 0) {
    return { path, component: '', reason: 'Path is empty' };
  }
  const checks = PRINTABLE_ASCII.test(path)
    ? (ILLEGAL_PUNCTUATION.test(path) ? CHECK_PUNCTUATION : CHECK_BASIC) |
      (MAY_HAVE_EDGE_PROBLEM.test(path) ? CHECK_EDGES : CHECK_BASIC)
    : CHECK_ALL;
  const components = path.split('/');
  for (let i = 0; i < components.length; i++) {
    const c = components[i];
    if (c === '') {
      // A leading '/' yields one empty first component; the old validator tolerated it.
      if (i === 0) continue;
      return {
        path,
        component: '',
        reason: `Path contains an empty component (component ${i + 1}: '//' or a trailing '/')`,
      };
    }
    const reason = checkComponent(c, checks);
    if (reason !== null) return { path, component: c, reason };
  }
  return null;
}

/** Cut a too-long component to the byte limit, keeping a short extension. */
function truncateComponent(s: string): string {
  if (utf8Length(s) <= MAX_COMPONENT_BYTES) return s;
  const dot = s.lastIndexOf('.');
  if (dot > 0) {
    const ext = s.slice(dot);
    const extBytes = utf8Length(ext);
    if (extBytes <= MAX_KEPT_EXTENSION_BYTES) {
      return truncateUtf8(s.slice(0, dot), MAX_COMPONENT_BYTES - extBytes) + ext;
    }
  }
  return truncateUtf8(s, MAX_COMPONENT_BYTES);
}

/** One pass of the component repairs, in SPEC order. */
function repairComponentOnce(c: string): string {
  // Illegal characters first (this also removes lone surrogates, so NFC is well-defined).
  let s = c.replace(ILLEGAL_ALL_GLOBAL, '_').normalize('NFC');
  s = s.replace(EDGE_WHITESPACE_OR_TILDE_GLOBAL, '');
  if (s === '') return '_';
  // Stripping may leave '.' or '..' (e.g. '~..'): keep the name but make it an ordinary one.
  if (s === '.' || s === '..') return s.replace(/\./g, '_');
  const base = reservedBaseLength(s);
  if (base >= 0) s = `${s.slice(0, base)}_renamed${s.slice(base)}`;
  return truncateComponent(s);
}

/** Repeat the repairs until nothing changes (truncation can expose a trailing space or `~`). */
function repairComponent(c: string): string {
  let current = c;
  for (let i = 0; i < 8; i++) {
    const next = repairComponentOnce(current);
    if (next === current) break;
    current = next;
  }
  return current;
}

/** A valid form of `path`, or null when it cannot be fixed (., .., empty components, empty path). Valid input is returned unchanged. */
export function normalizePath(path: string): string | null {
  if (validatePath(path) === null) return path;
  if (path.length === 0) return null;
  const components = path.split('/');
  const out: string[] = [];
  for (let i = 0; i < components.length; i++) {
    const c = components[i];
    if (c === '') {
      if (i === 0) {
        out.push('');
        continue;
      }
      return null;
    }
    if (c === '.' || c === '..') return null;
    out.push(checkComponent(c, CHECK_ALL) === null ? c : repairComponent(c));
  }
  const result = out.join('/');
  // Defensive: never hand back something that does not validate.
  return validatePath(result) === null ? result : null;
}

/** Code-unit order, for stable output independent of locale. */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Groups of paths (≥2 each) that are equal when lower-cased (after NFC): they collide on macOS/Windows. Sorted for stable output. */
export function findCaseCollisions(paths: Iterable<string>): string[][] {
  const groups = new Map<string, string[]>();
  const seen = new Set<string>();
  for (const p of paths) {
    if (seen.has(p)) continue;
    seen.add(p);
    const key = ASCII.test(p) ? p.toLowerCase() : p.normalize('NFC').toLowerCase();
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [p]);
    else group.push(p);
  }
  const result: string[][] = [];
  for (const group of groups.values()) {
    if (group.length >= 2) result.push(group.sort(compareStrings));
  }
  return result.sort((a, b) => compareStrings(a[0], b[0]));
}
