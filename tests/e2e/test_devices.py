#!/usr/bin/env python3
"""The device report (devices.json) against tshark and the IEEE registry.

    test_devices.py PROTOLENS SHARED_DIR SOURCE_ROOT

protolens runs on every trace (every UDP datagram dissected: --udp-messages 65535). For
each trace, computed here from tshark's fields of the same trace:
- the devices are the unicast MACs that sent frames (eth.src), plus the clients DHCP names
  (dhcp.hw.mac_addr) and the senders ARP names (arp.src.hw_mac);
- each device's vendor is its longest registered prefix in Debian's ieee-data CSV files
  (MA-S, MA-M, MA-L, read here with Python's csv module), none for locally administered
  MACs;
- the DHCP host names each client sent (option 12 of its BOOTREQUESTs);
- the DNS names each MAC queried, with counts (one per question of each query that tshark
  decodes as DNS, mDNS or LLMNR).
Also: every MAC of iot-smart-locks/labels.tsv whose trace is there is a device with its
labelled address; in the lab trace the client that changed its MAC between DHCP sessions is
one logical device, linked by the host name tshark sees both MACs send; the telemetry
commands answer while protolens replays a trace.
"""
import collections
import csv
import ipaddress
import json
import os
import signal
import subprocess
import time

import common

ck = common.Checks()
IEEE = "/usr/share/ieee-data"
ALL_UDP = ["--udp-messages", "65535"]


def registry():
    """[(hex digits, {assignment: organisation})], longest prefix first; a block listed
    twice keeps its first line."""
    out = []
    for name, digits in (("oui36.csv", 9), ("mam.csv", 7), ("oui.csv", 6)):
        table = {}
        with open(os.path.join(IEEE, name), newline="", encoding="utf-8") as f:
            for row in csv.DictReader(f):
                table.setdefault(row["Assignment"].upper(), row["Organization Name"])
        out.append((digits, table))
    return out


REGISTRY = registry()


def vendor_of(mac):
    if int(mac[:2], 16) & 2:
        return None
    h = mac.replace(":", "").upper()
    for digits, table in REGISTRY:
        if h[:digits] in table:
            return table[h[:digits]]
    return None


def unicast(mac):
    return bool(mac) and not int(mac[:2], 16) & 1 and mac != "00:00:00:00:00:00"


AGG = "\x1f"


def fields(path, names, flt=None):
    args = ["-T", "fields", "-E", "separator=/t", "-E", "aggregator=" + AGG]
    for n in names:
        args += ["-e", n]
    if flt:
        args += ["-Y", flt]
    rows = []
    for line in common.tshark(path, *args).splitlines():
        cols = line.split("\t")
        cols += [""] * (len(names) - len(cols))
        rows.append(cols)
    return rows


def expected(path):
    """What tshark says of a trace's devices."""
    macs = set()
    for src, chaddr, arp in fields(path, ["eth.src", "dhcp.hw.mac_addr", "arp.src.hw_mac"]):
        for m in (src, chaddr, arp):
            for x in m.split(AGG):
                if unicast(x):
                    macs.add(x)
    hostnames = collections.defaultdict(set)
    for chaddr, name in fields(path, ["dhcp.hw.mac_addr", "dhcp.option.hostname"],
                               "dhcp.type == 1"):
        # a field tshark shows twice (DHCP inside a tunnel) is one value
        chaddr, name = chaddr.split(AGG)[0], name.split(AGG)[0]
        if name and unicast(chaddr):
            hostnames[chaddr].add(name)
    queries = collections.Counter()
    for src, names in fields(path, ["eth.src", "dns.qry.name"], "dns.flags.response == 0"):
        if not unicast(src):
            continue
        for n in names.split(AGG):
            if n:
                queries[(src, n)] += 1
    return macs, hostnames, queries


