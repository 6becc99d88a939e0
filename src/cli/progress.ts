/**
 * Progress bars (files, bytes, rate, ETA) on a terminal; nothing when piped, with --json or -q.
 * cli-progress is loaded only when bars are drawn (start-up time: design/performance.md P4).
 */
import type { SingleBar } from 'cli-progress';
import { silentProgress, type Progress } from '../transaction/progress.js';
import { formatBytes, type GlobalFlags } from './output.js';

export async function terminalProgress(flags: GlobalFlags): Promise<Progress> {
  if (!process.stderr.isTTY || flags.json || flags.quiet) return silentProgress;
  const { default: cliProgress } = await import('cli-progress');
  let bar: SingleBar | null = null;
  let files = 0;
  let totalFiles = 0;
  let bytes = 0;
  let name = '';
  return {
    phase(phaseName, nFiles, nBytes) {
      name = phaseName;
      files = 0;
      bytes = 0;
      totalFiles = nFiles;
      if (nBytes === 0 && nFiles === 0 && phaseName !== 'scan') return;
      bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          // {total} is cli-progress's own token (the raw byte count): the formatted size is {size}.
          format:
            phaseName === 'scan'
              ? ' scan     {files} files'
              : ` {phase} [{bar}] {percentage}% | {files}/{totalFiles} files | {done}/{size} | {rate}/s | ETA {eta_formatted}`,
          hideCursor: true,
          clearOnComplete: true,
          etaBuffer: 50,
        },
        cliProgress.Presets.shades_classic,
      );
      bar.start(Math.max(nBytes, 1), 0, { phase: name.padEnd(8), files: 0, totalFiles, done: '0 B', size: formatBytes(nBytes), rate: '0 B' });
    },
    bytes(n) {
      bytes += n;
      const elapsed = bar ? (Date.now() - (bar as unknown as { startTime: number }).startTime) / 1000 : 0;
      bar?.update(bytes, { done: formatBytes(bytes), rate: formatBytes(elapsed > 0 ? bytes / elapsed : 0), files, totalFiles });
    },
    fileDone() {
      files++;
      bar?.update(name === 'scan' ? 0 : bytes, { files, totalFiles });
    },
    end() {
      bar?.stop();
      bar = null;
    },
  };
}
