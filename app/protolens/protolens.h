/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PROTOLENS_H
#define PROTOLENS_H

/* The application's shared state: options, lcore roles and counters. */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>
#include <rte_common.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "flow.h"
#include "model.h"
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
	uint32_t head_bytes;   /**< TCP head reassembled per direction */
	uint32_t head_buffers; /**< reassembly buffers per worker */
	uint32_t attr_blobs;   /**< attribute messages per worker */
	uint32_t udp_messages; /**< datagrams (ARP packets) dissected per
				    direction of a flow */
	bool no_attrs;         /**< no dissectors */
	bool ignore_vlan;      /**< flows keyed without VLAN ids */
	uint32_t max_devices;  /**< bound of the device table */
	uint32_t export_interval; /**< seconds between devices.json, 0: end */
	uint32_t top;          /**< entries of the report's top lists */
	const char *oui_dir;   /**< IEEE registries */
	bool oui_dir_given;    /**< a missing registry is then an error */
	const char *ciphersuites;  /**< cipher-suite registry file */
	const char *cipher_levels; /**< its snapshot; NULL: the current one */
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
	X(inspect_cycles, "TSC cycles spent running the models on payloads") \
	X(heads_dissected, "attribute messages: datagrams, TCP heads, ARP") \
	X(heads_malformed, "attribute messages marked malformed")            \
	X(heads_lost, "TCP flow directions with no reassembly buffer free")  \
	X(attrs_dropped, "attribute messages dropped: none free (live)")     \
	X(dissect_cycles, "TSC cycles spent reassembling and dissecting")    \
	X(attrs_wait_cycles, "TSC cycles waiting for control to free a message (trace)") \
	X(table_bytes, "bytes of the flow table, flow state and timer wheel") \
	X(head_pool_bytes, "bytes of the TCP head reassembly pool")          \
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
	struct rte_ring *attrs;   /**< struct pl_attr_msg pointers to control */
	struct rte_mempool *attr_pool; /**< where attribute messages live */
	uint16_t queue;           /**< NIC mode: the queue it polls */
	volatile bool ready;      /**< its table and pools exist */
	volatile bool done;       /**< all its flows were sent */
	struct pl_lcore_stats stats;
};

struct pl_model_set;

/**
 * Attributes of one message of a flow direction (a datagram, a TCP head, an
 * ARP packet), from a worker to control: an element of the worker's
 * attr_pool, passed by pointer on its attrs ring. Control keeps the text
 * and its packet's context until the flow's record arrives, and returns
 * the element; the device table counts it as soon as it comes, which is
 * what the flow key, the originator and the destination MAC are for.
 */
struct pl_attr_msg {
	uint64_t seq;    /**< the flow's creation number in its worker */
	uint64_t ts_us;  /**< capture time of the packet dissected */
	struct pl_flow_key key; /**< the flow's */
	uint8_t mac[6];  /**< its source MAC */
	uint8_t dst_mac[6];
	uint8_t side;    /**< key side whose bytes were dissected */
	uint8_t orig_side; /**< key side of the flow's originator */
	uint8_t app;     /**< model + 1, or PL_ATTR_APP_ARP */
	uint8_t ttl;     /**< its IPv4 TTL or IPv6 hop limit; 0 if not IP */
	uint16_t len;    /**< length of json, NUL excluded */
	char json[];     /**< one JSON object: the dissector's members */
};

/** pl_attr_msg.app of an ARP packet's attributes: ARP has no model, and
 * model + 1 is at most PL_MODEL_MAX. */
#define PL_ATTR_APP_ARP 0xff

#define PL_ATTR_MSG_SIZE 8192

/** Frames of a trace captured shorter than they were: their true length. */
struct pl_trace_cut {
	uint64_t index;    /**< position in the trace, from 0 */
	uint32_t orig_len; /**< length on the wire */
};

struct pl_oui;
struct pl_cipher_registry;
struct pl_policy;

