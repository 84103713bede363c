/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/flow's TCP head reassembly (pl_reasm_*). The pool uses
 * plain memory, so no EAL is started. Every test compares the reassembled
 * head with the original bytes (or with a byte-by-byte reference model).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#include "test_rng.h"

/* A stream of n pseudo-random bytes (fixed seed). */
static uint8_t *
stream_new(uint32_t n, uint64_t seed)
{
	uint8_t *s = malloc(n);
	cr_assert_not_null(s);
	rng_seed(seed);
	for (uint32_t i = 0; i < n; i++)
		s[i] = (uint8_t)rng();
	return s;
}

/* The head's contiguous length is want and equals orig[0..want). */
static void
expect_head(const struct pl_reasm_pool *p, uint16_t id, const uint8_t *orig,
	    uint32_t want)
{
	uint32_t len = UINT32_MAX;
	const uint8_t *d = pl_reasm_data(p, id, &len);
	cr_assert_not_null(d);
	cr_assert_eq(len, want, "contiguous %u, expected %u", len, want);
	cr_assert_arr_eq(d, orig, want, "head differs from the original");
}

/* ======================================================================== */
/* Pool                                                                     */
/* ======================================================================== */

Test(reasm_pool, bad_sizes)
{
	const uint32_t bad[][2] = {
		{0, 16384}, {PL_REASM_MAX_BUFS + 1, 16384}, {UINT32_MAX, 16384},
		{4, 0}, {4, PL_REASM_MIN_HEAD - 1},
		{4, PL_REASM_MAX_HEAD + 1}, {4, UINT32_MAX},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		cr_assert_null(pl_reasm_pool_create(bad[i][0], bad[i][1]),
			       "create(%u, %u) accepted", bad[i][0],
			       bad[i][1]);
		cr_assert_eq(errno, EINVAL, "create(%u, %u): errno %d",
			     bad[i][0], bad[i][1], errno);
	}
}

Test(reasm_pool, limits_and_memory)
{
	struct pl_reasm_pool *p = pl_reasm_pool_create(1, PL_REASM_MIN_HEAD);
	cr_assert_not_null(p);
	cr_assert_eq(pl_reasm_pool_available(p), 1);
	pl_reasm_pool_free(p);

	p = pl_reasm_pool_create(2, PL_REASM_MAX_HEAD);
	cr_assert_not_null(p);
	cr_assert_geq(pl_reasm_pool_memory(p),
		      2ULL * PL_REASM_MAX_HEAD * 9 / 8);
	pl_reasm_pool_free(p);

	p = pl_reasm_pool_create(PL_REASM_MAX_BUFS, PL_REASM_MIN_HEAD);
	cr_assert_not_null(p);
	cr_assert_eq(pl_reasm_pool_available(p), PL_REASM_MAX_BUFS);
	uint64_t mem = pl_reasm_pool_memory(p);
	cr_assert_geq(mem, (uint64_t)PL_REASM_MAX_BUFS * 72);
	cr_assert_lt(mem, (uint64_t)PL_REASM_MAX_BUFS * 256,
		     "%lu bytes for %u buffers of 64", (unsigned long)mem,
		     PL_REASM_MAX_BUFS);
	/* Every id is distinct and below PL_REASM_NONE. */
	uint8_t *seen = calloc(PL_REASM_MAX_BUFS, 1);
	cr_assert_not_null(seen);
	for (uint32_t i = 0; i < PL_REASM_MAX_BUFS; i++) {
		uint16_t id = pl_reasm_get(p, i);
		cr_assert_lt(id, PL_REASM_NONE);
		cr_assert_eq(seen[id], 0, "id %u handed out twice", id);
		seen[id] = 1;
	}
	cr_assert_eq(pl_reasm_get(p, 0), PL_REASM_NONE);
	free(seen);
	pl_reasm_pool_free(p);

	pl_reasm_pool_free(NULL);
}

