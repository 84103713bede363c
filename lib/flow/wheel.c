/* SPDX-License-Identifier: BSD-3-Clause */
/* Idle-timeout timer wheel (see struct pl_wheel in flow.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"

#define NIL UINT32_MAX

int
pl_wheel_init(struct pl_wheel *w, uint32_t capacity, uint32_t nb_slots,
	      uint64_t tick_us, uint64_t now_us)
{
	memset(w, 0, sizeof(*w));
	if (capacity == 0 || nb_slots == 0 || tick_us == 0 ||
	    nb_slots > (1U << 24))
		return -EINVAL;
	uint32_t n = 1;
	while (n < nb_slots)
		n <<= 1;
	w->head = malloc(sizeof(*w->head) * n);
	w->link = calloc(capacity, sizeof(*w->link));
	if (w->head == NULL || w->link == NULL) {
		pl_wheel_fini(w);
		return -ENOMEM;
	}
	memset(w->head, 0xff, sizeof(*w->head) * n);
	w->nb_slots = n;
	w->capacity = capacity;
	w->tick_us = tick_us;
	w->now_tick = now_us / tick_us;
	return 0;
}

void
pl_wheel_fini(struct pl_wheel *w)
{
	free(w->head);
	free(w->link);
	memset(w, 0, sizeof(*w));
}

void
pl_wheel_add(struct pl_wheel *w, uint32_t idx, uint64_t deadline_us)
{
	uint64_t t = deadline_us / w->tick_us;
	if (t < w->now_tick)
		t = w->now_tick;
	if (t >= w->now_tick + w->nb_slots)
		t = w->now_tick + w->nb_slots - 1;
	uint32_t s = (uint32_t)(t & (w->nb_slots - 1));
	struct pl_wheel_link *l = &w->link[idx];
	l->slot = s;
	l->prev = NIL;
	l->next = w->head[s];
	l->queued = 1;
	if (l->next != NIL)
		w->link[l->next].prev = idx;
	w->head[s] = idx;
	w->count++;
}

void
pl_wheel_remove(struct pl_wheel *w, uint32_t idx)
{
	struct pl_wheel_link *l = &w->link[idx];
	if (!l->queued)
		return;
	if (l->prev != NIL)
		w->link[l->prev].next = l->next;
	else
		w->head[l->slot] = l->next;
	if (l->next != NIL)
		w->link[l->next].prev = l->prev;
	l->queued = 0;
	w->count--;
}

uint32_t
pl_wheel_advance(struct pl_wheel *w, uint64_t now_us,
		 void (*expire)(uint32_t idx, void *arg), void *arg)
{
	uint64_t target = now_us / w->tick_us;
	uint32_t fired = 0;

	if (target < w->now_tick)
		return 0;
	if (w->count == 0) {
		w->now_tick = target + 1;
		return 0;
	}
	/* Every queued tick is below now_tick + nb_slots: after a long jump
	 * one sweep over all slots sees them all. */
	if (target - w->now_tick >= w->nb_slots)
		w->now_tick = target - w->nb_slots + 1;
	while (w->now_tick <= target) {
		uint32_t s = (uint32_t)(w->now_tick & (w->nb_slots - 1));
		uint32_t idx = w->head[s];
		w->head[s] = NIL;
		/* Re-adds from expire() must land in a later tick. */
		w->now_tick++;
		while (idx != NIL) {
			uint32_t next = w->link[idx].next;
			w->link[idx].queued = 0;
			w->count--;
			fired++;
			expire(idx, arg);
			idx = next;
		}
	}
	return fired;
}

uint32_t
pl_wheel_drain(struct pl_wheel *w, void (*expire)(uint32_t idx, void *arg),
	       void *arg)
{
	uint32_t fired = 0;
	for (uint32_t s = 0; s < w->nb_slots; s++) {
		uint32_t idx = w->head[s];
		w->head[s] = NIL;
		while (idx != NIL) {
			uint32_t next = w->link[idx].next;
			w->link[idx].queued = 0;
			w->count--;
			fired++;
			expire(idx, arg);
			idx = next;
		}
	}
	return fired;
}
