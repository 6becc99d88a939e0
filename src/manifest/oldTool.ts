/**
 * Snapshots written by the Python dsg (0.4.x and before). That tool never put archived
 * manifests in the repository (only in the working copy, and never the current one), so a
 * missing archive of one of its snapshots is a known gap, not damage.
 */
import type { ManifestMetadata } from './types.js';

export function writtenByOldTool(meta: Pick<ManifestMetadata, 'manifest_version'>): boolean {
  const m = /^0\.(\d+)(?:\.|$)/.exec(meta.manifest_version);
  return m !== null && Number(m[1]) <= 4;
}

/** How reports name the known gap, e.g. "no archived manifest (written by dsg 0.4.4)". */
export function oldToolGap(meta: Pick<ManifestMetadata, 'manifest_version'>): string {
  return `no archived manifest (written by dsg ${meta.manifest_version})`;
}
