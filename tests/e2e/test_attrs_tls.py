#!/usr/bin/env python3
"""Differential test of the TLS dissector (lib/proto/tls.c) against tshark, nDPI and Suricata.

Run as:  test_attrs_tls.py HARNESS_DIR SHARED_DIR SOURCE_ROOT [PROTOLENS]   (stdlib only)

With PROTOLENS, the attributes compared are not the harness's but those protolens writes in
flows.jsonl when it runs on the trace: its own TCP head reassembly, detection and export,
checked against the same oracles.

For every TCP stream of ../shared/traces and tests/data/lab.pcap in which tshark dissects a
TLS ClientHello or ServerHello, each direction's head is rebuilt from tshark's per-packet
tcp.seq and tcp.payload (in sequence order, retransmitted or overlapping bytes dropped,
stopping at a hole, at most 16 KiB as in the appliance), written to a file and given to
dissect_tls. Every attribute is compared with what tshark decoded of the first hello (and of
the first Certificate) of that direction, read from its PDML tree; JA4, which tshark 4.0
lacks, is computed here from tshark's fields by the FoxIO rules. JA3/JA4/JA3S are also
compared with nDPI's expected output (ndpi/*.out) and Suricata's test.yaml checks.

Differences that remain are listed in EXCEPTIONS below, each with the evidence that the
oracle is the one that is wrong. Prints one line per check and "N passed, M failed".
"""
import collections
import concurrent.futures
import hashlib
import io
import ipaddress
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

HARNESS = os.path.join(os.path.abspath(sys.argv[1]), "dissect_tls")
APPLIANCE = os.path.abspath(sys.argv[4]) if len(sys.argv) > 4 else None
SHARED = os.path.abspath(sys.argv[2])
ROOT = os.path.abspath(sys.argv[3])
TRACES = os.path.join(SHARED, "traces")
LAB = os.path.join(ROOT, "tests", "data", "lab.pcap")
HEAD_MAX = 16384  # the appliance's default head per direction

# tshark decodes TLS on its registered ports only; these traces carry TLS elsewhere
# (which is the point of them), so tshark is told where.
DECODE_AS = {
    "ndpi/tls_port_80.pcapng": ["-d", "tcp.port==80,tls"],
}

# Remaining differences: (trace, direction "addr:port", attribute) -> why the oracle is
# wrong. Every entry must be used (an unused one fails), so none can hide a regression.
EXCEPTIONS = {
    # Frame 5: cipher_suites<0> and compression_methods<0> are followed by an extensions
    # length of 65472 (bytes ff c0) in a 170-byte ClientHello, so the message has no
    # readable extension block. tshark still prints "769,," as JA3 (3 fields where the
    # JA3 format has 5: SSLVersion,Ciphers,Extensions,EllipticCurves,PointFormats) and
    # its MD5; nDPI, the other oracle, gives no JA3C for this flow (port 51591), as we do.
    ("ndpi/tls_cipher_lens.pcap", "192.168.11.11:51591", "ja3"):
        "tshark's JA3 of a hello whose extension block overruns the message is not a JA3",
    ("ndpi/tls_cipher_lens.pcap", "192.168.11.11:51591", "ja3_hash"):
        "the MD5 of tshark's 3-field '769,,' string (see ja3)",
}

# Appliance mode only: flows protolens does not see as tshark does. Each entry must be used.
APPLIANCE_UNSEEN = {}

