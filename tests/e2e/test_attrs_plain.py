#!/usr/bin/env python3
"""Differential test of the HTTP, DNS, NTP, DHCP, SSDP and ARP dissectors against tshark.

    test_attrs_plain.py HARNESS_DIR SHARED_DIR SOURCE_ROOT

For every packet of the five protocols that tshark dissects in ../shared/traces (ndpi/,
zeek/, suricata-verify/, iot-*/) and tests/data/lab.pcap, the dissector harness
(tests/harness/dissect_PROTO) is run on the packet's bytes and EVERY attribute it writes is
compared with tshark's fields. Datagrams come from `-e udp.payload`; HTTP (and DNS over
TCP) heads are reassembled here from tcp.seq/tcp.payload in sequence order (retransmitted
bytes dropped, stopping at a hole), as the appliance's head reassembly does. ARP packets are
rebuilt from the bytes of tshark's ARP fields.

Zeek's baseline logs and the suricata-verify test.yaml checks are further oracles where they
give values. Differences that remain are listed in EXCEPTIONS, each with the evidence that
the oracle is the one that is wrong; an exception that no longer matches fails the test.

Secrets: the Authorization header and tshark's decoded Basic credential are read to compute
the expected hash but never printed; every harness output is searched for the credentials
in clear and in base64 (lab.pcap's admin:s3cret, and any Basic credential tshark decodes).

Prints one line per trace and protocol, then "N passed, M failed". Python 3 stdlib only.
"""
import base64
import codecs
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

if len(sys.argv) < 4:
    sys.exit("usage: %s HARNESS_DIR SHARED_DIR SOURCE_ROOT" % sys.argv[0])

HARNESS = os.path.abspath(sys.argv[1])
SHARED = os.path.abspath(sys.argv[2])
ROOT = os.path.abspath(sys.argv[3])
TRACES = os.path.join(SHARED, "traces")
LAB = os.path.join(ROOT, "tests", "data", "lab.pcap")
HEAD_MAX = 16384  # the appliance's default head per direction (issue 4)


def lab_credential():
    """The lab trace's Basic credential, as tests/data/README.md states it (scenario 4:
    "`Authorization: Basic` for `user:password`")."""
    with open(os.path.join(ROOT, "tests", "data", "README.md")) as f:
        m = re.search(r"Authorization: Basic` for `([^`]+)`", f.read())
    if not m:
        sys.exit("tests/data/README.md no longer names the lab's Basic credential")
    return m.group(1).encode()


LAB_SECRETS = [lab_credential(), base64.b64encode(lab_credential())]

# ------------------------------------------------------------------ helpers


def rel(path):
    if path.startswith(TRACES + os.sep):
        return os.path.relpath(path, TRACES)
    return os.path.relpath(path, ROOT)


def all_traces():
    found = [LAB]
    for dirpath, _, files in os.walk(TRACES):
        for f in files:
            p = os.path.join(dirpath, f)
            if f.endswith((".pcap", ".pcapng", ".trace")) and os.path.getsize(p) > 0:
                found.append(p)
    only = os.environ.get("ATTRS_TRACES")  # a regex, to rerun some traces by hand
    return sorted(f for f in found if not only or re.search(only, rel(f)))


SEP, AGG = "\x1e", "\x1f"

# The text attrs.c writes for string bytes: well-formed UTF-8 as it is, every other byte
# (a stray continuation byte, an overlong form, a surrogate, a cut sequence) as the code
# point of its value (\u00XX). Python's UTF-8 decoder is as strict, and resuming one byte
# after each error treats the bytes of a bad sequence one by one, as the writer does.
codecs.register_error("pl_attrs_byte", lambda e: (chr(e.object[e.start]), e.start + 1))


def as_writer(b):
    return b.decode("utf-8", "pl_attrs_byte")


def tshark_fields(path, dfilter, names, opts=()):
    """One dict per frame: field -> list of every occurrence (strings)."""
    cmd = ["tshark", "-n", "-r", path, "-Y", dfilter, "-T", "fields",
           "-E", "occurrence=a", "-E", "aggregator=" + AGG, "-E", "separator=" + SEP]
    cmd += list(opts)
    for n in names:
        cmd += ["-e", n]
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    rows = []
    for line in out.decode("utf-8", "surrogateescape").split("\n"):
        if not line:
            continue
        vals = line.split(SEP)
        rows.append({n: (v.split(AGG) if v != "" else []) for n, v in zip(names, vals)})
    return rows


def tshark_pdml(path, dfilter, opts=()):
    cmd = ["tshark", "-n", "-r", path, "-Y", dfilter, "-T", "pdml"] + list(opts)
    out = subprocess.run(cmd, capture_output=True, check=True).stdout
    return ET.fromstring(out)


_cache = {}
_tmp = tempfile.mkdtemp(prefix="attrs_plain.")
ALL_OUTPUTS = []  # every harness stdout, for the secret scan


def dissect(proto, data, tcp=False):
    """(attributes, verdict) of the harness on data."""
    key = (proto, tcp, data)
    if key in _cache:
        return _cache[key]
    fd, path = tempfile.mkstemp(dir=_tmp)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    cmd = [os.path.join(HARNESS, "dissect_" + proto)] + (["--tcp"] if tcp else []) + [path]
    r = subprocess.run(cmd, capture_output=True)
    os.unlink(path)
    if r.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (cmd[0], r.returncode, r.stderr[-300:]))
    ALL_OUTPUTS.append(r.stdout)
    res = (json.loads(r.stdout), r.stderr.decode().strip())
    _cache[key] = res
    return res


def first(row, name, conv=str, default=None):
    v = row.get(name) or []
    return conv(v[0]) if v else default


def tbool(v):
    """tshark prints booleans as 1/0 (True/False in some versions)."""
    return v in ("1", "True", "true")


def hexint(v):
    return int(v, 16)


# ------------------------------------------------------------------ comparison bookkeeping

# Explicit, justified differences: (trace, frame, protocol, attribute) -> evidence.
# Frame is tshark's frame.number (for HTTP and DNS over TCP: the head's first frame).
EXCEPTIONS = {}

# zeek/http_methods.pcap is Zeek's test of broken request lines. tshark reads them token
# by token and raises no expert item; RFC 9112 section 3 requires
#   request-line = method SP request-target SP HTTP-version
#   HTTP-version = "HTTP/" DIGIT "." DIGIT
# so each of these is malformed: we report every field tshark reports, plus the mark.
_BROKEN_REQUEST_LINES = {
    14: "OPTIONS HTTP/1.1 (no request-target)",
    34: "OPTIONS (neither target nor version)",
    108: "GET / HTTP/1. (version without minor digit)",
    172: "GET /HTTP/1.1 (no SP before the version)",
    319: "CCM_POST / HTTP/1.", 329: "CCM_POST /HTTP/1.1",
    369: "CONNECT / HTTP/1.", 379: "CONNECT /HTTP/1.1",
    419: "TRACE / HTTP/1.", 429: "TRACE /HTTP/1.1",
    469: "DELETE / HTTP/1.", 479: "DELETE /HTTP/1.1",
    519: "PUT / HTTP/1.", 529: "PUT /HTTP/1.1",
    569: "POST / HTTP/1.", 579: "POST /HTTP/1.1",
    619: "HEAD / HTTP/1.", 629: "HEAD /HTTP/1.1",
}
for _f, _line in _BROKEN_REQUEST_LINES.items():
    EXCEPTIONS[(os.path.join("zeek", "http_methods.pcap"), _f, "http", "verdict")] = \
        "request line %r breaks RFC 9112 section 3; tshark raises no expert item" % _line

