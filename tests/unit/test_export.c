/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/export: flow uids, the flows.jsonl line of a record
 * (parsed back with jansson, keys checked against docs/output.md) and
 * Community ID v1, checked against an implementation of the spec written
 * here independently (OpenSSL SHA-1 over the spec's byte layout, its own
 * base64) and against the example in the spec's README.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/sha.h>

#include "export.h"

/* ------------------------------------------------------------------------ */
/* Records from real decoded packets                                        */
/* ------------------------------------------------------------------------ */

static const uint8_t MAC_O[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t MAC_R[6] = {0x0a, 0xbb, 0xcc, 0xdd, 0xee, 0xff};

struct frame {
	uint8_t d[256];
	uint32_t n;
};

static void
put(struct frame *f, const void *p, size_t len)
{
	cr_assert_leq(f->n + len, sizeof(f->d));
	memcpy(f->d + f->n, p, len);
	f->n += (uint32_t)len;
}

static void
put16(struct frame *f, uint16_t v)
{
	uint8_t b[2] = {(uint8_t)(v >> 8), (uint8_t)v};
	put(f, b, 2);
}

/*
 * The first packet of a flow, sent by the originator: Ethernet (optionally
 * one VLAN tag), IPv4 or IPv6 (alen 4 or 16), then 8 bytes of L4 header:
 * ports for TCP/UDP (TCP gets a full 20-byte header), type and code for
 * ICMP, anything for other protocols.
 */
static void
first_packet(struct pl_pkt_meta *m, int v6, const uint8_t *src,
	     const uint8_t *dst, uint8_t proto, uint16_t a, uint16_t b,
	     uint16_t vlan)
{
	struct frame f = {0};
	put(&f, MAC_R, 6);
	put(&f, MAC_O, 6);
	if (vlan) {
		put16(&f, 0x8100);
		put16(&f, vlan);
	}
	put16(&f, v6 ? 0x86dd : 0x0800);
	uint32_t l4len = proto == 6 ? 20 : 8;
	if (v6) {
		uint8_t h[8] = {0x60, 0, 0, 0, 0, (uint8_t)l4len, proto, 64};
		put(&f, h, 8);
		put(&f, src, 16);
		put(&f, dst, 16);
	} else {
		uint8_t h[12] = {0x45, 0, 0, (uint8_t)(20 + l4len), 0, 1, 0,
				 0, 64, proto, 0, 0};
		put(&f, h, 12);
		put(&f, src, 4);
		put(&f, dst, 4);
	}
	uint8_t l4[20] = {0};
	if (proto == 1 || proto == 58) {
		l4[0] = (uint8_t)a;
		l4[1] = (uint8_t)b;
	} else {
		l4[0] = (uint8_t)(a >> 8);
		l4[1] = (uint8_t)a;
		l4[2] = (uint8_t)(b >> 8);
		l4[3] = (uint8_t)b;
		l4[12] = 0x50;
		l4[13] = 0x02;
		if (proto == 17)
			l4[5] = 8;
	}
	put(&f, l4, l4len);
	enum pl_pkt_result r =
		pl_pkt_decode(f.d, f.n, f.n, PL_LINK_ETHERNET, m);
	cr_assert_eq(r, PL_PKT_OK, "decode: %s", pl_pkt_result_name(r));
}

/* A record whose originator sent that first packet. */
static void
record_of(struct pl_flow_record *r, const struct pl_pkt_meta *m)
{
	memset(r, 0, sizeof(*r));
	r->key = m->key;
	r->orig_side = m->dir;
	memcpy(r->mac[0], MAC_O, 6);
	memcpy(r->mac[1], MAC_R, 6);
}

/* ------------------------------------------------------------------------ */
/* uid                                                                      */
/* ------------------------------------------------------------------------ */

static int
uid_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 12);
}

static int
is_base62(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
	       (c >= 'a' && c <= 'z');
}

static void
check_uid_format(const char *u)
{
	cr_assert_eq(strlen(u), 12, "uid \"%s\": length %zu", u, strlen(u));
	cr_assert_eq(u[0], 'C', "uid \"%s\" does not start with C", u);
	for (int i = 1; i < 12; i++)
		cr_assert(is_base62(u[i]), "uid \"%s\": '%c' is not base62", u,
			  u[i]);
}

