/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Options: the command line after "--" (NIC mode) or the whole command line
 * (pcap mode), and config files holding the same long options, one per line.
 * One table describes every option, so --help, the parser and
 * config/protolens.conf cannot disagree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protolens.h"

enum opt_id {
	OPT_PCAP, OPT_WORKERS, OPT_OUT, OPT_CONFIG, OPT_FLOWS, OPT_TCP_TIMEOUT,
	OPT_UDP_TIMEOUT, OPT_OTHER_TIMEOUT, OPT_RING_SIZE, OPT_RECORD_RING,
	OPT_MEM, OPT_REPLAY, OPT_DURATION, OPT_PORT, OPT_QUIET, OPT_HELP,
	OPT_MODELS, OPT_INSPECT_PKTS, OPT_INSPECT_BYTES, OPT_INSPECT_ALL,
	OPT_NO_INSPECT, OPT_HEAD_BYTES, OPT_HEAD_BUFFERS, OPT_ATTR_BLOBS,
	OPT_NO_ATTRS, OPT_UDP_MESSAGES, OPT_MAX_DEVICES, OPT_EXPORT_INTERVAL,
	OPT_TOP, OPT_OUI_DIR, OPT_CIPHERSUITES, OPT_CIPHER_LEVELS,
	OPT_IGNORE_VLAN,
};

struct opt_def {
	enum opt_id id;
	const char *name;
	const char *arg; /* NULL: a flag */
	uint64_t min, max;
	const char *help;
};

static const struct opt_def defs[] = {
	{OPT_PCAP, "pcap", "FILE", 0, 0,
	 "read a pcap or pcapng trace through the pcap PMD (builds the EAL "
	 "arguments itself)"},
	{OPT_WORKERS, "workers", "N", 1, PL_MAX_WORKERS,
	 "worker lcores (default 1); in NIC mode, one RX queue each"},
	{OPT_OUT, "out", "DIR", 0, 0,
	 "output directory for flows.jsonl and summary.json (default "
	 "protolens-out)"},
	{OPT_CONFIG, "config", "FILE", 0, 0,
	 "read options from FILE, one long option per line"},
	{OPT_FLOWS, "flows", "N", 64, 1U << 28,
	 "flow table capacity per worker (default 1048576)"},
	{OPT_TCP_TIMEOUT, "tcp-timeout", "SEC", 1, 86400,
	 "idle timeout of TCP flows, trace time (default 300)"},
	{OPT_UDP_TIMEOUT, "udp-timeout", "SEC", 1, 86400,
	 "idle timeout of UDP flows (default 60)"},
	{OPT_OTHER_TIMEOUT, "other-timeout", "SEC", 1, 86400,
	 "idle timeout of other flows: ICMP, L2 (default 60)"},
	{OPT_IGNORE_VLAN, "ignore-vlan", NULL, 0, 0,
	 "key flows without VLAN ids: one flow per 5-tuple however each "
	 "direction is tagged (taps that tag the two directions of a link "
	 "differently); records give each side's tag"},
	{OPT_RING_SIZE, "ring-size", "N", 64, 1U << 20,
	 "packets each worker's input ring holds (power of two, default "
	 "65536: 3 ms at 20 Mpps, what a preempted worker needs)"},
	{OPT_RECORD_RING, "record-ring-size", "N", 64, 1U << 22,
	 "flow records each worker's ring to control holds (power of two, "
	 "default 65536)"},
	{OPT_MEM, "mem", "MB", 0, 1U << 20,
	 "pcap mode: EAL memory in MB (default 0: enough for --flows and "
	 "the trace)"},
	{OPT_REPLAY, "replay", NULL, 0, 0,
	 "pcap mode: replay the trace from memory forever (benchmark; set "
	 "--duration)"},
	{OPT_DURATION, "duration", "SEC", 0, 1U << 30,
	 "stop after SEC seconds of wall time (default 0: at the end of the "
	 "trace, or on SIGINT)"},
	{OPT_PORT, "port", "N", 0, 1023, "NIC mode: ethdev port (default 0)"},
	{OPT_MODELS, "models", "DIR", 0, 0,
	 "protocol models to load, every *.json of DIR (default: the "
	 "project's models/)"},
	{OPT_INSPECT_PKTS, "inspect-packets", "N", 1, 255,
	 "payload packets inspected per direction before giving up "
	 "(default 32)"},
	{OPT_INSPECT_BYTES, "inspect-bytes", "N", 1, 65535,
	 "payload bytes inspected per direction before giving up "
	 "(default 16384)"},
	{OPT_INSPECT_ALL, "inspect-all", NULL, 0, 0,
	 "inspect every payload of a flow until it is classified (no "
	 "budget)"},
	{OPT_NO_INSPECT, "no-inspect", NULL, 0, 0,
	 "no protocol detection: flow accounting only"},
	{OPT_HEAD_BYTES, "head-bytes", "N", 64, 65536,
	 "first bytes of each TCP direction reassembled for the dissectors "
	 "(default 16384)"},
	{OPT_HEAD_BUFFERS, "head-buffers", "N", 1, 65535,
	 "reassembly buffers per worker; past them a head is counted as "
	 "lost (default 1024)"},
	{OPT_UDP_MESSAGES, "udp-messages", "N", 1, 65535,
	 "datagrams dissected per direction of a classified UDP flow, and "
	 "ARP packets per direction of an ARP flow (default 16)"},
	{OPT_ATTR_BLOBS, "attr-blobs", "N", 64, 1U << 20,
	 "attribute messages in flight from each worker to control "
	 "(default 1024)"},
	{OPT_NO_ATTRS, "no-attrs", NULL, 0, 0,
	 "detect protocols but extract no attributes"},
	{OPT_MAX_DEVICES, "max-devices", "N", 1, 1U << 22,
	 "devices (MACs) the report holds; past them, counted (default "
	 "4096)"},
	{OPT_EXPORT_INTERVAL, "export-interval", "SEC", 0, 7 * 86400,
	 "write devices.json every SEC seconds of trace time (wall time "
	 "without timestamps) and at the end; 0: at the end only (default "
	 "300)"},
	{OPT_TOP, "top", "N", 0, 100000,
	 "entries of the report's top lists (URIs, remote services); 0 for "
	 "all (default 10)"},
	{OPT_OUI_DIR, "oui-dir", "DIR", 0, 0,
	 "IEEE MAC registries (oui.csv, mam.csv, oui36.csv) for vendors "
	 "(default /usr/share/ieee-data)"},
	{OPT_CIPHERSUITES, "ciphersuites", "FILE", 0, 0,
	 "cipher-suite registry the TLS checks rate suites with (default: "
	 "the project's config/ciphersuites.csv)"},
	{OPT_CIPHER_LEVELS, "cipher-levels", "SNAPSHOT", 0, 0,
	 "which levels of the registry: 2026 (current ciphersuite.info, the "
	 "default), 2021, or 2023 (the ProtoIoT paper's verdicts)"},
	{OPT_QUIET, "quiet", NULL, 0, 0, "no summary on stdout"},
	{OPT_HELP, "help", NULL, 0, 0, "this text"},
};

