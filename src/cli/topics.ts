/**
 * The help topics (`dsg help <topic>`), kept here once for the terminal, the man page and the
 * shell completions. The text is a small markup that both renderers understand:
 * - a block of lines separated by a blank line is a paragraph, wrapped to the width;
 * - a line starting with "- " starts a list item (wrapped with a hanging indent);
 * - a line starting with two spaces is shown as it is (examples, tables), never wrapped.
 */
import { terminalWidth } from './output.js';

export interface Topic {
  name: string;
  summary: string;
  text: string;
}

export const TOPICS: readonly Topic[] = [
  {
    name: 'config',
    summary: 'project config .dsgconfig.yml, user config dsg.yml, and precedence',
    text: `dsg reads two kinds of configuration file: one for the project, shared by the team, and one for you.

The project config, .dsgconfig.yml, lives in the project's root folder (commit it with the project's code). dsg finds it by walking up from the current folder, so every command works from any subfolder of the project (or from anywhere with "dsg -C <dir>"). It names the project and its repository:

  name: survey
  repository: {type: xfs, host: localhost, mountpoint: /srv/repos}
  data_dirs: [input, output, frozen]
  ignore: {names: [.DS_Store, __pycache__], suffixes: [.tmp, .pyc]}

- name: the project; its repository is <mountpoint>/<name>. "dsg help backends" lists the repository types.
- data_dirs: the folders whose files are tracked: any folder with one of these names, at any depth; "*" tracks everything. Default: input, output, frozen; a list you give replaces it.
- ignore: paths (a folder ignores everything under it), names (of files or folders) and suffixes to leave out. Each key you give replaces that key's default. Hidden files and folders (names starting with ".") are never tracked.

The legacy form (transport: ssh, rclone or ipfs, with a section of that name) is still read.

The user config, dsg.yml, says who you are and holds your own settings; it never goes in the project:

  user_name: Ana Example
  user_id: ana@example.org

dsg reads each of these files that exists, in this order; a key set in a later file overrides the same key from an earlier one:

  /etc/dsg/dsg.yml               machine-wide (may not set user_name or user_id)
  ~/.config/dsg/dsg.yml
  $XDG_CONFIG_HOME/dsg/dsg.yml   when XDG_CONFIG_HOME is set
  $DSG_CONFIG_HOME/dsg.yml       when DSG_CONFIG_HOME is set

Other keys: backup_on_conflict (default true, see "dsg help conflicts"), default_host and default_project_path (for "dsg list-repos"), local_log, ssh: {key_path}, rclone: {config_path} and ipfs: {passphrase_file}.

Unknown keys in either file are errors that name the closest valid key. "dsg validate-config" checks both files and shows what they say; "dsg -v <command>" lists the user config files it read. Reading commands (status, log, list-files, blame, snapfetch, snapmount, validate-*) work without user_name and user_id; init, clone, sync and recover need them.`,
  },
  {
    name: 'states',
    summary: 'the three-way states of a path and what sync does for each',
    text: `dsg compares three versions of every tracked path: L, the working copy as it is now; C, the cache (.dsg/last-sync.json: the snapshot this working copy last synced); and R, the repository's current snapshot. Files are equal when their content hashes are; links when their targets are.

  present   condition     state                                what sync does
  L C R     L = C = R     unchanged                            nothing
  L C R     L = C, R new  changed on remote                    download
  L C R     L = R, C old  changed identically on both sides    refresh the cache
  L C R     C = R, L new  changed locally                      upload
  L C R     all differ    conflict                             blocks the sync
  - C R     C = R         deleted locally                      delete on remote
  - C R     C differs R   conflict: deleted locally,           blocks the sync
                          changed on remote
  L - R     L = R         added identically on both sides      refresh the cache
  L - R     L differs R   conflict: added on both sides        blocks the sync
  L C -     L = C         deleted on remote                    delete locally
  L C -     L differs C   conflict: changed locally,           blocks the sync
                          deleted on remote
  - - R                   new on remote                        download
  - C -                   deleted on both sides                drop from cache
  L - -                   new locally                          upload

"dsg status" shows every path sync would act on, grouped as local changes, remote changes and conflicts; "dsg sync --dry-run" prints the exact plan. A sync that only downloads or refreshes the cache makes no new snapshot; uploads and remote deletions make one.

Only paths this working copy tracks take part: a repository entry outside its data folders or ignore rules (a teammate's other data folder, a hidden path) is never downloaded, never counts as deleted locally, and is carried unchanged into the next snapshot.

Safety rails stop a sync that looks like a mistake: the scan finds no files while the cache has some (wrong folder, unmounted disk), or the plan deletes more than half of the tracked files on either side. "--force" overrides them. A file on one side where the other side has a folder of the same name is always refused: rename one of them.`,
  },
  {
    name: 'conflicts',
    summary: 'conflicts, conflicts.txt, "dsg sync --continue" and backups',
    text: `A conflict is a path changed on both sides since your last sync, differently: changed locally and on the remote, deleted on one side and changed on the other, or added on both sides with different content ("dsg help states"). One conflict blocks the whole sync: nothing is transferred, dsg writes conflicts.txt in the project root and exits with code 3. "dsg status" shows conflicts before you sync.

conflicts.txt has one block per conflicted path, its choices most likely first:

  # File: input/survey.csv
  # Conflict: changed locally and on remote, differently
  _R  use remote
  _L  use local
  _C  use cached version

Delete all but one choice line per file, then run "dsg sync --continue", which applies each choice and syncs:

- R downloads the repository's version over yours.
- L uploads your version over the repository's.
- C restores the last synced version on both sides, from the repository's history. "Added on both sides" has no cached version, so it offers no C.

The underscore may stay, and lower case is accepted; the text after the choice is ignored. If a file changed again after conflicts.txt was written, --continue refuses rather than overwrite the newer edit: run "dsg sync" again for a fresh conflicts.txt.

Before a local file is overwritten it is backed up beside it as <name>~YYYYMMDDTHHMMSS+HHMM~; the scanner never tracks backups. Set backup_on_conflict: false in dsg.yml to skip them. "dsg clean --backups" lists the backups and "dsg clean --backups --apply" removes them.`,
  },
  {
    name: 'recovery',
    summary: 'after Ctrl-C, a kill or a crash: recovery, "dsg recover", locks',
    text: `Every sync, init and clone is a transaction. Stopped at any instant, by Ctrl-C, a kill, a crash, a full disk or a lost connection, it leaves the working copy, its cache (.dsg/) and the repository as they were before, or as they are after: never a mix, never lost data.

Ctrl-C (or SIGTERM) during a sync: dsg says it is stopping, and stops at the next safe step. Before the commit point (the one atomic step that publishes the new snapshot) it rolls back and releases the repository lock; after it, it finishes first. Either way it exits with code 130 and says which happened. A second Ctrl-C stops at once, like a kill.

After a kill or a crash nothing needs doing by hand: the next dsg command that reads or writes the repository finds the interrupted transaction's journal (.dsg/transactions/ in the working copy, .dsg/staging/ in the repository) and rolls it back (before the commit point) or forward (after it). "dsg recover" does the same on request and says what it did:

  dsg recover
  dsg recover --json

A tracked file you edited while the interrupted sync ran is never overwritten by recovery: your version is kept and shows as a conflict.

An error after the commit point (the disk filled while downloads were applied, say) is not rolled back: the snapshot stays published, the command says so (code PUBLISHED_INCOMPLETE, exit 1), and the next command finishes the rest once the cause is fixed.

Locks: a writer holds the repository's write lock (.dsg/lock.json) with a 120-second lease, renewed while it runs. Another writer waits up to --wait seconds (default 300) and then exits with code 4, naming the holder. A lock whose lease expired, or whose holder was a process on this machine that is gone, is taken over at once. When you know the holder is gone: "dsg recover --break-lock". Only one dsg command runs in a working copy at a time (.dsg/client.lock); a second one exits with code 4.

A clone stopped midway keeps its verified downloads in .dsg/resume/: "dsg clone" again reuses them. "dsg clean" lists other leftovers (temp files, orphaned staging) and removes them with --apply.`,
  },
  {
    name: 'backends',
    summary: 'where repositories live (xfs, zfs, s3, rclone, ipfs), hosts and SSH',
    text: `The repository: mapping of .dsgconfig.yml says where the project's shared repository lives, by its type:

- xfs: a folder on any POSIX file system (the name is historical). The repository is <mountpoint>/<name>, its data files browsable at their paths.

    repository: {type: xfs, host: localhost, mountpoint: /srv/repos}

- zfs: the ZFS dataset <pool>/<name>, mounted at <mountpoint>/<name>, with one ZFS snapshot @sN per dsg snapshot ("dsg snapmount" mounts it).

    repository: {type: zfs, host: localhost, pool: tank/repos,
                 mountpoint: /tank/repos}

- s3: a bucket of any S3 engine (AWS, Ceph, MinIO). The repository lives under <prefix>/<name>/, its content stored by hash. Credentials come from the AWS chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE), never from the project.

    repository: {type: s3, bucket: lab-data, prefix: repos,
                 endpoint: "https://s3.example.edu"}

- rclone: any rclone remote, through the rclone program, laid out as for s3; rclone's own config file may be named in dsg.yml as rclone: {config_path}.

    repository: {type: rclone, remote: "labdrive:bucket", path: /repos}

- ipfs: an embedded, offline IPFS blockstore in a (shared) folder, encrypted by default. The passphrase comes from DSG_IPFS_PASSPHRASE or from the file named by ipfs: {passphrase_file} in dsg.yml. "dsg car export" and "dsg car import" move snapshots as CAR files.

    repository: {type: ipfs, did: "did:key:...", encrypted: true,
                 blockstore: /shared/dsg-blockstore}

"dsg init --name N --mountpoint DIR" writes the config of an xfs (or, with --repo-type zfs --pool P, a zfs) repository; for the other types write .dsgconfig.yml yourself and run "dsg init".

Hosts and SSH: for xfs and zfs, host localhost (or 127.0.0.1, ::1, or this machine's name) means this machine; any other host is reached over SSH, one connection per command. The host is an alias as "ssh <alias>" understands it: dsg reads HostName, Port, User, IdentityFile and UserKnownHostsFile from ~/.ssh/config. Host keys are checked against known_hosts with no trust on first use: an unknown host is refused, and the message shows the ssh-keyscan line that trusts it. Keys are tried in order: the SSH agent, ssh: {key_path} in dsg.yml, the IdentityFiles, then ~/.ssh/id_ed25519, id_ecdsa and id_rsa; dsg never prompts, so keys with a passphrase must be in the agent. The server needs nothing from dsg: an OpenSSH server with SFTP, and the zfs command for zfs repositories.

More in dsg's docs/ folder: ssh.md, zfs.md, object-stores.md, ipfs.md.`,
  },
];

