#!/usr/bin/env python3
"""--help and config/protolens.conf document the same options, and --config FILE has the
same effect as the same options given as flags.

config/protolens.conf holds one long option per line, `name value` or `name`, `#` starts a
comment; an option may be present as a commented line (`# name value`)."""
import os
import re

import common
from common import Checks

c = Checks()
CONF = os.path.join(common.ROOT, "config", "protolens.conf")
OPT_LINE = re.compile(r"^\s*(#\s*)?(--)?([a-z][a-z0-9-]*)(\s|=|$)")

r = common.run(["--help"], out=False, timeout=30)
c.equal("--help: exit 0", r.rc, 0)
c.check("--help: usage on stdout, nothing on stderr",
        r.stdout.startswith("usage:") and not r.stderr.strip(), "stderr: %r" % r.stderr[-300:])
help_opts = set(re.findall(r"(?<![\w-])--([a-z][a-z0-9-]*)", r.stdout))
c.check("--help: lists options", len(help_opts) > 5, "found %s" % sorted(help_opts))

if not c.check("config/protolens.conf exists", os.path.isfile(CONF),
               "%s is missing: it must list every long option of --help, one per line "
               "(issue 2)" % CONF):
    c.done()



def option_line(line):
    """(name, commented) if the line sets an option or is a commented option line: at most
    a name and a value after the '#', which tells "#mem 64" from "# pcap mode: EAL ..."."""
    m = OPT_LINE.match(line)
    if not m:
        return None
    if m.group(1) and len(line.split("#", 1)[1].replace("=", " ").split()) > 2:
        return None
    return m.group(3), bool(m.group(1))


active, commented = set(), set()
with open(CONF) as f:
    for line in f:
        o = option_line(line)
        if o:
            (commented if o[1] else active).add(o[0])
unknown = sorted(active - help_opts)
c.check("every option set in protolens.conf is in --help", not unknown,
        "not in --help: %s" % unknown)
# Commented lines are prose or options: only those naming an option are compared.
# Command-line only, so not expected in the file: --config (a config file cannot include
# another: options.c refuses it) and --help.
CLI_ONLY = {"config", "help"}
missing = sorted(help_opts - active - commented - CLI_ONLY)
c.check("every option of --help is in protolens.conf (active or commented)", not missing,
        "missing from %s: %s" % (CONF, ["--" + m for m in missing]))
r = common.run(["--config", CONF, "--help"], out=False, timeout=30)
c.check("protolens.conf itself parses (--config it --help: exit 0)", r.rc == 0, r.describe())

# "Commented lines show the defaults": each, uncommented, must be accepted as it stands.
tmp = common.tmpdir("conf")
with open(CONF) as f:
    lines = f.read().splitlines()
for i, line in enumerate(lines, 1):
    o = option_line(line)
    if not (o and o[1] and o[0] in help_opts):
        continue
    one = os.path.join(tmp, "line%d.conf" % i)
    with open(one, "w") as f:
        f.write(line.lstrip().lstrip("#").lstrip() + "\n")
    r = common.run(["--config", one, "--help"], out=False, timeout=30)
    c.check("protolens.conf:%d %r uncommented is accepted" % (i, line), r.rc == 0, r.describe())

# --config FILE == flags. xiaodu_plug has UDP flows idle for more than 5 s, so a 5 s UDP
# timeout changes the records; the run with the defaults shows that it does.
trace = common.trace("iot-lifecycle/xiaodu_plug.pcap")
conf = os.path.join(tmp, "test.conf")
with open(conf, "w") as f:
    f.write("# set by test_options\nworkers 2\nudp-timeout 5\n")


def view(run):
    """Records without uid (it depends on nothing the options change, but is opaque),
    sorted: two workers write in no fixed order."""
    recs = [sorted((k, v) for k, v in rec.items() if k != "uid") for rec in run.flows()]
    workers = sum(1 for l in run.summary()["lcores"] if l.get("role") == "worker")
    return sorted(map(str, recs)), workers


by_conf, by_flags, default = common.parallel(lambda a: common.run_pcap(trace, *a), [
    ["--config", conf], ["--workers", "2", "--udp-timeout", "5"], []])
for name, run in (("--config", by_conf), ("flags", by_flags), ("defaults", default)):
    c.check("xiaodu_plug with %s: exit 0" % name, run.rc == 0, run.describe())
if by_conf.rc == by_flags.rc == default.rc == 0:
    (rc_, wc), (rf, wf), (rd, wd) = view(by_conf), view(by_flags), view(default)
    c.check("the flags change the result (%d records, defaults give %d)" % (len(rf), len(rd)),
            rf != rd, "same records with and without the flags")
    c.equal("--config: worker lcores in summary == with --workers 2", wc, wf)
    c.equal("--config: records count == with the flags", len(rc_), len(rf))
    c.check("--config: same records as with the flags", rc_ == rf,
            "first difference: %s" % next((a, b) for a, b in zip(rc_ + [""], rf + [""]) if a != b)
            if rc_ != rf else "")

c.done()
