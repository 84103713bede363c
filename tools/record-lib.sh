# Shared by the trace recorders (tools/record-traces.sh, tools/record-privacy-trace.sh,
# tools/record-rtsp-trace.sh):
# two network namespaces joined by a veth pair, servers started in the background and killed
# by pid, a capture on the server's end, cleanup on every exit. Sourced, never run.
#
# Before sourcing, the recorder sets (all required):
#   NS_DEV NS_SRV     namespace names of the client ("device") and the server side
#   IF_DEV IF_SRV     the veth ends, one in each namespace
#   MAC_DEV MAC_SRV IP_DEV IP_SRV IP6_DEV IP6_SRV   their addresses (IPv4 /24, IPv6 /64)
# and then calls, in this order:
#   rec_init TOOL...       root check, tools check, $TMP, the cleanup trap
#   rec_netns_up           namespaces, veth, offloads off, addresses (routes: the recorder's)
#   rec_capture_start      tcpdump on $IF_SRV into $TMP/cap.pcap
#   ... scenarios, with in_dev/in_srv/srv_bg/wait_listen/log/die ...
#   rec_capture_stop; rec_install OUT MAX_BYTES
# PL_RECORD_KEEP=1 keeps the temporary directory (configs, every program's log) for debugging.

REC_NAME=$(basename "$0")

# Debian's python3, not whatever a user's PATH (pyenv, venv) puts first.
PY=$(command -v /usr/bin/python3 || command -v python3)

TMP=""
TCPDUMP_PID=""
PIDS=()                           # background servers we started, killed by pid in cleanup

log() { printf '== %s\n' "$*" >&2; }
die() { printf '%s: FAILED: %s\n' "$REC_NAME" "$*" >&2; exit 1; }
in_dev() { ip netns exec "$NS_DEV" "$@"; }
in_srv() { ip netns exec "$NS_SRV" "$@"; }

# Kills every process still living in our namespaces (only ours can be there: we created
# them), then removes the namespaces; the veth pair disappears with them.
teardown_netns() {
  local ns pid
  for ns in "$NS_DEV" "$NS_SRV"; do
    ip netns list | grep -qw "^$ns" || continue
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill "$pid" 2>/dev/null || true; done
    sleep 0.2
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
    ip netns del "$ns" 2>/dev/null || true
  done
}

rec_cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  # tcpdump first, with SIGINT, so that a partial capture is at least a valid file.
  if [ -n "$TCPDUMP_PID" ]; then kill -INT "$TCPDUMP_PID" 2>/dev/null || true; wait "$TCPDUMP_PID" 2>/dev/null || true; fi
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  teardown_netns
  if [ "$rc" -ne 0 ] && [ -d "$TMP" ]; then
    echo "$REC_NAME: logs of the failed run:" >&2
    tail -n 5 "$TMP"/*.log >&2 2>/dev/null || true
  fi
  if [ -n "${PL_RECORD_KEEP:-}" ]; then echo "$REC_NAME: kept $TMP" >&2; else rm -rf "$TMP"; fi
  exit "$rc"
}

# rec_init TOOL...: must be root, every TOOL must be on PATH; makes $TMP, installs the trap.
rec_init() {
  [ "$(id -u)" -eq 0 ] || { echo "$REC_NAME: must run as root" >&2; exit 1; }
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null || { echo "$REC_NAME: missing $c (run tools/install-deps.sh)" >&2; exit 1; }
  done
  TMP=$(mktemp -d "/tmp/pl-record.${REC_NAME%.sh}.XXXXXX")
  chmod 755 "$TMP"                # daemons that drop privileges must still read their config
  trap rec_cleanup EXIT
  trap 'exit 130' INT TERM
}

# Starts a server in $NS_SRV in the background. Not through in_srv: a backgrounded function
# runs in a bash subshell, $! would be that subshell and signals would not reach the server.
# A plain command is exec'd (and ip netns exec execs it in turn), so $! is the server itself.
srv_bg() { local name=$1; shift; ip netns exec "$NS_SRV" "$@" >"$TMP/$name.log" 2>&1 & PIDS+=($!); }

# Waits until something listens on a port in $NS_SRV (tcp or udp), so no client races its server.
wait_listen() {
  local proto=$1 port=$2
  for _ in $(seq 50); do
    in_srv ss -Hln"${proto:0:1}" "sport = :$port" | grep -q . && return 0
    sleep 0.1
  done
  die "nothing listens on $proto/$port in $NS_SRV"
}

# The two namespaces and the veth pair between them, with addresses; no routes.
rec_netns_up() {
  local side ns ifc mac ip4 ip6
  log "namespaces and veth"
  teardown_netns                  # leftovers of an interrupted run
  ip netns add "$NS_DEV"
  ip netns add "$NS_SRV"
  ip link add "$IF_DEV" netns "$NS_DEV" type veth peer name "$IF_SRV" netns "$NS_SRV"
  for side in dev srv; do
    if [ $side = dev ]; then ns=$NS_DEV ifc=$IF_DEV mac=$MAC_DEV ip4=$IP_DEV ip6=$IP6_DEV
    else ns=$NS_SRV ifc=$IF_SRV mac=$MAC_SRV ip4=$IP_SRV ip6=$IP6_SRV; fi
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$ifc" address "$mac" mtu 1500
    # Without this the kernel hands tcpdump 64 KB "super-segments" and packets with partial
    # checksums; a real wire never carries either.
    ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null
    # No router solicitations / SLAAC: nobody answers them, they would only be noise.
    ip netns exec "$ns" sysctl -qw net.ipv6.conf."$ifc".accept_ra=0 net.ipv6.conf."$ifc".router_solicitations=0
    ip -n "$ns" addr add "$ip4/24" dev "$ifc"
    # nodad: the address is usable at once instead of after ~1 s of duplicate detection.
    ip -n "$ns" addr add "$ip6/64" dev "$ifc" nodad
    ip -n "$ns" link set "$ifc" up
  done
}

rec_capture_start() {
  log "capture on $IF_SRV"
  # -Z root: tcpdump would otherwise drop to user tcpdump, which cannot write in our temp dir.
  # --immediate-mode: without it packets wait in the kernel ring for up to a second, and the
  # ones still there when SIGINT arrives are lost. -U: write each packet at once. Default
  # output format is pcap (not pcapng).
  ip netns exec "$NS_SRV" tcpdump -i "$IF_SRV" -s 0 -U --immediate-mode -n -Z root -w "$TMP/cap.pcap" >"$TMP/tcpdump.log" 2>&1 &
  TCPDUMP_PID=$!
  for _ in $(seq 50); do grep -q 'listening on' "$TMP/tcpdump.log" && break; sleep 0.1; done
  grep -q 'listening on' "$TMP/tcpdump.log" || die "tcpdump did not start"
}

rec_capture_stop() {
  log "stopping capture"
  kill -INT "$TCPDUMP_PID"
  wait "$TCPDUMP_PID" || true
  TCPDUMP_PID=""
  grep -E 'captured|dropped' "$TMP/tcpdump.log" >&2 || true
}

# rec_install OUT MAX_BYTES: the capture becomes OUT, atomically; fails if it is too large.
rec_install() {
  local out=$1 max=$2 size
  mkdir -p "$(dirname "$out")"
  cp "$TMP/cap.pcap" "$out.tmp"
  mv -f "$out.tmp" "$out"         # an old trace is replaced only by a complete new one
  size=$(stat -c %s "$out")
  [ "$size" -lt "$max" ] || die "$out is $size bytes (limit $max)"
  log "wrote $out ($size bytes)"
}
