#!/usr/bin/env python3
"""Idle timeouts run in trace time. With --tcp-timeout 5 --udp-timeout 5 --other-timeout 5,
each TCP/UDP 5-tuple must give one record per run of packets separated by idle gaps.

Oracle: tshark's per-packet timestamps (frame.time_epoch, outermost IP and transport
header) of each 5-tuple. A flow ends once trace time passes last_seen + 5 s, checked at the
timer wheel's 1 s ticks, so it ends somewhere in (last + 5 s, last + 6 s]: a gap > 6 s
must split the flow, a gap < 5 s must not, and a 5-tuple with any gap in [5 s, 6 s] (give
or take 10 ms) is skipped. Likewise the last record of a 5-tuple must say "end":"idle" if
the trace goes on for more than 6 s after its last packet and "shutdown" if for less than
5 s; every earlier record must say "idle".

The 5-tuple includes the innermost VLAN id, except with --ignore-vlan: then a smart-lock
trace, whose router-to-device direction alone is tagged (VLAN 100), must give one record per
run of packets for both directions together, and each record's orig_vlan and resp_vlan must
be the tag tshark shows on that side's packets."""
import common
from common import Checks

c = Checks()

TIMEOUT = 5.0
TICK = 1.0
MARGIN = 0.01
# (trace, workers, key without VLAN): trace time must not depend on how flows are spread
# over workers
RUNS = [("lab.pcap", 1, False), ("iot-lifecycle/xiaodu_plug.pcap", 1, False),
        ("iot-smart-locks/blink-cam-01.pcap", 1, False),
        ("iot-lifecycle/xiaodu_plug.pcap", 2, False),
        ("iot-smart-locks/blink-cam-01.pcap", 1, True),
        ("iot-smart-locks/schlage-lock-01.pcap", 2, True),
        ("iot-smart-locks/schlage-lock-01.pcap", 2, False)]
