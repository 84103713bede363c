/* SPDX-License-Identifier: BSD-3-Clause */
/* The DHCP dissector on messages built here after RFC 2131 (fixed header,
 * option overload order), RFC 2132 (options), RFC 4702 (client FQDN) and
 * RFC 951 (BOOTP without the magic cookie); every truncation point; what is
 * not DHCP. */
#include <stdlib.h>
#include <string.h>

#include "proto_test.h"

static json_t *
run(const uint8_t *m, size_t n, enum pl_dissect_result *r)
{
	return run_with(pl_dhcp_dissect, m, n, r);
}

static void
every_truncation(const uint8_t *m, size_t n)
{
	every_truncation_with(pl_dhcp_dissect, m, n);
}

static void
assert_list(json_t *o, const char *k, const int *want, size_t n)
{
	json_t *a = json_object_get(o, k);
	cr_assert(json_is_array(a), "%s is not an array in %s", k, out);
	cr_assert_eq(json_array_size(a), n, "%s: %s", k, out);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(json_integer_value(json_array_get(a, i)), want[i],
			     "%s[%zu]: %s", k, i, out);
}

/* RFC 2131 figure 1: op, htype 1 (Ethernet), hlen 6, xid, secs, flags,
 * ciaddr, yiaddr, siaddr, giaddr, chaddr; then the magic cookie (RFC 2131
 * 3) and the options. Returns the length. */
static size_t
message(uint8_t *m, uint8_t op, const uint8_t *yiaddr, const uint8_t *siaddr,
	const uint8_t *opts, size_t olen)
{
	memset(m, 0, 240);
	m[0] = op;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 4, "\x39\x03\xf3\x26", 4); /* xid */
	m[9] = 3;                            /* secs */
	m[10] = 0x80;                        /* broadcast */
	if (yiaddr)
		memcpy(m + 16, yiaddr, 4);
	if (siaddr)
		memcpy(m + 20, siaddr, 4);
	memcpy(m + 28, "\x00\x0b\x82\x01\xfc\x42", 6);
	memcpy(m + 236, "\x63\x82\x53\x63", 4);
	if (olen)
		memcpy(m + 240, opts, olen);
	return 240 + olen;
}

static const uint8_t discover_opts[] = {
	53, 1, 1,
	61, 7, 1, 0x00, 0x0b, 0x82, 0x01, 0xfc, 0x42,
	50, 4, 192, 0, 2, 10,
	12, 10, 'l', 'a', 'b', '-', 's', 'e', 'n', 's', 'o', 'r',
	55, 6, 1, 3, 6, 15, 119, 252,
	60, 8, 'M', 'S', 'F', 'T', ' ', '5', '.', '0',
	/* RFC 4702: flags S|E, two zero RCODEs, name in DNS wire format */
	81, 27, 0x05, 0, 0, 10, 'l', 'a', 'b', '-', 's', 'e', 'n', 's', 'o',
	'r', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
	255};

static const uint8_t ack_opts[] = {
	53, 1, 5, 54, 4, 192, 0, 2, 1, 51, 4, 0, 0, 0x0e, 0x10,
	1, 4, 255, 255, 255, 0, 255, 0, 0, 0}; /* End, then padding */

Test(dhcp, discover)
{
	uint8_t m[512];
	size_t n = message(m, 1, NULL, NULL, discover_opts,
			   sizeof(discover_opts));
	enum pl_dissect_result r;
	json_t *j = run(m, n, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "op"), 1);
	cr_assert_eq(num(j, "htype"), 1);
	cr_assert_eq(num(j, "hlen"), 6);
	cr_assert_eq(num(j, "xid"), 0x3903f326);
	cr_assert_eq(num(j, "secs"), 3);
	cr_assert(json_is_true(json_object_get(j, "broadcast")));
	cr_assert_str_eq(str(j, "ciaddr"), "0.0.0.0");
	cr_assert_str_eq(str(j, "client_mac"), "00:0b:82:01:fc:42");
	cr_assert_str_eq(str(j, "message_type"), "DISCOVER");
	cr_assert_eq(num(j, "message_type_code"), 1);
	cr_assert_str_eq(str(j, "client_id"), "01000b8201fc42");
	cr_assert_str_eq(str(j, "requested_ip"), "192.0.2.10");
	cr_assert_str_eq(str(j, "hostname"), "lab-sensor");
	static const int prl[] = {1, 3, 6, 15, 119, 252};
	assert_list(j, "parameter_request_list", prl, 6);
	cr_assert_str_eq(str(j, "vendor_class"), "MSFT 5.0");
	cr_assert_eq(num(j, "fqdn_flags"), 5);
	cr_assert_str_eq(str(j, "fqdn"), "lab-sensor.example.com");
	static const int codes[] = {53, 61, 50, 12, 55, 60, 81};
	assert_list(j, "options", codes, 7);
	cr_assert_null(json_object_get(j, "server_id"));
	json_decref(j);
}

