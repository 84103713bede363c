# One row per flow of flows.jsonl for `make demo`: addresses, counters, the
# detected protocol and the attribute that says most about it.
def tls_row: (.orig.client_hello // {}) as $c | (.resp.server_hello // {}) as $s |
  [ ($c.sni // empty | "sni=" + .),
    ($c.legacy_version // empty | "client=" + tostring),
    ($s.version // empty | "server=" + tostring),
    ($s.cipher_suite // empty | "suite=" + .),
    ($c.ja4 // empty | "ja4=" + .) ] | join(" ");
def http_row: [ (.orig.method // empty), (.orig.host // empty), (.orig.uri // empty),
    (.orig.version // empty), (.orig.auth_scheme // empty | "auth=" + .),
    (.resp.status_code // empty | tostring) ] | join(" ");
def dns_row: [ (.orig.questions[0].name // .resp.questions[0].name // empty),
    (.resp.answers[0].data // empty | "-> " + .) ] | join(" ");
def ntp_row: [ (.orig.version // empty | "v" + tostring),
    (.orig.mode // empty | "mode " + tostring) ] | join(" ");
def dhcp_row: [ (.orig.message_type // empty), (.orig.hostname // empty),
    (.orig.client_mac // empty) ] | join(" ");
def ssdp_row: [ (.orig.method // .orig.type // empty), (.orig.nt // .orig.st // empty),
    (.orig.server // .orig.user_agent // empty) ] | join(" ");
def attrs: .proto as $p | (.[$p] // {}) |
  if $p == "tls" then tls_row elif $p == "http" then http_row
  elif $p == "dns" then dns_row elif $p == "ntp" then ntp_row
  elif $p == "dhcp" then dhcp_row elif $p == "ssdp" then ssdp_row else "" end;
[ .transport // "l2", .proto // "-", .orig_h // .orig_mac, .orig_p // "-",
  .resp_h // .resp_mac, .resp_p // "-", .orig_pkts, .resp_pkts,
  .orig_bytes + .resp_bytes, (if .proto then attrs else "" end) ] | @tsv
