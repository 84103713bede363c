/* SPDX-License-Identifier: BSD-3-Clause */
/* The device table: devices by MAC in an open-addressing table sized at
 * creation for the bound, so it never grows or rehashes while running. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"

struct pl_device_table *
pl_device_table_create(const struct pl_device_config *c)
{
	if (c == NULL || c->max_devices == 0) {
		errno = EINVAL;
		return NULL;
	}
	struct pl_device_table *t = calloc(1, sizeof(*t));
	if (t == NULL)
		return NULL;
	t->cfg = *c;
	uint32_t size = 16;
	while (size < 2 * (uint64_t)c->max_devices)
		size *= 2;
	t->mask = size - 1;
	t->slot = calloc(size, sizeof(*t->slot));
	t->list = calloc(c->max_devices, sizeof(*t->list));
	if (t->slot == NULL || t->list == NULL) {
		pl_device_table_free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

static void
device_free(struct pl_device *d)
{
	pl_vals_free(&d->peers);
	pl_vals_free(&d->services);
	pl_vals_free(&d->answers);
	pl_vals_free(&d->names);
	for (int i = 0; i < PL_DEV_F_MAX; i++)
		pl_vals_free(&d->feat[i]);
	free(d->hours);
	for (unsigned i = 0; i < d->nb_findings; i++) {
		free(d->findings[i].proto);
		free(d->findings[i].rule);
		free(d->findings[i].severity);
		free(d->findings[i].value);
	}
	free(d->findings);
	for (unsigned i = 0; i < d->nb_polls; i++)
		free(d->polls[i].key);
	free(d);
}

void
pl_device_poll(struct pl_device *d, const char *key, uint64_t ts_us,
	       const char *uid)
{
	struct pl_dev_poll *p = NULL;
	for (unsigned i = 0; i < d->nb_polls; i++)
		if (strcmp(d->polls[i].key, key) == 0)
			p = &d->polls[i];
	if (p == NULL) {
		if (d->nb_polls == PL_DEV_POLLS_MAX)
			return;
		p = &d->polls[d->nb_polls];
		*p = (struct pl_dev_poll){.key = strdup(key), .first_us = ts_us};
		if (p->key == NULL)
			return;
		d->nb_polls++;
	} else if (ts_us > p->last_us) {
		double dt = (double)(ts_us - p->last_us) / 1e6;
		double delta = dt - p->mean_s;
		p->intervals++;
		p->mean_s += delta / (double)p->intervals;
		p->m2 += delta * (dt - p->mean_s);
	}
	if (ts_us > p->last_us)
		p->last_us = ts_us;
	if (uid)
		snprintf(p->uids[p->n % PL_DEV_POLL_UIDS], sizeof(p->uids[0]),
			 "%s", uid);
	p->n++;
}

void
pl_device_table_free(struct pl_device_table *t)
{
	if (t == NULL)
		return;
	for (uint32_t i = 0; i < t->count; i++)
		device_free(t->list[i]);
	free(t->list);
	free(t->slot);
	free(t);
}

size_t
pl_device_count(const struct pl_device_table *t)
{
	return t->count;
}

uint64_t
pl_device_dropped(const struct pl_device_table *t)
{
	return t->dropped;
}

static uint32_t
mac_hash(const uint8_t m[6])
{
	uint64_t v = 0;
	memcpy(&v, m, 6);
	v *= 0x9e3779b97f4a7c15ULL;
	return (uint32_t)(v >> 32);
}

struct pl_device *
pl_device_lookup(struct pl_device_table *t, const uint8_t mac[6], bool create)
{
	static const uint8_t zero[6];
	if ((mac[0] & 1) || memcmp(mac, zero, 6) == 0)
		return NULL;
	for (uint32_t i = mac_hash(mac) & t->mask;; i = (i + 1) & t->mask) {
		struct pl_device *d = t->slot[i];
		if (d && memcmp(d->mac, mac, 6) == 0)
			return d;
		if (d)
			continue;
		if (!create)
			return NULL;
		if (t->count == t->cfg.max_devices) {
			t->dropped++;
			return NULL;
		}
		d = calloc(1, sizeof(*d));
		if (d == NULL) {
			t->no_memory++;
			return NULL;
		}
		memcpy(d->mac, mac, 6);
		d->first_us = UINT64_MAX;
		t->slot[i] = d;
		t->list[t->count++] = d;
		return d;
	}
}

void
pl_device_addr(struct pl_device *d, const struct pl_addr *a, uint8_t source,
	       uint64_t ts_us)
{
	if (pl_addr_is_nobody(a))
		return;
	for (unsigned i = 0; i < d->nb_addrs; i++) {
		struct pl_dev_addr *e = &d->addrs[i];
		if (e->a.family == a->family && memcmp(e->a.a, a->a, 16) == 0) {
			e->sources |= source;
			if (ts_us < e->first_us)
				e->first_us = ts_us;
			if (ts_us > e->last_us)
				e->last_us = ts_us;
			return;
		}
	}
	if (d->nb_addrs == PL_DEVICE_ADDRS_MAX) {
		d->addrs_dropped++;
		return;
	}
	d->addrs[d->nb_addrs++] = (struct pl_dev_addr){
		.a = *a, .sources = source, .first_us = ts_us, .last_us = ts_us};
}

double
pl_device_global_estimate(const struct pl_device *d)
{
	const unsigned m = sizeof(d->global_bits) * 8;
	unsigned set = 0;
	for (size_t i = 0; i < sizeof(d->global_bits) / 8; i++)
		set += (unsigned)__builtin_popcountll(d->global_bits[i]);
	if (set == m)
		return m * log((double)m); /* saturated: a lower bound */
	return -(double)m * log((double)(m - set) / m);
}

