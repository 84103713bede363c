"""Shared helpers for the end-to-end tests (Python 3 stdlib only).

Every test script is run as:  test_x.py PROTOLENS SHARED_DIR SOURCE_ROOT
and prints one line per check, then "N passed, M failed".

Oracles are libpcap (through tcpdump) and tshark; protolens' own output is only ever the
value under test. Set PROTOLENS_E2E_KEEP=1 to keep the output directories.
"""
import concurrent.futures
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time

if len(sys.argv) < 4:
    sys.exit("usage: %s PROTOLENS SHARED_DIR SOURCE_ROOT" % sys.argv[0])

PROTOLENS = os.path.abspath(sys.argv[1])
SHARED = os.path.abspath(sys.argv[2])
ROOT = os.path.abspath(sys.argv[3])
TRACES = os.path.join(SHARED, "traces")
LAB = os.path.join(ROOT, "tests", "data", "lab.pcap")
FLOWS = ["--flows", "65536"]  # the default (1M per worker) needs far more memory
KEEP = os.environ.get("PROTOLENS_E2E_KEEP") == "1"
EMPTY_TRACE = os.path.join(TRACES, "zeek", "tls_tls-1.2-handshake-failure.trace")


def trace(rel):
    """A trace under ../shared/traces, or lab.pcap."""
    return LAB if rel == "lab.pcap" else os.path.join(TRACES, rel)


def rel(path):
    """Short name of a trace, for messages."""
    if path.startswith(TRACES + os.sep):
        return os.path.relpath(path, TRACES)
    return os.path.relpath(path, ROOT)


def all_traces(include_empty=False):
    """Every *.pcap, *.pcapng, *.trace under ../shared/traces, plus tests/data/lab.pcap.
    The empty zeek trace (which must be refused) is left out unless asked for."""
    found = []
    for dirpath, _, files in os.walk(TRACES):
        for f in files:
            if f.endswith((".pcap", ".pcapng", ".trace")):
                found.append(os.path.join(dirpath, f))
    found.append(LAB)
    found.sort()
    if not include_empty:
        found = [f for f in found if os.path.getsize(f) > 0]
    return found


# ---------------------------------------------------------------- checks


class Checks:
    """Counts checks, prints one line each, and exits with the result."""

    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.t0 = time.monotonic()

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""), flush=True)
        return ok

    def equal(self, name, got, expected):
        return self.check(name, got == expected, "expected %r, got %r" % (expected, got))

    def done(self):
        print("%d passed, %d failed (%.1f s)" % (self.passed, self.failed,
                                                  time.monotonic() - self.t0))
        sys.exit(1 if self.failed or not self.passed else 0)


def parallel(fn, items, jobs=2):
    """fn over items on `jobs` threads (each mostly waits on a subprocess), in order."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
        return list(ex.map(fn, items))


# ---------------------------------------------------------------- protolens


class Run:
    """One protolens run: rc, stdout, stderr, out dir, and its outputs once read."""

    def __init__(self, rc, stdout, stderr, out):
        self.rc, self.stdout, self.stderr, self.out = rc, stdout, stderr, out

    def summary(self):
        with open(os.path.join(self.out, "summary.json")) as f:
            return json.load(f)

    def flow_lines(self):
        with open(os.path.join(self.out, "flows.jsonl")) as f:
            return f.read().splitlines()

    def flows(self):
        return [json.loads(line) for line in self.flow_lines()]

    def error_lines(self):
        """stderr without DPDK's own chatter, which is not ours to check."""
        return [l for l in self.stderr.splitlines()
                if l.strip() and not l.startswith("TELEMETRY:")]

    def describe(self):
        return "rc=%s stderr=%r" % (self.rc, "\n".join(self.error_lines())[-600:])


_tmp_root = None


