/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DHCP (RFC 2131, options RFC 2132) and plain BOOTP (RFC 951): the fixed
 * header and the options that identify a client. Option overload (52)
 * is followed: the file and sname fields then carry options too.
 * Attribute reference: docs/attrs/dhcp.md.
 */
#include "proto-internal.h"

#define DHCP_FIXED_LEN 236 /* up to and including file */
#define DHCP_COOKIE_LEN 4
#define DHCP_OPTIONS_OFF (DHCP_FIXED_LEN + DHCP_COOKIE_LEN)
#define DHCP_SNAME_OFF 44
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_OFF 108
#define DHCP_FILE_LEN 128

static const uint8_t cookie[DHCP_COOKIE_LEN] = {0x63, 0x82, 0x53, 0x63};

/* Option 53 values: RFC 2132 9.6, RFC 3203, RFC 4388, RFC 6926, RFC 7724. */
static const char *const msg_types[] = {
	NULL, "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK",
	"RELEASE", "INFORM", "FORCERENEW", "LEASEQUERY", "LEASEUNASSIGNED",
	"LEASEUNKNOWN", "LEASEACTIVE", "BULKLEASEQUERY", "LEASEQUERYDONE",
	"ACTIVELEASEQUERY", "LEASEQUERYSTATUS", "TLS"};

/*
 * Walks the options: the options field, then (with option 52) the file
 * and sname fields in the order RFC 2131 4.1 gives. Each area ends with
 * the End option; the options field may be cut by the datagram's end,
 * which makes the message malformed.
 */
struct opt_iter {
	const uint8_t *p;
	size_t len;
	struct pl_span area[3];
	unsigned n_areas, cur;
	size_t off;
	uint8_t overload;
	bool malformed;
};

static void
opt_init(struct opt_iter *it, const uint8_t *p, size_t len)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	it->len = len;
	it->area[0] = (struct pl_span){p + DHCP_OPTIONS_OFF,
				       len - DHCP_OPTIONS_OFF};
	it->n_areas = 1;
}

/* Next option (not Pad, not End); false at the end of all areas. */
static bool
opt_next(struct opt_iter *it, uint8_t *code, struct pl_span *val)
{
	while (it->cur < it->n_areas) {
		struct pl_span a = it->area[it->cur];
		bool end = false;
		while (it->off < a.len) {
			uint8_t c = a.p[it->off];
			if (c == 0) {
				it->off++;
				continue;
			}
			if (c == 255) {
				end = true;
				break;
			}
			if (it->off + 2 > a.len ||
			    it->off + 2 + a.p[it->off + 1] > a.len) {
				it->malformed = true; /* cut inside an option */
				it->off = a.len;
				break;
			}
			*code = c;
			val->p = a.p + it->off + 2;
			val->len = a.p[it->off + 1];
			it->off += 2 + val->len;
			if (c == 52 && it->cur == 0 && val->len == 1 &&
			    !it->overload)
				it->overload = val->p[0];
			return true;
		}
		if (it->cur == 0) {
			if (!end)
				it->malformed = true; /* no End option */
			/* RFC 2131 4.1: file first, then sname */
			if (it->overload == 1 || it->overload == 3)
				it->area[it->n_areas++] = (struct pl_span){
					it->p + DHCP_FILE_OFF, DHCP_FILE_LEN};
			if (it->overload == 2 || it->overload == 3)
				it->area[it->n_areas++] = (struct pl_span){
					it->p + DHCP_SNAME_OFF, DHCP_SNAME_LEN};
		}
		it->cur++;
		it->off = 0;
	}
	return false;
}

/* Client FQDN (RFC 4702): flags, two deprecated RCODEs, then the name,
 * in DNS wire format when the E flag is set, else ASCII. */
static void
write_fqdn(struct pl_attrs *out, struct pl_span v, bool *malformed)
{
	if (v.len < 3) {
		*malformed = true;
		return;
	}
	uint8_t flags = v.p[0];
	pl_attrs_uint(out, "fqdn_flags", flags);
	const uint8_t *n = v.p + 3;
	size_t nl = v.len - 3;
	if (!(flags & 0x04)) {
		pl_attrs_str(out, "fqdn", n, nl);
		return;
	}
	char txt[256];
	size_t tl = 0, i = 0;
	/* Labels up to the root label, or to the end for a partial name. */
	while (i < nl && n[i] != 0) {
		uint8_t l = n[i];
		if (l > 63 || i + 1 + l > nl || tl + l + 1 >= sizeof(txt)) {
			*malformed = true;
			return;
		}
		if (tl)
			txt[tl++] = '.';
		memcpy(txt + tl, n + i + 1, l);
		tl += l;
		i += 1 + (size_t)l;
	}
	pl_attrs_str(out, "fqdn", txt, tl);
}

