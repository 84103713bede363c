/* SPDX-License-Identifier: BSD-3-Clause */
/* The NTP dissector on packets built here after RFC 5905 (header, reference
 * id, timestamps and their era), RFC 1305 appendix B / RFC 9327 (mode 6
 * control) and ntpd's mode 7; every truncation point; what is not NTP.
 * Expected times were computed with Python's datetime. */
#include <stdlib.h>
#include <string.h>

#include "proto_test.h"

static json_t *
run(const uint8_t *m, size_t n, enum pl_dissect_result *r)
{
	return run_with(pl_ntp_dissect, m, n, r);
}

static void
every_truncation(const uint8_t *m, size_t n)
{
	every_truncation_with(pl_ntp_dissect, m, n);
}

/* RFC 5905 figure 8: a v4 client request, only the transmit time set. */
static const uint8_t request[48] = {
	0x23, 0, 6, 0xec, [40] = 0xe8, 0xf1, 0xa2, 0xb3, 0x80, 0, 0, 0};

/* The stratum 2 server's answer: reference id is the upstream's IPv4. */
static const uint8_t reply[48] = {
	0x24, 2, 6, 0xe9, 0, 0, 0x01, 0x00, 0, 0, 0x02, 0x00,
	192, 0, 2, 1,                                    /* reference id */
	0xe8, 0xf1, 0xa2, 0xa0, 0x12, 0x34, 0x56, 0x78,  /* reference */
	0xe8, 0xf1, 0xa2, 0xb3, 0x80, 0, 0, 0,           /* origin */
	0xe8, 0xf1, 0xa2, 0xb3, 0x90, 0, 0, 0,           /* receive */
	0xe8, 0xf1, 0xa2, 0xb3, 0xa0, 0, 0, 0};          /* transmit */

Test(ntp, client_request)
{
	enum pl_dissect_result r;
	json_t *j = run(request, sizeof(request), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "version"), 4);
	cr_assert_eq(num(j, "mode"), 3);
	cr_assert_eq(num(j, "leap"), 0);
	cr_assert_eq(num(j, "stratum"), 0);
	cr_assert_eq(num(j, "poll"), 6);
	cr_assert_eq(num(j, "precision"), -20);
	cr_assert_str_eq(str(j, "reference_id"), "");
	cr_assert_str_eq(str(j, "reference_id_hex"), "00000000");
	cr_assert(flag(j, "origin_zero"));
	cr_assert_null(json_object_get(j, "origin_time"), "zero: not set");
	cr_assert_null(json_object_get(j, "reference_time"));
	cr_assert_null(json_object_get(j, "receive_time"));
	cr_assert_str_eq(str(j, "transmit_time"),
			 "2023-11-05T05:12:19.500000000Z");
	json_decref(j);
}

Test(ntp, server_reply)
{
	enum pl_dissect_result r;
	json_t *j = run(reply, sizeof(reply), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "mode"), 4);
	cr_assert_eq(num(j, "stratum"), 2);
	cr_assert_eq(num(j, "precision"), -23);
	cr_assert_str_eq(str(j, "reference_id"), "192.0.2.1");
	cr_assert_str_eq(str(j, "reference_id_hex"), "c0000201");
	cr_assert(!flag(j, "origin_zero"));
	cr_assert_str_eq(str(j, "reference_time"),
			 "2023-11-05T05:12:00.071111110Z");
	cr_assert_str_eq(str(j, "origin_time"),
			 "2023-11-05T05:12:19.500000000Z");
	cr_assert_str_eq(str(j, "receive_time"),
			 "2023-11-05T05:12:19.562500000Z");
	cr_assert_str_eq(str(j, "transmit_time"),
			 "2023-11-05T05:12:19.625000000Z");
	json_decref(j);
}

/* RFC 5905 7.3: stratum 1 reference ids are ASCII, zero padded; leap 3 is
 * "clock unsynchronized"; RFC 4330 3: seconds without the top bit are in
 * era 1 (from 2036-02-07T06:28:16Z). */
Test(ntp, stratum_one_leap_and_era)
{
	uint8_t m[48];
	memcpy(m, reply, sizeof(m));
	m[0] = 0xdc; /* LI 3, VN 3, mode 4 */
	m[1] = 1;
	memcpy(m + 12, "GPS\0", 4);
	memcpy(m + 40, "\x00\x00\x00\x10\x00\x00\x00\x01", 8);
	memcpy(m + 32, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
	enum pl_dissect_result r;
	json_t *j = run(m, sizeof(m), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "leap"), 3);
	cr_assert_eq(num(j, "version"), 3);
	cr_assert_str_eq(str(j, "reference_id"), "GPS");
	cr_assert_str_eq(str(j, "reference_id_hex"), "47505300");
	cr_assert_str_eq(str(j, "transmit_time"),
			 "2036-02-07T06:28:32.000000000Z");
	cr_assert_str_eq(str(j, "receive_time"),
			 "2104-02-26T09:42:23.999999999Z");
	json_decref(j);
}

/* RFC 1305 B / RFC 9327 2: a READVAR control request (opcode 2). */
static const uint8_t readvar[12] = {0x16, 0x02, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
/* ntpd mode 7 MON_GETLIST_1 request (implementation 3, request 42). */
static const uint8_t monlist[8] = {0x17, 0x00, 0x03, 0x2a, 0, 0, 0, 0};

Test(ntp, control_and_private)
{
	enum pl_dissect_result r;
	json_t *j = run(readvar, sizeof(readvar), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "version"), 2);
	cr_assert_eq(num(j, "mode"), 6);
	cr_assert(!flag(j, "response") && !flag(j, "error") && !flag(j, "more"));
	cr_assert_eq(num(j, "opcode"), 2);
	cr_assert_eq(num(j, "sequence"), 1);
	cr_assert_eq(num(j, "count"), 0);
	json_decref(j);
	j = run(monlist, sizeof(monlist), &r);
	cr_assert_eq(r, PL_DISSECT_OK, "%s", out);
	cr_assert_eq(num(j, "version"), 2);
	cr_assert_eq(num(j, "mode"), 7);
	cr_assert(!flag(j, "response"));
	cr_assert_eq(num(j, "implementation"), 3);
	cr_assert_eq(num(j, "request_code"), 42);
	cr_assert_eq(num(j, "item_count"), 0);
	json_decref(j);
	/* a control message whose count promises more data than there is */
	uint8_t cut[14];
	memcpy(cut, readvar, 12);
	cut[11] = 8;
	j = run(cut, sizeof(cut), &r);
	cr_assert_eq(r, PL_DISSECT_MALFORMED);
	json_decref(j);
}

Test(ntp, every_truncation_point)
{
	every_truncation(request, sizeof(request));
	every_truncation(reply, sizeof(reply));
	every_truncation(readvar, sizeof(readvar));
	every_truncation(monlist, sizeof(monlist));
}

Test(ntp, not_ntp)
{
	uint8_t m[48];
	memcpy(m, request, sizeof(m));
	static const unsigned versions[] = {0, 5, 7};
	for (size_t i = 0; i < 3; i++) {
		unsigned vn = versions[i];
		m[0] = (uint8_t)(vn << 3 | 3);
		enum pl_dissect_result r;
		json_t *j = run(m, sizeof(m), &r);
		cr_assert_eq(r, PL_DISSECT_NOT_MINE, "version %u", vn);
		cr_assert_eq(json_object_size(j), 0);
		json_decref(j);
	}
}
