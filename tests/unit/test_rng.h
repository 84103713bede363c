/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_TEST_RNG_H
#define PL_TEST_RNG_H

/* The unit tests' seeded generator (xorshift64*): random cases that are the
 * same on every run. */
#include <stdint.h>

static uint64_t rng_state;

static inline void
rng_seed(uint64_t s)
{
	rng_state = s ? s : 1;
}

static inline uint64_t
rng(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

#endif /* PL_TEST_RNG_H */