# ndpi/ssdp-m-search.pcap (SSDP to udp/32412): each of its 19 datagrams is 21 bytes,
# "M-SEARCH * HTTP/1.1\r\n" (udp.length 29), and nothing else: no header, and no empty
# line ending the header section, which RFC 9112 section 2.1 (HTTP-message = start-line
# CRLF *( field-line CRLF ) CRLF) and UDA 2.0 section 1.3.2 (HOST, MAN, MX, ST required)
# both demand. tshark does not check either.
for _f in range(1, 20):
    EXCEPTIONS[(os.path.join("ndpi", "ssdp-m-search.pcap"), _f, "ssdp", "verdict")] = \
        "M-SEARCH start line alone, without the empty line that ends an HTTP message"


class Result:
    """Compared values of one (trace, protocol); a failure lists the first differences."""

    def __init__(self, trace, proto):
        self.trace, self.proto = trace, proto
        self.values = 0
        self.messages = 0
        self.diffs = []
        self.excepted = []
        self.notes = []

    def eq(self, frame, attr, got, exp, secret=False):
        self.values += 1
        if got == exp:
            return True
        key = (rel(self.trace), frame, self.proto, attr)
        if key in EXCEPTIONS:
            self.excepted.append(key)
            return True
        if secret:
            got, exp = "<not shown>", "<not shown>"
        self.diffs.append("frame %s %s: got %r, tshark %r" % (frame, attr, got, exp))
        return False


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0
        self.used_exceptions = set()

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""), flush=True)
        return ok

    def result(self, res):
        self.used_exceptions.update(res.excepted)
        name = "%s %s: %d messages, %d values" % (res.proto, rel(res.trace), res.messages,
                                                  res.values)
        if res.excepted:
            name += ", %d excepted" % len(res.excepted)
        for n in res.notes:
            name += "; " + n
        detail = ""
        if res.diffs:
            detail = "%d differences\n    " % len(res.diffs) + "\n    ".join(res.diffs[:15])
        self.check(name, not res.diffs, detail)


# ------------------------------------------------------------------ TCP heads


def tcp_heads(path, streams):
    """Reassembled head of each direction of the given TCP streams:
    {(stream, src, sport): (first_frame, bytes)}, in sequence order from the first byte
    after the SYN (or the lowest sequence number seen), retransmitted bytes dropped,
    stopping at the first hole or at HEAD_MAX bytes."""
    if not streams:
        return {}
    flt = "tcp.stream in {%s}" % ",".join(str(s) for s in sorted(streams))
    rows = tshark_fields(path, flt, ["frame.number", "tcp.stream", "ip.src", "ipv6.src",
                                     "tcp.srcport", "tcp.seq", "tcp.flags.syn", "tcp.payload"],
                         opts=["-o", "tcp.relative_sequence_numbers:TRUE"])
    dirs = {}
    for r in rows:
        src = first(r, "ip.src") or first(r, "ipv6.src")
        key = (int(r["tcp.stream"][0]), src, int(r["tcp.srcport"][0]))
        d = dirs.setdefault(key, {"syn": None, "segs": []})
        seq = int(r["tcp.seq"][0])
        if tbool(first(r, "tcp.flags.syn", str, "0")):
            d["syn"] = seq
        if r.get("tcp.payload"):
            d["segs"].append((seq, int(r["frame.number"][0]),
                              bytes.fromhex(r["tcp.payload"][0].replace(":", ""))))
    heads = {}
    for key, d in dirs.items():
        segs = [s for s in d["segs"] if s[0] < 2 ** 31]  # relative seq before the base: wrapped
        if not segs:
            continue
        start = d["syn"] + 1 if d["syn"] is not None else min(s[0] for s in segs)
        cur, head, first_frame = start, bytearray(), None
        for seq, frame, data in sorted(segs, key=lambda s: (s[0], s[1])):
            if seq > cur:
                break  # a hole: the appliance waits, and never gets further
            if seq + len(data) <= cur:
                continue  # retransmitted bytes
            if first_frame is None:
                first_frame = frame
            head += data[cur - seq:]
            cur = seq + len(data)
            if len(head) >= HEAD_MAX:
                break
        if first_frame is not None:
            heads[key] = (first_frame, bytes(head[:HEAD_MAX]))
    return heads


def pdu_first_frame(row):
    """The first frame of the PDU tshark dissected in this row (reassembled or not)."""
    segs = [int(x) for x in row.get("tcp.segment", [])]
    return min(segs) if segs else int(row["frame.number"][0])


# ------------------------------------------------------------------ DNS
# From PDML, so that each record's fields stay together: -T fields flattens them, and
# tshark also uses dns.resp.type for the type bit maps of NSEC/NSEC3 records.

# tshark's text for names it could not read (epan/dissectors/packet-dns.c), and ours.
DNS_NAME_ERRORS = {"<Name too long>": "too_long",
                   "<Name contains a pointer that loops>": "pointer_loop"}
DNS_SECTIONS = ("Queries", "Answers", "Authoritative nameservers", "Additional records",
                "Zone", "Prerequisites", "Updates")


def kids(el, name):
    return [c for c in el if c.get("name") == name]


def kid(el, name, conv=str, default=None):
    """The first direct child field `name` of el, its show value converted."""
    for c in el:
        if c.get("name") == name:
            return conv(c.get("show"))
    return default


def deep(el, name, conv=str, default=None):
    for c in el.iter("field"):
        if c.get("name") == name:
            return conv(c.get("show"))
    return default


def dns_name(rec, key="name"):
    """Our name in tshark's notation: <Root> for the root, its error text if unreadable."""
    if key in rec:
        return rec[key] if rec[key] != "" else "<Root>"
    err = rec.get("name_error") if key == "name" else rec.get("data_error")
    for text, ours in DNS_NAME_ERRORS.items():
        if err == ours:
            return text
    return None


