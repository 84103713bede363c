/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * L2-L4 decoder. Bounds are checked against the captured length before every
 * read; the IP length fields are trusted only to say how long the packet was
 * on the wire (snap-length cut captures keep their true sizes).
 */
#include "pkt.h"

#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

_Static_assert(sizeof(struct pl_pkt_meta) <= PL_PKT_META_SIZE,
	       "packet meta over the mbuf private area");

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define MAX_VLAN_TAGS 8
#define MAX_IPV6_EXT 8
#define GTPU_PORT 2152
#define MAX_GTPU_EXT 8

static const char *const result_names[PL_PKT_RESULT_MAX] = {
	[PL_PKT_OK] = "ok",
#define PL_X(e, s) [PL_PKT_##e] = s,
	PL_PKT_UNDECODABLE(PL_X)
#undef PL_X
};

const char *
pl_pkt_result_name(enum pl_pkt_result r)
{
	if ((unsigned)r >= PL_PKT_RESULT_MAX)
		return "unknown";
	return result_names[r];
}

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

int
pl_pkt_icmp_counterpart(uint8_t family, uint8_t type)
{
	/* The pairs of the Community ID spec (v1). */
	static const uint8_t v4[][2] = {{8, 0},   {13, 14}, {15, 16},
					{17, 18}, {10, 9}};
	static const uint8_t v6[][2] = {{128, 129}, {133, 134}, {135, 136},
					{130, 131}, {144, 145}, {139, 140}};
	const uint8_t(*t)[2] = family == PL_FAMILY_IPV4 ? v4 : v6;
	size_t n = family == PL_FAMILY_IPV4 ? sizeof(v4) / sizeof(v4[0])
					    : sizeof(v6) / sizeof(v6[0]);
	for (size_t i = 0; i < n; i++) {
		if (t[i][0] == type)
			return t[i][1];
		if (t[i][1] == type)
			return t[i][0];
	}
	return -1;
}

/* Any total order will do, as long as both directions agree: comparing the
 * addresses as two host-order words avoids a libc memcmp call per packet. */
static inline int
addr_cmp(const uint8_t *a, const uint8_t *b)
{
	uint64_t a0, a1, b0, b1;
	memcpy(&a0, a, 8);
	memcpy(&a1, a + 8, 8);
	memcpy(&b0, b, 8);
	memcpy(&b1, b + 8, 8);
	if (a0 != b0)
		return a0 < b0 ? -1 : 1;
	if (a1 != b1)
		return a1 < b1 ? -1 : 1;
	return 0;
}

/* The key's sides are ordered so that both directions give the same key.
 * The order is decided on the packet's bytes and the key written once in
 * that order: reading back the key just written would stall on store
 * forwarding (perf: a third of the decoder's time). A tie (same address on
 * both sides) is broken by the ports in put_ports. */
static void
put_addrs(struct pl_pkt_meta *m, const uint8_t *src, const uint8_t *dst,
	  size_t len, int c)
{
	m->dir = c > 0;
	memcpy(m->key.addr[0], c > 0 ? dst : src, len);
	memcpy(m->key.addr[1], c > 0 ? src : dst, len);
}

/* A MAC as one number, built in registers: six bytes copied into a zeroed
 * word and read back as 8 would stall on store forwarding. */
static inline uint64_t
mac_word(const uint8_t *p)
{
	uint32_t hi;
	uint16_t lo;
	memcpy(&hi, p, 4);
	memcpy(&lo, p + 4, 2);
	return (uint64_t)hi << 16 | lo;
}

static inline int
addr4_cmp(const uint8_t *a, const uint8_t *b)
{
	uint32_t x, y;
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	return x == y ? 0 : x < y ? -1 : 1;
}

/* Ports follow their addresses; with equal addresses they decide. Both are
 * written in one store: reading back two narrow stores as a word stalls
 * on store forwarding (perf: 40% of decode_ip). */
static inline void
put_ports(struct pl_pkt_meta *m, uint16_t src, uint16_t dst, int c)
{
	if (c == 0)
		m->dir = src > dst;
	uint16_t ports[2] = {m->dir ? dst : src, m->dir ? src : dst};
	memcpy(m->key.port, ports, sizeof(ports));
}

static enum pl_pkt_result decode_ip(const uint8_t *data, uint32_t cap,
				    uint32_t off, uint16_t type,
				    struct pl_pkt_meta *m);

