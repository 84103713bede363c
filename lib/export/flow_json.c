/* SPDX-License-Identifier: BSD-3-Clause */
/* One flow record as one JSON line (docs/output.md). Every string written
 * here is generated (addresses, names from fixed tables): none needs
 * escaping. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "export.h"

static const char b62[] =
	"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

void
pl_export_uid(unsigned worker, uint64_t seq, char out[PL_UID_LEN])
{
	/* splitmix64: a bijection, so distinct (worker, seq) never collide,
	 * and uids look like Zeek's instead of counting up. */
	uint64_t x = ((uint64_t)worker << 56) ^ seq;
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	int n = 0;
	out[n++] = 'C';
	for (int i = 0; i < 11; i++) {
		out[n++] = b62[x % 62];
		x /= 62;
	}
	out[n] = '\0';
}

static const char *
transport_name(const struct pl_flow_key *k, char *buf, size_t size)
{
	switch (k->proto) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmp6";
	case 132: return "sctp";
	default:
		snprintf(buf, size, "%u", k->proto);
		return buf;
	}
}

static void
tcp_flags_str(uint8_t f, char out[9])
{
	static const char letters[] = "FSRPAUEC";
	int n = 0;
	for (int b = 0; b < 8; b++)
		if (f & (1U << b))
			out[n++] = letters[b];
	out[n] = '\0';
}

/* The detected protocol (docs/output.md): proto, std_port, matched and
 * also_matched. */
static void
write_detection(FILE *f, const struct pl_flow_record *r,
		const struct pl_model_set *models)
{
	static const char *const matched[] = {"", "request", "response",
					      "both"};
	unsigned app = r->app - 1u;
	const struct pl_flow_key *k = &r->key;
	bool std = pl_model_std_port(models, app, k->port[0]) ||
		   pl_model_std_port(models, app, k->port[1]);

	fprintf(f, ",\"proto\":\"%s\",\"std_port\":%s,\"matched\":\"%s\"",
		pl_model_name(models, app), std ? "true" : "false",
		matched[r->matched & 3]);
	if (r->also) {
		const char *sep = "";
		fprintf(f, ",\"also_matched\":[");
		for (uint32_t a = r->also; a; a &= a - 1) {
			fprintf(f, "%s\"%s\"", sep,
				pl_model_name(models, (unsigned)__builtin_ctz(a)));
			sep = ",";
		}
		fputc(']', f);
	}
}

/* The dissectors' texts are JSON objects already: copied as they are. */
static void
write_attrs(FILE *f, const char *name, const char *const attrs[2],
	    const unsigned *messages)
{
	static const char *const dir[2] = {"orig", "resp"};
	const char *sep = "";

	fprintf(f, ",\"%s\":{", name);
	for (int i = 0; i < 2; i++) {
		if (attrs[i] == NULL)
			continue;
		fprintf(f, "%s\"%s\":%s", sep, dir[i], attrs[i]);
		sep = ",";
	}
	for (int i = 0; i < 2; i++)
		if (attrs[i] != NULL && messages[i] > 0)
			fprintf(f, ",\"%s_messages\":%u", dir[i], messages[i]);
	fputc('}', f);
}

static bool
is_arp(const struct pl_flow_key *k)
{
	return k->family == PL_FAMILY_L2 && k->port[0] == 0x0806;
}

