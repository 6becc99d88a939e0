/**
 * The largest metadata files dsg reads, in one place. Everything read from a repository may
 * be hostile: each read is bounded so a forged or damaged file fails with a clear error
 * instead of filling memory.
 */

/**
 * Manifests (`last-sync.json`, a decompressed archive) and `sync-messages.json`. V8 cannot
 * hold a string over 2^29 − 24 characters (just under 512 MiB), so a larger file could never
 * be parsed anyway; 500 MiB holds about two million entries (a pretty-printed entry is
 * ~250 bytes).
 */
export const MANIFEST_MAX_BYTES = 500 * (1 << 20);

/** `sync-messages.json`: one metadata block per snapshot; the same ceiling as a manifest. */
export const SYNC_MESSAGES_MAX_BYTES = MANIFEST_MAX_BYTES;

/** A compressed archive is never larger than the manifest it holds. */
export const ARCHIVE_MAX_BYTES = MANIFEST_MAX_BYTES;

/**
 * A repository transaction's `journal.json` lists every path it places or deletes, so it is
 * at most about the size of a manifest (a first sync of a million files lists them all).
 */
export const REMOTE_JOURNAL_MAX_BYTES = MANIFEST_MAX_BYTES;

/** `.dsg/lock.json`: one small record (user, host, pid, token, times); 64 KiB is generous. */
export const LOCK_FILE_MAX_BYTES = 64 << 10;

/**
 * JSON nesting: a manifest is four levels deep, metadata's project_config a few more.
 * Deeper input is corrupt or hostile; refusing it keeps recursive code off the stack limit.
 */
export const JSON_MAX_DEPTH = 64;

/**
 * The `project_config` a repository records, read by `dsg clone <location>` to write
 * `.dsgconfig.yml`: a real one is well under 1 KiB (name, repository, data_dirs, ignore lists).
 */
export const PROJECT_CONFIG_MAX_BYTES = 64 << 10;
