/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ARP (RFC 826) and the packets that share its format (RARP RFC 903,
 * InARP RFC 2390, ...): the fixed header, then the sender's and target's
 * hardware and protocol addresses, whose lengths the header gives.
 * Attribute reference: docs/attrs/arp.md.
 */
#include "proto-internal.h"

#define ARP_FIXED_LEN 8

/* ar$op names, IANA "Address Resolution Protocol (ARP) Parameters". */
static const char *const op_names[] = {
	NULL, "request", "reply", "request-reverse", "reply-reverse",
	"drarp-request", "drarp-reply", "drarp-error", "inarp-request",
	"inarp-reply", "arp-nak"};

/* Hardware types whose addresses are 48-bit MACs (IANA: 1 Ethernet,
 * 6 IEEE 802 networks), when the header also says 6 bytes. */
static bool
is_mac(uint16_t htype, uint8_t hlen)
{
	return hlen == 6 && (htype == 1 || htype == 6);
}

static void
write_mac(struct pl_attrs *out, const char *key, const uint8_t *p)
{
	char s[17];
	for (int i = 0; i < 6; i++) {
		pl_put_hex(s + 3 * i, p + i, 1);
		if (i < 5)
			s[3 * i + 2] = ':';
	}
	pl_attrs_plain(out, key, s, sizeof(s));
}

/* One hardware or protocol address, in its usual form when the header
 * says what it is, else as the raw bytes. */
static void
write_addr(struct pl_attrs *out, bool hw, bool known, const char *known_key,
	   const char *raw_key, const uint8_t *p, size_t len)
{
	if (!known)
		pl_attrs_hex(out, raw_key, p, len);
	else if (hw)
		write_mac(out, known_key, p);
	else
		pl_attrs_ipv4(out, known_key, p);
}

enum pl_dissect_result
pl_arp_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	if (len < ARP_FIXED_LEN) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	uint16_t htype = pl_rd16(p), ptype = pl_rd16(p + 2), op = pl_rd16(p + 6);
	uint8_t hlen = p[4], plen = p[5];
	pl_attrs_uint(out, "htype", htype);
	pl_attrs_uint(out, "ptype", ptype);
	pl_attrs_uint(out, "hlen", hlen);
	pl_attrs_uint(out, "plen", plen);
	pl_attrs_uint(out, "op", op);
	if (op < sizeof(op_names) / sizeof(op_names[0]) && op_names[op])
		pl_attrs_cstr(out, "op_name", op_names[op]);

	bool mac = is_mac(htype, hlen), ip = ptype == 0x0800 && plen == 4;
	/* sha, spa, tha, tpa: each written only when all its bytes are
	 * there; the frame's padding after tpa is not ours to read. */
	const struct {
		const char *key, *raw;
		bool hw;
	} addr[4] = {
		{"sender_mac", "sender_hw", true},
		{"sender_ip", "sender_proto", false},
		{"target_mac", "target_hw", true},
		{"target_ip", "target_proto", false},
	};
	size_t off = ARP_FIXED_LEN;
	for (int i = 0; i < 4; i++) {
		size_t n = addr[i].hw ? hlen : plen;
		if (len - off < n) {
			pl_attrs_bool(out, "malformed", true);
			return PL_DISSECT_MALFORMED;
		}
		write_addr(out, addr[i].hw, addr[i].hw ? mac : ip, addr[i].key,
			   addr[i].raw, p + off, n);
		off += n;
	}
	/* A host announcing its own address (RFC 5227 2.3, RFC 5944 4.6):
	 * the address it asks about, or answers for, is its own. */
	const uint8_t *spa = p + ARP_FIXED_LEN + hlen, *tpa = spa + plen + hlen;
	if (plen > 0 && memcmp(spa, tpa, plen) == 0)
		pl_attrs_bool(out, "gratuitous", true);
	return PL_DISSECT_OK;
}
