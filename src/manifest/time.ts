/**
 * Manifest times: ISO-8601 to the second in America/Los_Angeles with its offset, fraction
 * truncated (SPEC §2.3), e.g. `2025-06-13T10:19:19-07:00`. Fixed by the old tool's format.
 */
const ZONE = 'America/Los_Angeles';

// Built on first use: constructing it loads the time zone data (~60 ms), which --help, --version
// and many commands never need (design/performance.md P4).
let parts: Intl.DateTimeFormat | undefined;

function losAngelesParts(): Intl.DateTimeFormat {
  parts ??= new Intl.DateTimeFormat('en-US', {
    timeZone: ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return parts;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Format whole seconds since the epoch. */
export function formatLosAngeles(epochSeconds: number): string {
  const got: Record<string, number> = {};
  for (const p of losAngelesParts().formatToParts(new Date(epochSeconds * 1000))) {
    if (p.type !== 'literal') got[p.type] = Number(p.value);
  }
  // The offset is whatever makes the wall-clock fields equal the instant.
  const wallAsUtc = Date.UTC(got.year, got.month - 1, got.day, got.hour, got.minute, got.second) / 1000;
  const offsetMin = Math.round((wallAsUtc - epochSeconds) / 60);
  const sign = offsetMin < 0 ? '-' : '+';
  const abs = Math.abs(offsetMin);
  return (
    `${pad(got.year, 4)}-${pad(got.month)}-${pad(got.day)}T${pad(got.hour)}:${pad(got.minute)}:${pad(got.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

// Many files share an mtime second (bulk copies, extraction): remember the last few.
const cache = new Map<bigint, string>();

/** Round half to even, as CPython's _PyTime_Round(HALF_EVEN). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 ? 2 * Math.round(x / 2) : r;
}

/**
 * The whole second the old tool writes for a nanosecond mtime. Python builds the float
 * `sec + nsec * 1e-9` (os.stat) and datetime.fromtimestamp rounds its fraction to microseconds
 * (half even) before the format truncates: x.9999995 s and up become the next second. The same
 * double arithmetic here gives the same second, even where the float is inexact.
 */
export function mtimeSecondsNs(mtimeNs: bigint): bigint {
  const floorSec = mtimeNs >= 0n ? mtimeNs / 1_000_000_000n : -((-mtimeNs + 999_999_999n) / 1_000_000_000n);
  const d = Number(floorSec) + Number(mtimeNs - floorSec * 1_000_000_000n) * 1e-9;
  const whole = Math.trunc(d);
  const us = roundHalfEven((d - whole) * 1e6);
  return BigInt(whole + (us >= 1e6 ? 1 : us < 0 ? -1 : 0));
}

/** Format a nanosecond mtime (from a bigint stat) to the second the old tool writes for it. */
export function formatMtimeNs(mtimeNs: bigint): string {
  const seconds = mtimeSecondsNs(mtimeNs);
  let s = cache.get(seconds);
  if (s === undefined) {
    s = formatLosAngeles(Number(seconds));
    if (cache.size > 4096) cache.clear();
    cache.set(seconds, s);
  }
  return s;
}

/** The current time in manifest form. */
export function nowLosAngeles(): string {
  return formatLosAngeles(Math.floor(Date.now() / 1000));
}

/** Parse a manifest time back to epoch seconds (for sorting and --since); NaN when malformed. */
export function parseManifestTime(s: string): number {
  const t = Date.parse(s);
  return Number.isNaN(t) ? NaN : Math.floor(t / 1000);
}