export function findTopic(name: string): Topic | undefined {
  return TOPICS.find((t) => t.name === name.toLowerCase());
}

/** A topic's blocks: paragraphs and list items to wrap, and verbatim lines. */
export type Block = { kind: 'para' | 'item'; text: string } | { kind: 'verbatim'; lines: string[] };

export function topicBlocks(text: string): Block[] {
  const blocks: Block[] = [];
  for (const chunk of text.split(/\n\s*\n/)) {
    const lines = chunk.split('\n');
    if (lines[0].startsWith('  ')) {
      blocks.push({ kind: 'verbatim', lines });
      continue;
    }
    let current: { kind: 'para' | 'item'; text: string } | null = null;
    for (const line of lines) {
      if (current && !line.startsWith('- ')) {
        current.text += ` ${line.trim()}`;
        continue;
      }
      current = line.startsWith('- ') ? { kind: 'item', text: line.slice(2) } : { kind: 'para', text: line };
      blocks.push(current);
    }
  }
  return blocks;
}

/** Greedy word wrap; a word longer than the width stays whole on its own line. */
export function wrap(text: string, width: number, indent = '', firstIndent = indent): string[] {
  const lines: string[] = [];
  let line = firstIndent;
  let empty = true;
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = indent;
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines;
}

/** A topic as terminal text, wrapped to `width` columns. */
export function renderTopic(topic: Topic, width: number): string {
  const out: string[] = [];
  let previous: Block['kind'] | null = null;
  for (const b of topicBlocks(topic.text)) {
    // A blank line between blocks, except between the items of one list.
    if (previous !== null && !(previous === 'item' && b.kind === 'item')) out.push('');
    if (b.kind === 'verbatim') out.push(...b.lines);
    else if (b.kind === 'item') out.push(...wrap(b.text, width, '    ', '  - '));
    else out.push(...wrap(b.text, width));
    previous = b.kind;
  }
  return `${out.join('\n')}\n`;
}

/** The width topics wrap to: the terminal's (terminalWidth), at most 100 for reading; 80 when it is too narrow to be real. */
export function topicWidth(): number {
  const columns = terminalWidth();
  return columns > 20 ? Math.min(columns, 100) : 80;
}
