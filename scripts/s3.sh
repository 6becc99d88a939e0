# A throwaway S3 server on 127.0.0.1 for the S3 transport tests (sourced by scripts/test.sh).
#
#   source scripts/s3.sh
#   s3_start            # sets and exports DSG_TEST_S3_ENDPOINT (http://127.0.0.1:PORT),
#                       # DSG_TEST_S3_ACCESS_KEY, DSG_TEST_S3_SECRET_KEY and DSG_TEST_S3_DIR
#   ...
#   s3_stop             # stops the daemons this script started (by pid) and removes its folder
#
# Why it looks like this: a real S3 implementation (Ceph's RADOS Gateway), not a mock, so the tests
# meet real S3 behaviour. One monitor, one OSD on memstore (RAM, no disk), one radosgw, no mgr
# (nothing here needs one). Config, data, sockets and logs all live in one temp folder, so no other
# cluster is touched; keys are made fresh each run. With auth "none", clients only get past the
# monitor handshake with `ms_*_client_mode = crc secure`; the short paxos/tick intervals make
# s3_start take ~3 s instead of ~13 s. A failed s3_start prints the logs' tails and cleans up.

S3_DIR=""
S3_PIDS=()          # monitor and OSD, in start order
S3_RGW_PID=""

source "$(dirname "${BASH_SOURCE[0]}")/packages.sh"

s3_install() {
  { command -v ceph-mon && command -v ceph-osd && command -v radosgw && command -v ceph; } >/dev/null ||
    install_packages ceph-mon ceph-osd radosgw ceph-common
}

# Two TCP ports nobody listens on now (held together so they differ, then released).
s3_free_ports() {
  node -e 'const n=require("net"),a=n.createServer(),b=n.createServer();
    a.listen(0,"127.0.0.1",()=>b.listen(0,"127.0.0.1",()=>{
      console.log(a.address().port,b.address().port);a.close();b.close()}))'
}