# nDPI's JA4 differs from the FoxIO specification (technical_details/JA4.md) in ways that
# are checked one by one (ndpi_ja4_quirks): every difference must be explained by one of
# these, in the trace listed, exactly as many times as listed.
NDPI_JA4_QUIRKS = {
    # "If the SNI extension (0x0000) exists, then the destination of the connection is a
    # domain, or "d" in the fingerprint. If the SNI does not exist, then ... "i"." These
    # hellos have no server_name extension (tshark lists none; nDPI's own line for
    # tls_port_80 carries the "Missing SNI TLS Extn" risk), yet nDPI prints "d".
    "sni_absent": "no server_name extension: the spec says 'i', nDPI prints 'd'",
    # These hellos carry a server_name extension whose host name is an IPv4 literal
    # (1kxun frames 512/714/846/953: "192.168.115.75"; sonos frame 4: "192.168.1.70").
    # RFC 6066 3 forbids literals there, but JA4 looks only at whether the extension
    # exists: "d". nDPI prints "i".
    "sni_ip": "server_name extension holding an IP literal: the spec says 'd', nDPI 'i'",
    # "If the first ALPN listed was http/1.1 then the first and last characters to use in
    # the fingerprint would be "h1"" (and "h2" for h2, the spec's own example). nDPI
    # prints "ht" for http/1.1 and "h0" for h2 (android frame 481).
    "alpn": "ALPN characters are not the first and last of the first value",
    # "If there are no extensions in the sorted extensions list, then the value of JA4_c
    # is set to 000000000000"; nDPI hashes the empty string (e3b0c44298fc is SHA-256 of
    # nothing). tls_cipher_lens frame 4 ends right after compression_methods<0> (offset
    # 0xe8): no extension block at all.
    "no_extensions": "no extensions: the spec says 000000000000, nDPI sha256('')",
}
NDPI_JA4_EXPECTED = {
    ("ndpi/1kxun.pcap", "sni_ip"): 4,
    ("ndpi/sonos.pcapng", "sni_ip"): 1,
    ("ndpi/alexa-app.pcapng", "sni_absent"): 6,
    ("ndpi/webex.pcap", "sni_absent"): 43,
    ("ndpi/tls_port_80.pcapng", "sni_absent"): 1,
    ("ndpi/tls_with_huge_ch.pcapng", "sni_absent"): 1,
    ("ndpi/tls_cipher_lens.pcap", "sni_absent"): 1,
    ("ndpi/tls_cipher_lens.pcap", "no_extensions"): 1,
    ("ndpi/android.pcap", "alpn"): 6,
    ("ndpi/http_ipv6.pcap", "alpn"): 6,
    ("ndpi/tls_1.3_unidirectional_client.pcapng", "alpn"): 1,
    ("ndpi/tls_2_reasms_b.pcapng", "alpn"): 1,
    ("ndpi/tls_verylong_certificate.pcap", "alpn"): 1,
}


def ndpi_ja4_quirks(ours, theirs, h):
    """The quirks that explain every difference between our JA4 and nDPI's, or None."""
    if ours is None or theirs is None or len(ours) != len(theirs) or len(ours) != 36:
        return None
    quirks = []
    exts = [e for e in (h["extensions"] or []) if not grease(e)]
    if ours[3] != theirs[3]:
        if 0 not in exts and ours[3] == "i" and theirs[3] == "d":
            quirks.append("sni_absent")
        elif 0 in exts and ours[3] == "d" and theirs[3] == "i" and \
                re.match(r"^\d+\.\d+\.\d+\.\d+$", h["sni"] or ""):
            quirks.append("sni_ip")
        else:
            return None
    if ours[8:10] != theirs[8:10]:
        if not h["alpn"]:
            return None
        quirks.append("alpn")
    if ours[24:] != theirs[24:]:
        if exts or ours[24:] != "000000000000" or \
                theirs[24:] != hashlib.sha256(b"").hexdigest()[:12]:
            return None
        quirks.append("no_extensions")
    if ours[:3] + ours[4:8] + ours[10:24] != theirs[:3] + theirs[4:8] + theirs[10:24]:
        return None
    return quirks


# ---------------------------------------------------------------- checks

class Checks:
    def __init__(self):
        self.passed = self.failed = 0
        self.t0 = time.monotonic()

    def check(self, name, ok, detail=""):
        if ok:
            self.passed += 1
            print("ok   %s" % name, flush=True)
        else:
            self.failed += 1
            print("FAIL %s%s" % (name, (": " + detail) if detail else ""), flush=True)
        return ok

    def done(self):
        print("%d passed, %d failed (%.1f s)" % (self.passed, self.failed,
                                                  time.monotonic() - self.t0))
        sys.exit(1 if self.failed or not self.passed else 0)


def all_traces():
    found = []
    for dirpath, _, files in os.walk(TRACES):
        for f in files:
            path = os.path.join(dirpath, f)
            if f.endswith((".pcap", ".pcapng", ".trace")) and os.path.getsize(path) > 0:
                found.append(path)
    found.sort()
    found.append(LAB)
    return found


def rel(path):
    if path.startswith(TRACES + os.sep):
        return os.path.relpath(path, TRACES)
    return os.path.relpath(path, ROOT)


def tshark(path, *args):
    cmd = ["tshark", "-n", "-r", path] + DECODE_AS.get(rel(path), []) + list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr.decode(errors="replace")[-400:]))
    return p.stdout


# ---------------------------------------------------------------- tshark's view (PDML)

