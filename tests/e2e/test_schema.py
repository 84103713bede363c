#!/usr/bin/python3
"""protolens' output files against their JSON Schemas (docs/schema/, draft 2020-12).

Every trace is run twice, with the project's models and with the published ones
(../shared/protoiot/models, whose attributes give each direction a "model" member), and
every document of every output file listed in OUTPUTS is validated; a valid devices.json
is also checked for what a schema cannot say (devices_consistency: per device, the
protocols' flows sum to traffic.flows; every linked id is a link holding that MAC; ...).
The schemas are checked as schemas, and a negative control makes sure they reject what
they must: a permissive or empty schema cannot pass.

Needs Debian's python3-jsonschema (tools/install-deps.sh), hence /usr/bin/python3.
Usage: test_schema.py PROTOLENS SHARED_DIR SOURCE_ROOT
"""
import copy
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402  (reads sys.argv)

try:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match, relevance
except ImportError:
    sys.exit("test_schema.py: python3-jsonschema is missing (bash tools/install-deps.sh)")

SCHEMA_DIR = os.path.join(common.ROOT, "docs", "schema")
MODELS = os.path.join(common.SHARED, "protoiot", "models")

# The output files and their schemas: (file in --out, schema in docs/schema, True when
# each line is one document (JSON Lines), False when the file is one document).
OUTPUTS = [
    ("flows.jsonl", "flows.schema.json", True),
    ("summary.json", "summary.schema.json", False),
    ("devices.json", "devices.schema.json", False),
]

MAX_SHOWN = 3  # validation errors shown per failing check


class DuplicateKey(ValueError):
    pass


def no_duplicates(pairs):
    """json object hook: a member named twice is an error (jq would keep the last)."""
    seen = {}
    for k, v in pairs:
        if k in seen:
            raise DuplicateKey("member %r twice" % k)
        seen[k] = v
    return seen


def parse(text):
    return json.loads(text, object_pairs_hook=no_duplicates)


