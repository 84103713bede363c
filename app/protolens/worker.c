/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker lcore: owns a flow table and a timer wheel, accounts each packet to
 * its flow and sends a record of every ended flow to the control lcore.
 * Pipeline layout: packets come decoded from the RX lcore's ring. NIC layout
 * (run to completion): the worker polls its own RX queue and decodes itself.
 */
#include <stdio.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "model.h"
#include "protolens.h"

#define WHEEL_TICK_US 1000000ULL
#define WHEEL_SLOTS 4096

struct worker_ctx {
	struct pl_app *app;
	uint32_t reach; /* payload bytes the models' first steps read */
	struct pl_worker *w;
	struct pl_flow_table *table;
	struct pl_wheel wheel;
	uint64_t now_us;
	uint64_t next_tick_us;     /* trace time at which the wheel is due */
	uint64_t timeout_us[256]; /* by IP protocol; 0 (L2) = other */
	uint64_t seq;
	struct pl_model_scratch *scratch;
	struct pl_heads heads;
	bool flushing;
};

static void
emit(struct worker_ctx *c, uint32_t idx, enum pl_flow_end end)
{
	struct pl_flow_record rec;
	struct pl_flow_key key;
	struct pl_lcore_stats *st = &c->w->stats;

	if (pl_flow_table_key(c->table, idx, &key) != 0)
		return;
	struct pl_flow *f = pl_flow_table_flow(c->table, idx);
	if (c->heads.on)
		pl_heads_flow_end(&c->heads, f, &key, c->flushing);
	pl_flow_record_fill(&rec, &key, f, end, c->w->id);
	/* Offline and at shutdown there is time to wait for control; live,
	 * a full ring costs the record, counted, never the worker's pace. */
	bool wait = c->app->offline || c->flushing;
	while (rte_ring_sp_enqueue_elem(c->w->records, &rec, sizeof(rec)) !=
	       0) {
		if (!wait) {
			st->records_dropped++;
			break;
		}
		rte_pause();
	}
	st->flows_ended++;
	pl_flow_table_remove(c->table, idx);
}

static void
expire_cb(uint32_t idx, void *arg)
{
	struct worker_ctx *c = arg;
	struct pl_flow *f = pl_flow_table_flow(c->table, idx);
	uint64_t deadline = f->last_us + c->timeout_us[f->proto];

	if (c->flushing)
		emit(c, idx, PL_FLOW_END_SHUTDOWN);
	else if (deadline <= c->now_us)
		emit(c, idx, PL_FLOW_END_IDLE);
	else
		pl_wheel_add(&c->wheel, idx, deadline);
}

/* Run the models on an unclassified flow's payload until one is selected or
 * the budget of both directions is spent. */
static void
inspect(struct worker_ctx *c, struct pl_flow *f, const struct pl_pkt_meta *m,
	const uint8_t *payload, uint32_t len)
{
	const struct pl_options *o = &c->app->opt;
	struct pl_lcore_stats *st = &c->w->stats;
	unsigned d = m->dir;

	if (len == 0 || (m->flags & PL_PKT_F_FRAGMENT))
		return;
	if (!o->inspect_all) {
		if (f->insp_pkts[d] >= o->inspect_pkts ||
		    f->insp_bytes[d] >= o->inspect_bytes) {
			if (f->insp_pkts[!d] >= o->inspect_pkts ||
			    f->insp_bytes[!d] >= o->inspect_bytes)
				f->inspect = 0;
			return;
		}
	}
	uint32_t cand = pl_model_candidates(c->app->models, m->ether_type,
					    m->l4_proto, m->cast);
	if (cand == 0)
		return;
	uint32_t req, resp;
	uint64_t t0 = rte_rdtsc();
	if (pl_model_inspect(c->app->models, c->scratch, m->l4_proto, cand,
			     payload, len, &req, &resp) != 0)
		st->inspect_errors++;
	st->inspect_cycles += rte_rdtsc() - t0;
	st->inspected_packets++;
	st->inspected_bytes += len;
	if (f->insp_pkts[d] < UINT8_MAX)
		f->insp_pkts[d]++;
	f->insp_bytes[d] = (uint16_t)RTE_MIN(f->insp_bytes[d] + len,
					     (uint32_t)UINT16_MAX);
	f->req_seen |= req;
	f->resp_seen |= resp;
	uint32_t sel = pl_model_select(c->app->models, f->req_seen,
				       f->resp_seen);
	if (sel == 0)
		return;
	/* Models selected by the same payload: the first in load order is
	 * the flow's protocol, the others are listed. */
	unsigned first = (unsigned)__builtin_ctz(sel);
	f->app = (uint8_t)(first + 1);
	f->also = sel & ~(1U << first);
	f->inspect = 0;
	st->flows_classified++;
}