def routers(path):
    """MACs that more than 4 routable source addresses sit behind: routers, whose
    packets from routable addresses are remote hosts', not theirs (docs/output.md)."""
    seen = collections.defaultdict(set)
    for src, a4, a6 in fields(path, ["eth.src", "ip.src", "ipv6.src"]):
        for a in (a4.split(AGG)[0], a6.split(AGG)[0]):
            if a and ipaddress.ip_address(a).is_global:
                seen[src].add(a)
    return {m for m, addrs in seen.items() if len(addrs) > 4}


def values(dev, section, key):
    return {v["value"]: v["count"]
            for v in dev.get("fingerprint", {}).get(section, {}).get(key, [])}


def report(run):
    with open(os.path.join(run.out, "devices.json")) as f:
        return json.load(f)


def check_trace(path):
    name = common.rel(path)
    r = common.run_pcap(path, *ALL_UDP)
    if not ck.check("%s: runs" % name, r.rc == 0, r.describe()):
        return None
    rep = report(r)
    devs = {d["mac"]: d for d in rep["devices"]}
    macs, hostnames, queries = expected(path)
    ck.equal("%s: devices" % name, sorted(devs), sorted(macs))
    ck.equal("%s: devices_count" % name, rep["devices_count"], len(devs))
    ck.equal("%s: vendors" % name,
             {m: d["vendor"] for m, d in devs.items()},
             {m: vendor_of(m) for m in devs})
    ck.equal("%s: DHCP host names" % name,
             {m: set(values(d, "dhcp", "hostnames")) for m, d in devs.items()
              if values(d, "dhcp", "hostnames")},
             dict(hostnames))
    ours = collections.Counter()
    for m, d in devs.items():
        for q, n in values(d, "dns", "queries").items():
            ours[(m, q)] = n
    # A router's own queries and those of remote hosts behind it are told apart
    # only once its MAC has shown a few routable addresses: at most tshark's.
    rt = routers(path)
    diff = {k: (ours.get(k, 0), queries.get(k, 0)) for k in set(ours) | set(queries)
            if ours.get(k, 0) != queries.get(k, 0)
            and not (k[0] in rt and ours.get(k, 0) <= queries.get(k, 0))}
    ck.check("%s: DNS queries per MAC (%d)" % (name, sum(queries.values())), not diff,
             "(ours, tshark): %r" % dict(list(diff.items())[:8]))
    return rep


def labels():
    out = {}
    with open(os.path.join(common.TRACES, "iot-smart-locks", "labels.tsv")) as f:
        for row in csv.DictReader(f, delimiter="\t"):
            out[row["device"]] = row
    return out


def check_labels(reports):
    lab = labels()
    seen = 0
    for path, rep in reports.items():
        if rep is None or "iot-smart-locks" not in path:
            continue
        stem = os.path.splitext(os.path.basename(path))[0]
        if stem not in lab:
            continue
        seen += 1
        want = lab[stem]
        devs = {d["mac"]: d for d in rep["devices"]}
        d = devs.get(want["mac"])
        if not ck.check("labels.tsv: %s (%s) is a device" % (stem, want["mac"]), d is not None):
            continue
        addrs = {a["address"] for a in d["addresses"]}
        ck.check("labels.tsv: %s has address %s" % (stem, want["ip"]), want["ip"] in addrs,
                 "addresses %r" % sorted(addrs))
    ck.check("labels.tsv: traces of labelled devices", seen >= 5, "%d" % seen)


