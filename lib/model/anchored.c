/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The anchored automata: all anchored patterns of the models one class of
 * IP protocols allows (TCP's, UDP's) matched in one pass, as in a
 * bit-parallel (shift-and) matcher whose patterns all start at known
 * offsets. With one for all protocols, DHCP, NTP and SSDP took 12 of the
 * 32 slots and HTTP's methods after CONNECT had none (a scan each).
 * Testing each pattern alone cost one mispredicted exit per pattern and a
 * cache line per byte set: on the IoT traces that was most of detection's
 * cost. Here a payload costs one table line per offset tested, and the
 * loop stops when no live pattern has an offset left to test. The offsets
 * are laid out so that payloads of other protocols stop after a few and
 * those of short patterns are not walked through long ones (place_of): in
 * offset order, a DHCP message walked all 34 offsets of the NetBIOS name
 * pattern (DNS, at 12..45) on its way to its magic cookie at 236; most
 * selective first, 21 of them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"

/* Whether two matchers' slots would be the same. */
static bool
same_slot(const struct pl_matcher *x, const struct pl_matcher *y)
{
	const struct pl_bytes_pattern *a = &x->bytes, *b = &y->bytes;
	return a->index == b->index && a->len == b->len &&
	       memcmp(a->sets, b->sets, a->len * sizeof(a->sets[0])) == 0 &&
	       x->end_anchored == y->end_anchored &&
	       (!x->end_anchored ||
		memcmp(&x->lengths, &y->lengths, sizeof(x->lengths)) == 0);
}

/* Whether a payload of len bytes (PL_ANCH_MAX_END: that or more) can hold
 * the slot's match. */
static bool
fits_len(const struct pl_matcher *mt, uint32_t len)
{
	if (mt->end_anchored)
		return mt->lengths.w[len / 64] >> (len % 64) & 1;
	return (uint32_t)mt->bytes.index + mt->bytes.len <= len;
}

/* Whether the automaton can take p: anchored, short enough, non-empty. */
static bool
fits_automaton(const struct pl_bytes_pattern *p)
{
	return p->index >= 0 && p->len > 0 &&
	       (uint32_t)p->index + p->len <= PL_ANCH_MAX_END;
}

/* Offsets p constrains that are not marked yet. */
static unsigned
new_offsets(const struct pl_bytes_pattern *p, const bool *marked)
{
	unsigned n = 0;
	for (uint32_t i = 0; i < p->len; i++)
		n += !pl_byteset_full(&p->sets[i]) && !marked[p->index + i];
	return n;
}

/* An offset, where it goes (place_of), how many (slot, byte value) pairs
 * its table rejects, and its table. */
struct rank {
	uint32_t off;
	uint64_t place;
	unsigned rejected;
	const uint32_t *table;
};

static int
by_place(const void *x, const void *y)
{
	const struct rank *a = x, *b = y;
	if (a->place != b->place)
		return a->place < b->place ? -1 : 1;
	if (a->rejected != b->rejected)
		return a->rejected > b->rejected ? -1 : 1;
	return a->off < b->off ? -1 : a->off > b->off;
}

/* Bytes p rejects at off (0 outside it). */
static unsigned
rejects(const struct pl_bytes_pattern *p, uint32_t off)
{
	if (off < (uint32_t)p->index || off >= (uint32_t)p->index + p->len)
		return 0;
	const struct pl_byteset *set = &p->sets[off - p->index];
	unsigned have = 0;
	for (unsigned w = 0; w < 4; w++)
		have += (unsigned)__builtin_popcountll(set->w[w]);
	return 256 - have;
}

/* How much a test at off rules out, for ordering: the byte values p
 * rejects there, and those that reject 0 first, because zeros are what
 * binary payloads hold most (an SNTP client packet is zeros but for its
 * first byte and its timestamp). */
static unsigned
selectivity(const struct pl_bytes_pattern *p, uint32_t off)
{
	unsigned r = rejects(p, off);
	return r && !pl_byteset_has(&p->sets[off - p->index], 0) ? r + 256 : r;
}

/* Where off goes, as a sort key: first the most rejecting offset of every
 * long slot (more than two groups of offsets; key 0), which ends most
 * payloads of other protocols before they walk it; then the others slot
 * by slot, the slots with fewest offsets first, each slot's most rejecting
 * first (key: 1, count, slot, place). A payload walks until the last
 * offset of the patterns it matches, so shortest first shortens the
 * average walk: a DHCP message went from 7 groups to 3 (lockly-hub-01:
 * 6.0 groups per UDP payload to 3.1). An offset several slots constrain
 * takes the least of their keys. */
static uint64_t
place_of(uint32_t off, const struct pl_bytes_pattern *const *slot,
	 unsigned nb_slots)
{
	uint64_t best = UINT64_MAX;
	for (unsigned j = 0; j < nb_slots; j++) {
		const struct pl_bytes_pattern *p = slot[j];
		unsigned r = selectivity(p, off);
		if (r == 0)
			continue;
		unsigned place = 0, count = 0;
		for (uint32_t i = 0; i < p->len; i++) {
			unsigned q = selectivity(p, (uint32_t)p->index + i);
			count += q > 0;
			place += q > r || (q == r && (uint32_t)p->index + i < off);
		}
		uint64_t key = place == 0 && count > 2 * PL_ANCH_GROUP ? 0
					  : 1ULL << 40 | (uint64_t)count << 20 |
						    (uint64_t)j << 10 | place;
		if (key < best)
			best = key;
	}
	return best;
}

