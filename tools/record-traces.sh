#!/usr/bin/env bash
# Records protolens' lab trace (tests/data/lab.pcap) from real clients and servers talking
# across a veth pair between two private network namespaces:
#
#   pl-dev (the "IoT device")  pl-dev0 02:00:5e:10:00:01  192.0.2.10/24  2001:db8::10/64
#   pl-srv (server / gateway)  pl-srv0 02:00:5e:10:00:02  192.0.2.1/24   2001:db8::1/64
#
# Scenarios: TLS 1.0/1.1/1.2/1.3 on 443 and TLS 1.2 with SNI on 8883 (openssl), HTTP on 80 and
# 8080 with Basic auth (curl -> python http.server), DNS (dig -> dnsmasq), NTP (ntpdate ->
# chronyd), DHCP twice with two MACs and one hostname (dhclient -> dnsmasq), SSDP M-SEARCH and
# NOTIFY with multicast TTL 4. tests/data/README.md describes the result.
#
# Usage: sudo tools/record-traces.sh [OUTPUT.pcap]     (default: tests/data/lab.pcap)
# Needs root (namespaces, raw sockets). Nothing leaves the machine: the namespaces have no
# link to the host. Safe to re-run: leftovers of an interrupted run are removed first.
# PL_RECORD_KEEP=1 keeps the temporary directory (configs, every program's log) for debugging.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$REPO/tests/data/lab.pcap}

NS_DEV=pl-dev NS_SRV=pl-srv
IF_DEV=pl-dev0 IF_SRV=pl-srv0
MAC_DEV=02:00:5e:10:00:01 MAC_SRV=02:00:5e:10:00:02
MAC_DEV2=02:00:5e:10:00:03        # the same device after "randomising" its MAC
IP_DEV=192.0.2.10 IP_SRV=192.0.2.1
IP6_DEV=2001:db8::10 IP6_SRV=2001:db8::1
SNI=device.example.com
DHCP_NAME=lab-sensor
UA='protolens-lab/1.0'
HTTP_USER=admin HTTP_PASS=s3cret

# shellcheck source=tools/record-lib.sh
. "$REPO/tools/record-lib.sh"
rec_init ip ethtool tcpdump tshark openssl curl dnsmasq chronyd ntpdate dig dhclient ss

# ---------------------------------------------------------------------------------------------
rec_netns_up
ip -n "$NS_DEV" route add default via "$IP_SRV"
# SSDP is multicast: give it an explicit route out of the device's only interface.
ip -n "$NS_DEV" route add 239.0.0.0/8 dev "$IF_DEV"

# ---------------------------------------------------------------------------------------------
rec_capture_start

# ---------------------------------------------------------------------------------------------
# dnsmasq serves both DNS and DHCP, like a home gateway. It is authoritative for what it knows
# and has no upstream (--no-resolv, no servers): nothing can be forwarded off the machine.
log "dnsmasq (DNS + DHCP)"
srv_bg dnsmasq dnsmasq --keep-in-foreground --conf-file=/dev/null --no-resolv --no-hosts \
  --user=root --pid-file="$TMP/dnsmasq.pid" --log-facility="$TMP/dnsmasq-q.log" \
  --log-queries --log-dhcp --interface="$IF_SRV" --bind-interfaces --except-interface=lo \
  --domain=lab.example --local=/lab.example/ \
  --address=/$SNI/$IP_SRV --address=/$SNI/$IP6_SRV \
  --host-record=gw.lab.example,$IP_SRV,$IP6_SRV \
  --host-record=camera.lab.example,192.0.2.20 \
  --dhcp-range=192.0.2.100,192.0.2.150,255.255.255.0,1h \
  --dhcp-host=$MAC_DEV,$IP_DEV \
  --dhcp-option=option:router,$IP_SRV --dhcp-option=option:dns-server,$IP_SRV \
  --dhcp-option=option:ntp-server,$IP_SRV \
  --dhcp-leasefile="$TMP/dnsmasq.leases" --dhcp-authoritative --no-ping
wait_listen udp 53
wait_listen udp 67

# dhclient: own config, lease and pid files; -sf /bin/true so it never touches addresses or
# routes (the device keeps its static address; dnsmasq hands out the same one to its MAC).
cat >"$TMP/dhclient.conf" <<EOF
send host-name "$DHCP_NAME";
request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers,
        host-name, ntp-servers, interface-mtu;