/* Whether detection or attribute extraction has work with this packet: a
 * payload of a flow still inspected or of a direction not dissected yet, or
 * the FIN or RST that ends a head being collected. A classified flow whose
 * directions are done, or a bare ACK, costs this test only. */
static inline bool
needs_payload(const struct pl_flow *f, const struct pl_pkt_meta *m)
{
	uint8_t step = f->head_step[m->dir];
	if (m->payload_cap == 0)
		return step == PL_HEAD_COLLECTING;
	return f->inspect || step < PL_HEAD_DONE;
}

/* Detection, then attributes, on the payload of a flow that still needs
 * it. */
static void
payload_of(struct worker_ctx *c, struct pl_flow *f,
	   const struct pl_pkt_meta *m)
{
	/* The decoder saw the first segment only: the payload it found is
	 * all in there. */
	const uint8_t *payload = m->frame + m->payload_off;
	uint32_t len = m->payload_cap;
	if (f->inspect)
		inspect(c, f, m, payload, len);
	if (f->head_step[m->dir] < PL_HEAD_DONE)
		pl_heads_packet(&c->heads, f, m, payload, len);
}

/* Expire what is due before the packets of a new tick are accounted: a
 * packet after a long gap must start a new flow, not revive the old one. */
static inline void
advance_to(struct worker_ctx *c, uint64_t now)
{
	c->now_us = now;
	c->next_tick_us = (now / WHEEL_TICK_US + 1) * WHEEL_TICK_US;
	pl_wheel_advance(&c->wheel, now, expire_cb, c);
}

/* Account packets that all fall before the next wheel tick. */
static void
account(struct worker_ctx *c, const struct pl_pkt_meta **metas, unsigned n)
{
	uint32_t idx[PL_BURST];
	uint64_t is_new;
	struct pl_lcore_stats *st = &c->w->stats;

	pl_flow_table_lookup_bulk(c->table, metas, n, idx, &is_new);
	/* Payloads the automata or a dissector will read were written on the
	 * RX core: start their misses for the whole burst at once. Only
	 * theirs: fetched before the lookup for every packet, they were
	 * cheaper to inspect, but the data lines of classified flows then
	 * went back and forth between the cores (lab.pcap replay: RX 121 ->
	 * 136 cycles/packet). A new flow's, the table has started: asked
	 * again here too, they came sooner (schlage-lock-01 x100: detection
	 * 40 cycles per payload less than with the table's alone). */
	if (c->scratch != NULL)
		for (unsigned i = 0; i < n; i++) {
			const struct pl_pkt_meta *m = metas[i];
			if (m->payload_cap == 0 || idx[i] == UINT32_MAX)
				continue;
			const struct pl_flow *f =
				pl_flow_table_flow(c->table, idx[i]);
			bool insp = (is_new >> i & 1) || f->inspect;
			if (!insp && !needs_payload(f, m))
				continue;
			const uint8_t *p = m->frame + m->payload_off;
			rte_prefetch0(p);
			rte_prefetch0(p + RTE_CACHE_LINE_SIZE);
			if (!insp || (m->flags & PL_PKT_F_FRAGMENT))
				continue;
			/* The automaton's first steps read as far as a DHCP
			 * magic cookie (offset 236). */
			uint32_t reach = RTE_MIN(m->payload_cap, c->reach);
			for (uint32_t o = 2 * RTE_CACHE_LINE_SIZE; o < reach;
			     o += RTE_CACHE_LINE_SIZE)
				rte_prefetch0(p + o);
			if (reach > 2 * RTE_CACHE_LINE_SIZE)
				rte_prefetch0(p + reach - 1);
		}
	for (unsigned i = 0; i < n; i++) {
		const struct pl_pkt_meta *m = metas[i];
		st->packets++;
		st->bytes += m->wire_len;
		if (m->ts_us > c->now_us)
			c->now_us = m->ts_us;
		if (unlikely(idx[i] == UINT32_MAX)) {
			st->untracked_packets++;
			st->untracked_bytes += m->wire_len;
			continue;
		}
		struct pl_flow *f = pl_flow_table_flow(c->table, idx[i]);
		if (is_new & (1ULL << i)) {
			st->flows_created++;
			pl_flow_init(f, m, c->seq++);
			f->inspect = c->scratch != NULL &&
				     m->key.family != PL_FAMILY_L2;
			if (!c->heads.on)
				f->head_step[0] = f->head_step[1] =
					PL_HEAD_DONE;
			pl_wheel_add(&c->wheel, idx[i],
				     m->ts_us + c->timeout_us[f->proto]);
		}
		pl_flow_update(f, m);
		if (needs_payload(f, m))
			payload_of(c, f, m);
	}
}

