/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PL_FLOW_H
#define PL_FLOW_H

/**
 * @file
 * Per-worker flow state: the flow table (rte_hash, one per worker, no locks),
 * the flow state kept beside it, the idle-timeout timer wheel and the flow
 * record a worker sends to the control lcore, and the TCP head reassembly.
 *
 * Nothing here is thread-safe: each worker owns its table, wheel and
 * reassembly pool.
 */

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "pkt.h"

/** Why a flow record was emitted. */
#define PL_FLOW_END_REASONS(X)                                                 \
	X(IDLE, "idle")                                                        \
	X(SHUTDOWN, "shutdown")

enum pl_flow_end {
#define PL_X(e, s) PL_FLOW_END_##e,
	PL_FLOW_END_REASONS(PL_X)
#undef PL_X
	PL_FLOW_END_MAX
};

/** Name of an end reason; never NULL. */
const char *pl_flow_end_name(enum pl_flow_end e);

/**
 * State of one flow. Counters are indexed by key side (pl_pkt_meta.dir), so
 * the hot path never has to know who initiated the flow. 128 bytes at most
 * (one flow per two cache lines); checked at build time.
 */
struct pl_flow {
	uint64_t first_us;
	uint64_t last_us;
	uint64_t pkts[2];
	uint64_t bytes[2];   /**< wire bytes, Ethernet header included */
	uint64_t payload[2]; /**< L4 payload bytes on the wire */
	uint64_t seq;        /**< creation number within the worker */
	/* Low 16 bits of each side's first stream byte (SYN seq + 1): with
	 * the seq of any early segment they give the stream's start, so a
	 * head is right however its first segments were ordered. */
	uint16_t syn_next16[2];
	uint8_t mac[2][6];   /**< MAC of each key side (source address seen) */
	uint8_t tcp_flags[2];
	uint8_t orig_side;   /**< key side that initiated the flow */
	uint8_t in_use;
	uint8_t pkt_flags;   /**< OR of PL_PKT_F_* seen */
	uint8_t proto;       /**< IP protocol, 0 for L2: picks the timeout */
	/* Detection state (lib/model): models whose request / response eval
	 * held on some payload, and the inspection budget spent. */
	uint32_t req_seen;
	uint32_t resp_seen;
	uint32_t also;       /**< other models selected with the first */
	uint16_t insp_bytes[2];
	uint8_t insp_pkts[2];
	uint8_t app;         /**< selected model + 1, 0 if none (yet) */
	uint8_t inspect;     /**< payloads are still inspected */
	/* Attribute extraction per key side (enum pl_head_step); head is a
	 * reassembly buffer while the step is PL_HEAD_COLLECTING (TCP), the
	 * count of datagrams or ARP packets dissected (UDP, L2). */
	uint8_t head_step[2];
	uint16_t head[2];
	uint16_t vlan[2];    /**< VLAN id of each key side's last packet */
};

/** Where a flow direction is in attribute extraction. */
enum pl_head_step {
	PL_HEAD_WAITING = 0, /**< no payload yet */
	PL_HEAD_COLLECTING,  /**< TCP: bytes go to a reassembly buffer */
	PL_HEAD_DONE,        /**< dissected, or nothing to dissect */
	PL_HEAD_LOST,        /**< no reassembly buffer was free */
};

/** Fixed-size record of an ended flow, oriented originator -> responder. */
struct pl_flow_record {
	struct pl_flow_key key;
	uint64_t first_us;
	uint64_t last_us;
	uint64_t pkts[2];    /**< [0]: originator -> responder */
	uint64_t bytes[2];
	uint64_t payload[2];
	uint64_t seq;
	uint32_t also;       /**< other models selected with app */
	uint8_t app;         /**< selected model + 1, 0 if none */
	uint8_t matched;     /**< PL_MATCHED_* bits of app's directions */
	uint8_t mac[2][6];   /**< [0]: originator's MAC */
	uint8_t tcp_flags[2];
	uint8_t orig_side;   /**< key side of the originator */
	uint8_t end;         /**< enum pl_flow_end */
	uint8_t pkt_flags;
	uint8_t worker;
	uint8_t head_lost[2]; /**< [0]: originator's head had no buffer */
	uint16_t vlan[2];    /**< [0]: VLAN id of the originator's packets */
};

