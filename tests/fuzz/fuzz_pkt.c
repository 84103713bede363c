/* SPDX-License-Identifier: BSD-3-Clause */
/* The L2-L4 decoder on arbitrary frames, for every link type. The input is
 * copied to a buffer of exactly its size so that any over-read is caught. */
#include <stdlib.h>
#include <string.h>

#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pl_pkt_link links[] = {
		PL_LINK_ETHERNET, PL_LINK_NULL, PL_LINK_RAW, PL_LINK_LOOP,
		PL_LINK_LINUX_SLL};
	if (size == 0 || size > 65535)
		return 0;
	uint8_t *copy = malloc(size);
	memcpy(copy, data, size);
	for (size_t i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		struct pl_pkt_meta m;
		if (pl_pkt_decode(copy, (uint32_t)size, (uint32_t)size, links[i],
				  &m) == PL_PKT_OK) {
			/* what the worker relies on */
			if (m.payload_off + (uint32_t)m.payload_cap > size)
				abort();
			(void)pl_pkt_key_hash(&m.key, 0);
		}
	}
	free(copy);
	return 0;
}