/* The length of the GTP-U header that p[0..avail) starts with (TS 29.281:
 * 8 bytes; 4 more if E, S or PN is set; then E's extension headers, each
 * its length in 4-byte units first and the next one's type last), if it
 * is a G-PDU whose payload is an IPv4 or IPv6 packet; 0 otherwise (echo,
 * error indication, end marker, not GTP at all, or too short to tell). */
static uint32_t
gtpu_header_len(const uint8_t *p, uint32_t avail)
{
	if (avail < 8 || (p[0] & 0xf0) != 0x30 || p[1] != 0xff)
		return 0;
	uint32_t h = 8;
	if (p[0] & 0x07) {
		if (avail < 12)
			return 0;
		h = 12;
		uint8_t next = (p[0] & 0x04) ? p[11] : 0;
		for (int i = 0; next != 0; i++) {
			if (i == MAX_GTPU_EXT || h >= avail || p[h] == 0)
				return 0;
			uint32_t len = (uint32_t)p[h] * 4;
			if (h + len > avail)
				return 0;
			next = p[h + len - 1];
			h += len;
		}
	}
	if (h >= avail || ((p[h] >> 4) != 4 && (p[h] >> 4) != 6))
		return 0;
	return h;
}

/* A subscriber's packet in a GTP-U tunnel (a mobile core's S1-U, S5 or N3
 * link): the flow is the inner packet's, as nDPI and tshark see it. One
 * level only: a G-PDU inside is the subscriber's own UDP. */
static enum pl_pkt_result
decode_gtpu_payload(const uint8_t *data, uint32_t cap, uint32_t off,
		    struct pl_pkt_meta *m)
{
	m->flags |= PL_PKT_F_GTPU;
	m->cast = PL_CAST_UNICAST;
	memset(m->key.addr, 0, sizeof(m->key.addr));
	return decode_ip(data, cap, off,
			 (data[off] >> 4) == 4 ? 0x0800 : 0x86dd, m);
}

static enum pl_pkt_result
decode_l4(const uint8_t *data, uint32_t cap, uint32_t off, uint32_t l4_wire,
	  struct pl_pkt_meta *m, int c)
{
	const uint8_t *p = data + off;
	uint32_t avail = cap > off ? cap - off : 0;
	uint32_t hlen;

	m->l4_off = (uint16_t)off;
	switch (m->l4_proto) {
	case 6:
		if (avail < 20)
			return PL_PKT_TCP_TRUNCATED;
		hlen = (uint32_t)(p[12] >> 4) * 4;
		if (hlen < 20)
			return PL_PKT_TCP_BAD_HEADER;
		if (avail < hlen)
			return PL_PKT_TCP_TRUNCATED;
		put_ports(m, rd16(p), rd16(p + 2), c);
		m->tcp_seq = rd32(p + 4);
		m->tcp_flags = p[13];
		break;
	case 17:
		if (avail < 8)
			return PL_PKT_UDP_TRUNCATED;
		hlen = 8;
		put_ports(m, rd16(p), rd16(p + 2), c);
		if ((rd16(p) == GTPU_PORT || rd16(p + 2) == GTPU_PORT) &&
		    !(m->flags & PL_PKT_F_GTPU)) {
			uint32_t g = gtpu_header_len(p + 8, avail - 8);
			if (g)
				return decode_gtpu_payload(data, cap,
							   off + 8 + g, m);
		}
		break;
	case 1:
	case 58: {
		if (avail < 4)
			return PL_PKT_ICMP_TRUNCATED;
		hlen = 4;
		int reply = pl_pkt_icmp_counterpart(m->key.family, p[0]);
		put_ports(m, p[0], reply >= 0 ? (uint16_t)reply : p[1], c);
		break;
	}
	default:
		hlen = 0;
		break;
	}
	m->payload_off = (uint16_t)(off + hlen);
	m->payload_len = l4_wire > hlen ? l4_wire - hlen : 0;
	uint32_t cap_payload = avail - hlen;
	m->payload_cap = (uint16_t)(cap_payload < m->payload_len ? cap_payload
								 : m->payload_len);
	return PL_PKT_OK;
}

static enum pl_pkt_result
decode_ipv4(const uint8_t *data, uint32_t cap, uint32_t off,
	    struct pl_pkt_meta *m)
{
	const uint8_t *p = data + off;
	uint32_t avail = cap - off;