EOF
dhcp_session() {
  local tag=$1
  local args=(-4 -sf /bin/true -cf "$TMP/dhclient.conf" -lf "$TMP/dhclient-$tag.leases"
              -pf "$TMP/dhclient-$tag.pid")
  # -1: one attempt. dhclient forks into the background once bound; kill that daemon (no
  # release yet) so it cannot renew or retransmit in the middle of other scenarios.
  in_dev timeout 20 dhclient -1 -v "${args[@]}" "$IF_DEV" >"$TMP/dhclient-$tag.log" 2>&1 ||
    die "dhclient ($tag) got no lease"
  grep -q 'DHCPACK' "$TMP/dhclient-$tag.log" || die "dhclient ($tag): no DHCPACK"
  for _ in $(seq 20); do [ -s "$TMP/dhclient-$tag.pid" ] && break; sleep 0.1; done
  if [ -s "$TMP/dhclient-$tag.pid" ]; then
    local dpid; dpid=$(cat "$TMP/dhclient-$tag.pid")
    kill "$dpid" 2>/dev/null || true
    timeout 3 tail --pid="$dpid" -f /dev/null || true
  fi
  grep -o 'bound to [0-9.]*' "$TMP/dhclient-$tag.log" >&2 || true
}
dhcp_release() {
  local tag=$1
  in_dev timeout 10 dhclient -r -v -4 -sf /bin/true -cf "$TMP/dhclient.conf" \
    -lf "$TMP/dhclient-$tag.leases" -pf "$TMP/dhclient-$tag.pid" "$IF_DEV" \
    >>"$TMP/dhclient-$tag.log" 2>&1 || true
}

# The device "boots": DHCP first, with its factory MAC.
log "DHCP #1 ($MAC_DEV, host-name $DHCP_NAME)"
dhcp_session 1

# ---------------------------------------------------------------------------------------------
log "TLS"
openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$SNI" \
  -addext "subjectAltName=DNS:$SNI" -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
# One s_server per connection (-naccept 1), pinned to one version. -www answers the client's
# GET with a status page, so each session also carries application data. SECLEVEL=0 on both
# sides is what lets OpenSSL 3 negotiate TLS 1.0/1.1 at all.
tls_session() {
  local port=$1 flag=$2 expect=$3; shift 3       # rest: s_client options
  local clog="$TMP/s_client-$flag-$port.log"
  srv_bg "s_server-$flag-$port" openssl s_server -accept "$port" -naccept 1 -www "-$flag" \
    -cert "$TMP/cert.pem" -key "$TMP/key.pem" -cipher 'DEFAULT:@SECLEVEL=0'
  local spid=${PIDS[-1]}
  wait_listen tcp "$port"
  printf 'GET / HTTP/1.0\r\n\r\n' | in_dev timeout 10 openssl s_client -connect "$IP_SRV:$port" \
    -ign_eof "$@" >"$clog" 2>&1 || true
  grep -Eq "^ *Protocol *: $expect\$" "$clog" || { cat "$clog" >&2; die "TLS $expect handshake on $port"; }
  timeout 5 tail --pid="$spid" -f /dev/null || true    # the server exits after its one client
  echo "   $expect on $port ok" >&2
}
old_tls=(-cipher 'DEFAULT:@SECLEVEL=0')
# Clients pinned to 1.0/1.1/1.2 (no supported_versions extension, like old stacks), no SNI.
tls_session 443  tls1   TLSv1   -tls1   "${old_tls[@]}" -noservername
tls_session 443  tls1_1 TLSv1.1 -tls1_1 "${old_tls[@]}" -noservername
tls_session 443  tls1_2 TLSv1.2 -tls1_2 "${old_tls[@]}" -noservername
# A default modern client: offers 1.3 and 1.2 in supported_versions, sends SNI.
tls_session 443  tls1_3 TLSv1.3 -servername "$SNI"
# An MQTT-over-TLS-style port, TLS 1.2 with SNI.
tls_session 8883 tls1_2 TLSv1.2 -tls1_2 -servername "$SNI"

