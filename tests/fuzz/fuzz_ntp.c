/* SPDX-License-Identifier: BSD-3-Clause */
/* The NTP dissector on arbitrary bytes (a UDP datagram). */
#include "fuzz_dissector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const pl_dissect_fn fns[] = {pl_ntp_dissect};
	return fuzz_dissectors(data, size, fns, sizeof(fns) / sizeof(fns[0]));
}
