#!/usr/bin/env python3
"""Protocol detection by content (issue 3), against nDPI's expected outputs and tshark.

1. For every ndpi/*.pcap, each flow nDPI labels by content (Confidence: DPI) as TLS,
   HTTP, DNS, NTP, DHCP or SSDP gets the same protocol from our models, and no flow
   nDPI labels by content as another protocol gets one of the six.
2. Content on odd ports is found, and flagged as not on the standard port; RTSP, which
   looks like HTTP, is not HTTP.
3. The published ProtoIoT models load unchanged and keep their documented quirks, with
   expected values computed from tshark's dissection of the same traces.
"""
import glob
import os
import re

from common import (LAB, Checks, SHARED, TRACES, by_five_tuple, canon, parallel, rel,
                    run_pcap, trace, tshark_fields)

SIX = {"TLS", "HTTP", "DNS", "NTP", "DHCP", "SSDP"}
PUBLISHED = os.path.join(SHARED, "protoiot", "models")
WHOLE_TRACE = ["--tcp-timeout", "86400", "--udp-timeout", "86400"]

# nDPI names that are DNS on the wire. mDNS (RFC 6762 §18: "the same packet format as
# unicast DNS") and LLMNR (RFC 4795 §2.1.1: "LLMNR messages use the same format as DNS")
# are DNS messages; our DNS model detects them as such, as the published one does.
DNS_WIRE = {"MDNS", "LLMNR"}

# Justified disagreements: (trace, nDPI flow line number) -> why.
EXCEPTIONS = {}

LINE = re.compile(r"^\s+(\d+)\s+(TCP|UDP)\s+(\S+):(\d+)\s+(?:<->|->)\s+(\S+):(\d+)\s+"
                  r"(?:\[VLAN: [^\]]*\])?\s*\[proto: ([^\]]+)\]")


