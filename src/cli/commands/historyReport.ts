/** Printing the problem list of validate-snapshot and validate-chain (shared by both). */
import { PROBLEM_FIX, type HistoryNote, type HistoryProblem, type ProblemKind } from '../../history/chain.js';
import type { Output } from '../output.js';
import { printable } from '../printable.js';

export function printProblems(out: Output, problems: HistoryProblem[]): void {
  for (const p of problems) out.say(`  ${p.kind.padEnd(18)} ${p.message}`);
  const kinds = [...new Set(problems.map((p) => p.kind))] as ProblemKind[];
  if (kinds.length) out.say('What to do:');
  for (const k of kinds) out.say(`  ${k}: ${PROBLEM_FIX[k]}`);
}

/** Known gaps that are not damage (snapshots of dsg 0.4.4 without an archive). */
export function printNotes(out: Output, notes: HistoryNote[]): void {
  for (const n of notes) out.say(`  note: ${printable(n.message)}`);
}

/** The one-line failure on stderr (shown even with --json and -q, like every error). */
export function reportFailure(what: string, problems: HistoryProblem[]): void {
  const first = problems[0];
  process.stderr.write(`dsg: ${what}: ${problems.length} problem${problems.length === 1 ? '' : 's'}; first: ${printable(first.message)}\n`);
}