/* A plain mbuf goes straight back to the pool: rte_pktmbuf_free would read
 * its header lines, which the RX core then has to take back before the
 * PMD resets them (perf: a fifth of the RX lcore's time). */
static void
free_burst(struct rte_mempool *pool, struct rte_mbuf **pkts,
	   const struct pl_pkt_meta **metas, unsigned n)
{
	unsigned plain = 0;
	for (unsigned i = 0; i < n; i++) {
		if (likely(!(metas[i]->flags & PL_PKT_F_COMPLEX_BUF)))
			pkts[plain++] = pkts[i];
		else
			rte_pktmbuf_free(pkts[i]);
	}
	rte_mempool_put_bulk(pool, (void **)pkts, plain);
}

/* A burst is cut where trace time crosses a wheel tick, and the wheel
 * advances there, so expiry is exact to the tick whatever the burst spans.
 * Measured (tools/bench, docs/benchmarks.md): 100-190 cycles per packet of
 * an established flow, ~2000 per packet that creates a flow. */
static void
process_burst(struct worker_ctx *c, struct rte_mbuf **pkts, unsigned n)
{
	const struct pl_pkt_meta *metas[PL_BURST];

	/* The metas were written on the RX core: start all their misses at
	 * once rather than one by one in the lookup. */
	for (unsigned i = 0; i < n; i++) {
		metas[i] = PL_META(pkts[i]);
		rte_prefetch0(metas[i]);
		rte_prefetch0((const char *)metas[i] + RTE_CACHE_LINE_SIZE);
	}
	for (unsigned i = 0; i < n;) {
		if (metas[i]->ts_us >= c->next_tick_us)
			advance_to(c, metas[i]->ts_us);
		unsigned j = i + 1;
		while (j < n && metas[j]->ts_us < c->next_tick_us)
			j++;
		account(c, metas + i, j - i);
		i = j;
	}
	free_burst(c->w->app->pool, pkts, metas, n);
}

