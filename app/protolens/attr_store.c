/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's store of attributes waiting for their flow's record: a worker
 * sends each message's attributes when it dissects them, and the record
 * only when the flow ends. Keyed by (worker, flow seq); a chained hash that
 * doubles when it is full, since the number of live flows with attributes
 * is bounded by the workers' tables, not known here. Each key side keeps
 * every message in arrival order in an array that doubles: most sides have
 * one message (a TCP head, a DNS query), a few have up to --udp-messages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protolens.h"

struct entry {
	struct entry *next;
	uint64_t key;
	struct pl_attr_list list[2]; /* by key side */
	unsigned cap[2];             /* elements list[side].v has room for */
};

struct pl_attr_store {
	struct entry **bucket;
	size_t mask;
	size_t count; /* entries: flows */
	size_t texts; /* messages, all flows and sides */
};

static inline uint64_t
key_of(unsigned worker, uint64_t seq)
{
	return seq * PL_MAX_WORKERS + worker;
}

static inline size_t
slot(const struct pl_attr_store *s, uint64_t key)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 32) & s->mask;
}

struct pl_attr_store *
pl_attr_store_create(void)
{
	struct pl_attr_store *s = calloc(1, sizeof(*s));
	if (s == NULL)
		return NULL;
	s->mask = 1023;
	s->bucket = calloc(s->mask + 1, sizeof(*s->bucket));
	if (s->bucket == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void
pl_attr_store_free(struct pl_attr_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i <= s->mask; i++) {
		for (struct entry *e = s->bucket[i], *n; e; e = n) {
			n = e->next;
			pl_attr_list_free(&e->list[0]);
			pl_attr_list_free(&e->list[1]);
			free(e);
		}
	}
	free(s->bucket);
	free(s);
}

static void
grow(struct pl_attr_store *s)
{
	size_t mask = s->mask * 2 + 1;
	struct entry **b = calloc(mask + 1, sizeof(*b));
	if (b == NULL)
		return; /* longer chains, still correct */
	struct pl_attr_store t = {.bucket = b, .mask = mask};
	for (size_t i = 0; i <= s->mask; i++) {
		for (struct entry *e = s->bucket[i], *n; e; e = n) {
			n = e->next;
			size_t j = slot(&t, e->key);
			e->next = b[j];
			b[j] = e;
		}
	}
	free(s->bucket);
	s->bucket = b;
	s->mask = mask;
}

/* Room for one more text on a side (below PL_ATTR_STORE_MAX_TEXTS);
 * false: no memory. */
static bool
reserve(struct entry *e, unsigned side)
{
	struct pl_attr_list *l = &e->list[side];
	if (l->n < e->cap[side])
		return true;
	unsigned cap = e->cap[side] ? e->cap[side] * 2 : 1;
	if (cap > PL_ATTR_STORE_MAX_TEXTS)
		cap = PL_ATTR_STORE_MAX_TEXTS;
	struct pl_attr_text *v = realloc(l->v, cap * sizeof(*v));
	if (v == NULL)
		return false;
	l->v = v;
	e->cap[side] = cap;
	return true;
}

int
pl_attr_store_put(struct pl_attr_store *s, unsigned worker,
		  const struct pl_attr_msg *msg)
{
	if (s == NULL)
		return -ENOMEM;
	uint64_t key = key_of(worker, msg->seq);
	struct entry *e = s->bucket[slot(s, key)];
	while (e && e->key != key)
		e = e->next;
	bool fresh = e == NULL;
	if (fresh) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		e->key = key;
	}
	unsigned side = msg->side & 1;
	int rc = e->list[side].n >= PL_ATTR_STORE_MAX_TEXTS ? -ENOSPC : 0;
	char *t = NULL;
	if (rc == 0 &&
	    (!reserve(e, side) || (t = malloc((size_t)msg->len + 1)) == NULL))
		rc = -ENOMEM;
	if (rc != 0) {
		if (fresh) {
			free(e->list[side].v);
			free(e);
		}
		return rc;
	}
	memcpy(t, msg->json, msg->len);
	t[msg->len] = '\0';
	struct pl_attr_text *x = &e->list[side].v[e->list[side].n++];
	*x = (struct pl_attr_text){.json = t, .ts_us = msg->ts_us,
				   .ttl = msg->ttl};
	memcpy(x->mac, msg->mac, sizeof(x->mac));
	s->texts++;
	if (fresh) {
		size_t i = slot(s, key);
		e->next = s->bucket[i];
		s->bucket[i] = e;
		if (++s->count > s->mask)
			grow(s);
	}
	return 0;
}

void
pl_attr_store_take(struct pl_attr_store *s, unsigned worker, uint64_t seq,
		   struct pl_attr_list out[2])
{
	out[0] = out[1] = (struct pl_attr_list){NULL, 0};
	if (s == NULL)
		return;
	uint64_t key = key_of(worker, seq);
	struct entry **pp = &s->bucket[slot(s, key)];
	while (*pp && (*pp)->key != key)
		pp = &(*pp)->next;
	if (*pp == NULL)
		return;
	struct entry *e = *pp;
	*pp = e->next;
	out[0] = e->list[0];
	out[1] = e->list[1];
	free(e);
	s->count--;
	s->texts -= out[0].n + out[1].n;
}

void
pl_attr_list_free(struct pl_attr_list *l)
{
	if (l == NULL)
		return;
	for (unsigned i = 0; i < l->n; i++)
		free(l->v[i].json);
	free(l->v);
	*l = (struct pl_attr_list){NULL, 0};
}

size_t
pl_attr_store_count(const struct pl_attr_store *s)
{
	return s ? s->texts : 0;
}
