/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Unit tests for lib/flow: the idle-timeout timer wheel (no EAL needed) and
 * the per-worker flow table (rte_hash: EAL is started in every test process
 * by the suite's init, with --no-huge and a per-process file prefix so that
 * parallel runs never share anything).
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_memory.h>

#include "flow.h"

_Static_assert(sizeof(struct pl_flow) <= 128, "flow state over 128 bytes");

#include "test_rng.h"

/* ======================================================================== */
/* Timer wheel                                                              */
/* ======================================================================== */

#define MAX_FIRED 100000

struct fired {
	uint32_t n;
	uint32_t idx[MAX_FIRED];
};

static void
record_expire(uint32_t idx, void *arg)
{
	struct fired *f = arg;
	cr_assert_lt(f->n, MAX_FIRED);
	f->idx[f->n++] = idx;
}

static struct fired *
fired_new(void)
{
	struct fired *f = calloc(1, sizeof(*f));
	cr_assert_not_null(f);
	return f;
}

Test(wheel, init_arguments)
{
	struct pl_wheel w;
	cr_assert_eq(pl_wheel_init(&w, 0, 16, 1000, 0), -EINVAL);
	cr_assert_eq(pl_wheel_init(&w, 16, 0, 1000, 0), -EINVAL);
	cr_assert_eq(pl_wheel_init(&w, 16, 16, 0, 0), -EINVAL);
	cr_assert_eq(pl_wheel_init(&w, 16, (1U << 24) + 1, 1000, 0), -EINVAL);

	cr_assert_eq(pl_wheel_init(&w, 16, 100, 1000, 5500), 0);
	cr_assert_eq(w.nb_slots, 128, "slots rounded up to a power of two");
	cr_assert_eq(w.capacity, 16);
	cr_assert_eq(w.count, 0);
	cr_assert_eq(w.now_tick, 5);
	pl_wheel_fini(&w);

	cr_assert_eq(pl_wheel_init(&w, 1, 64, 1, 0), 0);
	cr_assert_eq(w.nb_slots, 64);
	pl_wheel_fini(&w);
}

Test(wheel, fires_at_its_tick_never_before)
{
	struct pl_wheel w;
	struct fired *f = fired_new();
	cr_assert_eq(pl_wheel_init(&w, 64, 64, 1000, 0), 0);

	/* Deadline 5500 is in tick 5: it fires at 5000, not before. */
	pl_wheel_add(&w, 1, 5500);
	cr_assert_eq(w.count, 1);
	cr_assert_eq(pl_wheel_advance(&w, 4999, record_expire, f), 0);
	cr_assert_eq(f->n, 0);
	cr_assert_eq(pl_wheel_advance(&w, 5000, record_expire, f), 1);
	cr_assert_eq(f->n, 1);
	cr_assert_eq(f->idx[0], 1);
	cr_assert_eq(w.count, 0);
	cr_assert_eq(pl_wheel_advance(&w, 9000, record_expire, f), 0);

	/* Exactly on a tick boundary. */
	f->n = 0;
	pl_wheel_add(&w, 2, 12000);
	cr_assert_eq(pl_wheel_advance(&w, 11999, record_expire, f), 0);
	cr_assert_eq(pl_wheel_advance(&w, 12000, record_expire, f), 1);

	/* A deadline already past fires at the next tick that is advanced
	 * to; going back in time fires nothing. */
	f->n = 0;
	pl_wheel_add(&w, 3, 100);
	cr_assert_eq(pl_wheel_advance(&w, 11000, record_expire, f), 0);
	cr_assert_eq(pl_wheel_advance(&w, 13000, record_expire, f), 1);
	cr_assert_eq(f->idx[0], 3);

	/* Many entries, one tick at a time: each fires in its own tick. */
	uint64_t base = 20000, deadline[64];
	rng_seed(11);
	for (uint32_t i = 0; i < 64; i++) {
		deadline[i] = base + rng() % 50000; /* within the wheel */
		pl_wheel_add(&w, i, deadline[i]);
	}
	cr_assert_eq(w.count, 64);
	uint32_t total = 0;
	for (uint64_t now = base; now <= base + 51000; now += 1000) {
		f->n = 0;
		total += pl_wheel_advance(&w, now, record_expire, f);
		for (uint32_t k = 0; k < f->n; k++)
			cr_assert_eq(deadline[f->idx[k]] / 1000, now / 1000,
				     "index %u (deadline %lu) fired at %lu",
				     f->idx[k],
				     (unsigned long)deadline[f->idx[k]],
				     (unsigned long)now);
	}
	cr_assert_eq(total, 64);
	cr_assert_eq(w.count, 0);
	pl_wheel_fini(&w);
	free(f);
}

Test(wheel, remove)
{
	struct pl_wheel w;
	struct fired *f = fired_new();
	cr_assert_eq(pl_wheel_init(&w, 16, 16, 10, 0), 0);
	/* Three in one slot: remove head, middle and tail of the list. */
	for (uint32_t i = 0; i < 8; i++)
		pl_wheel_add(&w, i, 50);
	cr_assert_eq(w.count, 8);
	pl_wheel_remove(&w, 7); /* head (added last) */
	pl_wheel_remove(&w, 3); /* middle */
	pl_wheel_remove(&w, 0); /* tail */
	cr_assert_eq(w.count, 5);
	pl_wheel_remove(&w, 3); /* not queued: no-op */
	pl_wheel_remove(&w, 12); /* never added: no-op */
	cr_assert_eq(w.count, 5);
	cr_assert_eq(pl_wheel_advance(&w, 1000, record_expire, f), 5);
	int seen[8] = {0};
	for (uint32_t k = 0; k < f->n; k++)
		seen[f->idx[k]]++;
	for (int i = 0; i < 8; i++)
		cr_assert_eq(seen[i], (i == 0 || i == 3 || i == 7) ? 0 : 1,
			     "index %d fired %d times", i, seen[i]);
	cr_assert_eq(w.count, 0);

	/* Remove after expiry is a no-op; re-adding then works. */
	pl_wheel_remove(&w, 1);
	cr_assert_eq(w.count, 0);
	pl_wheel_add(&w, 1, 1100);
	pl_wheel_remove(&w, 1);
	f->n = 0;
	cr_assert_eq(pl_wheel_advance(&w, 5000, record_expire, f), 0);
	pl_wheel_fini(&w);
	free(f);
}

