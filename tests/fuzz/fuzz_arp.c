/* SPDX-License-Identifier: BSD-3-Clause */
/* The ARP dissector on arbitrary bytes (an L2 payload of ether-type
 * 0x0806). */
#include "fuzz_dissector.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const pl_dissect_fn fns[] = {pl_arp_dissect};
	return fuzz_dissectors(data, size, fns, sizeof(fns) / sizeof(fns[0]));
}
