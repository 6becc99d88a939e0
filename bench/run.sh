#!/usr/bin/env bash
# Benchmark driver: make sure the comparison tools are there, then run bench/bench.mjs.
# Usage: bash bench/run.sh [--quick] [other bench.mjs options]   (npm run bench builds first)
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A pkg_of=([xxhsum]=xxhash [rsync]=rsync [git]=git [/usr/bin/time]=time)
missing=()
for cmd in xxhsum rsync git /usr/bin/time; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${pkg_of[$cmd]}")
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

if [[ ! -f dist/src/cli/main.js ]]; then
  echo "bench: dist/src/cli/main.js not found; build first (npm run build)" >&2
  exit 1
fi

exec node bench/bench.mjs "$@"
