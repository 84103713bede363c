#!/usr/bin/env bash
# Records protolens' privacy trace (tests/data/privacy.pcap) for the best-practice and privacy
# checks: secrets sent in clear, an API key in a URI path, a plaintext API polled at a regular
# interval (presence inference), and traffic that complies (TLS 1.3, NTPv4). Real clients and
# servers across a veth pair between two private network namespaces:
#
#   pl-hub    (the "hub-client", e.g. a smart speaker)  pl-hub0    02:00:5e:20:00:01
#             198.51.100.20/24  2001:db8:1::20/64
#   pl-bridge (the "bridge", e.g. a lighting bridge)    pl-bridge0 02:00:5e:20:00:02
#             198.51.100.1/24   2001:db8:1::1/64
#
# Scenarios, in this order: 10 polls of GET /api/<KEY>/lights on 80, 2 s apart, one TCP
# connection each (curl -> python http.server handler); GET /status?user=alice&token=<TOKEN>
# on 80; HTTP Digest auth on 8081 (curl --digest: 401 challenge, then 200); a Bearer token on
# 80; TLS 1.3 only (openssl s_client -> s_server, ECDSA P-256 certificate); NTPv4 (ntpdate ->
# chronyd). tests/data/README.md describes the result and states the secrets, which tests read.
#
# Usage: sudo tools/record-privacy-trace.sh [OUTPUT.pcap]   (default: tests/data/privacy.pcap)
# Needs root (namespaces, raw sockets). Nothing leaves the machine: the namespaces have no
# link to the host. Safe to re-run: leftovers of an interrupted run are removed first.
# PL_RECORD_KEEP=1 keeps the temporary directory (configs, every program's log) for debugging.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$REPO/tests/data/privacy.pcap}

NS_DEV=pl-hub NS_SRV=pl-bridge
IF_DEV=pl-hub0 IF_SRV=pl-bridge0
MAC_DEV=02:00:5e:20:00:01 MAC_SRV=02:00:5e:20:00:02
IP_DEV=198.51.100.20 IP_SRV=198.51.100.1
IP6_DEV=2001:db8:1::20 IP6_SRV=2001:db8:1::1
SNI=bridge.example.com
UA='protolens-hub/1.0'
# The secrets. tests/data/README.md states the same values: change both or neither.
API_KEY=p75ZZlg6KgvjV8FLe6zbo2JoPuNnvRKsDX28sBFn         # 40 alphanumerics, like a Hue username
TOKEN=2edc7d8d5b878becd805436fd272e438                   # query-string token
TOKEN2=rdS1WJfZG-HUI4yuXgoCvAp4qSzCjXYLp-MButq3Ce8       # Bearer token
DIGEST_USER=hubuser DIGEST_PASS=gW3CY7rv1Dkh DIGEST_REALM=bridge-admin
POLLS=10 POLL_INTERVAL=2

# shellcheck source=tools/record-lib.sh
. "$REPO/tools/record-lib.sh"
rec_init ip ethtool tcpdump tshark openssl curl chronyd ntpdate ss

# ---------------------------------------------------------------------------------------------
rec_netns_up                     # one subnet, no routes needed
rec_capture_start

# ---------------------------------------------------------------------------------------------
log "HTTP servers on the bridge"
# Port 80: the bridge's plaintext REST API (Hue-like: /api/<key>/lights; errors as Hue sends
# them, a 200 with an error list), a status page taking a token in the query string, and a
# cloud-style endpoint taking a Bearer token. HTTP/1.1, Content-Length on every answer.
cat >"$TMP/bridge.py" <<EOF
import json, http.server, urllib.parse
KEY, TOKEN, TOKEN2 = "$API_KEY", "$TOKEN", "$TOKEN2"
LIGHTS = {
    "1": {"state": {"on": True, "bri": 144, "ct": 366, "reachable": True},
          "type": "Color temperature light", "name": "Living room", "modelid": "LTW001"},
    "2": {"state": {"on": False, "bri": 254, "ct": 233, "reachable": True},
          "type": "Color temperature light", "name": "Hallway", "modelid": "LTW001"},
}
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bridge-lab/1.0"
    def version_string(self):
        return self.server_version
    def answer(self, code, obj, extra=()):
        body = json.dumps(obj, separators=(",", ":")).encode()
        self.send_response(code)
        for k, v in extra:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        q = urllib.parse.parse_qs(u.query)
        parts = u.path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "api" and parts[2] == "lights":
            if parts[1] == KEY:
                self.answer(200, LIGHTS)
            else:
                self.answer(200, [{"error": {"type": 1, "address": "/lights",
                                             "description": "unauthorized user"}}])
        elif u.path == "/status":
            if q.get("token") == [TOKEN]:
                self.answer(200, {"user": q.get("user", [""])[0], "status": "online"})
            else:
                self.answer(403, {"error": "bad token"})
        elif u.path == "/v1/devices":
            if self.headers.get("Authorization") == "Bearer " + TOKEN2:
                self.answer(200, {"devices": [{"id": "bridge-0001", "type": "bridge"}]})
            else:
                self.answer(401, {"error": "invalid_token"},
                            [("WWW-Authenticate", 'Bearer realm="bridge-cloud"')])
        else:
            self.answer(404, {"error": "not found"})
