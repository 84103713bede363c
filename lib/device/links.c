/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Randomised MACs of one device: locally administered MACs that share a
 * DHCP host name, a DHCP client id or a DHCP fingerprint (the parameter
 * request list with the vendor class) are linked, transitively, and each
 * link keeps the values that made it. Computed when the report is made:
 * the evidence grows as DHCP sessions are seen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"
#include "links.h"

struct claim {
	const char *kind;
	char *value;
	uint32_t dev;
};

static uint32_t
root(uint32_t *up, uint32_t i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

static int
by_value(const void *a, const void *b)
{
	const struct claim *x = a, *y = b;
	int c = strcmp(x->kind, y->kind);
	if (c == 0)
		c = strcmp(x->value, y->value);
	return c ? c : (x->dev > y->dev) - (x->dev < y->dev);
}

static int
add_claim(struct claim **c, size_t *n, size_t *cap, const char *kind,
	  const char *value, uint32_t dev)
{
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct claim *p = realloc(*c, nc * sizeof(*p));
		if (p == NULL)
			return -1;
		*c = p;
		*cap = nc;
	}
	char *v = strdup(value);
	if (v == NULL)
		return -1;
	(*c)[(*n)++] = (struct claim){kind, v, dev};
	return 0;
}

static int
claims_of(const struct pl_device *d, uint32_t dev, struct claim **c,
	  size_t *n, size_t *cap)
{
	static const struct {
		enum pl_dev_feature f;
		const char *kind;
	} direct[] = {
		{PL_DEV_F_DHCP_HOSTNAMES, "dhcp_hostname"},
		{PL_DEV_F_DHCP_CLIENT_IDS, "dhcp_client_id"},
	};
	for (size_t k = 0; k < sizeof(direct) / sizeof(direct[0]); k++) {
		const struct pl_vals *s = &d->feat[direct[k].f];
		for (uint32_t i = 0; i < s->len; i++)
			if (add_claim(c, n, cap, direct[k].kind, s->v[i].key,
				      dev) != 0)
				return -1;
	}
	const struct pl_vals *fp = &d->feat[PL_DEV_F_DHCP_FINGERPRINTS];
	const struct pl_vals *vc = &d->feat[PL_DEV_F_DHCP_VENDOR_CLASSES];
	for (uint32_t i = 0; i < fp->len; i++) {
		char buf[1400];
		snprintf(buf, sizeof(buf), "%s;%s", fp->v[i].key,
			 vc->len ? vc->v[0].key : "");
		if (add_claim(c, n, cap, "dhcp_fingerprint", buf, dev) != 0)
			return -1;
	}
	return 0;
}

void
pl_links_free(struct pl_links *l)
{
	for (size_t i = 0; i < l->nb_evidence; i++)
		free(l->evidence[i].value);
	free(l->evidence);
	free(l->group);
	*l = (struct pl_links){0};
}

int
pl_links_compute(const struct pl_device_table *t, struct pl_links *out)
{
	uint32_t n = t->count;
	struct claim *c = NULL;
	size_t nc = 0, cap = 0;
	int rc = -1;

	*out = (struct pl_links){0};
	uint32_t *up = malloc((n + 1) * sizeof(*up));
	out->group = malloc((n + 1) * sizeof(*out->group));
	if (up == NULL || out->group == NULL)
		goto done;
	for (uint32_t i = 0; i < n; i++) {
		up[i] = i;
		if (pl_mac_is_local(t->list[i]->mac) &&
		    claims_of(t->list[i], i, &c, &nc, &cap) != 0)
			goto done;
	}
	if (nc > 0)
		qsort(c, nc, sizeof(*c), by_value);
	/* Each value claimed by two devices or more links them. */
	for (size_t i = 0, j; i < nc; i = j) {
		for (j = i + 1; j < nc && strcmp(c[j].kind, c[i].kind) == 0 &&
				strcmp(c[j].value, c[i].value) == 0;
		     j++)
			up[root(up, c[j].dev)] = root(up, c[i].dev);
		if (j - i < 2)
			continue;
		struct pl_link_evidence *e = realloc(
			out->evidence, (out->nb_evidence + 1) * sizeof(*e));
		if (e == NULL)
			goto done;
		out->evidence = e;
		e[out->nb_evidence++] = (struct pl_link_evidence){
			.kind = c[i].kind, .value = c[i].value,
			.dev = c[i].dev, .devices = (uint32_t)(j - i)};
		c[i].value = NULL; /* now the evidence's */
	}
	/* Groups of two or more, numbered in order of their first device. */
	uint32_t *size = calloc(n + 1, sizeof(*size));
	uint32_t *num = malloc((n + 1) * sizeof(*num));
	if (size == NULL || num == NULL) {
		free(size);
		free(num);
		goto done;
	}
	for (uint32_t i = 0; i < n; i++) {
		size[root(up, i)]++;
		num[i] = UINT32_MAX;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t r = root(up, i);
		if (size[r] < 2) {
			out->group[i] = UINT32_MAX;
			continue;
		}
		if (num[r] == UINT32_MAX)
			num[r] = out->nb_groups++;
		out->group[i] = num[r];
	}
	for (size_t i = 0; i < out->nb_evidence; i++)
		out->evidence[i].group = out->group[out->evidence[i].dev];
	free(size);
	free(num);
	rc = 0;
done:
	for (size_t i = 0; i < nc; i++)
		free(c[i].value);
	free(c);
	free(up);
	if (rc != 0)
		pl_links_free(out);
	return rc;
}
