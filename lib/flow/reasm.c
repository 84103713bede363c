/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TCP head reassembly (see the pl_reasm_* section of flow.h).
 *
 * Why: dissectors and model automata parse a direction's first bytes (a TLS
 * ClientHello, an HTTP request header) that often span several segments,
 * which a tap sees reordered or retransmitted. Only the head is reassembled:
 * it is all classification needs, and it bounds memory per flow. Buffers come
 * from a fixed pool made at start so the fast path never allocates and an
 * overload degrades to "flow not reassembled" (counted by the caller) instead
 * of exhausting memory.
 *
 * Overlap policy, first copy wins: a byte already received is never
 * rewritten. The head a dissector parsed cannot change under it, and a
 * later, conflicting retransmission (evasion attempt or not) is ignored.
 *
 * Cost: per buffer head_bytes of data + head_bytes / 8 of bitmap (1 bit per
 * byte received) + 16 bytes of state. pl_reasm_add is O(len) plus the scan
 * that advances the contiguous length, 64 bytes per step over bytes received
 * earlier out of order (each byte is passed once over a buffer's life).
 * pl_reasm_put clears only the bitmap words that were written, so a buffer's
 * whole life costs O(bytes received), never O(head_bytes).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define ALIGN 64

struct reasm_buf {
	uint32_t base;   /**< sequence number of stream byte 0 */
	uint32_t contig; /**< bytes contiguous from base */
	uint32_t hi;     /**< highest offset written + 1 (bitmap to clear) */
	uint32_t in_use;
	uint32_t consumed; /**< bytes of whole messages already dissected */
	uint32_t messages; /**< pl_reasm_consume calls */
};

struct pl_reasm_pool {
	uint32_t nb_bufs;
	uint32_t head_bytes;
	uint32_t nb_words;   /**< bitmap words per buffer */
	uint32_t top;        /**< free ids on the stack */
	size_t data_stride;  /**< head_bytes rounded up to ALIGN */
	uint64_t memory;
	struct reasm_buf *buf;
	uint16_t *free_ids;  /**< stack of free ids, top at free_ids[top - 1] */
	uint64_t *bitmap;    /**< nb_words per buffer */
	uint8_t *data;       /**< data_stride per buffer */
};

static size_t
round_up(size_t n)
{
	return (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
}

struct pl_reasm_pool *
pl_reasm_pool_create(uint32_t nb_bufs, uint32_t head_bytes)
{
	if (nb_bufs < 1 || nb_bufs > PL_REASM_MAX_BUFS ||
	    head_bytes < PL_REASM_MIN_HEAD || head_bytes > PL_REASM_MAX_HEAD) {
		errno = EINVAL;
		return NULL;
	}
	uint32_t nb_words = (head_bytes + 63) / 64;
	size_t stride = round_up(head_bytes);
	size_t o_buf = round_up(sizeof(struct pl_reasm_pool));
	size_t o_ids = o_buf + round_up(sizeof(struct reasm_buf) * nb_bufs);
	size_t o_bm = o_ids + round_up(sizeof(uint16_t) * nb_bufs);
	size_t bm_bytes = sizeof(uint64_t) * nb_words * (size_t)nb_bufs;
	size_t o_data = o_bm + round_up(bm_bytes);
	size_t total = o_data + stride * nb_bufs;

	uint8_t *mem = aligned_alloc(ALIGN, total);
	if (mem == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	struct pl_reasm_pool *p = (struct pl_reasm_pool *)mem;
	memset(p, 0, sizeof(*p));
	p->nb_bufs = nb_bufs;
	p->head_bytes = head_bytes;
	p->nb_words = nb_words;
	p->data_stride = stride;
	p->memory = total;
	p->buf = (struct reasm_buf *)(mem + o_buf);
	p->free_ids = (uint16_t *)(mem + o_ids);
	p->bitmap = (uint64_t *)(mem + o_bm);
	p->data = mem + o_data;
	memset(p->buf, 0, sizeof(struct reasm_buf) * nb_bufs);
	memset(p->bitmap, 0, bm_bytes);
	/* Touched now so that no page fault lands on the fast path. */
	memset(p->data, 0, stride * nb_bufs);
	/* Lowest ids on top: popped first. */
	for (uint32_t i = 0; i < nb_bufs; i++)
		p->free_ids[i] = (uint16_t)(nb_bufs - 1 - i);
	p->top = nb_bufs;
	return p;
}

void
pl_reasm_pool_free(struct pl_reasm_pool *p)
{
	free(p);
}

uint32_t
pl_reasm_pool_available(const struct pl_reasm_pool *p)
{
	return p->top;
}

uint64_t
pl_reasm_pool_memory(const struct pl_reasm_pool *p)
{
	return p->memory;
}

static uint64_t *
bitmap_of(const struct pl_reasm_pool *p, uint16_t id)
{
	return p->bitmap + (size_t)id * p->nb_words;
}

static uint8_t *
data_of(const struct pl_reasm_pool *p, uint16_t id)
{
	return p->data + (size_t)id * p->data_stride;
}

uint16_t
pl_reasm_get(struct pl_reasm_pool *p, uint32_t base)
{
	if (p->top == 0)
		return PL_REASM_NONE;
	uint16_t id = p->free_ids[--p->top];
	struct reasm_buf *b = &p->buf[id];
	b->base = base;
	b->contig = 0;
	b->hi = 0;
	b->in_use = 1;
	b->consumed = 0;
	b->messages = 0;
	return id;
}

void
pl_reasm_put(struct pl_reasm_pool *p, uint16_t id)
{
	if (id >= p->nb_bufs || !p->buf[id].in_use)
		return;
	struct reasm_buf *b = &p->buf[id];
	memset(bitmap_of(p, id), 0, sizeof(uint64_t) * ((b->hi + 63) / 64));
	b->in_use = 0;
	p->free_ids[p->top++] = id;
}

/* Bits lo..hi-1 of a word (0 <= lo < hi <= 64). */
static uint64_t
bit_range(unsigned lo, unsigned hi)
{
	uint64_t m = hi == 64 ? ~0ULL : (1ULL << hi) - 1;
	return m & ~((1ULL << lo) - 1);
}

/*
 * Copy src (stream offsets off..end-1, src[0] at off) into dst where the
 * bitmap has no bit, then set the bits: bytes received earlier are kept
 * (first copy wins).
 */
static void
write_missing(uint8_t *dst, uint64_t *bm, uint32_t off, uint32_t end,
	      const uint8_t *src)
{
	for (uint32_t w = off / 64; w * 64 < end; w++) {
		unsigned lo = w * 64 < off ? off % 64 : 0;
		unsigned hi = end - w * 64 < 64 ? end - w * 64 : 64;
		uint64_t want = bit_range(lo, hi);
		uint64_t missing = ~bm[w] & want;
		while (missing != 0) {
			unsigned b = (unsigned)__builtin_ctzll(missing);
			uint64_t rest = ~(missing >> b);
			unsigned run = rest == 0 ? 64 - b
						 : (unsigned)__builtin_ctzll(rest);
			uint32_t at = w * 64 + b;
			memcpy(dst + at, src + (at - off), run);
			missing &= ~bit_range(b, b + run);
		}
		bm[w] |= want;
	}
}

/* First offset at or after from whose bit is clear, at most limit. */
static uint32_t
first_hole(const uint64_t *bm, uint32_t from, uint32_t limit)
{
	if (from >= limit)
		return limit;
	uint32_t w = from / 64;
	uint64_t x = ~bm[w] & ~((1ULL << (from % 64)) - 1);
	uint32_t nb_words = (limit + 63) / 64;
	while (x == 0 && ++w < nb_words)
		x = ~bm[w];
	if (x == 0)
		return limit;
	uint32_t at = w * 64 + (uint32_t)__builtin_ctzll(x);
	return at < limit ? at : limit;
}

uint32_t
pl_reasm_add(struct pl_reasm_pool *p, uint16_t id, uint32_t seq,
	     const uint8_t *data, uint32_t len)
{
	struct reasm_buf *b = &p->buf[id];
	/* Serial arithmetic: offsets within +-2^31 of base are meaningful. */
	int32_t off = (int32_t)(seq - b->base);
	if (off < 0) {
		uint32_t skip = (uint32_t)0 - (uint32_t)off;
		if (skip >= len)
			return b->contig;
		data += skip;
		len -= skip;
		off = 0;
	}
	uint64_t end = (uint64_t)(uint32_t)off + len;
	if (end > p->head_bytes)
		end = p->head_bytes;
	if (end <= b->contig)
		return b->contig; /* nothing new: retransmission or full */
	/* Bytes below contig are all received: skip them at once. */
	uint32_t start = (uint32_t)off;
	if (start < b->contig) {
		data += b->contig - start;
		start = b->contig;
	}
	uint64_t *bm = bitmap_of(p, id);
	write_missing(data_of(p, id), bm, start, (uint32_t)end, data);
	if (end > b->hi)
		b->hi = (uint32_t)end;
	if (start == b->contig)
		b->contig = first_hole(bm, (uint32_t)end, p->head_bytes);
	return b->contig;
}

const uint8_t *
pl_reasm_data(const struct pl_reasm_pool *p, uint16_t id, uint32_t *len)
{
	const struct reasm_buf *b = &p->buf[id];
	if (len != NULL)
		*len = b->contig - b->consumed;
	return data_of(p, id) + b->consumed;
}

uint32_t
pl_reasm_consume(struct pl_reasm_pool *p, uint16_t id, uint32_t n)
{
	struct reasm_buf *b = &p->buf[id];
	uint32_t left = b->contig - b->consumed;
	b->consumed += n < left ? n : left;
	return ++b->messages;
}

bool
pl_reasm_full(const struct pl_reasm_pool *p, uint16_t id)
{
	return p->buf[id].contig == p->head_bytes;
}
