/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * An ended flow into the devices it involves. A side of the flow is a
 * device's when its MAC is unicast and its address is the device's own:
 * special-purpose addresses (private, link-local, ...) always are, and so
 * are addresses learned on the link (ARP, DHCP, mDNS, NDP). A routable
 * address is the MAC's own until that MAC has shown more than a few of
 * them, or a routable IPv4 address beside a private one: past that the MAC
 * is a router and the address is a remote host behind it, which is not a
 * device (only the local side's remote services name it).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "device-internal.h"

/* A MAC with more routable addresses than this is a router. */
#define OWN_GLOBAL_MAX 4.0
#define US_PER_HOUR 3600000000ULL

bool
pl_device_surely_owns(const struct pl_device *d, const struct pl_addr *a)
{
	if (pl_addr_is_special(a))
		return true;
	for (unsigned i = 0; i < d->nb_addrs; i++)
		if ((d->addrs[i].sources & PL_DEV_SRC_ONLINK) &&
		    d->addrs[i].a.family == a->family &&
		    memcmp(d->addrs[i].a.a, a->a, 16) == 0)
			return true;
	return false;
}

bool
pl_device_owns(struct pl_device *d, const struct pl_addr *a)
{
	if (pl_device_surely_owns(d, a))
		return true;
	/* A host has a private IPv4 address or a public one: a MAC with both
	 * routes for others. */
	if (a->family == 4 && pl_device_has_private4(d))
		return false;
	return pl_device_global_estimate(d) <= OWN_GLOBAL_MAX;
}

bool
pl_device_has_private4(const struct pl_device *d)
{
	for (unsigned i = 0; i < d->nb_addrs; i++)
		if (d->addrs[i].a.family == 4 &&
		    pl_addr_is_special(&d->addrs[i].a))
			return true;
	return false;
}

bool
pl_device_routes(const struct pl_device *d)
{
	return pl_device_global_estimate(d) > OWN_GLOBAL_MAX ||
	       (d->routable4 && pl_device_has_private4(d));
}

void
pl_device_note_global(struct pl_device *d, const struct pl_addr *a)
{
	if (a->family == 4 && !pl_addr_is_special(a))
		d->routable4 = true;
	if (pl_addr_is_special(a))
		return;
	uint32_t h = 2166136261u;
	for (int i = 0; i < 16; i++)
		h = (h ^ a->a[i]) * 16777619u;
	h ^= h >> 15;
	unsigned bit = h % (sizeof(d->global_bits) * 8);
	d->global_bits[bit / 64] |= 1ULL << (bit % 64);
}

static unsigned
proto_index(struct pl_device *d, const char *name)
{
	for (unsigned i = 0; i < d->nb_protos; i++)
		if (strcmp(d->protos[i].name, name) == 0)
			return i;
	if (d->nb_protos == PL_DEV_PROTOS_MAX)
		return PL_DEV_PROTOS_MAX - 1; /* the last one takes the rest */
	struct pl_dev_proto *p = &d->protos[d->nb_protos];
	snprintf(p->name, sizeof(p->name), "%s", name);
	return d->nb_protos++;
}

static struct pl_dev_hour *
hour_of(struct pl_device *d, uint64_t ts_us)
{
	int64_t h = (int64_t)(ts_us / US_PER_HOUR);
	unsigned i = d->nb_hours;
	while (i > 0 && d->hours[i - 1].hour > h)
		i--;
	if (i > 0 && d->hours[i - 1].hour == h)
		return &d->hours[i - 1];
	if (d->nb_hours == PL_DEVICE_HOURS_MAX) {
		/* Keep the most recent: the oldest hour goes. */
		if (i == 0) {
			d->hours_dropped++;
			return NULL;
		}
		memmove(d->hours, d->hours + 1, (i - 1) * sizeof(*d->hours));
		d->nb_hours--;
		d->hours_dropped++;
		i--;
	} else {
		struct pl_dev_hour *n =
			realloc(d->hours, (d->nb_hours + 1) * sizeof(*n));
		if (n == NULL)
			return NULL;
		d->hours = n;
	}
	memmove(d->hours + i + 1, d->hours + i,
		(d->nb_hours - i) * sizeof(*d->hours));
	d->nb_hours++;
	d->hours[i] = (struct pl_dev_hour){.hour = h};
	return &d->hours[i];
}

static const char *
transport_of(const struct pl_flow_key *k)
{
	switch (k->proto) {
	case 6: return "tcp";
	case 17: return "udp";
	case 1: return "icmp";
	case 58: return "icmp6";
	default: return "ip";
	}
}

/* What one side's device did in the flow: traffic, protocol, peers,
 * remote services, the hour. side 0 is the originator. */
static void
account_side(struct pl_device_table *t, struct pl_device *d,
	     const struct pl_device_flow *f, unsigned side,
	     const struct pl_addr *own, const struct pl_addr *peer)
{
	const struct pl_flow_record *r = f->rec;
	uint64_t bytes = r->bytes[0] + r->bytes[1];
	uint64_t pkts = r->pkts[0] + r->pkts[1];
	unsigned o = r->orig_side;

	if (r->first_us < d->first_us)
		d->first_us = r->first_us;
	if (r->last_us > d->last_us)
		d->last_us = r->last_us;
	d->flows++;
	d->pkts_sent += r->pkts[side];
	d->bytes_sent += r->bytes[side];
	d->pkts_recv += r->pkts[!side];
	d->bytes_recv += r->bytes[!side];

	const char *label = f->proto
		? f->proto
		: r->key.family == PL_FAMILY_L2 ? "l2" : "other";
	unsigned pi = proto_index(d, label);
	unsigned split = f->proto && f->std_port ? 0 : 1;
	d->protos[pi].flows[split]++;
	d->protos[pi].pkts[split] += pkts;
	d->protos[pi].bytes[split] += bytes;

	struct pl_dev_hour *h = hour_of(d, r->first_us);
	if (h) {
		h->bytes += bytes;
		h->by_proto[pi] += bytes;
	}

	char mac[18];
	pl_pkt_mac_str(r->mac[!side], mac);
	if (pl_vals_add(&d->peers, mac, 1, bytes, r->mac[!side]) == NULL &&
	    d->peers.len < PL_DEVICE_VALUES_MAX)
		t->no_memory++;

	if (own) {
		pl_device_addr(d, own, PL_DEV_SRC_TRAFFIC, r->last_us);
		/* ND messages come from the sender's own on-link address. */
		if (r->key.proto == 58 && side == 0 &&
		    r->key.port[o] >= 133 && r->key.port[o] <= 137)
			pl_device_addr(d, own, PL_DEV_SRC_NDP, r->last_us);
	}
	if (side == 0 && peer && (r->mac[1][0] & 1) == 0) {
		char addr[46], key[128];
		pl_addr_str(peer, addr, sizeof(addr));
		snprintf(key, sizeof(key), "%s|%s|%s|%u", addr, label,
			 transport_of(&r->key), r->key.port[!o]);
		pl_vals_add(&d->services, key, 1, bytes, r->mac[1]);
	}
}

int
pl_device_add_flow(struct pl_device_table *t, const struct pl_device_flow *f)
{
	const struct pl_flow_record *r = f->rec;
	uint64_t dropped = t->dropped, nomem = t->no_memory;
	bool ip = r->key.family != PL_FAMILY_L2;

	if (r->last_us > t->last_us)
		t->last_us = r->last_us;
	for (unsigned side = 0; side < 2; side++) {
		/* A responder that never answered is the peer the originator
		 * reached, not a device: only a sender's MAC is known to be
		 * its own. */
		if (r->pkts[side] == 0)
			continue;
		struct pl_device *d = pl_device_lookup(t, r->mac[side], true);
		if (d == NULL)
			continue;
		struct pl_addr own, peer;
		unsigned key_side = side == 0 ? r->orig_side : !r->orig_side;
		if (ip) {
			pl_addr_of_key(&r->key, key_side, &own);
			pl_addr_of_key(&r->key, !key_side, &peer);
			pl_device_note_global(d, &own);
			if (!pl_device_owns(d, &own))
				continue;
		}
		account_side(t, d, f, side, ip ? &own : NULL,
			     ip ? &peer : NULL);
	}
	if (t->dropped != dropped)
		return -ENOSPC;
	return t->no_memory != nomem ? -ENOMEM : 0;
}
