/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/pkt: L2-L4 decoding into struct pl_pkt_meta, the
 * canonical flow key, its symmetric hash and the worker spread.
 *
 * Every packet is built byte by byte here (no capture files), and every
 * decode runs on a buffer of exactly the captured length, allocated with
 * malloc (AddressSanitizer builds catch any over-read) or placed against an
 * inaccessible guard page (any over-read crashes, in every build).
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pkt.h"
#include "test_rng.h"

_Static_assert(sizeof(struct pl_flow_key) == 40, "flow key is 40 bytes");
_Static_assert(sizeof(struct pl_pkt_meta) <= PL_PKT_META_SIZE,
	       "meta fits the mbuf private area");

/* ------------------------------------------------------------------------ */
/* Packet builder                                                           */
/* ------------------------------------------------------------------------ */

struct pb {
	uint8_t d[4096];
	uint32_t n;
};

static void
b8(struct pb *b, uint8_t v)
{
	cr_assert_lt(b->n, sizeof(b->d), "test packet too long");
	b->d[b->n++] = v;
}

static void
b16(struct pb *b, uint16_t v)
{
	b8(b, (uint8_t)(v >> 8));
	b8(b, (uint8_t)v);
}

static void
b32(struct pb *b, uint32_t v)
{
	b16(b, (uint16_t)(v >> 16));
	b16(b, (uint16_t)v);
}

static void
bmem(struct pb *b, const void *p, size_t len)
{
	const uint8_t *s = p;
	for (size_t i = 0; i < len; i++)
		b8(b, s[i]);
}

static void
set16(struct pb *b, uint32_t off, uint16_t v)
{
	b->d[off] = (uint8_t)(v >> 8);
	b->d[off + 1] = (uint8_t)v;
}

static const uint8_t MAC_A[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0a};
static const uint8_t MAC_B[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x0b};
static const uint8_t MAC_BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static const uint8_t IP4_A[4] = {10, 0, 0, 1};
static const uint8_t IP4_B[4] = {93, 184, 216, 34};
static const uint8_t IP6_A[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
				  0,    0,    0,    0,    0, 0, 0, 1};
static const uint8_t IP6_B[16] = {0x2a, 0x00, 0x14, 0x50, 0x40, 0x01, 0x08,
				  0x1e, 0,    0,    0,    0,    0,    0,
				  0x20, 0x0e};

/* Ethernet header; type is the ether-type or the first TPID. */
static void
eth(struct pb *b, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	bmem(b, dst, 6);
	bmem(b, src, 6);
	b16(b, type);
}

/* The rest of an 802.1Q tag after its TPID: TCI, then the next type. */
static void
vlan_tag(struct pb *b, uint16_t tci, uint16_t next_type)
{
	b16(b, tci);
	b16(b, next_type);
}

/* IPv4 header with ihl 32-bit words (options: NOPs, then EOL); the total
 * length is written by ipv4_end. */
static uint32_t
ipv4(struct pb *b, const uint8_t *src, const uint8_t *dst, uint8_t proto,
     uint8_t ihl, uint16_t frag, uint8_t ttl)
{
	uint32_t off = b->n;
	b8(b, (uint8_t)(0x40 | ihl));
	b8(b, 0);
	b16(b, 0);
	b16(b, 0x1234);
	b16(b, frag);
	b8(b, ttl);
	b8(b, proto);
	b16(b, 0);
	bmem(b, src, 4);
	bmem(b, dst, 4);
	for (unsigned i = 20; i < ihl * 4u; i++)
		b8(b, i + 1 == ihl * 4u ? 0 : 1);
	return off;
}

static void
ipv4_end(struct pb *b, uint32_t off)
{
	set16(b, off + 2, (uint16_t)(b->n - off));
}

static uint32_t
ipv6(struct pb *b, const uint8_t *src, const uint8_t *dst, uint8_t nh,
     uint8_t hlim)
{
	uint32_t off = b->n;
	b32(b, 0x60012345);
	b16(b, 0);
	b8(b, nh);
	b8(b, hlim);
	bmem(b, src, 16);
	bmem(b, dst, 16);
	return off;
}

static void
ipv6_end(struct pb *b, uint32_t off)
{
	set16(b, off + 4, (uint16_t)(b->n - off - 40));
}

/* Hop-by-hop, routing or destination options header of (len8 + 1) * 8
 * bytes (Pad1 filling). */
static void
ext6(struct pb *b, uint8_t nh, uint8_t len8)
{
	b8(b, nh);
	b8(b, len8);
	for (unsigned i = 2; i < (len8 + 1u) * 8; i++)
		b8(b, 0);
}

/* Authentication header: (len4 + 2) * 4 bytes. */
static void
ah6(struct pb *b, uint8_t nh, uint8_t len4)
{
	b8(b, nh);
	b8(b, len4);
	for (unsigned i = 2; i < (len4 + 2u) * 4; i++)
		b8(b, 0);
}

static void
frag6(struct pb *b, uint8_t nh, uint16_t offset8, int more, uint32_t id)
{
	b8(b, nh);
	b8(b, 0);
	b16(b, (uint16_t)(offset8 << 3 | (more ? 1 : 0)));
	b32(b, id);
}

/* TCP header of doff words (options: MSS, then NOPs). */
static uint32_t
tcp(struct pb *b, uint16_t sp, uint16_t dp, uint32_t seq, uint8_t flags,
    uint8_t doff)
{
	uint32_t off = b->n;
	b16(b, sp);
	b16(b, dp);
	b32(b, seq);
	b32(b, 0xa0b0c0d0);
	b8(b, (uint8_t)(doff << 4));
	b8(b, flags);
	b16(b, 65535);
	b16(b, 0);
	b16(b, 0);
	unsigned opt = doff * 4u - 20;
	if (opt >= 4) {
		bmem(b, (const uint8_t[]){2, 4, 0x05, 0xb4}, 4);
		opt -= 4;
	}
	while (opt--)
		b8(b, 1);
	return off;
}

static uint32_t
udp(struct pb *b, uint16_t sp, uint16_t dp)
{
	uint32_t off = b->n;
	b16(b, sp);
	b16(b, dp);
	b16(b, 0);
	b16(b, 0);
	return off;
}

static void
udp_end(struct pb *b, uint32_t off)
{
	set16(b, off + 4, (uint16_t)(b->n - off));
}

static void
icmp(struct pb *b, uint8_t type, uint8_t code)
{
	b8(b, type);
	b8(b, code);
	b16(b, 0);
	b16(b, 0x4242);
	b16(b, 7);
}

/* PPPoE session header and the PPP protocol; the PPPoE length is written
 * by pppoe_end. */
static uint32_t
pppoe(struct pb *b, uint16_t ppp_proto)
{
	uint32_t off = b->n;
	b8(b, 0x11);
	b8(b, 0x00);
	b16(b, 0x1234);
	b16(b, 0);
	b16(b, ppp_proto);
	return off;
}

static void
pppoe_end(struct pb *b, uint32_t off)
{
	set16(b, off + 4, (uint16_t)(b->n - off - 6));
}

static void
mpls(struct pb *b, uint32_t label, int bottom)
{
	b32(b, label << 12 | (bottom ? 1u << 8 : 0) | 64);
}

static void
payload(struct pb *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		b8(b, (uint8_t)(0x30 + i % 64));
}

/* Ethernet minimum frame: pad with junk that must not count as payload. */
static void
pad_to(struct pb *b, uint32_t n)
{
	while (b->n < n)
		b8(b, 0xee);
}

/* ------------------------------------------------------------------------ */
/* Decoding helpers                                                         */
/* ------------------------------------------------------------------------ */

/* Decode the first cap bytes of b from a heap buffer of exactly cap bytes. */
static enum pl_pkt_result
dec_link(const struct pb *b, uint32_t cap, uint32_t wire,
	 enum pl_pkt_link link, struct pl_pkt_meta *m)
{
	uint8_t *p = malloc(cap ? cap : 1);
	cr_assert_not_null(p);
	memcpy(p, b->d, cap);
	/* With cap 0, hand over a pointer to a zero-sized allocation. */
	if (cap == 0) {
		free(p);
		p = malloc(0);
	}
	enum pl_pkt_result r = pl_pkt_decode(p, cap, wire, link, m);
	free(p);
	return r;
}

static enum pl_pkt_result
dec(const struct pb *b, struct pl_pkt_meta *m)
{
	return dec_link(b, b->n, b->n, PL_LINK_ETHERNET, m);
}

/* Decode with the buffer's last byte just before an inaccessible page. */
static enum pl_pkt_result
dec_guard(const uint8_t *data, uint32_t cap, uint32_t wire,
	  enum pl_pkt_link link, struct pl_pkt_meta *m)
{
	static uint8_t *area;
	static long pg;
	if (area == NULL) {
		pg = sysconf(_SC_PAGESIZE);
		void *a = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		cr_assert_neq(a, MAP_FAILED);
		cr_assert_eq(mprotect((uint8_t *)a + pg, (size_t)pg, PROT_NONE),
			     0);
		area = a;
	}
	cr_assert_leq(cap, (uint32_t)pg);
	uint8_t *p = area + pg - cap;
	memcpy(p, data, cap);
	return pl_pkt_decode(p, cap, wire, link, m);
}

#define assert_result(got, want)                                               \
	cr_assert_eq((got), (want), "decode result %s, expected %s",           \
		     pl_pkt_result_name(got), pl_pkt_result_name(want))

/*
 * The key holds the sender (src, sp) on side dir and the receiver on the
 * other side; addresses are zero-padded to 16 bytes. Which side is 0 is the
 * library's choice (a fixed total order), so tests go through dir.
 */
static void
assert_sides(const struct pl_pkt_meta *m, const uint8_t *src,
	     const uint8_t *dst, size_t alen, uint16_t sp, uint16_t dp)
{
	static const uint8_t zero[16];
	unsigned d = m->dir;
	cr_assert_leq(d, 1, "dir %u", d);
	cr_assert_arr_eq(m->key.addr[d], src, alen, "sender's address not on "
						    "key side dir (%u)", d);
	cr_assert_arr_eq(m->key.addr[!d], dst, alen);
	cr_assert_arr_eq(m->key.addr[0] + alen, zero, 16 - alen,
			 "key address not zero-padded");
	cr_assert_arr_eq(m->key.addr[1] + alen, zero, 16 - alen,
			 "key address not zero-padded");
	cr_assert_eq(m->key.port[d], sp, "sender's port %u, expected %u",
		     m->key.port[d], sp);
	cr_assert_eq(m->key.port[!d], dp, "receiver's port %u, expected %u",
		     m->key.port[!d], dp);
}

/* ------------------------------------------------------------------------ */
/* Ethernet, IPv4, TCP                                                      */
/* ------------------------------------------------------------------------ */

