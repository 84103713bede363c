/* SPDX-License-Identifier: BSD-3-Clause */
/* Counted values of a device: a small array searched by hash, since a set
 * holds at most PL_DEVICE_VALUES_MAX values and is touched once per
 * message on the control lcore. */
#include <stdlib.h>
#include <string.h>

#include "device-internal.h"

static uint32_t
hash_of(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 16777619u;
	return h;
}

static struct pl_val *
find(const struct pl_vals *s, const char *key, uint32_t h)
{
	for (uint32_t i = 0; i < s->len; i++)
		if (s->v[i].hash == h && strcmp(s->v[i].key, key) == 0)
			return &s->v[i];
	return NULL;
}

const struct pl_val *
pl_vals_find(const struct pl_vals *s, const char *key)
{
	return find(s, key, hash_of(key));
}

struct pl_val *
pl_vals_add(struct pl_vals *s, const char *key, uint64_t n, uint64_t bytes,
	    const uint8_t *mac)
{
	uint32_t h = hash_of(key);
	struct pl_val *v = find(s, key, h);
	if (v == NULL) {
		if (s->len == PL_DEVICE_VALUES_MAX) {
			s->other += n;
			return NULL;
		}
		if (s->len == s->cap) {
			uint32_t cap = s->cap ? s->cap * 2 : 4;
			struct pl_val *nv = realloc(s->v, cap * sizeof(*nv));
			if (nv == NULL)
				return NULL;
			s->v = nv;
			s->cap = cap;
		}
		char *k = strdup(key);
		if (k == NULL)
			return NULL;
		v = &s->v[s->len++];
		*v = (struct pl_val){.key = k, .hash = h};
		if (mac)
			memcpy(v->mac, mac, 6);
	}
	v->n += n;
	v->bytes += bytes;
	return v;
}

void
pl_vals_free(struct pl_vals *s)
{
	for (uint32_t i = 0; i < s->len; i++)
		free(s->v[i].key);
	free(s->v);
	*s = (struct pl_vals){0};
}

static int
by_count(const void *a, const void *b)
{
	const struct pl_val *x = *(const struct pl_val *const *)a;
	const struct pl_val *y = *(const struct pl_val *const *)b;
	if (x->n != y->n)
		return x->n < y->n ? 1 : -1;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return strcmp(x->key, y->key);
}

const struct pl_val **
pl_vals_sorted(const struct pl_vals *s)
{
	const struct pl_val **p = malloc((s->len + 1) * sizeof(*p));
	if (p == NULL)
		return NULL;
	for (uint32_t i = 0; i < s->len; i++)
		p[i] = &s->v[i];
	qsort(p, s->len, sizeof(*p), by_count);
	return p;
}

json_t *
pl_vals_json(const struct pl_vals *s, unsigned top)
{
	json_t *a = json_array();
	const struct pl_val **p = pl_vals_sorted(s);
	if (a == NULL || p == NULL) {
		free(p);
		json_decref(a);
		return NULL;
	}
	uint32_t n = top && top < s->len ? top : s->len;
	for (uint32_t i = 0; i < n; i++)
		json_array_append_new(
			a, json_pack("{s:s,s:I}", "value", p[i]->key, "count",
				     (json_int_t)p[i]->n));
	free(p);
	return a;
}
