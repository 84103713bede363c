/* SPDX-License-Identifier: BSD-3-Clause */
/* The DNS dissector on messages built here from RFC 1035 (and RFC 6762 for
 * mDNS, RFC 6891 for OPT): header, questions, every record kind it decodes,
 * compression, pointer loops, every truncation point, DNS over TCP. */
#include <stdlib.h>
#include <string.h>

#include "proto_test.h"

static json_t *
run(const uint8_t *m, size_t n, enum pl_dissect_result *r)
{
	return run_with(pl_dns_dissect, m, n, r);
}

static json_t *
item(json_t *o, const char *k, size_t i)
{
	json_t *v = json_array_get(json_object_get(o, k), i);
	cr_assert_not_null(v, "%s[%zu] missing in %s", k, i, out);
	return v;
}

/* RFC 1035 4.1: a recursive query for www.example.com A IN. */
static const uint8_t query[] = {
	0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
	'm', 0, 0, 1, 0, 1};

/* Its answer: CNAME to web.example.com (compressed against the question),
 * A and AAAA for the target (pointing into the CNAME's RDATA), OPT. */
static const uint8_t response[] = {
	0x12, 0x34, 0x81, 0x80, 0, 1, 0, 3, 0, 0, 0, 1,
	/* 12: question */
	3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o',
	'm', 0, 0, 1, 0, 1,
	/* 33: www.example.com CNAME, TTL 3600, RDATA at 45 */
	0xc0, 0x0c, 0, 5, 0, 1, 0, 0, 0x0e, 0x10, 0, 6,
	3, 'w', 'e', 'b', 0xc0, 0x10,
	/* 51: web.example.com A 93.184.216.34, TTL 300 */
	0xc0, 0x2d, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 93, 184, 216, 34,
	/* 67: web.example.com AAAA 2001:db8::1 */
	0xc0, 0x2d, 0, 28, 0, 1, 0, 0, 0x01, 0x2c, 0, 16,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	/* 95: OPT, UDP payload size 1232 */
	0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0};

Test(dns, query_header_and_question)
{
	enum pl_dissect_result r;
	json_t *j = run(query, sizeof(query), &r);
	cr_assert_eq(r, PL_DISSECT_OK);
	cr_assert_eq(num(j, "id"), 0x1234);
	cr_assert_str_eq(str(j, "flags"), "0100");
	cr_assert(!flag(j, "qr"));
	cr_assert_eq(num(j, "opcode"), 0);
	cr_assert(flag(j, "rd"));
	cr_assert(!flag(j, "aa") && !flag(j, "tc") && !flag(j, "ra"));
	cr_assert(!flag(j, "ad") && !flag(j, "cd") && !flag(j, "z"));
	cr_assert_eq(num(j, "rcode"), 0);
	cr_assert_eq(num(j, "qdcount"), 1);
	cr_assert_eq(num(j, "ancount"), 0);
	json_t *q = item(j, "questions", 0);
	cr_assert_str_eq(str(q, "name"), "www.example.com");
	cr_assert_eq(num(q, "type"), 1);
	cr_assert_eq(num(q, "class"), 1);
	cr_assert_null(json_object_get(q, "unicast_response"));
	cr_assert_null(json_object_get(j, "answers"));
	json_decref(j);
}

Test(dns, response_with_compression)
{
	enum pl_dissect_result r;
	json_t *j = run(response, sizeof(response), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert(flag(j, "qr") && flag(j, "ra") && flag(j, "rd"));
	cr_assert_str_eq(str(j, "flags"), "8180");
	cr_assert_eq(json_array_size(json_object_get(j, "answers")), 3);
	json_t *a = item(j, "answers", 0);
	cr_assert_str_eq(str(a, "name"), "www.example.com");
	cr_assert_eq(num(a, "type"), 5);
	cr_assert_eq(num(a, "ttl"), 3600);
	cr_assert_str_eq(str(a, "data"), "web.example.com");
	a = item(j, "answers", 1);
	cr_assert_str_eq(str(a, "name"), "web.example.com");
	cr_assert_eq(num(a, "type"), 1);
	cr_assert_eq(num(a, "ttl"), 300);
	cr_assert_str_eq(str(a, "data"), "93.184.216.34");
	a = item(j, "answers", 2);
	cr_assert_eq(num(a, "type"), 28);
	cr_assert_str_eq(str(a, "data"), "2001:db8::1");
	json_t *opt = item(j, "additionals", 0);
	cr_assert_str_eq(str(opt, "name"), "");
	cr_assert_eq(num(opt, "type"), 41);
	cr_assert_eq(num(opt, "udp_payload_size"), 1232);
	cr_assert_null(json_object_get(opt, "ttl"), "OPT has no TTL");
	json_decref(j);
}

/* RFC 1035 3.5: a PTR answer; MX is listed without data. NXDOMAIN rcode. */
Test(dns, ptr_other_types_and_rcode)
{
	static const uint8_t m[] = {
		0xbe, 0xef, 0x85, 0x83, 0, 1, 0, 2, 0, 0, 0, 0,
		/* 12: 34.216.184.93.in-addr.arpa PTR */
		2, '3', '4', 3, '2', '1', '6', 3, '1', '8', '4', 2, '9', '3',
		7, 'i', 'n', '-', 'a', 'd', 'd', 'r', 4, 'a', 'r', 'p', 'a', 0,
		0, 12, 0, 1,
		/* PTR example.com, TTL 60 */
		0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 0, 60, 0, 13,
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		/* MX 10 example.com (owner: the PTR's RDATA), TTL 7 */
		0xc0, 0x2c + 12, 0, 15, 0, 1, 0, 0, 0, 7, 0, 4, 0, 10, 0xc0,
		0x38};
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "rcode"), 3);
	cr_assert(flag(j, "aa"));
	cr_assert_str_eq(str(item(j, "questions", 0), "name"),
			 "34.216.184.93.in-addr.arpa");
	json_t *p = item(j, "answers", 0);
	cr_assert_eq(num(p, "type"), 12);
	cr_assert_eq(num(p, "ttl"), 60);
	cr_assert_str_eq(str(p, "data"), "example.com");
	json_t *mx = item(j, "answers", 1);
	cr_assert_str_eq(str(mx, "name"), "example.com");
	cr_assert_eq(num(mx, "type"), 15);
	cr_assert_eq(num(mx, "ttl"), 7);
	cr_assert_null(json_object_get(mx, "data"));
	json_decref(j);
}

