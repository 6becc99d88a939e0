/**
 * The terminal line a progress bar is drawn on (stderr). Everything else dsg prints goes
 * through `printAbove`, which clears that line first and draws it again after: a warning
 * longer than the line is printed whole instead of being overwritten by the next redraw.
 * (Kept apart from progress.ts and output.ts so both can use it without importing each other.)
 */
export interface StatusLine {
  clear(): void;
  redraw(): void;
}

let current: StatusLine | null = null;

/** The line being drawn now, or null when none is. */
export function setStatusLine(line: StatusLine | null): void {
  current = line;
}

/** Write `text` (whole lines) to `stream` above the progress bar, if one is drawn there. */
export function printAbove(stream: NodeJS.WriteStream, text: string): void {
  // stdout shares the screen with the bar only when it is a terminal too.
  const line = stream === process.stderr || stream.isTTY ? current : null;
  line?.clear();
  stream.write(text);
  line?.redraw();
}
