/* SPDX-License-Identifier: BSD-3-Clause */
/* The TLS dissector on arbitrary heads. The input is copied to a buffer of
 * exactly its size so that any over-read is caught; the attributes must
 * always be a closed JSON object, also when the output buffer is small. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_json_closed(const char *s, uint32_t n)
{
	/* pl_attrs_finish closes every level: the text is an object. */
	if (n < 2 || s[0] != '{' || s[n - 1] != '}' || strlen(s) != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char big[65536], small[160];
	if (size > 65536)
		return 0;
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);

	struct pl_attrs a;
	pl_attrs_init(&a, big, sizeof(big));
	enum pl_dissect_result r = pl_tls_dissect(copy, size, &a);
	uint32_t n = pl_attrs_finish(&a);
	check_json_closed(big, n);
	if (r == PL_DISSECT_NOT_MINE && n != 2)
		abort(); /* nothing may be written then */
	bool marked = strstr(big, "\"malformed\":true") != NULL;
	if (!a.truncated && (r == PL_DISSECT_MALFORMED) != marked)
		abort(); /* the result and the member agree */

	pl_attrs_init(&a, small, sizeof(small));
	(void)pl_tls_dissect(copy, size, &a);
	check_json_closed(small, pl_attrs_finish(&a));
	free(copy);
	return 0;
}