# ---------------------------------------------------------------------------------------------
log "HTTP"
mkdir -p "$TMP/www"
printf '<html><body>protolens lab device</body></html>\n' >"$TMP/www/index.html"
srv_bg http80 "$PY" -m http.server 80 --bind "$IP_SRV" --directory "$TMP/www"
# 8080 is the device's "admin page": a real check of the Basic credential, 401 otherwise.
cat >"$TMP/admin.py" <<EOF
import base64, http.server
WANT = "Basic " + base64.b64encode(b"$HTTP_USER:$HTTP_PASS").decode()
class H(http.server.BaseHTTPRequestHandler):
    server_version = "lab-admin/1.0"
    def do_GET(self):
        ok = self.headers.get("Authorization") == WANT
        body = b"<html><body>settings</body></html>\n" if ok else b"unauthorized\n"
        self.send_response(200 if ok else 401)
        if not ok:
            self.send_header("WWW-Authenticate", 'Basic realm="lab-device"')
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("$IP_SRV", 8080), H).serve_forever()
EOF
srv_bg http8080 "$PY" "$TMP/admin.py"
wait_listen tcp 80
wait_listen tcp 8080
code=$(in_dev timeout 10 curl -sS -o /dev/null -w '%{http_code}' -A "$UA" "http://$IP_SRV/")
[ "$code" = 200 ] || die "HTTP GET on 80 returned $code"
code=$(in_dev timeout 10 curl -sS -o /dev/null -w '%{http_code}' -A "$UA" -u "$HTTP_USER:$HTTP_PASS" \
  "http://$IP_SRV:8080/settings")
[ "$code" = 200 ] || die "HTTP Basic auth on 8080 returned $code"
code=$(in_dev timeout 10 curl -0 -sS -o /dev/null -w '%{http_code}' -A "$UA" "http://$IP_SRV/index.html")
[ "$code" = 200 ] || die "HTTP/1.0 GET on 80 returned $code"
echo "   GET :80, Basic auth :8080, HTTP/1.0 :80 ok" >&2

# ---------------------------------------------------------------------------------------------
log "DNS"
dns_query() {          # server name type [dig options]; checks an answer came back
  local srv=$1 name=$2 type=$3; shift 3
  local out
  out=$(in_dev timeout 10 dig "@$srv" "$name" "$type" +tries=1 +time=3 "$@") || die "dig $name $type"
  { grep -q 'status: NOERROR' <<<"$out" && grep -q 'ANSWER: [1-9]' <<<"$out"; } || die "dig $name $type: no answer"
  echo "   $name $type via $srv $* ok" >&2
}
dns_query "$IP_SRV" "$SNI" A                    # EDNS0 with cookie: dig's default
dns_query "$IP_SRV" "$SNI" AAAA
dns_query "$IP_SRV" gw.lab.example A +noedns    # plain RFC 1035 query
dns_query "$IP6_SRV" camera.lab.example A       # over IPv6
# A name the server is authoritative for but does not know: a real NXDOMAIN.
in_dev timeout 10 dig "@$IP_SRV" nosuch.lab.example A +tries=1 +time=3 | grep -q 'status: NXDOMAIN' ||
  die "dig nosuch.lab.example: no NXDOMAIN"

# ---------------------------------------------------------------------------------------------
log "NTP"
# chronyd as an unsynchronised local-clock server; -x: never touch the (shared) system clock.
cat >"$TMP/chrony.conf" <<EOF
local stratum 8
allow all
port 123
bindaddress $IP_SRV
cmdport 0
pidfile $TMP/chronyd.pid
EOF
srv_bg chronyd chronyd -f "$TMP/chrony.conf" -x -d -u root
wait_listen udp 123
out=$(in_dev timeout 15 ntpdate -q "$IP_SRV" 2>&1) || die "ntpdate: $out"
# A reply shows as "<date> <offset> +/- <delay> <server> s<stratum> ...".
grep -Eq " $IP_SRV s[0-9]+ " <<<"$out" || die "ntpdate: no response ($out)"
echo "   $out" >&2

