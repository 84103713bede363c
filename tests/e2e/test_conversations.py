#!/usr/bin/env python3
"""Per trace, our TCP and UDP flows against tshark (IP reassembly off, so that every
fragment stays in the frame it was captured in):

1. Conversation table `tshark -q -z conv,tcp -z conv,udp`: the same set of 5-tuples
   (unordered endpoints), and per 5-tuple the same frames in each direction. The table's
   "<-" column is frames B -> A, "->" is A -> B (A is the left endpoint). IPv6 endpoints are
   split at the last ':' (tshark always appends ":port"). The table's byte columns are
   rounded for display in tshark 4.0 ("11 kB"), so bytes come from (2).
2. Per-packet fields (`-T fields -e frame.len -e ip.src ... -e udp.dstport`, first
   occurrence = outermost header), summed per direction in Python: exact frames and
   bytes (frame.len: length on the wire, also for snaplen-cut packets) per direction.
   A packet counts for a TCP/UDP 5-tuple when, in frame.protocols, the transport header
   right after its outermost IP header (IPv6 extension headers skipped) is tcp or udp:
   ICMP errors quoting a UDP header are ICMP packets, as for us.

Our records are summed per 5-tuple (protolens runs with 86400 s TCP/UDP timeouts);
our port-less records of non-first IP fragments are left out (tshark, not reassembling,
does not see ports in those fragments either)."""
import re

import common
from common import Checks

c = Checks()

# Tunnels protolens decapsulates: (trace, outer conversation, inner conversation). tshark's
# table lists both; its per-packet rows (outermost headers) the outer one only; protolens
# tracks the inner one only, with the outer frames' counts. Each is checked to still happen
# exactly so (a stale entry fails, to be removed).
TUNNELLED = {
    # every frame: eth:ip:udp:gtp:ip:tcp, a GTP-U G-PDU on udp/2152 (lib/pkt/pkt.c)
    ("ndpi/ja3_lots_of_cipher_suites_2_anon.pcap",
     ("udp", (("132.190.244.12", 2152), ("151.121.185.44", 2152))),
     ("tcp", (("151.121.193.160", 443), ("192.168.147.177", 58496)))),
}


def conv_table(out):
    """{(transport, (A, B)): {A: frames sent by A, B: frames sent by B}} from tshark's
    conversation tables (the text after the per-packet rows)."""
    res, proto = {}, None
    for line in out.splitlines():
        m = re.match(r"^(TCP|UDP) Conversations", line)
        if m:
            proto = m.group(1).lower()
            continue
        if " <-> " not in line:
            continue
        left, right = line.split(" <-> ")
        toks = right.split()
        # B  frames(B->A) bytes unit  frames(A->B) bytes unit  total...
        ah, ap = left.strip().rsplit(":", 1)
        bh, bp = toks[0].rsplit(":", 1)
        a, b = (common.norm_addr(ah), int(ap)), (common.norm_addr(bh), int(bp))
        e = res.setdefault((proto, common.canon(ah, ap, bh, bp)), {a: 0, b: 0})
        e[b] += int(toks[1])
        e[a] += int(toks[4])
    return res


