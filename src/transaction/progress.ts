/**
 * How the transaction reports progress. The CLI draws bars on a terminal; the library and
 * piped output use the silent reporter.
 */
export interface Progress {
  /** A new phase ("upload", "download", "scan"): totals may be 0 when unknown. */
  phase(name: string, totalFiles: number, totalBytes: number): void;
  bytes(n: number): void;
  fileDone(): void;
  /** The current phase is over. */
  end(): void;
}

export const silentProgress: Progress = {
  phase() {},
  bytes() {},
  fileDone() {},
  end() {},
};