# Any HTTP answer (an anonymous GET / gets an empty bucket list), read whole: else a broken pipe.
s3_http_answers() {
  local answer
  answer=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" &&
    printf "GET / HTTP/1.0\r\n\r\n" >&3 && cat <&3' _ "$1" 2>/dev/null)
  [[ $answer == HTTP/* ]]
}

# Says why s3_start failed, with the end of every log, then stops whatever was started.
s3_fail() {
  echo "s3_start: $1" >&2
  local f
  for f in "$S3_DIR"/*.log; do
    [ -f "$f" ] && { echo "--- end of $f:" >&2; tail -n 20 "$f" >&2; }
  done
  s3_stop
}

s3_start() {
  s3_install || return 1
  S3_DIR=$(mktemp -d /tmp/dsg-s3.XXXXXX)
  local d=$S3_DIR conf=$S3_DIR/ceph.conf ports mon_port rgw_port fsid id access secret ok="" pid
  local deadline=$((SECONDS + 60))
  ports=$(s3_free_ports) || { s3_fail "no free port"; return 1; }
  read -r mon_port rgw_port <<<"$ports"
  fsid=$(cat /proc/sys/kernel/random/uuid)
  # Ceph expands $name (mon.a, osd.0, client.rgw.a, client.admin): every path is in the temp folder.
  # msgr2 only, so the monitor needs one port. mon_data_avail_crit: the monitor refuses to start
  # when /tmp has 5% or less free. memstore_device_bytes is a cap, not an allocation (idle RSS is
  # the same at 256 MiB and 4 GiB), but each stored GiB costs ~2 GiB of OSD RSS; once it is reached
  # the OSD is marked full and every write *and delete* blocks (rados_osd_op_timeout: radosgw then
  # answers 408 after 30 s instead of never). 4 GiB is twice what the suites upload in total, and
  # the short rgw_gc_* waits free deleted and overwritten objects within ~30 s instead of 2 hours.
  # objecter_tick_interval: radosgw's first writes, when they race the OSD's boot, are only resent
  # on this tick (5 s by default: some starts took 8 s).
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
public_addr = 127.0.0.1
ms_bind_msgr1 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc secure
ms_client_mode = crc secure
run_dir = $d
admin_socket = $d/\$name.asok
log_file = $d/\$name.log
keyring = $d/keyring
crash_dir = $d/crash
mon_data = $d/\$name
osd_data = $d/\$name
rgw_data = $d/\$name
mon_cluster_log_file = $d/cluster.log
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
mon_tick_interval = 1
mon_data_avail_crit = 0
mon_allow_pool_size_one = true
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_objectstore = memstore
memstore_device_bytes = 4294967296
[client.rgw.a]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_init_timeout = 60
objecter_tick_interval = 1
rados_osd_op_timeout = 30
rgw_gc_obj_min_wait = 15
rgw_gc_processor_period = 15
EOF
  # Monitor: mkfs wants a mon. key even with auth none.
  { ceph-authtool --create-keyring "$d/keyring" --gen-key -n mon. --cap mon 'allow *' &&
    monmaptool --create --addv a "[v2:127.0.0.1:$mon_port]" --fsid "$fsid" "$d/monmap" &&
    ceph-mon -c "$conf" -i a --mkfs --monmap "$d/monmap"; } >>"$d/mon.a.log" 2>&1 ||
    { s3_fail "cannot create the monitor"; return 1; }
  ceph-mon -c "$conf" -i a -f >>"$d/mon.a.log" 2>&1 &
  S3_PIDS+=($!)
  # OSD: the first `osd create` waits until the monitor answers (it prints the new id, 0).
  id=$(timeout 30 ceph -c "$conf" osd create 2>>"$d/client.admin.log") ||
    { s3_fail "the monitor did not come up"; return 1; }
  { mkdir "$d/osd.$id" && ceph-osd -c "$conf" -i "$id" --mkfs; } >>"$d/osd.$id.log" 2>&1 ||
    { s3_fail "cannot create the OSD"; return 1; }
  ceph-osd -c "$conf" -i "$id" -f >>"$d/osd.$id.log" 2>&1 &
  S3_PIDS+=($!)
  # RADOS Gateway: it creates its pools once the OSD is up, then listens.
  radosgw -c "$conf" -n client.rgw.a -f >>"$d/client.rgw.a.log" 2>&1 &
  S3_RGW_PID=$!
  while ((SECONDS < deadline)); do
    for pid in "${S3_PIDS[@]}" "$S3_RGW_PID"; do kill -0 "$pid" 2>/dev/null || break 2; done
    if s3_http_answers "$rgw_port"; then ok=1; break; fi
    sleep 0.2
  done
  [ -n "$ok" ] || { s3_fail "no answer on 127.0.0.1:$rgw_port (or a daemon died)"; return 1; }
  # radosgw-admin, like radosgw, creates the default zone if there is none: so it runs only now.
  access=$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n')
  secret=$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
  timeout 30 radosgw-admin -c "$conf" user create --uid dsg-test --display-name "dsg test" \
    --access-key "$access" --secret-key "$secret" >/dev/null 2>>"$d/client.admin.log" ||
    { s3_fail "cannot create the S3 user"; return 1; }
  export DSG_TEST_S3_ENDPOINT="http://127.0.0.1:$rgw_port" DSG_TEST_S3_ACCESS_KEY="$access" \
    DSG_TEST_S3_SECRET_KEY="$secret" DSG_TEST_S3_DIR="$d"
}

s3_stop() {
  [ -n "$S3_DIR" ] || return 0
  # radosgw drains for 5 s on SIGTERM (and hangs once the monitor is gone); nothing in it is kept.
  if [ -n "$S3_RGW_PID" ]; then
    kill -9 "$S3_RGW_PID" 2>/dev/null || true
    wait "$S3_RGW_PID" 2>/dev/null || true
    S3_RGW_PID=""
  fi
  # Then the OSD (it tells the monitor it is going, so before the monitor), then the monitor.
  local i pid
  for ((i = ${#S3_PIDS[@]} - 1; i >= 0; i--)); do
    pid=${S3_PIDS[i]}
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  S3_PIDS=()
  rm -rf "$S3_DIR"
  S3_DIR=""
  unset DSG_TEST_S3_ENDPOINT DSG_TEST_S3_ACCESS_KEY DSG_TEST_S3_SECRET_KEY DSG_TEST_S3_DIR
}