# ---------------------------------------------------------------------------------------------
log "SSDP"
# pl-srv plays a media renderer: joins the SSDP group and answers M-SEARCH with a unicast
# 200 OK, as UPnP devices do.
cat >"$TMP/ssdp-responder.py" <<EOF
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", 1900))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("239.255.255.250"), socket.inet_aton("$IP_SRV")))
while True:
    data, peer = s.recvfrom(2048)
    if data.startswith(b"M-SEARCH"):
        s.sendto(b"HTTP/1.1 200 OK\r\n"
                 b"CACHE-CONTROL: max-age=1800\r\n"
                 b"EXT:\r\n"
                 b"LOCATION: http://$IP_SRV:80/description.xml\r\n"
                 b"SERVER: Linux/6.1 UPnP/1.0 protolens-lab/1.0\r\n"
                 b"ST: upnp:rootdevice\r\n"
                 b"USN: uuid:00000000-0000-4000-8000-020000000002::upnp:rootdevice\r\n"
                 b"\r\n", peer)
EOF
srv_bg ssdp "$PY" "$TMP/ssdp-responder.py"
wait_listen udp 1900
sleep 0.3                               # let the IGMP join go out before the search
cat >"$TMP/ssdp-client.py" <<EOF
import socket, sys
GRP = ("239.255.255.250", 1900)
def sock(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 4)
    s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("$IP_DEV"))
    s.bind(("$IP_DEV", port))
    return s
s = sock(0)
s.sendto(b"M-SEARCH * HTTP/1.1\r\n"
         b"HOST: 239.255.255.250:1900\r\n"
         b'MAN: "ssdp:discover"\r\n'
         b"MX: 2\r\n"
         b"ST: ssdp:all\r\n"
         b"USER-AGENT: Linux/6.1 UPnP/1.1 protolens-lab/1.0\r\n"
         b"\r\n", GRP)
s.settimeout(3)
try:
    data, peer = s.recvfrom(2048)
except socket.timeout:
    sys.exit("no reply to M-SEARCH")
print("   M-SEARCH answered by %s: %s" % (peer[0], data.split(b"\r\n")[0].decode()), file=sys.stderr)
n = sock(1900)
n.sendto(b"NOTIFY * HTTP/1.1\r\n"
         b"HOST: 239.255.255.250:1900\r\n"
         b"CACHE-CONTROL: max-age=1800\r\n"
         b"LOCATION: http://$IP_DEV:80/device.xml\r\n"
         b"NT: upnp:rootdevice\r\n"
         b"NTS: ssdp:alive\r\n"
         b"SERVER: Linux/6.1 UPnP/1.0 protolens-lab/1.0\r\n"
         b"USN: uuid:00000000-0000-4000-8000-020000000001::upnp:rootdevice\r\n"
         b"\r\n", GRP)
EOF
in_dev timeout 10 "$PY" "$TMP/ssdp-client.py" || die "SSDP exchange"

# ---------------------------------------------------------------------------------------------
# Later the device shows up with a random MAC but the same DHCP host name: the case protolens
# must link back to one device.
log "DHCP #2 ($MAC_DEV2, host-name $DHCP_NAME)"
dhcp_release 1
# The "new" device starts without addresses, as after a reboot; otherwise it would keep
# talking from 192.0.2.10 with the new MAC. veth takes a new MAC only while down.
ip -n "$NS_DEV" link set "$IF_DEV" down
ip -n "$NS_DEV" addr flush dev "$IF_DEV"
ip -n "$NS_DEV" link set "$IF_DEV" address "$MAC_DEV2"
ip -n "$NS_DEV" link set "$IF_DEV" up
for _ in $(seq 50); do
  ip -n "$NS_SRV" link show "$IF_SRV" | grep -q 'LOWER_UP' && break; sleep 0.1
done
dhcp_session 2
# Do what dhclient-script would have done, so the device answers ARP for its lease and the
# release below leaves from the leased address.
lease2=$(grep -o 'bound to [0-9.]*' "$TMP/dhclient-2.log" | tail -n 1 | cut -d' ' -f3)
[ -n "$lease2" ] || die "DHCP #2: no leased address"
ip -n "$NS_DEV" addr add "$lease2/24" dev "$IF_DEV"
dhcp_release 2
sleep 0.5                               # let the last packets reach the capture

# ---------------------------------------------------------------------------------------------
rec_capture_stop
rec_install "$OUT" 2097152
tshark -r "$OUT" -q -z io,phs