int
pl_export_flow_json(FILE *f, const struct pl_flow_record *r,
		    const struct pl_model_set *models,
		    const struct pl_flow_extra *x)
{
	const struct pl_flow_key *k = &r->key;
	char uid[PL_UID_LEN], cid[PL_COMMUNITY_ID_LEN];
	char omac[18], rmac[18], oa[46], ra[46], tb[8];
	unsigned o = r->orig_side;

	pl_export_uid(r->worker, r->seq, uid);
	pl_pkt_mac_str(r->mac[0], omac);
	pl_pkt_mac_str(r->mac[1], rmac);
	fprintf(f, "{\"ts\":%" PRIu64 ".%06" PRIu64 ",\"uid\":\"%s\"",
		r->first_us / 1000000, r->first_us % 1000000, uid);
	if (k->family == PL_FAMILY_L2) {
		fprintf(f,
			",\"orig_mac\":\"%s\",\"resp_mac\":\"%s\",\"l3\":\"l2\""
			",\"ether_type\":%u",
			omac, rmac, k->port[0]);
	} else {
		pl_export_community_id(r, 0, cid);
		pl_pkt_addr_str(k, o, oa, sizeof(oa));
		pl_pkt_addr_str(k, !o, ra, sizeof(ra));
		fprintf(f,
			",\"community_id\":\"%s\",\"orig_mac\":\"%s\","
			"\"resp_mac\":\"%s\",\"l3\":\"%s\",\"transport\":\"%s\","
			"\"orig_h\":\"%s\",\"orig_p\":%u,\"resp_h\":\"%s\","
			"\"resp_p\":%u",
			cid, omac, rmac,
			k->family == PL_FAMILY_IPV4 ? "ipv4" : "ipv6",
			transport_name(k, tb, sizeof(tb)), oa, k->port[o], ra,
			k->port[!o]);
	}
	/* Flows keyed without VLANs give each side's tag instead. */
	if (k->vlan)
		fprintf(f, ",\"vlan\":%u", k->vlan);
	if (!k->vlan && r->vlan[0])
		fprintf(f, ",\"orig_vlan\":%u", r->vlan[0]);
	if (!k->vlan && r->vlan[1])
		fprintf(f, ",\"resp_vlan\":%u", r->vlan[1]);
	if (r->app && models)
		write_detection(f, r, models);
	uint64_t dur = r->last_us - r->first_us;
	fprintf(f,
		",\"duration\":%" PRIu64 ".%06" PRIu64 ",\"orig_pkts\":%" PRIu64
		",\"orig_bytes\":%" PRIu64 ",\"orig_payload_bytes\":%" PRIu64
		",\"resp_pkts\":%" PRIu64 ",\"resp_bytes\":%" PRIu64
		",\"resp_payload_bytes\":%" PRIu64,
		dur / 1000000, dur % 1000000, r->pkts[0], r->bytes[0],
		r->payload[0], r->pkts[1], r->bytes[1], r->payload[1]);
	if (k->proto == 6 && k->family != PL_FAMILY_L2) {
		char a[9], b[9];
		tcp_flags_str(r->tcp_flags[0], a);
		tcp_flags_str(r->tcp_flags[1], b);
		fprintf(f, ",\"orig_tcp_flags\":\"%s\",\"resp_tcp_flags\":\"%s\"",
			a, b);
	}
	if (r->pkt_flags & (PL_PKT_F_FRAGMENT | PL_PKT_F_FIRST_FRAG))
		fprintf(f, ",\"fragments\":true");
	if (r->pkt_flags & PL_PKT_F_SNAPLEN)
		fprintf(f, ",\"snaplen_cut\":true");
	if (r->pkt_flags & PL_PKT_F_GTPU)
		fprintf(f, ",\"tunnel\":\"gtp-u\"");
	if (r->head_lost[0] || r->head_lost[1])
		fprintf(f, ",\"head_lost\":\"%s\"",
			r->head_lost[0] ? (r->head_lost[1] ? "both" : "orig")
					: "resp");
	if (x && (x->attrs[0] || x->attrs[1])) {
		if (is_arp(k))
			write_attrs(f, "arp", x->attrs, x->messages);
		else if (r->app && models)
			write_attrs(f, pl_model_name(models, r->app - 1u),
				    x->attrs, x->messages);
	}
	if (x && x->findings)
		fprintf(f, ",\"findings\":%s", x->findings);
	fprintf(f, ",\"end\":\"%s\"}\n", pl_flow_end_name(r->end));
	return ferror(f) ? -EIO : 0;
}