Test(reasm_pool, exhaustion_and_reuse)
{
	struct pl_reasm_pool *p = pl_reasm_pool_create(3, 256);
	cr_assert_not_null(p);
	uint16_t a = pl_reasm_get(p, 1);
	uint16_t b = pl_reasm_get(p, 2);
	uint16_t c = pl_reasm_get(p, 3);
	cr_assert(a != PL_REASM_NONE && b != PL_REASM_NONE &&
		  c != PL_REASM_NONE);
	cr_assert(a != b && b != c && a != c);
	cr_assert_eq(pl_reasm_pool_available(p), 0);
	cr_assert_eq(pl_reasm_get(p, 4), PL_REASM_NONE, "empty pool");
	cr_assert_eq(pl_reasm_get(p, 4), PL_REASM_NONE, "still empty");

	pl_reasm_put(p, b);
	cr_assert_eq(pl_reasm_pool_available(p), 1);
	/* Putting twice, or PL_REASM_NONE, changes nothing. */
	pl_reasm_put(p, b);
	pl_reasm_put(p, PL_REASM_NONE);
	cr_assert_eq(pl_reasm_pool_available(p), 1);

	uint16_t d = pl_reasm_get(p, 5);
	cr_assert_eq(d, b, "the buffer put back is handed out again");
	cr_assert_eq(pl_reasm_get(p, 6), PL_REASM_NONE);

	pl_reasm_put(p, a);
	pl_reasm_put(p, c);
	pl_reasm_put(p, d);
	cr_assert_eq(pl_reasm_pool_available(p), 3);
	pl_reasm_pool_free(p);
}

/* A reused buffer starts empty: its previous bitmap and length are gone. */
Test(reasm_pool, reused_buffer_is_clean)
{
	struct pl_reasm_pool *p = pl_reasm_pool_create(1, 4096);
	cr_assert_not_null(p);
	uint8_t *old = stream_new(4096, 7);
	uint8_t *s = stream_new(4096, 8);

	uint16_t id = pl_reasm_get(p, 1000);
	cr_assert_eq(pl_reasm_add(p, id, 1000 + 100, old + 100, 3000), 0);
	cr_assert_eq(pl_reasm_add(p, id, 1000 + 4000, old + 4000, 96), 0);
	cr_assert_eq(pl_reasm_add(p, id, 1000, old, 50), 50);
	pl_reasm_put(p, id);

	id = pl_reasm_get(p, 5000);
	cr_assert_neq(id, PL_REASM_NONE);
	expect_head(p, id, s, 0);
	cr_assert_not(pl_reasm_full(p, id));
	/* Old bits at 100..3100 and 4000.. must not count as received. */
	cr_assert_eq(pl_reasm_add(p, id, 5000, s, 10), 10);
	cr_assert_eq(pl_reasm_add(p, id, 5000 + 200, s + 200, 100), 10);
	cr_assert_eq(pl_reasm_add(p, id, 5000 + 10, s + 10, 190), 300);
	expect_head(p, id, s, 300);
	cr_assert_eq(pl_reasm_add(p, id, 5000 + 300, s + 300, 3796), 4096);
	expect_head(p, id, s, 4096);
	cr_assert(pl_reasm_full(p, id));
	pl_reasm_put(p, id);
	free(old);
	free(s);
	pl_reasm_pool_free(p);
}

/* ======================================================================== */
/* Reassembly                                                               */
/* ======================================================================== */

#define HEAD 16384

struct fixture {
	struct pl_reasm_pool *p;
	uint8_t *s; /* original stream, 2 * HEAD bytes */
};

static struct fixture
fixture_new(uint32_t head)
{
	struct fixture f;
	f.p = pl_reasm_pool_create(4, head);
	cr_assert_not_null(f.p);
	f.s = stream_new(2 * head, 42);
	return f;
}

static void
fixture_free(struct fixture *f)
{
	pl_reasm_pool_free(f->p);
	free(f->s);
}