Test(uid, million_distinct_and_well_formed)
{
	enum { WORKERS = 16, PER = 62500, N = WORKERS * PER };
	char(*all)[12] = malloc((size_t)N * 12);
	cr_assert_not_null(all);
	size_t n = 0;
	for (unsigned w = 0; w < WORKERS; w++)
		for (uint64_t s = 0; s < PER; s++) {
			char u[PL_UID_LEN];
			memset(u, 'x', sizeof(u));
			pl_export_uid(w, s, u);
			check_uid_format(u);
			memcpy(all[n++], u, 12);
		}
	qsort(all, n, 12, uid_cmp);
	for (size_t i = 1; i < n; i++)
		cr_assert_neq(memcmp(all[i - 1], all[i], 12), 0,
			      "uid %.12s given twice", all[i]);
	free(all);

	/* Extremes, and the same input gives the same uid. */
	char a[PL_UID_LEN], b[PL_UID_LEN];
	pl_export_uid(255, (1ULL << 56) - 1, a);
	check_uid_format(a);
	pl_export_uid(0, UINT64_MAX, a);
	check_uid_format(a);
	pl_export_uid(3, 42, a);
	pl_export_uid(3, 42, b);
	cr_assert_str_eq(a, b);
	pl_export_uid(4, 42, b);
	cr_assert_str_neq(a, b);
}

/* ------------------------------------------------------------------------ */
/* Community ID: an independent implementation of the spec                  */
/* ------------------------------------------------------------------------ */

static void
b64(const uint8_t *in, size_t n, char *out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
				"vwxyz0123456789+/";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		out[o++] = t[v >> 18 & 63];
		out[o++] = t[v >> 12 & 63];
		out[o++] = i + 1 < n ? t[v >> 6 & 63] : '=';
		out[o++] = i + 2 < n ? t[v & 63] : '=';
	}
	out[o] = '\0';
}

/*
 * Community ID v1 of a packet's 5-tuple as the spec computes it: the two
 * endpoints ordered (smaller address first, or smaller port if the
 * addresses are equal) unless the flow is one-way, then SHA-1 over seed
 * (16 bits, network order), saddr, daddr, proto, a zero byte, and the
 * ports (network order) for protocols with ports.
 */
static void
cid_ref(size_t alen, const uint8_t *sa, const uint8_t *da, uint8_t proto,
	uint16_t sp, uint16_t dp, int has_ports, int one_way, uint16_t seed,
	char out[64])
{
	int c = memcmp(sa, da, alen);
	if (!one_way && (c > 0 || (c == 0 && has_ports && sp > dp))) {
		const uint8_t *t = sa;
		sa = da;
		da = t;
		uint16_t p = sp;
		sp = dp;
		dp = p;
	}
	uint8_t buf[64];
	size_t n = 0;
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, sa, alen);
	n += alen;
	memcpy(buf + n, da, alen);
	n += alen;
	buf[n++] = proto;
	buf[n++] = 0;
	if (has_ports) {
		buf[n++] = (uint8_t)(sp >> 8);
		buf[n++] = (uint8_t)sp;
		buf[n++] = (uint8_t)(dp >> 8);
		buf[n++] = (uint8_t)dp;
	}
	uint8_t md[SHA_DIGEST_LENGTH];
	SHA1(buf, n, md);
	out[0] = '1';
	out[1] = ':';
	b64(md, sizeof(md), out + 2);
}

/* The spec's ICMP "port equivalents" (pycommunityid icmp.py / icmp6.py). */
static void
icmp_ports(int v6, uint8_t type, uint8_t code, uint16_t *sp, uint16_t *dp,
	   int *one_way)
{
	static const uint8_t v4[][2] = {{8, 0},   {0, 8},   {13, 14}, {14, 13},
					{15, 16}, {16, 15}, {10, 9},  {9, 10},
					{17, 18}, {18, 17}};
	static const uint8_t v6m[][2] = {
		{128, 129}, {129, 128}, {130, 131}, {131, 130},
		{133, 134}, {134, 133}, {135, 136}, {136, 135},
		{139, 140}, {140, 139}, {144, 145}, {145, 144}};
	const uint8_t(*t)[2] = v6 ? v6m : v4;
	size_t n = v6 ? sizeof(v6m) / sizeof(v6m[0]) : sizeof(v4) / sizeof(v4[0]);
	*sp = type;
	for (size_t i = 0; i < n; i++)
		if (t[i][0] == type) {
			*dp = t[i][1];
			*one_way = 0;
			return;
		}
	*dp = code;
	*one_way = 1;
}

