/**
 * Text from the repository (paths, messages, user names, lock holders) may hold terminal escape
 * sequences or bidi controls that rewrite what a user sees. Human output escapes them; --json
 * output stays exact (JSON escapes control characters itself).
 */

// C0 controls, DEL, C1 controls, bidi embeddings/overrides (U+202A–U+202E) and isolates (U+2066–U+2069).
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** What makes a porcelain field quoted: the above (non-global, for .test), a double quote, a backslash. */
const NEEDS_QUOTES = new RegExp(`${UNPRINTABLE.source}|["\\\\]`);

function escape(c: string): string {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
}

/** One field (a path, a message, a name) made safe to show: every control character escaped. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escape);
}

/** A block of human output: line breaks (and tabs) kept, every other control character escaped. */
export function printableLines(text: string): string {
  return text.replace(UNPRINTABLE, (c) => (c === '\n' || c === '\t' ? c : escape(c)));
}

/**
 * A path (or link target) in the line-oriented machine forms (`list-files --porcelain`,
 * `status --short`): as it is, unless it holds a tab, a line break, a double quote, a backslash
 * or any character `printable` escapes; then it is written as a JSON string (quoted, like
 * git's quoted paths), its invisible characters as \u escapes so that nothing reaches a terminal
 * raw and `JSON.parse` gives the exact path back.
 */
export function porcelainField(text: string): string {
  if (!NEEDS_QUOTES.test(text)) return text;
  return JSON.stringify(text).replace(UNPRINTABLE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
