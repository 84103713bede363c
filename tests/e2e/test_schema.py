#!/usr/bin/python3
"""protolens' output files against their JSON Schemas (docs/schema/, draft 2020-12).

Every trace is run twice, with the project's models and with the published ones
(../shared/protoiot/models, whose attributes give each direction a "model" member), and
every document of every output file listed in OUTPUTS is validated. The schemas are
checked as schemas, and a negative control makes sure they reject what they must: a
permissive or empty schema cannot pass.

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


def run_and_validate(validators, trace, extra):
    r = common.run_pcap(trace, *extra, timeout=300)
    if r.rc != 0:
        return None, ["protolens failed: " + r.describe()], None
    counts, problems = [], []
    for fname, sname, per_line in OUTPUTS:
        n, p = file_problems(validators[sname], os.path.join(r.out, fname), per_line)
        counts.append("%d in %s" % (n, fname))
        problems += ["%s %s" % (fname, x) for x in p]
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

    def one(item):
        trace, extra = item
        return run_and_validate(validators, trace, extra)

    lab_out = None
    for (trace, extra), (counts, problems, out) in zip(runs, common.parallel(one, runs)):
        if trace == common.LAB and not extra:
            lab_out = out
        name = "%s%s" % (common.rel(trace), " (published models)" if extra else "")
        detail = "; ".join(problems[:MAX_SHOWN])
        if len(problems) > MAX_SHOWN:
            detail += "; ... %d more" % (len(problems) - MAX_SHOWN)
        checks.check("%s: %s valid" % (name, counts or "outputs"), not problems, detail)
    negative_control_summary(checks, validators, lab_out)
    checks.done()


if __name__ == "__main__":
    main()
