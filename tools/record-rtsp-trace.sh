#!/usr/bin/env bash
# Records protolens' RTSP trace (tests/data/rtsp.pcap): a protocol that is not one of the six
# but looks like HTTP (RTSP/1.0, RFC 2326: HTTP's request-line, status-line and header syntax,
# OPTIONS as its first request), as IP cameras and viewers speak it, and an HTTP request in
# absolute form (to a proxy), which is HTTP. Real programs across a veth pair between two
# private network namespaces:
#
#   pl-viewer (a viewer or NVR)   pl-viewer0 02:00:5e:30:00:01  203.0.113.20/24  2001:db8:3::20/64
#   pl-cam    (the camera)        pl-cam0    02:00:5e:30:00:02  203.0.113.1/24   2001:db8:3::1/64
#
# Scenarios, in this order, each one TCP connection: curl's RTSP client on 554 (`OPTIONS *
# RTSP/1.0`); ffprobe viewing a stream on 554 (OPTIONS, DESCRIBE, SETUP and PLAY on rtsp://
# URLs, then no RTP comes and it gives up); ffmpeg publishing one second of video to an ffmpeg
# listening on 8554 (ANNOUNCE, SETUP, RECORD, RTP interleaved on the connection, TEARDOWN); a
# request through an HTTP proxy on 3128 (curl -x: `GET http://...`). The camera's RTSP server
# on 554 and the proxy are python handlers written here. tests/data/README.md describes the
# result.
#
# Usage: sudo tools/record-rtsp-trace.sh [OUTPUT.pcap]   (default: tests/data/rtsp.pcap)
# Needs root (namespaces, raw sockets) and ffmpeg (Debian's ffmpeg package; only this recorder
# needs it). Nothing leaves the machine: the namespaces have no link to the host. Safe to
# re-run: leftovers of an interrupted run are removed first.
# PL_RECORD_KEEP=1 keeps the temporary directory (configs, every program's log) for debugging.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=${1:-$REPO/tests/data/rtsp.pcap}

NS_DEV=pl-viewer NS_SRV=pl-cam
IF_DEV=pl-viewer0 IF_SRV=pl-cam0
MAC_DEV=02:00:5e:30:00:01 MAC_SRV=02:00:5e:30:00:02
IP_DEV=203.0.113.20 IP_SRV=203.0.113.1
IP6_DEV=2001:db8:3::20 IP6_SRV=2001:db8:3::1
UA='protolens-viewer/1.0'

# shellcheck source=tools/record-lib.sh
. "$REPO/tools/record-lib.sh"
rec_init ip ethtool tcpdump curl ss
# Not in tools/install-deps.sh: ffmpeg brings 88 packages, and only this recorder uses it.
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null ||
  die "needs ffmpeg and ffprobe: apt-get install --no-install-recommends ffmpeg"

# ---------------------------------------------------------------------------------------------
rec_netns_up                     # one subnet, no routes needed
rec_capture_start

# ---------------------------------------------------------------------------------------------
log "RTSP server on 554, HTTP proxy on 3128"
# RTSP/1.0 as a camera answers it: CSeq echoed, Public for OPTIONS, an SDP description for
# DESCRIBE, a session for SETUP, PLAY and TEARDOWN; each method is logged.
cat >"$TMP/rtsp.py" <<EOF
import socketserver
SDP = ("v=0\r\no=- 1 1 IN IP4 $IP_SRV\r\ns=camera\r\nt=0 0\r\n"
       "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=control:track1\r\n").encode()
class H(socketserver.StreamRequestHandler):
    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method = line.split(b" ", 1)[0].decode()
            print(method, flush=True)
            head = {}
            while True:
                h = self.rfile.readline()
                if h in (b"\r\n", b"\n", b""):
                    break
                k, _, v = h.decode().partition(":")
                head[k.strip().lower()] = v.strip()
            out = ["RTSP/1.0 200 OK", "CSeq: " + head.get("cseq", "0"), "Server: cam-lab/1.0"]
            body = b""
            if method == "OPTIONS":
                out.append("Public: OPTIONS, DESCRIBE, SETUP, PLAY, TEARDOWN")
            elif method == "DESCRIBE":
                body = SDP
                out += ["Content-Type: application/sdp", "Content-Base: " + line.split()[1].decode()]
            elif method == "SETUP":
                out += ["Session: 12345678;timeout=60",
                        "Transport: " + head.get("transport", "") + ";server_port=6970-6971"]
            elif method in ("PLAY", "TEARDOWN"):
                out.append("Session: 12345678")
            out.append("Content-Length: %d" % len(body))
            self.wfile.write(("\r\n".join(out) + "\r\n\r\n").encode() + body)
socketserver.ThreadingTCPServer.allow_reuse_address = True
socketserver.ThreadingTCPServer(("$IP_SRV", 554), H).serve_forever()
EOF
# The proxy answers the absolute-form request itself, as a caching proxy would from its cache.
cat >"$TMP/proxy.py" <<EOF
import http.server
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        body = b"cached\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
http.server.HTTPServer(("$IP_SRV", 3128), H).serve_forever()
EOF
srv_bg rtsp "$PY" "$TMP/rtsp.py"
srv_bg proxy3128 "$PY" "$TMP/proxy.py"
wait_listen tcp 554
wait_listen tcp 3128

log "1. curl's RTSP client on 554"
out=$(in_dev timeout 10 curl -sS -A "$UA" -o /dev/null -w '%{response_code}' "rtsp://$IP_SRV:554/stream") ||
  die "curl rtsp"
[ "$out" = 200 ] || die "curl rtsp: answered $out"

log "2. ffprobe viewing the stream on 554"
# The handler sends no RTP: ffprobe waits -timeout (1 s) after PLAY and gives up, as expected.
in_dev timeout 20 ffprobe -hide_banner -rtsp_transport tcp -timeout 1000000 -user_agent "$UA" \
  "rtsp://$IP_SRV:554/stream" >"$TMP/ffprobe.log" 2>&1 || true
grep -q '^PLAY' "$TMP/rtsp.log" || die "ffprobe did not reach PLAY (see ffprobe.log)"

log "3. ffmpeg publishing to an ffmpeg listening on 8554"
srv_bg ffmpeg8554 ffmpeg -hide_banner -nostdin -rtsp_flags listen -timeout 10 \
  -i "rtsp://$IP_SRV:8554/live" -f null -
wait_listen tcp 8554
in_dev timeout 20 ffmpeg -hide_banner -nostdin -re -f lavfi -i testsrc=size=64x48:rate=5 -t 1 \
  -c:v mjpeg -f rtsp -rtsp_transport tcp "rtsp://$IP_SRV:8554/live" >"$TMP/publish.log" 2>&1 ||
  die "ffmpeg publish (see publish.log)"

log "4. absolute-form HTTP through the proxy on 3128"
code=$(in_dev timeout 10 curl -sS -A "$UA" -o /dev/null -w '%{http_code}' \
  -x "http://$IP_SRV:3128" http://updates.example.com/firmware.json) || die "curl proxy"
[ "$code" = 200 ] || die "proxy returned $code, expected 200"

sleep 0.5                         # the last FINs reach the capture
rec_capture_stop
rec_install "$OUT" 102400
