/**
 * Colour for human output on a terminal, for every command. Modest: one colour per kind of
 * thing (local changes, remote changes, conflicts, warnings, the "dsg:" error prefix).
 *
 * When: `--color always` colours, `--color never` does not, and `--color auto` (the default)
 * colours a stream that is a terminal, when TERM is not "dumb" and NO_COLOR is unset or empty
 * (https://no-color.org). --json output is never coloured (callers do not paint it).
 *
 * Plain ANSI SGR codes: node:util's styleText only appeared in Node 20.12 and dsg runs on any
 * Node 20, and the codes below are all it would write.
 */

export type ColorMode = 'auto' | 'always' | 'never';
export const COLOR_MODES: readonly ColorMode[] = ['auto', 'always', 'never'];

/** What each kind of thing is painted with (SGR foreground colours). */
const SGR = {
  local: 32, // green
  remote: 36, // cyan
  conflict: 31, // red
  warning: 33, // yellow
  error: 31, // red
} as const;

export type Style = keyof typeof SGR;

let mode: ColorMode | undefined;

/** Set by the command runner from --color; before that (a usage error) the command line is read. */
export function setColorMode(m: ColorMode | undefined): void {
  mode = m;
}

/**
 * --color from the raw command line, for output written before commander parsed it (usage
 * errors): the last `--color X` / `--color=X` wins, as in commander; anything else is auto.
 */
function modeFromArgv(argv: readonly string[]): ColorMode {
  let found: string | undefined;
  argv.forEach((a, i) => {
    if (a === '--color') found = argv[i + 1];
    else if (a.startsWith('--color=')) found = a.slice('--color='.length);
  });
  return COLOR_MODES.includes(found as ColorMode) ? (found as ColorMode) : 'auto';
}

/** True when text written to `stream` should be coloured. */
export function colorEnabled(stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const m = mode ?? modeFromArgv(process.argv);
  if (m !== 'auto') return m === 'always';
  if (process.env.NO_COLOR) return false;
  return process[stream].isTTY === true && process.env.TERM !== 'dumb';
}

/** `text` in the colour of `style` when `stream` is coloured; as it is otherwise. Text must already be printable. */
export function paint(style: Style, text: string, stream: 'stdout' | 'stderr' = 'stdout'): string {
  return colorEnabled(stream) ? `\x1b[${SGR[style]}m${text}\x1b[39m` : text;
}