def compare_dns(res, F, dns, got, mdns):
    flags = int(kid(dns, "dns.flags"), 16)

    def flag(field, bit):
        v = deep(dns, field)
        return tbool(v) if v is not None else bool(flags & bit)

    res.eq(F, "id", got.get("id"), kid(dns, "dns.id", hexint))
    res.eq(F, "flags", got.get("flags"), "%04x" % flags)
    res.eq(F, "qr", got.get("qr"), flag("dns.flags.response", 0x8000))
    res.eq(F, "opcode", got.get("opcode"), deep(dns, "dns.flags.opcode", int))
    # Fields tshark shows only for responses (or names differently in mDNS, where AA and
    # TC of queries are "conflict" and "tentative") come from the flags value.
    res.eq(F, "aa", got.get("aa"), flag("dns.flags.authoritative", 0x0400))
    res.eq(F, "tc", got.get("tc"), flag("dns.flags.truncated", 0x0200))
    res.eq(F, "rd", got.get("rd"), flag("dns.flags.recdesired", 0x0100))
    res.eq(F, "ra", got.get("ra"), flag("dns.flags.recavail", 0x0080))
    res.eq(F, "z", got.get("z"), flag("dns.flags.z", 0x0040))
    res.eq(F, "ad", got.get("ad"), flag("dns.flags.authenticated", 0x0020))
    res.eq(F, "cd", got.get("cd"), flag("dns.flags.checkdisable", 0x0010))
    rcode = deep(dns, "dns.flags.rcode", int)
    res.eq(F, "rcode", got.get("rcode"), rcode if rcode is not None else flags & 15)
    for ours, theirs in (("qdcount", ("dns.count.queries", "dns.count.zones")),
                         ("ancount", ("dns.count.answers", "dns.count.prerequisites")),
                         ("nscount", ("dns.count.auth_rr", "dns.count.updates")),
                         ("arcount", ("dns.count.add_rr",))):
        exp = next((kid(dns, t, int) for t in theirs if kid(dns, t) is not None), None)
        res.eq(F, ours, got.get(ours), exp)
    sections = [c for c in dns if c.get("name") == "" and c.get("show") in DNS_SECTIONS]
    tq = [q for sec in sections if sec.get("show") in ("Queries", "Zone") for q in sec]
    trr = [r for sec in sections if sec.get("show") not in ("Queries", "Zone") for r in sec]
    qs = got.get("questions", [])
    res.eq(F, "questions", len(qs), len(tq))
    for i, (q, t) in enumerate(zip(qs, tq)):
        P = "questions[%d]." % i
        res.eq(F, P + "name", dns_name(q), kid(t, "dns.qry.name"))
        res.eq(F, P + "type", q.get("type"), kid(t, "dns.qry.type", int))
        cls = kid(t, "dns.qry.class", hexint)
        if mdns:  # tshark splits the unicast-response bit off, as we do
            res.eq(F, P + "class", q.get("class"), cls)
            res.eq(F, P + "unicast_response", q.get("unicast_response", False),
                   kid(t, "dns.qry.qu", tbool, False))
        else:
            res.eq(F, P + "class", q.get("class", 0) | (0x8000 if q.get("unicast_response")
                                                        else 0), cls)
    rrs = got.get("answers", []) + got.get("authorities", []) + got.get("additionals", [])
    res.eq(F, "records", len(rrs), len(trr))
    for i, (r, t) in enumerate(zip(rrs, trr)):
        P = "records[%d]." % i
        exp = kid(t, "dns.resp.name")
        if exp is None and kid(t, "dns.srv.service") is not None:
            # SRV: tshark shows the owner name as service, protocol and name
            exp = ".".join(kid(t, f) for f in ("dns.srv.service", "dns.srv.proto",
                                               "dns.srv.name"))
        res.eq(F, P + "name", dns_name(r), exp)
        res.eq(F, P + "type", r.get("type"), kid(t, "dns.resp.type", int))
        if r.get("type") == 41:
            res.eq(F, P + "udp_payload_size", r.get("udp_payload_size"),
                   kid(t, "dns.rr.udp_payload_size", int))
            continue
        cls = kid(t, "dns.resp.class", hexint)
        if mdns:
            res.eq(F, P + "class", r.get("class"), cls)
            res.eq(F, P + "cache_flush", r.get("cache_flush", False),
                   kid(t, "dns.resp.cache_flush", tbool, False))
        else:
            res.eq(F, P + "class", r.get("class", 0) | (0x8000 if r.get("cache_flush") else 0),
                   cls)
        res.eq(F, P + "ttl", r.get("ttl"), kid(t, "dns.resp.ttl", int))
        field = {1: "dns.a", 28: "dns.aaaa", 5: "dns.cname", 12: "dns.ptr.domain_name"}.get(
            r.get("type"))
        if field:
            mine = dns_name(r, "data") if r["type"] in (5, 12) else r.get("data")
            res.eq(F, P + "data", mine, kid(t, field))
        else:
            res.eq(F, P + "data", r.get("data"), None)


def check_dns(path, trace_packets):
    res = Result(path, "dns")
    packets = []
    for frame, protos, _ in trace_packets:
        dns = protos.get("dns") or protos.get("mdns")
        if dns is None or "icmp" in protos or "icmpv6" in protos:
            continue  # (a DNS message quoted in an ICMP error is not one we see)
        packets.append((frame, protos, dns, "mdns" in protos))
    streams = {int(deep(p["tcp"], "tcp.stream")) for _, p, _, _ in packets if "tcp" in p}
    heads = tcp_heads(path, streams)
    done_heads = set()
    tcp_msgs = 0
    for frame, protos, dns, mdns in packets:
        if "tcp" in protos:
            tcp = protos["tcp"]
            src = deep(protos["ip"], "ip.src") if "ip" in protos else \
                deep(protos["ipv6"], "ipv6.src")
            key = (int(deep(tcp, "tcp.stream")), src, int(deep(tcp, "tcp.srcport")))
            segs = [int(s.get("show")) for s in pkt_fields(protos, "tcp.segment")]
            first_frame = min(segs) if segs else frame
            if key in done_heads or key not in heads or heads[key][0] != first_frame:
                continue  # not the first message of this direction
            done_heads.add(key)
            frame = first_frame
            got, verdict = dissect("dns", heads[key][1], tcp=True)
        else:
            payload = deep(protos["udp"], "udp.payload")
            if payload is None:
                continue
            got, verdict = dissect("dns", bytes.fromhex(payload.replace(":", "")))
        res.messages += 1
        if "tcp" in protos:
            tcp_msgs += 1
        compare_verdict(res, frame, verdict, dns)
        compare_dns(res, frame, dns, got, mdns)
    if tcp_msgs:
        res.notes.append("%d over TCP" % tcp_msgs)
    return [res]


def pkt_fields(protos, name):
    """Every field `name` in any layer of a PDML packet."""
    return [f for p in protos.values() for f in p.iter("field") if f.get("name") == name]


# ------------------------------------------------------------------ HTTP

# Query parameter names whose values are secrets: lib/proto/http.c's rule, applied here to
# tshark's URI to get the expected redacted URI (docs/attrs/http.md).
SECRET_SUBSTRINGS = ["pass", "pwd", "token", "secret", "apikey", "api_key", "api-key",
                     "session", "credential", "_key", "-key"]
SECRET_NAMES = ["key", "auth", "sig", "signature", "pin"]


def short_hash(b):
    return hashlib.sha256(b).hexdigest()[:8]


def redact_uri(uri):
    """(redacted URI, whether anything was replaced) for tshark's URI string."""
    b = uri.encode("utf-8", "surrogateescape")
    out, any_ = b, False
    m = re.match(rb"^([^/?]*://)([^/?#]*)", b)
    if m and b"@" in m.group(2):
        userinfo = m.group(2).rsplit(b"@", 1)[0]
        rest = b[m.end(1) + len(userinfo):]
        if b":" in userinfo:
            user, pw = userinfo.split(b":", 1)
            if pw:
                out = m.group(1) + user + b":<redacted:" + short_hash(pw).encode() + b">" + rest
                any_ = True
        elif userinfo:  # a user name alone is often a token
            out = m.group(1) + b"<redacted:" + short_hash(userinfo).encode() + b">" + rest
            any_ = True
    # an API key as the path segment after "api" (/api/<key>/..., the Hue bridge's)
    m = re.match(rb"^[^/?]*://[^/?#]*", out)
    start = m.end() if m else 0
    q = out.find(b"?")
    end = q if q >= 0 else len(out)
    segs = out[start:end].split(b"/")
    for i in range(len(segs) - 1):
        v = segs[i + 1]
        if (segs[i].lower() == b"api" and b"#" not in v and re.fullmatch(rb"[A-Za-z0-9_-]{16,}", v)
                and re.search(rb"[A-Za-z]", v) and re.search(rb"[0-9]", v)):
            segs[i + 1] = b"<redacted:" + short_hash(v).encode() + b">"
            any_ = True
    out = out[:start] + b"/".join(segs) + out[end:]
    q = out.find(b"?")
    if q >= 0:
        frag = out.find(b"#", q)
        query = out[q + 1:frag if frag >= 0 else len(out)]
        parts = []
        for p in query.split(b"&"):
            name, eq, value = p.partition(b"=")
            n = name.lower()
            if value and (any(s.encode() in n for s in SECRET_SUBSTRINGS) or
                          n in [s.encode() for s in SECRET_NAMES]):
                p = name + b"=<redacted:" + short_hash(value).encode() + b">"
                any_ = True
            parts.append(p)
        out = out[:q + 1] + b"&".join(parts) + (out[frag:] if frag >= 0 else b"")
    return out.decode("utf-8", "surrogateescape"), any_


