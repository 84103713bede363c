#!/usr/bin/env python3
"""Attributes in flows.jsonl for HTTP, DNS, NTP, DHCP, SSDP and ARP, against tshark.

    test_flow_attrs.py PROTOLENS SHARED_DIR SOURCE_ROOT

protolens runs on every trace; each direction of a flow it labels with one of the five
protocols carries the attributes of that direction's first message (a UDP direction's first
datagram, a TCP direction's reassembled head). For each such direction the first frame of
the flow in that direction that tshark decodes as the protocol is found (same endpoints,
within the flow's time span), and the identifying attributes are compared with tshark's
fields of that frame. Every attribute of every message is compared, through the harnesses,
by test_attrs_plain.py: this test checks what the appliance adds, that the right bytes reach
the dissector and that the attributes reach the flow record, in the right direction.
SSDP's ip_ttl, which the appliance adds, is compared with the frame's ip.ttl or ipv6.hlim.

Every datagram of a UDP direction is dissected up to --udp-messages (16): the record's
orig_messages and resp_messages must be the direction's datagrams with a payload, at most 16,
when tshark decodes every one of them as the protocol. Each L2 flow of ARP frames carries
"arp" attributes: its directions' first frames are compared with tshark's arp.opcode,
arp.src.hw_mac, arp.src.proto_ipv4, arp.dst.hw_mac, arp.dst.proto_ipv4 and arp.isgratuitous,
and their message counts with the frames tshark sees (at most 16); the lab trace and one smart
lock trace run again with --udp-messages 65535, where every ARP frame counts.

With the published ProtoIoT models (`--models ../shared/protoiot/models`), whose
`attributes` sections are evaluated by the appliance (hex byte strings, as the paper's tables
give them), the model attributes of each direction are compared with tshark's fields of the
same frame, and their credential attribute must be hashed, never in clear.

Also: no credential of the lab trace appears in clear in any output file; the summary
accounts for every dissected direction.
"""
import base64
import collections
import ipaddress
import json
import os
import re

import common

ck = common.Checks()

# tshark fields per frame, keyed by name; "proto" tells which protocol decoded the frame.
FIELDS = ["frame.number", "frame.time_epoch", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
          "tcp.srcport", "udp.srcport", "tcp.dstport", "udp.dstport", "frame.protocols",
          "dns.id", "dns.flags.response", "dns.qry.name", "dns.qry.type",
          "ntp.flags", "ntp.flags.vn", "ntp.flags.mode", "ntp.stratum",
          "dhcp.id", "dhcp.option.dhcp", "dhcp.option.hostname",
          "http.request.method", "http.request.uri", "http.host", "http.response.code",
          "ip.ttl", "ipv6.hlim", "udp.length", "eth.src", "eth.dst", "arp.opcode",
          "arp.src.hw_mac", "arp.src.proto_ipv4", "arp.dst.hw_mac", "arp.dst.proto_ipv4",
          "arp.isgratuitous", "vlan.id"]

# Which tshark protocol layer holds each of ours.
LAYER = {"dns": ("dns", "mdns"), "ntp": ("ntp",), "dhcp": ("dhcp",), "ssdp": ("ssdp",),
         "http": ("http",)}


def endpoint(addr, port):
    return "%s:%s" % (ipaddress.ip_address(addr).compressed, port)


UDP_MESSAGES = 16  # the default --udp-messages


def all_frames(path):
    rows = common.tshark_fields(path, FIELDS, "-o", "tcp.desegment_tcp_streams:TRUE",
                                occurrence="f")
    out = []
    for r in rows:
        f = dict(zip(FIELDS, r))
        f["layers"] = set(f["frame.protocols"].split(":"))
        out.append(f)
    return out


def arp_frames(fr):
    """The ARP frames with an Ethernet header (the only ones protolens decodes)."""
    return [f for f in fr if "arp" in f["layers"] and f["eth.src"]]


def frames(path, fr=None):
    out = []
    for f in fr if fr is not None else all_frames(path):
        src = f["ip.src"] or f["ipv6.src"]
        dst = f["ip.dst"] or f["ipv6.dst"]
        sp = f["tcp.srcport"] or f["udp.srcport"]
        dp = f["tcp.dstport"] or f["udp.dstport"]
        if not (src and dst and sp and dp):
            continue
        f["src"], f["dst"] = endpoint(src, sp), endpoint(dst, dp)
        out.append(f)
    return out