FIELDS = ["frame.time_epoch", "frame.protocols", "ip.src", "ip.dst", "ipv6.src", "ipv6.dst",
          "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "vlan.id"]


def ambiguous(gap):
    return TIMEOUT - MARGIN <= gap <= TIMEOUT + TICK + MARGIN


def outer(protocols):
    toks = protocols.split(":")
    for i, t in enumerate(toks):
        if t in ("ip", "ipv6"):
            rest = [x for x in toks[i + 1:] if not x.startswith("ipv6.")]
            return t, (rest[0] if rest else "")
    return None, None


def packet_times(path, ignore_vlan):
    """({flow: [(packet's timestamp, trace time then)]}, trace time at the end,
    {(flow, sending endpoint): VLAN ids of its packets}), in trace order. Trace time is the
    latest timestamp seen so far: it never goes back."""
    times, tags, last = {}, {}, 0.0
    for row in common.tshark_fields(path, FIELDS, defrag=False, occurrence="a"):
        # outermost IP and transport header (first occurrence), innermost VLAN tag
        f = {k: v.split(",")[-1 if k == "vlan.id" else 0] for k, v in zip(FIELDS, row)}
        ts = round(float(f["frame.time_epoch"]), 6)  # the pcap PMD gives microseconds
        last = max(last, ts)
        l3, l4 = outer(f["frame.protocols"])
        if l4 not in ("tcp", "udp"):
            continue
        vlan = int(f["vlan.id"] or 0)
        k = (l4, common.canon(f[l3 + ".src"], f[l4 + ".srcport"], f[l3 + ".dst"],
                              f[l4 + ".dstport"]), 0 if ignore_vlan else vlan)
        times.setdefault(k, []).append((ts, last))
        src = (common.norm_addr(f[l3 + ".src"]), int(f[l4 + ".srcport"]))
        tags.setdefault((k, src), set()).add(vlan)
    return times, last, tags


def expected_segments(pkts, trace_end):
    """[(first ts, packets, end)] of the records a flow must give, or None if a gap (or
    the time from its last packet to the end of the trace) is ambiguous. A gap is the trace
    time when a packet comes minus the flow's last activity (its latest timestamp)."""
    segs, first, n, seen = [], pkts[0][0], 0, pkts[0][0]
    for t, now in pkts:
        gap = now - seen
        if ambiguous(gap):
            return None
        if gap > TIMEOUT:
            segs.append((first, n, "idle"))
            first, n = t, 0
        n += 1
        seen = max(seen, t)
    tail = trace_end - seen
    if ambiguous(tail):
        return None
    segs.append((first, n, "idle" if tail > TIMEOUT else "shutdown"))
    return segs


def fmt(k):
    (a, pa), (b, pb) = k[1]
    return "%s %s:%d <-> %s:%d%s" % (k[0], a, pa, b, pb, " vlan %d" % k[2] if k[2] else "")


def one(job):
    name, workers, ignore_vlan = job
    path = common.trace(name)
    run = common.run_pcap(path, "--tcp-timeout", "5", "--udp-timeout", "5",
                          "--other-timeout", "5", "--workers", str(workers),
                          *(["--ignore-vlan"] if ignore_vlan else []))
    return (name + (" --workers %d" % workers if workers > 1 else "")
            + (" --ignore-vlan" if ignore_vlan else ""), run, ignore_vlan,
            packet_times(path, ignore_vlan))


for name, run, ignore_vlan, (times, trace_end, tags) in common.parallel(one, RUNS):
    if not c.check("%s: exit 0" % name, run.rc == 0, run.describe()):
        continue
    ours = {}
    for r in run.flows():
        if r.get("transport") in ("tcp", "udp") and not common.is_port_less_fragment(r):
            k = (r["transport"], common.canon(r["orig_h"], r["orig_p"], r["resp_h"], r["resp_p"]),
                 r.get("vlan", 0))
            ours.setdefault(k, []).append(r)
    c.check("%s: same TCP/UDP 5-tuples (and VLAN IDs) as tshark" % name, set(ours) == set(times),
            "only tshark: %s; only ours: %s" % ([fmt(k) for k in set(times) - set(ours)][:5],
                                               [fmt(k) for k in set(ours) - set(times)][:5]))
    checked = skipped = splits = 0
    bad_count, bad_end = [], []
    for k in sorted(set(ours) & set(times)):
        segs = expected_segments(times[k], trace_end)
        if segs is None:
            skipped += 1
            continue
        checked += 1
        splits += len(segs) - 1
        recs = sorted(ours[k], key=lambda r: r["ts"])
        got = [(round(r["ts"], 6), r["orig_pkts"] + r["resp_pkts"]) for r in recs]
        want = [(round(s[0], 6), s[1]) for s in segs]
        if got != want:
            bad_count.append("%s: expected %d record(s) (first ts, packets) %s, got %d: %s"
                             % (fmt(k), len(want), want[:4], len(got), got[:4]))
            continue
        ends = [r["end"] for r in recs]
        if ends != [s[2] for s in segs]:
            bad_end.append("%s: expected end %s, got %s" % (fmt(k), [s[2] for s in segs], ends))
    c.check("%s: records per 5-tuple follow the idle gaps (%d 5-tuples checked, %d expected "
            "splits, %d skipped as ambiguous)" % (name, checked, splits, skipped),
            not bad_count and checked > 0,
            "%d differ: %s" % (len(bad_count), "; ".join(bad_count[:3])))
    c.check("%s: end is idle for timed-out records, shutdown for flows open at the end" % name,
            not bad_end, "%d differ: %s" % (len(bad_end), "; ".join(bad_end[:3])))
    if not ignore_vlan:
        continue
    # Each side's tag: tshark's, where all that side's packets of the 5-tuple have one.
    sides = bad_tag = both = 0
    wrong = []
    for k, recs in ours.items():
        for r in recs:
            tagged = 0
            for side in ("orig", "resp"):
                end = (common.norm_addr(r[side + "_h"]), int(r[side + "_p"]))
                ids = tags.get((k, end), set())
                if r[side + "_pkts"] == 0 or len(ids) != 1:
                    continue
                sides += 1
                want = next(iter(ids))
                tagged += want != 0
                if r.get(side + "_vlan", 0) != want or "vlan" in r:
                    bad_tag += 1
                    wrong.append("%s: %s side tagged %d, record says %s" % (
                        fmt(k), side, want, {x: r[x] for x in r if "vlan" in x}))
            both += tagged == 1 and r["orig_pkts"] > 0 and r["resp_pkts"] > 0
    c.check("%s: orig_vlan and resp_vlan are each side's tag (%d sides checked, %d records "
            "join a tagged and an untagged direction)" % (name, sides, both),
            sides > 0 and both > 0 and not bad_tag,
            "%d differ: %s" % (bad_tag, "; ".join(wrong[:3])))

c.done()