def tmpdir(prefix="plt"):
    global _tmp_root
    if _tmp_root is None:
        _tmp_root = tempfile.mkdtemp(prefix="protolens-e2e-")
        if KEEP:
            print("# outputs kept in %s" % _tmp_root)
        else:
            import atexit
            atexit.register(shutil.rmtree, _tmp_root, True)
    return tempfile.mkdtemp(prefix=prefix, dir=_tmp_root)


def run(args, out=None, timeout=120, eal=None):
    """Run protolens. args: our options; eal: EAL arguments (NIC mode, before '--').
    --out is added (a fresh temp dir) unless out is False."""
    if out is None:
        out = tmpdir()
    cmd = [PROTOLENS]
    if eal is not None:
        cmd += eal + ["--"]
    cmd += list(args)
    if out:
        cmd += ["--out", out]
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, errors="replace", timeout=timeout)
    return Run(p.returncode, p.stdout, p.stderr, out)


def run_pcap(path, *extra, timeout=120):
    return run(["--pcap", path, "--quiet"] + FLOWS + list(extra), timeout=timeout)


_prefix_seq = 0


def lcore_args(n=3):
    """EAL lcore arguments for n lcores: -l 0-(n-1) when this process may use n CPUs,
    else lcores laid over the CPUs it has (busy-polling lcores on different CPUs as far
    as possible; lcore 0, control, sleeps when idle and shares the first CPU)."""
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= n:
        return ["-l", ",".join(str(x) for x in cpus[:n])]
    # lcore 0 on the first CPU, lcores 1, 2, ... from the last CPU down, wrapping
    spread = [cpus[(len(cpus) - i) % len(cpus)] for i in range(n)]
    return ["--lcores", ",".join("%d@%d" % (i, cpu) for i, cpu in enumerate(spread))]


def eal_args(vdev_files=(LAB,), lcores=3, mem=512):
    """EAL arguments for NIC mode on the pcap PMD (one RX queue per file), with a file
    prefix unique to this process and call so that concurrent runs never share files."""
    global _prefix_seq
    _prefix_seq += 1
    vdev = "net_pcap0," + ",".join("rx_pcap=%s" % f for f in vdev_files)
    return (["--no-huge", "-m", str(mem), "--no-shconf",
             "--file-prefix=plt%d_%d" % (os.getpid(), _prefix_seq), "--no-pci"]
            + lcore_args(lcores) + ["--log-level=lib.eal:error", "--vdev", vdev])


# ---------------------------------------------------------------- flow records

COMMON_KEYS = {"ts": float, "uid": str, "orig_mac": str, "resp_mac": str, "l3": str,
               "duration": float, "orig_pkts": int, "orig_bytes": int,
               "orig_payload_bytes": int, "resp_pkts": int, "resp_bytes": int,
               "resp_payload_bytes": int, "end": str}
IP_KEYS = {"community_id": str, "transport": str, "orig_h": str, "orig_p": int,
           "resp_h": str, "resp_p": int}
TCP_KEYS = {"orig_tcp_flags": str, "resp_tcp_flags": str}
L2_KEYS = {"ether_type": int}
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")


def record_problems(rec):
    """What is wrong with one parsed flow record (an empty list if nothing)."""
    want = dict(COMMON_KEYS)
    if rec.get("l3") in ("ipv4", "ipv6"):
        want.update(IP_KEYS)
        if rec.get("transport") == "tcp":
            want.update(TCP_KEYS)
    elif rec.get("l3") == "l2":
        want.update(L2_KEYS)
    else:
        return ["l3 is %r" % rec.get("l3")]
    bad = []
    for k, t in want.items():
        if k not in rec:
            bad.append("no %s" % k)
        elif t is float and not isinstance(rec[k], (int, float)):
            bad.append("%s is %r" % (k, rec[k]))
        elif t is not float and (not isinstance(rec[k], t) or isinstance(rec[k], bool)):
            bad.append("%s is %r" % (k, rec[k]))
    if bad:
        return bad
    for k in ("orig_mac", "resp_mac"):
        if not MAC_RE.match(rec[k]):
            bad.append("%s is %r" % (k, rec[k]))
    if rec["l3"] == "l2" and any(k in rec for k in IP_KEYS):
        bad.append("l2 record with IP keys")
    if rec["orig_pkts"] + rec["resp_pkts"] == 0:
        bad.append("no packets")
    if rec["end"] not in ("idle", "shutdown"):
        bad.append("end is %r" % rec["end"])
    return bad


