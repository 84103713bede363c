/* SPDX-License-Identifier: BSD-3-Clause */
/* Detection's fast path (the automata, exact regexes and branches, the scan
 * that stops early, truth tables) against its plain definition on
 * arbitrary payloads: every matcher alone, a full Hyperscan scan, the
 * postfix evals. Project and published models, TCP and UDP, every
 * pre-filter's candidates. Any difference aborts. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"
#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pl_model_set *sets[2];
static struct pl_model_scratch *scratch[2];

static void
load(void)
{
	static const char *const dirs[] = {PL_MODELS_DIR,
					   PL_SHARED_DIR "/protoiot/models"};
	for (int i = 0; i < 2; i++) {
		char err[512];
		sets[i] = pl_model_set_load(dirs[i], err, sizeof(err), NULL);
		if (sets[i] == NULL) {
			fprintf(stderr, "fuzz_detect: %s\n", err);
			abort();
		}
		scratch[i] = pl_model_scratch_alloc(sets[i]);
		if (scratch[i] == NULL)
			abort();
	}
}

static int
mark(unsigned int id, unsigned long long from, unsigned long long to,
     unsigned int flags, void *ctx)
{
	struct pl_model_bits *bits = ctx;
	(void)from;
	(void)to;
	(void)flags;
	bits->w[id >> 6] |= 1ULL << (id & 63);
	return 0;
}

static void
check(const struct pl_model_set *s, struct pl_model_scratch *sc,
      const uint8_t *p, uint32_t len)
{
	struct pl_model_bits bits = {{0}};
	for (unsigned i = 0; i < s->nb_matchers; i++)
		if (s->matchers[i].kind == MATCHER_BYTES &&
		    pl_bytes_match(&s->matchers[i].bytes, p, len))
			bits.w[i >> 6] |= 1ULL << (i & 63);
	if (s->db && hs_scan(s->db, (const char *)p, len, 0, sc->hs, mark,
			     &bits) != HS_SUCCESS)
		abort();
	static const uint8_t protos[] = {6, 17};
	static const uint16_t ethers[] = {0x0800, 0x86dd};
	for (size_t k = 0; k < sizeof(protos); k++)
		for (size_t e = 0; e < 2; e++)
			for (int mode = 0; mode < 3; mode++) {
				uint32_t cand = pl_model_candidates(
					s, ethers[e], protos[k], mode);
				uint32_t req, resp, rreq = 0, rresp = 0;
				if (pl_model_inspect(s, sc, protos[k], cand, p, len,
						     &req, &resp) != 0)
					abort();
				if (len == 0)
					cand = 0;
				for (unsigned m = 0; m < s->nb_models; m++) {
					const struct pl_model *md = &s->models[m];
					if (!(cand >> m & 1))
						continue;
					if (md->has_dir[0] &&
					    pl_expr_eval_postfix(&md->eval[0], &bits))
						rreq |= 1U << m;
					if (md->has_dir[1] &&
					    pl_expr_eval_postfix(&md->eval[1], &bits))
						rresp |= 1U << m;
				}
				if (req != rreq || resp != rresp) {
					fprintf(stderr, "fuzz_detect: protocol %u "
						"candidates %x: request %x, expected "
						"%x; response %x, expected %x\n",
						protos[k], cand, req, rreq, resp,
						rresp);
					abort();
				}
			}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (sets[0] == NULL)
		load();
	if (size > 65535)
		return 0;
	/* An exactly-sized copy: any over-read shows under ASan. */
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	for (int i = 0; i < 2; i++)
		check(sets[i], scratch[i], p, (uint32_t)size);
	free(p);
	return 0;
}