def fields(node, name):
    """Descendant <field> elements called name, in document order."""
    return [f for f in node.iter("field") if f.get("name") == name]


def first(node, name):
    for f in node.iter("field"):
        if f.get("name") == name:
            return f
    return None


def u16(show):
    return int(show, 16) if show.startswith("0x") else int(show)


def extensions(hs):
    """The extension subtrees of a handshake message: [(type, element)]."""
    out = []
    for child in hs:
        if child.get("name") == "" and (child.get("show") or "").startswith("Extension: "):
            t = first(child, "tls.handshake.extension.type")
            if t is not None:
                out.append((int(t.get("show")), child))
    return out


def hello_from_pdml(hs, record):
    """tshark's decode of one ClientHello/ServerHello: the attributes named as ours."""
    typ = int(first(hs, "tls.handshake.type").get("show"))
    h = {"type": typ, "record_version": u16(first(record, "tls.record.version").get("show"))}
    v = first(hs, "tls.handshake.version")
    if v is not None:
        h["legacy_version"] = u16(v.get("show"))
    exts = extensions(hs)
    h["extensions"] = [t for t, _ in exts] if first(hs, "tls.handshake.extensions_length") is not None else None
    by_type = {}
    for t, e in exts:
        by_type.setdefault(t, e)

    def ext_fields(t, name, conv=lambda s: s):
        e = by_type.get(t)
        return None if e is None else [conv(f.get("show")) for f in fields(e, name)]

    if typ == 1:
        h["cipher_suites"] = ["%04x" % u16(f.get("show")) for f in fields(hs, "tls.handshake.ciphersuite")]
        h["supported_versions"] = ext_fields(43, "tls.handshake.extensions.supported_version", u16)
        sni = ext_fields(0, "tls.handshake.extensions_server_name")
        h["sni"] = sni[0] if sni else None
        h["alpn"] = ext_fields(16, "tls.handshake.extensions_alpn_str")
        h["supported_groups"] = ext_fields(10, "tls.handshake.extensions_supported_group", u16)
        h["ec_point_formats"] = ext_fields(11, "tls.handshake.extensions_ec_point_format", int)
        h["signature_algorithms"] = ext_fields(13, "tls.handshake.sig_hash_alg",
                                               lambda s: "%04x" % u16(s))
        for k, f in (("ja3", "tls.handshake.ja3_full"), ("ja3_hash", "tls.handshake.ja3")):
            e = first(hs, f)
            h[k] = e.get("show") if e is not None else None
    else:
        cs = first(hs, "tls.handshake.ciphersuite")
        h["cipher_suite"] = "%04x" % u16(cs.get("show")) if cs is not None else None
        sv = ext_fields(43, "tls.handshake.extensions.supported_version", u16)
        h["version"] = sv[0] if sv else (h.get("legacy_version") if sv is None else None)
        alpn = ext_fields(16, "tls.handshake.extensions_alpn_str")
        h["alpn"] = alpn[0] if alpn else None
        for k, f in (("ja3s", "tls.handshake.ja3s_full"), ("ja3s_hash", "tls.handshake.ja3s")):
            e = first(hs, f)
            h[k] = e.get("show") if e is not None else None
    return h


# RFC 4514 names of the attribute types the dissector names (docs/attrs/tls.md).
DN_NAMES = {
    "2.5.4.3": "CN", "2.5.4.6": "C", "2.5.4.7": "L", "2.5.4.8": "ST", "2.5.4.9": "STREET",
    "2.5.4.10": "O", "2.5.4.11": "OU", "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID", "2.5.4.4": "SN", "2.5.4.5": "serialNumber",
    "2.5.4.12": "title", "2.5.4.15": "businessCategory", "2.5.4.17": "postalCode",
    "2.5.4.42": "GN", "2.5.4.43": "initials", "2.5.4.44": "generationQualifier",
    "2.5.4.46": "dnQualifier", "2.5.4.65": "pseudonym", "2.5.4.97": "organizationIdentifier",
    "1.2.840.113549.1.9.1": "emailAddress", "1.3.6.1.4.1.311.60.2.1.1": "jurisdictionL",
    "1.3.6.1.4.1.311.60.2.1.2": "jurisdictionST", "1.3.6.1.4.1.311.60.2.1.3": "jurisdictionC",
}


def rfc4514_escape(v):
    out = []
    for i, c in enumerate(v):
        if c == "\0":
            out.append("\\00")
            continue
        if c in '"+,;<>\\' or (i == 0 and c in "# ") or (i == len(v) - 1 and c == " "):
            out.append("\\")
        out.append(c)
    return "".join(out)


