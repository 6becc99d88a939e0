/**
 * Validators run the automatic recovery (SPEC §6) first, so an interrupted sync is finished
 * or undone instead of reported as damage; but a recovery that fails must not hide the
 * problems the validator is there to list, so its error is returned, not thrown.
 */
import { recoverProject } from '../api/recover.js';
import type { Project } from '../api/project.js';
import { DsgError } from '../errors/DsgError.js';

export async function recoverFirst(project: Project): Promise<string | null> {
  try {
    await recoverProject(project);
    return null;
  } catch (err) {
    if (err instanceof DsgError && err.code === 'WORKING_COPY_BUSY') throw err;
    return err instanceof Error ? err.message : String(err);
  }
}
