/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Attribute extraction in a worker: once a flow's protocol is known, the
 * native dissector of that protocol and the model's own `attributes` read
 * the reassembled head of each TCP direction once, and every datagram of
 * each UDP direction up to --udp-messages, since control builds a device's
 * fingerprint from all its queries and announcements, not just the first.
 * ARP has no model: every packet of an ARP flow is dissected, up to the
 * same cap per direction. Each dissected head, datagram or ARP packet goes
 * to control as one message, with the source MAC, time and TTL of its
 * packet. A model without a native dissector gets its head dissected as
 * soon as it is classified (nothing says when such a head is whole).
 *
 * A TCP direction is buffered from its first payload while the flow is
 * still being inspected, since the payload that classifies a flow (a
 * ClientHello) is the one the dissector needs. The buffer goes back to the
 * pool as soon as the head is dissected, or when inspection gives up, or
 * at the flow's end. A TCP direction gets one chance: a dissector is never
 * run twice on it. A UDP or ARP direction counts its datagrams in the flow's
 * head[] (unused without reassembly) and is done at the cap. Packets of a
 * direction that is done cost one test.
 */
#include <string.h>

#include <rte_cycles.h>
#include <rte_mempool.h>
#include <rte_ring.h>

#include "model.h"
#include "proto.h"
#include "protolens.h"

#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
/* An unclassified TCP direction keeps its buffer for this many payload
 * packets: the payload that classifies a flow is nearly always its first,
 * and a flow of an unknown protocol must not hold a buffer for its life. */
#define UNCLASSIFIED_HOLD_PKTS 4
#define ETHER_TYPE_ARP 0x0806

_Static_assert(PL_MODEL_MAX < PL_ATTR_APP_ARP,
	       "a model's app value must never read as ARP");

int
pl_heads_init(struct pl_heads *h, struct pl_app *app, struct pl_worker *w)
{
	*h = (struct pl_heads){.app = app, .w = w};
	if (app->models == NULL || app->opt.no_attrs)
		return 0;
	for (unsigned i = 0; i < pl_model_count(app->models); i++) {
		h->dissector[i] = pl_dissector_find(pl_model_name(app->models, i));
		h->model_attrs[i] = pl_model_has_attrs(app->models, i, false) ||
				    pl_model_has_attrs(app->models, i, true);
	}
	h->pool = pl_reasm_pool_create(app->opt.head_buffers,
				       app->opt.head_bytes);
	if (h->pool == NULL) {
		fprintf(stderr, "protolens: worker %u: no memory for %u "
				"reassembly buffers of %u bytes\n",
			w->id, app->opt.head_buffers, app->opt.head_bytes);
		return -1;
	}
	h->on = true;
	return 0;
}

void
pl_heads_fini(struct pl_heads *h)
{
	pl_reasm_pool_free(h->pool);
	h->pool = NULL;
}

/* The model's attributes of one direction, in a "model" member. */
static bool
model_attrs(struct pl_heads *h, const struct pl_flow *f, unsigned side,
	    const uint8_t *p, uint32_t len, struct pl_attrs *a)
{
	unsigned model = f->app - 1u;
	bool response = side != f->orig_side;

	if (!pl_model_has_attrs(h->app->models, model, response))
		return false;
	/* Undone when nothing was found: no empty "model" object. */
	struct pl_attrs before = *a;
	pl_attrs_object(a, "model");
	if (pl_model_attrs(h->app->models, h->scratch, model, response, p,
			   len, a) <= 0) {
		*a = before;
		a->buf[a->len] = '\0';
		return false;
	}
	pl_attrs_end(a);
	return true;
}

/* Run the dissectors and send the attributes. Offline there is time to
 * wait for control to return a message; live, none free is a counted loss.
 * app: f->app, or PL_ATTR_APP_ARP; fn: the native dissector, or NULL;
 * m: the packet that brought the bytes, NULL for a head dissected when its
 * flow ends (the sides' last MACs and the flow's last time stand in);
 * key: the flow's. */
