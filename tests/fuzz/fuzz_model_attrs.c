/* SPDX-License-Identifier: BSD-3-Clause */
/* Every attribute of the published ProtoIoT models (range expressions, TLVs,
 * PCRE2 regexes) on arbitrary payload bytes, both directions: what a flow's
 * head may hold. The JSON written must stay valid and bounded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "model.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct pl_model_set *set;
static struct pl_model_scratch *scratch;

static void
load(void)
{
	char err[512];
	set = pl_model_set_load(PL_SHARED_DIR "/protoiot/models", err,
				sizeof(err), NULL);
	if (set == NULL) {
		fprintf(stderr, "fuzz_model_attrs: %s\n", err);
		abort();
	}
	scratch = pl_model_scratch_alloc(set);
	if (scratch == NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char buf[8192];
	if (set == NULL)
		load();
	/* An exactly-sized copy: any over-read shows under ASan. */
	uint8_t *p = malloc(size ? size : 1);
	memcpy(p, data, size);
	for (unsigned m = 0; m < pl_model_count(set); m++) {
		for (int resp = 0; resp < 2; resp++) {
			struct pl_attrs a;
			pl_attrs_init(&a, buf, sizeof(buf));
			if (pl_model_attrs(set, scratch, m, resp, p, size, &a) < 0)
				abort();
			uint32_t n = pl_attrs_finish(&a);
			json_t *j = json_loadb(buf, n, JSON_ALLOW_NUL, NULL);
			if (j == NULL)
				abort();
			json_decref(j);
		}
	}
	free(p);
	return 0;
}