static int
ctx_init(struct worker_ctx *c, struct pl_app *app, struct pl_worker *w)
{
	char name[32];
	*c = (struct worker_ctx){.app = app, .w = w};
	snprintf(name, sizeof(name), "pl_flows_%u", w->id);
	c->table = pl_flow_table_create(name, app->opt.flows,
					(int)rte_socket_id());
	if (c->table == NULL) {
		fprintf(stderr,
			"protolens: worker %u: cannot create a flow table of "
			"%u flows: %s (raise --mem or lower --flows)\n",
			w->id, app->opt.flows, rte_strerror(rte_errno));
		return -1;
	}
	if (pl_wheel_init(&c->wheel, pl_flow_table_capacity(c->table),
			  WHEEL_SLOTS, WHEEL_TICK_US, 0) != 0) {
		fprintf(stderr, "protolens: worker %u: no memory for the "
				"timer wheel\n", w->id);
		pl_flow_table_free(c->table);
		return -1;
	}
	if (pl_heads_init(&c->heads, app, w) != 0) {
		pl_wheel_fini(&c->wheel);
		pl_flow_table_free(c->table);
		return -1;
	}
	if (app->models) {
		c->scratch = pl_model_scratch_alloc(app->models);
		c->reach = pl_model_reach(app->models);
		pl_flow_table_prefetch_new(c->table, c->reach);
		c->heads.scratch = c->scratch;
		if (c->scratch == NULL) {
			fprintf(stderr, "protolens: worker %u: no memory for "
					"the regex scratch\n", w->id);
			pl_heads_fini(&c->heads);
			pl_wheel_fini(&c->wheel);
			pl_flow_table_free(c->table);
			return -1;
		}
	}
	w->stats.table_bytes = pl_flow_table_memory(c->table) +
			       (uint64_t)pl_flow_table_capacity(c->table) *
				       sizeof(struct pl_wheel_link) +
			       (uint64_t)WHEEL_SLOTS * sizeof(uint32_t);
	w->stats.head_pool_bytes =
		c->heads.pool ? pl_reasm_pool_memory(c->heads.pool) : 0;
	for (unsigned p = 0; p < 256; p++)
		c->timeout_us[p] = app->opt.other_timeout * 1000000ULL;
	c->timeout_us[6] = app->opt.tcp_timeout * 1000000ULL;
	c->timeout_us[17] = app->opt.udp_timeout * 1000000ULL;
	return 0;
}

static void
ctx_fini(struct worker_ctx *c)
{
	c->flushing = true;
	pl_wheel_drain(&c->wheel, expire_cb, c);
	pl_wheel_fini(&c->wheel);
	pl_flow_table_free(c->table);
	pl_heads_fini(&c->heads);
	pl_model_scratch_free(c->scratch);
	__atomic_store_n(&c->w->done, true, __ATOMIC_RELEASE);
}

/* Live traffic without capture timestamps: idle flows must still expire
 * while no packet arrives. */
static void
idle_tick(struct worker_ctx *c)
{
	if (c->app->ts_offset >= 0)
		return;
	uint64_t now = rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000000);
	if (now >= c->next_tick_us)
		advance_to(c, now);
}

int
pl_worker_main(void *arg)
{
	struct pl_worker *w = arg;
	struct pl_app *app = w->app;
	struct pl_lcore_stats *st = &w->stats;
	struct rte_mbuf *pkts[PL_BURST];
	struct worker_ctx c;
	uint64_t stop_tsc = app->opt.duration
				    ? app->start_tsc +
					      app->opt.duration * rte_get_tsc_hz()
				    : UINT64_MAX;

	if (ctx_init(&c, app, w) != 0) {
		pl_quit = 1;
		__atomic_store_n(&w->done, true, __ATOMIC_RELEASE);
		return -1;
	}
	__atomic_store_n(&w->ready, true, __ATOMIC_RELEASE);
	for (;;) {
		uint64_t t0 = rte_get_tsc_cycles();
		unsigned n;
		if (app->pipeline) {
			n = rte_ring_sc_dequeue_burst(w->in, (void **)pkts,
						      PL_BURST, NULL);
		} else {
			n = rte_eth_rx_burst(app->port, w->queue, pkts,
					     PL_BURST);
			n = pl_rx_decode_burst(app, pkts, n, st);
		}
		if (n == 0) {
			st->idle_polls++;
			if (app->pipeline) {
				if (__atomic_load_n(&app->rx_done,
						    __ATOMIC_ACQUIRE) &&
				    rte_ring_empty(w->in))
					break;
			} else if (pl_quit || t0 >= stop_tsc) {
				break;
			}
			idle_tick(&c);
			continue;
		}
		process_burst(&c, pkts, n);
		st->busy_polls++;
		st->busy_cycles += rte_get_tsc_cycles() - t0;
	}
	/* What was idle by the end of the trace times out as it would have
	 * with one worker, not at shutdown. */
	if (app->pipeline && app->ts_offset >= 0 &&
	    app->trace_end_us > c.now_us)
		advance_to(&c, app->trace_end_us);
	ctx_fini(&c);
	return 0;
}
