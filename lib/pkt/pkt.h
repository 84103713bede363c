/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_PKT_H
#define PL_PKT_H

/**
 * @file
 * L2-L4 decoding into a packet meta, the canonical flow key and its hash.
 *
 * No DPDK dependency: every function takes a pointer and a length, so the
 * decoder is unit-tested and fuzzed without EAL. The RX lcore stores the
 * meta in the mbuf private area; workers never decode again.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/**
 * Why a packet could not be decoded. Defined once: the enum, the names in the
 * summary and in telemetry all come from this list.
 */
#define PL_PKT_UNDECODABLE(X)                                                  \
	X(ETH_TRUNCATED, "eth_truncated")                                      \
	X(LINK_UNKNOWN, "link_unknown_family")                                 \
	X(VLAN_TRUNCATED, "vlan_truncated")                                    \
	X(IPV4_TRUNCATED, "ipv4_truncated")                                    \
	X(IPV4_BAD_HEADER, "ipv4_bad_header")                                  \
	X(IPV6_TRUNCATED, "ipv6_truncated")                                    \
	X(IPV6_BAD_HEADER, "ipv6_bad_header")                                  \
	X(IPV6_EXT_TRUNCATED, "ipv6_ext_truncated")                            \
	X(TCP_TRUNCATED, "tcp_truncated")                                      \
	X(TCP_BAD_HEADER, "tcp_bad_header")                                    \
	X(UDP_TRUNCATED, "udp_truncated")                                      \
	X(ICMP_TRUNCATED, "icmp_truncated")

enum pl_pkt_result {
	PL_PKT_OK = 0,
#define PL_X(e, s) PL_PKT_##e,
	PL_PKT_UNDECODABLE(PL_X)
#undef PL_X
	PL_PKT_RESULT_MAX
};

/** Name of a decode result ("ok", "eth_truncated", ...); never NULL. */
const char *pl_pkt_result_name(enum pl_pkt_result r);

/** Address family of a flow key. L2 keys hold the two MACs and the ether-type. */
enum pl_pkt_family {
	PL_FAMILY_L2 = 0,
	PL_FAMILY_IPV4 = 4,
	PL_FAMILY_IPV6 = 6,
};

/**
 * Canonical (direction-free) flow key: the two sides are ordered by address
 * (compared as two host-order words), then port; the order is arbitrary but
 * the same for both directions.
 * IPv4 addresses take the first 4 bytes of addr[i], the rest is zero.
 * L2 keys: addr[i] holds a MAC in its first 6 bytes, port[0] the ether-type.
 * ICMP keys: ports are the type and its reply type (or the code for one-way
 * messages), so that a request and its reply share a flow.
 * 40 bytes, no padding: hashed and compared as raw bytes.
 */
struct pl_flow_key {
	uint8_t addr[2][16];
	uint16_t port[2]; /**< host byte order */
	uint16_t vlan;    /**< innermost VLAN id, 0 if none */
	uint8_t proto;    /**< IP protocol (0 for L2) */
	uint8_t family;   /**< enum pl_pkt_family */
};

/** Flags of a decoded packet (struct pl_pkt_meta.flags). */
#define PL_PKT_F_FRAGMENT 0x01   /**< IP fragment other than the first: no L4 */
#define PL_PKT_F_FIRST_FRAG 0x02 /**< first fragment of a fragmented datagram */
#define PL_PKT_F_SNAPLEN 0x04    /**< captured length shorter than the wire */
#define PL_PKT_F_QINQ 0x08       /**< two or more VLAN tags */
/** Set by the receiver, never by pl_pkt_decode: the frame's buffer is not
 * one plain segment (chained, shared or external) and needs a full free. */
#define PL_PKT_F_COMPLEX_BUF 0x10
/** The packet was a GTP-U G-PDU (UDP port 2152): the meta describes the IP
 * packet it carries, except for the link layer and wire_len. */
#define PL_PKT_F_GTPU 0x20

/** Whether a packet was sent to one host, to all, or to a group. */
enum pl_pkt_cast {
	PL_CAST_UNICAST = 0,
	PL_CAST_BROADCAST = 1,
	PL_CAST_MULTICAST = 2,
};

/**
 * Everything a worker needs from a packet, computed once by the RX lcore.
 * Fits the mbuf private area (see PL_PKT_META_SIZE).
 */
