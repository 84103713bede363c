/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control's store of attributes waiting for their flow's record: a worker
 * sends a direction's attributes when it dissects them, and the record only
 * when the flow ends. Keyed by (worker, flow seq); a chained hash that
 * doubles when it is full, since the number of live flows with attributes
 * is bounded by the workers' tables, not known here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "protolens.h"

struct entry {
	struct entry *next;
	uint64_t key;
	char *text[2]; /* by key side */
};

struct pl_attr_store {
	struct entry **bucket;
	size_t mask;
	size_t count;
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
			free(e->text[0]);
			free(e->text[1]);
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
	if (e == NULL) {
		e = calloc(1, sizeof(*e));
		if (e == NULL)
			return -ENOMEM;
		e->key = key;
		size_t i = slot(s, key);
		e->next = s->bucket[i];
		s->bucket[i] = e;
		if (++s->count > s->mask)
			grow(s);
	}
	unsigned side = msg->side & 1;
	char *t = malloc((size_t)msg->len + 1);
	if (t == NULL)
		return -ENOMEM;
	memcpy(t, msg->json, msg->len);
	t[msg->len] = '\0';
	free(e->text[side]);
	e->text[side] = t;
	return 0;
}

void
pl_attr_store_take(struct pl_attr_store *s, unsigned worker, uint64_t seq,
		   char *text[2])
{
	text[0] = text[1] = NULL;
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
	text[0] = e->text[0];
	text[1] = e->text[1];
	free(e);
	s->count--;
}

size_t
pl_attr_store_count(const struct pl_attr_store *s)
{
	return s ? s->count : 0;
}