static void
dissect(struct pl_heads *h, const struct pl_flow *f, unsigned side,
	unsigned app, pl_dissect_fn fn, const uint8_t *p, uint32_t len,
	const struct pl_pkt_meta *m, const struct pl_flow_key *key)
{
	struct pl_lcore_stats *st = &h->w->stats;
	struct pl_attr_msg *msg;
	bool wait = h->app->offline || h->flushing;

	uint64_t w0 = 0;
	while (rte_mempool_get(h->w->attr_pool, (void **)&msg) != 0) {
		if (!wait) {
			st->attrs_dropped++;
			return;
		}
		if (w0 == 0)
			w0 = rte_rdtsc();
		rte_pause();
	}
	/* Waiting is control's pace, not this worker's work: counted apart. */
	if (w0)
		st->attrs_wait_cycles += rte_rdtsc() - w0;
	struct pl_attrs a;
	pl_attrs_init(&a, msg->json, PL_ATTR_MSG_SIZE - sizeof(*msg));
	enum pl_dissect_result r = fn ? fn(p, len, &a) : PL_DISSECT_NOT_MINE;
	/* SSDP's scope is its TTL (a configurable default: 4 in UDA 1.0, 2
	 * from 1.1), a device's trait the dissector cannot see in a payload. */
	if (fn == pl_ssdp_dissect && r != PL_DISSECT_NOT_MINE && m)
		pl_attrs_uint(&a, "ip_ttl", m->ttl);
	bool any = app != PL_ATTR_APP_ARP && model_attrs(h, f, side, p, len, &a);
	if (r == PL_DISSECT_NOT_MINE && !any) {
		rte_mempool_put(h->w->attr_pool, msg);
		return;
	}
	msg->len = (uint16_t)pl_attrs_finish(&a);
	msg->seq = f->seq;
	msg->side = (uint8_t)side;
	msg->orig_side = f->orig_side;
	msg->app = (uint8_t)app;
	msg->key = *key;
	if (m) {
		memcpy(msg->mac, m->src_mac, sizeof(msg->mac));
		memcpy(msg->dst_mac, m->dst_mac, sizeof(msg->dst_mac));
		msg->ts_us = m->ts_us;
		msg->ttl = m->ttl;
	} else {
		memcpy(msg->mac, f->mac[side], sizeof(msg->mac));
		memcpy(msg->dst_mac, f->mac[!side], sizeof(msg->dst_mac));
		msg->ts_us = f->last_us;
		msg->ttl = 0;
	}
	st->heads_dissected++;
	if (r == PL_DISSECT_MALFORMED)
		st->heads_malformed++;
	/* The ring holds as many pointers as the pool has messages. */
	rte_ring_sp_enqueue(h->w->attrs, msg);
}

static void
release(struct pl_heads *h, struct pl_flow *f, unsigned side)
{
	if (f->head_step[side] == PL_HEAD_COLLECTING)
		pl_reasm_put(h->pool, f->head[side]);
	if (f->head_step[side] != PL_HEAD_LOST)
		f->head_step[side] = PL_HEAD_DONE;
}

/* What a dissector says of a head; a model without a native stream
 * dissector takes it as it is. */
static enum pl_head_state
head_state_of(const struct pl_dissector *ds, const uint8_t *p, uint32_t len)
{
	return ds && ds->stream ? ds->head_state(p, len) : PL_HEAD_COMPLETE;
}

/* Dissect a head in the state hs: natively unless it is not the
 * dissector's, and with the model's attributes in any case. */
static void
dissect_head(struct pl_heads *h, const struct pl_flow *f, unsigned side,
	     const struct pl_dissector *ds, enum pl_head_state hs,
	     const uint8_t *p, uint32_t len, const struct pl_pkt_meta *m,
	     const struct pl_flow_key *key)
{
	dissect(h, f, side, f->app,
		hs != PL_HEAD_NOT_MINE && ds ? ds->stream : NULL, p, len, m,
		key);
}