FIELDS = ["frame.number", "frame.len", "frame.protocols", "ip.src", "ip.dst", "ipv6.src",
          "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]


def outer_transport(protocols):
    """('ip'|'ipv6', 'tcp'|'udp'|other) for the outermost IP header, or None."""
    toks = protocols.split(":")
    for i, t in enumerate(toks):
        if t in ("ip", "ipv6"):
            rest = [x for x in toks[i + 1:] if not x.startswith("ipv6.")]
            return t, (rest[0] if rest else "")
    return None


def per_packet(rows):
    """{(transport, (A, B)): {A: [frames, bytes], B: [frames, bytes]}} from tshark's
    per-packet rows."""
    res = {}
    for line in rows:
        f = dict(zip(FIELDS, line.split("\t")))
        ot = outer_transport(f["frame.protocols"])
        if ot is None or ot[1] not in ("tcp", "udp"):
            continue
        l3, l4 = ot
        src, dst = f[l3 + ".src"], f[l3 + ".dst"]
        sp, dp = f[l4 + ".srcport"], f[l4 + ".dstport"]
        if not (src and dst and sp and dp):
            raise RuntimeError("frame %s: %s without addresses or ports"
                               % (f["frame.number"], f["frame.protocols"]))
        key = (l4, common.canon(src, sp, dst, dp))
        s, d = (common.norm_addr(src), int(sp)), (common.norm_addr(dst), int(dp))
        e = res.setdefault(key, {s: [0, 0], d: [0, 0]})
        e[s][0] += 1
        e[s][1] += int(f["frame.len"])
    return res


def fmt(k):
    (a, pa), (b, pb) = k[1]
    return "%s %s:%d <-> %s:%d" % (k[0], a, pa, b, pb)


def one(path):
    run = common.run_pcap(path, "--tcp-timeout", "86400", "--udp-timeout", "86400")
    # One tshark pass: per-packet rows first, then the conversation tables.
    out = common.tshark(path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f",
                        *[a for f in FIELDS for a in ("-e", f)],
                        "-z", "conv,tcp", "-z", "conv,udp", defrag=False)
    end = out.find("\n=====")
    end = len(out) if end < 0 else end
    rows, tables = out[:end].splitlines(), out[end:]
    return path, run, conv_table(tables), per_packet(rows)


for path, run, table, pkts in common.parallel(one, common.all_traces()):
    name = common.rel(path)
    if not c.check("%s: exit 0" % name, run.rc == 0, run.describe()):
        continue
    flows = run.flows()
    ours = common.by_five_tuple(flows)
    tunnels = [(o, i) for (t, o, i) in TUNNELLED if t == name]
    for o, i in tunnels:
        happens = (o in table and o in pkts and o not in ours and i in table
                   and i not in pkts and i in ours)
        c.check("%s: tunnel %s carries %s: ours is the inner flow" % (name, fmt(o), fmt(i)),
                happens, "stale: remove it from TUNNELLED")
        if happens:
            sums = [sum(d[ep][j] for ep in k[1]) for d, k in ((ours[i], i), (pkts[o], o))
                    for j in (0, 1)]
            c.check("%s: %s has the tunnel's frames and bytes" % (name, fmt(i)),
                    sums[:2] == sums[2:], "ours %s, tshark %s" % (sums[:2], sums[2:]))
    outer = {o for o, _ in tunnels}
    inner = {i for _, i in tunnels}

    only_tshark = sorted(set(table) - set(ours) - outer)
    only_ours = sorted(set(ours) - set(table))
    c.check("%s: same %d TCP/UDP 5-tuples as tshark's conversation table"
            % (name, len(table) - len(outer)), not only_tshark and not only_ours,
            "only in tshark: %s; only in ours: %s"
            % ([fmt(k) for k in only_tshark[:5]], [fmt(k) for k in only_ours[:5]]))
    c.check("%s: per-packet 5-tuples == conversation table 5-tuples (oracle sanity)" % name,
            set(pkts) == set(table) - inner,
            "differ: %s" % [fmt(k) for k in set(pkts) ^ (set(table) - inner)])

    bad_frames, bad_bytes = [], []
    for k in sorted(set(ours) & set(table)):
        for ep in k[1]:
            if ours[k][ep][0] != table[k][ep]:
                bad_frames.append("%s from %s:%d: tshark %d, ours %d"
                                  % (fmt(k), ep[0], ep[1], table[k][ep], ours[k][ep][0]))
        if k not in pkts:
            continue
        for ep in k[1]:
            if ours[k][ep] != pkts[k][ep]:
                bad_bytes.append("%s from %s:%d: tshark %s, ours %s (frames, bytes)"
                                 % (fmt(k), ep[0], ep[1], pkts[k][ep], ours[k][ep]))
    c.check("%s: frames per direction == conversation table" % name, not bad_frames,
            "; ".join(bad_frames[:4]) + (" ... %d" % len(bad_frames) if len(bad_frames) > 4 else ""))
    c.check("%s: frames and bytes per direction == tshark per-packet sums" % name, not bad_bytes,
            "; ".join(bad_bytes[:4]) + (" ... %d" % len(bad_bytes) if len(bad_bytes) > 4 else ""))
    if name.startswith("iot-smart-locks/"):
        cut = sum(1 for r in flows if r.get("snaplen_cut"))
        c.check("%s: snaplen-cut trace has snaplen_cut records" % name, cut > 0,
                "no record says snaplen_cut")

c.done()