static void
build_v4_tcp_opts(struct pb *b, int reverse)
{
	memset(b, 0, sizeof(*b));
	eth(b, reverse ? MAC_A : MAC_B, reverse ? MAC_B : MAC_A, 0x0800);
	uint32_t ip = ipv4(b, reverse ? IP4_B : IP4_A, reverse ? IP4_A : IP4_B,
			   6, 5, 0x4000, 64);
	tcp(b, reverse ? 443 : 51000, reverse ? 51000 : 443, 0x01020304, 0x18,
	    8);
	payload(b, 100);
	ipv4_end(b, ip);
}

Test(pkt, eth_ipv4_tcp_with_options)
{
	struct pb b;
	struct pl_pkt_meta m;
	build_v4_tcp_opts(&b, 0);
	cr_assert_eq(b.n, 14 + 20 + 32 + 100);

	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV4);
	cr_assert_eq(m.key.proto, 6);
	cr_assert_eq(m.l4_proto, 6);
	cr_assert_eq(m.key.vlan, 0);
	assert_sides(&m, IP4_A, IP4_B, 4, 51000, 443);
	cr_assert_eq(m.tcp_seq, 0x01020304u);
	cr_assert_eq(m.tcp_flags, 0x18);
	cr_assert_eq(m.ttl, 64);
	cr_assert_eq(m.ether_type, 0x0800);
	cr_assert_eq(m.nb_vlan, 0);
	cr_assert_eq(m.flags, 0, "flags 0x%x", m.flags);
	cr_assert_eq(m.l3_off, 14);
	cr_assert_eq(m.l4_off, 34);
	cr_assert_eq(m.payload_off, 66);
	cr_assert_eq(m.payload_len, 100);
	cr_assert_eq(m.payload_cap, 100);
	cr_assert_eq(m.wire_len, b.n);

	/* The reply: same key, other side. */
	struct pl_pkt_meta r;
	build_v4_tcp_opts(&b, 1);
	assert_result(dec(&b, &r), PL_PKT_OK);
	cr_assert_eq(memcmp(&m.key, &r.key, sizeof(m.key)), 0);
	cr_assert_eq(r.dir, !m.dir);
	assert_sides(&r, IP4_B, IP4_A, 4, 443, 51000);
	cr_assert_eq(r.payload_len, 100);
}

Test(pkt, tcp_max_data_offset)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, 5, 0, 128);
	tcp(&b, 1234, 80, 7, 0x02, 15);
	ipv4_end(&b, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.l4_off, 34);
	cr_assert_eq(m.payload_off, 34 + 60);
	cr_assert_eq(m.payload_len, 0);
	cr_assert_eq(m.payload_cap, 0);
	cr_assert_eq(m.tcp_flags, 0x02);
	cr_assert_eq(m.ttl, 128);
}

Test(pkt, ethernet_padding_is_not_payload)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
	uint32_t u = udp(&b, 5353, 53);
	payload(&b, 4);
	udp_end(&b, u);
	ipv4_end(&b, ip);
	cr_assert_eq(b.n, 46);
	pad_to(&b, 60);

	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.proto, 17);
	assert_sides(&m, IP4_A, IP4_B, 4, 5353, 53);
	cr_assert_eq(m.l4_off, 34);
	cr_assert_eq(m.payload_off, 42);
	cr_assert_eq(m.payload_len, 4, "payload_len %u", m.payload_len);
	cr_assert_eq(m.payload_cap, 4, "payload_cap %u", m.payload_cap);
	cr_assert_eq(m.wire_len, 60);
	cr_assert_eq(m.flags & PL_PKT_F_SNAPLEN, 0);

	/* A bare ACK padded to 60 bytes has no payload at all. */
	struct pb t = {0};
	eth(&t, MAC_B, MAC_A, 0x0800);
	ip = ipv4(&t, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(&t, 40000, 22, 1, 0x10, 5);
	ipv4_end(&t, ip);
	pad_to(&t, 60);
	assert_result(dec(&t, &m), PL_PKT_OK);
	cr_assert_eq(m.payload_len, 0);
	cr_assert_eq(m.payload_cap, 0);
	cr_assert_eq(m.payload_off, 54);
	cr_assert_eq(m.wire_len, 60);
}

/* ------------------------------------------------------------------------ */
/* VLAN                                                                     */
/* ------------------------------------------------------------------------ */

Test(pkt, vlan_8021q)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x8100);
	vlan_tag(&b, 0xa064, 0x0800); /* PCP 5, VID 100 */
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(&b, 51000, 443, 99, 0x10, 5);
	payload(&b, 10);
	ipv4_end(&b, ip);

	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.vlan, 100);
	cr_assert_eq(m.nb_vlan, 1);
	cr_assert_eq(m.flags & PL_PKT_F_QINQ, 0);
	cr_assert_eq(m.ether_type, 0x0800);
	cr_assert_eq(m.l3_off, 18);
	cr_assert_eq(m.l4_off, 38);
	cr_assert_eq(m.payload_off, 58);
	cr_assert_eq(m.payload_len, 10);
	assert_sides(&m, IP4_A, IP4_B, 4, 51000, 443);

	/* Only the 12-bit VID is in the key. */
	set16(&b, 14, 0xffff);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.vlan, 0xfff);
}

Test(pkt, qinq)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x88a8);
	vlan_tag(&b, 10, 0x8100);
	vlan_tag(&b, 0x2014, 0x86dd); /* PCP 1, VID 20 */
	uint32_t ip = ipv6(&b, IP6_A, IP6_B, 17, 255);
	uint32_t u = udp(&b, 546, 547);
	payload(&b, 30);
	udp_end(&b, u);
	ipv6_end(&b, ip);

	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.vlan, 20, "innermost VID expected, got %u",
		     m.key.vlan);
	cr_assert_eq(m.nb_vlan, 2);
	cr_assert(m.flags & PL_PKT_F_QINQ);
	cr_assert_eq(m.ether_type, 0x86dd);
	cr_assert_eq(m.l3_off, 22);
	cr_assert_eq(m.l4_off, 62);
	cr_assert_eq(m.payload_off, 70);
	cr_assert_eq(m.payload_len, 30);
	cr_assert_eq(m.ttl, 255);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV6);
	assert_sides(&m, IP6_A, IP6_B, 16, 546, 547);

	/* Three tags (0x9100 outer), still the innermost id. */
	struct pb c = {0};
	eth(&c, MAC_B, MAC_A, 0x9100);
	vlan_tag(&c, 1, 0x88a8);
	vlan_tag(&c, 2, 0x8100);
	vlan_tag(&c, 3, 0x0800);
	ip = ipv4(&c, IP4_A, IP4_B, 17, 5, 0, 64);
	u = udp(&c, 1, 2);
	udp_end(&c, u);
	ipv4_end(&c, ip);
	assert_result(dec(&c, &m), PL_PKT_OK);
	cr_assert_eq(m.key.vlan, 3);
	cr_assert_eq(m.nb_vlan, 3);
	cr_assert(m.flags & PL_PKT_F_QINQ);
	cr_assert_eq(m.l3_off, 26);
}

Test(pkt, many_vlan_tags_do_not_crash)
{
	for (unsigned tags = 1; tags <= 12; tags++) {
		struct pb b = {0};
		struct pl_pkt_meta m;
		eth(&b, MAC_B, MAC_A, 0x8100);
		for (unsigned i = 0; i < tags; i++)
			vlan_tag(&b, (uint16_t)(i + 1),
				 i + 1 == tags ? 0x0800 : 0x8100);
		uint32_t ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
		uint32_t u = udp(&b, 1, 2);
		udp_end(&b, u);
		ipv4_end(&b, ip);
		for (uint32_t cut = 0; cut <= b.n; cut++)
			dec_guard(b.d, cut, b.n, PL_LINK_ETHERNET, &m);
		enum pl_pkt_result r = dec(&b, &m);
		if (tags <= 8) {
			assert_result(r, PL_PKT_OK);
			cr_assert_eq(m.nb_vlan, tags);
			cr_assert_eq(m.key.vlan, tags);
			cr_assert_eq(m.key.family, PL_FAMILY_IPV4);
		}
	}
}

/* ------------------------------------------------------------------------ */
/* IPv4 options and fragments                                               */
/* ------------------------------------------------------------------------ */

Test(pkt, ipv4_options)
{
	for (uint8_t ihl = 6; ihl <= 15; ihl++) {
		struct pb b = {0};
		struct pl_pkt_meta m;
		eth(&b, MAC_B, MAC_A, 0x0800);
		uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, ihl, 0, 64);
		tcp(&b, 3333, 80, 1000, 0x18, 5);
		payload(&b, 77);
		ipv4_end(&b, ip);
		assert_result(dec(&b, &m), PL_PKT_OK);
		cr_assert_eq(m.l3_off, 14);
		cr_assert_eq(m.l4_off, 14 + ihl * 4, "ihl %u: l4_off %u", ihl,
			     m.l4_off);
		cr_assert_eq(m.payload_off, 14 + ihl * 4 + 20);
		assert_sides(&m, IP4_A, IP4_B, 4, 3333, 80);
		cr_assert_eq(m.tcp_seq, 1000);
		cr_assert_eq(m.payload_len, 77);
		cr_assert_eq(m.payload_cap, 77);
	}
}