def tnum(v):
    if v == "":
        return None
    return int(v, 16) if v.startswith("0x") else int(v)


def expect(proto, f, ours):
    """[(attribute, ours, tshark's)] for the identifying attributes of one message."""
    if proto == "dns":
        q = (ours.get("questions") or [{}])[0]
        return [("id", ours.get("id"), tnum(f["dns.id"])),
                ("qr", ours.get("qr"), f["dns.flags.response"] in ("1", "True")),
                ("questions[0].name", q.get("name"), f["dns.qry.name"] or None),
                ("questions[0].type", q.get("type"), tnum(f["dns.qry.type"]))]
    if proto == "ntp":
        return [("version", ours.get("version"), tnum(f["ntp.flags.vn"])),
                ("mode", ours.get("mode"), tnum(f["ntp.flags.mode"])),
                ("stratum", ours.get("stratum"), tnum(f["ntp.stratum"]))]
    if proto == "dhcp":
        # We keep every byte as sent (docs/attrs/dhcp.md); tshark's string stops at a NUL.
        host = ours.get("hostname")
        return [("xid", ours.get("xid"), tnum(f["dhcp.id"])),
                ("message_type_code", ours.get("message_type_code"),
                 tnum(f["dhcp.option.dhcp"])),
                ("hostname", host.split("\x00")[0] if host else host,
                 f["dhcp.option.hostname"] or None)]
    if proto == "http" and f["http.response.code"]:
        return [("status_code", ours.get("status_code"), tnum(f["http.response.code"]))]
    # HTTP requests and SSDP (which tshark decodes with its HTTP fields); the URI may be
    # redacted by us (secrets in query strings), so only its path before any '?' counts.
    uri = ours.get("uri")
    out = [("method", ours.get("method"), f["http.request.method"] or None),
           ("uri path", uri.split("?")[0] if uri else uri,
            f["http.request.uri"].split("?")[0] or None),
           ("host", ours.get("host"), f["http.host"] or None)]
    if proto == "ssdp":  # added by the appliance from the IP header, not the dissector
        out.append(("ip_ttl", ours.get("ip_ttl"), tnum(f["ip.ttl"] or f["ipv6.hlim"])))
    return out


PUBLISHED_TRACES = ["lab.pcap", "zeek/wikipedia.pcap",
                    "zeek/dhcp_dhcp.pcap", "ndpi/http_auth.pcap", "ndpi/tls_2_reasms.pcapng"]

TLS_FIELDS = ["frame.number", "tls.handshake.type", "tls.handshake.version",
              "tls.handshake.ciphersuite"]


def hex_of(v, width):
    """tshark's 0x-number as the model's hex byte string."""
    return "%0*x" % (width, tnum(v)) if v else None


def expect_model(proto, side, f, tls, ours):
    """[(attribute, ours, tshark's)] for the published model's attributes of one message."""
    if proto == "dns":
        return [("transaction id", ours.get("transaction id"), hex_of(f["dns.id"], 4))]
    if proto == "dhcp" and side == "orig" and f["dhcp.option.dhcp"] in ("1", "3"):
        host = f["dhcp.option.hostname"]
        # the published tag pattern '0c [00 - 0E]' admits host names of at most 14 bytes
        want = host.encode().hex() if host and len(host) <= 14 else None
        return [("xid", ours.get("xid"), hex_of(f["dhcp.id"], 8)),
                ("host name", ours.get("host name"), None if want is None else
                 bytes.fromhex(want).decode())]
    if proto == "ntp" and f["ntp.flags"]:
        name = "client version" if side == "orig" else "server version"
        return [(name, ours.get(name), hex_of(f["ntp.flags"], 2))]
    if proto == "http" and f["http.request.method"]:
        return [("method", ours.get("method"), f["http.request.method"]),
                ("host", ours.get("host"), f["http.host"] or None)]
    if proto == "tls" and tls:
        if tls["tls.handshake.type"].split(",")[0] == "1":
            return [("client-hello-version", ours.get("client-hello-version"),
                     hex_of(tls["tls.handshake.version"].split(",")[0], 4)),
                    ("client-hello-cipher-suites", ours.get("client-hello-cipher-suites"),
                     "".join("%04x" % tnum(c) for c in
                             tls["tls.handshake.ciphersuite"].split(",")))]
        if tls["tls.handshake.type"].split(",")[0] == "2":
            return [("server-hello-cipher-suite", ours.get("server-hello-cipher-suite"),
                     hex_of(tls["tls.handshake.ciphersuite"].split(",")[0], 4))]
    return []


