/* SPDX-License-Identifier: BSD-3-Clause */
/* The HTTP dissector on arbitrary bytes (the head of one direction of a TCP stream). */
#include "fuzz_dissector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const pl_dissect_fn fns[] = {pl_http_dissect};
	return fuzz_dissectors(data, size, fns, sizeof(fns) / sizeof(fns[0]));
}