Test(reasm, in_order)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = 1000;
	uint16_t id = pl_reasm_get(f.p, base);
	cr_assert_neq(id, PL_REASM_NONE);
	expect_head(f.p, id, f.s, 0);
	uint32_t off = 0;
	const uint32_t sizes[] = {1, 517, 1460, 1460, 3, 64, 63, 65, 1448};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint32_t got = pl_reasm_add(f.p, id, base + off, f.s + off,
					    sizes[i]);
		off += sizes[i];
		cr_assert_eq(got, off);
		expect_head(f.p, id, f.s, off);
		cr_assert_not(pl_reasm_full(f.p, id));
	}
	/* An empty segment changes nothing. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + off, NULL, 0), off);
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

Test(reasm, out_of_order)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = 77;
	uint16_t id = pl_reasm_get(f.p, base);
	/* Later segments first: nothing contiguous yet. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 3000, f.s + 3000, 1000), 0);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1500, f.s + 1500, 1000), 0);
	expect_head(f.p, id, f.s, 0);
	/* The first segment: contiguous up to the gap at 1000..1500. */
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 1000), 1000);
	expect_head(f.p, id, f.s, 1000);
	/* Gap 1000..1500 filled: contiguous runs to the next gap at 2500. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1000, f.s + 1000, 500),
		     2500);
	expect_head(f.p, id, f.s, 2500);
	/* Part of the gap 2500..3000 (not touching 2500) leaves it as is. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 2700, f.s + 2700, 300),
		     2500);
	/* Rest of the gap: contiguous jumps over the segments held. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 2500, f.s + 2500, 200),
		     4000);
	expect_head(f.p, id, f.s, 4000);
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

Test(reasm, retransmission)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = 5;
	uint16_t id = pl_reasm_get(f.p, base);
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 1460), 1460);
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 1460), 1460);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 2920, f.s + 2920, 100), 1460);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 2920, f.s + 2920, 100), 1460);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1460, f.s + 1460, 1460),
		     3020);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1460, f.s + 1460, 1460),
		     3020);
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 3020), 3020);
	expect_head(f.p, id, f.s, 3020);
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

/* Overlapping data with different bytes: the bytes received first stay. */
Test(reasm, overlap_first_copy_wins)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = 123456;
	uint8_t bad[2000];
	for (size_t i = 0; i < sizeof(bad); i++)
		bad[i] = (uint8_t)~f.s[i];
	uint16_t id = pl_reasm_get(f.p, base);

	/* Received region 0..1000, then a conflicting copy of 500..1500. */
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 1000), 1000);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 500, bad, 1000), 1500);
	uint32_t len;
	const uint8_t *d = pl_reasm_data(f.p, id, &len);
	cr_assert_eq(len, 1500);
	cr_assert_arr_eq(d, f.s, 1000, "the first copy of 0..1000 stays");
	cr_assert_arr_eq(d + 1000, bad + 500, 500,
			 "1000..1500 came only in the second copy");

	/* Out of order: 1600..1700 held, then a copy of 1550..1750. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1600, f.s + 1600, 100),
		     1500);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1550, bad, 200), 1500);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 1500, f.s + 1500, 60),
		     1750);
	d = pl_reasm_data(f.p, id, &len);
	cr_assert_eq(len, 1750);
	cr_assert_arr_eq(d + 1500, f.s + 1500, 50, "first copy of 1500..1550");
	cr_assert_arr_eq(d + 1550, bad, 50, "1550..1600 from the copy");
	cr_assert_arr_eq(d + 1600, f.s + 1600, 100, "held 1600..1700 stays");
	cr_assert_arr_eq(d + 1700, bad + 150, 50, "1700..1750 from the copy");
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

Test(reasm, before_base_is_clipped)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = 10000;
	uint16_t id = pl_reasm_get(f.p, base);
	uint8_t seg[600];
	memset(seg, 0xee, 100);        /* 100 bytes before base */
	memcpy(seg + 100, f.s, 500);   /* stream bytes 0..500 */
	/* Wholly before base: ignored. */
	cr_assert_eq(pl_reasm_add(f.p, id, base - 100, seg, 100), 0);
	cr_assert_eq(pl_reasm_add(f.p, id, base - 5000, seg, 600), 0);
	/* Partly before base: the part from base on is kept. */
	cr_assert_eq(pl_reasm_add(f.p, id, base - 100, seg, 600), 500);
	expect_head(f.p, id, f.s, 500);
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