http.server.HTTPServer(("$IP_SRV", 80), H).serve_forever()
EOF
# Port 8081: the bridge's admin page behind HTTP Digest (RFC 7616, MD5, qop=auth), checked
# for real: a wrong response gets the 401 challenge again.
cat >"$TMP/digest.py" <<EOF
import hashlib, http.server, os, urllib.request
USER, PASS, REALM = "$DIGEST_USER", "$DIGEST_PASS", "$DIGEST_REALM"
NONCE = os.urandom(16).hex()
OPAQUE = os.urandom(8).hex()
md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "bridge-admin/1.0"
    def version_string(self):
        return self.server_version
    def ok(self):
        a = self.headers.get("Authorization", "")
        if not a.startswith("Digest "):
            return False
        p = urllib.request.parse_keqv_list(urllib.request.parse_http_list(a[7:]))
        if p.get("username") != USER or p.get("nonce") != NONCE or p.get("uri") != self.path:
            return False
        ha1 = md5("%s:%s:%s" % (USER, REALM, PASS))
        ha2 = md5("%s:%s" % (self.command, self.path))
        want = md5(":".join([ha1, NONCE, p.get("nc", ""), p.get("cnonce", ""), "auth", ha2]))
        return p.get("qop") == "auth" and p.get("response") == want
    def do_GET(self):
        ok = self.ok()
        body = b'{"config":{"name":"bridge","swversion":"1.0"}}' if ok else b'{"error":"unauthorized"}'
        self.send_response(200 if ok else 401)
        if not ok:
            self.send_header("WWW-Authenticate", 'Digest realm="%s", qop="auth", algorithm=MD5, '
                             'nonce="%s", opaque="%s"' % (REALM, NONCE, OPAQUE))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("$IP_SRV", 8081), H).serve_forever()
EOF
srv_bg bridge80 "$PY" "$TMP/bridge.py"
srv_bg digest8081 "$PY" "$TMP/digest.py"
wait_listen tcp 80
wait_listen tcp 8081

# get NAME EXPECTED_CODE CURL_ARGS...: one curl from the hub, one TCP connection.
get() {
  local what=$1 want=$2 code; shift 2
  code=$(in_dev timeout 10 curl -sS -o /dev/null -w '%{http_code}' -A "$UA" "$@") || die "curl $what"
  [ "$code" = "$want" ] || die "$what returned $code, expected $want"
}

# ---------------------------------------------------------------------------------------------
log "1. API key in the path, polled every ${POLL_INTERVAL} s ($POLLS polls)"
# Polls at fixed times from the first one (not sleep-after-curl), so the interval stays regular.
t0=$(date +%s%N)
for i in $(seq 0 $((POLLS - 1))); do
  wait_ns=$((t0 + i * POLL_INTERVAL * 1000000000 - $(date +%s%N)))
  [ "$wait_ns" -le 0 ] || sleep "$(printf '%d.%09d' $((wait_ns / 1000000000)) $((wait_ns % 1000000000)))"
  get "poll $((i + 1))" 200 -H 'Accept: application/json' "http://$IP_SRV/api/$API_KEY/lights"
done
echo "   $POLLS polls ok" >&2
sleep 0.5

log "2. token in the query string"
get "status with token" 200 "http://$IP_SRV/status?user=alice&token=$TOKEN"
sleep 0.5

log "3. HTTP Digest on 8081"
# curl sends the request without credentials, gets the 401 challenge, and repeats it on the
# same connection with Authorization: Digest.
get "digest" 200 --digest -u "$DIGEST_USER:$DIGEST_PASS" "http://$IP_SRV:8081/config"
grep -c '"GET /config HTTP/1.1" 401' "$TMP/digest8081.log" | grep -qx 1 || die "digest: no single 401 challenge"
grep -c '"GET /config HTTP/1.1" 200' "$TMP/digest8081.log" | grep -qx 1 || die "digest: no single 200"
sleep 0.5

log "4. Bearer token"
get "bearer" 200 -H "Authorization: Bearer $TOKEN2" "http://$IP_SRV/v1/devices"
sleep 0.5

# ---------------------------------------------------------------------------------------------
log "5. TLS 1.3 only"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 \
  -subj "/CN=$SNI" -addext "subjectAltName=DNS:$SNI" \
  -keyout "$TMP/key.pem" -out "$TMP/cert.pem" 2>/dev/null
# -www answers the client's GET with a status page: the session carries application data.
srv_bg s_server openssl s_server -accept 443 -naccept 1 -www -tls1_3 \
  -ciphersuites TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256 \
  -cert "$TMP/cert.pem" -key "$TMP/key.pem"
spid=${PIDS[-1]}
wait_listen tcp 443
# -tls1_3 makes 1.3 the only version: no TLS 1.2 suite is offered. OpenSSL 3.0 still appends
# TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00ff) to every initial ClientHello, whatever the version
# options (-no_tls1_2 and friends, -no_renegotiation change nothing): a signal, not a suite.
printf 'GET / HTTP/1.0\r\n\r\n' | in_dev timeout 10 openssl s_client -connect "$IP_SRV:443" \
  -tls1_3 -ciphersuites TLS_AES_128_GCM_SHA256 -groups X25519 -servername "$SNI" -ign_eof \
  >"$TMP/s_client.log" 2>&1 || true
grep -Eq '^ *Protocol *: TLSv1.3$' "$TMP/s_client.log" &&
  grep -q 'Cipher is TLS_AES_128_GCM_SHA256' "$TMP/s_client.log" ||
  { cat "$TMP/s_client.log" >&2; die "TLS 1.3 handshake"; }
timeout 5 tail --pid="$spid" -f /dev/null || true     # the server exits after its one client
echo "   TLSv1.3 TLS_AES_128_GCM_SHA256 X25519 ok" >&2
sleep 0.5

# ---------------------------------------------------------------------------------------------
log "6. NTPv4"
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
grep -Eq " $IP_SRV s[0-9]+ " <<<"$out" || die "ntpdate: no response ($out)"
echo "   $out" >&2
sleep 0.5                                # let the last packets reach the capture

# ---------------------------------------------------------------------------------------------
rec_capture_stop
rec_install "$OUT" 307200
tshark -r "$OUT" -q -z io,phs