HTTP_FIELDS = [
    "frame.number", "tcp.stream", "ip.src", "ipv6.src", "tcp.srcport", "tcp.segment",
    "http.request.method", "http.request.uri", "http.request.version", "http.host",
    "http.user_agent", "http.authorization", "http.authbasic",
    "http.response.version", "http.response.code", "http.response.phrase", "http.server",
    "http.request.line", "http.response.line",
]

SECRETS_SEEN = set()  # credentials tshark decoded, for the secret scan


def as_tshark(v):
    """tshark reads HTTP header text as ASCII: every byte from 0x80 becomes U+FFFD. Our
    writer gives well-formed UTF-8 as characters and other bytes as U+0080..U+00FF, so
    how many bytes a character stood for is not always known (U+00E9 is C3 A9 or E9):
    on both sides (tshark_text) a run of non-ASCII becomes one U+FFFD."""
    if not isinstance(v, str):
        return v
    return re.sub("[^\x00-\x7f]+", "\ufffd", v)


def tshark_text(v):
    return re.sub("\ufffd+", "\ufffd", v) if isinstance(v, str) else v


def compare_http(res, frame, row, got):
    F = frame
    got = {k: as_tshark(v) for k, v in got.items()}
    row = {k: [tshark_text(x) for x in v] for k, v in row.items()}
    if row.get("http.request.method"):
        res.eq(F, "method", got.get("method"), row["http.request.method"][0])
        uri, redacted = redact_uri(first(row, "http.request.uri", str, ""))
        # tshark shows an empty target for a line without one; we leave it out
        res.eq(F, "uri", got.get("uri"), uri or None)
        res.eq(F, "uri_redacted", got.get("uri_redacted", False), redacted)
        res.eq(F, "version", got.get("version"), first(row, "http.request.version") or None)
        res.eq(F, "host", got.get("host"), first(row, "http.host"))
        res.eq(F, "user_agent", got.get("user_agent"), first(row, "http.user_agent"))
        auth = first(row, "http.authorization")
        if auth is None:
            for k in ("auth_scheme", "credential_present", "credential_hash"):
                res.eq(F, k, got.get(k), None)
        else:
            scheme, _, cred = auth.strip(" \t").partition(" ")
            cred = cred.strip(" \t")
            res.eq(F, "auth_scheme", got.get("auth_scheme"), scheme)
            res.eq(F, "credential_present", got.get("credential_present"), bool(cred))
            res.eq(F, "credential_hash", got.get("credential_hash"),
                   short_hash(cred.encode()) if cred else None)
            if cred:
                SECRETS_SEEN.add(cred.encode())
            for b in row.get("http.authbasic", []):
                SECRETS_SEEN.add(b.encode())
        res.eq(F, "header_count", got.get("header_count"), len(row.get("http.request.line", [])))
    else:
        res.eq(F, "version", got.get("version"), first(row, "http.response.version"))
        res.eq(F, "status_code", got.get("status_code"), first(row, "http.response.code", int))
        res.eq(F, "reason", got.get("reason"), first(row, "http.response.phrase", str, ""))
        res.eq(F, "server", got.get("server"), first(row, "http.server"))
        res.eq(F, "header_count", got.get("header_count"),
               len(row.get("http.response.line", [])))


def pdml_row(pkt, names):
    """A PDML packet as -T fields would give it: field -> every 'show' value."""
    want = set(names)
    row = {}
    for f in pkt.iter("field"):
        n = f.get("name")
        if n in want:
            row.setdefault(n, []).append(f.get("show"))
    return row


def check_http(path, trace_packets):
    res = Result(path, "http")
    rows = [pdml_row(pkt, HTTP_FIELDS) for _, protos, pkt in trace_packets
            if "http" in protos and "tcp" in protos]
    streams = {int(r["tcp.stream"][0]) for r in rows}
    heads = tcp_heads(path, streams)
    # tshark's first request or response that starts at each direction's head
    oracle = {}
    for row in rows:
        if not (row.get("http.request.method") or row.get("http.response.code")):
            continue  # continuation or body
        src = first(row, "ip.src") or first(row, "ipv6.src")
        key = (int(row["tcp.stream"][0]), src, int(row["tcp.srcport"][0]))
        if key in heads and key not in oracle and pdu_first_frame(row) == heads[key][0]:
            oracle[key] = row
    unmatched = 0
    for key, (frame, data) in sorted(heads.items(), key=lambda kv: kv[1][0]):
        got, verdict = dissect("http", data)
        if key not in oracle:
            # tshark saw no message starting at this head (mid-stream capture, body bytes):
            # the dissector must not claim one either.
            unmatched += 1
            res.eq(frame, "verdict(no message at head)", verdict != "ok", True)
            continue
        res.messages += 1
        res.eq(frame, "verdict", verdict, "ok")
        compare_http(res, frame, oracle[key], got)
    if unmatched:
        res.notes.append("%d heads without a message start" % unmatched)
    if rel(path) == os.path.join("suricata-verify", "http-all-headers", "input.pcap"):
        compare_suricata_http(res, heads)
        res.notes.append("suricata-verify checks compared")
    return [res]


def compare_suricata_http(res, heads):
    """http-all-headers/test.yaml: one transaction; request_headers[0] is Host
    www.ethereal.com; 9 request and 9 response headers."""
    got = {}
    for key, (frame, data) in heads.items():
        g, _ = dissect("http", data)
        got["request" if "method" in g else "response"] = (frame, g)
    F, req = got["request"]
    res.eq(F, "suricata host", req.get("host"), "www.ethereal.com")
    res.eq(F, "suricata request_headers.__len", req.get("header_count"), 9)
    F, resp = got["response"]
    res.eq(F, "suricata response_headers.__len", resp.get("header_count"), 9)


# ------------------------------------------------------------------ verdicts

SEV_ERROR = 8388608  # _ws.expert.severity PI_ERROR (epan/proto.h)
GROUP_MALFORMED = 117440512  # _ws.expert.group PI_MALFORMED


def tshark_trouble(el):
    """What tshark found wrong in a dissection: a malformed-packet exception, an expert item
    of warning or error severity, or a field it could not cut ("field length invalid!").
    None if nothing."""
    for f in el.iter("field"):
        name = f.get("name")
        if name == "_ws.malformed":
            return "malformed packet"
        if name == "_ws.expert":
            sev = deep(f, "_ws.expert.severity", int, 0)
            group = deep(f, "_ws.expert.group", int, 0)
            # warnings of the Sequence group (retransmissions) are about the flow
            if sev >= SEV_ERROR or group == GROUP_MALFORMED:
                return "expert: " + (deep(f, "_ws.expert.message") or "")
        if "invalid!" in (f.get("value") or ""):
            return "field length invalid"
        if name in ("dns.qry.name", "dns.resp.name", "dns.cname", "dns.ptr.domain_name") \
                and f.get("show") in DNS_NAME_ERRORS:
            return "unreadable name " + f.get("show")
    for f in el.iter("proto"):
        if f.get("name") == "_ws.malformed":
            return "malformed packet"
    return None


def expert_messages(el):
    return [f.get("show") for f in el.iter("field") if f.get("name") == "_ws.expert.message"]


def compare_verdict(res, F, verdict, el, pkt=None):
    """Our verdict against tshark's: malformed exactly when tshark found a problem."""
    trouble = tshark_trouble(el) or (tshark_trouble(pkt) if pkt is not None else None)
    exp = "malformed" if trouble else "ok"
    if not res.eq(F, "verdict", verdict, exp):
        res.diffs[-1] += " (tshark: %s)" % (trouble or "; ".join(expert_messages(el)) or
                                            "no problem found")


# ------------------------------------------------------------------ UDP datagrams


