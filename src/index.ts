/**
 * dsg as a library: every command the CLI offers, as a function returning its real result.
 */
export { init, type InitOptions, type InitOutcome } from './api/init.js';
export { clone, type CloneOptions, type CloneOutcome } from './api/clone.js';
export { status, type StatusResult, type StatusRow } from './api/status.js';
export { sync, type SyncOptions, type SyncOutcome } from './api/sync.js';
export type { Preference } from './sync/resolve.js';
export { log, type LogEntry, type LogOptions } from './api/log.js';
export { listFiles, type ListFilesOptions, type ListFilesResult } from './api/listFiles.js';
export { recover, type RecoverOptions, type RecoverResult } from './api/recover.js';
export { blame, type BlameOptions, type BlameResult } from './api/blame.js';
export type { BlameEvent, BlameChange } from './history/blame.js';
export { snapfetch, type SnapfetchOptions, type SnapfetchResult } from './api/snapfetch.js';
export { snapmount, type SnapmountOptions, type SnapmountResult } from './api/snapmount.js';
export { validateConfig, type ValidateConfigResult } from './api/validateConfig.js';
export { validateFile, type ValidateFileOptions, type ValidateFileResult } from './api/validateFile.js';
export { validateSnapshot, type ValidateSnapshotOptions, type ValidateSnapshotResult } from './api/validateSnapshot.js';
export { validateChain, type ValidateChainOptions, type ValidateChainResult } from './api/validateChain.js';
export type { HistoryProblem, ProblemKind } from './history/chain.js';
export { clean, type CleanOptions, type CleanResult, type Leftover } from './api/clean.js';
export { listRepos, type ListReposResult, type RepoInfo } from './api/listRepos.js';
export { DsgError } from './errors/DsgError.js';
export { SYNC_STEPS } from './protocol/steps.js';
export type { Entry, FileEntry, LinkEntry, Manifest, ManifestMetadata } from './manifest/types.js';
