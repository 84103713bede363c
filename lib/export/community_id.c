/* SPDX-License-Identifier: BSD-3-Clause */
/* Community ID v1: SHA-1 over seed, addresses, protocol and ports in the
 * spec's order, so that records join with Zeek and Suricata logs. */
#include <errno.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/sha.h>

#include "export.h"

/* ICMP messages without a reply type are one-way: the spec keeps their
 * sender first instead of ordering the endpoints. pl_pkt_decode put the
 * reply type in the other port of two-way messages. */
static int
icmp_one_way(const struct pl_flow_key *k, uint16_t type, uint16_t other)
{
	return type > 255 ||
	       pl_pkt_icmp_counterpart(k->family, (uint8_t)type) != other;
}

int
pl_export_community_id(const struct pl_flow_record *r, uint16_t seed,
		       char out[PL_COMMUNITY_ID_LEN])
{
	const struct pl_flow_key *k = &r->key;
	uint8_t buf[2 + 32 + 2 + 4];
	size_t alen;
	unsigned o = r->orig_side, p = !o;

	if (k->family == PL_FAMILY_IPV4)
		alen = 4;
	else if (k->family == PL_FAMILY_IPV6)
		alen = 16;
	else
		return -EINVAL;

	const uint8_t *sa = k->addr[o], *da = k->addr[p];
	uint16_t sp = k->port[o], dp = k->port[p];
	int icmp = k->proto == 1 || k->proto == 58;
	int has_ports = k->proto == 6 || k->proto == 17 || k->proto == 132 ||
			icmp;
	int one_way = icmp && icmp_one_way(k, sp, dp);
	int c = memcmp(sa, da, alen);
	if (!one_way && (c > 0 || (c == 0 && sp > dp))) {
		const uint8_t *ta = sa;
		sa = da;
		da = ta;
		uint16_t tp = sp;
		sp = dp;
		dp = tp;
	}
	size_t n = 0;
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, sa, alen);
	n += alen;
	memcpy(buf + n, da, alen);
	n += alen;
	buf[n++] = k->proto;
	buf[n++] = 0;
	if (has_ports) {
		buf[n++] = (uint8_t)(sp >> 8);
		buf[n++] = (uint8_t)sp;
		buf[n++] = (uint8_t)(dp >> 8);
		buf[n++] = (uint8_t)dp;
	}
	uint8_t digest[SHA_DIGEST_LENGTH];
	SHA1(buf, n, digest);
	out[0] = '1';
	out[1] = ':';
	EVP_EncodeBlock((unsigned char *)out + 2, digest, SHA_DIGEST_LENGTH);
	return 0;
}