	if (avail < 20)
		return PL_PKT_IPV4_TRUNCATED;
	uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
	uint32_t total = rd16(p + 2);
	if ((p[0] >> 4) != 4 || ihl < 20 || total < ihl)
		return PL_PKT_IPV4_BAD_HEADER;
	if (avail < ihl)
		return PL_PKT_IPV4_TRUNCATED;

	m->key.family = PL_FAMILY_IPV4;
	m->key.proto = m->l4_proto = p[9];
	m->ttl = p[8];
	int c = addr4_cmp(p + 12, p + 16);
	put_addrs(m, p + 12, p + 16, 4, c);
	if ((p[16] & p[17] & p[18] & p[19]) == 0xff)
		m->cast = PL_CAST_BROADCAST;
	else if ((p[16] & 0xf0) == 0xe0)
		m->cast = PL_CAST_MULTICAST;
	if (off + total > m->wire_len)
		m->wire_len = off + total;
	if (avail < total)
		m->flags |= PL_PKT_F_SNAPLEN;

	uint16_t frag = rd16(p + 6);
	if ((frag & 0x1fff) != 0) {
		/* Later fragments carry no L4 header: they form their own
		 * port-less flow between the two hosts. */
		m->flags |= PL_PKT_F_FRAGMENT;
		m->payload_off = (uint16_t)(off + ihl);
		m->payload_len = total - ihl;
		m->payload_cap = (uint16_t)(avail < total ? avail - ihl
							  : total - ihl);
		return PL_PKT_OK;
	}
	if (frag & 0x2000)
		m->flags |= PL_PKT_F_FIRST_FRAG;
	/* Ethernet padding is not payload: clamp the buffer to the IP length. */
	uint32_t end = avail < total ? cap : off + total;
	return decode_l4(data, end, off + ihl, total - ihl, m, c);
}

static enum pl_pkt_result
decode_ipv6(const uint8_t *data, uint32_t cap, uint32_t off,
	    struct pl_pkt_meta *m)
{
	const uint8_t *p = data + off;
	uint32_t avail = cap - off;

	if (avail < 40)
		return PL_PKT_IPV6_TRUNCATED;
	if ((p[0] >> 4) != 6)
		return PL_PKT_IPV6_BAD_HEADER;
	uint32_t plen = rd16(p + 4);
	uint32_t total = 40 + plen;
	m->key.family = PL_FAMILY_IPV6;
	m->ttl = p[7];
	int c = addr_cmp(p + 8, p + 24);
	put_addrs(m, p + 8, p + 24, 16, c);
	if (p[24] == 0xff)
		m->cast = PL_CAST_MULTICAST;
	if (plen == 0) /* jumbogram or bogus: trust the capture */
		total = avail;
	if (off + total > m->wire_len)
		m->wire_len = off + total;
	if (avail < total)
		m->flags |= PL_PKT_F_SNAPLEN;
	uint32_t end = avail < total ? cap : off + total;

	uint8_t nh = p[6];
	uint32_t hoff = off + 40;
	for (int i = 0; i < MAX_IPV6_EXT; i++) {
		uint32_t elen;
		if (nh != 0 && nh != 43 && nh != 44 && nh != 60 && nh != 51 &&
		    nh != 135)
			break;
		if (hoff + 8 > end)
			return PL_PKT_IPV6_EXT_TRUNCATED;
		const uint8_t *e = data + hoff;
		if (nh == 44) {
			elen = 8;
			if (rd16(e + 2) & 0xfff8) {
				m->key.proto = m->l4_proto = e[0];
				m->flags |= PL_PKT_F_FRAGMENT;
				hoff += elen;
				m->payload_off = (uint16_t)hoff;
				m->payload_len = off + total > hoff
							 ? off + total - hoff
							 : 0;
				m->payload_cap = (uint16_t)(end - hoff);
				return PL_PKT_OK;
			}
			if (rd16(e + 2) & 1)
				m->flags |= PL_PKT_F_FIRST_FRAG;
		} else if (nh == 51) {
			elen = ((uint32_t)e[1] + 2) * 4;
		} else {
			elen = ((uint32_t)e[1] + 1) * 8;
		}
		if (hoff + elen > end)
			return PL_PKT_IPV6_EXT_TRUNCATED;
		nh = e[0];
		hoff += elen;
	}
	m->key.proto = m->l4_proto = nh;
	if (hoff > off + total)
		return PL_PKT_IPV6_BAD_HEADER;
	return decode_l4(data, end, hoff, off + total - hoff, m, c);
}

