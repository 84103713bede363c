#!/usr/bin/env python3
"""Accounting is exact on every trace: packets received equal libpcap's count, every
received packet is decoded or counted undecodable, every decoded packet reaches a worker
or is a counted ring drop, every flow created ends in exactly one valid JSON record.

Oracle: libpcap's packet count (common.libpcap_count: `tcpdump -r F -w -` re-emitted as a
classic pcap stream whose record headers are walked, so no text output is parsed)."""
import json

import common
from common import Checks

c = Checks()

# Traces run again with two workers (the RX lcore spreads flows over two rings).
TWO_WORKERS = ["lab.pcap", "ndpi/webex.pcap", "ndpi/http_ipv6.pcap", "ndpi/1kxun.pcap",
               "iot-smart-locks/blink-cam-01.pcap"]


def check_run(name, path, run, expected):
    s = run.summary() if run.rc == 0 else None
    if not c.check("%s: exit 0" % name, run.rc == 0, run.describe()):
        return
    p, fl = s["packets"], s["flows"]
    c.check("%s: received == trace_packets == libpcap count" % name,
            p["received"] == s["trace_packets"] == expected,
            "libpcap %s, received %s, trace_packets %s"
            % (expected, p["received"], s["trace_packets"]))
    by_reason = sum(p["undecodable_by"].values())
    c.check("%s: received == decoded + undecodable (== sum by reason)" % name,
            p["received"] == p["decoded"] + p["undecodable"] and by_reason == p["undecodable"],
            "received %d, decoded %d, undecodable %d, sum of undecodable_by %d"
            % (p["received"], p["decoded"], p["undecodable"], by_reason))
    c.check("%s: decoded == to_workers + ring_drops" % name,
            p["decoded"] == p["to_workers"] + p["ring_drops"],
            "decoded %d, to_workers %d, ring_drops %d"
            % (p["decoded"], p["to_workers"], p["ring_drops"]))
    c.check("%s: no ring drops, no rx_nombuf, no dropped records" % name,
            p["ring_drops"] == 0 and p["rx_nombuf"] == 0 and fl["records_dropped"] == 0,
            "ring_drops %d, rx_nombuf %d, records_dropped %d"
            % (p["ring_drops"], p["rx_nombuf"], fl["records_dropped"]))
    lines = run.flow_lines()
    c.check("%s: flows created == ended == records_written == lines" % name,
            fl["created"] == fl["ended"] == fl["records_written"] == len(lines),
            "created %d, ended %d, records_written %d, lines %d"
            % (fl["created"], fl["ended"], fl["records_written"], len(lines)))
    bad, recs = [], []
    for i, line in enumerate(lines, 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            bad.append("line %d: %s" % (i, e))
            continue
        recs.append(r)
        bad += ["line %d: %s" % (i, x) for x in common.record_problems(r)]
    c.check("%s: every record is valid JSON with the documented keys" % name, not bad,
            "; ".join(bad[:5]) + (" ... (%d problems)" % len(bad) if len(bad) > 5 else ""))
    # Every packet a worker got is in exactly one record, or counted untracked.
    in_records = sum(r["orig_pkts"] + r["resp_pkts"] for r in recs)
    c.check("%s: packets in records + untracked == to_workers" % name,
            in_records + fl["untracked_packets"] == p["to_workers"],
            "in records %d, untracked %d, to_workers %d"
            % (in_records, fl["untracked_packets"], p["to_workers"]))
    l2 = sum(r["orig_pkts"] + r["resp_pkts"] for r in recs if r["l3"] == "l2")
    c.check("%s: non-IP packets by MAC sum to the l2 records' packets" % name,
            sum(s["non_ip_packets_by_mac"].values()) == l2,
            "non_ip_packets_by_mac sums to %d, l2 records hold %d"
            % (sum(s["non_ip_packets_by_mac"].values()), l2))


def one(job):
    path, workers = job
    expected, err = common.libpcap_count(path)
    extra = ["--workers", str(workers)] if workers > 1 else []
    return path, workers, expected, err, common.run_pcap(path, *extra)


jobs = [(t, 1) for t in common.all_traces()]
jobs += [(common.trace(t), 2) for t in TWO_WORKERS]
for path, workers, expected, err, run in common.parallel(one, jobs):
    name = common.rel(path) + (" (--workers %d)" % workers if workers > 1 else "")
    if not c.check("%s: libpcap reads it" % name, expected is not None, err or ""):
        continue
    check_run(name, path, run, expected)

# The empty trace is no trace: refused before EAL starts (details in test_bad_input).
r = common.run_pcap(common.EMPTY_TRACE)
c.check("%s: refused (exit 1)" % common.rel(common.EMPTY_TRACE), r.rc == 1, r.describe())

c.done()