struct pl_app {
	struct pl_options opt;
	struct pl_oui *oui;          /**< vendors; NULL when not loaded */
	struct pl_cipher_registry *ciphers; /**< --ciphersuites, --cipher-levels */
	struct pl_policy *policy;    /**< the models' best practices; NULL
					  with --no-inspect */
	struct pl_model_set *models; /**< NULL with --no-inspect */
	uint16_t port;
	struct rte_mempool *pool; /**< every packet's mbuf */
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
	/* Latest timestamp RX spread over two or more workers: trace time
	 * at the end, which a worker whose last packet came earlier has not
	 * seen. Written before rx_done. */
	uint64_t trace_end_us;
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

struct pl_dissector;

/** A worker's attribute extraction (heads.c). */
struct pl_heads {
	struct pl_app *app;
	struct pl_worker *w;
	struct pl_reasm_pool *pool;
	const struct pl_dissector *dissector[PL_MODEL_MAX]; /**< or NULL */
	bool model_attrs[PL_MODEL_MAX]; /**< the model has attributes */
	struct pl_model_scratch *scratch; /**< the worker's, for regexes */
	bool on;       /**< models loaded and attributes wanted */
	bool flushing; /**< shutdown: wait for control, never drop */
};

/**
 * Prepare a worker's extraction: the dissector of each model and the
 * reassembly pool (--head-buffers of --head-bytes).
 * @return 0, or -1 after printing why (no memory).
 */
int pl_heads_init(struct pl_heads *h, struct pl_app *app, struct pl_worker *w);

/** Release the pool. */
void pl_heads_fini(struct pl_heads *h);

/**
 * One packet of a flow whose direction m->dir is not done yet (call only
 * when f->head_step[m->dir] < PL_HEAD_DONE), after detection ran on it.
 * payload/len: its L4 payload present in the buffer.
 */
void pl_heads_packet(struct pl_heads *h, struct pl_flow *f,
		     const struct pl_pkt_meta *m, const uint8_t *payload,
		     uint32_t len);

/** A flow ends: dissect what its directions collected, free the buffers. */
void pl_heads_flow_end(struct pl_heads *h, struct pl_flow *f,
		       const struct pl_flow_key *key, bool shutdown);

struct pl_attr_store;

/** An empty store of attributes waiting for their flow's record (control).
 * @return the store, or NULL (no memory). */
struct pl_attr_store *pl_attr_store_create(void);

/** Free a store and every text still in it; NULL is a no-op. */
void pl_attr_store_free(struct pl_attr_store *s);

/** Most texts the store keeps per flow and key side: the largest
 * --udp-messages. Workers send no more than --udp-messages per direction
 * (one for a TCP head), which is what bounds the store's memory. */
#define PL_ATTR_STORE_MAX_TEXTS 65535

/**
 * Keep a copy of a message's text and context for the flow (worker,
 * msg->seq), after the texts already kept for its side.
 * @return 0; -ENOSPC when the side has PL_ATTR_STORE_MAX_TEXTS already, or
 *         -ENOMEM (the message is lost, the store unchanged; also when s
 *         is NULL, a store that could not be created).
 */
int pl_attr_store_put(struct pl_attr_store *s, unsigned worker,
		      const struct pl_attr_msg *msg);

/** One kept message: its text (malloc'ed) and its packet's context. */
struct pl_attr_text {
	char *json;
	uint64_t ts_us;
	uint8_t mac[6];
	uint8_t ttl;
};

/** The messages of one key side of a flow, in arrival order. */
struct pl_attr_list {
	struct pl_attr_text *v; /**< NULL when n is 0 */
	unsigned n;
};

/**
 * Remove a flow's messages from the store, by key side (out[side]; n is 0
 * where none, or for a flow the store does not hold). The caller owns
 * them and frees each list with pl_attr_list_free.
 */
void pl_attr_store_take(struct pl_attr_store *s, unsigned worker, uint64_t seq,
			struct pl_attr_list out[2]);

/** Free a list's texts and array, and leave it empty. */
void pl_attr_list_free(struct pl_attr_list *l);

/** Messages in the store: those whose flow's record has not come. */
size_t pl_attr_store_count(const struct pl_attr_store *s);

struct pl_devices;

/**
 * Control's device table (devices.c), with the devices.json export and
 * the telemetry commands /protolens/devices and /protolens/device.
 * @return the table, or NULL (no memory).
 */
struct pl_devices *pl_devices_create(struct pl_app *app);

/** Free it; telemetry calls after this find no table. NULL is a no-op. */
void pl_devices_free(struct pl_devices *d);

/** Count a message's attributes as it arrives (a text that does not parse
 * is counted in summary.json's devices.attributes_unparsed). */
void pl_devices_message(struct pl_devices *d, unsigned worker,
			const struct pl_attr_msg *msg);

/** Account an ended flow's traffic. */
void pl_devices_flow(struct pl_devices *d, const struct pl_flow_record *r);

struct pl_rule_info;

/**
 * A finding of flow r against the device of one of its sides (0: the
 * originator, 1: the responder).
 * @return 0, or a negative errno of pl_device_add_finding (-ENOENT: that
 *         side is not a device).
 */
int pl_devices_finding(struct pl_devices *d, const struct pl_flow_record *r,
		       unsigned side, const struct pl_rule_info *rule,
		       const char *value);

/**
 * Check an ended flow's messages (lists, by key side) against the rules of
 * its protocol, count the findings against the devices they concern, and
 * give them as a JSON array text for the flow record.
 * @return the text (malloc'ed), or NULL when there is none (or no memory:
 *         counted in *lost).
 */
char *pl_findings_of_flow(const struct pl_app *app, struct pl_devices *d,
			  const struct pl_flow_record *r,
			  const struct pl_attr_list lists[2], uint64_t *lost);

/** Without capture timestamps: write devices.json if --export-interval of
 * wall time has passed since the last (with them, trace time decides as
 * messages and records arrive). */
void pl_devices_tick(struct pl_devices *d);

/**
 * The last devices.json, and its counters in summary (a "devices" member).
 * @return 0, or a negative errno when devices.json could not be written.
 */
int pl_devices_finish(struct pl_devices *d, json_t *summary);

/** The device table: one line per device (vendor, name, protocols,
 * findings). */
void pl_devices_print(struct pl_devices *d, FILE *f);

/**
 * Register /protolens/devices and /protolens/device,<mac>.
 * @return 0, or a negative errno from rte_telemetry_register_cmd.
 */
int pl_devices_telemetry_init(struct pl_devices *d);

/** The meta of a decoded packet, in the mbuf private area. */
#define PL_META(m) ((struct pl_pkt_meta *)rte_mbuf_to_priv(m))

#endif /* PROTOLENS_H */