/* RFC 6762 5.4 and 10.2: the QU bit of a question, cache-flush of a record. */
Test(dns, mdns_bits)
{
	static const uint8_t m[] = {
		0, 0, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 0,
		5, '_', 'h', 't', 't', 'p', 4, '_', 't', 'c', 'p', 5, 'l', 'o',
		'c', 'a', 'l', 0, 0, 12, 0x80, 1,
		3, 'd', 'e', 'v', 0xc0, 0x17, 0, 1, 0x80, 1, 0, 0, 0, 120, 0, 4,
		192, 0, 2, 7};
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	json_t *q = item(j, "questions", 0);
	cr_assert_str_eq(str(q, "name"), "_http._tcp.local");
	cr_assert_eq(num(q, "class"), 1);
	cr_assert(flag(q, "unicast_response"));
	json_t *a = item(j, "answers", 0);
	cr_assert_str_eq(str(a, "name"), "dev.local");
	cr_assert_eq(num(a, "class"), 1);
	cr_assert(flag(a, "cache_flush"));
	cr_assert_str_eq(str(a, "data"), "192.0.2.7");
	json_decref(j);
}

Test(dns, every_truncation_point)
{
	every_truncation_with(pl_dns_dissect, query, sizeof(query));
	every_truncation_with(pl_dns_dissect, response, sizeof(response));
}

/* RFC 1035 4.2.2: over TCP the message follows a two-byte length. */
Test(dns, tcp_length_prefix)
{
	uint8_t m[2 + sizeof(response)];
	m[0] = 0;
	m[1] = sizeof(response);
	memcpy(m + 2, response, sizeof(response));
	enum pl_dissect_result r;
	json_t *j = run_with(pl_dns_dissect_tcp, m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "id"), 0x1234);
	cr_assert_str_eq(str(item(j, "answers", 1), "data"), "93.184.216.34");
	json_decref(j);
	every_truncation_with(pl_dns_dissect_tcp, m, sizeof(m));
}

/* A name that points at itself, and two that point at each other: the
 * jump limit ends both, the name is reported as a loop, nothing crashes. */
Test(dns, compression_pointer_loops)
{
	static const uint8_t self[] = {
		0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1};
	static const uint8_t pair[] = {
		0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
		0xc0, 0x12, 0, 1, 0, 1, /* 12 -> 18 */
		0xc0, 0x0c, 0, 1, 0, 1}; /* 18 -> 12 */
	static const uint8_t label_loop[] = {
		0, 3, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0,
		1, 'a', 0xc0, 0x0c, 0, 1, 0, 1}; /* "a" then back to itself */
	enum pl_dissect_result r;
	json_t *j = run(self, sizeof(self), &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	cr_assert_str_eq(str(item(j, "questions", 0), "name_error"),
			 "pointer_loop");
	cr_assert_eq(num(item(j, "questions", 0), "type"), 1,
		     "the message is read on past the bad name");
	json_decref(j);
	j = run(pair, sizeof(pair), &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	cr_assert_str_eq(str(item(j, "questions", 0), "name_error"),
			 "pointer_loop");
	cr_assert_str_eq(str(item(j, "questions", 1), "name_error"),
			 "pointer_loop");
	json_decref(j);
	/* "a.a.a..." grows by 2 bytes a jump: the 255-byte bound ends it */
	j = run(label_loop, sizeof(label_loop), &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	cr_assert_str_eq(str(item(j, "questions", 0), "name_error"),
			 "too_long");
	json_decref(j);
}

/* RFC 1035 2.3.4: 255 octets at most; 4 labels of 63 (257) are too many. */
Test(dns, name_length_bound)
{
	uint8_t m[12 + 4 * 64 + 1 + 4] = {0, 4, 0, 0, 0, 1};
	size_t o = 12;
	for (int l = 0; l < 4; l++) {
		m[o++] = 63;
		memset(m + o, 'x', 63);
		o += 63;
	}
	m[o++] = 0;
	m[o + 1] = 1;
	m[o + 3] = 1;
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	cr_assert_str_eq(str(item(j, "questions", 0), "name_error"), "too_long");
	json_decref(j);
	/* 3 labels of 63 and one of 61: 255 exactly, accepted */
	m[12 + 3 * 64] = 61;
	memmove(m + 12 + 3 * 64 + 62, m + 12 + 4 * 64, 5);
	j = run(m, sizeof(m) - 2, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(strlen(str(item(j, "questions", 0), "name")), 253);
	json_decref(j);
}

Test(dns, unassigned_opcode_is_not_dns)
{
	uint8_t m[sizeof(query)];
	memcpy(m, query, sizeof(m));
	m[2] = 3 << 3; /* opcode 3: unassigned */
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_NOT_MINE);
	cr_assert_eq(json_object_size(j), 0, "nothing written: %s", out);
	json_decref(j);
}
