/**
 * Progress of long operations (hashing, upload, download, verify) on stderr, in the form the
 * output allows (docs/cli.md, "Progress"):
 *
 *   bar    stderr is a terminal: one line redrawn in place, fitted to its width
 *   ascii  the same on TERM=dumb or without a UTF-8 locale: ASCII only, no cursor movement but \r
 *   lines  stderr is not a terminal (a log, CI): a line every DSG_PROGRESS_INTERVAL seconds (5)
 *   json   --json --progress: those lines as JSON objects
 *
 * Phases shorter than the interval print no line at all.
 *
 * Drawn here rather than with cli-progress (the library this replaced): fitting rate and ETA
 * into the terminal's width by dropping fields, printing warnings and -v lines above the bar
 * and redrawing it, and the ASCII, periodic-line and JSON forms each needed code around the
 * library comparable to this file, which draws the line itself.
 */
import { silentProgress, type Progress } from '../transaction/progress.js';
import { formatBytes, terminalWidth, type GlobalFlags } from './output.js';
import { printAbove, setStatusLine } from './statusLine.js';

export type ProgressMode = 'off' | 'bar' | 'ascii' | 'lines' | 'json';

/** Which form progress takes for these flags, this stderr and this environment. */
export function progressMode(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env, tty = process.stderr.isTTY === true): ProgressMode {
  if (flags.progress === false) return 'off';
  if (flags.progress !== true && (flags.json || flags.quiet)) return 'off';
  if (flags.json) return 'json';
  if (!tty) return 'lines';
  return env.TERM === 'dumb' || !utf8Locale(env) ? 'ascii' : 'bar';
}

/** The locale that decides the character set (LC_ALL, else LC_CTYPE, else LANG) says UTF-8. */
function utf8Locale(env: NodeJS.ProcessEnv): boolean {
  const locale = env.LC_ALL || env.LC_CTYPE || env.LANG || '';
  return /utf-?8/i.test(locale);
}

/** The reporter for a command run with these flags. */
export function commandProgress(flags: GlobalFlags): Progress {
  const mode = progressMode(flags);
  if (mode === 'off') return silentProgress;
  if (mode === 'bar' || mode === 'ascii') return new TerminalProgress(mode === 'ascii');
  return new PeriodicProgress(mode === 'json', intervalMs());
}

const DEFAULT_INTERVAL_S = 5;

function intervalMs(): number {
  const s = Number(process.env.DSG_PROGRESS_INTERVAL);
  // 0: a line on every change (tests and debugging); unset or not a number: the default.
  return (process.env.DSG_PROGRESS_INTERVAL !== undefined && Number.isFinite(s) && s >= 0 ? s : DEFAULT_INTERVAL_S) * 1000;
}

/** The rate is measured over this much recent time (a stall shows within seconds). */
const RATE_WINDOW_MS = 5000;
/** Before this much of a phase has passed there is no rate (and so no ETA) to show. */
const RATE_MIN_MS = 500;

/** Counts of the current phase, and the rate and ETA they give. */
class Meter {
  name = '';
  totalFiles = 0;
  totalBytes = 0;
  files = 0;
  bytes = 0;
  /** Bytes done in this run (not resumed ones): what the rate is made of. */
  moved = 0;
  started = 0;
  private samples: { t: number; moved: number }[] = [];

  reset(name: string, totalFiles: number, totalBytes: number, now: number): void {
    Object.assign(this, { name, totalFiles, totalBytes, files: 0, bytes: 0, moved: 0, started: now });
    this.samples = [{ t: now, moved: 0 }];
  }

  sample(now: number): void {
    const last = this.samples[this.samples.length - 1];
    if (now - last.t >= 250) this.samples.push({ t: now, moved: this.moved });
    while (this.samples.length > 2 && now - this.samples[1].t >= RATE_WINDOW_MS) this.samples.shift();
  }

  /** Bytes per second over the recent window; null until there is one. */
  rate(now: number): number | null {
    const first = this.samples[0];
    const dt = now - first.t;
    if (dt < RATE_MIN_MS || this.moved === 0) return null;
    return ((this.moved - first.moved) * 1000) / dt;
  }

