/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * NTP (RFC 5905, and RFC 1305 for versions 1-3): the 48-byte header of
 * modes 1-5, the control message header of mode 6 (RFC 1305 appendix B,
 * RFC 9327) and the private (ntpd "mode 7") request header.
 * Attribute reference: docs/attrs/ntp.md.
 */
#include "proto-internal.h"

#define NTP_HDR_LEN 48

/* Days from 1970-01-01 to a civil date (H. Hinnant's algorithm), inverted:
 * the date of a day number, so that no libc time zone state is touched. */
static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

/*
 * A 64-bit NTP timestamp as ISO 8601 UTC with nanoseconds. The era is
 * chosen as RFC 4330 section 3 suggests (and tshark does): seconds with the
 * top bit set count from 1900, the others from 2036-02-07T06:28:16Z. The
 * fraction is truncated to nanoseconds. An all-zero timestamp means "not
 * set" (RFC 5905 figure 3): it is not written.
 */
static void
write_ts(struct pl_attrs *out, const char *key, const uint8_t *p)
{
	uint32_t sec = pl_rd32(p), frac = pl_rd32(p + 4);
	if (sec == 0 && frac == 0)
		return;
	/* 2208988800: 1900 to 1970; 2085978496: 1970 to 2036 (2^32 later) */
	int64_t unix_s = (sec & 0x80000000u) ? (int64_t)sec - 2208988800LL
					       : (int64_t)sec + 2085978496LL;
	uint32_t ns = (uint32_t)(((uint64_t)frac * 1000000000u) >> 32);
	int64_t days = unix_s / 86400, rem = unix_s % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t y;
	unsigned mo, d;
	civil_from_days(days, &y, &mo, &d);
	/* By hand, as "%04lld-%02u-%02uT%02u:%02u:%02u.%09uZ" would: the
	 * two eras span 1968-2104, so the year has 4 digits. */
	char s[30], *o = s;
	o = pl_put_dec2(o, (unsigned)(y / 100));
	o = pl_put_dec2(o, (unsigned)(y % 100));
	*o++ = '-';
	o = pl_put_dec2(o, mo);
	*o++ = '-';
	o = pl_put_dec2(o, d);
	*o++ = 'T';
	o = pl_put_dec2(o, (unsigned)(rem / 3600));
	*o++ = ':';
	o = pl_put_dec2(o, (unsigned)(rem / 60 % 60));
	*o++ = ':';
	o = pl_put_dec2(o, (unsigned)(rem % 60));
	*o++ = '.';
	o = pl_put_dec2(o, ns / 10000000);
	o = pl_put_dec2(o, ns / 100000 % 100);
	o = pl_put_dec2(o, ns / 1000 % 100);
	o = pl_put_dec2(o, ns / 10 % 100);
	*o++ = (char)('0' + ns % 10);
	*o++ = 'Z';
	pl_attrs_plain(out, key, s, (size_t)(o - s));
}

/*
 * Reference ID (RFC 5905 7.3): for stratum 0 (kiss code) and 1 (reference
 * clock) four ASCII characters, NUL-padded; from stratum 2 the IPv4 address
 * of the upstream server (or, for IPv6, the first four bytes of a hash of
 * it, still written as a dotted quad). The raw bytes go to _hex as well.
 */
static void
write_refid(struct pl_attrs *out, uint8_t stratum, const uint8_t *p)
{
	if (stratum <= 1) {
		size_t n = 0;
		while (n < 4 && p[n])
			n++;
		pl_attrs_str(out, "reference_id", p, n);
	} else {
		pl_attrs_ipv4(out, "reference_id", p);
	}
	pl_attrs_hex(out, "reference_id_hex", p, 4);
}

/* Modes 1-5: the RFC 5905 header, field by field as far as it goes. */
static enum pl_dissect_result
header(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	pl_attrs_uint(out, "leap", p[0] >> 6);
	if (len >= 2)
		pl_attrs_uint(out, "stratum", p[1]);
	/* poll and precision are signed log2 seconds */
	if (len >= 3)
		pl_attrs_int(out, "poll", (int8_t)p[2]);
	if (len >= 4)
		pl_attrs_int(out, "precision", (int8_t)p[3]);
	if (len >= 16)
		write_refid(out, p[1], p + 12);
	if (len >= 24)
		write_ts(out, "reference_time", p + 16);
	if (len >= 32) {
		write_ts(out, "origin_time", p + 24);
		pl_attrs_bool(out, "origin_zero",
			      pl_rd32(p + 24) == 0 && pl_rd32(p + 28) == 0);
	}
	if (len >= 40)
		write_ts(out, "receive_time", p + 32);
	if (len >= 48)
		write_ts(out, "transmit_time", p + 40);
	if (len < NTP_HDR_LEN) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}

/* Mode 6: control message header (12 bytes, then count bytes of data). */
static enum pl_dissect_result
control(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	if (len >= 2) {
		pl_attrs_bool(out, "response", p[1] & 0x80);
		pl_attrs_bool(out, "error", p[1] & 0x40);
		pl_attrs_bool(out, "more", p[1] & 0x20);
		pl_attrs_uint(out, "opcode", p[1] & 0x1f);
	}
	if (len >= 4)
		pl_attrs_uint(out, "sequence", pl_rd16(p + 2));
	if (len >= 6)
		pl_attrs_uint(out, "status", pl_rd16(p + 4));
	if (len >= 8)
		pl_attrs_uint(out, "association_id", pl_rd16(p + 6));
	if (len >= 10)
		pl_attrs_uint(out, "offset", pl_rd16(p + 8));
	if (len >= 12)
		pl_attrs_uint(out, "count", pl_rd16(p + 10));
	if (len < 12 || (size_t)pl_rd16(p + 10) > len - 12) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}

/* Mode 7: ntpd's private request/response header (8 bytes, then items). */
static enum pl_dissect_result
private(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	pl_attrs_bool(out, "response", p[0] & 0x80);
	pl_attrs_bool(out, "more", p[0] & 0x40);
	if (len >= 2) {
		pl_attrs_bool(out, "auth", p[1] & 0x80);
		pl_attrs_uint(out, "sequence", p[1] & 0x7f);
	}
	if (len >= 3)
		pl_attrs_uint(out, "implementation", p[2]);
	if (len >= 4)
		pl_attrs_uint(out, "request_code", p[3]);
	if (len >= 6) {
		pl_attrs_uint(out, "error", p[4] >> 4);
		pl_attrs_uint(out, "item_count", pl_rd16(p + 4) & 0x0fff);
	}
	if (len >= 8)
		pl_attrs_uint(out, "item_size", pl_rd16(p + 6) & 0x0fff);
	if (len < 8) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}

enum pl_dissect_result
pl_ntp_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	if (len == 0) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	unsigned version = (p[0] >> 3) & 7, mode = p[0] & 7;
	/* Versions 1-4 exist; 0 and 5-7 rule NTP out. */
	if (version == 0 || version > 4)
		return PL_DISSECT_NOT_MINE;
	pl_attrs_uint(out, "version", version);
	pl_attrs_uint(out, "mode", mode);
	if (mode == 6)
		return control(p, len, out);
	if (mode == 7)
		return private(p, len, out);
	return header(p, len, out);
}
