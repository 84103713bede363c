/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow table: an rte_hash whose key positions index a flat array of flow
 * states, so the table is also the preallocated flow pool. The hash is the
 * one the RX lcore computed (pl_pkt_key_hash), passed in with every call.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_malloc.h>
#include <rte_prefetch.h>

#include "flow.h"

_Static_assert(sizeof(struct pl_flow) <= 128, "flow state over 128 bytes");
_Static_assert(sizeof(struct pl_flow_key) == 40, "flow key has padding");
_Static_assert(PL_FLOW_BULK_MAX <= RTE_HASH_LOOKUP_BULK_MAX, "bulk size");

#define DEDUP_SLOTS 64 /* twice a burst: few collisions */

struct pl_flow_table {
	struct rte_hash *h;
	struct pl_flow *flows;
	uint32_t capacity;
	uint32_t new_reach; /* payload bytes of a new flow to prefetch */
	uint64_t memory;
};

static const char *const end_names[PL_FLOW_END_MAX] = {
#define PL_X(e, s) [PL_FLOW_END_##e] = s,
	PL_FLOW_END_REASONS(PL_X)
#undef PL_X
};

const char *
pl_flow_end_name(enum pl_flow_end e)
{
	return (unsigned)e < PL_FLOW_END_MAX ? end_names[e] : "unknown";
}

static uint32_t
key_hash(const void *key, uint32_t len, uint32_t seed)
{
	(void)len;
	return pl_pkt_key_hash(key, seed);
}

/* rte_hash has vector compares for multiples of 16 bytes only; for 40 it
 * called memcmp. */
static int
key_differs(const void *a, const void *b, size_t len)
{
	(void)len;
	return !pl_pkt_key_equal(a, b);
}

