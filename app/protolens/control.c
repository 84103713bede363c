/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Control lcore: drains the workers' record rings into flows.jsonl and the
 * device table (devices.c), keeps the per-MAC count of non-IP packets and,
 * at the end, writes devices.json and summary.json and checks that every
 * packet is accounted for.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "export.h"
#include "model.h"
#include "protolens.h"

#define RECORD_BURST 64

struct control {
	struct pl_app *app;
	FILE *flows;
	json_t *non_ip; /* MAC -> packets it sent that were not IP */
	struct pl_attr_store *attrs;
	struct pl_devices *devices;
	uint64_t attrs_lost; /* no memory to keep them */
	uint64_t findings_lost; /* no memory to write them */
	uint64_t records;
	int write_error;
};

static void
count_non_ip(struct control *c, const struct pl_flow_record *r)
{
	for (int side = 0; side < 2; side++) {
		if (r->pkts[side] == 0)
			continue;
		char mac[18];
		pl_pkt_mac_str(r->mac[side], mac);
		json_t *v = json_object_get(c->non_ip, mac);
		json_int_t n = (v ? json_integer_value(v) : 0) +
			       (json_int_t)r->pkts[side];
		json_object_set_new(c->non_ip, mac, json_integer(n));
	}
}

/* Keep a worker's attribute messages and give the messages back. */
static void
take_attrs(struct control *c, struct pl_worker *w)
{
	struct pl_attr_msg *msgs[RECORD_BURST];
	unsigned n;

	if (w->attrs == NULL)
		return;
	do {
		n = rte_ring_sc_dequeue_burst(w->attrs, (void **)msgs,
					      RECORD_BURST, NULL);
		for (unsigned i = 0; i < n; i++) {
			pl_devices_message(c->devices, w->id, msgs[i]);
			if (pl_attr_store_put(c->attrs, w->id, msgs[i]) != 0)
				c->attrs_lost++;
		}
		rte_mempool_put_bulk(w->attr_pool, (void **)msgs, n);
	} while (n == RECORD_BURST);
}

/* The record holds each direction's first message and how many there
 * were; the later ones are for the device report. */
static void
write_record(struct control *c, const struct pl_flow_record *r)
{
	struct pl_attr_list l[2];
	pl_attr_store_take(c->attrs, r->worker, r->seq, l);
	const struct pl_attr_list *o = &l[r->orig_side], *p = &l[!r->orig_side];
	struct pl_flow_extra x = {
		.attrs = {o->n ? o->v[0].json : NULL, p->n ? p->v[0].json : NULL},
		.messages = {o->n, p->n},
	};
	if (r->key.family == PL_FAMILY_L2)
		count_non_ip(c, r);
	pl_devices_flow(c->devices, r);
	char *findings = pl_findings_of_flow(c->app, c->devices, r, l,
					     &c->findings_lost);
	x.findings = findings;
	if (c->flows && pl_export_flow_json(c->flows, r, c->app->models, &x) &&
	    !c->write_error)
		c->write_error = errno;
	free(findings);
	pl_attr_list_free(&l[0]);
	pl_attr_list_free(&l[1]);
}

/* @return records taken from all rings. */
static unsigned
drain(struct control *c)
{
	struct pl_flow_record recs[RECORD_BURST];
	unsigned total = 0;

	for (unsigned w = 0; w < c->app->opt.workers; w++) {
		unsigned n;
		do {
			n = rte_ring_sc_dequeue_burst_elem(
				c->app->workers[w].records, recs, sizeof(recs[0]),
				RECORD_BURST, NULL);
			/* A worker sends a flow's attributes before its
			 * record: taken after the records, they are all
			 * there. */
			take_attrs(c, &c->app->workers[w]);
			for (unsigned i = 0; i < n; i++)
				write_record(c, &recs[i]);
			total += n;
		} while (n == RECORD_BURST);
	}
	c->records += total;
	return total;
}