/** Fill a record from a flow and its key. */
void pl_flow_record_fill(struct pl_flow_record *r, const struct pl_flow_key *k,
			 const struct pl_flow *f, enum pl_flow_end end,
			 unsigned worker);

struct pl_flow_table;

/**
 * Create a flow table for up to capacity flows, memory on socket.
 * @return the table, or NULL (rte_errno: EINVAL bad capacity, ENOMEM).
 */
struct pl_flow_table *pl_flow_table_create(const char *name, uint32_t capacity,
					   int socket);

/** Free a table; NULL is a no-op. */
void pl_flow_table_free(struct pl_flow_table *t);

/** Flows the table can hold; flow indexes are below this. */
uint32_t pl_flow_table_capacity(const struct pl_flow_table *t);

/** Flows currently in the table. */
uint32_t pl_flow_table_count(const struct pl_flow_table *t);

/** Bytes the table and its flow states take. */
uint64_t pl_flow_table_memory(const struct pl_flow_table *t);

/** Most keys pl_flow_table_lookup_bulk takes at once. */
#define PL_FLOW_BULK_MAX 32

/**
 * Find or create the flow of each packet (one bulk lookup with the
 * precomputed hashes, then one insert per miss).
 *
 * @param metas  n packet metas (n <= PL_FLOW_BULK_MAX)
 * @param idx    out: flow index per packet, or UINT32_MAX when the table is
 *               full (the packet is untracked)
 * @param is_new out: bit i set when packet i created its flow (its state is
 *               zeroed and marked in use; pass it to pl_flow_init)
 * @return number of packets whose flow could not be created (table full)
 */
unsigned pl_flow_table_lookup_bulk(struct pl_flow_table *t,
				   const struct pl_pkt_meta *const *metas,
				   unsigned n, uint32_t *idx,
				   uint64_t *is_new);

/**
 * Have pl_flow_table_lookup_bulk start fetching the first `bytes` of the
 * payload of each packet that creates a flow, before it adds the flow:
 * for a caller that reads that payload next (detection), from a buffer
 * another core wrote. 0, the default, fetches none.
 */
void pl_flow_table_prefetch_new(struct pl_flow_table *t, uint32_t bytes);

/** The flow state at an index returned by lookup. */
struct pl_flow *pl_flow_table_flow(struct pl_flow_table *t, uint32_t idx);

/**
 * The key of the flow at idx.
 * @return 0, or -ENOENT if no flow is there.
 */
int pl_flow_table_key(const struct pl_flow_table *t, uint32_t idx,
		      struct pl_flow_key *key);

/**
 * Remove the flow at idx; its index may be reused at once.
 * @return 0, or -ENOENT if no flow is there.
 */
int pl_flow_table_remove(struct pl_flow_table *t, uint32_t idx);

/**
 * Initialise a flow created by pl_flow_table_lookup_bulk with its first
 * packet. A SYN-ACK seen first makes its receiver the originator.
 */
static inline void
pl_flow_init(struct pl_flow *f, const struct pl_pkt_meta *m, uint64_t seq)
{
	f->first_us = m->ts_us;
	f->seq = seq;
	f->proto = m->key.proto;
	f->orig_side = m->dir;
	if (m->l4_proto == 6 && (m->tcp_flags & 0x12) == 0x12)
		f->orig_side = (uint8_t)!m->dir;
}