/* Table t of offset off: for each byte, the slots it does not exclude. */
static void
build_table(uint32_t *t, uint32_t off, uint32_t all,
	    const struct pl_bytes_pattern *const *slot, unsigned nb_slots)
{
	for (unsigned b = 0; b < 256; b++)
		t[b] = all;
	for (unsigned j = 0; j < nb_slots; j++) {
		const struct pl_bytes_pattern *p = slot[j];
		if (off < (uint32_t)p->index || off >= (uint32_t)p->index + p->len)
			continue;
		const struct pl_byteset *set = &p->sets[off - p->index];
		for (unsigned b = 0; b < 256; b++)
			if (!pl_byteset_has(set, (uint8_t)b))
				t[b] &= ~(1U << j);
	}
}

/* Lay out the steps most selective first, in groups of PL_ANCH_GROUP (the
 * last one padded with table 0, which excludes nothing), each pointing at
 * one of the distinct tables, and the slots pending at each: those
 * constraining it or a later step. */
static int
lay_out(struct pl_anchored *a, struct rank *order, unsigned n,
	const struct pl_bytes_pattern *const *slot, unsigned nb_slots)
{
	a->table = malloc((n + 1) * sizeof(a->table[0]));
	if (a->table == NULL)
		return -ENOMEM;
	for (unsigned b = 0; b < 256; b++)
		a->table[0][b] = a->all;
	unsigned nb_tables = 1;
	qsort(order, n, sizeof(order[0]), by_place);
	for (unsigned k = 0; k < n; k++) {
		unsigned t = 0;
		while (t < nb_tables &&
		       memcmp(a->table[t], order[k].table, sizeof(a->table[0])))
			t++;
		if (t == nb_tables)
			memcpy(a->table[nb_tables++], order[k].table,
			       sizeof(a->table[0]));
		a->steps[k] = (struct pl_anch_step){.off = (uint16_t)order[k].off,
						    .table = (uint16_t)t};
	}
	a->nb_steps = (n + PL_ANCH_GROUP - 1) / PL_ANCH_GROUP * PL_ANCH_GROUP;
	uint32_t later = 0;
	for (unsigned k = n; k-- > 0;) {
		uint32_t off = a->steps[k].off;
		for (unsigned j = 0; j < nb_slots; j++) {
			if (rejects(slot[j], off))
				later |= 1U << j;
		}
		a->steps[k].pending = later;
	}
	void *t = realloc(a->table, nb_tables * sizeof(a->table[0]));
	if (t)
		a->table = t;
	return 0;
}

/* The slots being laid out: their matchers and patterns, the offsets
 * they constrain (marked) and how many, and where the last one ends. */
struct slots {
	const struct pl_matcher *mt[PL_ANCH_SLOTS];
	const struct pl_bytes_pattern *p[PL_ANCH_SLOTS];
	unsigned n, nb_offsets;
	bool *marked;
	uint32_t max_end;
};

/* The slot of mt: an identical one's, or a new one while there is room.
 * @return it, or PL_ANCH_SLOTS if mt is left out. */
static unsigned
slot_of(struct slots *sl, const struct pl_matcher *mt)
{
	const struct pl_bytes_pattern *p = &mt->bytes;
	unsigned j = 0;
	if (!fits_automaton(p))
		return PL_ANCH_SLOTS;
	while (j < sl->n && !same_slot(sl->mt[j], mt))
		j++;
	if (j < sl->n)
		return j;
	unsigned more = new_offsets(p, sl->marked);
	if (sl->n == PL_ANCH_SLOTS || sl->nb_offsets + more > PL_ANCH_MAX_STEPS)
		return PL_ANCH_SLOTS;
	sl->nb_offsets += more;
	sl->mt[sl->n] = mt;
	sl->p[sl->n++] = p;
	for (uint32_t k = 0; k < p->len; k++)
		if (!pl_byteset_full(&p->sets[k]))
			sl->marked[p->index + k] = true;
	uint32_t end = (uint32_t)p->index + p->len;
	if (end > sl->max_end)
		sl->max_end = end;
	return j;
}

