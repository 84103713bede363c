/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PROTOLENS_H
#define PROTOLENS_H

/* The application's shared state: options, lcore roles and counters. */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flow.h"
#include "pkt.h"

#define PL_MAX_WORKERS 64
#define PL_BURST 32

struct pl_options {
	const char *pcap;      /**< trace file (pcap mode), NULL for NIC mode */
	const char *out_dir;
	unsigned workers;
	uint32_t flows;        /**< flow table capacity per worker */
	uint32_t tcp_timeout;  /**< seconds */
	uint32_t udp_timeout;
	uint32_t other_timeout;
	uint32_t ring_size;    /**< packets per worker ring */
	uint32_t record_ring_size;
	uint32_t mem_mb;       /**< EAL memory in pcap mode, 0 = computed */
	uint32_t duration;     /**< seconds of wall time, 0 = until the end */
	uint16_t port;         /**< NIC mode: ethdev port */
	const char *models;    /**< model directory */
	uint32_t inspect_pkts; /**< payload packets inspected per direction */
	uint32_t inspect_bytes;/**< payload bytes inspected per direction */
	bool inspect_all;      /**< no inspection budget */
	bool no_inspect;       /**< no protocol detection at all */
	bool replay;           /**< pcap mode: replay from memory forever */
	bool quiet;
};

/**
 * Counters of one lcore, defined once: the struct, the summary and the
 * telemetry names all come from this list. Each lcore writes only its own
 * (cache-aligned) copy.
 */
#define PL_LCORE_COUNTERS(X)                                                   \
	X(rx_packets, "packets received from the port")                      \
	X(rx_bytes, "bytes received from the port (wire length)")            \
	X(decoded, "packets decoded up to their last header")                \
	X(undecodable, "packets whose headers could not be decoded")         \
	X(ring_drops, "decoded packets dropped: worker ring full")           \
	X(packets, "packets accounted to flows by workers")                  \
	X(bytes, "bytes accounted to flows by workers")                      \
	X(untracked_packets, "packets whose flow did not fit the table")     \
	X(untracked_bytes, "bytes of untracked packets")                     \
	X(flows_created, "flows created")                                    \
	X(flows_ended, "flows ended (idle timeout or shutdown)")             \
	X(records_dropped, "flow records dropped: control ring full")        \
	X(inspected_packets, "payloads run through the model automata")     \
	X(inspected_bytes, "payload bytes run through the model automata")  \
	X(flows_classified, "flows a model was selected for")               \
	X(inspect_errors, "payloads the regex engine failed on")            \
	X(busy_polls, "polls that returned packets")                         \
	X(idle_polls, "polls that returned nothing")                         \
	X(busy_cycles, "TSC cycles spent in polls that returned packets")

struct pl_lcore_stats {
#define PL_X(name, help) uint64_t name;
	PL_LCORE_COUNTERS(PL_X)
#undef PL_X
	uint64_t undecodable_by[PL_PKT_RESULT_MAX];
} __rte_cache_aligned;

enum pl_role { PL_ROLE_CONTROL, PL_ROLE_RX, PL_ROLE_WORKER };

struct pl_app;

struct pl_worker {
	struct pl_app *app;
	unsigned id;
	unsigned lcore;
	struct rte_ring *in;      /**< packets from RX (pipeline mode) */
	struct rte_ring *records; /**< flow records to control */
	uint16_t queue;           /**< NIC mode: the queue it polls */
	volatile bool done;       /**< all its flows were sent */
	struct pl_lcore_stats stats;
};

struct pl_model_set;

/** Frames of a trace captured shorter than they were: their true length. */
struct pl_trace_cut {
	uint64_t index;    /**< position in the trace, from 0 */
	uint32_t orig_len; /**< length on the wire */
};

struct pl_app {
	struct pl_options opt;
	struct pl_model_set *models; /**< NULL with --no-inspect */
	uint16_t port;
	bool pipeline;            /**< RX lcore feeds workers through rings */
	bool offline;             /**< a trace: wait on full rings, never drop */
	uint64_t expected;        /**< packets in the trace, 0 if unknown */
	/* The pcap PMD gives the captured length only: the true lengths of
	 * cut frames, in trace order, for the RX lcore to restore. */
	struct pl_trace_cut *cuts;
	size_t nb_cuts;
	size_t next_cut;
	int ts_offset;            /**< mbuf timestamp dynfield, -1 if none */
	enum pl_pkt_link link;    /**< what frames start with */
	unsigned rx_lcore;
	volatile bool rx_done;    /**< no more packets will enter the rings */
	uint64_t rx_nombuf_at_end;
	struct pl_lcore_stats rx_stats;
	struct pl_worker workers[PL_MAX_WORKERS];
	uint64_t start_tsc;
	uint64_t end_tsc;
};

extern volatile sig_atomic_t pl_quit;

/** Parse options (and --config files). @return 0, 1 for --help, or -1. */
int pl_options_parse(struct pl_options *o, int argc, char **argv);

/** Print the option list. */
void pl_options_usage(FILE *f);

/**
 * Check a trace with libpcap, count its packets, give its link type and
 * the true lengths of the frames captured shorter than they were (*cuts:
 * malloc'ed, NULL if none; past 16M cut frames the rest are left out and
 * their lengths come from the IP header).
 * @return the packet count (> 0), or -1 after printing a one-line error
 *         (missing, unreadable, not pcap/pcapng, empty, truncated).
 */
int64_t pl_trace_count(const char *path, int *link, struct pl_trace_cut **cuts,
		       size_t *nb_cuts);

/** Decode a burst in place: fills each mbuf's meta. Cost: ~55-85
 * cycles/pkt (its share of the RX lcore in perf, docs/benchmarks.md). */
unsigned pl_rx_decode_burst(struct pl_app *app, struct rte_mbuf **pkts,
			    unsigned n, struct pl_lcore_stats *st);

int pl_rx_main(void *arg);
int pl_worker_main(void *arg);

/** Sum the counters of every lcore (read while they run: each is exact,
 * their sum a near-instant snapshot). */
void pl_stats_sum(const struct pl_app *app, struct pl_lcore_stats *total);

/**
 * Register the telemetry commands (/protolens/stats).
 * @return 0, or a negative errno from rte_telemetry_register_cmd.
 */
int pl_stats_telemetry_init(const struct pl_app *app);

/** Run the control loop on the calling lcore until every worker is done. */
int pl_control_run(struct pl_app *app);

/** The meta of a decoded packet, in the mbuf private area. */
#define PL_META(m) ((struct pl_pkt_meta *)rte_mbuf_to_priv(m))

#endif /* PROTOLENS_H */
