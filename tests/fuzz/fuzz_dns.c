/* SPDX-License-Identifier: BSD-3-Clause */
/* The DNS dissector on arbitrary bytes (a UDP datagram, and the head of a TCP stream). */
#include "fuzz_dissector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const pl_dissect_fn fns[] = {pl_dns_dissect, pl_dns_dissect_tcp};
	return fuzz_dissectors(data, size, fns, sizeof(fns) / sizeof(fns[0]));
}