def check_lab_link(rep):
    """Locally administered MACs sending the same DHCP host name are one device."""
    by_name = collections.defaultdict(set)
    for chaddr, name in fields(common.LAB, ["dhcp.hw.mac_addr", "dhcp.option.hostname"],
                               "dhcp.type == 1"):
        if name and int(chaddr[:2], 16) & 2:
            by_name[name].add(chaddr)
    groups = {n: m for n, m in by_name.items() if len(m) > 1}
    ck.check("lab: tshark sees one host name from two MACs", len(groups) == 1, repr(by_name))
    links = rep["links"]
    for hostname, macs in groups.items():
        link = [l for l in links if set(l["macs"]) >= macs]
        if not ck.check("lab: %s linked" % sorted(macs), len(link) == 1, repr(links)):
            continue
        ev = {(e["kind"], e["value"]) for e in link[0]["evidence"]}
        ck.check("lab: link evidence names the host name %s" % hostname,
                 ("dhcp_hostname", hostname) in ev, repr(ev))
        devs = {d["mac"]: d for d in rep["devices"]}
        ck.equal("lab: linked devices carry the link id",
                 {devs[m].get("linked") for m in macs}, {link[0]["id"]})
        ck.check("lab: linked devices are named %s" % hostname,
                 all(devs[m]["name"] == hostname for m in macs))


def telemetry(prefix, cmd):
    p = subprocess.run(["dpdk-telemetry.py", "-f", prefix], input=cmd + "\n",
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=30)
    # The script prints a greeting object, then one JSON reply per command line.
    replies = []
    dec = json.JSONDecoder()
    text, i = p.stdout, 0
    while True:
        j = text.find("{", i)
        if j < 0:
            break
        try:
            obj, i = dec.raw_decode(text, j)
        except ValueError:
            i = j + 1
            continue
        replies.append(obj)
    return replies[-1] if replies else None


def check_telemetry():
    """While a trace is replayed, /protolens/devices and /protolens/device answer."""
    macs, _, _ = expected(common.LAB)
    out = common.tmpdir()
    proc = subprocess.Popen([common.PROTOLENS, "--pcap", common.LAB, "--replay", "--duration",
                             "20", "--quiet", "--out", out] + common.FLOWS,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    prefix = "protolens%d" % proc.pid
    got = None
    try:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            time.sleep(1)
            rep = telemetry(prefix, "/protolens/devices")
            got = rep and rep.get("/protolens/devices")
            if got and set(got.get("macs", [])) >= macs:
                break
        ck.check("telemetry: /protolens/devices lists the trace's devices",
                 got is not None and set(got.get("macs", [])) == macs,
                 "got %r, want %r" % (got, sorted(macs)))
        mac = "02:00:5e:10:00:01"
        rep = telemetry(prefix, "/protolens/device,%s" % mac)
        one = rep and rep.get("/protolens/device")
        ck.check("telemetry: /protolens/device,%s answers" % mac,
                 isinstance(one, dict) and one.get("mac") == mac
                 and one.get("name") == "lab-sensor", repr(rep))
        rep = telemetry(prefix, "/protolens/device,not-a-mac")
        ck.check("telemetry: a bad MAC is refused", rep is not None
                 and rep.get("/protolens/device") is None, repr(rep))
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
    ck.check("telemetry: the replay ends cleanly on SIGINT", proc.returncode == 0,
             "rc=%s" % proc.returncode)


def check_periodic_export():
    """--export-interval writes devices.json during the run, not only at the end."""
    r = common.run_pcap(common.LAB, "--export-interval", "1")
    s = r.summary()
    n = s.get("devices", {}).get("reports_written", 0)
    ck.check("lab: devices.json written every second of trace time (%d times)" % n,
             r.rc == 0 and n >= 4, r.describe())


def check_bound():
    """Past --max-devices, devices are counted, not added."""
    r = common.run_pcap(common.LAB, "--max-devices", "2")
    rep = report(r) if r.rc == 0 else None
    macs, _, _ = expected(common.LAB)
    ck.check("lab: --max-devices 2 keeps 2 devices and counts the rest",
             rep is not None and rep["devices_count"] == 2
             and rep["devices_dropped"] >= len(macs) - 2, r.describe())


traces = common.all_traces()
results = common.parallel(check_trace, traces)
reports = dict(zip(traces, results))
check_labels(reports)
if reports.get(common.LAB):
    check_lab_link(reports[common.LAB])
check_periodic_export()
check_bound()
check_telemetry()
ck.done()
