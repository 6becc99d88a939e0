/**
 * How long operations report progress. The CLI draws it (src/cli/progress.ts: a bar on a
 * terminal, a periodic line or JSON line otherwise); the library and quiet runs use the silent
 * reporter. Counts are of files (paths) and of bytes read or transferred.
 */
export interface Progress {
  /**
   * A new phase ("scan", "hash", "upload", "download", "verify", …), ending the one before.
   * Totals are 0 when unknown (then no percentage or ETA is shown).
   */
  phase(name: string, totalFiles: number, totalBytes: number): void;
  /**
   * `n` more bytes done. `already`: they were there before (a resumed clone's verified
   * downloads): they count towards the total but not towards the transfer rate.
   */
  bytes(n: number, already?: boolean): void;
  /** `count` more files done (default 1); several paths sharing one content finish together. */
  fileDone(count?: number): void;
  /** The current phase is over. */
  end(): void;
}

export const silentProgress: Progress = {
  phase() {},
  bytes() {},
  fileDone() {},
  end() {},
};
