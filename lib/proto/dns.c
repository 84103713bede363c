/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * DNS (RFC 1035) and mDNS (RFC 6762) messages: header, questions and every
 * resource record of the three record sections. Attribute reference:
 * docs/attrs/dns.md.
 *
 * Names are decompressed with two bounds (RFC 1035 4.1.4 allows pointers
 * anywhere earlier, and real encoders are not all strict about "earlier"):
 * at most DNS_MAX_JUMPS pointers are followed and the name may not exceed
 * 255 bytes of wire format (RFC 1035 2.3.4). Together they end any loop.
 */
#include "proto-internal.h"

#define DNS_HDR_LEN 12
#define DNS_MAX_NAME 255
/* A 255-byte name has at most 127 labels; one pointer per label is the
 * most a legitimate encoder can need. */
#define DNS_MAX_JUMPS 127

enum name_status {
	NAME_OK,
	NAME_CUT,      /* the message ends inside the name */
	NAME_LONG,     /* more than 255 bytes of wire format */
	NAME_LOOP,     /* more than DNS_MAX_JUMPS pointers */
	NAME_BADPTR,   /* pointer outside the message */
	NAME_BADLABEL, /* label type 0x40 (extended) or 0x80 (reserved) */
};

/* The value of a name_error attribute; docs/attrs/dns.md. */
static const char *const name_errors[] = {
	[NAME_LONG] = "too_long", [NAME_LOOP] = "pointer_loop",
	[NAME_BADPTR] = "bad_pointer", [NAME_BADLABEL] = "bad_label"};

/* Dotted text of a name, without the final dot; "" for the root. */
struct dns_name {
	char txt[DNS_MAX_NAME + 1];
	size_t len;
};

/*
 * Read the name at *off in the message m[0..len). *off moves past the
 * name's own encoding (up to and including its first pointer) whenever
 * that end is known, with *end_known set: then the message can still be
 * read after a bad name, as tshark does. The text is valid only for NAME_OK.
 */
static enum name_status
read_name(const uint8_t *m, size_t len, size_t *off, struct dns_name *n,
	  bool *end_known)
{
	size_t pos = *off, after = 0, wire = 1; /* the root's length byte */
	unsigned jumps = 0;
	enum name_status err;
	*end_known = false;
	n->len = 0;
	n->txt[0] = '\0';
	for (;;) {
		if (pos >= len)
			return NAME_CUT;
		uint8_t l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return NAME_CUT;
			size_t target = (size_t)(l & 0x3f) << 8 | m[pos + 1];
			if (!after)
				after = pos + 2;
			if (++jumps > DNS_MAX_JUMPS) {
				err = NAME_LOOP;
				break;
			}
			if (target >= len) {
				err = NAME_BADPTR;
				break;
			}
			pos = target;
			continue;
		}
		if (l & 0xc0) {
			err = NAME_BADLABEL;
			break;
		}
		if (l == 0) {
			*off = after ? after : pos + 1;
			*end_known = true;
			return NAME_OK;
		}
		wire += (size_t)l + 1;
		if (wire > DNS_MAX_NAME) {
			err = NAME_LONG;
			break;
		}
		if (pos + 1 + l > len)
			return NAME_CUT;
		/* wire <= 255 keeps the text (labels plus dots) within txt */
		if (n->len)
			n->txt[n->len++] = '.';
		memcpy(n->txt + n->len, m + pos + 1, l);
		n->len += l;
		n->txt[n->len] = '\0';
		pos += (size_t)l + 1;
	}
	if (after) {
		*off = after;
		*end_known = true;
		return err;
	}
	/* Still in the name's own bytes: walk its labels to their end. */
	while (pos < len && err != NAME_BADLABEL) {
		uint8_t l = m[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return NAME_CUT;
			*off = pos + 2;
			*end_known = true;
			return err;
		}
		if (l & 0xc0)
			return err;
		if (l == 0) {
			*off = pos + 1;
			*end_known = true;
			return err;
		}
		pos += (size_t)l + 1;
	}
	return err == NAME_BADLABEL ? err : NAME_CUT;
}

/*
 * Write a name as `key` (or its error as `key`_error). False when the
 * message cannot be read past it.
 */
static bool
write_name(struct pl_attrs *out, const char *key, const char *err_key,
	   enum name_status st, const struct dns_name *n)
{
	if (st == NAME_OK)
		pl_attrs_str(out, key, n->txt, n->len);
	else if (st != NAME_CUT)
		pl_attrs_cstr(out, err_key, name_errors[st]);
	return st == NAME_OK;
}

enum rr_section { SEC_QUESTION, SEC_RR };

struct dns_ctx {
	const uint8_t *m;
	size_t len;
	size_t off;
	bool malformed;
};