/* A collected head is dissected when the dissector says it is whole, when
 * the buffer is full, or when the stream ends (FIN, RST, flow end). A
 * stream of several messages (HTTP kept alive) goes on after each whole
 * one, up to --udp-messages per direction, while its messages fit the head.
 * m: the packet just added, NULL at the flow's end; key: the flow's. */
static void
try_stream(struct pl_heads *h, struct pl_flow *f, unsigned side, bool end,
	   const struct pl_pkt_meta *m, const struct pl_flow_key *key)
{
	const struct pl_dissector *ds = h->dissector[f->app - 1];
	uint32_t len, done = 0;

	for (;;) {
		const uint8_t *data = pl_reasm_data(h->pool, f->head[side], &len);
		if (len == 0 && !end)
			return;
		enum pl_head_state hs = head_state_of(ds, data, len);
		bool full = pl_reasm_full(h->pool, f->head[side]);
		if (hs == PL_HEAD_NEED_MORE && !end && !full)
			return;
		/* After a whole message, what the window cuts or the end
		 * leaves unfinished is not a message to report. */
		if (len > 0 && (done == 0 || hs == PL_HEAD_COMPLETE))
			dissect_head(h, f, side, ds, hs, data, len, m, key);
		size_t next = hs == PL_HEAD_COMPLETE && ds && ds->message_len
			? ds->message_len(data, len) : 0;
		if (next == 0 || next >= len + (size_t)!end ||
		    pl_reasm_consume(h->pool, f->head[side], (uint32_t)next) >=
			    h->app->opt.udp_messages)
			break;
		done++;
	}
	release(h, f, side);
}

/* Where a direction's stream starts: after its SYN when one was seen (the
 * first segment seen may be a later one, reordered), else at the first
 * segment seen. */
static uint32_t
stream_start(const struct pl_flow *f, const struct pl_pkt_meta *m)
{
	unsigned d = m->dir;
	if (!(f->tcp_flags[d] & TCP_SYN) || (m->tcp_flags & TCP_SYN))
		return m->tcp_seq + ((m->tcp_flags & TCP_SYN) ? 1 : 0);
	return m->tcp_seq - (uint16_t)((uint16_t)m->tcp_seq - f->syn_next16[d]);
}

/* A stream's first segment that holds a whole head of a one-message
 * protocol (a ClientHello, a DNS query) is dissected where it lies, as
 * try_stream would have done it from a buffer, without taking one and
 * copying into it. */
static bool
whole_in_place(struct pl_heads *h, struct pl_flow *f,
	       const struct pl_pkt_meta *m, const uint8_t *payload,
	       uint32_t len)
{
	if (f->app == 0)
		return false;
	const struct pl_dissector *ds = h->dissector[f->app - 1];
	if ((ds && ds->message_len) || len > h->app->opt.head_bytes ||
	    m->tcp_seq != stream_start(f, m))
		return false;
	bool end = (m->tcp_flags & (TCP_FIN | TCP_RST)) != 0;
	enum pl_head_state hs = head_state_of(ds, payload, len);
	if (hs == PL_HEAD_NEED_MORE && !end)
		return false;
	dissect_head(h, f, m->dir, ds, hs, payload, len, m, &m->key);
	f->head_step[m->dir] = PL_HEAD_DONE;
	return true;
}