def canon(a, pa, b, pb):
    """Unordered endpoints of a conversation: ((addr, port), (addr, port)), sorted."""
    x, y = (norm_addr(a), int(pa)), (norm_addr(b), int(pb))
    return (x, y) if x <= y else (y, x)


def norm_addr(a):
    import ipaddress
    return str(ipaddress.ip_address(a))


def is_port_less_fragment(rec):
    """Our record of non-first IP fragments: no ports, its own record."""
    return rec.get("fragments") is True and rec.get("orig_p") == 0 and rec.get("resp_p") == 0


def by_five_tuple(flows, transports=("tcp", "udp")):
    """Our records summed per (transport, unordered endpoints):
    {(transport, (A, B)): {"records": n, (A, B) direction: [pkts, bytes], ...}}
    where the direction key is the sending endpoint."""
    out = {}
    for r in flows:
        if r.get("transport") not in transports or is_port_less_fragment(r):
            continue
        o = (norm_addr(r["orig_h"]), r["orig_p"])
        s = (norm_addr(r["resp_h"]), r["resp_p"])
        key = (r["transport"], canon(o[0], o[1], s[0], s[1]))
        e = out.setdefault(key, {"records": 0, o: [0, 0], s: [0, 0]})
        e["records"] += 1
        e[o][0] += r["orig_pkts"]
        e[o][1] += r["orig_bytes"]
        e[s][0] += r["resp_pkts"]
        e[s][1] += r["resp_bytes"]
    return out


# ---------------------------------------------------------------- oracles


def libpcap_count(path):
    """Packets libpcap reads from a trace, counted without parsing tcpdump's text:
    `tcpdump -r F -w -` rewrites whatever libpcap read (pcap or pcapng) as a classic pcap
    stream, whose 16-byte record headers we walk. Text output (`tcpdump -r F | wc -l`) can
    be fooled by dissectors that print several lines per packet; this cannot.
    Returns (count, error) where error is tcpdump's complaint, if any."""
    p = subprocess.run(["tcpdump", "-r", path, "-w", "-"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    err = p.stderr.decode(errors="replace").strip()
    data = p.stdout
    if p.returncode != 0 or len(data) < 24:
        return None, err or "tcpdump exit %d" % p.returncode
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None, "tcpdump wrote no pcap header"
    off, n = 24, 0
    while off + 16 <= len(data):
        (incl,) = struct.unpack_from(endian + "I", data, off + 8)
        off += 16 + incl
        n += 1
    if off != len(data):
        return None, "tcpdump's output ends inside a record"
    return n, None


def tshark(path, *args, defrag=True, timeout=300):
    """tshark -n -r path args..., stdout as text. defrag=False turns IPv4 and IPv6
    reassembly off so that every fragment stays where it was captured."""
    cmd = ["tshark", "-n", "-r", path]
    if not defrag:
        cmd += ["-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE"]
    cmd += list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       errors="replace", timeout=timeout)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.strip()[-400:]))
    return p.stdout


def tshark_fields(path, fields, *args, defrag=True, occurrence="a"):
    """Rows of tshark -T fields (tab-separated, one row per packet), as lists of str.
    Multiple occurrences of a field are joined by ','; occurrence 'f' keeps the first."""
    out = tshark(path, "-T", "fields", "-E", "separator=/t", "-E", "occurrence=" + occurrence,
                 *[a for f in fields for a in ("-e", f)], *args, defrag=defrag)
    rows = []
    for line in out.splitlines():
        cols = line.split("\t")
        cols += [""] * (len(fields) - len(cols))
        rows.append(cols)
    return rows