/* Lazy rescheduling: the owner re-adds an index from expire() until its
 * flow is really idle. */
struct resched {
	struct pl_wheel *w;
	uint64_t now;
	uint32_t times[4];
	uint64_t fired_at[4][8];
	uint32_t readds_left[4];
};

static void
resched_expire(uint32_t idx, void *arg)
{
	struct resched *r = arg;
	cr_assert_lt(idx, 4);
	cr_assert_lt(r->times[idx], 8);
	r->fired_at[idx][r->times[idx]++] = r->now;
	if (r->readds_left[idx] > 0) {
		r->readds_left[idx]--;
		pl_wheel_add(r->w, idx, r->now + 3000);
	}
}

Test(wheel, expire_callback_readds)
{
	struct pl_wheel w;
	struct resched r = {.w = &w, .readds_left = {2, 0, 1, 0}};
	cr_assert_eq(pl_wheel_init(&w, 4, 8, 1000, 0), 0);
	for (uint32_t i = 0; i < 4; i++)
		pl_wheel_add(&w, i, 2000);
	for (r.now = 0; r.now <= 20000; r.now += 1000)
		pl_wheel_advance(&w, r.now, resched_expire, &r);
	cr_assert_eq(r.times[0], 3);
	cr_assert_eq(r.times[1], 1);
	cr_assert_eq(r.times[2], 2);
	cr_assert_eq(r.times[3], 1);
	cr_assert_eq(r.fired_at[0][0], 2000);
	cr_assert_eq(r.fired_at[0][1], 5000);
	cr_assert_eq(r.fired_at[0][2], 8000);
	cr_assert_eq(r.fired_at[2][1], 5000);
	cr_assert_eq(w.count, 0);

	/* Re-adding in the same tick from expire() during a single long
	 * advance: fires again only once its new deadline is reached. */
	struct resched q = {.w = &w, .readds_left = {1, 0, 0, 0}};
	pl_wheel_add(&w, 0, 30000);
	q.now = 31500;
	cr_assert_eq(pl_wheel_advance(&w, q.now, resched_expire, &q), 1);
	cr_assert_eq(q.times[0], 1);
	cr_assert_eq(w.count, 1, "re-added entry still queued");
	q.now = 33999;
	cr_assert_eq(pl_wheel_advance(&w, q.now, resched_expire, &q), 0);
	q.now = 34000;
	cr_assert_eq(pl_wheel_advance(&w, q.now, resched_expire, &q), 1);
	pl_wheel_fini(&w);
}

/* Owner that re-adds with the true deadline whenever it fires early. */
struct parked {
	struct pl_wheel *w;
	uint64_t now;
	uint64_t deadline;
	uint32_t early, final;
	uint64_t final_at;
};

static void
parked_expire(uint32_t idx, void *arg)
{
	struct parked *p = arg;
	cr_assert_eq(idx, 5);
	if (p->now / 1000 < p->deadline / 1000) {
		p->early++;
		pl_wheel_add(p->w, idx, p->deadline);
	} else {
		p->final++;
		p->final_at = p->now;
	}
}

Test(wheel, far_deadline_is_parked_and_comes_back_early)
{
	struct pl_wheel w;
	struct parked p = {.w = &w, .deadline = 100500};
	cr_assert_eq(pl_wheel_init(&w, 8, 16, 1000, 0), 0);
	pl_wheel_add(&w, 5, p.deadline); /* tick 100, wheel spans 16 */
	uint64_t first_early = 0;
	for (p.now = 0; p.now <= 120000; p.now += 1000) {
		uint32_t before = p.early;
		pl_wheel_advance(&w, p.now, parked_expire, &p);
		if (before == 0 && p.early == 1)
			first_early = p.now;
	}
	cr_assert_eq(first_early, 15000, "parked in the last slot ahead "
					 "(tick 15), came back at %lu",
		     (unsigned long)first_early);
	cr_assert_geq(p.early, 100 / 16);
	cr_assert_leq(p.early, 100 / 15 + 1);
	cr_assert_eq(p.final, 1);
	cr_assert_eq(p.final_at, 100000, "final expiry at %lu",
		     (unsigned long)p.final_at);
	cr_assert_eq(w.count, 0);
	pl_wheel_fini(&w);
}

Test(wheel, huge_time_jump_fires_everything_once)
{
	enum { N = 2000 };
	struct pl_wheel w;
	struct fired *f = fired_new();
	cr_assert_eq(pl_wheel_init(&w, N, 256, 1000, 7777), 0);
	rng_seed(12);
	for (uint32_t i = 0; i < N; i++) {
		/* Within the wheel, parked beyond it, and in the past. */
		uint64_t d = 7777 + rng() % (1000ULL * 256 * (i % 3 ? 1 : 5));
		if (i % 17 == 0)
			d = 10;
		pl_wheel_add(&w, i, d);
	}
	cr_assert_eq(w.count, N);
	uint32_t n = pl_wheel_advance(&w, 7777 + 1000000000000ULL,
				      record_expire, f);
	cr_assert_eq(n, N);
	cr_assert_eq(f->n, N);
	cr_assert_eq(w.count, 0);
	uint8_t *seen = calloc(N, 1);
	for (uint32_t k = 0; k < f->n; k++) {
		cr_assert_lt(f->idx[k], N);
		cr_assert_eq(seen[f->idx[k]]++, 0, "index %u fired twice",
			     f->idx[k]);
	}
	/* The wheel keeps working after the jump. */
	f->n = 0;
	uint64_t now = 7777 + 1000000000000ULL;
	uint64_t due = (now + 2500) / 1000 * 1000; /* its tick's start */
	pl_wheel_add(&w, 3, now + 2500);
	cr_assert_eq(pl_wheel_advance(&w, due - 1, record_expire, f), 0);
	cr_assert_eq(pl_wheel_advance(&w, due, record_expire, f), 1);
	free(seen);
	pl_wheel_fini(&w);
	free(f);
}

