#!/usr/bin/env bash
# The test command (npm test): installs what the suites need when missing, builds, starts the
# services the suites use (a zfs-fuse daemon and a throwaway file-backed pool: scripts/zfs-pool.sh;
# a throwaway sshd on 127.0.0.1: scripts/sshd.sh; a throwaway S3 server, Ceph's RADOS Gateway on
# 127.0.0.1: scripts/s3.sh),
# runs every suite with Node's test runner (unit and conformance on the machine's Node, e2e on
# Node 24: scripts/node24.sh),
# in a private temp folder that must be empty at the end, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."

# System tools the suites use: mount (tmpfs for the full-disk and out-of-inodes tests), chattr
# (immutable folders: permission tests that hold even for root), setpriv (running dsg as an
# unprivileged user), GNU time (peak memory of a run), mkfifo and sync -f (coreutils), rclone
# (the rclone object store's suites). Install the packages that provide any missing one.
need=()
command -v mount >/dev/null || need+=(mount)
command -v chattr >/dev/null || need+=(e2fsprogs)
command -v setpriv >/dev/null || need+=(util-linux)
[ -x /usr/bin/time ] || need+=(time)
command -v mkfifo >/dev/null || need+=(coreutils)
command -v rclone >/dev/null || need+=(rclone)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y "${need[@]}" || { apt-get update && apt-get install -y "${need[@]}"; }
  else
    echo "missing system packages: ${need[*]} (run as root to install them)" >&2
  fi
fi

if [ ! -d node_modules ]; then npm ci; fi
# Compiled tests of deleted sources must not run: rebuild the test tree from scratch.
rm -rf dist/test
npm run --silent build

# The ZFS suites' pool (fails loudly, never skipped, when it cannot be created).
source scripts/zfs-pool.sh
source scripts/sshd.sh
source scripts/s3.sh
source scripts/node24.sh
node24_install

# The tests' temp folder: a private one, so that what a run leaves behind is seen (and fails
# the run) instead of piling up in /tmp. Checked after the services stop; removed in any case.
TEST_TMP=$(mktemp -d /tmp/dsg-tests.XXXXXX)
chmod 1777 "$TEST_TMP" # like /tmp: tests run some commands as an unprivileged user
status=0
finish() {
  set +e # stop everything even when one step fails
  [ -n "${zfs_pid:-}" ] && kill "$zfs_pid" 2>/dev/null && wait "$zfs_pid" 2>/dev/null
  zfs_pool_stop; sshd_stop; s3_stop
  local left
  left=$(cd "$TEST_TMP" && find . -mindepth 1 -maxdepth 2 2>/dev/null | sort | head -20)
  if [ -n "$left" ]; then echo "the tests left files in the temp folder:" >&2; echo "$left" >&2; status=1; fi
  rm -rf "$TEST_TMP"
  exit $status
}
trap finish EXIT
trap 'status=130; exit 130' INT TERM
zfs_pool_start 2G
# The SSH suites' server: a throwaway OpenSSH sshd on 127.0.0.1 (installs openssh-server when missing).
sshd_start
# The S3 suites' server: a throwaway single-node Ceph cluster with radosgw (installs ceph when missing).
s3_start

# Which Node runs what: the unit and conformance suites on the machine's Node (20), which drive
# the CLI through every backend; the e2e suite on Node 24 (scripts/node24.sh), the CLI running on
# the Node that runs the tests. Each file runs once: running e2e on both took ~10 more minutes.
# The suites that use the zfs-fuse pool run one at a time, beside the others: zfs-fuse has
# stopped answering FUSE requests (a stat hung for good) with two of them at once.
zfs_re='/(zfs[^/]*|conformance/zfs-[^/]*)\.test\.js$'
mapfile -t zfs_files < <(find dist/test -name '*.test.js' | grep -E "$zfs_re" | sort)
mapfile -t files < <(find dist/test/unit dist/test/conformance -name '*.test.js' | grep -vE "$zfs_re" | sort)
mapfile -t e2e < <(find dist/test/e2e -name '*.test.js' | grep -vE "$zfs_re" | sort)
if [ ${#files[@]} -eq 0 ] || [ ${#zfs_files[@]} -eq 0 ] || [ ${#e2e[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
others=$(find dist/test -name '*.test.js' | grep -vE "$zfs_re" | grep -vE '^dist/test/(unit|conformance|e2e)/' || true)
if [ -n "$others" ]; then echo "test files outside unit/, conformance/ and e2e/ would not run: $others" >&2; exit 1; fi
zfs_log="$TEST_TMP/zfs-suites.tap"
TMPDIR="$TEST_TMP" node --test --test-concurrency=1 "${zfs_files[@]}" >"$zfs_log" 2>&1 &
zfs_pid=$!
TMPDIR="$TEST_TMP" node --test --test-concurrency=2 "${files[@]}" || status=$?
echo "# e2e suite on node $("$NODE24" --version)"
TMPDIR="$TEST_TMP" "$NODE24" --test --test-reporter=tap --test-concurrency=2 "${e2e[@]}" || status=$?
zfs_status=0
wait "$zfs_pid" || zfs_status=$?
echo "# the suites on the zfs-fuse pool (run one at a time, node $(node --version)): ${zfs_files[*]}"
cat "$zfs_log"
rm -f "$zfs_log"
[ "$zfs_status" -eq 0 ] || status=$zfs_status
# Every test removes its datasets: anything left in the pool is a leak.
left=$(timeout 60 zfs list -H -o name -t all -r "$DSG_TEST_ZFS_POOL" | tail -n +2)
if [ -n "$left" ]; then echo "the tests left datasets or snapshots in the test pool:" >&2; echo "$left" >&2; status=1; fi
exit $status
