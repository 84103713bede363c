/* SPDX-License-Identifier: BSD-3-Clause */
/* The regex prefix analysis and its branch expansion on arbitrary pattern
 * text (model files are input): both read the text only, and whatever
 * they say must hold together. */
#include <stdlib.h>
#include <string.h>

#include "model-internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pl_regex_prefix b[8];
	struct pl_regex_prefix rp;
	char *src = malloc(size + 1);
	memcpy(src, data, size);
	src[size] = '\0';
	unsigned n = pl_regex_prefix(src, &rp);
	if (n > PL_REGEX_PREFIX_MAX)
		abort();
	unsigned k = pl_regex_branches(src, b, 8);
	for (unsigned i = 0; i < k; i++)
		if (!b[i].exact || b[i].n == 0 || b[i].n > PL_REGEX_PREFIX_MAX)
			abort();
	free(src);
	return 0;
}