def udp_packets(trace_packets, proto_names):
    """(frame, protos, proto element, payload bytes) of each datagram tshark dissects as
    one of proto_names."""
    out = []
    for frame, protos, _ in trace_packets:
        el = next((protos[n] for n in proto_names if n in protos), None)
        if el is None or "udp" not in protos or "icmp" in protos or "icmpv6" in protos:
            continue
        payload = deep(protos["udp"], "udp.payload")
        if payload is None:
            continue
        out.append((frame, protos, el, bytes.fromhex(payload.replace(":", ""))))
    return out


# ------------------------------------------------------------------ NTP

MONTHS = {m: i + 1 for i, m in enumerate("Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"
                                         .split())}


def tshark_time(show):
    """tshark's 'Sep 27, 2004 03:17:58.223497999 UTC' as our ISO 8601; NULL -> None."""
    if show is None or show == "NULL":
        return None
    m = re.match(r"^(\w{3}) +(\d+), (\d+) (\d\d:\d\d:\d\d)\.(\d{9}) UTC$", show)
    if not m:
        return "unparsed: " + show
    return "%04d-%02d-%02dT%s.%sZ" % (int(m.group(3)), MONTHS[m.group(1)], int(m.group(2)),
                                      m.group(4), m.group(5))


def s8(v):
    return v - 256 if v >= 128 else v


def compare_ntp(res, F, ntp, got):
    vn = deep(ntp, "ntp.flags.vn", int)
    mode = deep(ntp, "ntp.flags.mode", int)
    res.eq(F, "version", got.get("version"), vn)
    res.eq(F, "mode", got.get("mode"), mode)
    if mode == 7:
        res.eq(F, "response", got.get("response"), deep(ntp, "ntp.priv.flags.r", tbool))
        res.eq(F, "more", got.get("more"), deep(ntp, "ntp.priv.flags.more", tbool))
        res.eq(F, "auth", got.get("auth"), deep(ntp, "ntp.priv.auth", tbool))
        res.eq(F, "sequence", got.get("sequence"), deep(ntp, "ntp.priv.seq", int))
        res.eq(F, "implementation", got.get("implementation"), deep(ntp, "ntp.priv.impl", int))
        res.eq(F, "request_code", got.get("request_code"), deep(ntp, "ntp.priv.reqcode", int))
        res.eq(F, "error", got.get("error"), deep(ntp, "ntp.priv.err", hexint))
        res.eq(F, "item_count", got.get("item_count"), deep(ntp, "ntp.priv.numitems", int))
        res.eq(F, "item_size", got.get("item_size"), deep(ntp, "ntp.priv.itemsize", int))
        return
    if mode == 6:
        res.eq(F, "response", got.get("response"), deep(ntp, "ntp.ctrl.flags2.r", tbool))
        res.eq(F, "error", got.get("error"), deep(ntp, "ntp.ctrl.flags2.error", tbool))
        res.eq(F, "more", got.get("more"), deep(ntp, "ntp.ctrl.flags2.more", tbool))
        res.eq(F, "opcode", got.get("opcode"), deep(ntp, "ntp.ctrl.flags2.opcode", int))
        res.eq(F, "sequence", got.get("sequence"), deep(ntp, "ntp.ctrl.sequence", int))
        res.eq(F, "association_id", got.get("association_id"),
               deep(ntp, "ntp.ctrl.associd", int))
        res.eq(F, "offset", got.get("offset"), deep(ntp, "ntp.ctrl.offset", int))
        res.eq(F, "count", got.get("count"), deep(ntp, "ntp.ctrl.count", int))
        return
    res.eq(F, "leap", got.get("leap"), deep(ntp, "ntp.flags.li", int))
    stratum = deep(ntp, "ntp.stratum", int)
    res.eq(F, "stratum", got.get("stratum"), stratum)
    res.eq(F, "poll", got.get("poll"), s8(deep(ntp, "ntp.ppoll", int)))
    res.eq(F, "precision", got.get("precision"), s8(deep(ntp, "ntp.precision", int)))
    refid = next(f for f in ntp.iter("field") if f.get("name") == "ntp.refid")
    raw = bytes.fromhex(refid.get("value"))
    res.eq(F, "reference_id_hex", got.get("reference_id_hex"), raw.hex())
    shown = refid.get("showname").split(": ", 1)[1]
    if stratum >= 2:
        res.eq(F, "reference_id", got.get("reference_id"), shown)
    else:
        # tshark names known sources ("Global Position System"); the four ASCII bytes
        # are what it shows for the others, and what RFC 5905 7.3 defines.
        m = re.match(r"^Unidentified reference source '(.*)'$", shown)
        exp = m.group(1) if m else as_writer(raw.split(b"\0")[0])
        res.eq(F, "reference_id", got.get("reference_id"), exp)
    for ours, theirs in (("reference_time", "ntp.reftime"), ("origin_time", "ntp.org"),
                         ("receive_time", "ntp.rec"), ("transmit_time", "ntp.xmt")):
        res.eq(F, ours, got.get(ours), tshark_time(deep(ntp, theirs)))
    org = next(f for f in ntp.iter("field") if f.get("name") == "ntp.org")
    res.eq(F, "origin_zero", got.get("origin_zero"), int(org.get("value"), 16) == 0)


def iso_epoch(iso):
    """Our ISO 8601 time as (seconds since 1970, nanoseconds)."""
    import calendar
    m = re.match(r"^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)\.(\d{9})Z$", iso)
    sec = calendar.timegm(tuple(int(x) for x in m.groups()[:6]))
    return sec, int(m.group(7))


def zeek_ntp_log():
    path = os.path.join(TRACES, "zeek", "baseline_ntp_ntp.log")
    fields, rows = None, []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#"):
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def compare_zeek_ntp(res, msgs):
    """Zeek's ntp.log for zeek/ntp_ntp.pcap: one row per message, in trace order."""
    rows = zeek_ntp_log()
    res.eq(0, "zeek rows", len(rows), len(msgs))
    for (F, got), z in zip(msgs, rows):
        res.eq(F, "zeek version", got.get("version"), int(z["version"]))
        res.eq(F, "zeek mode", got.get("mode"), int(z["mode"]))
        res.eq(F, "zeek stratum", got.get("stratum"), int(z["stratum"]))
        # Zeek logs intervals as seconds with 6 decimals: 2^poll, 2^precision
        res.eq(F, "zeek poll", "%.6f" % 2.0 ** got.get("poll"), z["poll"])
        res.eq(F, "zeek precision", "%.6f" % 2.0 ** got.get("precision"), z["precision"])
        # Zeek prints all four bytes of a stratum 0/1 reference id; we drop the zero
        # padding RFC 5905 7.3 defines ("left justified and zero padded").
        zref = re.sub(r"(\\x00)+$", "", z["ref_id"])
        res.eq(F, "zeek ref_id", got.get("reference_id"), zref)
        for ours, theirs in (("reference_time", "ref_time"), ("origin_time", "org_time"),
                             ("receive_time", "rec_time"), ("transmit_time", "xmt_time")):
            if ours not in got:
                res.eq(F, "zeek " + theirs, "unset", z[theirs])
                continue
            sec, ns = iso_epoch(got[ours])
            zs, _, zf = z[theirs].partition(".")
            # Zeek keeps a double and prints 6 decimals: within a microsecond
            d = (sec - int(zs)) * 10 ** 9 + ns - int(zf) * 1000
            res.eq(F, "zeek " + theirs + " (ns apart, <= 1000)", abs(d) <= 1000, True)