#define NB_DEFS (sizeof(defs) / sizeof(defs[0]))

void
pl_options_usage(FILE *f)
{
	fprintf(f,
		"usage: protolens --pcap FILE [options]\n"
		"       protolens [EAL arguments] -- [options]\n\n"
		"Identifies the protocols of every flow on a tap or in a trace "
		"and writes flow records.\n\noptions:\n");
	for (size_t i = 0; i < NB_DEFS; i++) {
		char left[40];
		snprintf(left, sizeof(left), "--%s%s%s", defs[i].name,
			 defs[i].arg ? " " : "", defs[i].arg ? defs[i].arg : "");
		fprintf(f, "  %-24s %s\n", left, defs[i].help);
	}
}

static int
bad(const char *where, const char *name, const char *what)
{
	fprintf(stderr, "protolens: %s%s--%s: %s\n", where ? where : "",
		where ? ": " : "", name, what);
	return -1;
}

static int
parse_uint(const char *where, const struct opt_def *d, const char *v,
	   uint64_t *out)
{
	char *end;
	char msg[160];
	errno = 0;
	unsigned long long x = strtoull(v, &end, 10);
	if (errno || end == v || *end || v[0] == '-' || x < d->min ||
	    x > d->max) {
		snprintf(msg, sizeof(msg),
			 "expected an integer from %" PRIu64 " to %" PRIu64
			 ", got '%s'",
			 d->min, d->max, v);
		return bad(where, d->name, msg);
	}
	if ((d->id == OPT_RING_SIZE || d->id == OPT_RECORD_RING) &&
	    (x & (x - 1))) {
		snprintf(msg, sizeof(msg),
			 "expected a power of two, got '%s'", v);
		return bad(where, d->name, msg);
	}
	*out = x;
	return 0;
}

static int parse_config(struct pl_options *o, const char *path, int depth);

