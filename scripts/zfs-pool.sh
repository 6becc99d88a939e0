# A throwaway ZFS pool for the tests and benchmarks (sourced by scripts/test.sh and bench/run.sh).
#
#   source scripts/zfs-pool.sh
#   zfs_pool_start [SIZE]   # SIZE of the sparse pool image (default 1536M); sets and exports
#                           # DSG_TEST_ZFS_POOL and DSG_TEST_ZFS_MOUNT
#   ...
#   zfs_pool_stop       # destroys that pool only; stops the daemon only if we started it
#
# zfs-fuse facts this relies on (docs/design/zfs.md): the daemon runs with -a 0 -e 0 (no kernel
# name caches: a rollback or rename otherwise leaves stale entries for an hour); any zfs/zpool
# call can hang when the daemon is unwell, so each one runs under `timeout`; never `-f` on
# umount/destroy; a pool is file-backed and created with cachefile=none so nothing outlives it.

ZFS_POOL_DIR=""
ZFS_POOL_NAME=""
ZFS_DAEMON_PID=""

source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

zfs_pool_install() {
  command -v zfs-fuse >/dev/null || install_packages zfs-fuse
}

zfs_pool_start() {
  zfs_pool_install || return 1
  if [ "$(id -u)" != 0 ]; then
    echo "the ZFS suites need root (zfs-fuse accepts no other user)" >&2
    return 1
  fi
  ZFS_POOL_DIR=$(mktemp -d /tmp/dsg-zfs.XXXXXX)
  if ! pgrep -x zfs-fuse >/dev/null; then
    mkdir -p /var/run/zfs /var/lock/zfs
    zfs-fuse --no-daemon -a 0 -e 0 >"$ZFS_POOL_DIR/zfs-fuse.log" 2>&1 &
    ZFS_DAEMON_PID=$!
    local ok=""
    for _ in $(seq 100); do
      if [ -S /var/run/zfs/zfs_socket ] && timeout 5 zpool list >/dev/null 2>&1; then ok=1; break; fi
      sleep 0.1
    done
    [ -n "$ok" ] || { echo "zfs-fuse did not start (log: $ZFS_POOL_DIR/zfs-fuse.log)" >&2; return 1; }
  else
    echo "using the zfs-fuse daemon already running (not started, and not stopped, by this script)" >&2
  fi
  ZFS_POOL_NAME="dsgtest$$_$RANDOM"
  truncate -s "${1:-1536M}" "$ZFS_POOL_DIR/pool.img"
  mkdir "$ZFS_POOL_DIR/mnt"
  if ! timeout 60 zpool create -o cachefile=none -m "$ZFS_POOL_DIR/mnt" "$ZFS_POOL_NAME" "$ZFS_POOL_DIR/pool.img"; then
    echo "cannot create the test pool $ZFS_POOL_NAME" >&2
    return 1
  fi
  export DSG_TEST_ZFS_POOL="$ZFS_POOL_NAME" DSG_TEST_ZFS_MOUNT="$ZFS_POOL_DIR/mnt"
}

zfs_pool_stop() {
  [ -n "$ZFS_POOL_DIR" ] || return 0
  if [ -n "$ZFS_POOL_NAME" ] && timeout 10 zpool list -H -o name "$ZFS_POOL_NAME" >/dev/null 2>&1; then
    local done=""
    for _ in 1 2 3 4 5; do
      if timeout 60 zpool destroy "$ZFS_POOL_NAME" 2>/dev/null; then done=1; break; fi
      sleep 1
    done
    [ -n "$done" ] || echo "could not destroy the test pool $ZFS_POOL_NAME (image $ZFS_POOL_DIR/pool.img)" >&2
  fi
  if [ -n "$ZFS_DAEMON_PID" ]; then
    kill "$ZFS_DAEMON_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$ZFS_DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$ZFS_DAEMON_PID" 2>/dev/null || true
  fi
  # Mounts of our pool left by a daemon that died: lazy unmount (never -f).
  awk -v d="$ZFS_POOL_DIR" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  rm -rf "$ZFS_POOL_DIR"
  ZFS_POOL_DIR=""
}