struct pl_flow_table *
pl_flow_table_create(const char *name, uint32_t capacity, int socket)
{
	struct rte_malloc_socket_stats before, after;
	if (capacity < 8 || capacity > (1U << 30)) {
		rte_errno = EINVAL;
		return NULL;
	}
	int sock = socket < 0 ? 0 : socket;
	rte_malloc_get_socket_stats(sock, &before);

	struct pl_flow_table *t =
		rte_zmalloc_socket(name, sizeof(*t), RTE_CACHE_LINE_SIZE, socket);
	if (t == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	/* The extendable table guarantees `capacity` keys fit whatever the
	 * bucket collisions; without it inserts can fail well before. */
	struct rte_hash_parameters p = {
		.name = name,
		.entries = capacity,
		.key_len = sizeof(struct pl_flow_key),
		.hash_func = key_hash,
		.hash_func_init_val = 0,
		.socket_id = socket,
		.extra_flag = RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
	};
	t->h = rte_hash_create(&p);
	if (t->h == NULL)
		goto fail;
	rte_hash_set_cmp_func(t->h, key_differs);
	/* Key positions run from 0 to entries - 1. */
	t->capacity = (uint32_t)rte_hash_max_key_id(t->h);
	t->flows = rte_zmalloc_socket("pl_flows",
				      sizeof(struct pl_flow) * t->capacity,
				      RTE_CACHE_LINE_SIZE, socket);
	if (t->flows == NULL)
		goto fail;
	rte_malloc_get_socket_stats(sock, &after);
	t->memory = after.heap_allocsz_bytes - before.heap_allocsz_bytes;
	return t;
fail:
	pl_flow_table_free(t);
	rte_errno = ENOMEM;
	return NULL;
}

void
pl_flow_table_free(struct pl_flow_table *t)
{
	if (t == NULL)
		return;
	rte_hash_free(t->h);
	rte_free(t->flows);
	rte_free(t);
}

uint32_t
pl_flow_table_capacity(const struct pl_flow_table *t)
{
	return t->capacity;
}

uint32_t
pl_flow_table_count(const struct pl_flow_table *t)
{
	return (uint32_t)rte_hash_count(t->h);
}

uint64_t
pl_flow_table_memory(const struct pl_flow_table *t)
{
	return t->memory;
}

unsigned
pl_flow_table_lookup_bulk(struct pl_flow_table *t,
			  const struct pl_pkt_meta *const *metas, unsigned n,
			  uint32_t *idx, uint64_t *is_new)
{
	const void *keys[PL_FLOW_BULK_MAX];
	hash_sig_t sigs[PL_FLOW_BULK_MAX];
	int32_t pos[PL_FLOW_BULK_MAX];
	uint8_t slot[PL_FLOW_BULK_MAX]; /* packet -> unique key */
	uint8_t recent[DEDUP_SLOTS];    /* by hash: the last unique key */
	uint64_t created = 0;           /* unique keys added by this call */
	unsigned u = 0, full = 0;

	/* A burst is mostly a few flows, interleaved (lockly-hub-01: 4.9
	 * flows but 31 runs per 32 packets): look each flow's key up once.
	 * An earlier packet of the flow is found by its hash in `recent`; a
	 * collision costs a lookup, never a wrong flow. */
	*is_new = 0;
	memset(recent, UINT8_MAX, sizeof(recent));
	for (unsigned i = 0; i < n; i++) {
		const struct pl_pkt_meta *m = metas[i];
		unsigned r = m->hash % DEDUP_SLOTS, k = recent[r];
		if (k != UINT8_MAX && sigs[k] == m->hash &&
		    pl_pkt_key_equal(keys[k], &m->key)) {
			slot[i] = (uint8_t)k;
			continue;
		}
		recent[r] = (uint8_t)u;
		keys[u] = &m->key;
		sigs[u] = m->hash;
		slot[i] = (uint8_t)u++;
	}
	rte_hash_lookup_with_hash_bulk(t->h, keys, sigs, u, pos);
	/* A new flow's first payload is inspected next: its lines come
	 * from the RX core while the flow is added (schlage-lock-01 x100:
	 * detection 324 -> 256 cycles per payload, medians of 6; every one
	 * is a new UDP flow's first datagram). */
	for (unsigned k = 0; k < u && t->new_reach; k++) {
		const struct pl_pkt_meta *m =
			container_of(keys[k], const struct pl_pkt_meta, key);
		if (pos[k] >= 0)
			continue;
		const uint8_t *p = m->frame + m->payload_off;
		uint32_t reach = RTE_MIN((uint32_t)m->payload_cap, t->new_reach);
		for (uint32_t o = 0; o < reach; o += RTE_CACHE_LINE_SIZE)
			rte_prefetch0(p + o);
		if (reach > 0)
			rte_prefetch0(p + reach - 1);
	}
	for (unsigned k = 0; k < u; k++) {
		if (pos[k] >= 0) {
			rte_prefetch0(&t->flows[pos[k]]);
			continue;
		}
		/* Adding an existing key returns its position, so a flow
		 * created earlier in this burst is found here too. */
		pos[k] = rte_hash_add_key_with_hash(t->h, keys[k], sigs[k]);
		if (pos[k] >= 0 && !t->flows[pos[k]].in_use) {
			t->flows[pos[k]] = (struct pl_flow){.in_use = 1};
			created |= 1ULL << k;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		unsigned k = slot[i];
		if (pos[k] < 0) {
			idx[i] = UINT32_MAX;
			full++;
			continue;
		}
		idx[i] = (uint32_t)pos[k];
		/* Only the first packet of a new flow initialises it. */
		if (created & (1ULL << k)) {
			*is_new |= 1ULL << i;
			created &= ~(1ULL << k);
		}
	}
	return full;
}

void
pl_flow_table_prefetch_new(struct pl_flow_table *t, uint32_t bytes)
{
	t->new_reach = bytes;
}

struct pl_flow *
pl_flow_table_flow(struct pl_flow_table *t, uint32_t idx)
{
	return &t->flows[idx];
}

int
pl_flow_table_key(const struct pl_flow_table *t, uint32_t idx,
		  struct pl_flow_key *key)
{
	void *k;
	if (idx >= t->capacity || !t->flows[idx].in_use ||
	    rte_hash_get_key_with_position(t->h, (int32_t)idx, &k) < 0)
		return -ENOENT;
	memcpy(key, k, sizeof(*key));
	return 0;
}

int
pl_flow_table_remove(struct pl_flow_table *t, uint32_t idx)
{
	struct pl_flow_key key;
	if (pl_flow_table_key(t, idx, &key) < 0)
		return -ENOENT;
	/* The RX lcore's hash, recomputed: not worth 4 bytes of flow state. */
	int32_t r = rte_hash_del_key_with_hash(t->h, &key,
					       pl_pkt_key_hash(&key, 0));
	if (r < 0)
		return r;
	t->flows[idx].in_use = 0;
	return 0;
}

void
pl_flow_record_fill(struct pl_flow_record *r, const struct pl_flow_key *k,
		    const struct pl_flow *f, enum pl_flow_end end,
		    unsigned worker)
{
	unsigned o = f->orig_side, p = !o;
	memset(r, 0, sizeof(*r));
	r->key = *k;
	r->first_us = f->first_us;
	r->last_us = f->last_us;
	r->pkts[0] = f->pkts[o];
	r->pkts[1] = f->pkts[p];
	r->bytes[0] = f->bytes[o];
	r->bytes[1] = f->bytes[p];
	r->payload[0] = f->payload[o];
	r->payload[1] = f->payload[p];
	r->seq = f->seq;
	memcpy(r->mac[0], f->mac[o], 6);
	memcpy(r->mac[1], f->mac[p], 6);
	r->vlan[0] = f->vlan[o];
	r->vlan[1] = f->vlan[p];
	r->tcp_flags[0] = f->tcp_flags[o];
	r->tcp_flags[1] = f->tcp_flags[p];
	r->orig_side = (uint8_t)o;
	r->end = (uint8_t)end;
	r->pkt_flags = f->pkt_flags;
	r->worker = (uint8_t)worker;
	r->app = f->app;
	r->also = f->also;
	r->head_lost[0] = f->head_step[o] == PL_HEAD_LOST;
	r->head_lost[1] = f->head_step[p] == PL_HEAD_LOST;
	if (f->app) {
		unsigned m = f->app - 1u;
		r->matched = (uint8_t)((f->req_seen >> m & 1) |
				       (f->resp_seen >> m & 1) << 1);
	}
}