struct pl_pkt_meta {
	struct pl_flow_key key;
	uint32_t hash;        /**< symmetric hash of key */
	uint32_t wire_len;    /**< frame length on the wire (bytes, no FCS) */
	uint64_t ts_us;       /**< capture timestamp, microseconds */
	uint16_t l3_off;      /**< offset of the IP header (or L2 payload) */
	uint16_t l4_off;      /**< offset of the L4 header, 0 if none */
	uint16_t payload_off; /**< offset of the L4 payload */
	uint16_t payload_cap; /**< L4 payload bytes present in the buffer */
	uint32_t payload_len; /**< L4 payload bytes on the wire (from IP length) */
	uint32_t tcp_seq;
	uint8_t dir;          /**< 0: sent by key side 0, 1: by side 1 */
	uint8_t tcp_flags;
	uint8_t ttl;          /**< IPv4 TTL or IPv6 hop limit */
	uint8_t flags;        /**< PL_PKT_F_* */
	uint16_t ether_type;  /**< innermost ether-type */
	uint8_t nb_vlan;
	uint8_t l4_proto;     /**< equals key.proto for IP */
	uint8_t cast;         /**< enum pl_pkt_cast of the destination */
	/* Copied here so that accounting never reads the packet on another
	 * core; zero unless the link is Ethernet. */
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	/** Innermost VLAN id, 0 if untagged: key.vlan too, unless the
	 * receiver keys flows without VLANs. */
	uint16_t vlan;
	/** The frame as given to pl_pkt_decode, which the offsets count from:
	 * a reader on another core need not touch the buffer's header. */
	const uint8_t *frame;
};

#define PL_PKT_META_SIZE 128

/**
 * Link layers a frame may start with (libpcap's DLT values). DPDK ports are
 * Ethernet; the others occur in traces recorded on loopback or tunnels.
 */
enum pl_pkt_link {
	PL_LINK_NULL = 0,        /**< BSD loopback: 4-byte host-order family */
	PL_LINK_ETHERNET = 1,
	PL_LINK_RAW = 101,       /**< IP header first */
	PL_LINK_LOOP = 108,      /**< OpenBSD loopback: network-order family */
	PL_LINK_LINUX_SLL = 113, /**< Linux cooked capture */
};

/** Whether pl_pkt_decode understands a link type. */
bool pl_pkt_link_supported(int link);

/**
 * Decode one frame.
 *
 * @param data      first byte of the Ethernet header
 * @param cap_len   bytes present at data
 * @param wire_len  frame length on the wire (>= cap_len; equal if unknown)
 * @param link      enum pl_pkt_link of the frame; MACs are zero unless
 *                  Ethernet
 * @param m         filled on success; on failure its content is unspecified
 * @return PL_PKT_OK, or the reason the frame is undecodable. A frame cut by
 *         the snap length is decoded as far as its headers go: only missing
 *         headers make it undecodable, a missing payload does not.
 */
enum pl_pkt_result pl_pkt_decode(const uint8_t *data, uint32_t cap_len,
				 uint32_t wire_len, enum pl_pkt_link link,
				 struct pl_pkt_meta *m);

/**
 * Symmetric hash of a canonical key (CRC32-C over its 40 bytes).
 * About 7 cycles with SSE4.2.
 */
uint32_t pl_pkt_key_hash(const struct pl_flow_key *k, uint32_t seed);

/**
 * Whether two keys are equal: five 8-byte compares, inlined (memcmp was a
 * library call, 12% of a worker's busy cycles on lockly-hub-01).
 */
static inline bool
pl_pkt_key_equal(const struct pl_flow_key *a, const struct pl_flow_key *b)
{
	const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
	uint64_t d = 0;
	_Static_assert(sizeof(*a) == 40, "a key is five 8-byte words");
	for (unsigned i = 0; i < sizeof(*a); i += 8) {
		uint64_t u, v;
		memcpy(&u, x + i, 8);
		memcpy(&v, y + i, 8);
		d |= u ^ v;
	}
	return d == 0;
}

/**
 * Pick a worker for a hash, using the high bits so that the low bits (used
 * by the worker's table for its bucket index) stay uniformly spread.
 */
static inline unsigned
pl_pkt_worker_of(uint32_t hash, unsigned nb_workers)
{
	uint32_t h = hash ^ (hash >> 15);
	h *= 0x2c1b3c6dU;
	h ^= h >> 12;
	return (unsigned)(((uint64_t)h * nb_workers) >> 32);
}

/**
 * The reply type of an ICMP or ICMPv6 request type, or the request type of
 * a reply (echo, timestamp, information, address mask, router, neighbour,
 * MLD, node information, ...), as paired by the Community ID spec.
 * @return the counterpart type, or -1 for one-way messages.
 */
int pl_pkt_icmp_counterpart(uint8_t family, uint8_t type);

/** A MAC as "aa:bb:cc:dd:ee:ff" (lower case, NUL-terminated). */
void pl_pkt_mac_str(const uint8_t mac[6], char out[18]);

/**
 * Format a key side's address (IPv4, IPv6 or MAC) into buf.
 * @return buf, or NULL if size is too small (46 bytes always suffice).
 */
char *pl_pkt_addr_str(const struct pl_flow_key *k, int side, char *buf,
		      size_t size);

#endif /* PL_PKT_H */