/* One question; false when the message ends or is inconsistent. */
static bool
question(struct dns_ctx *c, struct pl_attrs *out)
{
	struct dns_name n;
	bool known;
	enum name_status st = read_name(c->m, c->len, &c->off, &n, &known);
	if (st != NAME_OK)
		c->malformed = true;
	if (!known)
		return false;
	pl_attrs_object(out, NULL);
	write_name(out, "name", "name_error", st, &n);
	if (c->off + 4 > c->len) {
		pl_attrs_end(out);
		c->malformed = true;
		return false;
	}
	uint16_t qclass = pl_rd16(c->m + c->off + 2);
	pl_attrs_uint(out, "type", pl_rd16(c->m + c->off));
	pl_attrs_uint(out, "class", qclass & 0x7fff);
	/* RFC 6762 5.4: the top bit of an mDNS question's class asks for a
	 * unicast response. */
	if (qclass & 0x8000)
		pl_attrs_bool(out, "unicast_response", true);
	pl_attrs_end(out);
	c->off += 4;
	return true;
}

/* Hex digits of v without leading zeros ("0" for 0), as "%x" gives. */
static char *
put_hex_word(char *o, unsigned v)
{
	static const char hx[] = "0123456789abcdef";
	int shift = v >= 0x1000 ? 12 : v >= 0x100 ? 8 : v >= 0x10 ? 4 : 0;
	for (; shift >= 0; shift -= 4)
		*o++ = hx[(v >> shift) & 15];
	return o;
}

/*
 * An IPv6 address as glibc's inet_ntop writes it (the text is an
 * attribute, so it must not change; inet_ntop costs 8 sprintf calls): the
 * first longest run of two or more zero words becomes "::", and an address
 * whose first 6 words are zero, or 5 then ffff, ends in a dotted quad
 * (IPv4-compatible and -mapped, RFC 4291 2.5.5). Returns the length.
 */