Test(pkt, ipv4_fragments)
{
	struct pb b = {0};
	struct pl_pkt_meta first, later, middle, df;

	/* First fragment: MF, offset 0, UDP header and 472 bytes. */
	eth(&b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 0x2000, 64);
	udp(&b, 4000, 4001);
	set16(&b, b.n - 4, 8 + 1000); /* UDP length: the whole datagram */
	payload(&b, 472);
	ipv4_end(&b, ip);
	assert_result(dec(&b, &first), PL_PKT_OK);
	assert_sides(&first, IP4_A, IP4_B, 4, 4000, 4001);
	cr_assert(first.flags & PL_PKT_F_FIRST_FRAG);
	cr_assert_eq(first.flags & PL_PKT_F_FRAGMENT, 0);
	cr_assert_eq(first.l4_off, 34);
	cr_assert_eq(first.payload_off, 42);
	cr_assert_eq(first.payload_len, 472, "payload_len from the IP length");
	cr_assert_eq(first.payload_cap, 472);

	/* Last fragment: offset 60 (480 bytes), no MF. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x0800);
	ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 60, 64);
	payload(&b, 528);
	ipv4_end(&b, ip);
	assert_result(dec(&b, &later), PL_PKT_OK);
	cr_assert(later.flags & PL_PKT_F_FRAGMENT);
	cr_assert_eq(later.flags & PL_PKT_F_FIRST_FRAG, 0);
	assert_sides(&later, IP4_A, IP4_B, 4, 0, 0);
	cr_assert_eq(later.key.proto, 17);
	cr_assert_eq(later.l4_proto, 17);
	cr_assert_eq(later.key.family, PL_FAMILY_IPV4);
	cr_assert_eq(later.l4_off, 0);
	cr_assert_eq(later.payload_off, 34);
	cr_assert_eq(later.payload_len, 528);
	cr_assert_eq(later.payload_cap, 528);
	cr_assert_neq(memcmp(&first.key, &later.key, sizeof(first.key)), 0);

	/* Middle fragment: MF and an offset: not the first. */
	set16(&b, 14 + 6, 0x2000 | 60);
	assert_result(dec(&b, &middle), PL_PKT_OK);
	cr_assert(middle.flags & PL_PKT_F_FRAGMENT);
	cr_assert_eq(middle.flags & PL_PKT_F_FIRST_FRAG, 0);
	cr_assert_eq(memcmp(&middle.key, &later.key, sizeof(later.key)), 0);

	/* DF and offset 0: not a fragment at all. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x0800);
	ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 0x4000, 64);
	uint32_t u = udp(&b, 4000, 4001);
	payload(&b, 8);
	udp_end(&b, u);
	ipv4_end(&b, ip);
	assert_result(dec(&b, &df), PL_PKT_OK);
	cr_assert_eq(df.flags & (PL_PKT_F_FRAGMENT | PL_PKT_F_FIRST_FRAG), 0);
	cr_assert_eq(memcmp(&first.key, &df.key, sizeof(df.key)), 0,
		     "a first fragment belongs to its 5-tuple flow");
}

/* ------------------------------------------------------------------------ */
/* IPv6 extension headers and fragments                                     */
/* ------------------------------------------------------------------------ */

Test(pkt, ipv6_extension_headers_then_tcp)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x86dd);
	uint32_t ip = ipv6(&b, IP6_B, IP6_A, 0, 57);
	ext6(&b, 43, 0); /* hop-by-hop, 8 bytes */
	ext6(&b, 60, 2); /* routing, 24 bytes */
	ext6(&b, 6, 1);  /* destination options, 16 bytes */
	tcp(&b, 443, 50123, 0xdeadbeef, 0x11, 5);
	payload(&b, 50);
	ipv6_end(&b, ip);

	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV6);
	cr_assert_eq(m.key.proto, 6);
	cr_assert_eq(m.l4_proto, 6);
	cr_assert_eq(m.ether_type, 0x86dd);
	cr_assert_eq(m.ttl, 57);
	cr_assert_eq(m.l3_off, 14);
	cr_assert_eq(m.l4_off, 14 + 40 + 8 + 24 + 16);
	cr_assert_eq(m.payload_off, 14 + 40 + 48 + 20);
	cr_assert_eq(m.payload_len, 50);
	cr_assert_eq(m.payload_cap, 50);
	cr_assert_eq(m.tcp_seq, 0xdeadbeef);
	cr_assert_eq(m.tcp_flags, 0x11);
	assert_sides(&m, IP6_B, IP6_A, 16, 443, 50123);
	cr_assert_eq(m.flags, 0);
	cr_assert_eq(m.wire_len, b.n);
}

Test(pkt, ipv6_authentication_header)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x86dd);
	uint32_t ip = ipv6(&b, IP6_A, IP6_B, 51, 64);
	ah6(&b, 17, 4); /* 24 bytes */
	uint32_t u = udp(&b, 500, 500);
	payload(&b, 12);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.proto, 17);
	cr_assert_eq(m.l4_off, 14 + 40 + 24);
	cr_assert_eq(m.payload_len, 12);
}

Test(pkt, ipv6_fragments)
{
	struct pb b = {0};
	struct pl_pkt_meta first, later, whole;

	eth(&b, MAC_B, MAC_A, 0x86dd);
	uint32_t ip = ipv6(&b, IP6_A, IP6_B, 0, 64);
	ext6(&b, 44, 0); /* hop-by-hop before the fragment header */
	frag6(&b, 17, 0, 1, 0xabcdef01);
	udp(&b, 7000, 7001);
	set16(&b, b.n - 4, 8 + 300);
	payload(&b, 100);
	ipv6_end(&b, ip);
	assert_result(dec(&b, &first), PL_PKT_OK);
	cr_assert(first.flags & PL_PKT_F_FIRST_FRAG);
	cr_assert_eq(first.flags & PL_PKT_F_FRAGMENT, 0);
	cr_assert_eq(first.key.proto, 17);
	assert_sides(&first, IP6_A, IP6_B, 16, 7000, 7001);
	cr_assert_eq(first.l4_off, 14 + 40 + 8 + 8);
	cr_assert_eq(first.payload_len, 100);
	cr_assert_eq(first.payload_cap, 100);

	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x86dd);
	ip = ipv6(&b, IP6_A, IP6_B, 44, 64);
	frag6(&b, 17, 14, 0, 0xabcdef01); /* offset 112 bytes */
	payload(&b, 200);
	ipv6_end(&b, ip);
	assert_result(dec(&b, &later), PL_PKT_OK);
	cr_assert(later.flags & PL_PKT_F_FRAGMENT);
	cr_assert_eq(later.flags & PL_PKT_F_FIRST_FRAG, 0);
	cr_assert_eq(later.key.proto, 17);
	cr_assert_eq(later.l4_proto, 17);
	assert_sides(&later, IP6_A, IP6_B, 16, 0, 0);
	cr_assert_eq(later.l4_off, 0);
	cr_assert_eq(later.payload_off, 14 + 40 + 8);
	cr_assert_eq(later.payload_len, 200);
	cr_assert_eq(later.payload_cap, 200);
	cr_assert_eq(later.wire_len, b.n);

	/* Atomic fragment (offset 0, no M): no fragment flag. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x86dd);
	ip = ipv6(&b, IP6_A, IP6_B, 44, 64);
	frag6(&b, 17, 0, 0, 1);
	uint32_t u = udp(&b, 7000, 7001);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	assert_result(dec(&b, &whole), PL_PKT_OK);
	cr_assert_eq(whole.flags & (PL_PKT_F_FRAGMENT | PL_PKT_F_FIRST_FRAG),
		     0);
	cr_assert_eq(memcmp(&whole.key, &first.key, sizeof(whole.key)), 0);
}

/* ------------------------------------------------------------------------ */
/* ICMP                                                                     */
/* ------------------------------------------------------------------------ */

static void
build_icmp4(struct pb *b, const uint8_t *src, const uint8_t *dst,
	    uint8_t type, uint8_t code)
{
	memset(b, 0, sizeof(*b));
	eth(b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(b, src, dst, 1, 5, 0, 64);
	icmp(b, type, code);
	payload(b, 56);
	ipv4_end(b, ip);
}

static void
build_icmp6(struct pb *b, const uint8_t *src, const uint8_t *dst,
	    uint8_t type, uint8_t code)
{
	memset(b, 0, sizeof(*b));
	eth(b, MAC_B, MAC_A, 0x86dd);
	uint32_t ip = ipv6(b, src, dst, 58, 64);
	icmp(b, type, code);
	payload(b, 56);
	ipv6_end(b, ip);
}

/* Request src->dst and reply dst->src share one key; opposite dirs. */
static void
check_icmp_pair(int v6, uint8_t req, uint8_t rep)
{
	struct pb b;
	struct pl_pkt_meta q, r;
	if (v6)
		build_icmp6(&b, IP6_A, IP6_B, req, 0);
	else
		build_icmp4(&b, IP4_A, IP4_B, req, 0);
	assert_result(dec(&b, &q), PL_PKT_OK);
	if (v6)
		build_icmp6(&b, IP6_B, IP6_A, rep, 0);
	else
		build_icmp4(&b, IP4_B, IP4_A, rep, 0);
	assert_result(dec(&b, &r), PL_PKT_OK);
	cr_assert_eq(memcmp(&q.key, &r.key, sizeof(q.key)), 0,
		     "ICMP%s %u and %u: keys differ (ports %u/%u vs %u/%u)",
		     v6 ? "v6" : "", req, rep, q.key.port[0], q.key.port[1],
		     r.key.port[0], r.key.port[1]);
	cr_assert_eq(r.dir, !q.dir);
	cr_assert_eq(q.key.proto, v6 ? 58 : 1);
	/* The requester's side holds the request type, the other the reply
	 * type. */
	assert_sides(&q, v6 ? IP6_A : IP4_A, v6 ? IP6_B : IP4_B, v6 ? 16 : 4,
		     req, rep);
	cr_assert_eq(q.payload_off, q.l4_off + 4);
}

Test(pkt, icmp_echo_request_and_reply_share_a_key)
{
	check_icmp_pair(0, 8, 0);
	struct pb b;
	struct pl_pkt_meta m;
	build_icmp4(&b, IP4_A, IP4_B, 8, 0);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.l4_off, 34);
	cr_assert_eq(m.payload_off, 38);
	cr_assert_eq(m.payload_len, 4 + 56);
}

Test(pkt, icmp_other_request_reply_pairs)
{
	check_icmp_pair(0, 13, 14); /* timestamp */
	check_icmp_pair(0, 17, 18); /* address mask */
	check_icmp_pair(0, 10, 9);  /* router solicitation/advertisement */
}

Test(pkt, icmpv6_echo_request_and_reply_share_a_key)
{
	check_icmp_pair(1, 128, 129);
	check_icmp_pair(1, 135, 136); /* neighbour solicitation/advert */
	check_icmp_pair(1, 133, 134); /* router solicitation/advert */
}

/* Node Information Query/Reply (RFC 4620), a request and its reply, mapped
 * as such by the Community ID spec (ICMP6 WRU_REQUEST 139 / WRU_REPLY 140). */
Test(pkt, icmpv6_node_information_query_and_reply_share_a_key)
{
	check_icmp_pair(1, 139, 140);
}

Test(pkt, icmp_one_way)
{
	struct pb b;
	struct pl_pkt_meta m, e;
	build_icmp4(&b, IP4_A, IP4_B, 3, 1); /* host unreachable */
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.proto, 1);
	/* One-way: the sender's side holds the type, the other the code. */
	assert_sides(&m, IP4_A, IP4_B, 4, 3, 1);
	build_icmp4(&b, IP4_A, IP4_B, 8, 0);
	assert_result(dec(&b, &e), PL_PKT_OK);
	cr_assert_neq(memcmp(&m.key, &e.key, sizeof(m.key)), 0);

	/* From the other host: the type stays with its sender. */
	build_icmp4(&b, IP4_B, IP4_A, 11, 0); /* time exceeded */
	assert_result(dec(&b, &m), PL_PKT_OK);
	assert_sides(&m, IP4_B, IP4_A, 4, 11, 0);

	build_icmp6(&b, IP6_A, IP6_B, 1, 4); /* port unreachable */
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.proto, 58);
	assert_sides(&m, IP6_A, IP6_B, 16, 1, 4);
}

/* ------------------------------------------------------------------------ */
/* Non-IP frames                                                            */
/* ------------------------------------------------------------------------ */