static void
lib_cid(const struct pl_flow_record *r, uint16_t seed, char out[64])
{
	char buf[PL_COMMUNITY_ID_LEN + 8];
	memset(buf, 0x7f, sizeof(buf));
	cr_assert_eq(pl_export_community_id(r, seed, buf), 0);
	cr_assert_eq(buf[PL_COMMUNITY_ID_LEN], 0x7f,
		     "wrote past PL_COMMUNITY_ID_LEN");
	cr_assert_lt(strnlen(buf, PL_COMMUNITY_ID_LEN), PL_COMMUNITY_ID_LEN);
	strcpy(out, buf);
}

/* The record's id as the library computes it, compared with want. */
static void
check_cid(const struct pl_flow_record *r, const char *want, uint16_t seed,
	  const char *what)
{
	char got[64];
	lib_cid(r, seed, got);
	cr_assert_str_eq(got, want, "%s: community id %s, expected %s", what,
			 got, want);
	cr_assert_eq(strlen(got), 30);
}

static const uint8_t V4_HI[4] = {192, 168, 1, 20};
static const uint8_t V4_LO[4] = {10, 1, 2, 3};
static const uint8_t V6_HI[16] = {0x2a, 0x00, 0x14, 0x50, 0, 0, 0, 0,
				  0,    0,    0,    0,    0, 0, 0, 0x99};
static const uint8_t V6_LO[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				  0,    0,    0,    0,    0, 0, 0, 1};

Test(community_id, spec_readme_example)
{
	/* community-id-spec README: tcp 128.232.110.120:34855 ->
	 * 66.35.250.204:80 */
	static const uint8_t s[4] = {128, 232, 110, 120}, d[4] = {66, 35, 250,
								  204};
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char ref[64];
	first_packet(&m, 0, s, d, 6, 34855, 80, 0);
	record_of(&r, &m);
	cid_ref(4, s, d, 6, 34855, 80, 1, 0, 0, ref);
	cr_assert_str_eq(ref, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=",
			 "the test's reference implementation is wrong");
	check_cid(&r, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=", 0, "spec example");
}

Test(community_id, ipv4_tcp_both_orientations_and_seed)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char ref[64], got[64];
	/* The originator has the higher address: the spec reorders. */
	first_packet(&m, 0, V4_HI, V4_LO, 6, 51000, 443, 0);
	record_of(&r, &m);
	cid_ref(4, V4_HI, V4_LO, 6, 51000, 443, 1, 0, 0, ref);
	check_cid(&r, ref, 0, "ipv4 tcp");

	r.orig_side = !r.orig_side;
	check_cid(&r, ref, 0, "ipv4 tcp, other orientation");

	cid_ref(4, V4_LO, V4_HI, 6, 443, 51000, 1, 0, 7, ref);
	check_cid(&r, ref, 7, "ipv4 tcp, seed 7");
	lib_cid(&r, 0, got);
	cr_assert_str_neq(got, ref, "the seed is hashed");

	/* Originator with the lower address. */
	first_packet(&m, 0, V4_LO, V4_HI, 6, 40000, 22, 0);
	record_of(&r, &m);
	cid_ref(4, V4_LO, V4_HI, 6, 40000, 22, 1, 0, 0, ref);
	check_cid(&r, ref, 0, "ipv4 tcp, lower originator");
}

Test(community_id, same_address_orders_by_port)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char ref[64];
	first_packet(&m, 0, V4_LO, V4_LO, 17, 40000, 53, 0);
	record_of(&r, &m);
	cid_ref(4, V4_LO, V4_LO, 17, 40000, 53, 1, 0, 0, ref);
	check_cid(&r, ref, 0, "same address");
	r.orig_side = !r.orig_side;
	check_cid(&r, ref, 0, "same address, other orientation");
}

