#!/usr/bin/env python3
"""config/ciphersuites.csv is what tools/build-ciphersuites makes of ../shared/data, and
agrees with the facts there: every code and name with the IANA registry (single-code
assignments, GREASE left out), every level with ciphersuite-levels.csv's snapshot, the
paper's column flagging exactly the suites the paper flagged."""
import csv
import os
import re
import subprocess
import sys

import common
from common import Checks

c = Checks()

REGISTRY = os.path.join(common.ROOT, "config", "ciphersuites.csv")
TOOL = os.path.join(common.ROOT, "tools", "build-ciphersuites")
IANA = os.path.join(common.SHARED, "data", "iana-tls-cipher-suites.csv")
LEVELS = os.path.join(common.SHARED, "data", "ciphersuite-levels.csv")

# 1. Rebuilt from the shared data, the file is byte for byte the committed one.
out = os.path.join(common.tmpdir("plcs"), "ciphersuites.csv")
p = subprocess.run([sys.executable, TOOL, "--iana", IANA, "--levels", LEVELS, "-o", out],
                   capture_output=True, text=True, timeout=60)
c.check("build-ciphersuites runs", p.returncode == 0, p.stderr.strip())
with open(REGISTRY, "rb") as f:
    committed = f.read()
rebuilt = open(out, "rb").read() if os.path.exists(out) else b""
c.check("rebuilt file equals config/ciphersuites.csv", rebuilt == committed,
        "rerun tools/build-ciphersuites and commit config/ciphersuites.csv")
c.check("header comment names both sources",
        b"iana-tls-cipher-suites.csv" in committed and b"ciphersuite-levels.csv" in committed)

# 2. The oracle: the IANA registry's single codes, GREASE values apart.
iana = {}
grease = set()
with open(IANA, newline="") as f:
    for row in list(csv.reader(f))[1:]:
        m = re.fullmatch(r"0x([0-9A-F]{2}),0x([0-9A-F]{2})", row[0])
        if not m:
            continue
        code = int(m.group(1) + m.group(2), 16)
        if "RFC8701" in row[4]:
            grease.add(code)
        elif row[1] != "Unassigned":
            iana[code] = row[1]
c.equal("IANA lists the 16 GREASE values", len(grease), 16)

with open(LEVELS, newline="") as f:
    levels = {int(r["code"], 16): r for r in csv.DictReader(f)}

lines = committed.decode().splitlines()
rows = [ln for ln in lines if ln and not ln.startswith("#")]
c.equal("header", rows[0], "code,name,level_2026,level_2021,level_2023")
ours = {}
bad_format = []
for ln in rows[1:]:
    f = ln.split(",")
    if len(f) != 5 or not re.fullmatch(r"0x[0-9A-F]{4}", f[0]):
        bad_format.append(ln)
        continue
    ours[int(f[0], 16)] = f[1:]
c.check("every row is code,name and three levels", not bad_format, "; ".join(bad_format[:3]))
codes = [int(ln.split(",")[0], 16) for ln in rows[1:] if ln not in bad_format]
c.check("rows sorted by code, no duplicates", codes == sorted(set(codes)))

c.equal("codes are the IANA single-code assignments", sorted(ours), sorted(iana))
c.check("no GREASE value in the file", not grease & set(ours))
wrong_name = ["0x%04X %s != %s" % (k, v[0], iana.get(k)) for k, v in sorted(ours.items())
              if iana.get(k) != v[0]]
c.check("names are IANA's", not wrong_name, "; ".join(wrong_name[:5]))

# 3. Levels: the ciphersuite.info snapshots as they are (no level: "unrated"), and the
# paper's weak/insecure sets exactly (anything it did not flag is neither).
RATED = {"insecure", "weak", "secure", "recommended"}
for col, src, i in [("level_2026", "csinfo_webreGOn_2026", 1),
                    ("level_2021", "csinfo_2021Aug", 2)]:
    wrong = ["0x%04X %s != %r" % (k, v[i], levels[k][src]) for k, v in sorted(ours.items())
             if k not in levels or v[i] != (levels[k][src] or "unrated")]
    c.check("%s is %s" % (col, src), not wrong, "; ".join(wrong[:5]))
flagged = {k for k, r in levels.items() if r["protoiot_2023"]}
wrong = ["0x%04X %s != %r" % (k, v[3], levels[k]["protoiot_2023"])
         for k, v in sorted(ours.items())
         if k in flagged and v[3] != levels[k]["protoiot_2023"]]
c.check("level_2023 weak/insecure where the paper says so", not wrong, "; ".join(wrong[:5]))
wrong = ["0x%04X %s" % (k, v[3]) for k, v in sorted(ours.items())
         if k not in flagged and v[3] not in ("secure", "recommended", "unrated")]
c.check("level_2023 neither weak nor insecure elsewhere", not wrong, "; ".join(wrong[:5]))
c.check("every level word is a rating or unrated",
        all(x in RATED | {"unrated"} for v in ours.values() for x in v[1:]))

c.done()