bool
pl_pkt_link_supported(int link)
{
	return link == PL_LINK_NULL || link == PL_LINK_ETHERNET ||
	       link == PL_LINK_RAW || link == PL_LINK_LOOP ||
	       link == PL_LINK_LINUX_SLL;
}

static enum pl_pkt_result
decode_ip(const uint8_t *data, uint32_t cap, uint32_t off, uint16_t type,
	  struct pl_pkt_meta *m)
{
	m->ether_type = type;
	m->l3_off = (uint16_t)off;
	if (type == 0x0800)
		return decode_ipv4(data, cap, off, m);
	return decode_ipv6(data, cap, off, m);
}

/* Loopback and cooked captures: find the IP version, then decode as IP. */
static enum pl_pkt_result
decode_other_link(const uint8_t *data, uint32_t cap, enum pl_pkt_link link,
		  struct pl_pkt_meta *m)
{
	uint32_t off, fam;
	uint16_t type;

	switch (link) {
	case PL_LINK_NULL:
	case PL_LINK_LOOP:
		if (cap < 4)
			return PL_PKT_ETH_TRUNCATED;
		fam = link == PL_LINK_LOOP
			      ? rd32(data)
			      : (uint32_t)data[0] | (uint32_t)data[1] << 8 |
					(uint32_t)data[2] << 16 |
					(uint32_t)data[3] << 24;
		if (fam > 0xffff) /* written big-endian by another host */
			fam = rd32(data);
		off = 4;
		/* 2: AF_INET; 24, 28, 30: AF_INET6 on the BSDs and macOS. */
		if (fam == 2)
			type = 0x0800;
		else if (fam == 24 || fam == 28 || fam == 30 || fam == 10)
			type = 0x86dd;
		else
			return PL_PKT_LINK_UNKNOWN;
		break;
	case PL_LINK_LINUX_SLL:
		if (cap < 16)
			return PL_PKT_ETH_TRUNCATED;
		off = 16;
		type = rd16(data + 14);
		if (type != 0x0800 && type != 0x86dd)
			return PL_PKT_LINK_UNKNOWN;
		break;
	default: /* PL_LINK_RAW */
		if (cap < 1)
			return PL_PKT_ETH_TRUNCATED;
		off = 0;
		type = (data[0] >> 4) == 6 ? 0x86dd : 0x0800;
		break;
	}
	return decode_ip(data, cap, off, type, m);
}

/* gcc turns a memset of the meta, and even a loop of vector stores, into
 * rep stos, whose start-up costs more than the stores (perf: a third of
 * pl_pkt_decode): the stores are spelled out. The frame pointer after them
 * is always set. */
static inline void
meta_zero(struct pl_pkt_meta *m)
{
	char *p = (char *)m;
#if defined(__SSE2__)
	_Static_assert(offsetof(struct pl_pkt_meta, frame) == 96,
		       "meta_zero stores 96 bytes");
	__m128i z = _mm_setzero_si128();
	_mm_storeu_si128((__m128i *)(void *)(p + 0), z);
	_mm_storeu_si128((__m128i *)(void *)(p + 16), z);
	_mm_storeu_si128((__m128i *)(void *)(p + 32), z);
	_mm_storeu_si128((__m128i *)(void *)(p + 48), z);
	_mm_storeu_si128((__m128i *)(void *)(p + 64), z);
	_mm_storeu_si128((__m128i *)(void *)(p + 80), z);
#else
	memset(p, 0, offsetof(struct pl_pkt_meta, frame));
#endif
}

enum pl_pkt_result
pl_pkt_decode(const uint8_t *data, uint32_t cap_len, uint32_t wire_len,
	      enum pl_pkt_link link, struct pl_pkt_meta *m)
{
	meta_zero(m);
	m->frame = data;
	m->wire_len = wire_len > cap_len ? wire_len : cap_len;
	if (link != PL_LINK_ETHERNET)
		return decode_other_link(data, cap_len, link, m);
	if (cap_len < ETH_HLEN)
		return PL_PKT_ETH_TRUNCATED;
	memcpy(m->dst_mac, data, 6);
	memcpy(m->src_mac, data + 6, 6);