def check_ntp(path, trace_packets):
    res = Result(path, "ntp")
    msgs = []
    for frame, protos, ntp, payload in udp_packets(trace_packets, ["ntp"]):
        got, verdict = dissect("ntp", payload)
        res.messages += 1
        compare_verdict(res, frame, verdict, ntp)
        compare_ntp(res, frame, ntp, got)
        msgs.append((frame, got))
    if rel(path) == os.path.join("zeek", "ntp_ntp.pcap"):
        compare_zeek_ntp(res, msgs)
        res.notes.append("zeek ntp.log compared")
    if rel(path) == os.path.join("suricata-verify", "ntp-keywords", "input.pcap"):
        compare_suricata_ntp(res, msgs)
        res.notes.append("suricata-verify checks compared")
    return [res]


def compare_suricata_ntp(res, msgs):
    """suricata-verify ntp-keywords/test.yaml: counts of events per value."""
    def count(pred):
        return sum(1 for _, g in msgs if pred(g))
    res.eq(0, "suricata events", len(msgs), 4)
    for key, val, n in (("version", 3, 2), ("version", 4, 2), ("stratum", 0, 2),
                        ("stratum", 2, 2), ("mode", 3, 2), ("mode", 4, 2)):
        res.eq(0, "suricata %s=%s" % (key, val), count(lambda g: g.get(key) == val), n)
    for hexid, n in (("00:00:00:00", 2), ("4c:4f:43:4c", 2)):
        res.eq(0, "suricata reference_id " + hexid,
               count(lambda g: g.get("reference_id_hex") == hexid.replace(":", "")), n)


# ------------------------------------------------------------------ DHCP

DHCP_OPT_FIELDS = {  # ours -> tshark field inside the option
    50: ("requested_ip", "dhcp.option.requested_ip_address", str),
    54: ("server_id", "dhcp.option.dhcp_server_id", str),
    51: ("lease_time", "dhcp.option.ip_address_lease_time", int),
    52: ("overload", "dhcp.option.option_overload", int),
}


def compare_dhcp(res, F, dhcp, got):
    res.eq(F, "op", got.get("op"), kid(dhcp, "dhcp.type", int))
    res.eq(F, "htype", got.get("htype"), kid(dhcp, "dhcp.hw.type", hexint))
    res.eq(F, "hlen", got.get("hlen"), kid(dhcp, "dhcp.hw.len", int))
    res.eq(F, "xid", got.get("xid"), kid(dhcp, "dhcp.id", hexint))
    res.eq(F, "secs", got.get("secs"), kid(dhcp, "dhcp.secs", int))
    res.eq(F, "broadcast", got.get("broadcast"), deep(dhcp, "dhcp.flags.bc", tbool))
    for ours, theirs in (("ciaddr", "dhcp.ip.client"), ("yiaddr", "dhcp.ip.your"),
                         ("siaddr", "dhcp.ip.server"), ("giaddr", "dhcp.ip.relay")):
        res.eq(F, ours, got.get(ours), kid(dhcp, theirs))
    res.eq(F, "client_mac", got.get("client_mac"), kid(dhcp, "dhcp.hw.mac_addr"))
    hw = [c for c in dhcp if c.get("name") == "dhcp.hw.addr"]
    res.eq(F, "client_hw_addr", got.get("client_hw_addr"), hw[0].get("value") if hw else None)
    # tshark's option items: code and raw bytes, as tshark cut them (End shows as 0)
    opts = []
    for o in dhcp.iter("field"):
        if o.get("name") != "dhcp.option.type":
            continue
        if not re.fullmatch(r"([0-9a-f]{2})+", o.get("value", "")):
            # "field length invalid!": the option runs past the datagram. We stop there
            # and say the message is malformed.
            res.eq(F, "malformed (option %s cut)" % o.get("show"), got.get("malformed"), True)
            continue
        raw = bytes.fromhex(o.get("value"))
        if raw[0] in (0, 255):
            continue
        opts.append((raw[0], raw[2:], o))
    res.eq(F, "options", got.get("options"), [c for c, _, _ in opts] if opts else
           got.get("options"))
    firsts = {}
    for c, data, o in opts:
        firsts.setdefault(c, (data, o))

    def opt_field(code, name, conv=str):
        if code not in firsts:
            return None
        return kid(firsts[code][1], name, conv)

    if 53 in firsts:
        code = opt_field(53, "dhcp.option.dhcp", int)
        res.eq(F, "message_type_code", got.get("message_type_code"), code)
        shown = next(c for c in firsts[53][1] if c.get("name") == "dhcp.option.dhcp")
        # "DHCP: Request (3)": tshark's name, upper case and without spaces
        name = re.match(r"^DHCP: (.*) \(\d+\)$", shown.get("showname")).group(1)
        res.eq(F, "message_type", got.get("message_type"),
               name.upper().replace(" ", "") if 1 <= code <= 18 else None)
    else:
        res.eq(F, "message_type_code", got.get("message_type_code"), None)
    for code, (ours, theirs, conv) in DHCP_OPT_FIELDS.items():
        res.eq(F, ours, got.get(ours), opt_field(code, theirs, conv))
    for code, ours, theirs in ((12, "hostname", "dhcp.option.hostname"),
                               (60, "vendor_class", "dhcp.option.vendor_class_id")):
        if code not in firsts:
            res.eq(F, ours, got.get(ours), None)
            continue
        # every byte as sent (tshark's option bytes), and tshark's string up to a NUL
        mine = got.get(ours)
        res.eq(F, ours, mine, as_writer(firsts[code][0]))
        res.eq(F, ours + " (tshark string)", mine.split("\0")[0] if mine else mine,
               opt_field(code, theirs))
    res.eq(F, "client_id", got.get("client_id"),
           firsts[61][0].hex() if 61 in firsts else None)
    res.eq(F, "parameter_request_list", got.get("parameter_request_list"),
           [int(c.get("show")) for c in firsts[55][1]
            if c.get("name") == "dhcp.option.request_list_item"] if 55 in firsts else None)
    if 81 in firsts:
        o = firsts[81][1]
        res.eq(F, "fqdn_flags", got.get("fqdn_flags"), deep(o, "dhcp.fqdn.flags", hexint))
        res.eq(F, "fqdn", got.get("fqdn"), deep(o, "dhcp.fqdn.name", str, ""))
    else:
        res.eq(F, "fqdn", got.get("fqdn"), None)


def check_dhcp(path, trace_packets):
    res = Result(path, "dhcp")
    msgs = []
    for frame, protos, dhcp, payload in udp_packets(trace_packets, ["dhcp"]):
        got, verdict = dissect("dhcp", payload)
        res.messages += 1
        compare_verdict(res, frame, verdict, dhcp)
        compare_dhcp(res, frame, dhcp, got)
        msgs.append((frame, got))
    r = rel(path)
    if r == os.path.join("zeek", "dhcp_dhcp.pcap"):
        compare_zeek_dhcp(res, msgs)
        res.notes.append("zeek dhcp.log compared")
    if r == os.path.join("suricata-verify", "dhcp-eve-extended", "input.pcap"):
        compare_suricata_dhcp(res, msgs)
        res.notes.append("suricata-verify checks compared")
    return [res]


