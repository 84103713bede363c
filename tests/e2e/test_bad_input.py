#!/usr/bin/env python3
"""Bad input is refused before EAL starts: a non-zero exit (1 for an unusable trace, 2 for
a bad option), and stderr is exactly one line, starting with "protolens: " and naming the
problem (the file, the option, or file:line of a config file). One line in all also means
no EAL start: EAL and its telemetry print their own lines ("EAL: ...", "TELEMETRY: ...")."""
import os
import struct

import common
from common import Checks

c = Checks()
tmp = common.tmpdir("bad")


def write(name, data):
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


with open(common.LAB, "rb") as f:
    lab = f.read()


def cut_inside_a_record(data, index):
    """The classic pcap `data` cut in the middle of record `index`'s packet bytes."""
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    off = 24
    for _ in range(index):
        off += 16 + struct.unpack_from(endian + "I", data, off + 8)[0]
    incl = struct.unpack_from(endian + "I", data, off + 8)[0]
    return data[:off + 16 + incl // 2]


missing = os.path.join(tmp, "no-such-trace.pcap")
empty = write("empty.pcap", b"")
text = write("notes.txt", b"this is not a trace\njust some text\n")
truncated = write("truncated.pcap", cut_inside_a_record(lab, 100))
header_only = write("header-only.pcap", lab[:24])
conf = write("bad.conf", b"# a config file\nworkers 1\nbogus-option 3\nquiet\n")
conf_value = write("bad-value.conf", b"udp-timeout 5\n\nworkers lots\n")

L = ["--pcap", common.LAB]
CASES = [
    # (name, args, exit code, what the message must contain)
    ("missing file", ["--pcap", missing], 1, [missing]),
    ("empty file", ["--pcap", empty], 1, [empty]),
    ("empty shared trace", ["--pcap", common.EMPTY_TRACE], 1, [common.EMPTY_TRACE]),
    ("text file", ["--pcap", text], 1, [text]),
    ("pcap cut inside packet record 101", ["--pcap", truncated], 1, [truncated]),
    ("pcap with only the global header", ["--pcap", header_only], 1, [header_only]),
    ("unknown option --bogus", L + ["--bogus"], 2, ["--bogus"]),
    ("--workers 0", L + ["--workers", "0"], 2, ["--workers", "0"]),
    ("--workers abc", L + ["--workers", "abc"], 2, ["--workers", "abc"]),
    ("--ring-size 1000 (not a power of two)", L + ["--ring-size", "1000"], 2,
     ["--ring-size", "1000"]),
    ("config: unknown option on line 3", L + ["--config", conf], 2,
     [conf + ":3", "bogus-option"]),
    ("config: bad value on line 3", L + ["--config", conf_value], 2,
     [conf_value + ":3", "workers", "lots"]),
    ("config: missing file", L + ["--config", missing], 2, [missing]),
    ("--pcap without its value", ["--pcap"], 2, ["--pcap"]),
    ("--pcap without its value, last", ["--quiet", "--pcap"], 2, ["--pcap"]),
]

for name, args, code, needles in CASES:
    # our options first, so that a missing value is really missing
    r = common.run(common.FLOWS + ["--out", os.path.join(tmp, "out")] + args, out=False,
                   timeout=60)
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    c.equal("%s: exit %d" % (name, code), r.rc, code)
    ok = len(lines) == 1 and lines[0].startswith("protolens: ") and \
        all(n in lines[0] for n in needles)
    c.check("%s: one line 'protolens: ...' naming %s" % (name, ", ".join(needles)), ok,
            "stderr: %r" % r.stderr[-500:])
    c.check("%s: EAL not started" % name, "EAL" not in r.stderr and "TELEMETRY" not in r.stderr,
            "stderr: %r" % r.stderr[-500:])

c.done()