static bool
all_done(struct pl_app *app)
{
	for (unsigned w = 0; w < app->opt.workers; w++)
		if (!__atomic_load_n(&app->workers[w].done, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static json_t *
lcore_json(const char *role, unsigned lcore, const struct pl_lcore_stats *s,
	   uint64_t pkts, double elapsed)
{
	json_t *o = json_object();
	json_object_set_new(o, "role", json_string(role));
	json_object_set_new(o, "lcore", json_integer(lcore));
#define PL_X(name, help) json_object_set_new(o, #name, json_integer((json_int_t)s->name));
	PL_LCORE_COUNTERS(PL_X)
#undef PL_X
	json_object_set_new(o, "cycles_per_packet",
			    json_real(pkts ? (double)s->busy_cycles / pkts : 0));
	json_object_set_new(o, "mpps",
			    json_real(elapsed > 0 ? pkts / elapsed / 1e6 : 0));
	return o;
}

static json_t *
summary_json(struct control *c, const struct pl_lcore_stats *t,
	     double elapsed, const struct rte_eth_stats *es)
{
	struct pl_app *app = c->app;
	json_t *s = json_object();
	json_t *pk = json_object();
	json_t *by = json_object();

	if (app->opt.pcap)
		json_object_set_new(s, "trace", json_string(app->opt.pcap));
	if (app->expected)
		json_object_set_new(s, "trace_packets",
				    json_integer((json_int_t)app->expected));
	json_object_set_new(s, "elapsed_s", json_real(elapsed));
	if (app->models)
		json_object_set_new(s, "models_compile_ms",
				    json_real(pl_model_compile_ms(app->models)));
	json_object_set_new(pk, "received", json_integer((json_int_t)t->rx_packets));
	json_object_set_new(pk, "bytes", json_integer((json_int_t)t->rx_bytes));
	json_object_set_new(pk, "decoded", json_integer((json_int_t)t->decoded));
	json_object_set_new(pk, "undecodable", json_integer((json_int_t)t->undecodable));
	for (int r = 1; r < PL_PKT_RESULT_MAX; r++)
		json_object_set_new(by, pl_pkt_result_name(r),
				    json_integer((json_int_t)t->undecodable_by[r]));
	json_object_set_new(pk, "undecodable_by", by);
	json_object_set_new(pk, "ring_drops", json_integer((json_int_t)t->ring_drops));
	json_object_set_new(pk, "to_workers", json_integer((json_int_t)t->packets));
	json_object_set_new(pk, "untracked", json_integer((json_int_t)t->untracked_packets));
	json_object_set_new(pk, "rx_nombuf", json_integer((json_int_t)es->rx_nombuf));
	json_object_set_new(pk, "imissed", json_integer((json_int_t)es->imissed));
	json_object_set_new(pk, "ierrors", json_integer((json_int_t)es->ierrors));
	json_object_set_new(s, "packets", pk);

	json_t *fl = json_object();
	json_object_set_new(fl, "created", json_integer((json_int_t)t->flows_created));
	json_object_set_new(fl, "ended", json_integer((json_int_t)t->flows_ended));
	json_object_set_new(fl, "records_written", json_integer((json_int_t)c->records));
	json_object_set_new(fl, "records_dropped", json_integer((json_int_t)t->records_dropped));
	json_object_set_new(fl, "untracked_packets", json_integer((json_int_t)t->untracked_packets));
	json_object_set_new(fl, "untracked_bytes", json_integer((json_int_t)t->untracked_bytes));
	json_object_set_new(s, "flows", fl);
	json_object_set(s, "non_ip_packets_by_mac", c->non_ip);

	/* Per-packet costs of detection and attributes, for the targets of
	 * docs/benchmarks.md. */
	json_t *at = json_object();
	json_object_set_new(at, "dissected", json_integer((json_int_t)t->heads_dissected));
	json_object_set_new(at, "malformed", json_integer((json_int_t)t->heads_malformed));
	json_object_set_new(at, "heads_lost", json_integer((json_int_t)t->heads_lost));
	json_object_set_new(at, "dropped", json_integer((json_int_t)t->attrs_dropped));
	json_object_set_new(at, "lost_no_memory", json_integer((json_int_t)c->attrs_lost));
	json_object_set_new(at, "findings_lost_no_memory",
			    json_integer((json_int_t)c->findings_lost));
	json_object_set_new(at, "without_record",
			    json_integer((json_int_t)pl_attr_store_count(c->attrs)));
	json_object_set_new(at, "cycles_per_head",
			    json_real(t->heads_dissected ? (double)t->dissect_cycles /
							   t->heads_dissected : 0));
	json_object_set_new(at, "inspect_cycles_per_payload",
			    json_real(t->inspected_packets ? (double)t->inspect_cycles /
							     t->inspected_packets : 0));
	json_object_set_new(s, "attributes", at);

	json_t *lc = json_array();
	if (app->pipeline)
		json_array_append_new(lc, lcore_json("rx", app->rx_lcore, &app->rx_stats,
						     app->rx_stats.rx_packets, elapsed));
	for (unsigned w = 0; w < app->opt.workers; w++) {
		const struct pl_lcore_stats *ws = &app->workers[w].stats;
		json_array_append_new(lc, lcore_json("worker", app->workers[w].lcore,
						     ws, ws->packets, elapsed));
	}
	json_object_set_new(s, "lcores", lc);
	return s;
}

/* Every packet has exactly one fate; say so loudly when it does not. */
static int
check_accounting(const struct pl_app *app, const struct pl_lcore_stats *t,
		 uint64_t records)
{
	int ok = 1;
	if (t->rx_packets != t->decoded + t->undecodable) {
		fprintf(stderr, "protolens: accounting: received %" PRIu64
				" != decoded %" PRIu64 " + undecodable %" PRIu64 "\n",
			t->rx_packets, t->decoded, t->undecodable);
		ok = 0;
	}
	if (t->decoded != t->packets + t->ring_drops) {
		fprintf(stderr, "protolens: accounting: decoded %" PRIu64
				" != to workers %" PRIu64 " + ring drops %" PRIu64 "\n",
			t->decoded, t->packets, t->ring_drops);
		ok = 0;
	}
	if (t->flows_created != t->flows_ended ||
	    t->flows_ended != records + t->records_dropped) {
		fprintf(stderr, "protolens: accounting: flows created %" PRIu64
				", ended %" PRIu64 ", written %" PRIu64
				", dropped %" PRIu64 "\n",
			t->flows_created, t->flows_ended, records,
			t->records_dropped);
		ok = 0;
	}
	if (app->expected && !app->opt.replay && !app->opt.duration && !pl_quit &&
	    t->rx_packets != app->expected) {
		fprintf(stderr, "protolens: accounting: the trace holds %" PRIu64
				" packets, %" PRIu64 " were received\n",
			app->expected, t->rx_packets);
		ok = 0;
	}
	return ok ? 0 : -1;
}

static void
print_summary(const struct pl_lcore_stats *t, const struct rte_eth_stats *es,
	      uint64_t records, double elapsed)
{
	printf("packets   received %" PRIu64 ", decoded %" PRIu64
	       ", undecodable %" PRIu64 ", ring drops %" PRIu64
	       ", no mbuf %" PRIu64 "\n",
	       t->rx_packets, t->decoded, t->undecodable, t->ring_drops,
	       (uint64_t)es->rx_nombuf);
	for (int r = 1; r < PL_PKT_RESULT_MAX; r++)
		if (t->undecodable_by[r])
			printf("          undecodable %-18s %" PRIu64 "\n",
			       pl_pkt_result_name(r), t->undecodable_by[r]);
	printf("flows     %" PRIu64 " (records written %" PRIu64
	       ", dropped %" PRIu64 "), untracked packets %" PRIu64 "\n",
	       t->flows_created, records, t->records_dropped,
	       t->untracked_packets);
	printf("detection %" PRIu64 " payloads inspected, %" PRIu64
	       " flows classified\n", t->inspected_packets, t->flows_classified);
	printf("attributes %" PRIu64 " messages (%" PRIu64
	       " malformed), heads lost %" PRIu64 ", dropped %" PRIu64 "\n",
	       t->heads_dissected, t->heads_malformed, t->heads_lost,
	       t->attrs_dropped);
	printf("time      %.3f s\n", elapsed);
}

static int
write_json_atomically(const char *dir, const char *name, json_t *j)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (json_dump_file(j, tmp, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "protolens: %s: cannot write: %s\n", path,
			strerror(errno));
		return -1;
	}
	return 0;
}

int
pl_control_run(struct pl_app *app)
{
	struct control c = {.app = app, .non_ip = json_object(),
			    .attrs = pl_attr_store_create(),
			    .devices = pl_devices_create(app)};
	char path[4096];
	static char buf[1 << 20];

	if (c.devices == NULL) {
		/* Workers are running: drain them, then fail. */
		fprintf(stderr, "protolens: no memory for %u devices\n",
			app->opt.max_devices);
		pl_quit = 1;
	} else if (pl_devices_telemetry_init(c.devices) != 0) {
		fprintf(stderr, "protolens: warning: device telemetry commands "
				"not registered\n");
	}
	snprintf(path, sizeof(path), "%s/flows.jsonl", app->opt.out_dir);
	c.flows = fopen(path, "w");
	if (c.flows == NULL) {
		/* Stop, but keep draining: workers may be waiting on a full
		 * ring, and the summary still accounts for every packet. */
		c.write_error = errno;
		fprintf(stderr, "protolens: %s: cannot write: %s\n", path,
			strerror(errno));
		pl_quit = 1;
	} else {
		setvbuf(c.flows, buf, _IOFBF, sizeof(buf));
	}

	for (;;) {
		bool done = all_done(app);
		unsigned n = drain(&c);
		pl_devices_tick(c.devices);
		if (n > 0) {
			if (c.flows)
				fflush(c.flows);
			continue;
		}
		if (done)
			break;
		usleep(200);
	}
	app->end_tsc = rte_get_tsc_cycles();
	if (c.flows && fclose(c.flows) != 0 && !c.write_error)
		c.write_error = errno;
	if (c.write_error && c.flows)
		fprintf(stderr, "protolens: %s: write failed: %s\n", path,
			strerror(c.write_error));

	struct pl_lcore_stats t;
	struct rte_eth_stats es = {0};
	pl_stats_sum(app, &t);
	rte_eth_stats_get(app->port, &es);
	double elapsed = (double)(app->end_tsc - app->start_tsc) / rte_get_tsc_hz();
	json_t *s = summary_json(&c, &t, elapsed, &es);
	int rc = c.devices ? pl_devices_finish(c.devices, s) : -1;
	if (write_json_atomically(app->opt.out_dir, "summary.json", s) != 0)
		rc = -1;
	json_decref(s);
	json_decref(c.non_ip);
	pl_attr_store_free(c.attrs);
	if (!app->opt.quiet) {
		print_summary(&t, &es, c.records, elapsed);
		if (c.devices) {
			printf("\n");
			pl_devices_print(c.devices, stdout);
		}
	}
	pl_devices_free(c.devices);
	if (check_accounting(app, &t, c.records) != 0 || c.write_error)
		rc = -1;
	return rc;
}