def name_from_pdml(name_field):
    """(RFC 4514 string, last CN) of an x509af.issuer/subject subtree, built from tshark's
    decoded RDN items (its one-line label is cut at 240 characters)."""
    rdns = []
    cn = None
    for item in fields(name_field, "x509if.RDNSequence_item"):
        atvs = []
        for atv in fields(item, "x509if.RelativeDistinguishedName_item_element"):
            o = first(atv, "x509if.oid")
            o = first(atv, "x509if.id") if o is None else o
            oid = o.get("show") if o is not None else "?"
            val = None
            for f in atv.iter("field"):
                if f.get("name", "").startswith("x509sat.") and f.get("name") not in (
                        "x509sat.DirectoryString",):
                    val = f
            if oid in DN_NAMES and val is not None:
                text = val.get("show")
                atvs.append("%s=%s" % (DN_NAMES[oid], rfc4514_escape(text)))
                if oid == "2.5.4.3":
                    cn = text
            else:  # no name, or not a string: '#' and the BER in hex (RFC 4514 2.4)
                atvs.append("%s=#%s" % (DN_NAMES.get(oid, oid), atv.get("value") or "?"))
        rdns.append("+".join(atvs))
    return ",".join(reversed(rdns)), cn


def tshark_time(f):
    """'2015-10-10 15:55:47 (UTC)' (utcTime) or generalizedTime -> ISO 8601."""
    s = f.get("show")
    m = re.match(r"^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \(UTC\)$", s)
    if m:
        return "%s-%s-%sT%s:%s:%sZ" % m.groups()
    # FT_ABSOLUTE_TIME: "May 10, 2068 06:28:50.000000000 UTC"
    m = re.match(r"^(\w{3}) +(\d+), (\d{4}) (\d\d):(\d\d):(\d\d)\.0+ UTC$", s)
    if m:
        mon = "JanFebMarAprMayJunJulAugSepOctNovDec".index(m.group(1)) // 3 + 1
        return "%s-%02d-%02dT%s:%s:%sZ" % (m.group(3), mon, int(m.group(2)), m.group(4),
                                           m.group(5), m.group(6))
    return "?" + s


def cert_from_pdml(hs):
    c = first(hs, "tls.handshake.certificate")
    if c is None:
        return None
    out = {}
    iss, sub = first(c, "x509af.issuer"), first(c, "x509af.subject")
    if sub is not None:
        out["subject"], cn = name_from_pdml(sub)
        if cn is not None:
            out["subject_cn"] = cn
    if iss is not None:
        out["issuer"], cn = name_from_pdml(iss)
        if cn is not None:
            out["issuer_cn"] = cn
    for k, f in (("not_before", "x509af.notBefore"), ("not_after", "x509af.notAfter")):
        e = first(c, f)
        if e is not None and len(e):
            out[k] = tshark_time(e[0])
    if iss is not None and sub is not None:
        out["self_signed"] = iss.get("value") == sub.get("value")
    return out


def handshakes_from_pdml(path):
    """{(stream, "src:port"): {"hello": dict, "hello_frame": n, "cert": dict|None}} for the
    first hello and first Certificate of each direction, as tshark decodes them."""
    xml = tshark(path, "-Y", "tls.handshake.type == 1 || tls.handshake.type == 2 || "
                 "tls.handshake.type == 11", "-T", "pdml")
    dirs = {}
    for _, pkt in ET.iterparse(io.BytesIO(xml), events=("end",)):
        if pkt.tag != "packet":
            continue
        protos = {p.get("name"): p for p in pkt.findall("proto")}
        frame = int(first(protos["frame"], "frame.number").get("show"))
        tcp = protos.get("tcp")
        ipp = protos.get("ip") if "ip" in protos else protos.get("ipv6")
        if tcp is None or ipp is None:
            pkt.clear()
            continue
        stream = int(first(tcp, "tcp.stream").get("show"))
        src = first(ipp, "ip.src") if ipp.get("name") == "ip" else first(ipp, "ipv6.src")
        dst = first(ipp, "ip.dst") if ipp.get("name") == "ip" else first(ipp, "ipv6.dst")
        key = (stream, "%s:%s" % (src.get("show"), first(tcp, "tcp.srcport").get("show")))
        d = dirs.setdefault(key, {"hello": None, "hello_frame": None, "cert": None,
                                  "cert_frame": None, "peer": "%s:%s" % (
                                      dst.get("show"), first(tcp, "tcp.dstport").get("show"))})
        for tls in pkt.findall("proto"):
            if tls.get("name") != "tls":
                continue
            for record in [f for f in tls if f.get("name") == "tls.record"]:
                for hs in [f for f in record if f.get("name") == "tls.handshake"]:
                    t = first(hs, "tls.handshake.type")
                    if t is None:
                        continue
                    t = int(t.get("show"))
                    if t in (1, 2) and d["hello"] is None:
                        d["hello"] = hello_from_pdml(hs, record)
                        d["hello_frame"] = frame
                    elif t == 11 and d["cert"] is None and d["hello"] is not None:
                        d["cert"] = cert_from_pdml(hs)
                        d["cert_frame"] = frame
        pkt.clear()
    return {k: v for k, v in dirs.items() if v["hello"] is not None}