/** Account one packet to its flow. */
static inline void
pl_flow_update(struct pl_flow *f, const struct pl_pkt_meta *m)
{
	unsigned d = m->dir;
	if (m->ts_us > f->last_us)
		f->last_us = m->ts_us;
	f->pkts[d]++;
	f->bytes[d] += m->wire_len;
	f->payload[d] += m->payload_len;
	f->tcp_flags[d] |= m->tcp_flags;
	if (m->tcp_flags & 0x02)
		f->syn_next16[d] = (uint16_t)(m->tcp_seq + 1);
	f->pkt_flags |= m->flags;
	memcpy(f->mac[d], m->src_mac, 6);
	f->vlan[d] = m->vlan;
	/* Until the other side speaks, its MAC is this packet's destination. */
	if (f->pkts[!d] == 0)
		memcpy(f->mac[!d], m->dst_mac, 6);
}

/**
 * Hashed timer wheel in trace time, for idle timeouts. Entries are flow
 * indexes linked through an array owned by the wheel, so adding, removing
 * and expiring cost O(1) and no table scan is ever needed. A flow is put
 * on the wheel once, at its creation; when its slot comes due the owner
 * checks its last activity and puts it back if it is not idle yet, so
 * packets of established flows never touch the wheel.
 */
struct pl_wheel {
	uint32_t *head;             /**< per slot: first index, or UINT32_MAX */
	struct pl_wheel_link *link; /**< per index */
	uint32_t nb_slots;          /**< power of two */
	uint32_t capacity;
	uint64_t tick_us;
	uint64_t now_tick;          /**< next slot to expire, in ticks */
	uint32_t count;
};

struct pl_wheel_link {
	uint32_t next;
	uint32_t prev;
	uint32_t slot;
	uint32_t queued;
};

/**
 * Initialise a wheel for indexes below capacity.
 * @param nb_slots  rounded up to a power of two; deadlines further than
 *                  nb_slots ticks away are parked in the last slot ahead
 *                  and come back early (the owner re-adds them)
 * @return 0, -EINVAL (zero sizes), -ENOMEM.
 */
int pl_wheel_init(struct pl_wheel *w, uint32_t capacity, uint32_t nb_slots,
		  uint64_t tick_us, uint64_t now_us);

/** Release a wheel's memory. */
void pl_wheel_fini(struct pl_wheel *w);

/** Schedule idx at deadline_us (microseconds); idx must not be queued. */
void pl_wheel_add(struct pl_wheel *w, uint32_t idx, uint64_t deadline_us);

/** Unschedule idx; no-op if it is not queued. */
void pl_wheel_remove(struct pl_wheel *w, uint32_t idx);

/**
 * Unlink every queued index and pass it to expire(idx, arg) (shutdown).
 * @return number of indexes passed to expire.
 */
uint32_t pl_wheel_drain(struct pl_wheel *w,
			void (*expire)(uint32_t idx, void *arg), void *arg);

/**
 * Advance to now_us: every index whose slot is due is unlinked and passed to
 * expire(idx, arg), which may add it again but must not remove other
 * indexes.
 * @return number of indexes passed to expire.
 */
uint32_t pl_wheel_advance(struct pl_wheel *w, uint64_t now_us,
			  void (*expire)(uint32_t idx, void *arg), void *arg);

/*
 * TCP head reassembly: per flow direction, the first head_bytes of the
 * stream are put back in sequence order so a dissector sees a ClientHello or
 * an HTTP header that spans several segments as one contiguous buffer.
 *
 * - Offsets are taken from base with 32-bit serial arithmetic: sequence
 *   numbers wrap around 2^32; a segment more than 2^31 bytes before base is
 *   taken as after it (and then is beyond the window).
 * - Bytes before base or at offset head_bytes and beyond are clipped; the
 *   part of a segment inside the window is kept.
 * - Out-of-order segments are placed; overlaps and retransmissions: a byte
 *   already received is never rewritten (first copy wins).
 * - Buffers come from a bounded pool made at start. An empty pool is
 *   reported (PL_REASM_NONE), never fatal.
 *
 * Cost per buffer: head_bytes of data, head_bytes / 8 of bitmap, 24 bytes.
 * get is O(1), add O(segment length) (amortised), put O(bytes received).
 * No per-packet allocation, no EAL needed. A pool is owned by one worker.
 * Ids passed to add, data and full must come from pl_reasm_get and not have
 * been put back yet.
 */