	uint32_t off = 12;
	uint16_t type = rd16(data + off);
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		if (off + 2 + VLAN_HLEN > cap_len)
			return PL_PKT_VLAN_TRUNCATED;
		if (m->nb_vlan == MAX_VLAN_TAGS)
			break;
		m->key.vlan = m->vlan = rd16(data + off + 2) & 0x0fff;
		m->nb_vlan++;
		off += VLAN_HLEN;
		type = rd16(data + off);
	}
	if (m->nb_vlan > 1)
		m->flags |= PL_PKT_F_QINQ;
	off += 2;
	/* ISP access and core links: IP inside PPPoE sessions and MPLS. */
	if (type == 0x8864 && off + 8 <= cap_len) {
		uint16_t ppp = rd16(data + off + 6);
		if (ppp == 0x0021 || ppp == 0x0057) {
			type = ppp == 0x0021 ? 0x0800 : 0x86dd;
			off += 8;
		}
	} else if (type == 0x8847 || type == 0x8848) {
		uint32_t o = off;
		for (int i = 0; i < MAX_VLAN_TAGS && o + 4 <= cap_len; i++) {
			uint32_t bottom = data[o + 2] & 1;
			o += 4;
			if (!bottom)
				continue;
			if (o < cap_len && (data[o] >> 4) == 4)
				type = 0x0800;
			else if (o < cap_len && (data[o] >> 4) == 6)
				type = 0x86dd;
			if (type != 0x8847 && type != 0x8848)
				off = o;
			break;
		}
	}
	if (type == 0x0800 || type == 0x86dd) {
		enum pl_pkt_result r = decode_ip(data, cap_len, off, type, m);
		/* A subnet-directed broadcast is told only by its MAC. */
		if (m->cast == PL_CAST_UNICAST &&
		    (data[0] & data[1] & data[2] & data[3] & data[4] &
		     data[5]) == 0xff)
			m->cast = PL_CAST_BROADCAST;
		return r;
	}
	m->ether_type = type;
	m->l3_off = (uint16_t)off;
	{
		/* Not IP: an L2 flow between the two MACs, per ether-type
		 * (802.3 length fields count as ether-type 0). */
		m->key.family = PL_FAMILY_L2;
		uint64_t src = mac_word(data + 6), dst = mac_word(data);
		put_addrs(m, data + 6, data, 6, src == dst ? 0 : src < dst ? -1 : 1);
		m->key.port[0] = type >= 0x0600 ? type : 0;
		if (data[0] & 1)
			m->cast = (data[0] & data[1] & data[2] & data[3] &
				   data[4] & data[5]) == 0xff
					  ? PL_CAST_BROADCAST
					  : PL_CAST_MULTICAST;
		m->payload_off = (uint16_t)off;
		m->payload_len = m->payload_cap = (uint16_t)(cap_len - off);
		return PL_PKT_OK;
	}
}

#if defined(__SSE4_2__)
#include <nmmintrin.h>
uint32_t
pl_pkt_key_hash(const struct pl_flow_key *k, uint32_t seed)
{
	uint64_t w[5];
	memcpy(w, k, sizeof(w));
	uint64_t h = seed;
	for (int i = 0; i < 5; i++)
		h = _mm_crc32_u64(h, w[i]);
	return (uint32_t)h;
}
#else
uint32_t
pl_pkt_key_hash(const struct pl_flow_key *k, uint32_t seed)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = seed;
	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		for (int b = 0; b < 8; b++)
			h = (h >> 1) ^ (0x82f63b78U & (0U - (h & 1)));
	}
	return h;
}
#endif

char *
pl_pkt_addr_str(const struct pl_flow_key *k, int side, char *buf, size_t size)
{
	const uint8_t *a = k->addr[side & 1];
	if (size < 46)
		return NULL;
	switch (k->family) {
	case PL_FAMILY_IPV4:
		return (char *)inet_ntop(AF_INET, a, buf, (socklen_t)size);
	case PL_FAMILY_IPV6:
		return (char *)inet_ntop(AF_INET6, a, buf, (socklen_t)size);
	default:
		pl_pkt_mac_str(a, buf);
		return buf;
	}
}

void
pl_pkt_mac_str(const uint8_t m[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2],
		 m[3], m[4], m[5]);
}