def ndpi_flows(out):
    """(line number, transport, endpoints, nDPI protocol name) of content-labelled flows.
    Flows labelled by port or IP address ("Match by port", "Match by IP") carry no
    content evidence and are left out."""
    flows = []
    for line in open(out, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        conf = re.search(r"\[Confidence: ([^\]]*)\]", line)
        if not conf or conf.group(1) != "DPI":
            continue
        num, t, a, pa, b, pb, proto = m.groups()
        name = proto.split("/", 1)[1] if "/" in proto else proto
        flows.append((int(num), t.lower(), canon(a.strip("[]"), pa, b.strip("[]"), pb),
                      name.split(".")[0].upper()))
    return flows


def our_protocols(path, *extra):
    r = run_pcap(path, *WHOLE_TRACE, *extra)
    if r.rc != 0:
        return None, r.describe()
    protos = {}
    for f in r.flows():
        if f.get("transport") in ("tcp", "udp") and f.get("proto"):
            key = (f["transport"], canon(f["orig_h"], f["orig_p"], f["resp_h"], f["resp_p"]))
            protos[key] = f
    return protos, None


def check_against_ndpi(c):
    outs = sorted(glob.glob(os.path.join(TRACES, "ndpi", "*.out")))

    def one(out):
        pcap = out[:-4]
        ours, err = our_protocols(pcap)
        return pcap, ours, err

    for pcap, ours, err in parallel(one, outs):
        name = os.path.basename(pcap)
        if not c.check("%s: protolens runs" % name, ours is not None, err or ""):
            continue
        bad = []
        for num, t, ends, ndpi in ndpi_flows(pcap + ".out"):
            exp = "DNS" if ndpi in DNS_WIRE else ndpi if ndpi in SIX else None
            got = ours.get((t, ends), {}).get("proto", "").upper() or None
            if (name, num) in EXCEPTIONS:
                c.check("%s flow %d: listed exception still differs (%s)"
                        % (name, num, EXCEPTIONS[(name, num)]), got != exp,
                        "now agrees: remove the exception")
                continue
            if got != exp:
                bad.append("flow %d %s %s: nDPI %s, ours %s" % (num, t, ends, ndpi, got))
        c.check("%s: every content-labelled flow agrees with nDPI" % name, not bad,
                "; ".join(bad[:5]))


def check_odd_ports(c):
    cases = [("ndpi/tls_port_80.pcapng", "tcp", 80, "tls"),
             ("ndpi/ssdp-m-search.pcap", "udp", 32412, "ssdp"),
             ("ndpi/http_on_sip_port.pcap", "tcp", 5060, "http"),
             ("lab.pcap", "tcp", 8883, "tls"),
             ("lab.pcap", "tcp", 8080, "http")]
    for path, t, port, proto in cases:
        ours, err = our_protocols(trace(path))
        hits = [f for (tt, _), f in (ours or {}).items()
                if tt == t and port in (f["orig_p"], f["resp_p"])]
        c.check("%s: %s on %s/%d found, std_port false" % (path, proto, t, port),
                hits and all(f["proto"] == proto and f["std_port"] is False for f in hits),
                err or str([(f.get("proto"), f.get("std_port")) for f in hits]))
    ours, _ = our_protocols(trace("lab.pcap"))
    std = [f for f in (ours or {}).values() if f["proto"] == "tls" and 443 in (f["orig_p"], f["resp_p"])]
    c.check("lab.pcap: TLS on tcp/443 has std_port true", std and all(f["std_port"] for f in std))


def dns_published_expected(path):
    """Flows the published DNS model must match, from tshark: a query with no answer,
    authority or additional record and a first label (01-3f) -- the request pattern --
    or a response whose flags byte is even in 0x82-0x9e, with questions and answers."""
    rows = tshark_fields(path, ["udp.srcport", "udp.dstport", "ip.src", "ip.dst", "ipv6.src",
                                "ipv6.dst", "dns.flags", "dns.count.queries",
                                "dns.count.answers", "dns.count.auth_rr", "dns.count.add_rr",
                                "dns.qry.name"], "-Y", "dns && udp", occurrence="f")
    want = set()
    for sp, dp, s4, d4, s6, d6, flags, qd, an, ns, ar, qname in rows:
        flags = int(flags, 16)
        hi = flags >> 8
        a, b = (s4, d4) if s4 else (s6, d6)
        ends = ("udp", canon(a, sp, b, dp))
        opcode_ok = hi in {0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11,
                           0x12, 0x13}
        if (opcode_ok and (flags & 0xff) <= 0x70 and qd in ("1", "2") and an == "0"
                and ns == "0" and ar == "0" and qname not in ("", "<Root>")):
            want.add(ends)
        if (hi in range(0x82, 0x9f, 2) and hi != 0x90 and 1 <= int(qd) <= 255
                and 1 <= int(an) <= 255 and int(ns) <= 255 and int(ar) <= 255):
            want.add(ends)
    return want


def check_published(c):
    # DNS: found only where the published patterns allow (EDNS queries and ordinary
    # responses are missed).
    for path in ("lab.pcap", "ndpi/dns.pcap", "zeek/dns_mdns.pcap", "ndpi/android.pcap"):
        ours, err = our_protocols(trace(path), "--models", PUBLISHED, "--inspect-all")
        got = {k for k, f in (ours or {}).items() if f["proto"] == "dns"}
        want = dns_published_expected(trace(path))
        c.check("%s: published DNS model finds exactly the flows its patterns allow (%d)"
                % (path, len(want)), ours is not None and got == want,
                err or "missing %s, extra %s" % (sorted(want - got)[:3], sorted(got - want)[:3]))
    ours, _ = our_protocols(trace("lab.pcap"))
    dns = {("udp", canon(a4 or a6, sp, b4 or b6, dp)) for sp, dp, a4, b4, a6, b6 in
           tshark_fields(trace("lab.pcap"), ["udp.srcport", "udp.dstport", "ip.src",
                                             "ip.dst", "ipv6.src", "ipv6.dst"], "-Y", "dns")}
    got = {k for k, f in (ours or {}).items() if f["proto"] == "dns"}
    c.check("lab.pcap: our DNS model finds every DNS flow, EDNS and responses too (%d)"
            % len(dns), got == dns, "missing %s, extra %s" % (dns - got, got - dns))

    # HTTP: request & response, per packet, with the published regexes run by Python's
    # re on tshark's payload bytes (Java's '.' is [^\r\n]): status codes must have 0
    # as second digit, and the request line must end in CRLF.
    req = re.compile(rb"(OPTIONS|GET|HEAD|POST|NOTIFY|SUBSCRIBE|PUT|DELETE|TRACE|CONNECT)"
                     rb"[^\r\n]*HTTP/1[^\r\n](1|0)\r\n")
    resp = re.compile(rb"HTTP/(0[^\r\n]9|1[^\r\n]0|1[^\r\n]1) [1-5]0[^\r\n]*\r\n")
    for path in ("ndpi/http.pcapng", "ndpi/http_auth.pcap", "zeek/http_methods.pcap",
                 "ndpi/exe_download.pcap", "ndpi/http-lines-split.pcap",
                 "ndpi/http_ua_splitted_in_two_pkts.pcapng"):
        rows = tshark_fields(trace(path), ["tcp.srcport", "tcp.dstport", "ip.src", "ip.dst",
                                           "ipv6.src", "ipv6.dst", "tcp.payload"],
                             "-Y", "tcp.len > 0", occurrence="f")
        seen = {}
        for sp, dp, a4, b4, a6, b6, payload in rows:
            a, b = (a4, b4) if a4 else (a6, b6)
            data = bytes.fromhex(payload.replace(":", ""))
            e = seen.setdefault(("tcp", canon(a, sp, b, dp)), [False, False])
            e[0] |= bool(req.search(data))
            e[1] |= bool(resp.search(data))
        want = {k for k, (q, r) in seen.items() if q and r}
        ours, err = our_protocols(trace(path), "--models", PUBLISHED, "--inspect-all")
        got = {k for k, f in (ours or {}).items() if f["proto"] == "http"}
        c.check("%s: published HTTP model matches as its regexes do (%d flows)"
                % (path, len(want)), ours is not None and got == want,
                err or "missing %s, extra %s" % (sorted(want - got)[:2], sorted(got - want)[:2]))

    # TLS and NTP need both directions in the published select expression.
    for path, proto in (("ndpi/tls_1.2_unidirectional_client.pcapng", "tls"),
                        ("ndpi/tls_1.3_unidirectional_client.pcapng", "tls"),
                        ("ndpi/NTPv4.pcap", "ntp"), ("ndpi/NTPv3.pcap", "ntp")):
        pub, err = our_protocols(trace(path), "--models", PUBLISHED, "--inspect-all")
        mine, _ = our_protocols(trace(path))
        c.check("%s: one direction only: published %s misses it, ours finds it" % (path, proto),
                pub is not None and not any(f["proto"] == proto for f in pub.values())
                and any(f["proto"] == proto for f in (mine or {}).values()), err or "")
    pub, err = our_protocols(trace("ndpi/NTPv2.pcap"), "--models", PUBLISHED, "--inspect-all")
    c.check("ndpi/NTPv2.pcap: published NTP never matches version 2 (mode 7)",
            pub is not None and not pub, err or str(pub))


def check_rtsp(c):
    """RTSP has HTTP's syntax (RFC 2326), OPTIONS first: real RTSP clients and servers
    (tests/data/rtsp.pcap) are not HTTP, while an absolute-form request to a proxy is.
    tshark tells them apart (its RTSP and HTTP dissectors)."""
    path = os.path.join(os.path.dirname(LAB), "rtsp.pcap")
    fields = ["tcp.srcport", "tcp.dstport", "ip.src", "ip.dst"]
    rtsp = {("tcp", canon(a, sp, b, dp))
            for sp, dp, a, b in tshark_fields(path, fields, "-Y", "rtsp.request")}
    http = {("tcp", canon(a, sp, b, dp))
            for sp, dp, a, b in tshark_fields(path, fields, "-Y", "http.request")}
    ours, err = our_protocols(path)
    c.check("rtsp.pcap: tshark sees 3 RTSP connections and 1 HTTP one",
            len(rtsp) == 3 and len(http) == 1 and not rtsp & http, "%s %s" % (rtsp, http))
    c.check("rtsp.pcap: no RTSP connection gets one of the six protocols",
            ours is not None and not any(k in ours for k in rtsp),
            err or str([(k, ours[k]["proto"]) for k in rtsp if k in ours]))
    c.check("rtsp.pcap: the absolute-form request through the proxy is HTTP",
            ours is not None and all(ours.get(k, {}).get("proto") == "http" for k in http),
            err or str(ours))


def check_seventh_model(c):
    """A model file added to a copy of models/ works without recompiling; a flow that
    two models select names the first (load order) and lists the other."""
    import json
    import shutil
    from common import ROOT, tmpdir
    d = tmpdir("models")
    for f in glob.glob(os.path.join(ROOT, "models", "*.json")):
        shutil.copy(f, d)
    labua = {"info": {"abbreviation": "labua"},
             "metadata": {"ether-types": ["0x0800", "0x86DD"], "ip-protocols": [6],
                          "server-port": {"port": [8080]}},
             "contents": {"request": {"matchers": [{"id": 1, "matcher-type": "matcher:regex",
                                                    "matcher-pattern": {"pattern": "\\r\\nUser-Agent: protolens-lab/"}}],
                                      "eval": "1"},
                          "protocol": "request"}}
    with open(os.path.join(d, "zz-labua.json"), "w") as f:
        json.dump(labua, f)
    ours, err = our_protocols(trace("lab.pcap"), "--models", d)
    want = {("tcp", canon(a, sp, b, dp)) for sp, dp, a, b in
            tshark_fields(trace("lab.pcap"), ["tcp.srcport", "tcp.dstport", "ip.src", "ip.dst"],
                          "-Y", 'http.user_agent == "protolens-lab/1.0"')}
    got = {k for k, f in (ours or {}).items() if "labua" in f.get("also_matched", [])}
    c.check("lab.pcap: a 7th model file loads and matches the flows with its user agent (%d)"
            % len(want), ours is not None and want and got == want, err or "got %s" % got)
    c.check("lab.pcap: those flows are named http (first in load order), labua is listed",
            ours is not None and all(ours[k]["proto"] == "http" for k in got))


def main():
    c = Checks()
    check_seventh_model(c)
    check_against_ndpi(c)
    check_odd_ports(c)
    check_rtsp(c)
    check_published(c)
    c.done()


if __name__ == "__main__":
    main()