def compare_zeek_dhcp(res, msgs):
    """baseline_dhcp-all-msg-types_dhcp.log (Zeek's dhcp-all-msg-types test runs on
    Traces/dhcp/dhcp.trace, here zeek/dhcp_dhcp.pcap): 3 conversations, 9 messages."""
    path = os.path.join(TRACES, "zeek", "baseline_dhcp-all-msg-types_dhcp.log")
    fields, rows = None, []
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#"):
                rows.append(dict(zip(fields, line.split("\t"))))
    types = [t for row in rows for t in row["msg_types"].split(",")]
    res.eq(0, "zeek msg_types", [g.get("message_type") for _, g in msgs], types)
    # One row per transaction id, in order of first message; Zeek keeps the last value
    # seen of each field (base/protocols/dhcp/main.zeek overwrites them).
    groups = {}
    for F, g in msgs:
        groups.setdefault(g.get("xid"), []).append((F, g))
    res.eq(0, "zeek rows", len(groups), len(rows))
    for (xid, ms), row in zip(groups.items(), rows):
        F = ms[0][0]

        def last(key, pred=lambda g: True):
            vals = [g[key] for _, g in ms if key in g and pred(g)]
            return vals[-1] if vals else "-"
        res.eq(F, "zeek mac", last("client_mac"), row["mac"])
        res.eq(F, "zeek host_name", last("hostname"), row["host_name"])
        res.eq(F, "zeek requested_addr", last("requested_ip"), row["requested_addr"])
        ack = lambda g: g.get("message_type") == "ACK"
        res.eq(F, "zeek assigned_addr", last("yiaddr", ack), row["assigned_addr"])
        lease = last("lease_time", ack)
        res.eq(F, "zeek lease_time", lease if lease == "-" else "%d.000000" % lease,
               row["lease_time"])


def compare_suricata_dhcp(res, msgs):
    """dhcp-eve-extended/test.yaml (output-eve-dhcp-01 runs on the same pcap and checks
    only that 2 events exist)."""
    res.eq(0, "suricata events", len(msgs), 2)
    req = msgs[0][1]
    ack = msgs[1][1]
    # suricata names only some parameters (rust/src/dhcp/logger.rs log_opt_parameters)
    named = {1: "subnet_mask", 3: "router", 6: "dns_server", 15: "domain", 35: "arp_timeout",
             42: "ntp_server", 66: "tftp_server_name", 150: "tftp_server_ip"}
    F = msgs[0][0]
    res.eq(F, "suricata assigned_ip", req.get("yiaddr"), "0.0.0.0")
    # suricata's client_id is the identifier without its type byte, colon-separated
    res.eq(F, "suricata client_id", ":".join(re.findall("..", req.get("client_id", "")[2:])),
           "00:11:32:17:49:f0")
    res.eq(F, "suricata client_ip", req.get("ciaddr"), "10.16.1.4")
    res.eq(F, "suricata client_mac", req.get("client_mac"), "00:11:32:17:49:f0")
    res.eq(F, "suricata dhcp_type", req.get("message_type"), "REQUEST")
    res.eq(F, "suricata hostname", req.get("hostname"), "nas1\u0000")
    res.eq(F, "suricata id", req.get("xid"), 4016330564)
    res.eq(F, "suricata params", [named[c] for c in req.get("parameter_request_list", [])
                                  if c in named],
           ["subnet_mask", "router", "domain", "dns_server"])
    res.eq(F, "suricata type", req.get("op"), 1)
    F = msgs[1][0]
    res.eq(F, "suricata assigned_ip", ack.get("yiaddr"), "10.16.1.4")
    res.eq(F, "suricata client_ip", ack.get("ciaddr"), "10.16.1.4")
    res.eq(F, "suricata client_mac", ack.get("client_mac"), "00:11:32:17:49:f0")
    res.eq(F, "suricata dhcp_type", ack.get("message_type"), "ACK")
    res.eq(F, "suricata hostname", ack.get("hostname"), "nas1\u0000")
    res.eq(F, "suricata id", ack.get("xid"), 4016330564)
    res.eq(F, "suricata lease_time", ack.get("lease_time"), 3600)
    res.eq(F, "suricata next_server_ip", ack.get("siaddr"), "10.16.1.1")
    res.eq(F, "suricata relay_ip", ack.get("giaddr"), "0.0.0.0")
    res.eq(F, "suricata type", ack.get("op"), 2)


# ------------------------------------------------------------------ SSDP

SSDP_HEADERS = {"nt": "NT", "nts": "NTS", "st": "ST", "man": "MAN", "mx": "MX", "usn": "USN",
                "host": "HOST", "server": "SERVER", "user_agent": "USER-AGENT",
                "location": "LOCATION", "cache_control": "CACHE-CONTROL"}
# tshark's parsed value of the headers it knows, a second opinion on ours
SSDP_TSHARK_FIELDS = {"host": "http.host", "server": "http.server",
                      "user_agent": "http.user_agent", "location": "http.location",
                      "cache_control": "http.cache_control"}
# ndpi/ssdp-m-search.pcap sends SSDP to udp/32412, which tshark only decodes when told
SSDP_DECODE_AS = {os.path.join("ndpi", "ssdp-m-search.pcap"): ["-d", "udp.port==32412,ssdp"]}


def compare_ssdp(res, F, ssdp, got):
    top = list(ssdp)
    start = top[0]
    method = kid(start, "http.request.method")
    if method is not None:
        res.eq(F, "type", got.get("type"), {"NOTIFY": "notify", "M-SEARCH": "m-search"}.get(
            method.upper(), "request"))
        res.eq(F, "method", got.get("method"), method)
        res.eq(F, "uri", got.get("uri"), kid(start, "http.request.uri"))
        res.eq(F, "version", got.get("version"), kid(start, "http.request.version"))
    else:
        res.eq(F, "type", got.get("type"), "response")
        res.eq(F, "version", got.get("version"), kid(start, "http.response.version"))
        res.eq(F, "status_code", got.get("status_code"), kid(start, "http.response.code", int))
        res.eq(F, "reason", got.get("reason"), kid(start, "http.response.phrase", str, ""))
    # Header lines as tshark cut them: every top-level item up to the empty line.
    lines = []
    for f in top[1:]:
        if f.get("hide") == "yes":
            continue  # tshark's hidden copy of a header it also parsed
        raw = bytes.fromhex(f.get("value") or "")
        if raw in (b"\r\n", b"\n") or not raw:
            break
        lines.append(raw.rstrip(b"\r\n"))
    res.eq(F, "header_count", got.get("header_count"), len(lines))
    for ours, name in SSDP_HEADERS.items():
        exp = None
        for ln in lines:
            n, colon, v = ln.partition(b":")
            if colon and n.decode("latin-1").upper() == name:
                exp = as_writer(v.strip(b" \t"))
                break
        res.eq(F, ours, got.get(ours), exp)
        if ours in SSDP_TSHARK_FIELDS and exp is not None:
            res.eq(F, ours + " (tshark field)", as_tshark(got.get(ours)),
                   tshark_text(kid(ssdp, SSDP_TSHARK_FIELDS[ours])))


def check_ssdp(path, trace_packets):
    res = Result(path, "ssdp")
    opts = SSDP_DECODE_AS.get(rel(path), [])
    for frame, protos, ssdp, payload in udp_packets(trace_packets, ["ssdp"]):
        got, verdict = dissect("ssdp", payload)
        res.messages += 1
        compare_verdict(res, frame, verdict, ssdp)
        compare_ssdp(res, frame, ssdp, got)
    if opts:
        res.notes.append("decoded as SSDP with " + " ".join(opts))
    return [res]


def check_suricata_dns_dig(path):
    """dns_dns-udp-eve-dig/test.yaml: the query and its answer."""
    res = Result(path, "dns (suricata-verify dns_dns-udp-eve-dig)")
    msgs = [dissect("dns", payload)[0]
            for _, _, _, payload in udp_packets(trace_packets(path), ["dns"])]
    res.messages = len(msgs)
    res.eq(0, "events", len(msgs), 2)
    if len(msgs) != 2:
        return res
    q, a = msgs
    for g in (q, a):
        res.eq(0, "id", g.get("id"), 36146)
        res.eq(0, "queries[0]", [(x.get("name"), x.get("type")) for x in g.get("questions", [])],
               [("www.suricata-ids.org", 1)])
    res.eq(0, "flags", a.get("flags"), "81a0")
    res.eq(0, "qr/rd/ra", (a.get("qr"), a.get("rd"), a.get("ra")), (True, True, True))
    res.eq(0, "rcode", a.get("rcode"), 0)
    res.eq(0, "answers", [(x.get("name"), x.get("type"), x.get("ttl"), x.get("data"))
                          for x in a.get("answers", [])],
           [("www.suricata-ids.org", 5, 3544, "suricata-ids.org"),
            ("suricata-ids.org", 1, 244, "192.0.78.24"),
            ("suricata-ids.org", 1, 244, "192.0.78.25")])
    return res