def check_published(rel):
    path = common.trace(rel)
    models = os.path.join(common.SHARED, "protoiot", "models")
    r = common.run_pcap(path, "--models", models, timeout=300)
    if not ck.check("%s, published models: protolens ran" % rel, r.rc == 0, r.describe()):
        return
    fr = frames(path)
    tls = {row[0]: dict(zip(TLS_FIELDS, row)) for row in
           common.tshark_fields(path, TLS_FIELDS, "-Y", "tls.handshake.type <= 2")}
    bad, compared = [], collections.Counter()
    for x in r.flows():
        proto = x.get("proto")
        if not proto or not isinstance(x.get(proto), dict):
            continue
        o, d = endpoint(x["orig_h"], x["orig_p"]), endpoint(x["resp_h"], x["resp_p"])
        t0, t1 = x["ts"], x["ts"] + x["duration"]
        for side, (s_, t) in (("orig", (o, d)), ("resp", (d, o))):
            ours = (x[proto].get(side) or {}).get("model")
            if not ours:
                continue
            if proto == "http" and "authentication_credential" in ours:
                cred = ours["authentication_credential"]
                compared["credential"] += 1
                if not (isinstance(cred, dict) and cred.get("present") is True and
                        re.fullmatch(r"[0-9a-f]{8}", cred.get("hash", ""))):
                    bad.append("authentication_credential not hashed: %r" % cred)
            layers = set(LAYER.get(proto, ())) | ({"tls"} if proto == "tls" else set())
            first = next((f for f in fr if f["src"] == s_ and f["dst"] == t and
                          t0 - 1e-6 <= float(f["frame.time_epoch"]) <= t1 + 1e-6 and
                          f["layers"] & layers), None)
            if first is None:
                continue
            for attr, a, b in expect_model(proto, side, first, tls.get(first["frame.number"]),
                                           ours):
                compared[proto] += 1
                if a != b:
                    bad.append("%s %s->%s frame %s %s: ours %r, tshark %r" % (
                        proto, s_, t, first["frame.number"], attr, a, b))
    ck.check("%s, published models: model attributes agree with tshark (%s)" % (
        rel, ", ".join("%s %d" % kv for kv in sorted(compared.items())) or "none compared"),
        bool(compared) and not bad, "; ".join(bad[:8]))


def attr_objects(flows):
    """(record, name) of each record's attributes: the detected protocol's, or ARP's."""
    for x in flows:
        name = "arp" if "arp" in x else x.get("proto")
        if name and isinstance(x.get(name), dict):
            yield x, name


def in_span(f, x):
    """Whether frame f can be part of record x: its time and VLAN (a mirror port may tag
    one direction only, which makes two flows)."""
    return (x["ts"] - 1e-6 <= float(f["frame.time_epoch"]) <= x["ts"] + x["duration"] + 1e-6
            and int(f["vlan.id"] or 0) == x.get("vlan", 0))


def tflag(v):
    return v in ("1", "True", "true")


def check_counts(name, flows, cap, fr):
    """Each direction with attributes says how many messages it had: 1 to the cap; a TCP
    direction one head (TLS, DNS) or, for HTTP, its whole messages: at most as many as
    tshark decodes in that direction of the connection."""
    http = {}
    for f in frames(None, fr):
        if "http" in f["layers"] and "tcp" in f["layers"] and (
                f["http.request.method"] or f["http.response.code"]):
            k = (f["src"], f["dst"])
            http[k] = http.get(k, 0) + 1
    bad = []
    for x, n in attr_objects(flows):
        o = d = None
        if x.get("l3") != "l2":
            o, d = endpoint(x["orig_h"], x["orig_p"]), endpoint(x["resp_h"], x["resp_p"])
        for side in ("orig", "resp"):
            k = x[n].get(side + "_messages")
            limit = cap
            if x.get("transport") == "tcp":
                limit = min(cap, http.get((o, d) if side == "orig" else (d, o), 1)) \
                    if n == "http" else 1
            if (side in x[n]) != (k is not None) or (k is not None and not 1 <= k <= limit):
                bad.append("%s %s %s: %s_messages %r (at most %d)" % (
                    x["uid"], n, side, side, k, limit))
    ck.check("%s: every direction with attributes counts 1 to %d messages (TCP: 1 head, "
             "HTTP: at most tshark's)" % (name, cap), not bad, "; ".join(bad[:8]))