Test(community_id, ipv6_udp)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char ref[64];
	first_packet(&m, 1, V6_HI, V6_LO, 17, 5353, 53, 0);
	record_of(&r, &m);
	cid_ref(16, V6_HI, V6_LO, 17, 5353, 53, 1, 0, 0, ref);
	check_cid(&r, ref, 0, "ipv6 udp");
	r.orig_side = !r.orig_side;
	check_cid(&r, ref, 0, "ipv6 udp, other orientation");

	/* The VLAN is not part of the Community ID. */
	first_packet(&m, 1, V6_HI, V6_LO, 17, 5353, 53, 42);
	record_of(&r, &m);
	check_cid(&r, ref, 0, "ipv6 udp in a VLAN");
}

/* ICMP record from the first packet (type, code) sent src -> dst. */
static void
check_icmp(int v6, const uint8_t *src, const uint8_t *dst, uint8_t type,
	   uint8_t code)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char ref[64], what[64];
	uint16_t sp, dp;
	int one_way;
	first_packet(&m, v6, src, dst, v6 ? 58 : 1, type, code, 0);
	record_of(&r, &m);
	icmp_ports(v6, type, code, &sp, &dp, &one_way);
	cid_ref(v6 ? 16 : 4, src, dst, v6 ? 58 : 1, sp, dp, 1, one_way, 0, ref);
	snprintf(what, sizeof(what), "icmp%s type %u code %u", v6 ? "6" : "",
		 type, code);
	check_cid(&r, ref, 0, what);
}

Test(community_id, icmp)
{
	/* Two-way messages: endpoints ordered. */
	check_icmp(0, V4_HI, V4_LO, 8, 0);
	check_icmp(0, V4_LO, V4_HI, 0, 0);
	check_icmp(0, V4_HI, V4_LO, 13, 0);
	/* One-way: the sender stays first, the code is the other port. */
	check_icmp(0, V4_HI, V4_LO, 3, 1);
	check_icmp(0, V4_HI, V4_LO, 11, 0);
	check_icmp(0, V4_LO, V4_HI, 5, 1);
}

Test(community_id, icmpv6)
{
	check_icmp(1, V6_HI, V6_LO, 128, 0);
	check_icmp(1, V6_LO, V6_HI, 129, 0);
	check_icmp(1, V6_HI, V6_LO, 135, 0);
	check_icmp(1, V6_HI, V6_LO, 1, 4);
	check_icmp(1, V6_HI, V6_LO, 143, 0); /* MLDv2 report: one-way */
}

/* The spec maps ICMPv6 Node Information Query 139 (WRU request) to its
 * reply 140: a two-way pair. */
Test(community_id, icmpv6_node_information_query)
{
	check_icmp(1, V6_HI, V6_LO, 139, 0);
	check_icmp(1, V6_LO, V6_HI, 140, 0);
}

Test(community_id, protocol_without_ports)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char ref[64];
	first_packet(&m, 0, V4_HI, V4_LO, 47, 0x1234, 0x5678, 0); /* GRE */
	record_of(&r, &m);
	cid_ref(4, V4_HI, V4_LO, 47, 0, 0, 0, 0, 0, ref);
	check_cid(&r, ref, 0, "gre");
}

Test(community_id, l2_has_none)
{
	struct pl_flow_record r;
	char out[PL_COMMUNITY_ID_LEN];
	memset(&r, 0, sizeof(r));
	r.key.family = PL_FAMILY_L2;
	r.key.port[0] = 0x0806;
	memcpy(r.key.addr[0], MAC_O, 6);
	memcpy(r.key.addr[1], MAC_R, 6);
	cr_assert_eq(pl_export_community_id(&r, 0, out), -EINVAL);
}

/* ------------------------------------------------------------------------ */
/* flows.jsonl                                                              */
/* ------------------------------------------------------------------------ */

/* Keys of a flow object in docs/output.md. */
static const char *const documented[] = {
	"ts",         "uid",        "community_id",       "orig_mac",
	"resp_mac",   "l3",         "ether_type",         "transport",
	"orig_h",     "orig_p",     "resp_h",             "resp_p",
	"vlan",       "duration",   "orig_pkts",          "resp_pkts",
	"orig_bytes", "resp_bytes", "orig_payload_bytes", "resp_payload_bytes",
	"orig_tcp_flags", "resp_tcp_flags", "fragments",  "snaplen_cut",
	"end",
};

