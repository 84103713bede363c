#!/usr/bin/env python3
"""tools/proto-table (flows per device and protocol, standard/non-standard port) on the
lab trace, against counts tshark gives for the same trace: TLS and HTTP flows per
client MAC and server port."""
import collections
import os
import subprocess

from common import Checks, ROOT, run_pcap, trace, tshark_fields


def expected(path, filt, port_field):
    """client MAC -> Counter(server port) of the TCP streams matching filt."""
    seen = {}
    for mac, port, stream in tshark_fields(path, ["eth.src", port_field, "tcp.stream"],
                                           "-Y", filt, occurrence="f"):
        seen[stream] = (mac, int(port))
    out = collections.defaultdict(collections.Counter)
    for mac, port in seen.values():
        out[mac][port] += 1
    return out


def cell(counter, std_port, transport="tcp"):
    total = sum(counter.values())
    std = counter[std_port]
    if total == std:
        return str(total)
    others = [p for p, _ in counter.most_common() if p != std_port][:2]
    return "%d (%d/%d %s)" % (total, std, total - std,
                              ", ".join("on %s/%d" % (transport, p) for p in others))


def main():
    c = Checks()
    lab = trace("lab.pcap")
    r = run_pcap(lab)
    c.check("protolens runs on lab.pcap", r.rc == 0, r.describe())
    p = subprocess.run([os.path.join(ROOT, "tools", "proto-table"),
                        os.path.join(r.out, "flows.jsonl")],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    c.check("tools/proto-table exits 0", p.returncode == 0, p.stderr)
    lines = p.stdout.splitlines()
    head = lines[0].split()
    rows = {}
    for line in lines[1:]:
        mac = line.split()[0]
        # columns are separated by two or more spaces; cells may hold single spaces
        rows[mac] = [x.strip() for x in line.split("  ") if x.strip()]
    tls = expected(lab, "tls.handshake.type == 1", "tcp.dstport")
    http = expected(lab, "http.request && tcp", "tcp.dstport")
    for mac in sorted(set(tls) | set(http)):
        row = dict(zip(head, rows.get(mac, [])))
        c.equal("%s TLS cell" % mac, row.get("TLS"), cell(tls[mac], 443))
        c.equal("%s HTTP cell" % mac, row.get("HTTP"), cell(http[mac], 80))
    c.done()


if __name__ == "__main__":
    main()
