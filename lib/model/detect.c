/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Detection on one payload: byte automata of the candidate models, one
 * Hyperscan scan for all regex matchers, then each candidate's request and
 * response eval on the resulting bitmap.
 */
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"

unsigned
pl_model_count(const struct pl_model_set *s)
{
	return s->nb_models;
}

const char *
pl_model_name(const struct pl_model_set *s, unsigned model)
{
	return model < s->nb_models ? s->models[model].name : "unknown";
}

bool
pl_model_std_port(const struct pl_model_set *s, unsigned model, uint16_t port)
{
	if (model >= s->nb_models)
		return false;
	const struct pl_model *m = &s->models[model];
	for (unsigned i = 0; i < m->nb_ports; i++)
		if (m->ports[i] == port)
			return true;
	return false;
}

const json_t *
pl_model_rules(const struct pl_model_set *s, unsigned model, const char **file)
{
	if (s == NULL || model >= s->nb_models)
		return NULL;
	if (file)
		*file = s->models[model].file;
	return s->models[model].rules;
}

double
pl_model_compile_ms(const struct pl_model_set *s)
{
	return s->compile_ms;
}

struct pl_model_scratch *
pl_model_scratch_alloc(const struct pl_model_set *s)
{
	struct pl_model_scratch *sc = calloc(1, sizeof(*sc));
	if (sc == NULL)
		return NULL;
	sc->set = s;
	if (s->db && hs_alloc_scratch(s->db, &sc->hs) != HS_SUCCESS) {
		free(sc);
		return NULL;
	}
	if (s->regex_pairs) {
		/* Regex attributes: everything pcre2_match needs, once. */
		sc->md = pcre2_match_data_create(s->regex_pairs, NULL);
		sc->mctx = pcre2_match_context_create(NULL);
		sc->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
		if (!sc->md || !sc->mctx || !sc->jit) {
			pl_model_scratch_free(sc);
			return NULL;
		}
		pcre2_set_match_limit(sc->mctx, PL_REGEX_MATCH_LIMIT);
		pcre2_set_depth_limit(sc->mctx, PL_REGEX_DEPTH_LIMIT);
		pcre2_set_heap_limit(sc->mctx, PL_REGEX_HEAP_LIMIT_KIB);
		pcre2_jit_stack_assign(sc->mctx, NULL, sc->jit);
	}
	return sc;
}

void
pl_model_scratch_free(struct pl_model_scratch *sc)
{
	if (sc == NULL)
		return;
	hs_free_scratch(sc->hs);
	pcre2_match_data_free(sc->md);
	pcre2_match_context_free(sc->mctx);
	pcre2_jit_stack_free(sc->jit);
	free(sc);
}

uint32_t
pl_model_candidates(const struct pl_model_set *s, uint16_t ether_type,
		    uint8_t ip_proto, enum pl_model_mode mode)
{
	uint32_t fam = ether_type == 0x0800   ? s->by_ether[0]
		       : ether_type == 0x86dd ? s->by_ether[1]
					      : 0;
	return fam & s->by_proto[ip_proto] & s->by_mode[mode];
}

/* What a payload's matchers found: their bits, and the models that own
 * one of them (the others' evals are known without evaluating them);
 * and the regex matchers the scan is still for. */
struct found {
	struct pl_model_bits bits;
	uint32_t models;
	const struct pl_model_set *set;
	struct pl_model_bits want;
};

static inline void
found_add(struct found *f, unsigned matcher, unsigned model)
{
	f->bits.w[matcher >> 6] |= 1ULL << (matcher & 63);
	f->models |= 1U << model;
}

static int
on_match(unsigned int id, unsigned long long from, unsigned long long to,
	 unsigned int flags, void *ctx)
{
	struct found *f = ctx;
	(void)from;
	(void)to;
	(void)flags;
	found_add(f, id, f->set->matchers[id].model);
	/* The others cannot match (their prefix failed) or do not matter
	 * (not a candidate's): stop. An HTTP response was scanned to its
	 * end for SSDP's header line, 1200 cycles instead of 450. */
	f->want.w[id >> 6] &= ~(1ULL << (id & 63));
	uint64_t left = 0;
	for (unsigned w = 0; w < PL_MODEL_MAX_MATCHERS / 64; w++)
		left |= f->want.w[w];
	return left == 0;
}