def check_udp_counts(name, recs, fr, cap):
    """A UDP direction's messages are its datagrams with a payload, at most cap, where
    tshark decodes every datagram of the flow as the protocol (so that the first one
    classified it and the dissector recognises each)."""
    bad, compared = [], 0
    for x in recs:
        proto = x["proto"]
        if x.get("transport") != "udp" or x.get("fragments"):
            continue
        o, d = endpoint(x["orig_h"], x["orig_p"]), endpoint(x["resp_h"], x["resp_p"])
        both = [f for f in fr if {f["src"], f["dst"]} == {o, d} and in_span(f, x) and
                tnum(f["udp.length"]) and tnum(f["udp.length"]) > 8]
        if not both or not all(f["layers"] & set(LAYER[proto]) for f in both):
            continue
        for side, (s, t) in (("orig", (o, d)), ("resp", (d, o))):
            n = sum(1 for f in both if f["src"] == s and f["dst"] == t)
            compared += 1
            got = x[proto].get(side + "_messages", 0)
            if got != min(cap, n):
                bad.append("%s %s->%s: %s_messages %r, tshark %d datagrams" % (
                    proto, s, t, side, got, n))
    ck.check("%s: %d UDP directions' message counts agree with tshark's datagrams" % (
        name, compared), not bad, "; ".join(bad[:8]) + (
            " (+%d)" % (len(bad) - 8) if len(bad) > 8 else ""))


def check_arp(name, flows, arps, cap):
    """Every L2 ARP flow carries arp attributes; each direction's first frame and its
    number of frames (at most cap) agree with tshark."""
    by_dir = collections.defaultdict(list)
    for f in arps:
        by_dir[(f["eth.src"], f["eth.dst"])].append(f)
    recs = [x for x in flows if x.get("l3") == "l2" and x.get("ether_type") == 0x0806]
    bad, compared = [], 0
    for x in recs:
        ours_all = x.get("arp")
        if not isinstance(ours_all, dict):
            bad.append("%s: ARP flow without arp attributes" % x["uid"])
            continue
        om, rm = x["orig_mac"], x["resp_mac"]
        if om == rm:
            continue  # one MAC on both sides: its directions cannot be told apart here
        for side, key in (("orig", (om, rm)), ("resp", (rm, om))):
            dirf = [f for f in by_dir.get(key, ()) if in_span(f, x)]
            ours = ours_all.get(side)
            if not dirf:
                if ours is not None:
                    bad.append("%s %s: attributes, but tshark sees no ARP frame" % (
                        x["uid"], side))
                continue
            f = dirf[0]
            if ours is None:
                bad.append("%s %s: no attributes for frame %s" % (
                    x["uid"], side, f["frame.number"]))
                continue
            compared += 1
            for attr, a, b in (
                    ("op", ours.get("op"), tnum(f["arp.opcode"])),
                    ("sender_mac", ours.get("sender_mac"), f["arp.src.hw_mac"] or None),
                    ("sender_ip", ours.get("sender_ip"), f["arp.src.proto_ipv4"] or None),
                    ("target_mac", ours.get("target_mac"), f["arp.dst.hw_mac"] or None),
                    ("target_ip", ours.get("target_ip"), f["arp.dst.proto_ipv4"] or None),
                    ("gratuitous", ours.get("gratuitous", False),
                     tflag(f["arp.isgratuitous"])),
                    (side + "_messages", ours_all.get(side + "_messages"),
                     min(cap, len(dirf)))):
                if a != b:
                    bad.append("%s->%s frame %s %s: ours %r, tshark %r" % (
                        key[0], key[1], f["frame.number"], attr, a, b))
    ck.check("%s: %d ARP flows, %d directions agree with tshark's %d ARP frames" % (
        name, len(recs), compared, len(arps)), not bad,
        "; ".join(bad[:8]) + (" (+%d)" % (len(bad) - 8) if len(bad) > 8 else ""))