static void
write_options(const uint8_t *p, size_t len, struct pl_attrs *out,
	      bool *malformed)
{
	struct opt_iter it;
	uint8_t code;
	struct pl_span v;
	uint64_t seen[4] = {0}; /* first occurrence wins (RFC 3396 aside) */
	uint8_t codes[256];	/* every code in order, for "options" */
	size_t n_codes = 0;

	opt_init(&it, p, len);
	while (opt_next(&it, &code, &v)) {
		if (n_codes < sizeof(codes))
			codes[n_codes] = code;
		n_codes++;
		if (seen[code / 64] & (1ull << (code % 64)))
			continue;
		seen[code / 64] |= 1ull << (code % 64);
		switch (code) {
		case 53:
			if (v.len != 1)
				break;
			pl_attrs_uint(out, "message_type_code", v.p[0]);
			if (v.p[0] < sizeof(msg_types) / sizeof(msg_types[0]) &&
			    msg_types[v.p[0]])
				pl_attrs_cstr(out, "message_type",
					      msg_types[v.p[0]]);
			break;
		case 12:
			pl_attrs_str(out, "hostname", v.p, v.len);
			break;
		case 50:
			if (v.len == 4)
				pl_attrs_ipv4(out, "requested_ip", v.p);
			break;
		case 54:
			if (v.len == 4)
				pl_attrs_ipv4(out, "server_id", v.p);
			break;
		case 51:
			if (v.len == 4)
				pl_attrs_uint(out, "lease_time", pl_rd32(v.p));
			break;
		case 55:
			pl_attrs_uint8_list(out, "parameter_request_list",
					    v.p, v.len);
			break;
		case 60:
			pl_attrs_str(out, "vendor_class", v.p, v.len);
			break;
		case 61:
			pl_attrs_hex(out, "client_id", v.p, v.len);
			break;
		case 81:
			write_fqdn(out, v, malformed);
			break;
		case 52:
			if (v.len == 1)
				pl_attrs_uint(out, "overload", v.p[0]);
			break;
		default:
			break;
		}
	}
	/* The option codes in order: a client's fingerprint (as in
	 * Fingerbank), repeated codes included. Only a datagram of more
	 * options than codes[] holds is walked a second time. */
	if (n_codes <= sizeof(codes)) {
		pl_attrs_uint8_list(out, "options", codes, n_codes);
	} else {
		opt_init(&it, p, len);
		pl_attrs_array(out, "options");
		while (opt_next(&it, &code, &v))
			pl_attrs_uint(out, NULL, code);
		pl_attrs_end(out);
	}
	if (it.malformed)
		*malformed = true;
}

enum pl_dissect_result
pl_dhcp_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	bool malformed = false;
	/* op is BOOTREQUEST (1) or BOOTREPLY (2): nothing else is BOOTP. */
	if (len >= 1 && p[0] != 1 && p[0] != 2)
		return PL_DISSECT_NOT_MINE;
	if (len >= 1)
		pl_attrs_uint(out, "op", p[0]);
	if (len >= 2)
		pl_attrs_uint(out, "htype", p[1]);
	if (len >= 3)
		pl_attrs_uint(out, "hlen", p[2]);
	if (len >= 8)
		pl_attrs_uint(out, "xid", pl_rd32(p + 4));
	if (len >= 10)
		pl_attrs_uint(out, "secs", pl_rd16(p + 8));
	if (len >= 12)
		pl_attrs_bool(out, "broadcast", p[10] & 0x80);
	static const char *const addrs[] = {"ciaddr", "yiaddr", "siaddr",
					    "giaddr"};
	for (size_t i = 0; i < 4; i++)
		if (len >= 16 + 4 * i)
			pl_attrs_ipv4(out, addrs[i], p + 12 + 4 * i);
	if (len >= 44) {
		uint8_t hlen = p[2];
		if (hlen > 16) {
			malformed = true;
			hlen = 16;
		}
		if (p[1] == 1 && hlen == 6) {
			/* aa:bb:cc:dd:ee:ff */
			char mac[17];
			for (int i = 0; i < 6; i++) {
				pl_put_hex(mac + 3 * i, p + 28 + i, 1);
				if (i < 5)
					mac[3 * i + 2] = ':';
			}
			pl_attrs_plain(out, "client_mac", mac, sizeof(mac));
		} else {
			pl_attrs_hex(out, "client_hw_addr", p + 28, hlen);
		}
	}
	if (len < DHCP_OPTIONS_OFF) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	if (memcmp(p + DHCP_FIXED_LEN, cookie, sizeof(cookie)) != 0) {
		/* BOOTP: the vendor area holds no DHCP options. */
		pl_attrs_bool(out, "bootp", true);
	} else {
		write_options(p, len, out, &malformed);
	}
	if (malformed) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}