int
pl_model_inspect(const struct pl_model_set *s, struct pl_model_scratch *sc,
		 uint8_t ip_proto, uint32_t candidates, const uint8_t *payload,
		 uint32_t len, uint32_t *req, uint32_t *resp)
{
	const struct pl_model_class *cl = &s->cls[s->class_of[ip_proto]];
	const struct pl_anchored *a = &cl->anch;
	struct found f = {.set = s};
	uint32_t slots = 0;
	int rc = 0;

	*req = *resp = 0;
	/* Only the protocol's models are in its class's automaton. */
	candidates &= s->by_proto[ip_proto];
	if (candidates == 0 || len == 0)
		return 0;
	/* A fixed count and a mask, not a loop over set bits: its exit
	 * would be mispredicted. */
	for (unsigned m = 0; m < s->nb_models; m++)
		slots |= a->model_slots[m] & -(candidates >> m & 1);
	uint32_t alive = pl_anchored_match(a, slots, payload, len);
	/* Regex-only slots have no bits: a match there only asks for the
	 * scan. */
	for (uint32_t h = alive; h; h &= h - 1) {
		unsigned j = (unsigned)__builtin_ctz(h);
		for (unsigned w = 0; w < PL_MODEL_MAX_MATCHERS / 64; w++)
			f.bits.w[w] |= a->slot_bits[j].w[w];
		f.models |= a->slot_hits[j];
	}
	for (uint32_t h = alive & a->regex; h; h &= h - 1) {
		unsigned j = (unsigned)__builtin_ctz(h);
		for (unsigned w = 0; w < PL_MODEL_MAX_MATCHERS / 64; w++)
			f.want.w[w] |= a->slot_regex[j].w[w];
	}
	for (uint32_t c = candidates & cl->regex_any; c; c &= c - 1) {
		unsigned m = (unsigned)__builtin_ctz(c);
		for (unsigned w = 0; w < PL_MODEL_MAX_MATCHERS / 64; w++)
			f.want.w[w] |= cl->regex_rest[m].w[w];
	}
	for (uint32_t c = candidates & cl->bytes_models; c; c &= c - 1) {
		unsigned m = (unsigned)__builtin_ctz(c);
		for (unsigned k = cl->byte_start[m]; k < cl->byte_start[m + 1];
		     k++) {
			unsigned i = cl->byte_matcher[k];
			if (pl_bytes_match(&s->matchers[i].bytes, payload, len))
				found_add(&f, i, m);
		}
	}
	/* A regex an exact branch has decided is not scanned for. */
	uint64_t left = 0;
	for (unsigned w = 0; w < PL_MODEL_MAX_MATCHERS / 64; w++) {
		f.want.w[w] &= ~f.bits.w[w];
		left |= f.want.w[w];
	}
	if (s->db && left) {
		hs_error_t e = hs_scan(s->db, (const char *)payload, len, 0,
				       sc->hs, on_match, &f);
		if (e != HS_SUCCESS && e != HS_SCAN_TERMINATED)
			rc = -5; /* -EIO */
	}
	*req = candidates & s->when_none[0] & ~f.models;
	*resp = candidates & s->when_none[1] & ~f.models;
	for (uint32_t c = candidates & f.models; c; c &= c - 1) {
		unsigned m = (unsigned)__builtin_ctz(c);
		const struct pl_model *md = &s->models[m];
		if (md->has_dir[0] && pl_expr_eval(&md->eval[0], &f.bits))
			*req |= 1U << m;
		if (md->has_dir[1] && pl_expr_eval(&md->eval[1], &f.bits))
			*resp |= 1U << m;
	}
	return rc;
}

/* The first steps: as far as the DHCP cookie (steps 6 to 9 with the
 * project's models) and the offsets after it. */
#define REACH_STEPS (6 * PL_ANCH_GROUP)

uint32_t
pl_model_reach(const struct pl_model_set *s)
{
	uint32_t reach = 0;
	for (unsigned c = 0; c < s->nb_classes; c++) {
		const struct pl_anchored *a = &s->cls[c].anch;
		for (unsigned k = 0; k < REACH_STEPS && k < a->nb_steps; k++)
			if (a->steps[k].off >= reach)
				reach = a->steps[k].off + 1u;
	}
	return reach;
}

uint32_t
pl_model_select(const struct pl_model_set *s, uint32_t req_seen,
		uint32_t resp_seen)
{
	uint32_t out = 0;
	for (uint32_t c = req_seen | resp_seen; c; c &= c - 1) {
		unsigned m = (unsigned)__builtin_ctz(c);
		unsigned v = (req_seen >> m & 1) | (resp_seen >> m & 1) << 1;
		if (s->models[m].select >> v & 1)
			out |= 1U << m;
	}
	return out;
}
