#!/usr/bin/env bash
# Benchmark driver: make sure the comparison tools are there, start a throwaway ZFS pool for
# measurements 5-6 (scripts/zfs-pool.sh; needs root and zfs-fuse), a throwaway sshd on 127.0.0.1
# for measurements 7-8 (scripts/sshd.sh; needs root and openssh-server) and a throwaway S3 server
# (Ceph RADOS Gateway) on 127.0.0.1 for measurements 12-13 (scripts/s3.sh; needs root and ceph),
# each only when a selected measurement needs it, then run bench/bench.mjs.
# Usage: bash bench/run.sh [--quick] [--only 5,6] [other bench.mjs options]   (npm run bench builds first)
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A pkg_of=([xxhsum]=xxhash [rsync]=rsync [git]=git [/usr/bin/time]=time [ssh]=openssh-client [scp]=openssh-client [rclone]=rclone)
missing=()
for cmd in xxhsum rsync git /usr/bin/time ssh scp rclone; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [[ " ${missing[*]} " != *" ${pkg_of[$cmd]} "* ]]; then
    missing+=("${pkg_of[$cmd]}")
  fi
done

if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
    echo "bench: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    # Try from the current package lists first; refresh them once only if that fails.
    if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
      apt-get update -qq
      apt-get install -y -qq "${missing[@]}"
    fi
  else
    echo "bench: missing tools (packages: ${missing[*]}); install them (as root: apt-get install -y ${missing[*]})" >&2
    exit 1
  fi
fi

if [[ ! -f dist/bin/dsg.js ]]; then
  echo "bench: dist/bin/dsg.js not found; build first (npm run build)" >&2
  exit 1
fi

# Measurements 5–6 (sync on ZFS vs on POSIX) need a ZFS pool: a throwaway file-backed zfs-fuse pool,
# destroyed on exit. If it cannot be started, bench.mjs records the ZFS half as not run, with the reason.
only=""
prev=""
for a in "$@"; do
  [[ $prev == --only ]] && only=${a// /}
  prev=$a
done
needs_zfs=1
needs_sshd=1
needs_s3=1
case " $* " in *" -h "* | *" --help "*) needs_zfs="" needs_sshd="" needs_s3="" ;; esac
if [[ -n $only ]]; then
  wants=""
  [[ ,$only, == *,5,* ]] && wants=1
  [[ ,$only, == *,6,* && " $* " != *" --no-big "* ]] && wants=1
  [[ -n $wants ]] || needs_zfs=""
  wants=""
  [[ ,$only, == *,7,* && " $* " != *" --no-big "* ]] && wants=1
  [[ ,$only, == *,8,* ]] && wants=1
  [[ -n $wants ]] || needs_sshd=""
  wants=""
  [[ ,$only, == *,12,* ]] && wants=1
  [[ ,$only, == *,13,* && " $* " != *" --no-big "* ]] && wants=1
  [[ -n $wants ]] || needs_s3=""
fi
# One EXIT trap for all services; each stop function exists only if its script was sourced.
stop_services() {
  if declare -F zfs_pool_stop >/dev/null; then zfs_pool_stop; fi
  if declare -F sshd_stop >/dev/null; then sshd_stop; fi
  if declare -F s3_stop >/dev/null; then s3_stop; fi
}
trap stop_services EXIT
if [[ -n $needs_zfs ]]; then
  # shellcheck source=../scripts/zfs-pool.sh
  source scripts/zfs-pool.sh
  zfs_err=$(mktemp)
  # The pool holds every version of the 1 GiB file of row 6 (each @sN snapshot keeps its blocks).
  if zfs_pool_start 6G 2>"$zfs_err"; then
    cat "$zfs_err" >&2
    echo "bench: ZFS pool $DSG_TEST_ZFS_POOL for measurements 5-6" >&2
  else
    cat "$zfs_err" >&2
    reason=$(grep -v '^\s*$' "$zfs_err" | tail -n 1 || true)
    export DSG_BENCH_ZFS_UNAVAILABLE="scripts/zfs-pool.sh could not start a pool: ${reason:-no reason given}"
    unset DSG_TEST_ZFS_POOL DSG_TEST_ZFS_MOUNT
    echo "bench: $DSG_BENCH_ZFS_UNAVAILABLE; the ZFS half of measurements 5-6 is recorded as not run" >&2
  fi
  rm -f "$zfs_err"
fi

# Measurements 7–8 (uploads over SSH) need an SSH server: the throwaway sshd of the tests, stopped
# (by pid) on exit. If it cannot be started, bench.mjs records rows 7-8 as not run, with the reason.
if [[ -n $needs_sshd ]]; then
  # shellcheck source=../scripts/sshd.sh
  source scripts/sshd.sh
  sshd_err=$(mktemp)
  if sshd_start 2>"$sshd_err"; then
    cat "$sshd_err" >&2
    echo "bench: sshd on 127.0.0.1:$DSG_TEST_SSH_PORT (host alias $DSG_TEST_SSH_HOST) for measurements 7-8" >&2
  else
    cat "$sshd_err" >&2
    reason=$(grep -v '^\s*$' "$sshd_err" | tail -n 1 || true)
    export DSG_BENCH_SSH_UNAVAILABLE="scripts/sshd.sh could not start an sshd: ${reason:-no reason given}"
    unset DSG_TEST_SSH_DIR DSG_TEST_SSH_HOST DSG_TEST_SSH_PORT
    echo "bench: $DSG_BENCH_SSH_UNAVAILABLE; measurements 7-8 are recorded as not run" >&2
  fi
  rm -f "$sshd_err"
fi

# Measurements 12–13 (uploads to S3) need an S3 server: the throwaway Ceph RADOS Gateway of the tests
# (memstore: data in RAM), stopped (by pid) on exit. If it cannot be started, bench.mjs records rows
# 12-13 as not run, with the reason.
if [[ -n $needs_s3 ]]; then
  # shellcheck source=../scripts/s3.sh
  source scripts/s3.sh
  s3_err=$(mktemp)
  if s3_start 2>"$s3_err"; then
    cat "$s3_err" >&2
    echo "bench: S3 server (Ceph RGW) at $DSG_TEST_S3_ENDPOINT for measurements 12-13" >&2
  else
    cat "$s3_err" >&2
    reason=$(grep -v '^\s*$' "$s3_err" | grep -v '^---' | head -n 1 || true)
    export DSG_BENCH_S3_UNAVAILABLE="scripts/s3.sh could not start an S3 server: ${reason:-no reason given}"
    unset DSG_TEST_S3_ENDPOINT DSG_TEST_S3_ACCESS_KEY DSG_TEST_S3_SECRET_KEY DSG_TEST_S3_DIR
    echo "bench: $DSG_BENCH_S3_UNAVAILABLE; measurements 12-13 are recorded as not run" >&2
  fi
  rm -f "$s3_err"
fi

# Not exec: the EXIT trap destroys the pool and stops the sshd and the S3 server after the run; the exit code is bench.mjs's.
rc=0
node bench/bench.mjs "$@" || rc=$?
exit "$rc"