def check_trace(path, *extra):
    name = common.rel(path) + "".join(" " + a for a in extra)
    cap = (int(extra[extra.index("--udp-messages") + 1]) if "--udp-messages" in extra
           else UDP_MESSAGES)
    r = common.run_pcap(path, *extra, timeout=300)
    if not ck.check("%s: protolens ran" % name, r.rc == 0, r.describe()):
        return None
    flows = r.flows()
    recs = [x for x in flows if x.get("proto") in LAYER and x.get(x["proto"])]
    summary = r.summary()
    messages = sum(x[n].get("orig_messages", 0) + x[n].get("resp_messages", 0)
                   for x, n in attr_objects(flows))
    ck.equal("%s: summary's dissected messages = the records' message counts" % name,
             summary["attributes"]["dissected"] - summary["attributes"]["without_record"],
             messages)
    everything = all_frames(path)
    check_counts(name, flows, cap, everything)
    has_arp = any(x.get("l3") == "l2" and x.get("ether_type") == 0x0806 for x in flows)
    if not recs and not has_arp:
        return r
    if has_arp:
        check_arp(name, flows, arp_frames(everything), cap)
    if not recs:
        return r
    fr = frames(path, everything)
    check_udp_counts(name, recs, fr, cap)
    bad = []
    compared = collections.Counter()
    for x in recs:
        proto = x["proto"]
        o, d = endpoint(x["orig_h"], x["orig_p"]), endpoint(x["resp_h"], x["resp_p"])
        for side, (s, t) in (("orig", (o, d)), ("resp", (d, o))):
            ours = x[proto].get(side)
            if ours is None:
                continue
            first = next((f for f in fr if f["src"] == s and f["dst"] == t and
                          in_span(f, x) and f["layers"] & set(LAYER[proto])), None)
            if first is None:
                # tshark does not decode the protocol there (a port it does not watch):
                # nothing to compare with, which the harness test covers by content.
                continue
            compared[proto] += 1
            for attr, a, b in expect(proto, first, ours):
                if a != b:
                    bad.append("%s %s->%s frame %s %s: ours %r, tshark %r" % (
                        proto, s, t, first["frame.number"], attr, a, b))
    ck.check("%s: %s directions agree with tshark" % (
        name, ", ".join("%s %d" % kv for kv in sorted(compared.items())) or "no"),
        not bad, "; ".join(bad[:8]) + (" (+%d)" % (len(bad) - 8) if len(bad) > 8 else ""))
    return r


# Again with no practical cap: every datagram and every ARP frame counts.
UNCAPPED_TRACES = ["lab.pcap", "iot-smart-locks/schlage-lock-01.pcap", "ndpi/ssdp-m-search.pcap"]


def main():
    runs = dict(zip(common.all_traces(), common.parallel(check_trace, common.all_traces())))
    common.parallel(check_published, PUBLISHED_TRACES)
    common.parallel(lambda rel: check_trace(common.trace(rel), "--udp-messages", "65535"),
                    UNCAPPED_TRACES)

    # The lab trace was recorded for this: every plain protocol has attributes.
    lab = runs.get(common.LAB)
    if lab is not None and lab.rc == 0:
        protos = {x["proto"] for x in lab.flows() if x.get("proto") and x.get(x["proto"])}
        for p in ("http", "dns", "ntp", "dhcp", "ssdp", "tls"):
            ck.check("lab.pcap: %s flows carry attributes" % p, p in protos, sorted(protos))
        ck.check("lab.pcap: ARP flows carry attributes",
                 any(x.get("arp") for x in lab.flows()))
        basic = [x for x in lab.flows() if x.get("proto") == "http" and
                 x["http"].get("orig", {}).get("auth_scheme") == "Basic"]
        ck.check("lab.pcap: the Basic-auth request is in a flow record, credential present",
                 any(x["http"]["orig"].get("credential_present") for x in basic),
                 "%d Basic flows" % len(basic))
        with open(os.path.join(common.ROOT, "tests", "data", "README.md")) as f:
            cred = re.search(r"Authorization: Basic` for `([^`]+)`", f.read()).group(1)
        secrets = [cred.encode(), base64.b64encode(cred.encode()),
                   cred.split(":", 1)[1].encode()]
        for fn in sorted(os.listdir(lab.out)):
            with open(os.path.join(lab.out, fn), "rb") as f:
                data = f.read()
            ck.check("lab.pcap: %s holds no credential in clear" % fn,
                     not any(s in data for s in secrets))
    ck.done()


if __name__ == "__main__":
    main()