  /** Seconds left; null without a total or a rate. */
  eta(now: number): number | null {
    const rate = this.rate(now);
    if (this.totalBytes === 0 || rate === null) return null;
    if (this.bytes >= this.totalBytes) return 0;
    return rate > 0 ? (this.totalBytes - this.bytes) / rate : null;
  }

  /** Whole percent done, by bytes when they are known, else by files. */
  percent(): number | null {
    if (this.totalBytes > 0) return Math.min(100, Math.floor((this.bytes * 100) / this.totalBytes));
    if (this.totalFiles > 0) return Math.min(100, Math.floor((this.files * 100) / this.totalFiles));
    return null;
  }

  /** The fields shown, most important last (narrow terminals drop from the front). */
  fields(now: number): { percent: string | null; files: string | null; size: string | null; rate: string | null; eta: string | null } {
    const pct = this.percent();
    const hasBytes = this.totalBytes > 0 || this.bytes > 0;
    const rate = this.rate(now);
    const eta = this.eta(now);
    return {
      percent: pct === null ? null : `${String(pct).padStart(3)}%`,
      files: this.totalFiles > 0 ? `${this.files}/${this.totalFiles} files` : this.files > 0 ? `${this.files} files` : null,
      size: this.totalBytes > 0 ? `${formatBytes(this.bytes)}/${formatBytes(this.totalBytes)}` : this.bytes > 0 ? formatBytes(this.bytes) : null,
      rate: hasBytes ? `${rate === null ? '--' : formatBytes(rate)}/s` : null,
      eta: this.totalBytes > 0 ? `ETA ${eta === null ? '--' : formatDuration(eta)}` : null,
    };
  }
}

/** 7s, 4m05s, 2h03m. */
export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

const MIN_BAR = 8;
const MAX_BAR = 40;

/**
 * One line of at most `width` characters: the phase, a bar as wide as the room left (at most
 * MAX_BAR), then percent, files, sizes, rate and ETA. Too narrow for a bar of MIN_BAR: no bar;
 * narrower still: files, the phase name and the percentage go, in that order, before rate and ETA.
 */
export function layoutLine(label: string, f: ReturnType<Meter['fields']>, fraction: number | null, width: number, ascii: boolean): string {
  const rest = [f.percent, f.files, f.size, f.rate, f.eta].filter((x): x is string => x !== null);
  if (fraction !== null) {
    for (const sep of ['  ', ' ']) {
      const text = rest.join(sep);
      const room = width - label.length - text.length - 2 * sep.length - 2;
      if (room >= MIN_BAR) return `${label}${sep}[${bar(fraction, Math.min(room, MAX_BAR), ascii)}]${sep}${text}`;
    }
  }
  const parts: (string | null)[] = [label, f.percent, f.files, f.size, f.rate, f.eta];
  const dropOrder = [2, 0, 1, 3];
  let line = parts.filter((x) => x !== null).join(' ');
  for (const i of dropOrder) {
    if (line.length <= width) break;
    parts[i] = null;
    line = parts.filter((x) => x !== null).join(' ');
  }
  return line.slice(0, width);
}

function bar(fraction: number, width: number, ascii: boolean): string {
  const done = Math.round(Math.max(0, Math.min(1, fraction)) * width);
  return (ascii ? '#' : '█').repeat(done) + (ascii ? '-' : '░').repeat(width - done);
}

function lineWidth(): number {
  return Math.max(20, terminalWidth(process.stderr)) - 1; // the last column would wrap on some terminals
}

const REDRAW_MS = 100;
const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

/** Set while a bar has the cursor hidden: the exit handler must give it back. */
let drawn: TerminalProgress | null = null;

/** The process is ending (normally, on an error or a signal): clear the bar, show the cursor. */
export function releaseTerminal(): void {
  drawn?.end();
}

/** The bar on a terminal, redrawn in place at most every REDRAW_MS. */
class TerminalProgress implements Progress {
  private readonly meter = new Meter();
  private active = false;
  private lastDraw = 0;
  /** Characters on the line now (ASCII mode clears them with spaces: no escape sequences). */
  private shown = 0;
  private timer: NodeJS.Timeout | null = null;
  private readonly line = { clear: () => this.clear(), redraw: () => this.draw(Date.now()) };

  constructor(private readonly ascii: boolean) {}