static void
on_tcp(struct pl_heads *h, struct pl_flow *f, const struct pl_pkt_meta *m,
       const uint8_t *payload, uint32_t len)
{
	unsigned d = m->dir;

	if (f->head_step[d] == PL_HEAD_WAITING) {
		if (len == 0 || whole_in_place(h, f, m, payload, len))
			return;
		uint16_t id = pl_reasm_get(h->pool, stream_start(f, m));
		if (id == PL_REASM_NONE) {
			h->w->stats.heads_lost++;
			f->head_step[d] = PL_HEAD_LOST;
			return;
		}
		f->head[d] = id;
		f->head_step[d] = PL_HEAD_COLLECTING;
	}
	if (len > 0)
		pl_reasm_add(h->pool, f->head[d], m->tcp_seq, payload, len);
	if (f->app)
		try_stream(h, f, d, (m->tcp_flags & (TCP_FIN | TCP_RST)) != 0,
			   m, &m->key);
}

/* Whether a direction can still yield attributes; releases what cannot. */
static bool
still_useful(struct pl_heads *h, struct pl_flow *f, unsigned d, bool tcp)
{
	if (f->app == 0) {
		if (f->inspect && tcp) {
			if (f->insp_pkts[d] <= UNCLASSIFIED_HOLD_PKTS)
				return true;
			release(h, f, d);
			return false;
		}
		/* UDP waits for its protocol; a flow that inspection gave
		 * up on yields nothing. */
		if (f->inspect)
			return !tcp;
		release(h, f, 0);
		release(h, f, 1);
		return false;
	}
	const struct pl_dissector *ds = h->dissector[f->app - 1];
	bool native = ds && (tcp ? ds->stream : ds->datagram);
	if (!native && !h->model_attrs[f->app - 1]) {
		release(h, f, 0);
		release(h, f, 1);
		return false;
	}
	return f->head_step[d] < PL_HEAD_DONE;
}

/* One datagram or ARP packet of a direction: dissected, and counted in
 * head[] (a UDP or L2 flow has no reassembly buffer) until the cap. */
static void
on_message(struct pl_heads *h, struct pl_flow *f, const struct pl_pkt_meta *m,
	   unsigned app, pl_dissect_fn fn, const uint8_t *payload,
	   uint32_t len)
{
	unsigned d = m->dir;

	dissect(h, f, d, app, fn, payload, len, m, &m->key);
	if (++f->head[d] >= h->app->opt.udp_messages)
		f->head_step[d] = PL_HEAD_DONE;
}

void
pl_heads_packet(struct pl_heads *h, struct pl_flow *f,
		const struct pl_pkt_meta *m, const uint8_t *payload,
		uint32_t len)
{
	unsigned d = m->dir;
	bool tcp = m->l4_proto == 6;
	bool arp = m->key.family == PL_FAMILY_L2 &&
		   m->key.port[0] == ETHER_TYPE_ARP;

	if (m->flags & PL_PKT_F_FRAGMENT)
		return;
	if (!tcp && m->l4_proto != 17 && !arp) {
		f->head_step[0] = f->head_step[1] = PL_HEAD_DONE;
		return;
	}
	uint64_t t0 = rte_rdtsc(), waited = h->w->stats.attrs_wait_cycles;
	if (arp) {
		if (len > 0)
			on_message(h, f, m, PL_ATTR_APP_ARP, pl_arp_dissect,
				   payload, len);
	} else if (still_useful(h, f, d, tcp)) {
		if (tcp) {
			on_tcp(h, f, m, payload, len);
		} else if (f->app && len > 0) {
			const struct pl_dissector *ds =
				h->dissector[f->app - 1];
			on_message(h, f, m, f->app, ds ? ds->datagram : NULL,
				   payload, len);
		}
	}
	h->w->stats.dissect_cycles += rte_rdtsc() - t0 -
				      (h->w->stats.attrs_wait_cycles - waited);
}

void
pl_heads_flow_end(struct pl_heads *h, struct pl_flow *f,
		  const struct pl_flow_key *key, bool shutdown)
{
	h->flushing = shutdown;
	for (unsigned d = 0; d < 2; d++) {
		if (f->head_step[d] != PL_HEAD_COLLECTING)
			continue;
		if (f->app)
			try_stream(h, f, d, true, NULL, key);
		else
			release(h, f, d);
	}
}