# ---------------------------------------------------------------- heads

def heads(path, streams):
    """{(stream, "src:port"): bytes}: each direction's head from tcp.seq/tcp.payload."""
    out = tshark(path, "-Y", "tcp.stream in {%s}" % ",".join(str(s) for s in sorted(streams)),
                 "-T", "fields", "-E", "separator=/t", "-E", "occurrence=l",
                 "-e", "tcp.stream", "-e", "ip.src",
                 "-e", "ipv6.src", "-e", "tcp.srcport", "-e", "tcp.seq", "-e", "tcp.flags.syn",
                 "-e", "tcp.payload").decode()
    segs = collections.defaultdict(list)
    syn = {}
    for line in out.splitlines():
        c = line.split("\t")
        c += [""] * (7 - len(c))
        if not c[0] or not c[4]:
            continue
        key = (int(c[0]), "%s:%s" % (c[1] or c[2], c[3]))
        seq = int(c[4])
        if c[5] in ("1", "True"):
            syn[key] = seq
        if c[6]:
            segs[key].append((seq, bytes.fromhex(c[6].replace(":", ""))))
    result = {}
    for key, lst in segs.items():
        lst.sort(key=lambda s: s[0])
        cur = syn[key] + 1 if key in syn else lst[0][0]
        head = bytearray()
        for seq, data in lst:
            if seq > cur:
                break  # a hole: the head stops there
            if seq + len(data) <= cur:
                continue  # retransmitted
            head += data[cur - seq:]
            cur = seq + len(data)
            if len(head) >= HEAD_MAX:
                break
        result[key] = bytes(head[:HEAD_MAX])
    return result