def load_validators():
    """{schema file: validator}, after checking each schema against the metaschema."""
    out = {}
    for _, name, _ in OUTPUTS:
        with open(os.path.join(SCHEMA_DIR, name)) as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
        out[name] = Draft202012Validator(schema,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
    return out


def describe(err):
    """One error as 'path: message', descending into anyOf/oneOf to the likeliest cause."""
    e = best_match([err]) or err
    msg = e.message if len(e.message) <= 240 else e.message[:240] + "..."
    return "%s: %s" % (e.json_path, msg)


def doc_problems(validator, doc):
    errs = sorted(validator.iter_errors(doc), key=relevance, reverse=True)
    return [describe(e) for e in errs]


def file_problems(validator, path, per_line):
    """(documents validated, [problem text, ...]) for one output file."""
    if not os.path.exists(path):
        return 0, ["%s was not written" % os.path.basename(path)]
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if per_line:
        items = [(i + 1, line) for i, line in enumerate(text.split("\n"))]
        if items and items[-1][1] == "":
            items.pop()  # the newline that ends the last record
    else:
        items = [(None, text)]
    n, problems = 0, []
    for lineno, chunk in items:
        where = "line %d" % lineno if lineno else os.path.basename(path)
        try:
            doc = parse(chunk)
        except ValueError as e:
            problems.append("%s: not JSON: %s" % (where, e))
            continue
        n += 1
        errs = doc_problems(validator, doc)
        if errs:
            uid = doc.get("uid") if isinstance(doc, dict) else None
            tag = "%s (uid %s)" % (where, uid) if uid else where
            problems += ["%s: %s" % (tag, e) for e in errs[:MAX_SHOWN]]
    return n, problems


def devices_consistency(doc, summary=None):
    """What a schema cannot say about devices.json: sums and references across members.
    [problem text, ...]; summary, if given, is the run's summary.json."""
    out = []
    if not isinstance(doc, dict) or not isinstance(doc.get("devices"), list):
        return ["no devices array"]
    devs = [d for d in doc["devices"] if isinstance(d, dict)]
    links = {l.get("id"): l for l in doc.get("links", []) if isinstance(l, dict)}
    macs = [d.get("mac") for d in devs]
    if len(set(macs)) != len(macs):
        out.append("a MAC is listed twice")
    if doc.get("devices_count") != len(devs):
        out.append("devices_count %r, %d devices listed" % (doc.get("devices_count"), len(devs)))
    gws = [d.get("mac") for d in devs if d.get("role") == "gateway"]
    if gws != ([doc["gateway"]] if doc.get("gateway") else []):
        out.append("gateway %r, devices with the gateway role %r" % (doc.get("gateway"), gws))
    ids = list(links)
    if ids != ["L%d" % (i + 1) for i in range(len(ids))]:
        out.append("links are not numbered L1, L2, ... in order: %r" % ids)
    for d in devs:
        where = "device %s" % d.get("mac")
        t = d.get("traffic", {})
        protos = d.get("protocols", [])
        flows = sum(p.get("flows", 0) for p in protos)
        if flows != t.get("flows"):
            out.append("%s: protocols sum to %d flows, traffic.flows is %r"
                       % (where, flows, t.get("flows")))
        for p in protos:
            for k in ("flows", "packets", "bytes"):
                split = p.get("std_port", {}).get(k, 0) + p.get("other_port", {}).get(k, 0)
                if split != p.get(k):
                    out.append("%s: protocol %s: %s %r, std_port + other_port %d"
                               % (where, p.get("protocol"), k, p.get(k), split))
        names = {p.get("protocol") for p in protos}
        for h in d.get("hourly", []):
            hp = h.get("protocols", {})
            if sum(hp.values()) != h.get("bytes"):
                out.append("%s: hour %r: protocols sum to %d bytes, bytes is %r"
                           % (where, h.get("start"), sum(hp.values()), h.get("bytes")))
            if set(hp) - names:
                out.append("%s: hour %r: protocols %r not in the device's protocols"
                           % (where, h.get("start"), sorted(set(hp) - names)))
        findings = d.get("findings", [])
        rules = [f.get("rule") for f in findings]
        if len(set(rules)) != len(rules):
            out.append("%s: a finding rule is listed twice" % where)
        compliance = d.get("compliance", {})
        if set(compliance) - names:
            out.append("%s: compliance of protocols it did not speak: %r"
                       % (where, sorted(set(compliance) - names)))
        for proto, checks in compliance.items():
            for rule, verdict in checks.items():
                if (verdict == "fail") != (rule in rules):
                    out.append("%s: compliance %s %s is %r, %s finding" % (
                        where, proto, rule, verdict, "a" if rule in rules else "no"))
        for f in findings:
            if f.get("protocol") in compliance and f.get("rule") not in compliance[f["protocol"]]:
                out.append("%s: finding %s is not in its protocol's compliance"
                           % (where, f.get("rule")))
        if "linked" in d:
            if d["linked"] not in links:
                out.append("%s: linked %r is not in links" % (where, d["linked"]))
            elif d.get("mac") not in links[d["linked"]].get("macs", []):
                out.append("%s: not among the MACs of its link %s" % (where, d["linked"]))
    linked = {d.get("mac"): d.get("linked") for d in devs}
    for i, l in links.items():
        for m in l.get("macs", []):
            if linked.get(m) != i:
                out.append("link %s: %s is %s" % (
                    i, m, "not a device" if m not in linked else "linked %r" % linked[m]))
        for e in l.get("evidence", []):
            if isinstance(e.get("macs"), int) and e["macs"] > len(l.get("macs", [])):
                out.append("link %s: evidence shared by %d MACs of %d"
                           % (i, e["macs"], len(l.get("macs", []))))
    if isinstance(summary, dict) and isinstance(summary.get("devices"), dict):
        s = summary["devices"]
        if (s.get("devices"), s.get("dropped")) != (len(devs), doc.get("devices_dropped")):
            out.append("summary.json devices %r, dropped %r; devices.json %d devices, %r dropped"
                       % (s.get("devices"), s.get("dropped"), len(devs),
                          doc.get("devices_dropped")))
    return out


def read_json(path):
    try:
        with open(path, encoding="utf-8") as f:
            return parse(f.read())
    except (OSError, ValueError):
        return None


def run_and_validate(validators, trace, extra):
    r = common.run_pcap(trace, *extra, timeout=300)
    if r.rc != 0:
        return None, ["protolens failed: " + r.describe()], None
    counts, problems, valid = [], [], set()
    for fname, sname, per_line in OUTPUTS:
        n, p = file_problems(validators[sname], os.path.join(r.out, fname), per_line)
        counts.append("%d in %s" % (n, fname))
        problems += ["%s %s" % (fname, x) for x in p]
        if n and not p:
            valid.add(fname)
    if "devices.json" in valid:  # the checks below assume the schema's types
        devices = read_json(os.path.join(r.out, "devices.json"))
        summary = read_json(os.path.join(r.out, "summary.json"))
        problems += ["devices.json: " + x for x in devices_consistency(
            devices, summary if "summary.json" in valid else None)]
    return ", ".join(counts), problems, r.out


# ---------------------------------------------------------------- negative control

# Valid records written by hand after docs/output.md and docs/attrs/http.md (the lab's
# curl -u admin:s3cret, seen with the published HTTP model) and an ARP frame; each
# broken copy below must be rejected.
HTTP_RECORD = {
    "ts": 1795565301.725487, "uid": "CDolzNQrzaU2",
    "community_id": "1:NTJ0+iDABtRjtngmMhOV0M4v9hg=",
    "orig_mac": "02:00:5e:10:00:01", "resp_mac": "02:00:5e:10:00:02", "l3": "ipv4",
    "transport": "tcp", "orig_h": "192.0.2.10", "orig_p": 40000, "resp_h": "192.0.2.1",
    "resp_p": 8080, "proto": "http", "std_port": True, "matched": "both",
    "duration": 0.01, "orig_pkts": 6, "orig_bytes": 500, "orig_payload_bytes": 120,
    "resp_pkts": 5, "resp_bytes": 900, "resp_payload_bytes": 500,
    "orig_tcp_flags": "FSPA", "resp_tcp_flags": "FSPA",
    "http": {
        "orig": {"method": "GET", "uri": "/login?user=bob&password=<redacted:f52fbd32>",
                 "uri_redacted": True, "version": "HTTP/1.1", "host": "192.0.2.1:8080",
                 "auth_scheme": "Basic", "credential_present": True,
                 "credential_hash": "92fa305d", "header_count": 4,
                 "model": {"method": "GET", "uri": " /settings",
                           "authentication_type": "Basic",
                           "authentication_credential": {"present": True,
                                                         "hash": "92fa305d"}}},
        "resp": {"version": "HTTP/1.0", "status_code": 200, "reason": "OK",
                 "server": "lab-admin/1.0 Python/3.11.2", "header_count": 4}},
    "end": "shutdown",
}
L2_RECORD = {
    "ts": 1795565304.367091, "uid": "CxGhOV3XGDZ8", "orig_mac": "02:00:5e:10:00:01",
    "resp_mac": "ff:ff:ff:ff:ff:ff", "l3": "l2", "ether_type": 2054, "duration": 0.0,
    "orig_pkts": 1, "orig_bytes": 42, "orig_payload_bytes": 28, "resp_pkts": 0,
    "resp_bytes": 0, "resp_payload_bytes": 0, "end": "shutdown",
}


def broken(base, change):
    rec = copy.deepcopy(base)
    change(rec)
    return rec


def set_path(path, value):
    def change(rec):
        *head, last = path
        for k in head:
            rec = rec[k]
        rec[last] = value
    return change


def delete(key):
    return lambda rec: rec.pop(key)


# (what is broken, the broken record, the JSON path an error must name)
BROKEN_FLOWS = [
    ("model credential as a string",
     broken(HTTP_RECORD, set_path(["http", "orig", "model", "authentication_credential"],
                                  "YWRtaW46czNjcmV0")),
     "$.http.orig.model.authentication_credential"),
    ("credential_hash in clear",
     broken(HTTP_RECORD, set_path(["http", "orig", "credential_hash"], "admin:s3cret")),
     "$.http.orig.credential_hash"),
    ("password in the URI in clear",
     broken(HTTP_RECORD, set_path(["http", "orig", "uri"], "/login?user=bob&Password=hunter2")),
     "$.http.orig.uri"),
    ("bad MAC", broken(HTTP_RECORD, set_path(["orig_mac"], "02:00:5e:10:00:0g")), "$.orig_mac"),
    ("upper-case MAC", broken(L2_RECORD, set_path(["resp_mac"], "FF:FF:FF:FF:FF:FF")),
     "$.resp_mac"),
    ("no uid", broken(HTTP_RECORD, delete("uid")), "$"),
    ("bad community_id", broken(HTTP_RECORD, set_path(["community_id"], "1:abc=")),
     "$.community_id"),
    ("unknown member", broken(L2_RECORD, set_path(["orig_pkt"], 1)), "$.orig_pkt"),
    ("L2 record with IP members", broken(L2_RECORD, set_path(["orig_p"], 80)), "$.orig_p"),
    ("TCP record without flags", broken(HTTP_RECORD, delete("orig_tcp_flags")), "$"),
    ("attributes under another protocol's name",
     broken(HTTP_RECORD, set_path(["proto"], "tls")), "$.proto"),
    ("undocumented HTTP member",
     broken(HTTP_RECORD, set_path(["http", "orig", "cookie"], "session=1")), "$.http.orig"),
]

# Applied to the summary.json of the lab.pcap run: (what is broken, change, JSON path).
BROKEN_SUMMARY = [
    ("an undecodable reason missing",
     lambda s: s["packets"]["undecodable_by"].pop("eth_truncated"), "$.packets.undecodable_by"),
    ("a counter as a string", set_path(["flows", "created"], "33"), "$.flows.created"),
    ("an unknown lcore role", set_path(["lcores", 0, "role"], "control"), "$.lcores[0].role"),
    ("an undocumented member", set_path(["uptime"], 1), "$"),
]


# Applied to the devices.json of the lab.pcap run: (what is broken, change, JSON path).
# The lab's first device is 02:00:5e:10:00:01, locally administered, linked L1, with DNS
# queries, HTTP URIs, TLS, one hour of traffic and findings (FINDING is added if it has
# none, so that the findings are always tested).
FINDING = {"rule": "tls-client-max-version", "protocol": "tls", "severity": "high",
           "count": 2, "first_seen": 1795565304.367118, "last_seen": 1795565304.569878,
           "example_uids": ["C01JkLVHKOj0", "CYvvOVb4IqzE"], "value": "TLS 1.1"}
D0 = ["devices", 0]


def with_lab_finding(doc):
    d = doc["devices"][0]
    if not d["findings"]:
        d["findings"].append(copy.deepcopy(FINDING))
        d["compliance"].setdefault(FINDING["protocol"], {})[FINDING["rule"]] = "fail"


def delete_at(path):
    def change(doc):
        *head, last = path
        for k in head:
            doc = doc[k]
        del doc[last]
    return change


BROKEN_DEVICES = [
    ("a bad MAC", set_path(D0 + ["mac"], "02:00:5e:10:00:0g"), "$.devices[0].mac"),
    ("a group MAC", set_path(D0 + ["mac"], "03:00:5e:10:00:01"), "$.devices[0].mac"),
    ("a vendor that is a number", set_path(D0 + ["vendor"], 42), "$.devices[0].vendor"),
    ("a vendor for a locally administered MAC", set_path(D0 + ["vendor"], "Acme"),
     "$.devices[0].vendor"),
    ("an unknown vendor registry", set_path(D0 + ["vendor_registry"], "CID"),
     "$.devices[0].vendor_registry"),
    ("a missing traffic member", delete_at(D0 + ["traffic"]), "$.devices[0]"),
    ("a traffic counter below zero", set_path(D0 + ["traffic", "bytes_sent"], -1),
     "$.devices[0].traffic.bytes_sent"),
    ("an unknown role", set_path(D0 + ["role"], "router"), "$.devices[0].role"),
    ("a malformed linked id", set_path(D0 + ["linked"], "1"), "$.devices[0].linked"),
    ("a name count of 0", set_path(D0 + ["names", 0, "count"], 0),
     "$.devices[0].names[0].count"),
    ("an IPv6 address said to be IPv4", set_path(D0 + ["addresses", 0, "address"], "fe80::1"),
     "$.devices[0].addresses[0].address"),
    ("an unknown address source", set_path(D0 + ["addresses", 0, "sources"], ["lldp"]),
     "$.devices[0].addresses[0].sources[0]"),
    ("a fingerprint value list entry without count",
     delete_at(D0 + ["fingerprint", "dns", "queries", 0, "count"]),
     "$.devices[0].fingerprint.dns.queries[0]"),
    ("an undocumented fingerprint key", set_path(D0 + ["fingerprint", "dns", "answers"], []),
     "$.devices[0].fingerprint.dns"),
    ("an empty fingerprint value list", set_path(D0 + ["fingerprint", "dns", "queries"], []),
     "$.devices[0].fingerprint.dns.queries"),
    ("a password in an HTTP URI in clear",
     set_path(D0 + ["fingerprint", "http", "uris", 0, "value"], "/login?user=bob&pass=hunter2"),
     "$.devices[0].fingerprint.http.uris[0].value"),
    ("an hour that does not start on the hour",
     lambda d: d["devices"][0]["hourly"][0].update(start=d["devices"][0]["hourly"][0]["start"] + 1),
     "$.devices[0].hourly[0].start"),
    ("a standard port for traffic of no protocol",
     lambda d: d["devices"][0]["protocols"].insert(0, {
         "protocol": "other", "flows": 1, "packets": 1, "bytes": 60,
         "std_port": {"flows": 1, "packets": 1, "bytes": 60},
         "other_port": {"flows": 0, "packets": 0, "bytes": 0}}),
     "$.devices[0].protocols[0].std_port.flows"),
    ("a finding with 4 example uids",
     set_path(D0 + ["findings", 0, "example_uids"],
              ["CDolzNQrzaU2", "CxGhOV3XGDZ8", "CDolzNQrzaU3", "CDolzNQrzaU4"]),
     "$.devices[0].findings[0].example_uids"),
    ("a finding of count 2 with one example uid",
     lambda d: d["devices"][0]["findings"][0].update(count=2, example_uids=["CDolzNQrzaU2"]),
     "$.devices[0].findings[0].example_uids"),
    ("an unknown finding severity", set_path(D0 + ["findings", 0, "severity"], "severe"),
     "$.devices[0].findings[0].severity"),
    # (rule ids without '-': jsonschema versions spell such a JSON path differently)
    ("a compliance verdict other than pass or fail",
     lambda d: d["devices"][0]["compliance"].update(tls={"tls_max": "ok"}),
     "$.devices[0].compliance.tls.tls_max"),
    ("a failed check without findings",
     lambda d: d["devices"][0].update(findings=[], compliance={"tls": {"tls_max": "fail"}}),
     "$.devices[0].compliance.tls.tls_max"),
    ("a finding with a bad uid", set_path(D0 + ["findings", 0, "example_uids", 1], "C123"),
     "$.devices[0].findings[0].example_uids[1]"),
    ("a link with one MAC", lambda d: d["links"][0]["macs"].pop(), "$.links[0].macs"),
    ("an unknown link evidence kind", set_path(["links", 0, "evidence", 0, "kind"], "mdns_name"),
     "$.links[0].evidence[0].kind"),
    ("a gateway no device is", set_path(["gateway"], "02:00:5e:10:00:09"), "$.devices"),
    ("version 2", set_path(["version"], 2), "$.version"),
    ("an undocumented member", set_path(["uptime"], 1), "$"),
]

# The checks of devices_consistency on the same document: (what is broken, change).
INCONSISTENT_DEVICES = [
    ("protocol flows that do not sum to traffic.flows",
     lambda d: d["devices"][0]["traffic"].update(flows=d["devices"][0]["traffic"]["flows"] + 1)),
    ("a linked id that is not in links", set_path(D0 + ["linked"], "L9")),
    ("a MAC of a link that is not linked to it", delete_at(D0 + ["linked"])),
    ("devices_count not the devices listed",
     lambda d: d.update(devices_count=d["devices_count"] + 1)),
    ("a finding whose check passes",
     lambda d: d["devices"][0]["compliance"][d["devices"][0]["findings"][0]["protocol"]].update(
         {d["devices"][0]["findings"][0]["rule"]: "pass"})),
]


def rejects(checks, validator, base_name, base, broken_docs):
    """base must pass; each broken copy must fail with an error at its path."""
    p = doc_problems(validator, base)
    checks.check("negative control: the valid %s is accepted" % base_name, not p,
                 "; ".join(p[:MAX_SHOWN]))
    for name, doc, path in broken_docs:
        p = doc_problems(validator, doc)
        checks.check("negative control: %s rejected: %s" % (base_name, name),
                     any(x.startswith(path + ": ") for x in p),
                     "no error at %s (%s)" % (path, "; ".join(p[:MAX_SHOWN]) or "accepted"))


def negative_control(checks, validators):
    v = validators["flows.schema.json"]
    rejects(checks, v, "HTTP record", HTTP_RECORD,
            [b for b in BROKEN_FLOWS if b[1]["l3"] != "l2"])
    rejects(checks, v, "L2 record", L2_RECORD, [b for b in BROKEN_FLOWS if b[1]["l3"] == "l2"])
    try:
        parse('{"uid": "CDolzNQrzaU2", "uid": "CDolzNQrzaU3"}')
        dup = False
    except DuplicateKey:
        dup = True
    checks.check("negative control: a member named twice is rejected", dup)


def negative_control_summary(checks, validators, out_dir):
    if out_dir is None:
        checks.check("negative control: summary.json of lab.pcap", False, "no run")
        return
    with open(os.path.join(out_dir, "summary.json")) as f:
        base = json.load(f)
    rejects(checks, validators["summary.schema.json"], "lab.pcap summary", base,
            [(name, broken(base, change), path) for name, change, path in BROKEN_SUMMARY])


def negative_control_devices(checks, validators, out_dir):
    if out_dir is None:
        checks.check("negative control: devices.json of lab.pcap", False, "no run")
        return
    with open(os.path.join(out_dir, "devices.json")) as f:
        base = json.load(f)
    base = broken(base, with_lab_finding)
    rejects(checks, validators["devices.schema.json"], "lab.pcap devices", base,
            [(name, broken(base, change), path) for name, change, path in BROKEN_DEVICES])
    p = devices_consistency(base)
    checks.check("negative control: the lab.pcap devices are consistent", not p,
                 "; ".join(p[:MAX_SHOWN]))
    for name, change in INCONSISTENT_DEVICES:
        checks.check("negative control: lab.pcap devices inconsistency found: %s" % name,
                     devices_consistency(broken(base, change)) != [], "not found")


def main():
    checks = common.Checks()
    try:
        validators = load_validators()
    except Exception as e:  # a schema that does not load or is not a valid schema
        checks.check("schemas are valid draft 2020-12 schemas", False, str(e)[:600])
        checks.done()
    checks.check("schemas are valid draft 2020-12 schemas (%s)" %
                 ", ".join(s for _, s, _ in OUTPUTS), True)
    negative_control(checks, validators)

    runs = [(t, ()) for t in common.all_traces()]
    runs += [(t, ("--models", MODELS)) for t in common.all_traces()]
    # orig_vlan and resp_vlan: the smart-lock traces tag one direction only.
    runs += [(t, ("--ignore-vlan",)) for t in common.all_traces() if "iot-smart-locks" in t]

    def one(item):
        trace, extra = item
        return run_and_validate(validators, trace, extra)

    lab_out = None
    for (trace, extra), (counts, problems, out) in zip(runs, common.parallel(one, runs)):
        if trace == common.LAB and not extra:
            lab_out = out
        name = "%s%s" % (common.rel(trace), " (published models)" if "--models" in extra
                         else " (%s)" % " ".join(extra) if extra else "")
        detail = "; ".join(problems[:MAX_SHOWN])
        if len(problems) > MAX_SHOWN:
            detail += "; ... %d more" % (len(problems) - MAX_SHOWN)
        checks.check("%s: %s valid" % (name, counts or "outputs"), not problems, detail)
    negative_control_summary(checks, validators, lab_out)
    negative_control_devices(checks, validators, lab_out)
    checks.done()


if __name__ == "__main__":
    main()
