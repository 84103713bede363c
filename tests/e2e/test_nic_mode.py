#!/usr/bin/env python3
"""NIC mode (`protolens [EAL args] -- [options]`) on the pcap PMD, with lab.pcap.

NIC mode has no end-of-file detection: it stops after --duration or at SIGINT. The pcap
PMD reads this small file in well under the time given, so the records must be the same as
--pcap mode's (the oracle here: same code path after RX, only the layout and the stop
differ) and packets received must equal libpcap's count.
1. pipeline (RX lcore + 1 worker), --duration 4: stops by itself, same records;
2. the same without --duration, stopped by SIGINT after 3 s: exit 0, summary.json and all
   flows written;
3. --workers 2, run to completion, two RX queues (rx_pcap=lab.pcap twice): received is
   twice libpcap's count, and each worker sees every flow once: every record twice."""
import os
import signal
import subprocess
import time

import common
from common import Checks

c = Checks()
expected, err = common.libpcap_count(common.LAB)
if not c.check("libpcap reads lab.pcap", expected is not None, err or ""):
    c.done()


def view(run):
    """Records as comparable strings, uid left out (opaque), sorted."""
    return sorted(str(sorted((k, v) for k, v in r.items() if k != "uid")) for r in run.flows())


def check_outputs(name, run, received, records):
    if not c.check("%s: exit 0" % name, run.rc == 0, run.describe()):
        return
    s = run.summary()
    p, fl = s["packets"], s["flows"]
    c.equal("%s: packets received" % name, p["received"], received)
    c.check("%s: received == decoded + undecodable, decoded == to_workers + ring_drops, "
            "no drops" % name,
            p["received"] == p["decoded"] + p["undecodable"]
            and p["decoded"] == p["to_workers"] + p["ring_drops"]
            and p["ring_drops"] == p["rx_nombuf"] == fl["records_dropped"] == 0, str(p))
    lines = run.flow_lines()
    c.check("%s: flows created == ended == records_written == lines" % name,
            fl["created"] == fl["ended"] == fl["records_written"] == len(lines), str(fl))
    got = view(run)
    missing = [r for r in records if r not in got]
    extra = [r for r in got if r not in records]
    c.check("%s: the same %d records as --pcap mode%s"
            % (name, len(records), " (each twice)" if len(records) != len(set(records)) else ""),
            got == records, "%d records; missing %s; unexpected %s"
            % (len(got), missing[:2], extra[:2]))


ref = common.run_pcap(common.LAB)
if not c.check("--pcap mode reference run: exit 0", ref.rc == 0, ref.describe()):
    c.done()
records = view(ref)
c.equal("--pcap mode reference run: received == libpcap count",
        ref.summary()["packets"]["received"], expected)

# 1. pipeline, stops by itself after --duration
t0 = time.monotonic()
r = common.run(["--workers", "1", "--duration", "4", "--quiet"] + common.FLOWS,
               eal=common.eal_args(), timeout=60)
took = time.monotonic() - t0
c.check("pipeline --duration 4: stopped by itself in 4-15 s (took %.1f s)" % took,
        4 <= took < 15, "took %.1f s" % took)
check_outputs("pipeline --duration 4", r, expected, records)

# 2. pipeline, no --duration, SIGINT after 3 s
out = common.tmpdir("sigint")
cmd = ([common.PROTOLENS] + common.eal_args() +
       ["--", "--workers", "1", "--quiet", "--out", out] + common.FLOWS)
p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                     errors="replace")
time.sleep(3)
still_running = p.poll() is None
c.check("pipeline without --duration: still running after 3 s", still_running,
        "exited with %s" % p.returncode)
p.send_signal(signal.SIGINT)
try:
    stdout, stderr = p.communicate(timeout=30)
    rc = p.returncode
except subprocess.TimeoutExpired:
    p.kill()
    stdout, stderr = p.communicate()
    rc = "still running 30 s after SIGINT (killed)"
r = common.Run(rc, stdout, stderr, out)
c.check("SIGINT: summary.json written", os.path.isfile(os.path.join(out, "summary.json")),
        r.describe())
check_outputs("SIGINT", r, expected, records)

# 3. run to completion, two workers, each polling its own queue
r = common.run(["--workers", "2", "--duration", "4", "--quiet"] + common.FLOWS,
               eal=common.eal_args(vdev_files=(common.LAB, common.LAB)), timeout=60)
check_outputs("--workers 2, two rx_pcap queues", r, 2 * expected, sorted(records * 2))
if r.rc == 0:
    workers = [l for l in r.summary()["lcores"] if l.get("role") == "worker"]
    c.check("--workers 2: each worker lcore handled one copy of the file",
            len(workers) == 2 and all(l["packets"] == expected for l in workers),
            "worker lcores: %s" % [(l.get("lcore"), l.get("packets")) for l in workers])

c.done()