def dissect(head, tmpdir, name):
    path = os.path.join(tmpdir, name)
    with open(path, "wb") as f:
        f.write(head)
    p = subprocess.run([HARNESS, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        return None, "exit %d: %s" % (p.returncode, p.stderr.decode(errors="replace"))
    try:
        return json.loads(p.stdout.decode()), None
    except ValueError as e:
        return None, "not JSON (%s): %r" % (e, p.stdout[:200])


def endpoint(addr, port):
    return "%s:%s" % (ipaddress.ip_address(addr).compressed, port)


def appliance_run(path, tmpdir):
    """{(src, dst): [TLS attributes of that direction, per flow, in time order]} from the
    flows.jsonl of protolens run on the trace."""
    out = tempfile.mkdtemp(dir=tmpdir)
    p = subprocess.run([APPLIANCE, "--pcap", path, "--out", out, "--flows", "65536",
                        "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    if p.returncode != 0:
        raise RuntimeError("protolens exit %d: %s" % (p.returncode, p.stderr.decode()[-500:]))
    with open(os.path.join(out, "flows.jsonl")) as f:
        recs = sorted((json.loads(l) for l in f), key=lambda r: r["ts"])
    dirs = collections.defaultdict(list)
    for r in recs:
        if r.get("transport") != "tcp":
            continue
        o, d = endpoint(r["orig_h"], r["orig_p"]), endpoint(r["resp_h"], r["resp_p"])
        t = r.get("tls") or {}
        dirs[(o, d)].append(t.get("orig"))
        dirs[(d, o)].append(t.get("resp"))
    return dirs


def appliance_attrs(flows, hs, key):
    """The attributes protolens wrote for tshark's direction key of handshakes hs: the n-th
    flow of the same endpoints for the n-th tshark stream of them (ports get reused)."""
    stream, src = key
    peer = hs[key]["peer"]
    pair = (endpoint(*src.rsplit(":", 1)), endpoint(*peer.rsplit(":", 1)))
    same = sorted(k[0] for k, v in hs.items()
                  if (endpoint(*k[1].rsplit(":", 1)), endpoint(*v["peer"].rsplit(":", 1))) == pair)
    found = flows.get(pair, [])
    n = same.index(stream)
    if n >= len(found) or found[n] is None:
        return None, "flows.jsonl has no tls attributes for %s -> %s (flows %d)" % (
            pair[0], pair[1], len(found))
    return found[n], None


# ---------------------------------------------------------------- JA4 from tshark's fields

def grease(v):
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def ja4_of(h):
    """FoxIO JA4 (technical_details/JA4.md) from tshark's decode of a ClientHello."""
    vers = [v for v in (h["supported_versions"] or []) if not grease(v)]
    ver = max(vers) if vers else h["legacy_version"]
    vs = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
          0x0002: "s2", 0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3"}.get(ver, "00")
    ciphers = [int(c, 16) for c in h["cipher_suites"] if not grease(int(c, 16))]
    exts = [e for e in (h["extensions"] or []) if not grease(e)]
    alpn = "00"
    if h["alpn"] and h["alpn"][0]:
        raw = h["alpn"][0].encode("utf-8")
        f, l = raw[0], raw[-1]
        isal = lambda b: chr(b).isascii() and chr(b).isalnum()
        if isal(f) and isal(l):
            alpn = chr(f) + chr(l)
        else:  # first hex digit of the first byte, last of the last
            alpn = ("%02x" % f)[0] + ("%02x" % l)[1]
    a = "t%s%s%02d%02d%s" % (vs, "d" if 0 in exts else "i", min(len(ciphers), 99),
                             min(len(exts), 99), alpn)
    sc = sorted(ciphers)
    b = hashlib.sha256(",".join("%04x" % c for c in sc).encode()).hexdigest()[:12] \
        if sc else "000000000000"
    se = sorted(e for e in exts if e not in (0, 16))
    text = ",".join("%04x" % e for e in se)
    sig = [s for s in (h["signature_algorithms"] or []) if not grease(int(s, 16))]
    if sig:
        text += "_" + ",".join(sig)
    c = hashlib.sha256(text.encode()).hexdigest()[:12] if se else "000000000000"
    return "%s_%s_%s" % (a, b, c)


# ---------------------------------------------------------------- peers' expected outputs

ENDPOINT = r"(\[[0-9a-fA-F:.]+\]|[0-9a-fA-F:.]+?):(\d+)"


def ndpi_expected(path):
    """{frozenset of two "addr:port"}: {"JA3C": .., "JA4": .., "JA3S": ..} from path.out."""
    out = {}
    try:
        with open(path + ".out") as f:
            lines = f.read().splitlines()
    except OSError:
        return out
    for line in lines:
        m = re.match(r"^\s*\d+\s+TCP\s+" + ENDPOINT + r"\s+<?->\s+" + ENDPOINT + r"\s", line)
        if not m:
            continue
        a = "%s:%s" % (m.group(1).strip("[]"), m.group(2))
        b = "%s:%s" % (m.group(3).strip("[]"), m.group(4))
        vals = {}
        for k in ("JA3C", "JA4", "JA3S"):
            mm = re.search(r"\[" + k + r": ([0-9a-z_]+)", line)
            if mm:
                vals[k] = mm.group(1)
        if vals:
            out[frozenset((a, b))] = vals
    return out


def suricata_expected(path):
    """Values of tls.ja3.hash/.string, tls.ja3s.hash/.string, tls.ja4, tls.sni in the
    test.yaml beside path: {key: set(values)}."""
    out = collections.defaultdict(set)
    try:
        with open(os.path.join(os.path.dirname(path), "test.yaml")) as f:
            text = f.read()
    except OSError:
        return out
    for m in re.finditer(r"^\s*(tls\.(?:ja3|ja3s)\.(?:hash|string)|tls\.ja4|tls\.sni):\s*"
                         r"\"?([^\"\n]+?)\"?\s*$", text, re.M):
        out[m.group(1)].add(m.group(2))
    return out


# ---------------------------------------------------------------- comparison

def compare_hello(ours, theirs):
    """[(attribute, ours, tshark's)] that differ."""
    diffs = []
    typ = theirs["type"]
    obj = ours.get("client_hello" if typ == 1 else "server_hello")
    if obj is None:
        return [("client_hello" if typ == 1 else "server_hello", None, "present")]
    if typ == 1:
        keys = ["record_version", "legacy_version", "supported_versions", "cipher_suites",
                "extensions", "sni", "alpn", "supported_groups", "ec_point_formats",
                "signature_algorithms", "ja3", "ja3_hash"]
    else:
        keys = ["record_version", "legacy_version", "version", "cipher_suite", "extensions",
                "alpn", "ja3s", "ja3s_hash"]
    for k in keys:
        got = obj.get(k)  # attrs.c writes well-formed UTF-8 as it is, as tshark shows it
        if got != theirs.get(k):
            diffs.append((k, got, theirs.get(k)))
    return diffs


def compare_cert(ours, theirs):
    obj = ours.get("certificate")
    if obj is None:
        return [("certificate", None, "present")]
    diffs = []
    for k in ("subject", "subject_cn", "issuer", "issuer_cn", "not_before", "not_after",
              "self_signed"):
        got = obj.get(k)
        if got != theirs.get(k):
            diffs.append((k, got, theirs.get(k)))
    return diffs


def run_trace(path, tmpdir):
    """Everything about one trace, computed on a worker thread: (results, error)."""
    try:
        hs = handshakes_from_pdml(path)
        if not hs:
            return None, None
        hd = heads(path, {k[0] for k in hs})
        flows = appliance_run(path, tmpdir) if APPLIANCE else None
        res = []
        for i, (key, d) in enumerate(sorted(hs.items())):
            head = hd.get(key, b"")
            if APPLIANCE:
                ours, err = appliance_attrs(flows, hs, key)
            else:
                ours, err = dissect(head, tmpdir, "%s.%d" % (os.path.basename(path), i))
            res.append((key, d, len(head), ours, err))
        return res, None
    except Exception as e:  # reported as a failed check
        return None, "%s: %s" % (type(e).__name__, e)


def main():
    ck = Checks()
    if not ck.check("harness exists", os.access(HARNESS, os.X_OK), HARNESS):
        ck.done()
    used_exc = set()
    quirk_count = collections.Counter()
    seen = collections.defaultdict(set)  # trace -> hellos seen (for the must-work list)
    with tempfile.TemporaryDirectory(prefix="pl-attrs-tls-") as tmpdir:
        traces = all_traces()
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as ex:
            results = list(ex.map(lambda p: run_trace(p, tmpdir), traces))
        for path, (res, err) in zip(traces, results):
            name = rel(path)
            if APPLIANCE and name in APPLIANCE_UNSEEN:
                print("     exception %s: %s" % (name, APPLIANCE_UNSEEN[name]))
                used_exc.add(name)
                continue
            if err:
                ck.check("%s: tshark and harness ran" % name, False, err)
                continue
            if res is None:
                continue
            ndpi = ndpi_expected(path) if "/ndpi/" in path else {}
            suri = suricata_expected(path) if "/suricata-verify/" in path else {}
            suri_seen = collections.defaultdict(set)
            for (stream, src), d, hlen, ours, herr in res:
                label = "%s stream %d from %s (frame %d)" % (name, stream, src, d["hello_frame"])
                if herr:
                    ck.check(label, False, herr)
                    continue
                h = d["hello"]
                seen[name].add(h["type"])
                diffs = compare_hello(ours, h)
                if d["cert"] is not None:
                    diffs += [("certificate." + k, a, b) for k, a, b in compare_cert(ours, d["cert"])]
                kept = []
                for k, a, b in diffs:
                    ek = (name, src, k)
                    if ek in EXCEPTIONS:
                        used_exc.add(ek)
                        print("     exception %s %s: ours %r, tshark %r: %s"
                              % (label, k, a, b, EXCEPTIONS[ek]))
                    else:
                        kept.append("%s: ours %r, tshark %r" % (k, a, b))
                n = 12 if h["type"] == 1 else 8
                ck.check("%s: %s, %d attributes%s, head %d bytes" % (
                    label, "ClientHello" if h["type"] == 1 else "ServerHello", n,
                    " + certificate" if d["cert"] is not None else "", hlen),
                    not kept, "; ".join(kept))
                obj = ours.get("client_hello") or ours.get("server_hello") or {}
                # JA4 from tshark's fields, and the peers' fingerprints.
                if h["type"] == 1:
                    # tshark gives no JA3 when the hello's structure breaks; neither do we
                    # JA3 nor JA4 then.
                    want = ja4_of(h) if h["ja3"] is not None and \
                        (name, src, "ja3") not in EXCEPTIONS else None
                    ck.check("%s: ja4 = %s (from tshark's fields)" % (label, want),
                             obj.get("ja4") == want, "ours %r" % obj.get("ja4"))
                for flow, vals in ndpi.items():
                    if flow != frozenset((src, d["peer"])):
                        continue
                    pairs = [("JA3C", "ja3_hash"), ("JA4", "ja4")] if h["type"] == 1 \
                        else [("JA3S", "ja3s_hash")]
                    for nk, ok_ in pairs:
                        if nk not in vals:
                            continue
                        if nk == "JA4" and obj.get(ok_) != vals[nk]:
                            q = ndpi_ja4_quirks(obj.get(ok_), vals[nk], h)
                            if q and all((name, k) in NDPI_JA4_EXPECTED for k in q):
                                for k in q:
                                    quirk_count[(name, k)] += 1
                                print("     exception %s: nDPI JA4 %s, ours %s: %s" % (
                                    label, vals[nk], obj.get(ok_),
                                    "; ".join(NDPI_JA4_QUIRKS[k] for k in q)))
                                continue
                        ck.check("%s: %s = nDPI's %s" % (label, ok_, vals[nk]),
                                 obj.get(ok_) == vals[nk], "ours %r" % obj.get(ok_))
                for k, ok_ in (("tls.ja3.hash", "ja3_hash"), ("tls.ja3.string", "ja3"),
                               ("tls.ja3s.hash", "ja3s_hash"), ("tls.ja3s.string", "ja3s"),
                               ("tls.ja4", "ja4"), ("tls.sni", "sni")):
                    if obj.get(ok_) is not None:
                        suri_seen[k].add(obj.get(ok_))
            for k, vals in sorted(suri.items()):
                for v in sorted(vals):
                    ck.check("%s: Suricata's %s %s is found" % (name, k, v),
                             v in suri_seen[k], "ours: %s" % sorted(suri_seen[k]))
        stale = set(EXCEPTIONS) | (set(APPLIANCE_UNSEEN) if APPLIANCE else set())
        for ek in sorted(stale - used_exc, key=str):
            ck.check("exception %r is used" % (ek,), False, "stale: remove it")
        for ek, n in sorted(NDPI_JA4_EXPECTED.items()):
            ck.check("nDPI JA4 quirk %s in %s: %d flows" % (ek[1], ek[0], n),
                     quirk_count[ek] == n, "seen %d" % quirk_count[ek])

        # The cases the issue names must have been compared.
        must = ["ndpi/tls_2_reasms.pcapng", "ndpi/tls_2_reasms_b.pcapng",
                "ndpi/tls_with_huge_ch.pcapng", "suricata-verify/tls_tls-client-hello-frag-01/"
                "dump_mtu300.pcap", "suricata-verify/tls_tls13-draft28/tls13_draft28.pcap",
                "ndpi/ja3_lots_of_cipher_suites.pcap", "ndpi/ja3_lots_of_cipher_suites_2_anon.pcap",
                "ndpi/tls_cipher_lens.pcap", "ndpi/webex.pcap", "ndpi/selfsigned.pcap",
                "ndpi/tls-rdn-extract.pcap"]
        for m in must:
            if APPLIANCE and m in APPLIANCE_UNSEEN:
                continue
            ck.check("%s was compared" % m, 1 in seen.get(m, set()), "no ClientHello compared")

        # tls_missing_ch_frag: the ClientHello's second segment is missing, so tshark has no
        # ClientHello to compare; the head stops at the hole and must say so.
        mpath = os.path.join(TRACES, "ndpi", "tls_missing_ch_frag.pcap")
        hd = heads(mpath, {0})
        client = [k for k in hd if k[1].startswith("192.168.0.1:")]
        ok = len(client) == 1
        if ok and APPLIANCE:
            mine = [v for (s_, _), v in appliance_run(mpath, tmpdir).items()
                    if s_ == endpoint(*client[0][1].rsplit(":", 1))]
            ours = mine[0][0] if mine and mine[0] else None
        else:
            ours = dissect(hd[client[0]], tmpdir, "missing")[0] if ok else None
        ch = (ours or {}).get("client_hello", {})
        ck.check("ndpi/tls_missing_ch_frag.pcap: the cut ClientHello is malformed, "
                 "without fingerprints", ok and ours.get("malformed") is True and
                 "cipher_suites" in ch and "ja3" not in ch and "ja4" not in ch, repr(ours))
    ck.done()


if __name__ == "__main__":
    main()