Test(wheel, drain_returns_each_index_once)
{
	enum { N = 5000 };
	struct pl_wheel w;
	struct fired *f = fired_new();
	cr_assert_eq(pl_wheel_init(&w, N, 64, 1000, 0), 0);
	rng_seed(13);
	uint32_t queued = 0;
	for (uint32_t i = 0; i < N; i++)
		if (i % 5 != 0) {
			pl_wheel_add(&w, i, rng() % 1000000);
			queued++;
		}
	for (uint32_t i = 1; i < N; i += 10) {
		pl_wheel_remove(&w, i);
		queued--;
	}
	cr_assert_eq(w.count, queued);
	cr_assert_eq(pl_wheel_drain(&w, record_expire, f), queued);
	cr_assert_eq(f->n, queued);
	cr_assert_eq(w.count, 0);
	uint8_t *seen = calloc(N, 1);
	for (uint32_t k = 0; k < f->n; k++) {
		uint32_t i = f->idx[k];
		cr_assert(i % 5 != 0 && i % 10 != 1, "index %u drained", i);
		cr_assert_eq(seen[i]++, 0, "index %u drained twice", i);
	}
	f->n = 0;
	cr_assert_eq(pl_wheel_advance(&w, 10000000, record_expire, f), 0);
	cr_assert_eq(pl_wheel_drain(&w, record_expire, f), 0);
	free(seen);
	pl_wheel_fini(&w);
	free(f);
}

/* ------------------------------------------------------------------------ */
/* Random operations against a reference model                              */
/* ------------------------------------------------------------------------ */

enum { MODEL_N = 256, MODEL_SLOTS = 32, MODEL_TICK = 1000 };

struct model {
	struct pl_wheel *w;
	uint64_t now;
	uint8_t queued[MODEL_N];
	uint64_t deadline[MODEL_N]; /* true deadline, microseconds */
	uint64_t due[MODEL_N];      /* tick at which it must fire */
	uint32_t count;
	uint64_t fired, readds, early;
};

/* Add idx with deadline d, recording the tick at which it is due: its own
 * tick, or the current tick if that is past, or the last tick of the wheel
 * if it is further away (parked: the owner adds it again then). */
static void
model_add(struct model *m, uint32_t idx, uint64_t d)
{
	uint64_t t = d / MODEL_TICK, now_tick = m->w->now_tick;
	if (t < now_tick)
		t = now_tick;
	if (t > now_tick + m->w->nb_slots - 1)
		t = now_tick + m->w->nb_slots - 1;
	pl_wheel_add(m->w, idx, d);
	cr_assert(!m->queued[idx]);
	m->queued[idx] = 1;
	m->deadline[idx] = d;
	m->due[idx] = t;
	m->count++;
}

static void
model_expire(uint32_t idx, void *arg)
{
	struct model *m = arg;
	uint64_t target = m->now / MODEL_TICK;
	cr_assert_lt(idx, MODEL_N);
	cr_assert(m->queued[idx], "index %u fired but is not queued", idx);
	cr_assert_leq(m->due[idx], target,
		      "index %u fired early: due at tick %lu, now tick %lu",
		      idx, (unsigned long)m->due[idx], (unsigned long)target);
	m->queued[idx] = 0;
	m->count--;
	m->fired++;
	if (m->deadline[idx] / MODEL_TICK > target) {
		/* Parked: came back before its deadline. */
		m->early++;
		model_add(m, idx, m->deadline[idx]);
	} else if (rng() % 4 == 0) {
		/* The flow was active meanwhile: lazy rescheduling. */
		m->readds++;
		model_add(m, idx, m->now + 1 + rng() % (MODEL_TICK * 40));
	}
}

Test(wheel, random_operations_against_a_model)
{
	struct pl_wheel w;
	static struct model m;
	memset(&m, 0, sizeof(m));
	m.w = &w;
	m.now = 123456789;
	cr_assert_eq(pl_wheel_init(&w, MODEL_N, MODEL_SLOTS, MODEL_TICK, m.now),
		     0);
	rng_seed(0x3ee1);
	for (int step = 0; step < 200000; step++) {
		uint64_t op = rng() % 100;
		if (op < 45) {
			uint32_t idx = (uint32_t)(rng() % MODEL_N);
			if (m.queued[idx])
				continue;
			uint64_t d, k = rng() % 10;
			if (k == 0) /* already past */
				d = m.now - rng() % (MODEL_TICK * 5);
			else if (k == 1) /* far beyond the wheel */
				d = m.now + rng() % (MODEL_TICK *
						     (uint64_t)MODEL_SLOTS * 100);
			else
				d = m.now + rng() % (MODEL_TICK *
						     (uint64_t)MODEL_SLOTS * 3 / 2);
			model_add(&m, idx, d);
		} else if (op < 60) {
			uint32_t idx = (uint32_t)(rng() % MODEL_N);
			pl_wheel_remove(&w, idx);
			if (m.queued[idx]) {
				m.queued[idx] = 0;
				m.count--;
			}
		} else {
			uint64_t k = rng() % 100, delta;
			if (k < 70)
				delta = rng() % (MODEL_TICK * 3 / 2);
			else if (k < 98)
				delta = rng() % (MODEL_TICK * 40);
			else
				delta = rng() % 1000000000ULL;
			m.now += delta;
			uint64_t before = m.fired;
			uint32_t n = pl_wheel_advance(&w, m.now, model_expire, &m);
			cr_assert_eq(n, m.fired - before,
				     "advance returned %u, expired %lu", n,
				     (unsigned long)(m.fired - before));
			/* Nothing due is left behind. */
			uint64_t target = m.now / MODEL_TICK;
			for (uint32_t i = 0; i < MODEL_N; i++)
				cr_assert(!m.queued[i] || m.due[i] > target,
					  "step %d: index %u due at tick %lu "
					  "not fired by tick %lu",
					  step, i, (unsigned long)m.due[i],
					  (unsigned long)target);
		}
		cr_assert_eq(w.count, m.count, "step %d: wheel count %u, "
					       "model %u",
			     step, w.count, m.count);
	}
	cr_assert_gt(m.fired, 10000);
	cr_assert_gt(m.early, 100);
	cr_assert_gt(m.readds, 1000);
	/* Drain what is left: each queued index exactly once. */
	static struct fired f;
	f.n = 0;
	cr_assert_eq(pl_wheel_drain(&w, record_expire, &f), m.count);
	for (uint32_t k = 0; k < f.n; k++) {
		cr_assert(m.queued[f.idx[k]]);
		m.queued[f.idx[k]] = 0;
	}
	cr_assert_eq(w.count, 0);
	pl_wheel_fini(&w);
}

