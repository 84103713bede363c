/* SPDX-License-Identifier: BSD-3-Clause */
/* Addresses as the device table sees them: whose they can be, and which
 * ones only a router would have behind its MAC. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device-internal.h"

void
pl_addr_of_key(const struct pl_flow_key *k, unsigned side, struct pl_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->family = k->family == PL_FAMILY_IPV6 ? 6 : 4;
	memcpy(out->a, k->addr[side], out->family == 6 ? 16 : 4);
}

int
pl_addr_parse(const char *s, struct pl_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, out->a) == 1) {
		out->family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out->a) == 1) {
		out->family = 6;
		return 0;
	}
	return -EINVAL;
}

void
pl_addr_str(const struct pl_addr *a, char *buf, size_t size)
{
	if (inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->a, buf,
		      (socklen_t)size) == NULL && size)
		buf[0] = '\0';
}

/* Prefixes that are not routable unicast on the Internet. */
struct prefix {
	uint8_t bytes[16];
	uint8_t len;
};

static const struct prefix special4[] = {
	{{0}, 8},                 /* this network */
	{{10}, 8},                /* private */
	{{100, 64}, 10},          /* shared (CGN) */
	{{127}, 8},               /* loopback */
	{{169, 254}, 16},         /* link-local */
	{{172, 16}, 12},          /* private */
	{{192, 0, 0}, 24},        /* IETF protocol assignments */
	{{192, 0, 2}, 24},        /* documentation */
	{{192, 168}, 16},         /* private */
	{{198, 18}, 15},          /* benchmarking */
	{{198, 51, 100}, 24},     /* documentation */
	{{203, 0, 113}, 24},      /* documentation */
	{{224}, 3},               /* multicast, reserved, broadcast */
};

static const struct prefix special6[] = {
	{{0}, 96},                /* ::, ::1, IPv4-compatible */
	{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96}, /* IPv4-mapped */
	{{0x01, 0x00}, 64},       /* discard-only */
	{{0x20, 0x01, 0x0d, 0xb8}, 32}, /* documentation */
	{{0xfc}, 7},              /* unique local */
	{{0xfe, 0x80}, 10},       /* link-local */
	{{0xff}, 8},              /* multicast */
};

static bool
in_prefix(const uint8_t *a, const struct prefix *p)
{
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(a, p->bytes, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - rest));
	return (a[full] & m) == (p->bytes[full] & m);
}

bool
pl_addr_is_special(const struct pl_addr *a)
{
	const struct prefix *p = a->family == 6 ? special6 : special4;
	size_t n = a->family == 6 ? sizeof(special6) / sizeof(special6[0])
				  : sizeof(special4) / sizeof(special4[0]);
	for (size_t i = 0; i < n; i++)
		if (in_prefix(a->a, &p[i]))
			return true;
	return false;
}

bool
pl_addr_is_nobody(const struct pl_addr *a)
{
	static const uint8_t zero[16];
	if (a->family == 6)
		return memcmp(a->a, zero, 16) == 0 || a->a[0] == 0xff;
	uint32_t v;
	memcpy(&v, a->a, 4);
	v = ntohl(v);
	return v == 0 || v == 0xffffffffu || (v >> 28) == 0xe;
}

bool
pl_device_addr_routable(const struct pl_flow_key *k, unsigned side)
{
	struct pl_addr a;
	if (k->family == PL_FAMILY_L2)
		return false;
	pl_addr_of_key(k, side, &a);
	return !pl_addr_is_special(&a);
}
