# A throwaway OpenSSH server on 127.0.0.1 for the SSH transport tests (sourced by scripts/test.sh).
#
#   source scripts/sshd.sh
#   sshd_start          # sets and exports DSG_TEST_SSH_DIR (config, known_hosts, user key) and
#                       # DSG_TEST_SSH_HOST (the host alias in that config)
#   ...
#   sshd_stop           # stops the sshd this script started (by pid) and removes its folder
#
# Why it looks like this: a stock server (sftp-server and a shell, nothing dsg-specific), so the
# tests see what a team's file server offers. Keys are made fresh each run and never leave the
# temp folder. `UsePAM no` and `StrictModes no` let root log in with a key in a temp folder;
# MaxSessions/MaxStartups are raised because the conformance suite opens many channels and
# connections at once. sshd refuses to start without /run/sshd. `SetEnv SHLVL=1`: bash, run by
# sshd for each command, sources ~/.bashrc unless it is a nested shell; this machine's root
# .bashrc (pyenv init) costs ~270 ms per command, which made every remote command (tar, sync -f,
# zfs) take 280 ms instead of 50 and the SSH suites several times slower. A file server's rc
# files are its admin's business (docs/ssh.md says so); the test server keeps them out.

SSHD_DIR=""
SSHD_PID=""

source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

sshd_install() {
  { [ -x /usr/sbin/sshd ] && command -v ssh-keygen >/dev/null; } || install_packages openssh-server
}

# A TCP port nobody listens on now (asked from the kernel, then released).
sshd_free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

sshd_start() {
  sshd_install || return 1
  mkdir -p /run/sshd
  SSHD_DIR=$(mktemp -d /tmp/dsg-sshd.XXXXXX)
  chmod 700 "$SSHD_DIR"
  mkdir -m 700 "$SSHD_DIR/ssh"
  ssh-keygen -q -t ed25519 -N '' -C dsg-test-host -f "$SSHD_DIR/host_ed25519" || return 1
  ssh-keygen -q -t ed25519 -N '' -C dsg-test-user -f "$SSHD_DIR/ssh/id_ed25519" || return 1
  cp "$SSHD_DIR/ssh/id_ed25519.pub" "$SSHD_DIR/authorized_keys"
  local port
  port=$(sshd_free_port) || return 1
  cat >"$SSHD_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1
Port $port
HostKey $SSHD_DIR/host_ed25519
AuthorizedKeysFile $SSHD_DIR/authorized_keys
UsePAM no
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
Subsystem sftp internal-sftp
PidFile $SSHD_DIR/sshd.pid
MaxSessions 64
MaxStartups 100
SetEnv SHLVL=1
EOF
  /usr/sbin/sshd -D -f "$SSHD_DIR/sshd_config" -E "$SSHD_DIR/sshd.log" &
  SSHD_PID=$!
  local ok=""
  for _ in $(seq 100); do
    if ! kill -0 "$SSHD_PID" 2>/dev/null; then break; fi
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then ok=1; break; fi
    sleep 0.1
  done
  if [ -z "$ok" ]; then
    echo "sshd did not start on 127.0.0.1:$port; its log ($SSHD_DIR/sshd.log):" >&2
    cat "$SSHD_DIR/sshd.log" >&2 2>/dev/null
    return 1
  fi
  cat >"$SSHD_DIR/ssh/config" <<EOF
Host dsgtest
  HostName 127.0.0.1
  Port $port
  User root
  IdentityFile $SSHD_DIR/ssh/id_ed25519
  UserKnownHostsFile $SSHD_DIR/ssh/known_hosts
EOF
  echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$SSHD_DIR/host_ed25519.pub")" >"$SSHD_DIR/ssh/known_hosts"
  chmod 600 "$SSHD_DIR/ssh/config" "$SSHD_DIR/ssh/known_hosts"
  export DSG_TEST_SSH_DIR="$SSHD_DIR/ssh" DSG_TEST_SSH_HOST=dsgtest DSG_TEST_SSH_PORT="$port"
}

sshd_stop() {
  [ -n "$SSHD_DIR" ] || return 0
  if [ -n "$SSHD_PID" ]; then
    kill "$SSHD_PID" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$SSHD_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SSHD_PID" 2>/dev/null || true
    wait "$SSHD_PID" 2>/dev/null || true
    SSHD_PID=""
  fi
  rm -rf "$SSHD_DIR"
  SSHD_DIR=""
  unset DSG_TEST_SSH_DIR DSG_TEST_SSH_HOST DSG_TEST_SSH_PORT
}