static size_t
fmt_ipv6(const uint8_t *p, char out[46])
{
	unsigned w[8];
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	for (int i = 0; i < 8; i++) {
		w[i] = pl_rd16(p + 2 * i);
		if (w[i] == 0) {
			if (cur < 0)
				cur = i, cur_len = 0;
			if (++cur_len > best_len)
				best = cur, best_len = cur_len;
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	char *o = out;
	for (int i = 0; i < 8; i++) {
		if (best >= 0 && i >= best && i < best + best_len) {
			if (i == best)
				*o++ = ':';
			continue;
		}
		if (i)
			*o++ = ':';
		if (i == 6 && best == 0 &&
		    (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			o += pl_fmt_ipv4(p + 12, o);
			return (size_t)(o - out);
		}
		o = put_hex_word(o, w[i]);
	}
	if (best >= 0 && best + best_len == 8)
		*o++ = ':';
	*o = '\0';
	return (size_t)(o - out);
}

/* The address or name an A, AAAA, CNAME or PTR record carries. */
static void
rdata(struct dns_ctx *c, uint16_t type, size_t rd, uint16_t rdlen,
      struct pl_attrs *out)
{
	char s[46];
	switch (type) {
	case 1: /* A */
		if (rdlen != 4) {
			c->malformed = true;
			return;
		}
		pl_attrs_ipv4(out, "data", c->m + rd);
		return;
	case 28: /* AAAA */
		if (rdlen != 16) {
			c->malformed = true;
			return;
		}
		pl_attrs_plain(out, "data", s, fmt_ipv6(c->m + rd, s));
		return;
	case 5:  /* CNAME */
	case 12: /* PTR */ {
		struct dns_name n;
		size_t at = rd;
		bool known;
		/* Pointers may lead before RDATA; the name must end in it. */
		enum name_status st = read_name(c->m, rd + rdlen, &at, &n,
						&known);
		if (!write_name(out, "data", "data_error", st, &n) ||
		    at != rd + rdlen)
			c->malformed = true;
		return;
	}
	default:
		return;
	}
}

/* One resource record; false when the message ends or is inconsistent. */
static bool
record(struct dns_ctx *c, struct pl_attrs *out)
{
	struct dns_name n;
	bool known;
	enum name_status st = read_name(c->m, c->len, &c->off, &n, &known);
	if (st != NAME_OK)
		c->malformed = true;
	if (!known)
		return false;
	pl_attrs_object(out, NULL);
	write_name(out, "name", "name_error", st, &n);
	if (c->off + 10 > c->len) {
		pl_attrs_end(out);
		c->malformed = true;
		return false;
	}
	const uint8_t *f = c->m + c->off;
	uint16_t type = pl_rd16(f), rclass = pl_rd16(f + 2);
	uint16_t rdlen = pl_rd16(f + 8);
	pl_attrs_uint(out, "type", type);
	if (type == 41) {
		/* OPT (RFC 6891): CLASS is the sender's UDP payload size and
		 * TTL holds the extended RCODE and flags, not a lifetime. */
		pl_attrs_uint(out, "udp_payload_size", rclass);
	} else {
		pl_attrs_uint(out, "class", rclass & 0x7fff);
		/* RFC 6762 10.2: mDNS cache-flush bit */
		if (rclass & 0x8000)
			pl_attrs_bool(out, "cache_flush", true);
		pl_attrs_uint(out, "ttl", pl_rd32(f + 4));
	}
	c->off += 10;
	if (c->off + rdlen > c->len) {
		pl_attrs_end(out);
		c->malformed = true;
		return false;
	}
	rdata(c, type, c->off, rdlen, out);
	pl_attrs_end(out);
	c->off += rdlen;
	return true;
}

/* Opcodes 3 and 7-15 are unassigned (IANA DNS parameters): the only
 * header content that rules DNS out. b is the third byte of the header. */
static bool
opcode_unassigned(uint8_t b)
{
	uint8_t opcode = (b >> 3) & 15;
	return opcode == 3 || opcode > 6;
}

static enum pl_dissect_result
dissect(const uint8_t *m, size_t len, bool cut, struct pl_attrs *out)
{
	static const char *const sections[] = {
		"questions", "answers", "authorities", "additionals"};
	if (len >= 4 && opcode_unassigned(m[2]))
		return PL_DISSECT_NOT_MINE;
	struct dns_ctx c = {.m = m, .len = len, .off = DNS_HDR_LEN,
			    .malformed = cut};
	if (len >= 2)
		pl_attrs_uint(out, "id", pl_rd16(m));
	if (len >= 4) {
		uint16_t fl = pl_rd16(m + 2);
		char hex[4];
		pl_put_hex16(hex, fl);
		pl_attrs_plain(out, "flags", hex, 4);
		pl_attrs_bool(out, "qr", fl & 0x8000);
		pl_attrs_uint(out, "opcode", (fl >> 11) & 15);
		pl_attrs_bool(out, "aa", fl & 0x0400);
		pl_attrs_bool(out, "tc", fl & 0x0200);
		pl_attrs_bool(out, "rd", fl & 0x0100);
		pl_attrs_bool(out, "ra", fl & 0x0080);
		pl_attrs_bool(out, "z", fl & 0x0040);
		pl_attrs_bool(out, "ad", fl & 0x0020);
		pl_attrs_bool(out, "cd", fl & 0x0010);
		pl_attrs_uint(out, "rcode", fl & 15);
	}
	if (len < DNS_HDR_LEN) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	static const char *const counts[] = {
		"qdcount", "ancount", "nscount", "arcount"};
	uint16_t n[4];
	for (int i = 0; i < 4; i++) {
		n[i] = pl_rd16(m + 4 + 2 * i);
		pl_attrs_uint(out, counts[i], n[i]);
	}
	bool more = true;
	for (int s = 0; s < 4 && more; s++) {
		if (!n[s])
			continue;
		pl_attrs_array(out, sections[s]);
		for (unsigned i = 0; i < n[s] && more && !out->truncated; i++)
			more = s == 0 ? question(&c, out) : record(&c, out);
		pl_attrs_end(out);
	}
	if (c.malformed) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	return PL_DISSECT_OK;
}

enum pl_dissect_result
pl_dns_dissect(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	return dissect(p, len, false, out);
}

enum pl_dissect_result
pl_dns_dissect_tcp(const uint8_t *p, size_t len, struct pl_attrs *out)
{
	if (len < 2) {
		pl_attrs_bool(out, "malformed", true);
		return PL_DISSECT_MALFORMED;
	}
	/* RFC 1035 4.2.2: a two-byte length, then the message. Only the
	 * first message of the head is dissected. */
	size_t mlen = pl_rd16(p);
	bool cut = mlen > len - 2;
	return dissect(p + 2, cut ? len - 2 : mlen, cut, out);
}

/* Complete once the first message is whole: its 2-byte length and that
 * many bytes (pl_dns_dissect_tcp reads no further); not mine once the
 * header shows an unassigned opcode, as the dissector judges. */
enum pl_head_state
pl_dns_tcp_head_state(const uint8_t *p, size_t len)
{
	if (len < 2)
		return PL_HEAD_NEED_MORE;
	size_t mlen = pl_rd16(p);
	if (mlen >= 4 && len >= 6 && opcode_unassigned(p[4]))
		return PL_HEAD_NOT_MINE;
	return len - 2 >= mlen ? PL_HEAD_COMPLETE : PL_HEAD_NEED_MORE;
}