/* Write r with pl_export_flow_json, check it is one line of JSON with
 * documented keys only, and return the parsed object. */
static json_t *
to_json(const struct pl_flow_record *r, char **text)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	cr_assert_not_null(f);
	cr_assert_eq(pl_export_flow_json(f, r, NULL, NULL), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_gt(len, 2);
	cr_assert_eq(buf[len - 1], '\n', "line not terminated: %s", buf);
	cr_assert_eq(memchr(buf, '\n', len - 1), NULL,
		     "more than one line: %s", buf);
	cr_assert_eq(strlen(buf), len, "NUL byte in the output");

	json_error_t err;
	json_t *j = json_loads(buf, JSON_REJECT_DUPLICATES, &err);
	cr_assert_not_null(j, "not JSON (%s at column %d): %s", err.text,
			   err.column, buf);
	cr_assert(json_is_object(j));
	const char *key;
	json_t *v;
	json_object_foreach(j, key, v)
	{
		int known = 0;
		for (size_t i = 0; i < sizeof(documented) / sizeof(*documented);
		     i++)
			known |= strcmp(key, documented[i]) == 0;
		cr_assert(known, "key \"%s\" is not in docs/output.md: %s", key,
			  buf);
	}
	*text = buf;
	return j;
}

static const char *
str_of(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	cr_assert(json_is_string(v), "\"%s\" missing or not a string", key);
	return json_string_value(v);
}

static json_int_t
int_of(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	cr_assert(json_is_integer(v), "\"%s\" missing or not an integer", key);
	return json_integer_value(v);
}

static double
num_of(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	cr_assert(json_is_number(v), "\"%s\" missing or not a number", key);
	return json_number_value(v);
}

static void
assert_absent(json_t *j, const char *key)
{
	cr_assert_null(json_object_get(j, key), "unexpected key \"%s\"", key);
}

/* Keys every record has. */
static void
check_common(json_t *j, const struct pl_flow_record *r)
{
	char uid[PL_UID_LEN];
	pl_export_uid(r->worker, r->seq, uid);
	cr_assert_str_eq(str_of(j, "uid"), uid);
	double ts = num_of(j, "ts");
	cr_assert(ts > r->first_us / 1e6 - 1e-5 && ts < r->first_us / 1e6 + 1e-5,
		  "ts %f", ts);
	double dur = num_of(j, "duration");
	double want = (double)(r->last_us - r->first_us) / 1e6;
	cr_assert(dur > want - 1e-7 && dur < want + 1e-7, "duration %f", dur);
	cr_assert_str_eq(str_of(j, "orig_mac"), "02:11:22:33:44:55");
	cr_assert_str_eq(str_of(j, "resp_mac"), "0a:bb:cc:dd:ee:ff");
	cr_assert_eq(int_of(j, "orig_pkts"), (json_int_t)r->pkts[0]);
	cr_assert_eq(int_of(j, "resp_pkts"), (json_int_t)r->pkts[1]);
	cr_assert_eq(int_of(j, "orig_bytes"), (json_int_t)r->bytes[0]);
	cr_assert_eq(int_of(j, "resp_bytes"), (json_int_t)r->bytes[1]);
	cr_assert_eq(int_of(j, "orig_payload_bytes"), (json_int_t)r->payload[0]);
	cr_assert_eq(int_of(j, "resp_payload_bytes"), (json_int_t)r->payload[1]);
	cr_assert_str_eq(str_of(j, "end"), pl_flow_end_name(r->end));
}

static void
fill_counters(struct pl_flow_record *r)
{
	r->first_us = 1700000000123456ULL;
	r->last_us = r->first_us + 2500001;
	r->pkts[0] = 10;
	r->pkts[1] = 8;
	r->bytes[0] = 1000;
	r->bytes[1] = 5000;
	r->payload[0] = 300;
	r->payload[1] = 4000;
	r->seq = 12345;
	r->worker = 2;
}

