/**
 * "Did you mean …?" helpers shared by the project and user config loaders, plus the small
 * YAML/zod helpers both use to produce messages that name the file and the key to fix.
 */
import { parse, YAMLParseError } from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../errors/ConfigError.js';

/** Levenshtein edit distance between two strings (insert, delete, substitute each cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (a.length === 0) return b.length;
  if (b.length === 0) return a.length;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a.charCodeAt(i - 1) === b.charCodeAt(j - 1) ? 0 : 1;
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * The candidate closest to `input` (case-insensitive, `-` treated as `_`), or null when none is
 * close enough to be a plausible typo (distance ≤ max(2, a third of the longer string)).
 */
export function closestKey(input: string, candidates: readonly string[]): string | null {
  const norm = (s: string): string => s.toLowerCase().replace(/-/g, '_');
  const needle = norm(input);
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const d = editDistance(needle, norm(candidate));
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  if (best === null) return null;
  const limit = Math.max(2, Math.floor(Math.max(needle.length, best.length) / 3));
  return bestDistance <= limit ? best : null;
}

/**
 * Parenthesised hint for an unknown key: `(did you mean "x"?)` when a close candidate exists,
 * otherwise `(valid keys: a, b, c)`.
 */
export function suggestionHint(input: string, candidates: readonly string[]): string {
  const best = closestKey(input, candidates);
  if (best !== null) return `(did you mean "${best}"?)`;
  return `(valid keys: ${candidates.join(', ')})`;
}

// ---------------------------------------------------------------------------------------------
// Small helpers shared by the config loaders for turning problems into file-naming messages.
// ---------------------------------------------------------------------------------------------

/** True for a YAML mapping (plain object), false for lists, scalars and null. */
export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Short human description of a parsed YAML value, for "got …" in error messages. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing (an empty value)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  if (typeof value === 'number') return `the number ${String(value)}`;
  return String(value);
}

/**
 * Messages for unknown keys of `obj` (one per key, empty when all are known), each
 * `<file>: unknown key "<key>"[ in <where>] (did you mean "<closest>"?)`.
 */
export function unknownKeyMessages(
  obj: Record<string, unknown>,
  validKeys: readonly string[],
  file: string,
  where: string | null,
): string[] {
  const out: string[] = [];
  for (const key of Object.keys(obj)) {
    if (validKeys.includes(key)) continue;
    out.push(`${file}: unknown key "${key}"${where ? ` in ${where}` : ''} ${suggestionHint(key, validKeys)}`);
  }
  return out;
}

const EXPECTED_WORDS: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  array: 'a list',
  object: 'a mapping',
};

/**
 * zod error map producing short phrases meant to follow a key path, e.g.
 * `repository.host is required`, `backup_on_conflict must be true or false, got "yes"`.
 */
export function configErrorMap(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      return `must be ${EXPECTED_WORDS[issue.expected] ?? issue.expected}, got ${describeValue(issue.input)}`;
    case 'too_small':
      return 'must not be empty';
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}, got ${describeValue(issue.input)}`;
    default:
      return undefined;
  }
}

/** `a.b[0].c` for a prefix plus a zod issue path. */
export function formatKeyPath(prefix: readonly string[], issuePath: readonly PropertyKey[]): string {
  let out = prefix.join('.');
  for (const seg of issuePath) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out;
}

/**
 * Validates `value` with `schema`, throwing a ConfigError (CONFIG_INVALID) with one line per
 * problem, `<file>: <key path> <problem><suffix>`; `requiredSuffix` is appended to "is required".
 */
export function validateWith<T extends z.ZodType>(
  schema: T,
  value: unknown,
  file: string,
  prefix: readonly string[],
  requiredSuffix = '',
): z.output<T> {
  const result = schema.safeParse(value, { error: configErrorMap });
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => {
    const where = formatKeyPath(prefix, issue.path);
    const suffix = issue.message === 'is required' ? requiredSuffix : '';
    return `${file}: ${where === '' ? 'value' : where} ${issue.message}${suffix}`;
  });
  throw new ConfigError('CONFIG_INVALID', [...new Set(lines)].join('\n'));
}

/**
 * Parses YAML text; syntax errors become a ConfigError naming the file and line.
 * Returns whatever the document holds (null for an empty file).
 */
export function parseYamlText(text: string, file: string): unknown {
  try {
    return parse(text);
  } catch (err) {
    if (err instanceof YAMLParseError) {
      const pos = err.linePos?.[0];
      const reason = err.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
      const at = pos ? `line ${pos.line}, column ${pos.col}` : 'unknown position';
      throw new ConfigError(
        'CONFIG_INVALID',
        `${file}: YAML syntax error at ${at}: ${reason}`,
        { cause: err },
      );
    }
    throw new ConfigError('CONFIG_INVALID', `${file}: cannot parse YAML: ${(err as Error).message}`, { cause: err });
  }
}