  phase(name: string, totalFiles: number, totalBytes: number): void {
    if (this.active) this.clear();
    this.meter.reset(name, totalFiles, totalBytes, Date.now());
    if (!this.active) {
      this.active = true;
      drawn = this;
      setStatusLine(this.line);
      if (!this.ascii) process.stderr.write(HIDE_CURSOR);
      // Rate and ETA change while a transfer stalls, too.
      this.timer = setInterval(() => this.draw(Date.now()), 500).unref();
    }
    this.draw(Date.now());
  }

  bytes(n: number, already = false): void {
    this.meter.bytes += n;
    if (!already) this.meter.moved += n;
    this.update();
  }

  fileDone(count = 1): void {
    this.meter.files += count;
    this.update();
  }

  end(): void {
    if (!this.active) return;
    this.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.active = false;
    drawn = null;
    setStatusLine(null);
    if (!this.ascii) process.stderr.write(SHOW_CURSOR);
  }

  private update(): void {
    const now = Date.now();
    // Called from synchronous hashing too: draw here, timers would wait for it to finish.
    if (now - this.lastDraw >= REDRAW_MS) this.draw(now);
  }

  private draw(now: number): void {
    if (!this.active) return;
    this.lastDraw = now;
    const m = this.meter;
    m.sample(now);
    const fraction = m.totalBytes > 0 || m.totalFiles > 0 ? (m.percent() ?? 0) / 100 : null;
    const label = fraction === null ? `${m.name}${this.ascii ? '...' : '…'}` : m.name;
    const text = layoutLine(label, m.fields(now), fraction, lineWidth(), this.ascii);
    if (this.ascii) process.stderr.write(`\r${text}${' '.repeat(Math.max(0, this.shown - text.length))}`);
    else process.stderr.write(`\r${text}\x1b[K`);
    this.shown = text.length;
  }

  private clear(): void {
    if (this.shown === 0) return;
    process.stderr.write(this.ascii ? `\r${' '.repeat(this.shown)}\r` : '\r\x1b[K');
    this.shown = 0;
  }
}

/** A line (or JSON line) every `interval` ms of a phase, and one when a phase that printed ends. */
class PeriodicProgress implements Progress {
  private readonly meter = new Meter();
  private active = false;
  private lastLine = 0;
  private printed = false;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly json: boolean,
    private readonly interval: number,
  ) {}

  phase(name: string, totalFiles: number, totalBytes: number): void {
    this.end();
    const now = Date.now();
    this.meter.reset(name, totalFiles, totalBytes, now);
    this.active = true;
    this.printed = false;
    this.lastLine = now;
    this.timer = setInterval(() => this.tick(Date.now()), Math.max(100, Math.min(this.interval, 1000))).unref();
  }

  bytes(n: number, already = false): void {
    this.meter.bytes += n;
    if (!already) this.meter.moved += n;
    this.tick(Date.now());
  }

  fileDone(count = 1): void {
    this.meter.files += count;
    this.tick(Date.now());
  }

  end(): void {
    if (!this.active) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.active = false;
    if (this.printed) this.print(Date.now(), true);
  }

  private tick(now: number): void {
    if (!this.active) return;
    this.meter.sample(now);
    if (now - this.lastLine < this.interval) return;
    this.lastLine = now;
    this.printed = true;
    this.print(now, false);
  }

  private print(now: number, done: boolean): void {
    const m = this.meter;
    if (this.json) {
      const rate = m.rate(now);
      const eta = m.eta(now);
      const record = { type: 'progress', phase: m.name, files: m.files, totalFiles: m.totalFiles, bytes: m.bytes, totalBytes: m.totalBytes, rate: rate === null ? null : Math.round(rate), eta: eta === null ? null : Math.ceil(eta), done };
      printAbove(process.stderr, `${JSON.stringify(record)}\n`);
      return;
    }
    const f = m.fields(now);
    const parts = done ? [f.files, f.size, `done in ${formatDuration((now - m.started) / 1000)}`] : [f.percent?.trim() ?? null, f.files, f.size, f.rate, f.eta];
    printAbove(process.stderr, `dsg: ${m.name}: ${parts.filter((x) => x !== null).join(', ')}\n`);
  }
}