Test(flow_json, ipv4_tcp)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char *text, cid[PL_COMMUNITY_ID_LEN];
	first_packet(&m, 0, V4_HI, V4_LO, 6, 51000, 443, 0);
	record_of(&r, &m);
	fill_counters(&r);
	r.tcp_flags[0] = 0x1b; /* F S P A */
	r.tcp_flags[1] = 0x13; /* F S A */
	r.end = PL_FLOW_END_IDLE;
	json_t *j = to_json(&r, &text);
	check_common(j, &r);
	cr_assert(strstr(text, "\"ts\":1700000000.123456,") != NULL, "%s",
		  text);
	cr_assert(strstr(text, "\"duration\":2.500001,") != NULL, "%s", text);
	cr_assert_eq(pl_export_community_id(&r, 0, cid), 0);
	cr_assert_str_eq(str_of(j, "community_id"), cid);
	cr_assert_str_eq(str_of(j, "l3"), "ipv4");
	cr_assert_str_eq(str_of(j, "transport"), "tcp");
	cr_assert_str_eq(str_of(j, "orig_h"), "192.168.1.20");
	cr_assert_eq(int_of(j, "orig_p"), 51000);
	cr_assert_str_eq(str_of(j, "resp_h"), "10.1.2.3");
	cr_assert_eq(int_of(j, "resp_p"), 443);
	cr_assert_str_eq(str_of(j, "orig_tcp_flags"), "FSPA");
	cr_assert_str_eq(str_of(j, "resp_tcp_flags"), "FSA");
	cr_assert_str_eq(str_of(j, "end"), "idle");
	assert_absent(j, "vlan");
	assert_absent(j, "ether_type");
	assert_absent(j, "fragments");
	assert_absent(j, "snaplen_cut");
	json_decref(j);
	free(text);

	/* Same flow, the other side as originator: addresses swap. */
	r.orig_side = !r.orig_side;
	j = to_json(&r, &text);
	cr_assert_str_eq(str_of(j, "orig_h"), "10.1.2.3");
	cr_assert_eq(int_of(j, "orig_p"), 443);
	cr_assert_str_eq(str_of(j, "resp_h"), "192.168.1.20");
	cr_assert_eq(int_of(j, "resp_p"), 51000);
	cr_assert_str_eq(str_of(j, "community_id"), cid);
	json_decref(j);
	free(text);
}

Test(flow_json, ipv6_udp_vlan_fragments_snaplen)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char *text;
	first_packet(&m, 1, V6_LO, V6_HI, 17, 5353, 53, 100);
	record_of(&r, &m);
	fill_counters(&r);
	r.first_us = 5;
	r.last_us = 5;
	r.pkt_flags = PL_PKT_F_FIRST_FRAG | PL_PKT_F_FRAGMENT | PL_PKT_F_SNAPLEN;
	r.end = PL_FLOW_END_SHUTDOWN;
	json_t *j = to_json(&r, &text);
	check_common(j, &r);
	cr_assert(strstr(text, "\"ts\":0.000005,") != NULL, "%s", text);
	cr_assert_str_eq(str_of(j, "l3"), "ipv6");
	cr_assert_str_eq(str_of(j, "transport"), "udp");
	cr_assert_str_eq(str_of(j, "orig_h"), "2001:db8::1");
	cr_assert_eq(int_of(j, "orig_p"), 5353);
	cr_assert_str_eq(str_of(j, "resp_h"), "2a00:1450::99");
	cr_assert_eq(int_of(j, "resp_p"), 53);
	cr_assert_eq(int_of(j, "vlan"), 100);
	cr_assert(json_is_true(json_object_get(j, "fragments")));
	cr_assert(json_is_true(json_object_get(j, "snaplen_cut")));
	cr_assert_str_eq(str_of(j, "end"), "shutdown");
	char cid[PL_COMMUNITY_ID_LEN];
	cr_assert_eq(pl_export_community_id(&r, 0, cid), 0);
	cr_assert_str_eq(str_of(j, "community_id"), cid);
	assert_absent(j, "orig_tcp_flags");
	assert_absent(j, "resp_tcp_flags");
	assert_absent(j, "ether_type");
	json_decref(j);
	free(text);
}

