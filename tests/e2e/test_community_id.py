#!/usr/bin/env python3
"""community_id of every IP flow equals tshark's Community ID v1 (seed 0):
`tshark --enable-protocol communityid -T fields -e communityid` gives one value per packet.

Packets and our records are matched by flow: TCP/UDP by 5-tuple (unordered endpoints);
ICMP/ICMPv6 by (protocol, unordered addresses), since type/code pairing is exactly what is
under test. Per flow, the set of tshark's values over its packets must equal the set of our
records' values (a 5-tuple gives one value; a host pair can have several ICMP flows)."""
import common
from common import Checks

c = Checks()

TRACES = [
    "lab.pcap",                             # IPv4 + IPv6 TCP/UDP, ICMPv6
    "ndpi/webex.pcap",                      # many TCP/UDP flows
    "zeek/http_methods.pcap",
    "ndpi/http_ipv6.pcap",                  # IPv6 TCP and UDP
    "ndpi/android.pcap",                    # ICMPv6 with a hop-by-hop header
    "iot-smart-locks/ultraloq-hub-01.pcap",  # ICMP echo (tagged and not), port unreachables
]
FIELDS = ["frame.number", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "ip.proto",
          "communityid"]
# our transport names -> tshark's; other IP protocols (IGMP in lab.pcap) are "ipproto-N"
OUR_TRANSPORT = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "icmp6": "icmpv6",
                 "sctp": "ipproto-132"}


def outer(protocols):
    """(l3, l4) of the outermost IP header: l4 is the next header, IPv6 options skipped."""
    toks = protocols.split(":")
    for i, t in enumerate(toks):
        if t in ("ip", "ipv6"):
            rest = [x for x in toks[i + 1:] if not x.startswith("ipv6.")]
            return t, (rest[0] if rest else "")
    return None, None


def flow_key(l4, a, pa, b, pb):
    if l4 in ("tcp", "udp"):
        return (l4, common.canon(a, pa, b, pb))
    # ICMP and others: addresses only
    return (l4, tuple(sorted((common.norm_addr(a), common.norm_addr(b)))))


def tshark_ids(path):
    ids, skipped = {}, 0
    rows = common.tshark_fields(path, FIELDS, "--enable-protocol", "communityid",
                                occurrence="f")
    for row in rows:
        f = dict(zip(FIELDS, row))
        l3, l4 = outer(f["frame.protocols"])
        if l3 == "ip" and l4 not in ("tcp", "udp", "icmp"):
            l4 = "ipproto-" + f["ip.proto"]  # no ports: addresses only
        if not l4 or not f["communityid"]:
            skipped += 1
            continue
        sp = f.get(l4 + ".srcport", "0") or "0"
        dp = f.get(l4 + ".dstport", "0") or "0"
        k = flow_key(l4, f[l3 + ".src"], sp, f[l3 + ".dst"], dp)
        ids.setdefault(k, set()).add(f["communityid"])
    return ids, skipped, len(rows)


def our_ids(flows):
    ids, bad = {}, []
    for r in flows:
        if r["l3"] not in ("ipv4", "ipv6"):
            continue
        cid = r.get("community_id", "")
        if not (isinstance(cid, str) and cid.startswith("1:") and len(cid) == 30):
            bad.append("%s: community_id %r" % (r["uid"], cid))
        t = OUR_TRANSPORT.get(r["transport"])
        if t is None:
            if not r["transport"].isdigit():
                continue
            t = "ipproto-" + r["transport"]
        k = flow_key(t, r["orig_h"], r["orig_p"], r["resp_h"], r["resp_p"])
        ids.setdefault(k, set()).add(cid)
    return ids, bad


def fmt(k):
    if k[0] in ("tcp", "udp"):
        (a, pa), (b, pb) = k[1]
        return "%s %s:%d <-> %s:%d" % (k[0], a, pa, b, pb)
    return "%s %s <-> %s" % (k[0], k[1][0], k[1][1])


def one(name):
    path = common.trace(name)
    return name, common.run_pcap(path), tshark_ids(path)


for name, run, (theirs, skipped, total) in common.parallel(one, TRACES):
    if not c.check("%s: exit 0" % name, run.rc == 0, run.describe()):
        continue
    ours, bad = our_ids(run.flows())
    c.check("%s: every IP record has a v1 community_id" % name, not bad, "; ".join(bad[:5]))
    diff = []
    for k in sorted(set(ours) | set(theirs)):
        if ours.get(k, set()) != theirs.get(k, set()):
            diff.append("%s: tshark %s, ours %s" % (fmt(k), sorted(theirs.get(k, ())),
                                                   sorted(ours.get(k, ()))))
    nproto = {}
    for k in theirs:
        nproto[k[0]] = nproto.get(k[0], 0) + 1
    c.check("%s: community_id == tshark's for %s (%d packets without one, not IP, skipped)"
            % (name, ", ".join("%d %s" % (n, p) for p, n in sorted(nproto.items())), skipped),
            not diff and theirs,
            "; ".join(diff[:5]) + (" ... (%d flows differ)" % len(diff) if len(diff) > 5 else ""))

c.done()
