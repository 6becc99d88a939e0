#!/usr/bin/env bash
# The test command (npm test): installs what the suites need when missing, builds, and runs
# every suite with Node's test runner. Services the later suites need (zfs-fuse, sshd, S3)
# are started here too as those suites land.
set -euo pipefail
cd "$(dirname "$0")/.."

# System tools the suites use: mount (tmpfs for the full-disk and out-of-inodes tests), chattr
# (immutable folders: permission tests that hold even for root), setpriv (running dsg as an
# unprivileged user), GNU time (peak memory of a run), mkfifo and sync -f (coreutils). Install
# the packages that provide any missing one.
need=()
command -v mount >/dev/null || need+=(mount)
command -v chattr >/dev/null || need+=(e2fsprogs)
command -v setpriv >/dev/null || need+=(util-linux)
[ -x /usr/bin/time ] || need+=(time)
command -v mkfifo >/dev/null || need+=(coreutils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get install -y "${need[@]}" || { apt-get update && apt-get install -y "${need[@]}"; }
  else
    echo "missing system packages: ${need[*]} (run as root to install them)" >&2
  fi
fi

if [ ! -d node_modules ]; then npm ci; fi
npx tsc -p tsconfig.json

mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
node --test --test-concurrency=2 "${files[@]}"
