/* SPDX-License-Identifier: BSD-3-Clause */
/* The ARP dissector on packets built here after RFC 826 (request, reply),
 * RFC 5227 (probe, announcement), RFC 903 (RARP) and with hardware and
 * protocol types other than Ethernet and IPv4; every truncation point;
 * the Ethernet padding after the packet. */
#include <stdlib.h>
#include <string.h>

#include "proto_test.h"

static json_t *
run(const uint8_t *m, size_t n, enum pl_dissect_result *r)
{
	return run_with(pl_arp_dissect, m, n, r);
}

static void
every_truncation(const uint8_t *m, size_t n)
{
	every_truncation_with(pl_arp_dissect, m, n);
}

/* lab.pcap frame 13: who has 192.0.2.1? tell 192.0.2.10 */
static const uint8_t request[28] = {
	0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01,
	0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 192, 0, 2, 10,
	0, 0, 0, 0, 0, 0, 192, 0, 2, 1};

/* lab.pcap frame 14: 192.0.2.1 is at 02:00:5e:10:00:02 */
static const uint8_t reply[28] = {
	0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x02,
	0x02, 0x00, 0x5e, 0x10, 0x00, 0x02, 192, 0, 2, 1,
	0x02, 0x00, 0x5e, 0x10, 0x00, 0x01, 192, 0, 2, 10};

Test(arp, request)
{
	enum pl_dissect_result r;
	json_t *j = run(request, sizeof(request), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "htype"), 1);
	cr_assert_eq(num(j, "ptype"), 0x0800);
	cr_assert_eq(num(j, "hlen"), 6);
	cr_assert_eq(num(j, "plen"), 4);
	cr_assert_eq(num(j, "op"), 1);
	cr_assert_str_eq(str(j, "op_name"), "request");
	cr_assert_str_eq(str(j, "sender_mac"), "02:00:5e:10:00:01");
	cr_assert_str_eq(str(j, "sender_ip"), "192.0.2.10");
	cr_assert_str_eq(str(j, "target_mac"), "00:00:00:00:00:00");
	cr_assert_str_eq(str(j, "target_ip"), "192.0.2.1");
	cr_assert_null(json_object_get(j, "gratuitous"));
	cr_assert_null(json_object_get(j, "malformed"));
	cr_assert_null(json_object_get(j, "sender_hw"));
	cr_assert_eq(json_object_size(j), 10, "%s", out);
	json_decref(j);
}

Test(arp, reply)
{
	enum pl_dissect_result r;
	json_t *j = run(reply, sizeof(reply), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "op"), 2);
	cr_assert_str_eq(str(j, "op_name"), "reply");
	cr_assert_str_eq(str(j, "sender_mac"), "02:00:5e:10:00:02");
	cr_assert_str_eq(str(j, "sender_ip"), "192.0.2.1");
	cr_assert_str_eq(str(j, "target_mac"), "02:00:5e:10:00:01");
	cr_assert_str_eq(str(j, "target_ip"), "192.0.2.10");
	json_decref(j);
}

/* The text, member by member, is what the record carries. */
Test(arp, exact_text)
{
	enum pl_dissect_result r;
	json_decref(run(request, sizeof(request), &r));
	cr_assert_str_eq(out,
			 "{\"htype\":1,\"ptype\":2048,\"hlen\":6,\"plen\":4,"
			 "\"op\":1,\"op_name\":\"request\","
			 "\"sender_mac\":\"02:00:5e:10:00:01\","
			 "\"sender_ip\":\"192.0.2.10\","
			 "\"target_mac\":\"00:00:00:00:00:00\","
			 "\"target_ip\":\"192.0.2.1\"}");
}

/* An Ethernet frame is at least 60 bytes: the 18 bytes of padding after
 * the packet are not read. */
Test(arp, padding_ignored)
{
	uint8_t padded[46];
	memset(padded, 0xa5, sizeof(padded));
	memcpy(padded, request, sizeof(request));
	enum pl_dissect_result r;
	json_t *j = run(padded, sizeof(padded), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "target_ip"), "192.0.2.1");
	cr_assert_null(json_object_get(j, "malformed"));
	json_decref(j);
}

/* RFC 5227 2.3: an announcement asks about the sender's own address;
 * RFC 5944 4.6 (gratuitous reply) likewise. */
Test(arp, gratuitous)
{
	uint8_t m[28];
	memcpy(m, request, sizeof(m));
	memcpy(m + 24, m + 14, 4);
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert(flag(j, "gratuitous"));
	cr_assert_str_eq(str(j, "sender_ip"), str(j, "target_ip"));
	json_decref(j);

	memcpy(m, reply, sizeof(m));
	memcpy(m + 24, m + 14, 4);
	j = run(m, sizeof(m), &r);
	cr_assert(flag(j, "gratuitous"));
	cr_assert_eq(num(j, "op"), 2);
	json_decref(j);
}

/* RFC 5227 2.1.1: a probe's sender address is 0.0.0.0: not gratuitous. */
Test(arp, probe)
{
	uint8_t m[28];
	memcpy(m, request, sizeof(m));
	memset(m + 14, 0, 4);
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "sender_ip"), "0.0.0.0");
	cr_assert_null(json_object_get(j, "gratuitous"));
	json_decref(j);
}

