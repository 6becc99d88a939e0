#!/usr/bin/env bash
# The test command (npm test): installs what the suites need when missing, builds, and runs
# every suite with Node's test runner. Services the later suites need (zfs-fuse, sshd, S3)
# are started here too as those suites land.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ]; then npm ci; fi
npx tsc -p tsconfig.json

mapfile -t files < <(find dist/test -name '*.test.js' | sort)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
node --test --test-concurrency=2 "${files[@]}"