Test(dhcp, ack)
{
	uint8_t m[512];
	size_t n = message(m, 2, (const uint8_t *)"\xc0\x00\x02\x0a",
			   (const uint8_t *)"\xc0\x00\x02\x01", ack_opts,
			   sizeof(ack_opts));
	enum pl_dissect_result r;
	json_t *j = run(m, n, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "op"), 2);
	cr_assert_str_eq(str(j, "yiaddr"), "192.0.2.10");
	cr_assert_str_eq(str(j, "siaddr"), "192.0.2.1");
	cr_assert_str_eq(str(j, "message_type"), "ACK");
	cr_assert_str_eq(str(j, "server_id"), "192.0.2.1");
	cr_assert_eq(num(j, "lease_time"), 3600);
	static const int codes[] = {53, 54, 51, 1};
	assert_list(j, "options", codes, 4);
	json_decref(j);
}

/* RFC 4702 2.3.1: without the E flag the name is ASCII. */
Test(dhcp, ascii_fqdn)
{
	static const uint8_t opts[] = {53, 1, 3, 81, 15, 0x01, 0, 0, 'h', 'o',
				       's', 't', '.', 'e', 'x', 'a', 'm', 'p',
				       'l', 'e', 255};
	uint8_t m[512];
	size_t n = message(m, 1, NULL, NULL, opts, sizeof(opts));
	enum pl_dissect_result r;
	json_t *j = run(m, n, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_str_eq(str(j, "message_type"), "REQUEST");
	cr_assert_eq(num(j, "fqdn_flags"), 1);
	cr_assert_str_eq(str(j, "fqdn"), "host.example");
	json_decref(j);
}

/* RFC 2132 9.3: option 52 = 1 moves options into the file field, which is
 * read after the options field (RFC 2131 4.1). */
Test(dhcp, option_overload)
{
	static const uint8_t opts[] = {53, 1, 3, 52, 1, 1, 255};
	uint8_t m[512];
	size_t n = message(m, 1, NULL, NULL, opts, sizeof(opts));
	memcpy(m + 108, "\x0c\x08" "filehost" "\xff", 11);
	enum pl_dissect_result r;
	json_t *j = run(m, n, &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "overload"), 1);
	cr_assert_str_eq(str(j, "hostname"), "filehost");
	static const int codes[] = {53, 52, 12};
	assert_list(j, "options", codes, 3);
	json_decref(j);
}

/* RFC 951: a BOOTP message has no magic cookie and no DHCP options. */
Test(dhcp, bootp)
{
	uint8_t m[300];
	message(m, 2, (const uint8_t *)"\xc0\x00\x02\x0b", NULL, NULL, 0);
	memset(m + 236, 0, sizeof(m) - 236);
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert(json_is_true(json_object_get(j, "bootp")));
	cr_assert_str_eq(str(j, "yiaddr"), "192.0.2.11");
	cr_assert_null(json_object_get(j, "options"));
	json_decref(j);
}

Test(dhcp, every_truncation_point)
{
	uint8_t m[512];
	size_t n = message(m, 1, NULL, NULL, discover_opts,
			   sizeof(discover_opts));
	every_truncation(m, n);
	/* the ACK ends with padding after End: cutting the padding off
	 * leaves a whole message, so only cut up to End */
	n = message(m, 2, NULL, NULL, ack_opts, sizeof(ack_opts) - 3);
	every_truncation(m, n);
}

Test(dhcp, not_dhcp)
{
	uint8_t m[512];
	size_t n = message(m, 3, NULL, NULL, ack_opts, sizeof(ack_opts));
	enum pl_dissect_result r;
	json_t *j = run(m, n, &r);
	cr_assert_eq(r, PL_DISSECT_NOT_MINE);
	cr_assert_eq(json_object_size(j), 0);
	json_decref(j);
}