/* Class c's automaton, from the matchers of its models. */
static int
build_class(const struct pl_model_set *s, struct pl_model_class *c)
{
	struct pl_anchored *a = &c->anch;
	struct slots sl = {.n = 0};
	unsigned n = 0, rank = 0;
	sl.marked = calloc(PL_ANCH_MAX_END, sizeof(*sl.marked));
	if (sl.marked == NULL)
		return -ENOMEM;

	for (unsigned i = 0; i < s->nb_matchers; i++) {
		const struct pl_matcher *mt = &s->matchers[i];
		if (!(c->models >> mt->model & 1))
			continue;
		unsigned j = slot_of(&sl, mt);
		if (j == PL_ANCH_SLOTS) {
			if (mt->kind == MATCHER_REGEX) {
				c->regex_any |= 1U << mt->model;
				c->regex_rest[mt->model].w[i >> 6] |=
					1ULL << (i & 63);
			}
			continue;
		}
		a->model_slots[mt->model] |= 1U << j;
		if (mt->kind == MATCHER_REGEX && !mt->exact) {
			a->regex |= 1U << j;
			a->slot_regex[j].w[i >> 6] |= 1ULL << (i & 63);
		} else {
			a->slot_bits[j].w[i >> 6] |= 1ULL << (i & 63);
			a->slot_hits[j] |= 1U << mt->model;
		}
	}
	/* Branches last: they only spare scans, and take the room that is
	 * left, the first branch of every regex before the second of any
	 * (a regex's alternatives come most common first, as HTTP's GET). */
	for (bool more = true; more;) {
		more = false;
		/* r: the branch's place among its regex's (they are stored
		 * together); rank: the place taken this round. */
		for (unsigned k = 0, r = 0; k < s->nb_branches; k++, r++) {
			const struct pl_matcher *mt = &s->branches[k];
			unsigned i = s->branch_of[k], j;
			if (k > 0 && s->branch_of[k - 1] != i)
				r = 0;
			if (r != rank)
				continue;
			more = true;
			if (!(c->models >> mt->model & 1))
				continue;
			if ((j = slot_of(&sl, mt)) == PL_ANCH_SLOTS)
				continue;
			a->model_slots[mt->model] |= 1U << j;
			a->slot_bits[j].w[i >> 6] |= 1ULL << (i & 63);
			a->slot_hits[j] |= 1U << mt->model;
		}
		rank++;
	}
	a->all = sl.n == PL_ANCH_SLOTS ? UINT32_MAX : (1U << sl.n) - 1;
	for (unsigned j = 0; j < sl.n; j++) {
		for (uint32_t len = 0; len < PL_ANCH_MAX_END; len++)
			if (fits_len(sl.mt[j], len))
				a->fits[len] |= 1U << j;
		if (fits_len(sl.mt[j], PL_ANCH_MAX_END))
			a->fits_long |= 1U << j;
	}

	uint32_t (*tables)[256] = malloc((sl.nb_offsets ? sl.nb_offsets : 1) *
					 sizeof(tables[0]));
	struct rank order[PL_ANCH_MAX_STEPS];
	unsigned nb = 0;
	if (tables == NULL) {
		free(sl.marked);
		return -ENOMEM;
	}
	for (uint32_t off = 0; off < sl.max_end; off++) {
		if (!sl.marked[off])
			continue;
		build_table(tables[nb], off, a->all, sl.p, sl.n);
		unsigned rejected = 0;
		for (unsigned b = 0; b < 256; b++)
			rejected += (unsigned)__builtin_popcount(a->all &
								 ~tables[nb][b]);
		order[nb] = (struct rank){off, place_of(off, sl.p, sl.n),
					  rejected, tables[nb]};
		nb++;
	}
	free(sl.marked);
	int rc = lay_out(a, order, nb, sl.p, sl.n);
	free(tables);
	if (rc)
		return rc;

	/* The Byteseek matchers left out, per model. */
	for (unsigned m = 0; m < s->nb_models; m++) {
		c->byte_start[m] = (uint16_t)n;
		if (!(c->models >> m & 1))
			continue;
		for (unsigned i = 0; i < s->nb_matchers; i++) {
			const struct pl_matcher *mt = &s->matchers[i];
			if (mt->model != m || mt->kind != MATCHER_BYTES)
				continue;
			bool in = false;
			for (unsigned j = 0; j < PL_ANCH_SLOTS && !in; j++)
				in = a->slot_bits[j].w[i >> 6] >> (i & 63) & 1;
			if (!in) {
				c->byte_matcher[n++] = (uint16_t)i;
				c->bytes_models |= 1U << m;
			}
		}
	}
	c->byte_start[s->nb_models] = (uint16_t)n;
	return 0;
}

int
pl_anchored_build(struct pl_model_set *s)
{
	for (unsigned p = 0; p < 256; p++) {
		uint32_t models = s->by_proto[p];
		unsigned k = 0;
		if (models == 0)
			continue;
		while (k < s->nb_classes && s->cls[k].models != models)
			k++;
		if (k == PL_MODEL_CLASSES)
			k = PL_MODEL_CLASSES - 1;
		else if (k == s->nb_classes)
			s->nb_classes++;
		s->cls[k].models |= models;
		s->class_of[p] = (uint8_t)k;
	}
	for (unsigned k = 0; k < s->nb_classes; k++) {
		int rc = build_class(s, &s->cls[k]);
		if (rc)
			return rc;
	}
	for (unsigned m = 0; m < s->nb_models; m++)
		for (int d = 0; d < 2; d++)
			if (s->models[m].has_dir[d] &&
			    s->models[m].eval[d].when_none)
				s->when_none[d] |= 1U << m;
	return 0;
}
