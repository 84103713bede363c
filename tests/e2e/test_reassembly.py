#!/usr/bin/env python3
"""TCP head reassembly in the appliance: the same streams, cut and disordered, give the same
attributes.

    test_reassembly.py PROTOLENS SHARED_DIR SOURCE_ROOT

tests/data/lab.pcap (recorded from real openssl, curl and Python clients and servers) is
rewritten here: every IPv4 TCP segment with more than 24 bytes of payload becomes three
segments sent in the order 2, 1, 1 again (a retransmission), 3, then a segment overlapping
2 and 3 whose bytes are all 0xff (first copy wins: it must change nothing). protolens runs on
both traces; every flow's attributes (TLS, HTTP) must be equal, and the TLS and HTTP flows
must have attributes in both. A second rewrite drops the middle third of every ClientHello
segment: those heads stop at the hole, so their ClientHellos must be marked malformed and
carry no fingerprint (as for ndpi/tls_missing_ch_frag.pcap).
"""
import json
import struct

import common

ck = common.Checks()


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack_from("<I", data)[0]
    if magic != 0xA1B2C3D4:
        raise SystemExit("%s: expected a little-endian microsecond pcap" % path)
    header, off, pkts = data[:24], 24, []
    while off + 16 <= len(data):
        ts_s, ts_us, cap, wire = struct.unpack_from("<IIII", data, off)
        pkts.append([ts_s, ts_us, data[off + 16:off + 16 + cap], wire])
        off += 16 + cap
    return header, pkts


def write_pcap(path, header, pkts):
    with open(path, "wb") as f:
        f.write(header)
        for ts_s, ts_us, frame, _ in pkts:
            f.write(struct.pack("<IIII", ts_s, ts_us, len(frame), len(frame)) + frame)


def checksum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def tcp_parts(frame):
    """(ip header, tcp header, payload) of an untagged Ethernet IPv4 TCP frame, or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[23] != 6:
        return None
    ihl = (frame[14] & 15) * 4
    total = struct.unpack_from("!H", frame, 16)[0]
    ip = frame[14:14 + ihl]
    thl = (frame[14 + ihl + 12] >> 4) * 4
    tcp = frame[14 + ihl:14 + ihl + thl]
    return ip, tcp, frame[14 + ihl + thl:14 + total]


def segment(eth, ip, tcp, seq, payload):
    """A frame carrying payload at seq, with correct lengths and checksums."""
    ip = bytearray(ip)
    struct.pack_into("!H", ip, 2, len(ip) + len(tcp) + len(payload))
    struct.pack_into("!H", ip, 10, 0)
    struct.pack_into("!H", ip, 10, checksum(bytes(ip)))
    tcp = bytearray(tcp)
    struct.pack_into("!I", tcp, 4, seq & 0xFFFFFFFF)
    struct.pack_into("!H", tcp, 16, 0)
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
    struct.pack_into("!H", tcp, 16, checksum(bytes(pseudo) + bytes(tcp) + payload))
    return eth + bytes(ip) + bytes(tcp) + payload


def rewrite(pkts, hole_in_client_hello=False):
    out = []
    for ts_s, ts_us, frame, wire in pkts:
        parts = tcp_parts(frame)
        if parts is None or len(parts[2]) <= 24 or len(frame) != wire:
            out.append([ts_s, ts_us, frame, wire])
            continue
        ip, tcp, payload = parts
        seq = struct.unpack_from("!I", tcp, 4)[0]
        a, b = len(payload) // 3, 2 * len(payload) // 3
        cut = [(seq, payload[:a]), (seq + a, payload[a:b]), (seq + b, payload[b:])]
        if hole_in_client_hello:
            is_ch = payload[0] == 0x16 and len(payload) > 5 and payload[5] == 0x01
            order = [cut[0], cut[2]] if is_ch else cut
        else:
            garbage = (seq + a + 1, b"\xff" * (len(payload) - a - 1))
            order = [cut[1], cut[0], cut[0], cut[2], garbage]
        eth = frame[:14]
        for i, (s, p) in enumerate(order):
            us = ts_us + i
            out.append([ts_s + us // 1000000, us % 1000000, segment(eth, ip, tcp, s, p), 0])
    for p in out:
        p[3] = len(p[2])
    return out


def attrs_by_flow(run):
    """{(orig, resp): {proto: attributes}} for the TLS and HTTP flows of a run."""
    res = {}
    for r in run.flows():
        if r.get("proto") in ("tls", "http"):
            key = ("%s:%s" % (r["orig_h"], r["orig_p"]), "%s:%s" % (r["resp_h"], r["resp_p"]))
            res[key] = (r["proto"], r.get(r["proto"]))
    return res


def main():
    header, pkts = read_pcap(common.LAB)
    work = common.tmpdir("reasm")
    cut_path = work + "/cut.pcap"
    hole_path = work + "/hole.pcap"
    write_pcap(cut_path, header, rewrite(pkts))
    write_pcap(hole_path, header, rewrite(pkts, hole_in_client_hello=True))

    runs = common.parallel(common.run_pcap, [common.LAB, cut_path, hole_path])
    for name, r in zip(("lab.pcap", "cut and disordered", "ClientHellos with a hole"), runs):
        ck.check("%s: protolens ran" % name, r.rc == 0, r.describe())
    if any(r.rc != 0 for r in runs):
        ck.done()
    orig, cut, hole = (attrs_by_flow(r) for r in runs)

    ck.check("the rewritten trace has its TLS and HTTP flows (%d)" % len(orig),
             len(orig) >= 8 and set(orig) == set(cut), "lab %d, rewritten %d" % (
                 len(orig), len(cut)))
    for key in sorted(orig):
        proto, a = orig[key]
        both = a and a.get("orig") and a.get("resp")
        ck.check("%s %s -> %s: attributes in both directions in lab.pcap" % (proto, *key),
                 bool(both), json.dumps(a)[:200])
        ck.check("%s %s -> %s: cut, disordered, retransmitted and overlapped segments give "
                 "the same attributes" % (proto, *key), cut.get(key) == orig[key],
                 "lab %s\n     cut %s" % (json.dumps(a)[:300], json.dumps(cut.get(key))[:300]))
    tls = [k for k in orig if orig[k][0] == "tls"]
    for key in sorted(tls):
        ch = ((hole.get(key) or (None, {}))[1] or {}).get("orig") or {}
        hello = ch.get("client_hello", {})
        ck.check("tls %s -> %s: a ClientHello with a hole is malformed, without fingerprints"
                 % key, ch.get("malformed") is True and "ja3" not in hello and
                 "ja4" not in hello, json.dumps(ch)[:300])
    ck.done()


if __name__ == "__main__":
    main()
