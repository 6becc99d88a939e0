# Installing the Debian packages a script needs (sourced by scripts/zfs-pool.sh and scripts/sshd.sh).
#
#   install_packages PKG...   # as root: apt-get install, refreshing the lists once if needed
#
# Without root it only says what is missing (and fails): the suites then fail loudly, never skip.
install_packages() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$@"; }
  else
    echo "missing packages: $* (as root: apt-get install -y $*)" >&2
    return 1
  fi
}