/* ======================================================================== */
/* Flow table (EAL)                                                         */
/* ======================================================================== */

static void
eal_up(void)
{
	char prefix[64];
	snprintf(prefix, sizeof(prefix), "--file-prefix=pltest%d", (int)getpid());
	char *argv[] = {"test", "--no-huge", "-m", "1024", "--no-shconf",
			"--no-pci", prefix, "--log-level=lib.eal:error",
			"--no-telemetry", NULL};
	int argc = (int)(sizeof(argv) / sizeof(argv[0])) - 1;
	int r = rte_eal_init(argc, argv);
	cr_assert_geq(r, 0, "rte_eal_init: %s", rte_strerror(rte_errno));
}

static void
eal_down(void)
{
	/* EAL leaves its (empty) runtime directory behind: remove ours. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	if (strstr(dir, "/pltest") != NULL)
		rmdir(dir);
}

/* No Criterion .timeout anywhere: its timeout queue leaks in the runner
 * under LeakSanitizer (make test-sanitize); meson's test timeout covers
 * hangs. */
TestSuite(table, .init = eal_up, .fini = eal_down);

/* A frame and its meta, decoded by lib/pkt as the RX lcore does. */
struct pkt {
	uint8_t frame[128];
	uint32_t len;
	struct pl_pkt_meta m;
};

static const uint8_t MAC_C[6] = {0x02, 0, 0, 0, 0, 0x0c}; /* client */
static const uint8_t MAC_S[6] = {0x02, 0, 0, 0, 0, 0x05}; /* server */

/*
 * IPv4 packet from src:sp to dst:dp (addresses as 32-bit host values),
 * TCP (proto 6, tcp flags) or UDP, payload bytes, at ts microseconds.
 */
static void
mkpkt(struct pkt *p, const uint8_t *smac, const uint8_t *dmac, uint32_t src,
      uint32_t dst, uint16_t sp, uint16_t dp, uint8_t proto, uint8_t flags,
      uint16_t payload, uint64_t ts)
{
	uint8_t *b = p->frame;
	uint32_t l4 = proto == 6 ? 20 : 8;
	uint32_t iplen = 20 + l4 + payload;
	memset(p, 0, sizeof(*p));
	memcpy(b, dmac, 6);
	memcpy(b + 6, smac, 6);
	b[12] = 0x08;
	b[13] = 0x00;
	uint8_t *ip = b + 14;
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = proto;
	for (int i = 0; i < 4; i++) {
		ip[12 + i] = (uint8_t)(src >> (24 - 8 * i));
		ip[16 + i] = (uint8_t)(dst >> (24 - 8 * i));
	}
	uint8_t *l = ip + 20;
	l[0] = (uint8_t)(sp >> 8);
	l[1] = (uint8_t)sp;
	l[2] = (uint8_t)(dp >> 8);
	l[3] = (uint8_t)dp;
	if (proto == 6) {
		l[12] = 0x50;
		l[13] = flags;
	} else {
		l[4] = (uint8_t)((8 + payload) >> 8);
		l[5] = (uint8_t)(8 + payload);
	}
	/* Payload beyond the frame buffer is cut by the snap length. */
	uint32_t full = 14 + iplen;
	p->len = full < sizeof(p->frame) ? full : sizeof(p->frame);
	enum pl_pkt_result r =
		pl_pkt_decode(b, p->len, full, PL_LINK_ETHERNET, &p->m);
	cr_assert_eq(r, PL_PKT_OK, "decode: %s", pl_pkt_result_name(r));
	p->m.hash = pl_pkt_key_hash(&p->m.key, 0);
	p->m.ts_us = ts;
}

#define CLIENT 0x0a000001u /* 10.0.0.1 */
#define SERVER 0xc0a80105u /* 192.168.1.5 */

/* One-packet burst. */
static uint32_t
lookup1(struct pl_flow_table *t, const struct pkt *p, int *is_new)
{
	const struct pl_pkt_meta *metas[1] = {&p->m};
	uint32_t idx;
	uint64_t nb;
	unsigned full = pl_flow_table_lookup_bulk(t, metas, 1, &idx, &nb);
	cr_assert_eq(full, idx == UINT32_MAX ? 1u : 0u);
	*is_new = (int)(nb & 1);
	return idx;
}

Test(table, create_and_free)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 1024, SOCKET_ID_ANY);
	cr_assert_not_null(t, "create: %s", rte_strerror(rte_errno));
	cr_assert_geq(pl_flow_table_capacity(t), 1024);
	cr_assert_eq(pl_flow_table_count(t), 0);
	cr_assert_geq(pl_flow_table_memory(t),
		      1024 * (uint64_t)sizeof(struct pl_flow),
		      "memory %lu does not count the flow states",
		      (unsigned long)pl_flow_table_memory(t));
	pl_flow_table_free(t);
	pl_flow_table_free(NULL);

	/* The name is free again. */
	t = pl_flow_table_create("t", 64, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	pl_flow_table_free(t);

	rte_errno = 0;
	cr_assert_null(pl_flow_table_create("z", 0, SOCKET_ID_ANY));
	cr_assert_eq(rte_errno, EINVAL);
	rte_errno = 0;
	cr_assert_null(pl_flow_table_create("z", 7, SOCKET_ID_ANY));
	cr_assert_eq(rte_errno, EINVAL);
	rte_errno = 0;
	cr_assert_null(
		pl_flow_table_create("z", (1U << 30) + 1, SOCKET_ID_ANY));
	cr_assert_eq(rte_errno, EINVAL);
}