/* RFC 903: RARP's operations 3 and 4, same format. */
Test(arp, rarp)
{
	uint8_t m[28];
	memcpy(m, request, sizeof(m));
	m[7] = 3;
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(num(j, "op"), 3);
	cr_assert_str_eq(str(j, "op_name"), "request-reverse");
	json_decref(j);
	m[7] = 10;
	j = run(m, sizeof(m), &r);
	cr_assert_str_eq(str(j, "op_name"), "arp-nak");
	json_decref(j);
}

/* An operation with no registered name: the code alone. */
Test(arp, unknown_op)
{
	uint8_t m[28];
	memcpy(m, request, sizeof(m));
	m[6] = 0x01;
	m[7] = 0x00;
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "op"), 256);
	cr_assert_null(json_object_get(j, "op_name"));
	m[6] = 0;
	m[7] = 0;
	json_decref(j);
	j = run(m, sizeof(m), &r);
	cr_assert_eq(num(j, "op"), 0);
	cr_assert_null(json_object_get(j, "op_name"));
	json_decref(j);
}

/* IEEE 802 networks (hardware type 6) have MACs too. */
Test(arp, ieee802)
{
	uint8_t m[28];
	memcpy(m, request, sizeof(m));
	m[1] = 6;
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_str_eq(str(j, "sender_mac"), "02:00:5e:10:00:01");
	json_decref(j);
}

/* Other types and lengths: the raw addresses as hex, under other names,
 * so that a consumer never takes them for a MAC or an IPv4 address. */
Test(arp, other_types)
{
	/* Frame Relay InARP (hardware type 15, 2-byte DLCI) over IPv6. */
	uint8_t m[8 + 2 * (2 + 16)] = {0x00, 0x0f, 0x86, 0xdd, 2, 16, 0x00, 0x08};
	m[8] = 0x04;
	m[9] = 0x01;
	for (int i = 0; i < 16; i++) {
		m[10 + i] = (uint8_t)(0x20 + i);
		m[28 + i] = (uint8_t)(0x40 + i);
	}
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "htype"), 15);
	cr_assert_eq(num(j, "ptype"), 0x86dd);
	cr_assert_str_eq(str(j, "op_name"), "inarp-request");
	cr_assert_str_eq(str(j, "sender_hw"), "0401");
	cr_assert_str_eq(str(j, "sender_proto"),
			 "202122232425262728292a2b2c2d2e2f");
	cr_assert_str_eq(str(j, "target_hw"), "0000");
	cr_assert_str_eq(str(j, "target_proto"),
			 "404142434445464748494a4b4c4d4e4f");
	cr_assert_null(json_object_get(j, "sender_mac"));
	cr_assert_null(json_object_get(j, "sender_ip"));
	cr_assert_null(json_object_get(j, "gratuitous"));
	json_decref(j);
	every_truncation(m, sizeof(m));

	/* Ethernet with a length that is not 6, IPv4 with one not 4. */
	uint8_t e[8 + 2 * (8 + 4)] = {0x00, 0x01, 0x08, 0x00, 8, 4, 0, 1};
	j = run(e, sizeof(e), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "sender_hw"), "0000000000000000");
	cr_assert_str_eq(str(j, "sender_ip"), "0.0.0.0");
	json_decref(j);
	uint8_t v[8 + 2 * (6 + 5)] = {0x00, 0x01, 0x08, 0x00, 6, 5, 0, 1};
	j = run(v, sizeof(v), &r);
	cr_assert_str_eq(str(j, "sender_mac"), "00:00:00:00:00:00");
	cr_assert_str_eq(str(j, "sender_proto"), "0000000000");
	json_decref(j);
}

/* Zero-length addresses: nothing to compare, nothing gratuitous. */
Test(arp, empty_addresses)
{
	static const uint8_t m[8] = {0x00, 0x01, 0x08, 0x00, 0, 0, 0, 1};
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "sender_hw"), "");
	cr_assert_str_eq(str(j, "target_proto"), "");
	cr_assert_null(json_object_get(j, "gratuitous"));
	json_decref(j);
}

Test(arp, truncations)
{
	every_truncation(request, sizeof(request));
	every_truncation(reply, sizeof(reply));
}

/* A cut packet keeps the fields that are whole, and only those. */
Test(arp, cut_fields)
{
	enum pl_dissect_result r;
	json_t *j = run(request, 7, &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	cr_assert_eq(json_object_size(j), 1, "%s", out);
	json_decref(j);
	j = run(request, 17, &r);
	cr_assert_str_eq(str(j, "sender_mac"), "02:00:5e:10:00:01");
	cr_assert_null(json_object_get(j, "sender_ip"));
	json_decref(j);
	j = run(request, 27, &r);
	cr_assert_str_eq(str(j, "target_mac"), "00:00:00:00:00:00");
	cr_assert_null(json_object_get(j, "target_ip"));
	cr_assert_null(json_object_get(j, "gratuitous"));
	json_decref(j);
}

/* The longest packet the header can announce (8 + 2 * (255 + 255)). */
Test(arp, longest)
{
	size_t n = 8 + 2 * (255 + 255);
	uint8_t *m = calloc(1, n);
	m[4] = 255;
	m[5] = 255;
	enum pl_dissect_result r;
	json_t *j = run(m, n, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(strlen(str(j, "target_proto")), 510);
	cr_assert(flag(j, "gratuitous"));
	json_decref(j);
	j = run(m, n - 1, &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	json_decref(j);
	free(m);
}