/** Buffer id meaning "no buffer" (empty pool). */
#define PL_REASM_NONE UINT16_MAX
/** Limits of pl_reasm_pool_create. */
#define PL_REASM_MIN_HEAD 64
#define PL_REASM_MAX_HEAD 65536
#define PL_REASM_MAX_BUFS 65535
/** Default head length per direction. */
#define PL_REASM_DEFAULT_HEAD 16384

struct pl_reasm_pool;

/**
 * Create a pool of nb_bufs buffers of head_bytes each, in plain aligned
 * memory (not rte_malloc: usable without EAL).
 * @param nb_bufs     1..PL_REASM_MAX_BUFS
 * @param head_bytes  PL_REASM_MIN_HEAD..PL_REASM_MAX_HEAD
 * @return the pool, or NULL (errno: EINVAL bad sizes, ENOMEM).
 */
struct pl_reasm_pool *pl_reasm_pool_create(uint32_t nb_bufs,
					   uint32_t head_bytes);

/** Free a pool and all its buffers; NULL is a no-op. */
void pl_reasm_pool_free(struct pl_reasm_pool *p);

/** Buffers free in the pool. */
uint32_t pl_reasm_pool_available(const struct pl_reasm_pool *p);

/** Bytes the pool takes (buffers, bitmaps and bookkeeping). */
uint64_t pl_reasm_pool_memory(const struct pl_reasm_pool *p);

/**
 * Take a buffer for a direction whose first stream byte has sequence number
 * base: the SYN's seq + 1, or the seq of the first payload segment seen when
 * the SYN was not captured. O(1).
 * @return the buffer id, or PL_REASM_NONE when the pool is empty (the caller
 *         marks and counts the flow and goes on without reassembly).
 */
uint16_t pl_reasm_get(struct pl_reasm_pool *p, uint32_t base);

/**
 * Add a segment's payload: len bytes at sequence number seq. Bytes before
 * base or beyond the window are clipped, bytes already received are kept.
 * @return the number of bytes now contiguous from base (0..head_bytes), the
 *         length pl_reasm_data gives; never an error.
 */
uint32_t pl_reasm_add(struct pl_reasm_pool *p, uint16_t id, uint32_t seq,
		      const uint8_t *data, uint32_t len);

/**
 * The contiguous head of a buffer after the bytes consumed
 * (pl_reasm_consume), valid until the buffer is put back.
 * @param len  out (if not NULL): its length, as last returned by add, less
 *             the bytes consumed
 */
const uint8_t *pl_reasm_data(const struct pl_reasm_pool *p, uint16_t id,
			     uint32_t *len);

/**
 * A whole message of n bytes at the start of pl_reasm_data was dissected:
 * the data given next starts after it (a stream that carries several
 * messages, as an HTTP connection that is kept alive). n is cut to the
 * contiguous bytes.
 * @return the messages consumed from this buffer so far, this one included.
 */
uint32_t pl_reasm_consume(struct pl_reasm_pool *p, uint16_t id, uint32_t n);

/** True when head_bytes are contiguous: nothing more can be added. */
bool pl_reasm_full(const struct pl_reasm_pool *p, uint16_t id);

/**
 * Give a buffer back to the pool as soon as its head is no longer needed.
 * PL_REASM_NONE, or an id already put back, is a no-op.
 */
void pl_reasm_put(struct pl_reasm_pool *p, uint16_t id);

#endif /* PL_FLOW_H */