Test(table, lookup_creates_on_miss_and_finds_on_hit)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 256, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pkt p;
	int is_new;
	mkpkt(&p, MAC_C, MAC_S, CLIENT, SERVER, 40000, 443, 6, 0x02, 0, 1);
	uint32_t idx = lookup1(t, &p, &is_new);
	cr_assert_neq(idx, UINT32_MAX);
	cr_assert_lt(idx, pl_flow_table_capacity(t));
	cr_assert(is_new);
	cr_assert_eq(pl_flow_table_count(t), 1);
	struct pl_flow *f = pl_flow_table_flow(t, idx);
	cr_assert_eq(f->in_use, 1);
	cr_assert_eq(f->pkts[0] + f->pkts[1], 0, "new state is zeroed");

	uint32_t again = lookup1(t, &p, &is_new);
	cr_assert_eq(again, idx);
	cr_assert_not(is_new);
	cr_assert_eq(pl_flow_table_count(t), 1);

	struct pl_flow_key k;
	cr_assert_eq(pl_flow_table_key(t, idx, &k), 0);
	cr_assert_eq(memcmp(&k, &p.m.key, sizeof(k)), 0);

	/* Another flow gets another index. */
	struct pkt q;
	mkpkt(&q, MAC_C, MAC_S, CLIENT, SERVER, 40001, 443, 6, 0x02, 0, 1);
	uint32_t other = lookup1(t, &q, &is_new);
	cr_assert(is_new);
	cr_assert_neq(other, idx);
	cr_assert_eq(pl_flow_table_count(t), 2);
	pl_flow_table_free(t);
}

Test(table, same_new_flow_twice_in_one_burst)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 256, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pkt a1, a2, b1, a3;
	mkpkt(&a1, MAC_C, MAC_S, CLIENT, SERVER, 40000, 53, 17, 0, 30, 1);
	mkpkt(&a2, MAC_S, MAC_C, SERVER, CLIENT, 53, 40000, 17, 0, 90, 2);
	mkpkt(&b1, MAC_C, MAC_S, CLIENT, SERVER, 40002, 53, 17, 0, 30, 3);
	mkpkt(&a3, MAC_C, MAC_S, CLIENT, SERVER, 40000, 53, 17, 0, 30, 4);
	const struct pl_pkt_meta *metas[4] = {&a1.m, &a2.m, &b1.m, &a3.m};
	uint32_t idx[4];
	uint64_t is_new = ~0ULL;
	cr_assert_eq(pl_flow_table_lookup_bulk(t, metas, 4, idx, &is_new), 0);
	cr_assert_eq(idx[0], idx[1]);
	cr_assert_eq(idx[0], idx[3]);
	cr_assert_neq(idx[0], idx[2]);
	cr_assert_eq(is_new, 0x5, "is_new 0x%lx: only the first packet of "
				  "each new flow", (unsigned long)is_new);
	cr_assert_eq(pl_flow_table_count(t), 2);

	/* Next burst: all hits. */
	cr_assert_eq(pl_flow_table_lookup_bulk(t, metas, 4, idx, &is_new), 0);
	cr_assert_eq(is_new, 0);

	/* An empty burst. */
	is_new = ~0ULL;
	cr_assert_eq(pl_flow_table_lookup_bulk(t, metas, 0, idx, &is_new), 0);
	cr_assert_eq(is_new, 0);
	cr_assert_eq(pl_flow_table_count(t), 2);
	pl_flow_table_free(t);
}

/* Keys that differ in one byte only, first or last word, under one hash:
 * a burst finds each packet's flow by its key, never by the hash alone,
 * and the table's compare reads all 40 bytes. */
Test(table, same_hash_other_key_in_one_burst)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 256, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pkt p[3];
	for (int i = 0; i < 3; i++)
		mkpkt(&p[i], MAC_C, MAC_S, CLIENT, SERVER, 40000, 53, 17, 0,
		      30, 1);
	p[1].m.key.addr[0][0] ^= 1;
	p[2].m.key.family ^= 1;
	for (int i = 0; i < 3; i++)
		p[i].m.hash = 0x12345678;
	const struct pl_pkt_meta *metas[6] = {&p[0].m, &p[1].m, &p[2].m,
					      &p[2].m, &p[1].m, &p[0].m};
	uint32_t idx[6];
	uint64_t is_new;
	for (int round = 0; round < 2; round++) {
		cr_assert_eq(pl_flow_table_lookup_bulk(t, metas, 6, idx,
						       &is_new),
			     0);
		cr_assert_eq(is_new, round == 0 ? 0x7u : 0u,
			     "round %d: is_new 0x%lx", round,
			     (unsigned long)is_new);
		cr_assert_neq(idx[0], idx[1]);
		cr_assert_neq(idx[0], idx[2]);
		cr_assert_neq(idx[1], idx[2]);
		cr_assert_eq(idx[3], idx[2]);
		cr_assert_eq(idx[4], idx[1]);
		cr_assert_eq(idx[5], idx[0]);
	}
	cr_assert_eq(pl_flow_table_count(t), 3);
	pl_flow_table_free(t);
}

Test(table, full_burst_of_32)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 1024, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	static struct pkt p[PL_FLOW_BULK_MAX];
	const struct pl_pkt_meta *metas[PL_FLOW_BULK_MAX];
	for (int i = 0; i < PL_FLOW_BULK_MAX; i++) {
		/* 16 flows, each seen in both directions. */
		if (i % 2 == 0)
			mkpkt(&p[i], MAC_C, MAC_S, CLIENT, SERVER,
			      (uint16_t)(1000 + i / 2), 80, 6, 0x02, 0, 1);
		else
			mkpkt(&p[i], MAC_S, MAC_C, SERVER, CLIENT, 80,
			      (uint16_t)(1000 + i / 2), 6, 0x12, 0, 2);
		metas[i] = &p[i].m;
	}
	uint32_t idx[PL_FLOW_BULK_MAX];
	uint64_t is_new;
	cr_assert_eq(pl_flow_table_lookup_bulk(t, metas, PL_FLOW_BULK_MAX, idx,
					       &is_new),
		     0);
	cr_assert_eq(is_new, 0x5555555555555555ULL & 0xffffffffULL);
	for (int i = 0; i < PL_FLOW_BULK_MAX; i += 2) {
		cr_assert_eq(idx[i], idx[i + 1]);
		for (int j = 0; j < i; j += 2)
			cr_assert_neq(idx[i], idx[j]);
	}
	cr_assert_eq(pl_flow_table_count(t), 16);
	pl_flow_table_free(t);
}