# ------------------------------------------------------------------ ARP

# tshark's names of the operations (packet-arp.c's op_vals), ours where they differ
ARP_OP_NAMES = {"reverse request": "request-reverse", "reverse reply": "reply-reverse",
                "Inverse request": "inarp-request", "Inverse reply": "inarp-reply",
                "NAK": "arp-nak"}


def arp_bytes(arp):
    """The ARP packet as tshark cut it: its fields' bytes at their positions; None when a
    byte is covered by no field."""
    base, size = int(arp.get("pos")), int(arp.get("size"))
    buf = [None] * size
    for f in arp.iter("field"):
        v, pos = f.get("value"), f.get("pos")
        if not v or pos is None or f.get("hide") == "yes" or len(v) != 2 * int(f.get("size")):
            continue
        for i, b in enumerate(bytes.fromhex(v)):
            if 0 <= int(pos) - base + i < size:
                buf[int(pos) - base + i] = b
    return None if None in buf else bytes(buf)


def compare_arp(res, F, arp, got):
    res.eq(F, "htype", got.get("htype"), kid(arp, "arp.hw.type", int))
    res.eq(F, "ptype", got.get("ptype"), kid(arp, "arp.proto.type", hexint))
    res.eq(F, "hlen", got.get("hlen"), kid(arp, "arp.hw.size", int))
    res.eq(F, "plen", got.get("plen"), kid(arp, "arp.proto.size", int))
    res.eq(F, "op", got.get("op"), kid(arp, "arp.opcode", int))
    op = next((c for c in arp if c.get("name") == "arp.opcode"), None)
    m = re.match(r"Opcode: (.*) \(\d+\)$", op.get("showname", "")) if op is not None else None
    if m and not m.group(1).startswith("Unknown"):
        res.eq(F, "op_name", got.get("op_name"), ARP_OP_NAMES.get(m.group(1), m.group(1)))
    else:
        res.eq(F, "op_name", got.get("op_name"), None)
    for who, tw in (("sender", "src"), ("target", "dst")):
        mac = kid(arp, "arp.%s.hw_mac" % tw)
        res.eq(F, who + "_mac", got.get(who + "_mac"), mac)
        if mac is None:
            raw = next((c.get("value") for c in arp if c.get("name") == "arp.%s.hw" % tw),
                       None)
            res.eq(F, who + "_hw", got.get(who + "_hw"), raw if raw is not None else
                   ("" if kid(arp, "arp.hw.size", int) == 0 else None))
        ip = kid(arp, "arp.%s.proto_ipv4" % tw)
        res.eq(F, who + "_ip", got.get(who + "_ip"), ip)
        if ip is None:
            raw = next((c.get("value") for c in arp if c.get("name") == "arp.%s.proto" % tw),
                       None)
            res.eq(F, who + "_proto", got.get(who + "_proto"), raw if raw is not None else
                   ("" if kid(arp, "arp.proto.size", int) == 0 else None))
    res.eq(F, "gratuitous", got.get("gratuitous", False),
           deep(arp, "arp.isgratuitous", tbool, False))


def check_arp(path, trace_packets):
    res = Result(path, "arp")
    skipped = 0
    for frame, protos, _ in trace_packets:
        arp = protos.get("arp")
        if arp is None:
            continue
        data = arp_bytes(arp)
        if data is None:
            skipped += 1
            continue
        got, verdict = dissect("arp", data)
        res.messages += 1
        compare_verdict(res, frame, verdict, arp)
        compare_arp(res, frame, arp, got)
    if skipped:
        res.notes.append("%d frames not rebuilt from tshark's fields" % skipped)
    return [res]


# ------------------------------------------------------------------ main

CHECKERS = {"dns": check_dns, "http": check_http, "ntp": check_ntp, "dhcp": check_dhcp,
            "ssdp": check_ssdp, "arp": check_arp}
ALL_FILTER = "dns || mdns || ntp || dhcp || ssdp || (http && tcp) || arp"


def trace_packets(path):
    """One tshark pass over the trace: (frame, {layer: proto element}, packet element) of
    every packet of the six protocols. Without HTTP body desegmentation tshark dissects a
    message's head as soon as its header block is complete, as the appliance does: a body
    cut by the capture does not hide the head."""
    opts = ["-o", "http.desegment_body:FALSE"] + SSDP_DECODE_AS.get(rel(path), [])
    root = tshark_pdml(path, ALL_FILTER, opts)
    out = []
    for pkt in root.iter("packet"):
        protos = {}
        for pr in pkt.findall("proto"):
            protos.setdefault(pr.get("name"), pr)
        out.append((int(deep(protos["frame"], "frame.number")), protos, pkt))
    return out


def run_trace(path):
    packets = trace_packets(path)
    layers = set()
    for _, protos, _ in packets:
        layers |= set(protos)
    present = layers & {"ntp", "dhcp", "ssdp", "arp"}
    if layers & {"dns", "mdns"}:
        present.add("dns")
    if "http" in layers and "tcp" in layers:
        present.add("http")
    only = os.environ.get("ATTRS_PROTOS", "").split(",")  # e.g. dns,http
    results = []
    for proto in sorted(p for p in present if only == [""] or p in only):
        results += CHECKERS[proto](path, packets)
    return results


def main():
    checks = Checks()
    t0 = time.monotonic()
    traces = all_traces()
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as ex:
        for results in ex.map(run_trace, traces):
            for res in results:
                checks.result(res)

    # No credential, in clear or base64, in any harness output.
    secrets = set(LAB_SECRETS)
    for s in SECRETS_SEEN:
        secrets.add(s)
        secrets.add(base64.b64encode(s))
        try:
            secrets.add(base64.b64decode(s, validate=True))
        except Exception:
            pass
    secrets = {s for s in secrets if len(s) >= 4}
    leaks = sum(1 for out in ALL_OUTPUTS for s in secrets if s in out)
    checks.check("no credential in %d harness outputs (%d secrets, clear and base64)" %
                 (len(ALL_OUTPUTS), len(secrets)), leaks == 0,
                 "%d outputs contain a credential" % leaks)

    # suricata-verify dns_dns-udp-eve-dig/test.yaml names its pcap as
    # ../../cond-log-dns-dig/input.pcap, which ../shared/traces does not hold.
    dig = os.path.join(TRACES, "suricata-verify", "cond-log-dns-dig", "input.pcap")
    if os.path.exists(dig):
        checks.result(check_suricata_dns_dig(dig))
    else:
        print("note suricata-verify dns_dns-udp-eve-dig not compared: %s is not in the "
              "shared traces" % rel(dig))

    ran = {rel(t) for t in traces}
    protos = os.environ.get("ATTRS_PROTOS", "").split(",")
    stale = {k for k in set(EXCEPTIONS) - checks.used_exceptions
             if k[0] in ran and (protos == [""] or k[2] in protos)}
    checks.check("every listed exception still applies", not stale,
                 "; ".join("%s frame %s %s %s" % k for k in sorted(stale)))
    print("%d passed, %d failed (%.1f s)" % (checks.passed, checks.failed,
                                               time.monotonic() - t0))
    sys.exit(1 if checks.failed else 0)


if __name__ == "__main__":
    main()
