/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RX lcore (pipeline layout): bursts of 32 from the port, decoded once into
 * each mbuf's private area, then spread over the workers' rings by flow
 * hash. Undecodable packets are counted per reason and freed here.
 */
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_prefetch.h>

#include "protolens.h"

#define PREFETCH_AHEAD 4

/* Wall time in microseconds, for packets without a capture timestamp. */
static inline uint64_t
wall_us(void)
{
	return rte_get_tsc_cycles() / (rte_get_tsc_hz() / 1000000);
}

/* prefetchw whatever -march says: rte_prefetch0_write degrades to a read
 * prefetch without PRFCHW, and CPUs without it take it as a no-op. */
static inline void
prefetch_meta(struct rte_mbuf *m)
{
	const char *p = (const char *)PL_META(m);
	asm volatile("prefetchw %0" : : "m"(*p));
	asm volatile("prefetchw %0" : : "m"(*(p + RTE_CACHE_LINE_SIZE)));
}

unsigned
pl_rx_decode_burst(struct pl_app *app, struct rte_mbuf **pkts, unsigned n,
		   struct pl_lcore_stats *st)
{
	unsigned kept = 0;
	uint64_t now = app->ts_offset < 0 ? wall_us() : 0;

	/* The meta goes to the private area, two cache lines the PMD did not
	 * touch and the worker read last: fetch them for writing a few
	 * packets ahead, or each store waits for the worker's copy to be
	 * invalidated. */
	for (unsigned i = 0; i < n && i < PREFETCH_AHEAD; i++)
		prefetch_meta(pkts[i]);
	for (unsigned i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[i];
		if (i + PREFETCH_AHEAD < n)
			prefetch_meta(pkts[i + PREFETCH_AHEAD]);
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
		struct pl_pkt_meta *meta = PL_META(m);
		uint32_t wire = m->pkt_len;
		/* Only the trace's single RX queue sees packets in file order. */
		if (unlikely(app->next_cut < app->nb_cuts) &&
		    app->cuts[app->next_cut].index == st->rx_packets)
			wire = app->cuts[app->next_cut++].orig_len;
		enum pl_pkt_result r =
			pl_pkt_decode(rte_pktmbuf_mtod(m, const uint8_t *),
				      m->data_len, wire, app->link, meta);
		st->rx_packets++;
		if (unlikely(r != PL_PKT_OK)) {
			st->rx_bytes += m->pkt_len;
			st->undecodable++;
			st->undecodable_by[r]++;
			rte_pktmbuf_free(m);
			continue;
		}
		st->rx_bytes += meta->wire_len;
		st->decoded++;
		if (unlikely(m->nb_segs != 1 || !RTE_MBUF_DIRECT(m) ||
			     rte_mbuf_refcnt_read(m) != 1))
			meta->flags |= PL_PKT_F_COMPLEX_BUF;
		meta->ts_us = app->ts_offset < 0
				      ? now
				      : *RTE_MBUF_DYNFIELD(m, app->ts_offset,
							   rte_mbuf_timestamp_t *);
		pkts[kept++] = m;
	}
	/* Hashed in a second pass: read right after the decoder's narrow
	 * stores, the key's 8-byte words would stall on store forwarding. */
	for (unsigned i = 0; i < kept; i++) {
		struct pl_pkt_meta *meta = PL_META(pkts[i]);
		if (app->opt.ignore_vlan)
			meta->key.vlan = 0;
		meta->hash = pl_pkt_key_hash(&meta->key, 0);
	}
	return kept;
}

/* Hand a worker its share of the burst. A trace waits for room (nothing is
 * lost offline); a live port drops and counts, since it cannot wait. */
static void
send_to_worker(struct pl_app *app, struct pl_worker *w,
	       struct rte_mbuf **pkts, unsigned n, struct pl_lcore_stats *st)
{
	unsigned sent = rte_ring_enqueue_burst(w->in, (void **)pkts, n, NULL);
	while (sent < n && app->offline && !pl_quit) {
		rte_pause();
		sent += rte_ring_enqueue_burst(w->in, (void **)pkts + sent,
					       n - sent, NULL);
	}
	if (unlikely(sent < n)) {
		st->ring_drops += n - sent;
		rte_pktmbuf_free_bulk(pkts + sent, n - sent);
	}
}

/* The end of a trace: all its packets read, or (should the count be off)
 * the port idle for two seconds with no mbuf shortage. */
static bool
trace_ended(struct pl_app *app, uint64_t *idle_since)
{
	struct pl_lcore_stats *st = &app->rx_stats;
	if (app->expected && st->rx_packets >= app->expected && !app->opt.replay)
		return true;
	uint64_t now = rte_get_tsc_cycles();
	if (*idle_since == 0) {
		*idle_since = now;
		return false;
	}
	if (now - *idle_since < 2 * rte_get_tsc_hz())
		return false;
	struct rte_eth_stats es;
	if (rte_eth_stats_get(app->port, &es) == 0 && es.rx_nombuf != 0) {
		*idle_since = now;
		return false;
	}
	return app->offline;
}

int
pl_rx_main(void *arg)
{
	struct pl_app *app = arg;
	struct pl_lcore_stats *st = &app->rx_stats;
	struct rte_mbuf *pkts[PL_BURST];
	struct rte_mbuf *per_worker[PL_MAX_WORKERS][PL_BURST];
	unsigned count[PL_MAX_WORKERS];
	unsigned nw = app->opt.workers;
	uint64_t idle_since = 0;
	uint64_t stop_tsc = app->opt.duration
				    ? app->start_tsc +
					      app->opt.duration * rte_get_tsc_hz()
				    : UINT64_MAX;

	/* Workers fault in their tables and pools first: a live port read
	 * meanwhile would overflow their rings. */
	for (unsigned w = 0; w < nw && !pl_quit; w++)
		while (!__atomic_load_n(&app->workers[w].ready, __ATOMIC_ACQUIRE) &&
		       !pl_quit)
			rte_pause();
	while (!pl_quit) {
		uint64_t t0 = rte_get_tsc_cycles();
		uint16_t n = rte_eth_rx_burst(app->port, 0, pkts, PL_BURST);
		if (n == 0) {
			st->idle_polls++;
			if (trace_ended(app, &idle_since) ||
			    rte_get_tsc_cycles() >= stop_tsc)
				break;
			continue;
		}
		idle_since = 0;
		unsigned kept = pl_rx_decode_burst(app, pkts, n, st);
		if (nw == 1) {
			send_to_worker(app, &app->workers[0], pkts, kept, st);
		} else {
			for (unsigned w = 0; w < nw; w++)
				count[w] = 0;
			for (unsigned i = 0; i < kept; i++) {
				const struct pl_pkt_meta *m = PL_META(pkts[i]);
				unsigned w = pl_pkt_worker_of(m->hash, nw);
				per_worker[w][count[w]++] = pkts[i];
				if (m->ts_us > app->trace_end_us)
					app->trace_end_us = m->ts_us;
			}
			for (unsigned w = 0; w < nw; w++)
				if (count[w])
					send_to_worker(app, &app->workers[w],
						       per_worker[w], count[w],
						       st);
		}
		uint64_t t1 = rte_get_tsc_cycles();
		st->busy_polls++;
		st->busy_cycles += t1 - t0;
		if (app->expected && st->rx_packets >= app->expected &&
		    !app->opt.replay)
			break;
		if (unlikely(t1 >= stop_tsc))
			break;
	}
	__atomic_store_n(&app->rx_done, true, __ATOMIC_RELEASE);
	return 0;
}