static int
apply(struct pl_options *o, const struct opt_def *d, const char *v,
      const char *where, int depth)
{
	uint64_t x = 0;
	if (d->arg && d->max > 0 && parse_uint(where, d, v, &x) < 0)
		return -1;
	switch (d->id) {
	case OPT_PCAP: o->pcap = strdup(v); break;
	case OPT_OUT: o->out_dir = strdup(v); break;
	case OPT_CONFIG:
		if (depth > 0)
			return bad(where, d->name,
				   "config files cannot include others");
		return parse_config(o, v, depth + 1);
	case OPT_WORKERS: o->workers = (unsigned)x; break;
	case OPT_FLOWS: o->flows = (uint32_t)x; break;
	case OPT_TCP_TIMEOUT: o->tcp_timeout = (uint32_t)x; break;
	case OPT_UDP_TIMEOUT: o->udp_timeout = (uint32_t)x; break;
	case OPT_OTHER_TIMEOUT: o->other_timeout = (uint32_t)x; break;
	case OPT_RING_SIZE: o->ring_size = (uint32_t)x; break;
	case OPT_RECORD_RING: o->record_ring_size = (uint32_t)x; break;
	case OPT_MEM: o->mem_mb = (uint32_t)x; break;
	case OPT_DURATION: o->duration = (uint32_t)x; break;
	case OPT_PORT: o->port = (uint16_t)x; break;
	case OPT_MODELS: o->models = strdup(v); break;
	case OPT_INSPECT_PKTS: o->inspect_pkts = (uint32_t)x; break;
	case OPT_INSPECT_BYTES: o->inspect_bytes = (uint32_t)x; break;
	case OPT_INSPECT_ALL: o->inspect_all = true; break;
	case OPT_NO_INSPECT: o->no_inspect = true; break;
	case OPT_HEAD_BYTES: o->head_bytes = (uint32_t)x; break;
	case OPT_HEAD_BUFFERS: o->head_buffers = (uint32_t)x; break;
	case OPT_ATTR_BLOBS: o->attr_blobs = (uint32_t)x; break;
	case OPT_UDP_MESSAGES: o->udp_messages = (uint32_t)x; break;
	case OPT_NO_ATTRS: o->no_attrs = true; break;
	case OPT_IGNORE_VLAN: o->ignore_vlan = true; break;
	case OPT_MAX_DEVICES: o->max_devices = (uint32_t)x; break;
	case OPT_EXPORT_INTERVAL: o->export_interval = (uint32_t)x; break;
	case OPT_TOP: o->top = (uint32_t)x; break;
	case OPT_OUI_DIR: o->oui_dir = strdup(v); o->oui_dir_given = true; break;
	case OPT_CIPHERSUITES: o->ciphersuites = strdup(v); break;
	case OPT_CIPHER_LEVELS: o->cipher_levels = strdup(v); break;
	case OPT_REPLAY: o->replay = true; break;
	case OPT_QUIET: o->quiet = true; break;
	case OPT_HELP: return 1;
	}
	return 0;
}

static const struct opt_def *
find(const char *name)
{
	for (size_t i = 0; i < NB_DEFS; i++)
		if (strcmp(defs[i].name, name) == 0)
			return &defs[i];
	return NULL;
}

/* One option: name (without dashes) and its value (NULL if none given). */
static int
one(struct pl_options *o, const char *name, const char *value,
    const char *where, int depth)
{
	const struct opt_def *d = find(name);
	if (d == NULL) {
		fprintf(stderr, "protolens: %s%sunknown option '--%s' (see --help)\n",
			where ? where : "", where ? ": " : "", name);
		return -1;
	}
	if (d->arg && value == NULL)
		return bad(where, name, "expects a value");
	if (!d->arg && value != NULL)
		return bad(where, name, "takes no value");
	return apply(o, d, value, where, depth);
}

static int
parse_config(struct pl_options *o, const char *path, int depth)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "protolens: --config: cannot open '%s': %s\n",
			path, strerror(errno));
		return -1;
	}
	char line[4096], where[4200];
	int lineno = 0, rc = 0;
	while (rc == 0 && fgets(line, sizeof(line), f)) {
		lineno++;
		char *s = line + strspn(line, " \t");
		s[strcspn(s, "#\r\n")] = '\0';
		char *end = s + strlen(s);
		while (end > s && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*s == '\0')
			continue;
		if (s[0] == '-' && s[1] == '-')
			s += 2;
		char *v = s + strcspn(s, " \t=");
		if (*v) {
			*v++ = '\0';
			v += strspn(v, " \t=");
		}
		snprintf(where, sizeof(where), "%s:%d", path, lineno);
		rc = one(o, s, *v ? v : NULL, where, depth);
	}
	fclose(f);
	return rc;
}

int
pl_options_parse(struct pl_options *o, int argc, char **argv)
{
	*o = (struct pl_options){
		.out_dir = "protolens-out",
		.workers = 1,
		.flows = 1U << 20,
		.tcp_timeout = 300,
		.udp_timeout = 60,
		.other_timeout = 60,
		.ring_size = 65536,
		.record_ring_size = 65536,
		.models = PL_MODELS_DIR,
		.inspect_pkts = 32,
		.inspect_bytes = 16384,
		.head_bytes = 16384,
		.head_buffers = 1024,
		.attr_blobs = 1024,
		.udp_messages = 16,
		.max_devices = 4096,
		.export_interval = 300,
		.top = 10,
		.oui_dir = "/usr/share/ieee-data",
		.ciphersuites = PL_CONFIG_DIR "/ciphersuites.csv",
	};
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--", 2) != 0 || a[2] == '\0') {
			fprintf(stderr,
				"protolens: unexpected argument '%s' (see --help)\n",
				a);
			return -1;
		}
		char name[64];
		const char *eq = strchr(a + 2, '=');
		size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
		if (len >= sizeof(name))
			len = sizeof(name) - 1;
		memcpy(name, a + 2, len);
		name[len] = '\0';
		const struct opt_def *d = find(name);
		const char *value = eq ? eq + 1 : NULL;
		if (d && d->arg && !eq && i + 1 < argc)
			value = argv[++i];
		int rc = one(o, name, value, NULL, 0);
		if (rc != 0)
			return rc;
	}
	if (o->replay && o->pcap == NULL)
		return bad(NULL, "replay", "needs --pcap");
	return 0;
}
