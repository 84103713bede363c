/* SPDX-License-Identifier: BSD-3-Clause */
/* The Byteseek compiler on arbitrary pattern text (model files are input),
 * then the compiled pattern on the same bytes as a payload. */
#include <stdlib.h>
#include <string.h>

#include "model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	char *src = malloc(size + 1);
	memcpy(src, data, size);
	src[size] = '\0';
	struct pl_bytes_pattern p;
	if (pl_bytes_compile(src, size & 1 ? -1 : 0, &p, err, sizeof(err)) == 0) {
		(void)pl_bytes_match(&p, data, (uint32_t)size);
		pl_bytes_free(&p);
	}
	free(src);
	return 0;
}