Test(table, init_and_update_count_per_direction)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 256, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pkt syn, synack, ack, data, resp;
	mkpkt(&syn, MAC_C, MAC_S, CLIENT, SERVER, 40000, 443, 6, 0x02, 0,
	      1000000);
	mkpkt(&synack, MAC_S, MAC_C, SERVER, CLIENT, 443, 40000, 6, 0x12, 0,
	      1000100);
	mkpkt(&ack, MAC_C, MAC_S, CLIENT, SERVER, 40000, 443, 6, 0x10, 0,
	      1000200);
	mkpkt(&data, MAC_C, MAC_S, CLIENT, SERVER, 40000, 443, 6, 0x18, 200,
	      1000300);
	mkpkt(&resp, MAC_S, MAC_C, SERVER, CLIENT, 443, 40000, 6, 0x18, 1400,
	      1500000);
	cr_assert(resp.m.flags & PL_PKT_F_SNAPLEN);

	int is_new;
	uint32_t idx = lookup1(t, &syn, &is_new);
	cr_assert(is_new);
	struct pl_flow *f = pl_flow_table_flow(t, idx);
	pl_flow_init(f, &syn.m, 77);
	pl_flow_update(f, &syn.m);
	unsigned c = syn.m.dir, s = !c;
	cr_assert_eq(f->orig_side, c, "the first sender is the originator");
	cr_assert_eq(f->seq, 77);
	cr_assert_eq(f->syn_next16[syn.m.dir], (uint16_t)(syn.m.tcp_seq + 1));
	cr_assert_eq(f->proto, 6);
	cr_assert_eq(f->first_us, 1000000);
	/* The server has not spoken: its MAC is the SYN's destination. */
	cr_assert_arr_eq(f->mac[c], MAC_C, 6);
	cr_assert_arr_eq(f->mac[s], MAC_S, 6);

	struct pkt *rest[4] = {&synack, &ack, &data, &resp};
	for (int i = 0; i < 4; i++) {
		uint32_t j = lookup1(t, rest[i], &is_new);
		cr_assert_eq(j, idx);
		cr_assert_not(is_new);
		cr_assert_eq(rest[i]->m.dir, i == 0 || i == 3 ? s : c);
		pl_flow_update(f, &rest[i]->m);
	}
	cr_assert_eq(f->pkts[c], 3);
	cr_assert_eq(f->pkts[s], 2);
	cr_assert_eq(f->bytes[c], 54 + 54 + 254);
	cr_assert_eq(f->bytes[s], 54 + 14 + 20 + 20 + 1400,
		     "wire bytes of a snap-cut packet count in full");
	cr_assert_eq(f->payload[c], 200);
	cr_assert_eq(f->payload[s], 1400);
	cr_assert_eq(f->tcp_flags[c], 0x02 | 0x10 | 0x18);
	cr_assert_eq(f->tcp_flags[s], 0x12 | 0x18);
	cr_assert_eq(f->first_us, 1000000);
	cr_assert_eq(f->last_us, 1500000);
	cr_assert(f->pkt_flags & PL_PKT_F_SNAPLEN);
	cr_assert_arr_eq(f->mac[c], MAC_C, 6);
	cr_assert_arr_eq(f->mac[s], MAC_S, 6);
	cr_assert_eq(f->orig_side, c);

	/* An out-of-order older packet does not move last_us back. */
	struct pkt old;
	mkpkt(&old, MAC_C, MAC_S, CLIENT, SERVER, 40000, 443, 6, 0x10, 0,
	      1200000);
	pl_flow_update(f, &old.m);
	cr_assert_eq(f->last_us, 1500000);

	/* The record is oriented originator -> responder. */
	struct pl_flow_key k;
	cr_assert_eq(pl_flow_table_key(t, idx, &k), 0);
	struct pl_flow_record r;
	memset(&r, 0xa5, sizeof(r));
	pl_flow_record_fill(&r, &k, f, PL_FLOW_END_IDLE, 3);
	cr_assert_eq(memcmp(&r.key, &k, sizeof(k)), 0);
	cr_assert_eq(r.pkts[0], 4);
	cr_assert_eq(r.pkts[1], 2);
	cr_assert_eq(r.bytes[0], f->bytes[c]);
	cr_assert_eq(r.bytes[1], f->bytes[s]);
	cr_assert_eq(r.payload[0], 200);
	cr_assert_eq(r.payload[1], 1400);
	cr_assert_eq(r.tcp_flags[0], f->tcp_flags[c]);
	cr_assert_eq(r.tcp_flags[1], f->tcp_flags[s]);
	cr_assert_arr_eq(r.mac[0], MAC_C, 6);
	cr_assert_arr_eq(r.mac[1], MAC_S, 6);
	cr_assert_eq(r.orig_side, c);
	cr_assert_eq(r.end, PL_FLOW_END_IDLE);
	cr_assert_eq(r.worker, 3);
	cr_assert_eq(r.seq, 77);
	cr_assert_eq(r.first_us, 1000000);
	cr_assert_eq(r.last_us, 1500000);
	cr_assert_eq(r.pkt_flags, f->pkt_flags);
	/* No protocol detection ran. */
	cr_assert_eq(r.app, 0);
	cr_assert_eq(r.also, 0);
	cr_assert_eq(r.matched, 0);
	pl_flow_table_free(t);
}