Test(flow_json, icmp_and_other_transports)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char *text;
	first_packet(&m, 0, V4_HI, V4_LO, 1, 8, 0, 0);
	record_of(&r, &m);
	fill_counters(&r);
	json_t *j = to_json(&r, &text);
	check_common(j, &r);
	cr_assert_str_eq(str_of(j, "transport"), "icmp");
	cr_assert_str_eq(str_of(j, "orig_h"), "192.168.1.20");
	cr_assert_eq(int_of(j, "orig_p"), 8, "the request type");
	cr_assert_eq(int_of(j, "resp_p"), 0, "its reply type");
	assert_absent(j, "orig_tcp_flags");
	json_decref(j);
	free(text);

	/* One-way: the code. */
	first_packet(&m, 0, V4_LO, V4_HI, 1, 3, 13, 0);
	record_of(&r, &m);
	j = to_json(&r, &text);
	cr_assert_eq(int_of(j, "orig_p"), 3);
	cr_assert_eq(int_of(j, "resp_p"), 13);
	json_decref(j);
	free(text);

	first_packet(&m, 1, V6_LO, V6_HI, 58, 128, 0, 0);
	record_of(&r, &m);
	j = to_json(&r, &text);
	cr_assert_str_eq(str_of(j, "transport"), "icmp6");
	cr_assert_eq(int_of(j, "orig_p"), 128);
	cr_assert_eq(int_of(j, "resp_p"), 129);
	json_decref(j);
	free(text);

	first_packet(&m, 0, V4_LO, V4_HI, 47, 0, 0, 0);
	record_of(&r, &m);
	j = to_json(&r, &text);
	cr_assert_str_eq(str_of(j, "transport"), "47");
	cr_assert_str_eq(str_of(j, "l3"), "ipv4");
	json_decref(j);
	free(text);
}

Test(flow_json, l2_record)
{
	struct pl_flow_record r;
	char *text;
	struct frame f = {0};
	struct pl_pkt_meta m;
	static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	put(&f, bcast, 6);
	put(&f, MAC_O, 6);
	put16(&f, 0x0806);
	uint8_t arp[46] = {0, 1, 8, 0, 6, 4, 0, 1};
	put(&f, arp, sizeof(arp));
	cr_assert_eq(pl_pkt_decode(f.d, f.n, f.n, PL_LINK_ETHERNET, &m),
		     PL_PKT_OK);
	record_of(&r, &m);
	fill_counters(&r);
	r.payload[0] = r.payload[1] = 0;
	r.key.vlan = 0;
	json_t *j = to_json(&r, &text);
	check_common(j, &r);
	cr_assert_str_eq(str_of(j, "l3"), "l2");
	cr_assert_eq(int_of(j, "ether_type"), 0x0806);
	assert_absent(j, "community_id");
	assert_absent(j, "transport");
	assert_absent(j, "orig_h");
	assert_absent(j, "orig_p");
	assert_absent(j, "resp_h");
	assert_absent(j, "resp_p");
	assert_absent(j, "orig_tcp_flags");
	json_decref(j);
	free(text);

	/* 802.3 length-field frame in a VLAN: ether-type 0. */
	memset(&r.key, 0, sizeof(r.key));
	r.key.family = PL_FAMILY_L2;
	r.key.vlan = 9;
	memcpy(r.key.addr[0], MAC_O, 6);
	memcpy(r.key.addr[1], MAC_R, 6);
	j = to_json(&r, &text);
	cr_assert_eq(int_of(j, "ether_type"), 0);
	cr_assert_eq(int_of(j, "vlan"), 9);
	json_decref(j);
	free(text);
}

Test(flow_json, detection_is_off_without_models)
{
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	char *text;
	first_packet(&m, 0, V4_HI, V4_LO, 17, 40000, 53, 0);
	record_of(&r, &m);
	r.app = 1;
	r.matched = 3;
	r.also = 2;
	json_t *j = to_json(&r, &text); /* documented keys only */
	cr_assert_str_eq(str_of(j, "transport"), "udp");
	json_decref(j);
	free(text);
}

Test(flow_json, stream_error_is_eio)
{
	FILE *f = fopen("/dev/full", "w");
	if (f == NULL)
		cr_skip_test("no /dev/full");
	setvbuf(f, NULL, _IONBF, 0);
	struct pl_pkt_meta m;
	struct pl_flow_record r;
	first_packet(&m, 0, V4_HI, V4_LO, 6, 1, 2, 0);
	record_of(&r, &m);
	cr_assert_eq(pl_export_flow_json(f, &r, NULL, NULL), -EIO);
	fclose(f);
}