Test(reasm, beyond_window_is_clipped)
{
	const uint32_t head = 1000; /* not a multiple of 64 */
	struct fixture f = fixture_new(head);
	const uint32_t base = 42;
	uint16_t id = pl_reasm_get(f.p, base);
	/* A neighbour buffer that writes past the window would damage. */
	uint16_t other = pl_reasm_get(f.p, 7);
	cr_assert_eq(pl_reasm_add(f.p, other, 7, f.s + head, 10), 10);
	/* Wholly beyond the window: ignored. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + head, f.s + head, 100), 0);
	cr_assert_eq(pl_reasm_add(f.p, id, base + 5000, f.s, 100), 0);
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 900), 900);
	cr_assert_not(pl_reasm_full(f.p, id));
	/* Partly beyond: 900..1000 kept, the rest dropped. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 900, f.s + 900, 500), head);
	cr_assert(pl_reasm_full(f.p, id));
	expect_head(f.p, id, f.s, head);
	/* Full: adding anything changes nothing. */
	uint8_t junk[200];
	memset(junk, 0x55, sizeof(junk));
	cr_assert_eq(pl_reasm_add(f.p, id, base + 950, junk, 200), head);
	cr_assert_eq(pl_reasm_add(f.p, id, base, junk, 200), head);
	expect_head(f.p, id, f.s, head);
	expect_head(f.p, other, f.s + head, 10);
	cr_assert_eq(pl_reasm_add(f.p, other, 7 + 10, f.s + head + 10, 10), 20,
		     "the neighbour's bitmap was written");
	expect_head(f.p, other, f.s + head, 20);
	pl_reasm_put(f.p, other);
	pl_reasm_put(f.p, id);

	/* A segment covering the whole window and more at once. */
	id = pl_reasm_get(f.p, base);
	cr_assert_eq(pl_reasm_add(f.p, id, base - 10, f.s + head - 10,
				  2 * head), head);
	expect_head(f.p, id, f.s + head, head);
	cr_assert(pl_reasm_full(f.p, id));
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

/* Window sizes that are a multiple of 64: the scan ends on a word edge. */
Test(reasm, full_on_word_boundary)
{
	struct fixture f = fixture_new(128);
	uint16_t id = pl_reasm_get(f.p, 0);
	cr_assert_eq(pl_reasm_add(f.p, id, 64, f.s + 64, 64), 0);
	cr_assert_eq(pl_reasm_add(f.p, id, 0, f.s, 64), 128);
	cr_assert(pl_reasm_full(f.p, id));
	expect_head(f.p, id, f.s, 128);
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

Test(reasm, seq_wraparound)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = UINT32_MAX - 999; /* byte 1000 has seq 0 */
	uint16_t id = pl_reasm_get(f.p, base);
	/* After the wrap first (seq 500 = offset 1500). */
	cr_assert_eq(pl_reasm_add(f.p, id, 500, f.s + 1500, 1000), 0);
	/* Across the wrap: offsets 700..1500, seq 2^32 - 300 .. 500. */
	cr_assert_eq(pl_reasm_add(f.p, id, base + 700, f.s + 700, 800), 0);
	cr_assert_eq(pl_reasm_add(f.p, id, base, f.s, 700), 2500);
	expect_head(f.p, id, f.s, 2500);
	pl_reasm_put(f.p, id);

	const uint32_t base2 = 5; /* base just after the wrap */
	id = pl_reasm_get(f.p, base2);
	uint8_t seg[110];
	memset(seg, 0xaa, 10);
	memcpy(seg + 10, f.s, 100);
	/* seq 2^32 - 5: 10 bytes before base, taken as before (serial). */
	cr_assert_eq(pl_reasm_add(f.p, id, UINT32_MAX - 4, seg, 110), 100);
	expect_head(f.p, id, f.s, 100);
	pl_reasm_put(f.p, id);
	fixture_free(&f);
}

static void
shuffle(uint32_t *a, uint32_t n)
{
	for (uint32_t i = n - 1; i > 0; i--) {
		uint32_t j = (uint32_t)(rng() % (i + 1));
		uint32_t t = a[i];
		a[i] = a[j];
		a[j] = t;
	}
}

/* Every byte of a 16 KiB head, one per segment, in random order. */
Test(reasm, every_byte_random_order)
{
	struct fixture f = fixture_new(HEAD);
	const uint32_t base = 0xfffff000; /* wraps inside the head too */
	uint32_t *order = malloc(sizeof(uint32_t) * HEAD);
	cr_assert_not_null(order);
	for (uint32_t i = 0; i < HEAD; i++)
		order[i] = i;
	rng_seed(2024);
	shuffle(order, HEAD);

	uint16_t id = pl_reasm_get(f.p, base);
	uint8_t *have = calloc(HEAD + 1, 1);
	cr_assert_not_null(have);
	uint32_t contig = 0;
	for (uint32_t i = 0; i < HEAD; i++) {
		uint32_t o = order[i];
		have[o] = 1;
		while (contig < HEAD && have[contig])
			contig++;
		uint32_t got = pl_reasm_add(f.p, id, base + o, f.s + o, 1);
		cr_assert_eq(got, contig, "after byte %u (#%u): %u, want %u",
			     o, i, got, contig);
		cr_assert_eq(pl_reasm_full(f.p, id), contig == HEAD);
	}
	expect_head(f.p, id, f.s, HEAD);
	cr_assert(pl_reasm_full(f.p, id));
	pl_reasm_put(f.p, id);
	free(have);
	free(order);
	fixture_free(&f);
}

/*
 * Random segments (sizes 1..2000, overlapping, some before base or past the
 * window, each a fresh copy with its own bytes) against a byte-per-byte
 * reference model of the first-copy-wins policy.
 */
Test(reasm, random_segments_against_model)
{
	const uint32_t head = HEAD;
	struct pl_reasm_pool *p = pl_reasm_pool_create(2, head);
	cr_assert_not_null(p);
	uint8_t *want = calloc(head, 1);
	uint8_t *have = calloc(head + 1, 1);
	uint8_t seg[2000];
	cr_assert(want && have);
	rng_seed(99);
	for (int round = 0; round < 20; round++) {
		const uint32_t base = (uint32_t)rng();
		uint16_t id = pl_reasm_get(p, base);
		cr_assert_neq(id, PL_REASM_NONE);
		memset(have, 0, head + 1);
		uint32_t contig = 0;
		for (int n = 0; contig < head && n < 5000; n++) {
			int64_t off = (int64_t)(rng() % (head + 2000)) - 1000;
			uint32_t len = (uint32_t)(rng() % sizeof(seg)) + 1;
			for (uint32_t i = 0; i < len; i++)
				seg[i] = (uint8_t)rng();
			for (uint32_t i = 0; i < len; i++) {
				int64_t o = off + i;
				if (o < 0 || o >= head || have[o])
					continue;
				have[o] = 1;
				want[o] = seg[i];
			}
			while (contig < head && have[contig])
				contig++;
			uint32_t got = pl_reasm_add(p, id,
						    base + (uint32_t)off, seg,
						    len);
			cr_assert_eq(got, contig, "round %d seg %d: %u, want %u",
				     round, n, got, contig);
			expect_head(p, id, want, contig);
		}
		cr_assert_eq(contig, head, "round %d never filled", round);
		cr_assert(pl_reasm_full(p, id));
		pl_reasm_put(p, id);
	}
	cr_assert_eq(pl_reasm_pool_available(p), 2);
	free(want);
	free(have);
	pl_reasm_pool_free(p);
}

/* Messages one after another in a head: what is consumed is not given
 * again, bytes added later follow, and a reused buffer starts afresh. */
Test(reasm, consume_messages)
{
	struct pl_reasm_pool *p = pl_reasm_pool_create(1, 64);
	cr_assert_not_null(p);
	uint16_t id = pl_reasm_get(p, 1000);
	pl_reasm_add(p, id, 1000, (const uint8_t *)"AAAABBB", 7);
	uint32_t len;
	cr_assert_eq(pl_reasm_consume(p, id, 4), 1);
	const uint8_t *d = pl_reasm_data(p, id, &len);
	cr_assert_eq(len, 3);
	cr_assert(memcmp(d, "BBB", 3) == 0);
	pl_reasm_add(p, id, 1007, (const uint8_t *)"BC", 2);
	d = pl_reasm_data(p, id, &len);
	cr_assert_eq(len, 5);
	cr_assert(memcmp(d, "BBBBC", 5) == 0);
	/* more than is there: cut to what is contiguous */
	cr_assert_eq(pl_reasm_consume(p, id, 100), 2);
	pl_reasm_data(p, id, &len);
	cr_assert_eq(len, 0);
	pl_reasm_put(p, id);
	id = pl_reasm_get(p, 5);
	pl_reasm_add(p, id, 5, (const uint8_t *)"xy", 2);
	d = pl_reasm_data(p, id, &len);
	cr_assert_eq(len, 2);
	cr_assert(memcmp(d, "xy", 2) == 0);
	cr_assert_eq(pl_reasm_consume(p, id, 1), 1, "a new buffer counts anew");
	pl_reasm_pool_free(p);
}