Test(table, synack_first_makes_its_receiver_the_originator)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 256, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pkt synack, ack;
	mkpkt(&synack, MAC_S, MAC_C, SERVER, CLIENT, 443, 40000, 6, 0x12, 0,
	      10);
	mkpkt(&ack, MAC_C, MAC_S, CLIENT, SERVER, 40000, 443, 6, 0x10, 0, 20);
	int is_new;
	uint32_t idx = lookup1(t, &synack, &is_new);
	cr_assert(is_new);
	struct pl_flow *f = pl_flow_table_flow(t, idx);
	pl_flow_init(f, &synack.m, 1);
	pl_flow_update(f, &synack.m);
	cr_assert_eq(f->orig_side, !synack.m.dir);
	cr_assert_eq(f->orig_side, ack.m.dir, "the client is the originator");
	cr_assert_eq(lookup1(t, &ack, &is_new), idx);
	pl_flow_update(f, &ack.m);

	struct pl_flow_key k;
	struct pl_flow_record r;
	cr_assert_eq(pl_flow_table_key(t, idx, &k), 0);
	pl_flow_record_fill(&r, &k, f, PL_FLOW_END_SHUTDOWN, 0);
	cr_assert_eq(r.pkts[0], 1);
	cr_assert_eq(r.pkts[1], 1);
	cr_assert_eq(r.tcp_flags[0], 0x10, "originator sent the ACK");
	cr_assert_eq(r.tcp_flags[1], 0x12, "responder sent the SYN-ACK");
	cr_assert_arr_eq(r.mac[0], MAC_C, 6);
	cr_assert_arr_eq(r.mac[1], MAC_S, 6);
	cr_assert_eq(r.end, PL_FLOW_END_SHUTDOWN);

	/* A UDP flow or a plain SYN keeps its first sender. */
	struct pkt u, syn;
	mkpkt(&u, MAC_S, MAC_C, SERVER, CLIENT, 53, 40000, 17, 0, 10, 30);
	idx = lookup1(t, &u, &is_new);
	f = pl_flow_table_flow(t, idx);
	pl_flow_init(f, &u.m, 2);
	cr_assert_eq(f->orig_side, u.m.dir);
	mkpkt(&syn, MAC_S, MAC_C, SERVER, CLIENT, 5000, 40000, 6, 0x02, 0, 30);
	idx = lookup1(t, &syn, &is_new);
	f = pl_flow_table_flow(t, idx);
	pl_flow_init(f, &syn.m, 3);
	cr_assert_eq(f->orig_side, syn.m.dir);
	pl_flow_table_free(t);
}