int
pl_device_mac_parse(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char sep[5], end;
	if (s == NULL ||
	    sscanf(s, "%2x%c%2x%c%2x%c%2x%c%2x%c%2x%c", &v[0], &sep[0], &v[1],
		   &sep[1], &v[2], &sep[2], &v[3], &sep[3], &v[4], &sep[4],
		   &v[5], &end) != 11 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 5; i++)
		if (sep[i] != sep[0] || (sep[0] != ':' && sep[0] != '-'))
			return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

int
pl_device_add_finding(struct pl_device_table *t, const struct pl_flow_record *r,
		      unsigned side, const char *proto, const char *rule,
		      const char *severity, const char *value, const char *uid)
{
	/* A side that sent nothing in this flow (a one-way capture) may still
	 * be a device that sent elsewhere. */
	struct pl_device *d = pl_device_lookup(t, r->mac[side], false);
	if (d == NULL)
		return -ENOENT;
	if (r->key.family != PL_FAMILY_L2) {
		struct pl_addr a;
		pl_addr_of_key(&r->key, side == 0 ? r->orig_side : !r->orig_side,
			       &a);
		if (!pl_device_owns(d, &a))
			return -ENOENT;
	}
	uint64_t ts_us = r->first_us;
	struct pl_dev_finding *f = NULL;
	for (unsigned i = 0; i < d->nb_findings; i++)
		if (strcmp(d->findings[i].rule, rule) == 0)
			f = &d->findings[i];
	if (f == NULL) {
		struct pl_dev_finding *n = realloc(
			d->findings, (d->nb_findings + 1) * sizeof(*n));
		if (n == NULL)
			return -ENOMEM;
		d->findings = n;
		f = &n[d->nb_findings];
		*f = (struct pl_dev_finding){
			.proto = strdup(proto ? proto : ""),
			.rule = strdup(rule),
			.severity = strdup(severity ? severity : ""),
			.value = strdup(value ? value : ""),
			.first_us = ts_us, .last_us = ts_us};
		if (!f->proto || !f->rule || !f->severity || !f->value) {
			free(f->proto);
			free(f->rule);
			free(f->severity);
			free(f->value);
			return -ENOMEM;
		}
		d->nb_findings++;
	}
	if (f->count < PL_DEV_FINDING_UIDS && uid)
		snprintf(f->uids[f->count], sizeof(f->uids[0]), "%s", uid);
	f->count++;
	if (ts_us < f->first_us)
		f->first_us = ts_us;
	if (ts_us > f->last_us)
		f->last_us = ts_us;
	return 0;
}
