/* SPDX-License-Identifier: BSD-3-Clause */
/* Counter totals, for the summary and for live telemetry. */
#include <string.h>

#include <rte_telemetry.h>

#include "protolens.h"

void
pl_stats_sum(const struct pl_app *app, struct pl_lcore_stats *t)
{
	const struct pl_lcore_stats *all[PL_MAX_WORKERS + 1];
	unsigned n = 0;

	memset(t, 0, sizeof(*t));
	all[n++] = &app->rx_stats;
	for (unsigned w = 0; w < app->opt.workers; w++)
		all[n++] = &app->workers[w].stats;
	for (unsigned i = 0; i < n; i++) {
		/* Another lcore writes these: read each once, whole. */
#define PL_X(name, help) t->name += __atomic_load_n(&all[i]->name, __ATOMIC_RELAXED);
		PL_LCORE_COUNTERS(PL_X)
#undef PL_X
		for (int r = 0; r < PL_PKT_RESULT_MAX; r++)
			t->undecodable_by[r] += __atomic_load_n(
				&all[i]->undecodable_by[r], __ATOMIC_RELAXED);
	}
}

static const struct pl_app *tel_app;

static int
stats_cmd(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct pl_lcore_stats t;
	(void)cmd;
	(void)params;
	pl_stats_sum(tel_app, &t);
	rte_tel_data_start_dict(d);
#define PL_X(name, help) rte_tel_data_add_dict_u64(d, #name, t.name);
	PL_LCORE_COUNTERS(PL_X)
#undef PL_X
	for (int r = 1; r < PL_PKT_RESULT_MAX; r++)
		rte_tel_data_add_dict_u64(d, pl_pkt_result_name(r),
					  t.undecodable_by[r]);
	return 0;
}

int
pl_stats_telemetry_init(const struct pl_app *app)
{
	tel_app = app;
	return rte_telemetry_register_cmd(
		"/protolens/stats", stats_cmd,
		"Packet, flow and drop counters summed over all lcores. "
		"Takes no parameters");
}