Test(table, full_table_leaves_packets_untracked)
{
	const uint32_t cap = 100;
	struct pl_flow_table *t =
		pl_flow_table_create("small", cap, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	cr_assert_geq(pl_flow_table_capacity(t), cap);

	enum { N = 320 };
	static struct pkt p[N];
	for (uint32_t i = 0; i < N; i++)
		mkpkt(&p[i], MAC_C, MAC_S, CLIENT + i, SERVER,
		      (uint16_t)(2000 + i), 80, 17, 0, 1, 1);
	uint32_t idx[N];
	unsigned missing = 0, tracked = 0;
	for (uint32_t b = 0; b < N; b += PL_FLOW_BULK_MAX) {
		const struct pl_pkt_meta *metas[PL_FLOW_BULK_MAX];
		uint64_t is_new;
		for (uint32_t i = 0; i < PL_FLOW_BULK_MAX; i++)
			metas[i] = &p[b + i].m;
		unsigned full = pl_flow_table_lookup_bulk(
			t, metas, PL_FLOW_BULK_MAX, idx + b, &is_new);
		unsigned untracked = 0;
		for (uint32_t i = 0; i < PL_FLOW_BULK_MAX; i++) {
			if (idx[b + i] == UINT32_MAX) {
				untracked++;
				cr_assert_not(is_new & (1ULL << i));
			} else {
				cr_assert(is_new & (1ULL << i));
				cr_assert_lt(idx[b + i],
					     pl_flow_table_capacity(t));
				pl_flow_init(pl_flow_table_flow(t, idx[b + i]),
					     &p[b + i].m, b + i);
			}
		}
		cr_assert_eq(full, untracked,
			     "return value %u, untracked packets %u", full,
			     untracked);
		missing += full;
		tracked += PL_FLOW_BULK_MAX - untracked;
	}
	cr_assert_eq(tracked, cap, "%u flows fit a table of %u", tracked, cap);
	cr_assert_eq(missing, N - cap);
	cr_assert_eq(pl_flow_table_count(t), cap);

	/* Indexes are distinct. */
	uint8_t used[4096] = {0};
	for (uint32_t i = 0; i < N; i++)
		if (idx[i] != UINT32_MAX) {
			cr_assert_lt(idx[i], sizeof(used));
			cr_assert_eq(used[idx[i]]++, 0);
		}

	/* Tracked flows are still found when the table is full. */
	int is_new;
	for (uint32_t i = 0; i < N; i++) {
		uint32_t j = lookup1(t, &p[i], &is_new);
		cr_assert_eq(j, idx[i]);
		cr_assert_not(is_new);
	}

	/* Remove one: exactly one more flow fits, in the freed index. */
	uint32_t victim = idx[5];
	cr_assert_eq(pl_flow_table_remove(t, victim), 0);
	cr_assert_eq(pl_flow_table_count(t), cap - 1);
	uint32_t first_untracked = 0;
	while (idx[first_untracked] != UINT32_MAX)
		first_untracked++;
	uint32_t j = lookup1(t, &p[first_untracked], &is_new);
	cr_assert_eq(j, victim, "the only free index is reused");
	cr_assert(is_new);
	cr_assert_eq(lookup1(t, &p[first_untracked + 1], &is_new), UINT32_MAX);
	pl_flow_table_free(t);
}

/* pl_flow_table_capacity says how many flows the table holds. */
Test(table, capacity_is_the_number_of_flows_that_fit)
{
	struct pl_flow_table *t = pl_flow_table_create("c", 64, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	uint32_t capacity = pl_flow_table_capacity(t);
	uint32_t fit = 0;
	for (uint32_t i = 0; i < 2 * capacity; i++) {
		struct pkt p;
		int is_new;
		mkpkt(&p, MAC_C, MAC_S, CLIENT, SERVER + i, 1, 2, 17, 0, 0, 1);
		if (lookup1(t, &p, &is_new) != UINT32_MAX)
			fit++;
	}
	cr_assert_eq(fit, capacity,
		     "pl_flow_table_capacity() says %u flows, %u fit",
		     capacity, fit);
	pl_flow_table_free(t);
}

Test(table, remove_then_reuse)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 64, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pkt a, b;
	int is_new;
	mkpkt(&a, MAC_C, MAC_S, CLIENT, SERVER, 1111, 22, 6, 0x02, 0, 5);
	uint32_t idx = lookup1(t, &a, &is_new);
	struct pl_flow *f = pl_flow_table_flow(t, idx);
	pl_flow_init(f, &a.m, 1);
	pl_flow_update(f, &a.m);
	cr_assert_eq(pl_flow_table_count(t), 1);

	cr_assert_eq(pl_flow_table_remove(t, idx), 0);
	cr_assert_eq(pl_flow_table_count(t), 0);
	cr_assert_eq(f->in_use, 0);
	struct pl_flow_key k;
	cr_assert_eq(pl_flow_table_key(t, idx, &k), -ENOENT);
	cr_assert_eq(pl_flow_table_remove(t, idx), -ENOENT);

	/* The same 5-tuple again is a new flow with a fresh state. */
	uint32_t again = lookup1(t, &a, &is_new);
	cr_assert(is_new);
	f = pl_flow_table_flow(t, again);
	cr_assert_eq(f->pkts[0] + f->pkts[1], 0, "reused state not zeroed");
	cr_assert_eq(f->in_use, 1);
	pl_flow_init(f, &a.m, 2);
	cr_assert_eq(pl_flow_table_count(t), 1);

	/* Churn: create and remove many flows through a small table. */
	for (uint32_t i = 0; i < 10000; i++) {
		mkpkt(&b, MAC_C, MAC_S, CLIENT, SERVER, (uint16_t)(i + 2000),
		      80, 17, 0, 0, i);
		uint32_t j = lookup1(t, &b, &is_new);
		cr_assert_neq(j, UINT32_MAX, "flow %u: table leaks entries", i);
		cr_assert(is_new);
		pl_flow_init(pl_flow_table_flow(t, j), &b.m, i);
		cr_assert_eq(pl_flow_table_key(t, j, &k), 0);
		cr_assert_eq(memcmp(&k, &b.m.key, sizeof(k)), 0);
		cr_assert_eq(pl_flow_table_remove(t, j), 0);
	}
	cr_assert_eq(pl_flow_table_count(t), 1);
	cr_assert_eq(lookup1(t, &a, &is_new), again);
	cr_assert_not(is_new);
	pl_flow_table_free(t);
}

Test(table, key_of_a_free_index)
{
	struct pl_flow_table *t = pl_flow_table_create("t", 64, SOCKET_ID_ANY);
	cr_assert_not_null(t);
	struct pl_flow_key k;
	for (uint32_t i = 0; i < pl_flow_table_capacity(t); i++)
		cr_assert_eq(pl_flow_table_key(t, i, &k), -ENOENT,
			     "index %u", i);
	cr_assert_eq(pl_flow_table_key(t, pl_flow_table_capacity(t), &k),
		     -ENOENT);
	cr_assert_eq(pl_flow_table_key(t, UINT32_MAX, &k), -ENOENT);
	cr_assert_eq(pl_flow_table_remove(t, 3), -ENOENT);
	cr_assert_eq(pl_flow_table_remove(t, UINT32_MAX), -ENOENT);
	pl_flow_table_free(t);
}

Test(table, end_names)
{
	cr_assert_str_eq(pl_flow_end_name(PL_FLOW_END_IDLE), "idle");
	cr_assert_str_eq(pl_flow_end_name(PL_FLOW_END_SHUTDOWN), "shutdown");
	cr_assert_not_null(pl_flow_end_name(PL_FLOW_END_MAX));
}

/* Issue 2: 1 million flows per worker fit in 256 MiB (table, flow states
 * and the timer wheel's links). */
Test(table, million_flows_fit_in_256_mib)
{
	const uint32_t n = 1U << 20;
	struct pl_flow_table *t =
		pl_flow_table_create("big", n, SOCKET_ID_ANY);
	cr_assert_not_null(t, "create: %s", rte_strerror(rte_errno));
	cr_assert_geq(pl_flow_table_capacity(t), n);

	struct pl_pkt_meta *m = calloc(PL_FLOW_BULK_MAX, sizeof(*m));
	cr_assert_not_null(m);
	const struct pl_pkt_meta *metas[PL_FLOW_BULK_MAX];
	for (uint32_t i = 0; i < PL_FLOW_BULK_MAX; i++)
		metas[i] = &m[i];
	uint32_t idx[PL_FLOW_BULK_MAX];
	uint64_t failed = 0;
	for (uint32_t base = 0; base < n; base += PL_FLOW_BULK_MAX) {
		for (uint32_t i = 0; i < PL_FLOW_BULK_MAX; i++) {
			uint32_t v = base + i;
			struct pl_flow_key *k = &m[i].key;
			memset(k, 0, sizeof(*k));
			k->family = PL_FAMILY_IPV4;
			k->proto = 6;
			k->addr[0][0] = 10;
			k->addr[0][1] = (uint8_t)(v >> 16);
			k->addr[0][2] = (uint8_t)(v >> 8);
			k->addr[0][3] = (uint8_t)v;
			k->addr[1][0] = 192;
			k->addr[1][1] = 168;
			k->port[0] = (uint16_t)(1024 + (v * 7919u) % 60000);
			k->port[1] = 443;
			m[i].hash = pl_pkt_key_hash(k, 0);
		}
		uint64_t is_new;
		failed += pl_flow_table_lookup_bulk(t, metas, PL_FLOW_BULK_MAX,
						    idx, &is_new);
		cr_assert_eq(is_new, 0xffffffffULL);
	}
	cr_assert_eq(failed, 0, "%lu of %u flows did not fit",
		     (unsigned long)failed, n);
	cr_assert_eq(pl_flow_table_count(t), n);

	struct pl_wheel w;
	cr_assert_eq(pl_wheel_init(&w, pl_flow_table_capacity(t), 4096,
				   1000000, 0),
		     0);
	uint64_t table_mem = pl_flow_table_memory(t);
	uint64_t wheel_mem = (uint64_t)w.capacity * sizeof(struct pl_wheel_link) +
			     (uint64_t)w.nb_slots * sizeof(uint32_t);
	uint64_t total = table_mem + wheel_mem;
	cr_log_info("1M flows: table %.1f MiB + wheel %.1f MiB = %.1f MiB",
		    table_mem / 1048576.0, wheel_mem / 1048576.0,
		    total / 1048576.0);
	/* The measure must include the flow states and the key store. */
	cr_assert_geq(table_mem,
		      (uint64_t)n * (sizeof(struct pl_flow) +
				     sizeof(struct pl_flow_key)),
		      "pl_flow_table_memory() %lu is too small to be true",
		      (unsigned long)table_mem);
	cr_assert_leq(total, 256ULL << 20, "1M flows take %.1f MiB",
		      total / 1048576.0);
	pl_wheel_fini(&w);
	free(m);
	pl_flow_table_free(t);
}
