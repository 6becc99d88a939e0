/**
 * A small JSON parser that keeps object keys in document order (objects become Maps) and
 * rejects duplicate keys. `JSON.parse` moves integer-like keys first, which would change
 * the order `entries_hash` is computed in; this parser is the exact path for such files.
 */
import { JSON_MAX_DEPTH } from './limits.js';

export type OrderedJson = null | boolean | number | string | OrderedJson[] | Map<string, OrderedJson>;

export class JsonSyntaxError extends Error {}

/** Nested deeper than JSON_MAX_DEPTH: refused before recursion can exhaust the stack. */
export class JsonTooDeepError extends JsonSyntaxError {
  constructor() {
    super(`nested deeper than ${JSON_MAX_DEPTH} levels`);
  }
}

export function parseOrderedJson(text: string): OrderedJson {
  let i = 0;
  const n = text.length;

  const fail = (what: string): never => {
    const line = text.slice(0, i).split('\n').length;
    throw new JsonSyntaxError(`${what} at line ${line} (offset ${i})`);
  };
  const ws = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    // Let JSON.parse decode escapes: find the closing quote, honouring backslashes.
    const start = i;
    i++;
    let escaped = false;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x5c) {
        escaped = true;
        i += 2;
        continue;
      }
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in string');
      i++;
    }
    if (i >= n) fail('unterminated string');
    i++;
    const raw = text.slice(start, i);
    return escaped ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  };
  // `depth`: containers open around this value; each container recurses once per level.
  const value = (depth: number): OrderedJson => {
    ws();
    const c = text[i];
    if ((c === '{' || c === '[') && depth >= JSON_MAX_DEPTH) throw new JsonTooDeepError();
    if (c === '{') {
      i++;
      const m = new Map<string, OrderedJson>();
      ws();
      if (text[i] === '}') {
        i++;
        return m;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected a key');
        const k = str();
        ws();
        if (text[i] !== ':') fail('expected ":"');
        i++;
        if (m.has(k)) fail(`duplicate key ${JSON.stringify(k)}`);
        m.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return m;
        } else fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const a: OrderedJson[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value(depth + 1));
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return a;
        } else fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    const m = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(text.slice(i, i + 64));
    if (!m) return fail('unexpected character');
    i += m[0].length;
    return JSON.parse(m[0]) as OrderedJson;
  };

  const v = value(0);
  ws();
  if (i !== n) fail('trailing characters');
  return v;
}

/** Keys that JS objects enumerate first, in numeric order (array-index keys). */
export function isIntegerLikeKey(k: string): boolean {
  return /^(?:0|[1-9]\d{0,9})$/.test(k) && Number(k) < 4294967295;
}

/** Convert an ordered value to plain JS (only safe where key order does not matter). */
export function toPlain(v: OrderedJson): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[k] = toPlain(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(toPlain);
  return v;
}
