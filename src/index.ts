/**
 * dsg as a library: every command the CLI offers, as a function returning its real result.
 */
export { init, type InitOptions, type InitOutcome } from './api/init.js';
export { clone } from './api/clone.js';
export { status, type StatusResult, type StatusRow } from './api/status.js';
export { sync, type SyncOptions, type SyncOutcome } from './api/sync.js';
export { log, type LogEntry, type LogOptions } from './api/log.js';
export { listFiles, type ListFilesOptions, type ListFilesResult } from './api/listFiles.js';
export { DsgError } from './errors/DsgError.js';
export { SYNC_STEPS } from './transaction/steps.js';
export type { Entry, FileEntry, LinkEntry, Manifest, ManifestMetadata } from './manifest/types.js';