static void
build_arp(struct pb *b, const uint8_t *dst, const uint8_t *src, uint16_t op)
{
	memset(b, 0, sizeof(*b));
	eth(b, dst, src, 0x0806);
	b16(b, 1);
	b16(b, 0x0800);
	b8(b, 6);
	b8(b, 4);
	b16(b, op);
	bmem(b, src, 6);
	bmem(b, IP4_A, 4);
	bmem(b, op == 1 ? (const uint8_t[6]){0} : dst, 6);
	bmem(b, IP4_B, 4);
	pad_to(b, 60);
}

/* L2 keys: source MAC on side dir, destination on the other side; the
 * ether-type in port[0] whatever the direction. */
static void
assert_l2_sides(const struct pl_pkt_meta *m, const uint8_t *src,
		const uint8_t *dst, uint16_t type)
{
	static const uint8_t zero[10];
	unsigned d = m->dir;
	cr_assert_eq(m->key.family, PL_FAMILY_L2);
	cr_assert_eq(m->key.proto, 0);
	cr_assert_leq(d, 1);
	cr_assert_arr_eq(m->key.addr[d], src, 6);
	cr_assert_arr_eq(m->key.addr[!d], dst, 6);
	cr_assert_arr_eq(m->key.addr[0] + 6, zero, 10);
	cr_assert_arr_eq(m->key.addr[1] + 6, zero, 10);
	cr_assert_eq(m->key.port[0], type, "ether-type in key 0x%04x, "
					   "expected 0x%04x",
		     m->key.port[0], type);
	cr_assert_eq(m->key.port[1], 0);
}

Test(pkt, arp_l2_key)
{
	struct pb b;
	struct pl_pkt_meta q, r;

	build_arp(&b, MAC_BCAST, MAC_B, 1);
	assert_result(dec(&b, &q), PL_PKT_OK);
	assert_l2_sides(&q, MAC_B, MAC_BCAST, 0x0806);
	cr_assert_eq(q.ether_type, 0x0806);
	cr_assert_eq(q.l3_off, 14);
	cr_assert_eq(q.nb_vlan, 0);

	/* Unicast reply A -> B and the request B -> A share a key. */
	build_arp(&b, MAC_A, MAC_B, 1);
	assert_result(dec(&b, &q), PL_PKT_OK);
	build_arp(&b, MAC_B, MAC_A, 2);
	assert_result(dec(&b, &r), PL_PKT_OK);
	cr_assert_eq(memcmp(&q.key, &r.key, sizeof(q.key)), 0);
	assert_l2_sides(&q, MAC_B, MAC_A, 0x0806);
	assert_l2_sides(&r, MAC_A, MAC_B, 0x0806);
	cr_assert_eq(r.dir, !q.dir);

	/* In a VLAN. */
	struct pb v = {0};
	eth(&v, MAC_BCAST, MAC_A, 0x8100);
	vlan_tag(&v, 42, 0x0806);
	payload(&v, 28);
	pad_to(&v, 64);
	assert_result(dec(&v, &q), PL_PKT_OK);
	cr_assert_eq(q.key.vlan, 42);
	assert_l2_sides(&q, MAC_A, MAC_BCAST, 0x0806);
	cr_assert_eq(q.l3_off, 18);
}

Test(pkt, ieee8023_length_field_frame)
{
	static const uint8_t stp[6] = {0x01, 0x80, 0xc2, 0, 0, 0};
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, stp, MAC_A, 38); /* 802.3 length, then LLC */
	b8(&b, 0x42);
	b8(&b, 0x42);
	b8(&b, 0x03);
	payload(&b, 35);
	pad_to(&b, 60);
	assert_result(dec(&b, &m), PL_PKT_OK);
	/* 802.3 frames are ether-type 0 in the key. */
	assert_l2_sides(&m, MAC_A, stp, 0);

	/* 0x05ff is still a length; 0x0600 is the first ether-type. */
	set16(&b, 12, 0x05ff);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.port[0], 0);
	set16(&b, 12, 0x88cc); /* LLDP */
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.port[0], 0x88cc);
	cr_assert_eq(m.ether_type, 0x88cc);
}

/* ------------------------------------------------------------------------ */
/* Snap length                                                              */
/* ------------------------------------------------------------------------ */

Test(pkt, snaplen_cut_tcp_payload)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(&b, 51000, 443, 5, 0x18, 5);
	payload(&b, 1000);
	ipv4_end(&b, ip);
	cr_assert_eq(b.n, 1054);

	/* Wire length known (pcap orig_len). */
	assert_result(dec_link(&b, 154, 1054, PL_LINK_ETHERNET, &m), PL_PKT_OK);
	cr_assert(m.flags & PL_PKT_F_SNAPLEN);
	cr_assert_eq(m.wire_len, 1054);
	cr_assert_eq(m.payload_off, 54);
	cr_assert_eq(m.payload_len, 1000);
	cr_assert_eq(m.payload_cap, 100);
	cr_assert_eq(m.key.port[0], 51000);
	cr_assert_eq(m.tcp_flags, 0x18);

	/* Wire length unknown (equal to cap): taken from the IP length. */
	assert_result(dec_link(&b, 154, 154, PL_LINK_ETHERNET, &m), PL_PKT_OK);
	cr_assert(m.flags & PL_PKT_F_SNAPLEN);
	cr_assert_eq(m.wire_len, 1054, "wire_len %u", m.wire_len);
	cr_assert_eq(m.payload_len, 1000);
	cr_assert_eq(m.payload_cap, 100);

	/* Cut exactly after the TCP header. */
	assert_result(dec_link(&b, 54, 54, PL_LINK_ETHERNET, &m), PL_PKT_OK);
	cr_assert(m.flags & PL_PKT_F_SNAPLEN);
	cr_assert_eq(m.payload_len, 1000);
	cr_assert_eq(m.payload_cap, 0);
	cr_assert_eq(m.wire_len, 1054);
}

Test(pkt, snaplen_cut_ipv6_udp_in_vlan)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x8100);
	vlan_tag(&b, 7, 0x86dd);
	uint32_t ip = ipv6(&b, IP6_A, IP6_B, 17, 64);
	uint32_t u = udp(&b, 1900, 1900);
	payload(&b, 500);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	uint32_t full = b.n, cap = 18 + 40 + 8 + 10;
	assert_result(dec_link(&b, cap, cap, PL_LINK_ETHERNET, &m), PL_PKT_OK);
	cr_assert(m.flags & PL_PKT_F_SNAPLEN);
	cr_assert_eq(m.wire_len, full);
	cr_assert_eq(m.payload_len, 500);
	cr_assert_eq(m.payload_cap, 10);
}

/* ------------------------------------------------------------------------ */
/* Truncation at every length                                               */
/* ------------------------------------------------------------------------ */

struct cut {
	uint32_t below; /* lengths below this ... */
	enum pl_pkt_result r; /* ... give this result */
};

/*
 * Decode every prefix of b, from 0 bytes to all of it, from a malloc'd
 * buffer of exactly that size and from a buffer against a guard page; the
 * result must be the first cut whose bound is above the length, else OK. An
 * OK prefix keeps the full payload_len and caps payload_cap.
 */
static void
check_prefixes_from(const struct pb *b, enum pl_pkt_link link,
		    const struct cut *cuts, size_t nb_cuts, uint32_t from)
{
	struct pl_pkt_meta full;
	assert_result(dec_link(b, b->n, b->n, link, &full), PL_PKT_OK);
	/* Shorter prefixes: only memory safety is checked. */
	for (uint32_t len = 0; len < from; len++) {
		struct pl_pkt_meta m;
		dec_link(b, len, b->n, link, &m);
		dec_guard(b->d, len, b->n, link, &m);
	}
	for (uint32_t len = from; len <= b->n; len++) {
		enum pl_pkt_result want = PL_PKT_OK;
		for (size_t i = 0; i < nb_cuts; i++)
			if (len < cuts[i].below) {
				want = cuts[i].r;
				break;
			}
		struct pl_pkt_meta m, g;
		enum pl_pkt_result r = dec_link(b, len, b->n, link, &m);
		cr_assert_eq(r, want, "prefix %u/%u: %s, expected %s", len,
			     b->n, pl_pkt_result_name(r),
			     pl_pkt_result_name(want));
		r = dec_guard(b->d, len, b->n, link, &g);
		cr_assert_eq(r, want, "prefix %u/%u (guard page): %s", len,
			     b->n, pl_pkt_result_name(r));
		if (want != PL_PKT_OK)
			continue;
		cr_assert_eq(memcmp(&m.key, &full.key, sizeof(m.key)), 0,
			     "prefix %u: key differs from the full packet's",
			     len);
		cr_assert_eq(m.wire_len, b->n);
		cr_assert_eq(m.payload_off, full.payload_off);
		cr_assert_eq(m.payload_len, full.payload_len);
		cr_assert_eq(m.payload_cap, len - full.payload_off,
			     "prefix %u: payload_cap %u", len, m.payload_cap);
		cr_assert_eq(!!(m.flags & PL_PKT_F_SNAPLEN), len < b->n,
			     "prefix %u: snaplen flag", len);
	}
}

static void
check_prefixes(const struct pb *b, enum pl_pkt_link link,
	       const struct cut *cuts, size_t nb_cuts)
{
	check_prefixes_from(b, link, cuts, nb_cuts, 0);
}

Test(truncation, ipv4_tcp)
{
	struct pb b = {0};
	eth(&b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(&b, 51000, 443, 5, 0x18, 6);
	payload(&b, 10);
	ipv4_end(&b, ip);
	const struct cut cuts[] = {{14, PL_PKT_ETH_TRUNCATED},
				   {34, PL_PKT_IPV4_TRUNCATED},
				   {58, PL_PKT_TCP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_ETHERNET, cuts, 3);
}

Test(truncation, qinq_ipv4_options_udp)
{
	struct pb b = {0};
	eth(&b, MAC_B, MAC_A, 0x88a8);
	vlan_tag(&b, 1, 0x8100);
	vlan_tag(&b, 2, 0x0800);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 17, 7, 0, 64);
	uint32_t u = udp(&b, 53, 53);
	payload(&b, 9);
	udp_end(&b, u);
	ipv4_end(&b, ip);
	const struct cut cuts[] = {{14, PL_PKT_ETH_TRUNCATED},
				   {22, PL_PKT_VLAN_TRUNCATED},
				   {22 + 28, PL_PKT_IPV4_TRUNCATED},
				   {22 + 28 + 8, PL_PKT_UDP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_ETHERNET, cuts, 4);
}

Test(truncation, ipv6_ext_udp)
{
	struct pb b = {0};
	eth(&b, MAC_B, MAC_A, 0x86dd);
	uint32_t ip = ipv6(&b, IP6_A, IP6_B, 0, 64);
	ext6(&b, 60, 0); /* 8 */
	ext6(&b, 17, 1); /* 16 */
	uint32_t u = udp(&b, 5683, 5683);
	payload(&b, 20);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	const struct cut cuts[] = {{14, PL_PKT_ETH_TRUNCATED},
				   {54, PL_PKT_IPV6_TRUNCATED},
				   {54 + 24, PL_PKT_IPV6_EXT_TRUNCATED},
				   {54 + 24 + 8, PL_PKT_UDP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_ETHERNET, cuts, 4);
}

Test(truncation, ipv6_fragment_tcp)
{
	struct pb b = {0};
	eth(&b, MAC_B, MAC_A, 0x86dd);
	uint32_t ip = ipv6(&b, IP6_A, IP6_B, 44, 64);
	frag6(&b, 6, 0, 1, 99);
	tcp(&b, 1, 2, 3, 0x02, 5);
	payload(&b, 3);
	ipv6_end(&b, ip);
	const struct cut cuts[] = {{14, PL_PKT_ETH_TRUNCATED},
				   {54, PL_PKT_IPV6_TRUNCATED},
				   {62, PL_PKT_IPV6_EXT_TRUNCATED},
				   {82, PL_PKT_TCP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_ETHERNET, cuts, 4);
}

Test(truncation, icmp)
{
	struct pb b;
	build_icmp4(&b, IP4_A, IP4_B, 8, 0);
	const struct cut cuts[] = {{14, PL_PKT_ETH_TRUNCATED},
				   {34, PL_PKT_IPV4_TRUNCATED},
				   {38, PL_PKT_ICMP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_ETHERNET, cuts, 3);
	build_icmp6(&b, IP6_A, IP6_B, 128, 0);
	const struct cut cuts6[] = {{14, PL_PKT_ETH_TRUNCATED},
				    {54, PL_PKT_IPV6_TRUNCATED},
				    {58, PL_PKT_ICMP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_ETHERNET, cuts6, 3);
}

Test(truncation, other_links)
{
	struct pb b = {0};
	bmem(&b, (const uint8_t[]){2, 0, 0, 0}, 4);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
	uint32_t u = udp(&b, 1, 2);
	payload(&b, 5);
	udp_end(&b, u);
	ipv4_end(&b, ip);
	const struct cut null[] = {{4, PL_PKT_ETH_TRUNCATED},
				   {24, PL_PKT_IPV4_TRUNCATED},
				   {32, PL_PKT_UDP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_NULL, null, 3);

	memset(&b, 0, sizeof(b));
	ip = ipv6(&b, IP6_A, IP6_B, 17, 64);
	u = udp(&b, 1, 2);
	payload(&b, 5);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	const struct cut raw[] = {{1, PL_PKT_ETH_TRUNCATED},
				  {40, PL_PKT_IPV6_TRUNCATED},
				  {48, PL_PKT_UDP_TRUNCATED}};
	check_prefixes(&b, PL_LINK_RAW, raw, 3);
}

Test(truncation, pppoe_and_mpls)
{
	/* Below the end of the PPPoE / MPLS headers a frame is an L2 flow;
	 * from there on, the IP reasons apply. */
	struct pb b = {0};
	eth(&b, MAC_B, MAC_A, 0x8864);
	uint32_t ppp = pppoe(&b, 0x0021);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(&b, 1, 2, 3, 0x10, 5);
	payload(&b, 4);
	ipv4_end(&b, ip);
	pppoe_end(&b, ppp);
	const struct cut c1[] = {{42, PL_PKT_IPV4_TRUNCATED},
				 {62, PL_PKT_TCP_TRUNCATED}};
	check_prefixes_from(&b, PL_LINK_ETHERNET, c1, 2, 23);

	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x8847);
	mpls(&b, 100, 0);
	mpls(&b, 200, 1);
	ip = ipv6(&b, IP6_A, IP6_B, 17, 64);
	uint32_t u = udp(&b, 1, 2);
	payload(&b, 4);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	const struct cut c2[] = {{62, PL_PKT_IPV6_TRUNCATED},
				 {70, PL_PKT_UDP_TRUNCATED}};
	check_prefixes_from(&b, PL_LINK_ETHERNET, c2, 2, 23);
}

/* ------------------------------------------------------------------------ */
/* PPPoE and MPLS                                                           */
/* ------------------------------------------------------------------------ */

Test(pkt, pppoe_session)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x8864);
	uint32_t ppp = pppoe(&b, 0x0021);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(&b, 50000, 80, 9, 0x18, 5);
	payload(&b, 11);
	ipv4_end(&b, ip);
	pppoe_end(&b, ppp);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV4);
	cr_assert_eq(m.ether_type, 0x0800);
	cr_assert_eq(m.l3_off, 22);
	cr_assert_eq(m.l4_off, 42);
	cr_assert_eq(m.payload_len, 11);
	assert_sides(&m, IP4_A, IP4_B, 4, 50000, 80);

	/* IPv6 in PPP (0x0057), in a VLAN. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x8100);
	vlan_tag(&b, 33, 0x8864);
	ppp = pppoe(&b, 0x0057);
	ip = ipv6(&b, IP6_A, IP6_B, 17, 64);
	uint32_t u = udp(&b, 1000, 2000);
	payload(&b, 7);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	pppoe_end(&b, ppp);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV6);
	cr_assert_eq(m.key.vlan, 33);
	cr_assert_eq(m.l3_off, 26);
	cr_assert_eq(m.payload_len, 7);
	assert_sides(&m, IP6_A, IP6_B, 16, 1000, 2000);

	/* LCP and discovery frames are L2 flows. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x8864);
	pppoe(&b, 0xc021);
	payload(&b, 10);
	pad_to(&b, 60);
	assert_result(dec(&b, &m), PL_PKT_OK);
	assert_l2_sides(&m, MAC_A, MAC_B, 0x8864);
	set16(&b, 12, 0x8863);
	assert_result(dec(&b, &m), PL_PKT_OK);
	assert_l2_sides(&m, MAC_A, MAC_B, 0x8863);
}

Test(pkt, mpls)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, MAC_B, MAC_A, 0x8847);
	mpls(&b, 16, 0);
	mpls(&b, 17, 0);
	mpls(&b, 18, 1);
	uint32_t ip = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
	uint32_t u = udp(&b, 4789, 4789);
	payload(&b, 20);
	udp_end(&b, u);
	ipv4_end(&b, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV4);
	cr_assert_eq(m.ether_type, 0x0800);
	cr_assert_eq(m.l3_off, 26);
	cr_assert_eq(m.payload_len, 20);
	assert_sides(&m, IP4_A, IP4_B, 4, 4789, 4789);

	/* Multicast MPLS (0x8848) with IPv6. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x8848);
	mpls(&b, 99, 1);
	ip = ipv6(&b, IP6_A, IP6_B, 6, 64);
	tcp(&b, 179, 40000, 1, 0x18, 5);
	payload(&b, 19);
	ipv6_end(&b, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV6);
	cr_assert_eq(m.l3_off, 18);
	cr_assert_eq(m.payload_len, 19);
	assert_sides(&m, IP6_A, IP6_B, 16, 179, 40000);

	/* An Ethernet pseudowire (control word 0) is not IP: L2 flow. */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x8847);
	mpls(&b, 20, 1);
	b32(&b, 0);
	payload(&b, 40);
	assert_result(dec(&b, &m), PL_PKT_OK);
	assert_l2_sides(&m, MAC_A, MAC_B, 0x8847);
}

/* ------------------------------------------------------------------------ */
/* GTP-U                                                                    */
/* ------------------------------------------------------------------------ */

static const uint8_t IP4_ENB[4] = {172, 16, 0, 1};
static const uint8_t IP4_SGW[4] = {172, 16, 0, 2};

/* A GTP-U header of message type `type` (0xff: G-PDU); with `ext`, the
 * optional fields and one PDU Session Container extension header (type
 * 0x85, 4 bytes) as on a 5G N3 link. Returns its offset, for gtpu_end. */
static uint32_t
gtpu(struct pb *b, uint8_t type, bool ext)
{
	uint32_t off = b->n;
	b8(b, ext ? 0x34 : 0x30); /* version 1, PT 1, E */
	b8(b, type);
	b16(b, 0);
	b32(b, 0x0badcafe); /* TEID */
	if (ext) {
		b16(b, 0);  /* sequence number */
		b8(b, 0);   /* N-PDU number */
		b8(b, 0x85);
		b8(b, 1);   /* 4 bytes */
		b8(b, 0x10);
		b8(b, 0x09); /* QFI */
		b8(b, 0x00); /* no more */
	}
	return off;
}

static void
gtpu_end(struct pb *b, uint32_t off)
{
	set16(b, off + 2, (uint16_t)(b->n - off - 8));
}

/* eth / IPv4 eNodeB -> SGW / UDP sport -> 2152 / GTP-U / `inner` ... */
static uint32_t
gtpu_outer(struct pb *b, uint16_t sport, uint8_t type, bool ext,
	   uint32_t *ip, uint32_t *u)
{
	memset(b, 0, sizeof(*b));
	eth(b, MAC_B, MAC_A, 0x0800);
	*ip = ipv4(b, IP4_ENB, IP4_SGW, 17, 5, 0, 64);
	*u = udp(b, sport, 2152);
	return gtpu(b, type, ext);
}

static void
gtpu_close(struct pb *b, uint32_t g, uint32_t u, uint32_t ip)
{
	gtpu_end(b, g);
	udp_end(b, u);
	ipv4_end(b, ip);
}

/* A G-PDU from the eNodeB carrying IPv4 A:40000 -> B:443, TCP, TTL 63,
 * seq 7, 10 bytes of payload. */
static void
gtpu_v4_tcp(struct pb *b, bool ext)
{
	uint32_t ip, u;
	uint32_t g = gtpu_outer(b, 2152, 0xff, ext, &ip, &u);
	uint32_t in = ipv4(b, IP4_A, IP4_B, 6, 5, 0, 63);
	tcp(b, 40000, 443, 7, 0x18, 5);
	payload(b, 10);
	ipv4_end(b, in);
	gtpu_close(b, g, u, ip);
}

Test(pkt, gtpu_g_pdu_is_its_inner_packet)
{
	struct pb b;
	struct pl_pkt_meta m;
	uint32_t ip, u, g, in;
	gtpu_v4_tcp(&b, false);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV4);
	cr_assert_eq(m.key.proto, 6);
	assert_sides(&m, IP4_A, IP4_B, 4, 40000, 443);
	cr_assert(m.flags & PL_PKT_F_GTPU);
	cr_assert_eq(m.l3_off, 14 + 20 + 8 + 8);
	cr_assert_eq(m.l4_off, m.l3_off + 20);
	cr_assert_eq(m.payload_off, m.l4_off + 20);
	cr_assert_eq(m.payload_len, 10);
	cr_assert_eq(m.payload_cap, 10);
	cr_assert_eq(m.ttl, 63, "the subscriber's TTL");
	cr_assert_eq(m.tcp_seq, 7);
	cr_assert_eq(m.wire_len, b.n);

	/* Optional fields and an extension header; an IPv6 subscriber; the
	 * other direction (sport 2152, any dport) gives the same key. */
	g = gtpu_outer(&b, 2152, 0xff, true, &ip, &u);
	in = ipv6(&b, IP6_A, IP6_B, 17, 64);
	uint32_t iu = udp(&b, 5353, 53);
	payload(&b, 12);
	udp_end(&b, iu);
	ipv6_end(&b, in);
	gtpu_close(&b, g, u, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV6);
	assert_sides(&m, IP6_A, IP6_B, 16, 5353, 53);
	cr_assert_eq(m.l3_off, 14 + 20 + 8 + 16);
	cr_assert_eq(m.payload_len, 12);
	set16(&b, 14 + 20 + 2, 40001); /* dport */
	set16(&b, 14 + 20, 2152);
	struct pl_pkt_meta m2;
	assert_result(dec(&b, &m2), PL_PKT_OK);
	cr_assert_eq(memcmp(&m.key, &m2.key, sizeof(m.key)), 0);

	/* An IPv4 subscriber under an IPv6 transport: the key's addresses
	 * are the inner ones, zero-padded (none of the outer 16 bytes). */
	memset(&b, 0, sizeof(b));
	eth(&b, MAC_B, MAC_A, 0x86dd);
	ip = ipv6(&b, IP6_A, IP6_B, 17, 64);
	u = udp(&b, 2152, 2152);
	g = gtpu(&b, 0xff, false);
	in = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
	iu = udp(&b, 123, 123);
	payload(&b, 48);
	udp_end(&b, iu);
	ipv4_end(&b, in);
	gtpu_end(&b, g);
	udp_end(&b, u);
	ipv6_end(&b, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.key.family, PL_FAMILY_IPV4);
	assert_sides(&m, IP4_A, IP4_B, 4, 123, 123);
	cr_assert_eq(m.payload_len, 48);
}

/* The outer UDP flow: messages other than G-PDUs, a payload that is not
 * IP, another port, another GTP version, broken extension headers. */
Test(pkt, gtpu_not_decapsulated)
{
	struct pb b;
	struct pl_pkt_meta m;
	uint32_t ip, u, g;
	static const struct {
		uint16_t sport;
		uint8_t type;
		uint32_t at;  /* byte to change after building, 0: none */
		uint8_t value;
		const char *what;
	} cases[] = {
		{2152, 0x01, 0, 0, "echo request"},
		{2152, 0xfe, 0, 0, "end marker"},
		{2152, 0xff, 50, 0x00, "payload not IP"},
		{2152, 0xff, 42, 0x50, "GTP version 2"},
		{2152, 0xff, 42, 0x20, "PT 0 (GTP')"},
		{2152, 0xff, 54, 0x00, "extension header of length 0"},
		{2152, 0xff, 57, 0x85, "extension header past the end"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		bool ext = cases[i].at >= 54;
		g = gtpu_outer(&b, cases[i].sport, cases[i].type, ext, &ip, &u);
		uint32_t in = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
		uint32_t iu = udp(&b, 1, 2);
		udp_end(&b, iu);
		ipv4_end(&b, in);
		gtpu_close(&b, g, u, ip);
		if (cases[i].at)
			b.d[cases[i].at] = cases[i].value;
		if (cases[i].at == 57) /* a chain of 0x85 headers */
			for (uint32_t k = 58; k < b.n; k++)
				b.d[k] = k % 4 == 2 ? 1 : 0x85;
		assert_result(dec(&b, &m), PL_PKT_OK);
		cr_assert_not(m.flags & PL_PKT_F_GTPU, "%s", cases[i].what);
		assert_sides(&m, IP4_ENB, IP4_SGW, 4, cases[i].sport, 2152);
	}
	/* Neither port is 2152. */
	g = gtpu_outer(&b, 2153, 0xff, false, &ip, &u);
	set16(&b, 14 + 20 + 2, 2153);
	uint32_t in = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
	udp(&b, 1, 2);
	ipv4_end(&b, in);
	gtpu_close(&b, g, u, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_not(m.flags & PL_PKT_F_GTPU);
	assert_sides(&m, IP4_ENB, IP4_SGW, 4, 2153, 2153);

	/* A G-PDU inside a G-PDU: one level only, the subscriber's own UDP
	 * to 2152 is the flow. */
	g = gtpu_outer(&b, 2152, 0xff, false, &ip, &u);
	in = ipv4(&b, IP4_A, IP4_B, 17, 5, 0, 64);
	uint32_t iu = udp(&b, 3000, 2152);
	uint32_t g2 = gtpu(&b, 0xff, false);
	uint32_t in2 = ipv4(&b, IP4_ENB, IP4_SGW, 17, 5, 0, 64);
	udp(&b, 9, 9);
	ipv4_end(&b, in2);
	gtpu_end(&b, g2);
	udp_end(&b, iu);
	ipv4_end(&b, in);
	gtpu_close(&b, g, u, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert(m.flags & PL_PKT_F_GTPU);
	assert_sides(&m, IP4_A, IP4_B, 4, 3000, 2152);
	cr_assert_eq(m.payload_len, 8 + 20 + 8);
}

Test(truncation, gtpu)
{
	/* Up to the inner IP header's first byte, the outer UDP flow; from
	 * there on, the inner packet's reasons. */
	struct pb b;
	gtpu_v4_tcp(&b, true);
	uint32_t inner = 14 + 20 + 8 + 16;
	struct pl_pkt_meta m;
	assert_result(dec_link(&b, inner, b.n, PL_LINK_ETHERNET, &m), PL_PKT_OK);
	cr_assert_not(m.flags & PL_PKT_F_GTPU);
	assert_sides(&m, IP4_ENB, IP4_SGW, 4, 2152, 2152);
	const struct cut c[] = {{inner + 20, PL_PKT_IPV4_TRUNCATED},
				{inner + 40, PL_PKT_TCP_TRUNCATED}};
	check_prefixes_from(&b, PL_LINK_ETHERNET, c, 2, inner + 1);
}

/* ------------------------------------------------------------------------ */
/* Cast of the destination                                                  */
/* ------------------------------------------------------------------------ */

static void build_link(struct pb *b, const uint8_t *hdr, uint32_t hlen,
		       int v6);

static uint8_t
cast_of(const uint8_t *dmac, int v6, const uint8_t *src, const uint8_t *dst)
{
	struct pb b = {0};
	struct pl_pkt_meta m;
	eth(&b, dmac, MAC_A, v6 ? 0x86dd : 0x0800);
	uint32_t ip = v6 ? ipv6(&b, src, dst, 17, 1)
			 : ipv4(&b, src, dst, 17, 5, 0, 1);
	uint32_t u = udp(&b, 1900, 1900);
	payload(&b, 8);
	udp_end(&b, u);
	if (v6)
		ipv6_end(&b, ip);
	else
		ipv4_end(&b, ip);
	assert_result(dec(&b, &m), PL_PKT_OK);
	return m.cast;
}

Test(pkt, cast_of_ip_destination)
{
	static const uint8_t all4[4] = {255, 255, 255, 255};
	static const uint8_t directed[4] = {192, 168, 1, 255};
	static const uint8_t ssdp[4] = {239, 255, 255, 250};
	static const uint8_t mdns[4] = {224, 0, 0, 251};
	static const uint8_t zero4[4] = {0, 0, 0, 0};
	static const uint8_t mac_ssdp[6] = {0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa};
	static const uint8_t mac_mdns6[6] = {0x33, 0x33, 0, 0, 0, 0xfb};
	static const uint8_t ff02fb[16] = {0xff, 0x02, 0, 0, 0, 0, 0, 0,
					   0,    0,    0, 0, 0, 0, 0, 0xfb};
	cr_assert_eq(cast_of(MAC_B, 0, IP4_A, IP4_B), PL_CAST_UNICAST);
	cr_assert_eq(cast_of(MAC_A, 0, IP4_B, IP4_A), PL_CAST_UNICAST);
	cr_assert_eq(cast_of(MAC_BCAST, 0, zero4, all4), PL_CAST_BROADCAST);
	cr_assert_eq(cast_of(MAC_BCAST, 0, IP4_A, directed), PL_CAST_BROADCAST,
		     "a directed broadcast is told by its MAC");
	cr_assert_eq(cast_of(mac_ssdp, 0, IP4_B, ssdp), PL_CAST_MULTICAST);
	/* Whichever key side the group address lands on. */
	cr_assert_eq(cast_of(mac_ssdp, 0, IP4_A, ssdp), PL_CAST_MULTICAST);
	cr_assert_eq(cast_of(mac_ssdp, 0, IP4_A, mdns), PL_CAST_MULTICAST);
	cr_assert_eq(cast_of(MAC_B, 1, IP6_A, IP6_B), PL_CAST_UNICAST);
	cr_assert_eq(cast_of(MAC_A, 1, IP6_B, IP6_A), PL_CAST_UNICAST);
	cr_assert_eq(cast_of(mac_mdns6, 1, IP6_A, ff02fb), PL_CAST_MULTICAST);
	cr_assert_eq(cast_of(mac_mdns6, 1, IP6_B, ff02fb), PL_CAST_MULTICAST);

	/* Without Ethernet, from the address alone. */
	struct pb b;
	struct pl_pkt_meta m;
	build_link(&b, NULL, 0, 0);
	memcpy(b.d + 16, all4, 4);
	assert_result(dec_link(&b, b.n, b.n, PL_LINK_RAW, &m), PL_PKT_OK);
	cr_assert_eq(m.cast, PL_CAST_BROADCAST);
	memcpy(b.d + 16, ssdp, 4);
	assert_result(dec_link(&b, b.n, b.n, PL_LINK_RAW, &m), PL_PKT_OK);
	cr_assert_eq(m.cast, PL_CAST_MULTICAST);
}

/* The meta's cast is "of the destination" for every frame, IP or not. */
Test(pkt, cast_of_non_ip_frames)
{
	static const uint8_t lldp[6] = {0x01, 0x80, 0xc2, 0, 0, 0x0e};
	struct pb b;
	struct pl_pkt_meta m;
	build_arp(&b, MAC_A, MAC_B, 2);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.cast, PL_CAST_UNICAST);
	build_arp(&b, MAC_BCAST, MAC_B, 1);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.cast, PL_CAST_BROADCAST,
		     "ARP request to ff:ff:ff:ff:ff:ff: cast %u", m.cast);
	memset(&b, 0, sizeof(b));
	eth(&b, lldp, MAC_A, 0x88cc);
	payload(&b, 46);
	assert_result(dec(&b, &m), PL_PKT_OK);
	cr_assert_eq(m.cast, PL_CAST_MULTICAST,
		     "LLDP to 01:80:c2:00:00:0e: cast %u", m.cast);
}

/* ------------------------------------------------------------------------ */
/* Bad headers                                                              */
/* ------------------------------------------------------------------------ */

static void
build_v4_tcp_plain(struct pb *b)
{
	memset(b, 0, sizeof(*b));
	eth(b, MAC_B, MAC_A, 0x0800);
	uint32_t ip = ipv4(b, IP4_A, IP4_B, 6, 5, 0, 64);
	tcp(b, 1000, 2000, 1, 0x10, 5);
	payload(b, 20);
	ipv4_end(b, ip);
}

Test(pkt, bad_headers)
{
	struct pb b;
	struct pl_pkt_meta m;

	build_v4_tcp_plain(&b);
	assert_result(dec(&b, &m), PL_PKT_OK);

	b.d[14] = 0x55; /* version 5 */
	assert_result(dec(&b, &m), PL_PKT_IPV4_BAD_HEADER);
	b.d[14] = 0x65; /* version 6 behind ether-type IPv4 */
	assert_result(dec(&b, &m), PL_PKT_IPV4_BAD_HEADER);
	for (uint8_t ihl = 0; ihl < 5; ihl++) {
		b.d[14] = (uint8_t)(0x40 | ihl);
		assert_result(dec(&b, &m), PL_PKT_IPV4_BAD_HEADER);
	}
	b.d[14] = 0x45;
	set16(&b, 16, 19); /* total length below the header */
	assert_result(dec(&b, &m), PL_PKT_IPV4_BAD_HEADER);
	set16(&b, 16, 0);
	assert_result(dec(&b, &m), PL_PKT_IPV4_BAD_HEADER);

	/* ihl 6 (24 bytes) with total length 23. */
	struct pb o = {0};
	eth(&o, MAC_B, MAC_A, 0x0800);
	ipv4(&o, IP4_A, IP4_B, 6, 6, 0, 64);
	tcp(&o, 1, 2, 3, 0x10, 5);
	set16(&o, 16, 23);
	assert_result(dec(&o, &m), PL_PKT_IPV4_BAD_HEADER);

	build_v4_tcp_plain(&b);
	for (uint8_t doff = 0; doff < 5; doff++) {
		b.d[34 + 12] = (uint8_t)(doff << 4);
		assert_result(dec(&b, &m), PL_PKT_TCP_BAD_HEADER);
	}

	/* IPv6 version field. */
	build_icmp6(&b, IP6_A, IP6_B, 128, 0);
	b.d[14] = 0x45;
	assert_result(dec(&b, &m), PL_PKT_IPV6_BAD_HEADER);
}

/* ------------------------------------------------------------------------ */
/* Other link types                                                         */
/* ------------------------------------------------------------------------ */

static void
build_link(struct pb *b, const uint8_t *hdr, uint32_t hlen, int v6)
{
	memset(b, 0, sizeof(*b));
	bmem(b, hdr, hlen);
	uint32_t ip = v6 ? ipv6(b, IP6_A, IP6_B, 17, 64)
			 : ipv4(b, IP4_A, IP4_B, 17, 5, 0, 64);
	uint32_t u = udp(b, 123, 123);
	payload(b, 48);
	udp_end(b, u);
	if (v6)
		ipv6_end(b, ip);
	else
		ipv4_end(b, ip);
}

static void
check_link(const uint8_t *hdr, uint32_t hlen, enum pl_pkt_link link, int v6)
{
	struct pb b;
	struct pl_pkt_meta m;
	build_link(&b, hdr, hlen, v6);
	enum pl_pkt_result r = dec_link(&b, b.n, b.n, link, &m);
	cr_assert_eq(r, PL_PKT_OK, "link %d header %02x%02x%02x%02x: %s",
		     link, hdr ? hdr[0] : 0, hlen > 1 ? hdr[1] : 0,
		     hlen > 2 ? hdr[2] : 0, hlen > 3 ? hdr[3] : 0,
		     pl_pkt_result_name(r));
	cr_assert_eq(m.key.family, v6 ? PL_FAMILY_IPV6 : PL_FAMILY_IPV4);
	cr_assert_eq(m.ether_type, v6 ? 0x86dd : 0x0800);
	cr_assert_eq(m.l3_off, hlen);
	cr_assert_eq(m.l4_off, hlen + (v6 ? 40 : 20));
	cr_assert_eq(m.key.port[0], 123);
	cr_assert_eq(m.key.proto, 17);
	cr_assert_eq(m.payload_len, 48);
	cr_assert_eq(m.wire_len, b.n);
	cr_assert_eq(m.nb_vlan, 0);
	if (v6)
		assert_sides(&m, IP6_A, IP6_B, 16, 123, 123);
	else
		assert_sides(&m, IP4_A, IP4_B, 4, 123, 123);
}

Test(pkt, link_types)
{
	/* BSD loopback: host-order family (little-endian writer). */
	check_link((const uint8_t[]){2, 0, 0, 0}, 4, PL_LINK_NULL, 0);
	/* ... written by a big-endian host. */
	check_link((const uint8_t[]){0, 0, 0, 2}, 4, PL_LINK_NULL, 0);
	/* AF_INET6 on the BSDs (24), FreeBSD (28), macOS (30), Linux (10). */
	check_link((const uint8_t[]){24, 0, 0, 0}, 4, PL_LINK_NULL, 1);
	check_link((const uint8_t[]){28, 0, 0, 0}, 4, PL_LINK_NULL, 1);
	check_link((const uint8_t[]){30, 0, 0, 0}, 4, PL_LINK_NULL, 1);
	check_link((const uint8_t[]){0, 0, 0, 30}, 4, PL_LINK_NULL, 1);
	/* OpenBSD loopback: network order. */
	check_link((const uint8_t[]){0, 0, 0, 2}, 4, PL_LINK_LOOP, 0);
	check_link((const uint8_t[]){0, 0, 0, 24}, 4, PL_LINK_LOOP, 1);
	/* Raw IP. */
	check_link(NULL, 0, PL_LINK_RAW, 0);
	check_link(NULL, 0, PL_LINK_RAW, 1);
	/* Linux cooked capture: protocol in bytes 14-15. */
	static const uint8_t sll4[16] = {0, 0, 0, 1, 0, 6, 2, 0,
					 0, 0, 0, 0, 0, 0xa, 0x08, 0x00};
	static const uint8_t sll6[16] = {0, 4, 0, 1, 0, 6, 2, 0,
					 0, 0, 0, 0, 0, 0xa, 0x86, 0xdd};
	check_link(sll4, 16, PL_LINK_LINUX_SLL, 0);
	check_link(sll6, 16, PL_LINK_LINUX_SLL, 1);

	cr_assert(pl_pkt_link_supported(PL_LINK_NULL));
	cr_assert(pl_pkt_link_supported(PL_LINK_ETHERNET));
	cr_assert(pl_pkt_link_supported(PL_LINK_RAW));
	cr_assert(pl_pkt_link_supported(PL_LINK_LOOP));
	cr_assert(pl_pkt_link_supported(PL_LINK_LINUX_SLL));
	cr_assert_not(pl_pkt_link_supported(127)); /* radiotap */
	cr_assert_not(pl_pkt_link_supported(276)); /* Linux SLL2 */
	cr_assert_not(pl_pkt_link_supported(-1));
}

Test(pkt, link_unknown_family)
{
	struct pb b;
	struct pl_pkt_meta m;
	build_link(&b, (const uint8_t[]){99, 0, 0, 0}, 4, 0);
	assert_result(dec_link(&b, b.n, b.n, PL_LINK_NULL, &m),
		      PL_PKT_LINK_UNKNOWN);
	build_link(&b, (const uint8_t[]){0, 0, 0, 7}, 4, 0);
	assert_result(dec_link(&b, b.n, b.n, PL_LINK_LOOP, &m),
		      PL_PKT_LINK_UNKNOWN);
	/* A cooked ARP frame is not IP. */
	static const uint8_t sll_arp[16] = {0, 0, 0, 1, 0, 6, 2, 0,
					    0, 0, 0, 0, 0, 0xa, 0x08, 0x06};
	build_link(&b, sll_arp, 16, 0);
	assert_result(dec_link(&b, b.n, b.n, PL_LINK_LINUX_SLL, &m),
		      PL_PKT_LINK_UNKNOWN);
	/* Headers cut short. */
	assert_result(dec_link(&b, 15, 15, PL_LINK_LINUX_SLL, &m),
		      PL_PKT_ETH_TRUNCATED);
	assert_result(dec_link(&b, 3, 3, PL_LINK_NULL, &m),
		      PL_PKT_ETH_TRUNCATED);
	assert_result(dec_link(&b, 0, 0, PL_LINK_RAW, &m),
		      PL_PKT_ETH_TRUNCATED);
}

/* ------------------------------------------------------------------------ */
/* Key symmetry, hash, worker spread                                        */
/* ------------------------------------------------------------------------ */

struct tuple {
	int v6;
	uint8_t proto;
	uint16_t vlan; /* 0: untagged */
	uint8_t a[16], b[16];
	uint16_t pa, pb;
};

static void
random_tuple(struct tuple *t)
{
	memset(t, 0, sizeof(*t));
	t->v6 = rng() & 1;
	t->proto = rng() & 1 ? 6 : 17;
	t->vlan = rng() & 1 ? (uint16_t)(1 + rng() % 4094) : 0;
	for (int i = 0; i < 16; i++) {
		t->a[i] = (uint8_t)rng();
		t->b[i] = (uint8_t)rng();
	}
	t->pa = (uint16_t)rng();
	t->pb = (uint16_t)rng();
}

/* The frame sent by side a (from == 0) or b (from == 1) of t. */
static void
build_tuple(struct pb *p, const struct tuple *t, int from)
{
	const uint8_t *s = from ? t->b : t->a, *d = from ? t->a : t->b;
	uint16_t sp = from ? t->pb : t->pa, dp = from ? t->pa : t->pb;
	memset(p, 0, sizeof(*p));
	uint16_t et = t->v6 ? 0x86dd : 0x0800;
	eth(p, from ? MAC_A : MAC_B, from ? MAC_B : MAC_A,
	    t->vlan ? 0x8100 : et);
	if (t->vlan)
		vlan_tag(p, t->vlan, et);
	uint32_t ip = t->v6 ? ipv6(p, s, d, t->proto, 64)
			    : ipv4(p, s, d, t->proto, 5, 0, 64);
	if (t->proto == 6) {
		tcp(p, sp, dp, 1, 0x10, 5);
	} else {
		uint32_t u = udp(p, sp, dp);
		udp_end(p, u);
	}
	payload(p, 3);
	if (t->v6)
		ipv6_end(p, ip);
	else
		ipv4_end(p, ip);
}

static int
key_cmp(const void *x, const void *y)
{
	return memcmp(x, y, sizeof(struct pl_flow_key));
}

Test(key, symmetry_random_tuples)
{
	enum { N = 4000 };
	struct pl_flow_key *keys = calloc(N, sizeof(*keys));
	cr_assert_not_null(keys);
	rng_seed(0x5eed0001);
	for (int i = 0; i < N; i++) {
		struct tuple t;
		struct pb p;
		struct pl_pkt_meta ab, ba;
		random_tuple(&t);
		build_tuple(&p, &t, 0);
		assert_result(dec(&p, &ab), PL_PKT_OK);
		build_tuple(&p, &t, 1);
		assert_result(dec(&p, &ba), PL_PKT_OK);

		cr_assert_eq(memcmp(&ab.key, &ba.key, sizeof(ab.key)), 0,
			     "tuple %d: A->B and B->A keys differ", i);
		cr_assert_eq(pl_pkt_key_hash(&ab.key, 0),
			     pl_pkt_key_hash(&ba.key, 0));
		cr_assert_eq(pl_pkt_key_hash(&ab.key, 0x9747b28c),
			     pl_pkt_key_hash(&ba.key, 0x9747b28c));

		size_t alen = t.v6 ? 16 : 4;
		cr_assert_eq(ba.dir, !ab.dir, "tuple %d: dirs %u and %u", i,
			     ab.dir, ba.dir);
		assert_sides(&ab, t.a, t.b, alen, t.pa, t.pb);
		assert_sides(&ba, t.b, t.a, alen, t.pb, t.pa);
		cr_assert_eq(ab.key.vlan, t.vlan);
		cr_assert_eq(ab.key.proto, t.proto);
		cr_assert_eq(ab.key.family,
			     t.v6 ? PL_FAMILY_IPV6 : PL_FAMILY_IPV4);
		keys[i] = ab.key;
	}
	/* Distinct tuples, distinct keys. */
	qsort(keys, N, sizeof(*keys), key_cmp);
	for (int i = 1; i < N; i++)
		cr_assert_neq(key_cmp(&keys[i - 1], &keys[i]), 0,
			      "two tuples gave the same key");
	free(keys);
}

Test(key, any_field_changes_the_key)
{
	struct tuple t;
	struct pb p;
	struct pl_pkt_meta base, m;
	rng_seed(0x5eed0002);
	random_tuple(&t);
	t.v6 = 0;
	t.proto = 17;
	t.vlan = 5;
	build_tuple(&p, &t, 0);
	assert_result(dec(&p, &base), PL_PKT_OK);
	uint32_t h = pl_pkt_key_hash(&base.key, 0);

	for (int f = 0; f < 6; f++) {
		struct tuple u = t;
		switch (f) {
		case 0: u.pa++; break;
		case 1: u.pb++; break;
		case 2: u.vlan++; break;
		case 3: u.proto = 6; break;
		case 4: u.a[3] ^= 1; break;
		case 5: u.v6 = 1; break;
		}
		build_tuple(&p, &u, 0);
		assert_result(dec(&p, &m), PL_PKT_OK);
		cr_assert_neq(memcmp(&m.key, &base.key, sizeof(m.key)), 0,
			      "field %d", f);
		cr_assert_neq(pl_pkt_key_hash(&m.key, 0), h, "field %d", f);
	}
}

Test(key, same_address_both_sides)
{
	struct tuple t = {0};
	struct pb p;
	struct pl_pkt_meta ab, ba;
	t.proto = 6;
	memcpy(t.a, IP4_A, 4);
	memcpy(t.b, IP4_A, 4);
	t.pa = 40000;
	t.pb = 8080;
	build_tuple(&p, &t, 0);
	assert_result(dec(&p, &ab), PL_PKT_OK);
	build_tuple(&p, &t, 1);
	assert_result(dec(&p, &ba), PL_PKT_OK);
	cr_assert_eq(memcmp(&ab.key, &ba.key, sizeof(ab.key)), 0);
	cr_assert_eq(ab.key.port[0], 8080);
	cr_assert_eq(ab.dir, 1);
	cr_assert_eq(ba.dir, 0);
}

/* Whether x is key side 0 of the flow x:1000 <-> y:1000. */
static int
side0(const uint8_t *x, const uint8_t *y, int v6)
{
	struct tuple t = {0};
	struct pb p;
	struct pl_pkt_meta m;
	t.v6 = v6;
	t.proto = 17;
	memcpy(t.a, x, 16);
	memcpy(t.b, y, 16);
	t.pa = t.pb = 1000;
	build_tuple(&p, &t, 0);
	assert_result(dec(&p, &m), PL_PKT_OK);
	return m.dir == 0;
}

/* Side 0 may be chosen by any fixed order, but it must be a total order:
 * antisymmetric and transitive, including ties in the first 8 bytes. */
Test(key, side_order_is_a_total_order)
{
	static const uint8_t alphabet[4] = {0x00, 0x01, 0x80, 0xff};
	rng_seed(0x5eed0004);
	for (int i = 0; i < 3000; i++) {
		uint8_t a[3][16];
		int v6 = i & 1;
		for (int k = 0; k < 3; k++) {
			memset(a[k], 0, 16);
			for (int j = 0; j < (v6 ? 16 : 4); j++)
				a[k][j] = alphabet[rng() % 4];
		}
		int ab = side0(a[0], a[1], v6), ba = side0(a[1], a[0], v6);
		int bc = side0(a[1], a[2], v6), ac = side0(a[0], a[2], v6);
		if (memcmp(a[0], a[1], 16) != 0)
			cr_assert_neq(ab, ba, "order not antisymmetric");
		if (memcmp(a[0], a[1], 16) != 0 &&
		    memcmp(a[1], a[2], 16) != 0 && memcmp(a[0], a[2], 16) != 0 &&
		    ab && bc)
			cr_assert(ac, "order not transitive");
	}
}

/* Random canonical IPv4/IPv6 TCP/UDP keys and their hashes. */
static uint32_t *
random_hashes(unsigned n, uint64_t seed)
{
	uint32_t *h = malloc(n * sizeof(*h));
	cr_assert_not_null(h);
	rng_seed(seed);
	for (unsigned i = 0; i < n; i++) {
		struct tuple t;
		struct pb p;
		struct pl_pkt_meta m;
		random_tuple(&t);
		build_tuple(&p, &t, (int)(rng() & 1));
		assert_result(dec(&p, &m), PL_PKT_OK);
		h[i] = pl_pkt_key_hash(&m.key, 0);
	}
	return h;
}

/* Chi-square statistic of the low 10 bits of the hashes sent to worker w
 * by pick(). */
static double
low_bits_chi2(const uint32_t *h, unsigned n, unsigned w, unsigned nb,
	      unsigned (*pick)(uint32_t, unsigned), unsigned *count)
{
	static unsigned bucket[1024];
	unsigned c = 0;
	memset(bucket, 0, sizeof(bucket));
	for (unsigned i = 0; i < n; i++)
		if (pick(h[i], nb) == w) {
			bucket[h[i] & 1023]++;
			c++;
		}
	double e = c / 1024.0, chi2 = 0;
	for (unsigned i = 0; i < 1024; i++)
		chi2 += (bucket[i] - e) * (bucket[i] - e) / e;
	*count = c;
	return chi2;
}

static unsigned
pick_lib(uint32_t h, unsigned nb)
{
	return pl_pkt_worker_of(h, nb);
}

static unsigned
pick_modulo(uint32_t h, unsigned nb)
{
	return h % nb;
}

Test(key, worker_spread_and_low_bits)
{
	enum { N = 100000 };
	uint32_t *h = random_hashes(N, 0x5eed0003);

	for (unsigned i = 0; i < N; i++)
		cr_assert_eq(pl_pkt_worker_of(h[i], 1), 0);

	for (unsigned nb = 2; nb <= 4; nb++) {
		unsigned cnt[4] = {0};
		for (unsigned i = 0; i < N; i++) {
			unsigned w = pl_pkt_worker_of(h[i], nb);
			cr_assert_lt(w, nb);
			cnt[w]++;
		}
		double want = (double)N / nb;
		for (unsigned w = 0; w < nb; w++) {
			cr_assert(cnt[w] > want * 0.9 && cnt[w] < want * 1.1,
				  "%u workers: worker %u got %u of %u", nb, w,
				  cnt[w], N);
			/* 1023 degrees of freedom: mean 1023, sd ~45;
			 * 1300 is six standard deviations. */
			unsigned c;
			double chi2 = low_bits_chi2(h, N, w, nb, pick_lib, &c);
			cr_assert_lt(chi2, 1300.0,
				     "%u workers: worker %u: low 10 bits of "
				     "its hashes not uniform (chi2 %.0f)",
				     nb, w, chi2);
		}
	}
	/* The check has teeth: hash % 2 and % 4 fail it. */
	for (unsigned nb = 2; nb <= 4; nb += 2) {
		unsigned c;
		cr_assert_gt(low_bits_chi2(h, N, 0, nb, pick_modulo, &c), 1300.0);
	}
	/* And the hash itself has uniform low bits. */
	unsigned c;
	cr_assert_lt(low_bits_chi2(h, N, 0, 1, pick_modulo, &c), 1300.0);
	free(h);
}

/* ------------------------------------------------------------------------ */
/* Names and address strings                                                */
/* ------------------------------------------------------------------------ */

Test(pkt, result_names)
{
	for (int r = 0; r < PL_PKT_RESULT_MAX; r++) {
		const char *s = pl_pkt_result_name((enum pl_pkt_result)r);
		cr_assert_not_null(s);
		cr_assert_gt(strlen(s), 0, "result %d has an empty name", r);
		for (int q = 0; q < r; q++)
			cr_assert_str_neq(s,
					  pl_pkt_result_name((enum pl_pkt_result)q),
					  "results %d and %d share a name", q, r);
	}
	cr_assert_str_eq(pl_pkt_result_name(PL_PKT_OK), "ok");
	cr_assert_str_eq(pl_pkt_result_name(PL_PKT_TCP_TRUNCATED),
			 "tcp_truncated");
	cr_assert_not_null(pl_pkt_result_name(PL_PKT_RESULT_MAX));
	cr_assert_not_null(pl_pkt_result_name((enum pl_pkt_result)-1));
}

Test(pkt, addr_str)
{
	struct pl_flow_key k = {0};
	char buf[46];
	k.family = PL_FAMILY_IPV4;
	memcpy(k.addr[0], IP4_A, 4);
	memcpy(k.addr[1], IP4_B, 4);
	cr_assert_str_eq(pl_pkt_addr_str(&k, 0, buf, sizeof(buf)), "10.0.0.1");
	cr_assert_str_eq(pl_pkt_addr_str(&k, 1, buf, sizeof(buf)),
			 "93.184.216.34");
	k.family = PL_FAMILY_IPV6;
	memcpy(k.addr[0], IP6_A, 16);
	cr_assert_str_eq(pl_pkt_addr_str(&k, 0, buf, sizeof(buf)),
			 "2001:db8::1");
	k.family = PL_FAMILY_L2;
	memcpy(k.addr[1], MAC_B, 6);
	cr_assert_str_eq(pl_pkt_addr_str(&k, 1, buf, sizeof(buf)),
			 "02:00:00:00:00:0b");
	cr_assert_null(pl_pkt_addr_str(&k, 1, buf, 45));
}
